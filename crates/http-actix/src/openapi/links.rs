//! OpenAPI links: which response values feed which operation (the id of a created project into
//! its reads, updates, deletion and tasks, a refresh token into `/auth/refresh`, ...). They
//! document the API's flow and let stateful clients and testers follow it.

use serde_json::{Value, json};
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi, RefOr};

/// Where a link starts: a response of one operation.
#[derive(Clone, Copy)]
struct Source {
    path: &'static str,
    method: &'static str,
    status: &'static str,
}

/// Where it leads, and what it passes.
enum To {
    /// `operationId` with its `id` path parameter taken from a JSON pointer of the response.
    Id(&'static str, &'static str),
    /// `operationId` with a request body built from the response.
    Body(&'static str, fn() -> Value),
}

const CREATED_PROJECT: Source = Source { path: "/projects", method: "post", status: "201" };
const PROJECT_PAGE: Source = Source { path: "/projects", method: "get", status: "200" };
const CREATED_TASK: Source = Source { path: "/projects/{id}/tasks", method: "post", status: "201" };
const TASK_PAGE: Source = Source { path: "/projects/{id}/tasks", method: "get", status: "200" };
const REGISTERED: Source = Source { path: "/auth/register", method: "post", status: "201" };
const USER_PAGE: Source = Source { path: "/users", method: "get", status: "200" };
const SESSION_PAGE: Source = Source { path: "/users/me/sessions", method: "get", status: "200" };
const SIGNED_IN: Source = Source { path: "/auth/login", method: "post", status: "200" };
const REFRESHED: Source = Source { path: "/auth/refresh", method: "post", status: "200" };

fn refresh_token_body() -> Value {
    json!({ "refresh_token": "$response.body#/refresh_token" })
}

/// Every link of the document.
fn table() -> Vec<(Source, &'static str, To)> {
    let mut links = Vec::new();
    for (name, operation) in [
        ("GetProject", "get_project"),
        ("UpdateProject", "update_project"),
        ("DeleteProject", "delete_project"),
        ("ListTasks", "list_tasks"),
        ("CreateTask", "create_task"),
    ] {
        links.push((CREATED_PROJECT, name, To::Id(operation, "/id")));
    }
    links.push((PROJECT_PAGE, "GetProject", To::Id("get_project", "/items/0/id")));
    for (name, operation) in
        [("GetTask", "get_task"), ("PatchTask", "patch_task"), ("ReplaceTask", "replace_task"), ("DeleteTask", "delete_task")]
    {
        links.push((CREATED_TASK, name, To::Id(operation, "/id")));
    }
    links.push((TASK_PAGE, "GetTask", To::Id("get_task", "/items/0/id")));
    for (name, operation) in [("GetUser", "get_user"), ("UpdateUser", "update_user"), ("DeleteUser", "delete_user")] {
        links.push((REGISTERED, name, To::Id(operation, "/id")));
    }
    links.push((USER_PAGE, "GetUser", To::Id("get_user", "/items/0/id")));
    links.push((SESSION_PAGE, "RevokeSession", To::Id("revoke_session", "/items/0/id")));
    for from in [SIGNED_IN, REFRESHED] {
        links.push((from, "Refresh", To::Body("refresh", refresh_token_body)));
        links.push((from, "Logout", To::Body("logout", refresh_token_body)));
    }
    links
}

fn operation<'a>(api: &'a mut OpenApi, path: &str, method: &str) -> Option<&'a mut Operation> {
    let item = api.paths.paths.get_mut(path)?;
    match method {
        "get" => item.get.as_mut(),
        "post" => item.post.as_mut(),
        _ => None,
    }
}

/// Adds every link to the responses it starts from. A link whose response is missing is a bug
/// of this table, caught by the OpenAPI tests (the link simply does not appear).
pub fn add(api: &mut OpenApi) {
    for (from, name, to) in table() {
        let Some(op) = operation(api, from.path, from.method) else { continue };
        let Some(RefOr::T(response)) = op.responses.responses.get_mut(from.status) else { continue };
        let link = match to {
            To::Id(operation_id, pointer) => {
                LinkBuilder::new().operation_id(operation_id).parameter("id", format!("$response.body#{pointer}"))
            }
            To::Body(operation_id, body) => LinkBuilder::new().operation_id(operation_id).request_body(Some(body())),
        };
        response.links.insert(name.to_owned(), RefOr::T(link.build()));
    }
}
