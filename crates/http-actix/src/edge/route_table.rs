//! The documented paths and their methods, for the fallback's 404 and 405 answers.

use actix_web::dev::ResourceDef;
use utoipa::openapi::OpenApi;

/// Every documented path with its methods.
#[derive(Debug, Default)]
pub struct RouteTable(Vec<(ResourceDef, Vec<&'static str>)>);

impl RouteTable {
    /// Builds the table from the OpenAPI document; static paths are matched first.
    pub fn from_openapi(api: &OpenApi) -> Self {
        let mut routes: Vec<(ResourceDef, Vec<&'static str>)> = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    // Every GET answers HEAD too (`edges::head_as_get`).
                    ("HEAD", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                (ResourceDef::new(path.as_str()), methods.iter().filter(|(_, has)| *has).map(|(m, _)| *m).collect())
            })
            .collect();
        routes.sort_by_key(|(def, _)| def.is_prefix() || def.pattern().is_none_or(|p| p.contains('{')));
        Self(routes)
    }

    /// The methods a path supports, if it exists.
    pub fn allowed(&self, path: &str) -> Option<&[&'static str]> {
        self.0.iter().find(|(def, _)| def.is_match(path)).map(|(_, methods)| methods.as_slice())
    }
}
