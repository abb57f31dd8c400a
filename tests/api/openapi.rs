use crate::helpers::spawn_app;
use reqwest::Method;
use serde_json::Value;

/// Every operation of the contract's endpoint table.
const CONTRACT: &[(&str, &str)] = &[
    ("post", "/auth/register"),
    ("post", "/auth/login"),
    ("post", "/auth/token"),
    ("post", "/auth/refresh"),
    ("post", "/auth/logout"),
    ("post", "/auth/logout-all"),
    ("get", "/users/me"),
    ("patch", "/users/me"),
    ("post", "/users/me/password"),
    ("delete", "/users/me"),
    ("get", "/users/me/sessions"),
    ("delete", "/users/me/sessions/{id}"),
    ("get", "/users/me/events"),
    ("get", "/audit"),
    ("get", "/users"),
    ("get", "/users/{id}"),
    ("patch", "/users/{id}"),
    ("delete", "/users/{id}"),
    ("post", "/projects"),
    ("get", "/projects"),
    ("get", "/projects/{id}"),
    ("patch", "/projects/{id}"),
    ("delete", "/projects/{id}"),
    ("post", "/projects/{id}/tasks"),
    ("get", "/projects/{id}/tasks"),
    ("get", "/tasks/{id}"),
    ("patch", "/tasks/{id}"),
    ("put", "/tasks/{id}"),
    ("delete", "/tasks/{id}"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/.well-known/jwks.json"),
    ("get", "/openapi.json"),
    ("get", "/docs/"),
    ("post", "/auth/verify-email"),
    ("post", "/auth/verify-email/resend"),
    ("post", "/auth/password-reset"),
    ("post", "/auth/password-reset/confirm"),
    ("post", "/auth/email-change/confirm"),
    ("post", "/users"),
    ("get", "/account/verify"),
    ("get", "/account/reset"),
    ("get", "/account/email-change"),
    // v1.2: two-step sign-in, the password policy, signing out the other sessions.
    ("post", "/auth/logout-others"),
    ("get", "/users/me/mfa"),
    ("post", "/users/me/mfa/totp"),
    ("post", "/users/me/mfa/totp/confirm"),
    ("delete", "/users/me/mfa"),
    ("post", "/users/me/mfa/recovery-codes"),
    ("post", "/auth/login/mfa"),
    ("delete", "/users/{id}/mfa"),
    ("get", "/auth/password-policy"),
    // v1.2: personal access tokens, introspection, revocation.
    ("post", "/users/me/tokens"),
    ("get", "/users/me/tokens"),
    ("delete", "/users/me/tokens/{id}"),
    ("get", "/users/{id}/tokens"),
    ("delete", "/users/{id}/tokens/{token_id}"),
    ("post", "/auth/introspect"),
    ("post", "/auth/revoke"),
    // v1.2: sign in with an OpenID Connect provider.
    ("get", "/auth/oidc/providers"),
    ("get", "/auth/oidc/{provider}/start"),
    ("get", "/auth/oidc/{provider}/callback"),
    ("post", "/users/me/identities"),
    ("get", "/users/me/identities"),
    ("delete", "/users/me/identities/{id}"),
    ("post", "/users/me/passkeys/registration"),
    ("post", "/users/me/passkeys"),
    ("get", "/users/me/passkeys"),
    ("patch", "/users/me/passkeys/{id}"),
    ("delete", "/users/me/passkeys/{id}"),
    ("post", "/auth/passkey/options"),
    ("post", "/auth/passkey"),
];

#[tokio::test]
async fn the_served_document_is_openapi_3_1_with_exactly_the_contracts_operations() {
    let app = spawn_app().await;
    let doc: Value = app.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut served: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |method| (method.clone(), path.clone())))
        .filter(|(method, _)| ["get", "post", "put", "patch", "delete"].contains(&method.as_str()))
        .collect();
    let mut expected: Vec<(String, String)> = CONTRACT.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    served.sort();
    expected.sort();
    assert_eq!(served, expected);
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["oauth2"]["flows"]["password"]["tokenUrl"], "/auth/token");
    assert_eq!((schemes["pat"]["scheme"].as_str(), schemes["pat"]["bearerFormat"].as_str()), (Some("bearer"), Some("gatehouse_pat")));
}

/// The scope a personal access token needs for each operation, as the contract's table lists
/// them (`../shared/api.md`, "Personal access tokens"): any other operation takes none.
fn contract_scope(method: &str, path: &str) -> Option<&'static str> {
    let projects = path.starts_with("/projects") || path.starts_with("/tasks");
    match (method, path) {
        ("get", "/users/me") => Some("profile"),
        ("get", _) if projects => Some("projects:read"),
        (_, _) if projects => Some("projects:write"),
        ("get", "/users" | "/users/{id}" | "/audit") => Some("admin:read"),
        ("post", "/auth/introspect") => Some("introspect"),
        _ => None,
    }
}

