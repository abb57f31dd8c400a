//! Pagination: the `?limit&offset` query of every list and the page type of each resource.

use crate::edge::error::ApiError;
use domain::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;

/// `?limit&offset` of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub offset: Option<i64>,
}

impl PageQuery {
    /// Checks the bounds (422 when out of range).
    pub fn into_page(self) -> Result<PageRequest, ApiError> {
        PageRequest::new(self.limit, self.offset).map_err(|e| {
            let field = match e {
                domain::PageError::Limit => "limit",
                domain::PageError::Offset => "offset",
            };
            ApiError::invalid_query(vec![crate::edge::error::FieldError::new(field, e)])
        })
    }
}

macro_rules! page_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            /// The items of this page.
            pub items: Vec<$item>,
            /// The size of the whole collection.
            #[schema(minimum = 0)]
            pub total: u64,
            /// The page size applied.
            #[schema(minimum = 1, maximum = 100)]
            pub limit: u32,
            /// The offset applied.
            #[schema(minimum = 0)]
            pub offset: u64,
        }

        impl<T: Into<$item>> From<domain::Page<T>> for $name {
            fn from(page: domain::Page<T>) -> Self {
                Self { items: page.items.into_iter().map(Into::into).collect(), total: page.total, limit: page.limit, offset: page.offset }
            }
        }
    };
}
pub(crate) use page_type;