#[tokio::test]
async fn the_document_names_the_scope_each_operation_asks_of_a_personal_access_token() {
    let app = spawn_app().await;
    let doc: Value = app.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let documented: Vec<&str> = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|requirement| requirement.get("pat"))
                .flat_map(|scopes| scopes.as_array().unwrap().iter().map(|s| s.as_str().unwrap()))
                .collect();
            let expected: Vec<&str> = contract_scope(method, path).into_iter().collect();
            assert_eq!(documented, expected, "{method} {path}");
        }
    }
}

#[test]
fn every_response_has_a_description_and_every_operation_a_unique_id() {
    // What OpenAPI 3.1 requires of each (client generators refuse a document without them);
    // .ci/openapi.sh also validates the whole document with openapi-spec-validator.
    let doc: Value = serde_json::from_str(&http_actix::app::document::openapi().to_json().unwrap()).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            for (status, response) in operation["responses"].as_object().unwrap() {
                let description = response["description"].as_str().unwrap_or_default();
                assert!(!description.is_empty(), "{method} {path} {status} has no description");
            }
        }
    }
}

#[test]
fn a_body_that_may_be_left_out_is_optional_and_never_null() {
    // The fresh-session operations whose one field is optional take no body at all; `null` is
    // not a body the server takes (422), so the document must not offer it.
    let doc: Value = serde_json::from_str(&http_actix::app::document::openapi().to_json().unwrap()).unwrap();
    let body = &doc["paths"]["/users/me/mfa/totp"]["post"]["requestBody"];
    assert_ne!(body["required"], true, "{body}");
    assert_eq!(body["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/FreshRequest", "{body}");
    let required = &doc["paths"]["/users/me/mfa/totp/confirm"]["post"]["requestBody"]["required"];
    assert_eq!(required, true, "a body with a required field stays required");
}

/// Every code the document's patterns allow is one the server parses (schemathesis sends such
/// codes and expects them accepted as codes), and the patterns refuse what the server refuses.
#[test]
fn the_documents_code_patterns_allow_only_codes_the_server_parses() {
    let doc: Value = serde_json::from_str(&http_actix::app::document::openapi().to_json().unwrap()).unwrap();
    let pattern =
        |schema: &str| regex::Regex::new(doc["components"]["schemas"][schema]["properties"]["code"]["pattern"].as_str().unwrap()).unwrap();
    let any_code = pattern("SecondStepRequest");
    assert_eq!(any_code.as_str(), pattern("CodeRequest").as_str());
    let app_code = pattern("ConfirmTotpRequest");
    let mut candidates: Vec<String> =
        ["123456", "123 456", "12345", "1234567", "12 3456", " 123456", "abcdef", ""].map(String::from).into();
    for c in ('0'..='9').chain('A'..='Z').chain('a'..='z').chain(['-', ' ', '_', 'é']) {
        candidates.push(format!("{c}bcde-fghjk"));
        candidates.push(format!("abcde-fghj{c}"));
    }
    for candidate in &candidates {
        let parses = domain::SecondStepCode::parse(candidate).is_ok();
        if any_code.is_match(candidate) {
            assert!(parses, "{candidate:?} matches the pattern but the server refuses it");
        }
        if app_code.is_match(candidate) {
            assert!(domain::OtpCode::parse(candidate).is_ok(), "{candidate:?} matches the confirm pattern");
        }
    }
    for refused in ["", "12345", "1234567", "abcdef", "ubcde-fghjk", "_bcde-fghjk"] {
        assert!(!any_code.is_match(refused) && domain::SecondStepCode::parse(refused).is_err(), "{refused:?}");
    }
}

#[test]
fn the_openapi_document_matches_its_snapshot() {
    // A contract change shows up as insta's line diff of tests/snapshots/openapi.snap; review and
    // accept it with `just snapshot` (`INSTA_UPDATE=always cargo test -p api-tests openapi`).
    let current = http_actix::app::document::openapi().to_pretty_json().unwrap();
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!("openapi", current);
    });
}

#[tokio::test]
async fn the_document_states_the_configured_hashers_password_limit() {
    let limit = |doc: &Value, schema: &str, field: &str| doc["components"]["schemas"][schema]["properties"][field]["maxLength"].clone();
    let bcrypt: Value = spawn_app().await.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();
    let argon = crate::helpers::spawn_app_with(&[("auth.password_hash", "argon2id")]).await;
    let argon2id: Value = argon.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();

    assert_eq!(limit(&bcrypt, "RegisterRequest", "password"), 72);
    assert_eq!(limit(&argon2id, "RegisterRequest", "password"), 1024);
    assert_eq!(limit(&argon2id, "ChangePassword", "new_password"), 1024);
    // And the server takes what the document allows.
    let long = "p".repeat(1024);
    let registered = argon.post("/auth/register", &serde_json::json!({"email": "a@x.io", "password": long, "name": "A"})).await;
    assert_eq!(registered.status(), 201);
}
