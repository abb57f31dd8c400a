//! Machine access over HTTP: personal access tokens (their format, with the checksum computed
//! here by a CRC-32 of the test's own, not the server's `crc32fast`), what their scopes allow and
//! refuse, account management refused, expiry, revocation, a deactivated owner, `last_used_at`,
//! the 50-token limit under a race, introspection (RFC 7662) and revocation (RFC 7009).

use crate::helpers::{PASSWORD, Session, TestApp, problem, spawn_app, spawn_app_with, str_of};
use crate::races::at_once;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// CRC-32 (IEEE 802.3, reflected, as zlib's), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// `value` in six base62 digits (0-9, A-Z, a-z), most significant first.
fn base62_six(mut value: u32) -> String {
    let digits = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = digits[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

#[test]
fn the_tests_crc32_is_the_published_one() {
    // CRC-32's check value for "123456789".
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(base62_six(0xCBF4_3926), "3jZRME");
}

/// Creates a token for `session` (fresh: signed in just now); the whole answer.
async fn create(app: &TestApp, access: &str, scopes: &[&str], days: Option<u32>) -> Value {
    let mut body = json!({"name": "deploy bot", "scopes": scopes});
    if let Some(days) = days {
        body["expires_in_days"] = json!(days);
    }
    let response = app.send_json(Method::POST, "/users/me/tokens", Some(access), &body).await;
    assert_eq!(response.status(), 201, "creating a token");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn token(app: &TestApp, access: &str, scopes: &[&str]) -> String {
    str_of(&create(app, access, scopes, None).await, "token")
}

fn insufficient_scope(response: &Response, scope: Option<&str>) {
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    match scope {
        Some(scope) => assert_eq!(challenge, format!(r#"Bearer error="insufficient_scope", scope="{scope}""#)),
        None => assert_eq!(challenge, r#"Bearer error="insufficient_scope""#),
    }
}

async fn introspect(app: &TestApp, caller: &str, token: &str) -> Value {
    let response = app.request(Method::POST, "/auth/introspect").bearer_auth(caller).form(&[("token", token)]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn revoke(app: &TestApp, token: &str) -> Response {
    app.request(Method::POST, "/auth/revoke").form(&[("token", token)]).send().await.unwrap()
}

async fn id_of(app: &TestApp, access: &str) -> String {
    str_of(&app.get("/users/me", access).await.json().await.unwrap(), "id")
}

#[tokio::test]
async fn a_token_has_the_prefix_randomness_and_checksum_and_is_shown_once() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let created = create(&app, &ada.access, &["profile", "projects:read"], Some(7)).await;
    let text = str_of(&created, "token");
    let body = text.strip_prefix("gatehouse_pat_").expect("the prefix");
    assert_eq!(body.len(), 38);
    assert!(body.bytes().all(|b| b.is_ascii_alphanumeric()), "{text}");
    let (random, checksum) = body.split_at(32);
    assert_eq!(checksum, base62_six(crc32(random.as_bytes())), "the checksum a secret scanner computes");
    assert_eq!(created["name"], "deploy bot");
    assert_eq!(created["scopes"], json!(["profile", "projects:read"]));
    assert_eq!(created["last_used_at"], Value::Null);
    let created_at = chrono::DateTime::parse_from_rfc3339(&str_of(&created, "created_at")).unwrap();
    let expires_at = chrono::DateTime::parse_from_rfc3339(&str_of(&created, "expires_at")).unwrap();
    assert_eq!(expires_at - created_at, chrono::Duration::days(7));

    // Listed without its text; the owner is told by mail; the audit log has the event.
    let list: Value = app.get("/users/me/tokens", &ada.access).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], created["id"]);
    assert!(list["items"][0].get("token").is_none() && !list.to_string().contains(random));
    let mail = app.await_mail("ada@example.com", 2).await;
    assert!(mail.iter().any(|(subject, _)| subject.contains("personal access token")), "{mail:?}");
    assert!(mail.iter().all(|(_, text)| !text.contains(random)));
    let events: Value = app.get("/users/me/events", &ada.access).await.json().await.unwrap();
    let created_event = events["items"].as_array().unwrap().iter().find(|e| e["type"] == "token.created").expect("token.created");
    assert_eq!(created_event["detail"]["token_id"], created["id"]);
    assert!(!events.to_string().contains(random));

    // A default lifetime of 30 days; a lifetime beyond the setting, none, or no scope is 422.
    let default = create(&app, &ada.access, &["profile"], None).await;
    let lifetime = chrono::DateTime::parse_from_rfc3339(&str_of(&default, "expires_at")).unwrap()
        - chrono::DateTime::parse_from_rfc3339(&str_of(&default, "created_at")).unwrap();
    assert_eq!(lifetime, chrono::Duration::days(30));
    // JSON Schema counts 7.0 as an integer, and so does the server.
    let whole = app
        .send_json(
            Method::POST,
            "/users/me/tokens",
            Some(&ada.access),
            &json!({"name": "x", "scopes": ["profile"], "expires_in_days": 7.0}),
        )
        .await;
    assert_eq!(whole.status(), 201);
    for (body, field) in [
        (json!({"name": "x", "scopes": ["profile"], "expires_in_days": 367}), "expires_in_days"),
        (json!({"name": "x", "scopes": ["profile"], "expires_in_days": 0}), "expires_in_days"),
        (json!({"name": "x", "scopes": ["profile"], "expires_in_days": 7.5}), "expires_in_days"),
        (json!({"name": "x", "scopes": ["profile"], "expires_in_days": 1e30}), "expires_in_days"),
        (json!({"name": "x", "scopes": ["profile"], "expires_in_days": "7"}), "expires_in_days"),
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "x", "scopes": ["admin"]}), "scopes"),
        (json!({"name": "  ", "scopes": ["profile"]}), "name"),
    ] {
        let refused = problem(app.send_json(Method::POST, "/users/me/tokens", Some(&ada.access), &body).await, 422).await;
        assert!(refused["errors"].to_string().contains(field), "{body} -> {refused}");
    }
}

#[tokio::test]
async fn the_database_holds_only_a_digest_of_the_token() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let text = token(&app, &ada.access, &["profile"]).await;
    assert_eq!(app.get("/users/me", &text).await.status(), 200);
    let dump = app.dump_database().await;
    let random = &text["gatehouse_pat_".len()..][..32];
    assert!(!dump.windows(random.len()).any(|w| w == random.as_bytes()), "the token's randomness is stored");
}

#[tokio::test]
async fn scopes_decide_what_a_token_may_do() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let project = app.create_project(&ada.access, "Engine").await;
    let project_path = format!("/projects/{}", str_of(&project, "id"));

    let profile = token(&app, &ada.access, &["profile"]).await;
    let me: Value = app.get("/users/me", &profile).await.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.com");
    insufficient_scope(&app.get("/projects", &profile).await, Some("projects:read"));

    let reader = token(&app, &ada.access, &["projects:read"]).await;
    insufficient_scope(&app.get("/users/me", &reader).await, Some("profile"));
    assert_eq!(app.get("/projects", &reader).await.status(), 200);
    assert_eq!(app.get(&project_path, &reader).await.status(), 200);
    assert_eq!(app.get(&format!("{project_path}/tasks"), &reader).await.status(), 200);
    let write = app.send_json(Method::POST, "/projects", Some(&reader), &json!({"name": "Mill"})).await;
    insufficient_scope(&write, Some("projects:write"));
    let problem_body: Value = write.json().await.unwrap();
    assert_eq!(problem_body["status"], 403);

    let writer = token(&app, &ada.access, &["projects:write"]).await;
    assert_eq!(app.send_json(Method::POST, "/projects", Some(&writer), &json!({"name": "Mill"})).await.status(), 201);
    let task = app.send_json(Method::POST, &format!("{project_path}/tasks"), Some(&writer), &json!({"title": "Cards"})).await;
    assert_eq!(task.status(), 201);
    let task: Value = task.json().await.unwrap();
    let done = app.send_json(Method::PATCH, &format!("/tasks/{}", str_of(&task, "id")), Some(&writer), &json!({"status": "done"})).await;
    assert_eq!(done.status(), 200);
    insufficient_scope(&app.get("/projects", &writer).await, Some("projects:read"));

    // Someone else's project is as missing for a token as for its owner's session.
    let bob = app.user("bob@example.com").await;
    let bobs = token(&app, &bob.access, &["projects:read"]).await;
    problem(app.get(&project_path, &bobs).await, 404).await;

    // admin:read is no ordinary account's, whatever its token says.
    let admin_read = token(&app, &ada.access, &["admin:read"]).await;
    insufficient_scope(&app.get("/users", &admin_read).await, Some("admin:read"));
}

#[tokio::test]
async fn no_token_manages_the_account_whatever_its_scopes() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let all = token(&app, &ada.access, &["profile", "projects:read", "projects:write", "admin:read", "introspect"]).await;
    let id = str_of(&create(&app, &ada.access, &["profile"], None).await, "id");
    let session_id = uuid::Uuid::new_v4();
    let attempts: Vec<(Method, String, Value)> = vec![
        (Method::PATCH, "/users/me".into(), json!({"name": "Eve"})),
        (Method::POST, "/users/me/password".into(), json!({"current_password": PASSWORD, "new_password": "a new pass phrase"})),
        (Method::DELETE, "/users/me".into(), json!({"current_password": PASSWORD})),
        (Method::GET, "/users/me/sessions".into(), Value::Null),
        (Method::GET, "/users/me/events".into(), Value::Null),
        (Method::DELETE, format!("/users/me/sessions/{session_id}"), Value::Null),
        (Method::POST, "/users/me/tokens".into(), json!({"name": "another", "scopes": ["profile"], "current_password": PASSWORD})),
        (Method::GET, "/users/me/tokens".into(), Value::Null),
        (Method::DELETE, format!("/users/me/tokens/{id}"), Value::Null),
        (Method::GET, "/users/me/mfa".into(), Value::Null),
        (Method::POST, "/users/me/mfa/totp".into(), json!({"current_password": PASSWORD})),
        (Method::POST, "/auth/logout-all".into(), Value::Null),
        (Method::POST, "/auth/logout-others".into(), Value::Null),
    ];
    for (method, path, body) in attempts {
        let mut request = app.request(method.clone(), &path).bearer_auth(&all);
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        insufficient_scope(&response, None);
        problem(response, 403).await;
    }
    // Nothing changed: the name, the password, the tokens and the session.
    let me: Value = app.get("/users/me", &ada.access).await.json().await.unwrap();
    assert_eq!(me["name"], "Test User");
    assert_eq!(app.login_as("ada@example.com", PASSWORD).await.status(), 200);
    let list: Value = app.get("/users/me/tokens", &ada.access).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn admin_read_works_while_the_owner_is_an_admin() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let ada = app.user("ada@example.com").await;
    let ada_id = id_of(&app, &ada.access).await;
    let reader = token(&app, &root.access, &["admin:read"]).await;
    assert_eq!(app.get("/users", &reader).await.status(), 200);
    assert_eq!(app.get(&format!("/users/{ada_id}"), &reader).await.status(), 200);
    assert_eq!(app.get("/audit", &reader).await.status(), 200);
    // Reading is all it does.
    let write = app.send_json(Method::PATCH, &format!("/users/{ada_id}"), Some(&reader), &json!({"is_active": false})).await;
    insufficient_scope(&write, None);
    insufficient_scope(&app.get(&format!("/users/{ada_id}/tokens"), &reader).await, None);

    // A second admin demotes the first: the token reads nothing from then on.
    let other = app.admin("other@example.com").await;
    let root_id = id_of(&app, &root.access).await;
    let demoted = app.send_json(Method::PATCH, &format!("/users/{root_id}"), Some(&other.access), &json!({"role": "user"})).await;
    assert_eq!(demoted.status(), 200);
    insufficient_scope(&app.get("/users", &reader).await, Some("admin:read"));
}

#[tokio::test]
async fn a_wrong_checksum_an_unknown_token_and_a_revoked_one_get_401() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let text = token(&app, &ada.access, &["profile"]).await;
    let mut typo = text.clone().into_bytes();
    typo[20] = if typo[20] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    // A well-formed token the server never issued: a checksum right for its randomness.
    let random = "Z".repeat(32);
    let unknown = format!("gatehouse_pat_{random}{}", base62_six(crc32(random.as_bytes())));
    for refused in [typo.as_str(), unknown.as_str(), "gatehouse_pat_short"] {
        let response = app.get("/users/me", refused).await;
        assert_eq!(response.headers()["www-authenticate"], r#"Bearer error="invalid_token""#, "{refused}");
        problem(response, 401).await;
    }

    let id = str_of(&app.get("/users/me/tokens", &ada.access).await.json::<Value>().await.unwrap()["items"][0], "id");
    assert_eq!(app.request(Method::DELETE, &format!("/users/me/tokens/{id}")).bearer_auth(&ada.access).send().await.unwrap().status(), 204);
    problem(app.get("/users/me", &text).await, 401).await;
    problem(app.request(Method::DELETE, &format!("/users/me/tokens/{id}")).bearer_auth(&ada.access).send().await.unwrap(), 404).await;
    let list: Value = app.get("/users/me/tokens", &ada.access).await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    let events: Value = app.get("/users/me/events", &ada.access).await.json().await.unwrap();
    assert_eq!(events["items"].as_array().unwrap().iter().filter(|e| e["type"] == "token.revoked").count(), 1);

    // Bob cannot revoke Ada's token: it is not his to find.
    let bob = app.user("bob@example.com").await;
    let other = str_of(&create(&app, &ada.access, &["profile"], None).await, "id");
    let path = format!("/users/me/tokens/{other}");
    problem(app.request(Method::DELETE, &path).bearer_auth(&bob.access).send().await.unwrap(), 404).await;
}

#[tokio::test]
async fn an_expired_token_gets_401_and_leaves_the_list() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let text = token(&app, &ada.access, &["profile", "introspect"]).await;
    let watcher = token(&app, &ada.access, &["introspect"]).await;
    assert_eq!(app.get("/users/me", &text).await.status(), 200);
    // As the passing of its lifetime would: the same statement on every backend.
    app.execute_sql("UPDATE personal_access_tokens SET expires_at = created_at").await;
    problem(app.get("/users/me", &text).await, 401).await;
    let list: Value = app.get("/users/me/tokens", &ada.access).await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    problem(app.request(Method::POST, "/auth/introspect").bearer_auth(&watcher).form(&[("token", &text)]).send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn deactivating_or_deleting_the_owner_ends_its_tokens_at_once() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let ada = app.user("ada@example.com").await;
    let ada_id = id_of(&app, &ada.access).await;
    let text = token(&app, &ada.access, &["profile"]).await;
    assert_eq!(app.get("/users/me", &text).await.status(), 200);
    let off = app.send_json(Method::PATCH, &format!("/users/{ada_id}"), Some(&root.access), &json!({"is_active": false})).await;
    assert_eq!(off.status(), 200);
    problem(app.get("/users/me", &text).await, 401).await;

    let bob = app.user("bob@example.com").await;
    let bobs = token(&app, &bob.access, &["profile"]).await;
    let gone = app.send_json(Method::DELETE, "/users/me", Some(&bob.access), &json!({"current_password": PASSWORD})).await;
    assert_eq!(gone.status(), 204);
    problem(app.get("/users/me", &bobs).await, 401).await;
}

#[tokio::test]
async fn last_used_at_is_written_on_use() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let text = token(&app, &ada.access, &["profile"]).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    for _ in 0..3 {
        assert_eq!(app.get("/users/me", &text).await.status(), 200);
    }
    let list: Value = app.get("/users/me/tokens", &ada.access).await.json().await.unwrap();
    let used = chrono::DateTime::parse_from_rfc3339(&str_of(&list["items"][0], "last_used_at")).unwrap();
    assert!(used >= before && used <= chrono::Utc::now(), "{used}");
}

#[tokio::test]
async fn an_admin_lists_and_revokes_another_accounts_tokens() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let ada = app.user("ada@example.com").await;
    let ada_id = id_of(&app, &ada.access).await;
    let created = create(&app, &ada.access, &["profile"], None).await;
    let text = str_of(&created, "token");
    let list: Value = app.get(&format!("/users/{ada_id}/tokens"), &root.access).await.json().await.unwrap();
    assert_eq!(list["items"][0]["id"], created["id"]);
    assert!(!list.to_string().contains(&text));
    problem(app.get(&format!("/users/{ada_id}/tokens"), &ada.access).await, 403).await;
    problem(app.get(&format!("/users/{}/tokens", uuid::Uuid::new_v4()), &root.access).await, 404).await;

    let path = format!("/users/{ada_id}/tokens/{}", str_of(&created, "id"));
    problem(app.request(Method::DELETE, &path).bearer_auth(&ada.access).send().await.unwrap(), 403).await;
    assert_eq!(app.request(Method::DELETE, &path).bearer_auth(&root.access).send().await.unwrap().status(), 204);
    problem(app.get("/users/me", &text).await, 401).await;
    let audit: Value = app.get("/audit?type=token.revoked", &root.access).await.json().await.unwrap();
    let event = &audit["items"][0];
    assert_eq!((event["user_id"].as_str(), event["actor_id"].is_string()), (Some(ada_id.as_str()), true), "{audit}");
}

#[tokio::test]
async fn a_stale_session_needs_the_password_to_create_a_token() {
    let app = spawn_app_with(&[("auth.fresh_window_secs", "1")]).await;
    let ada = app.user("ada@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let body = json!({"name": "ci", "scopes": ["profile"]});
    let refused = problem(app.send_json(Method::POST, "/users/me/tokens", Some(&ada.access), &body).await, 422).await;
    assert!(refused["errors"].to_string().contains("current_password"));
    let wrong = json!({"name": "ci", "scopes": ["profile"], "current_password": "not the password"});
    problem(app.send_json(Method::POST, "/users/me/tokens", Some(&ada.access), &wrong).await, 422).await;
    let right = json!({"name": "ci", "scopes": ["profile"], "current_password": PASSWORD});
    assert_eq!(app.send_json(Method::POST, "/users/me/tokens", Some(&ada.access), &right).await.status(), 201);
}

#[tokio::test]
async fn the_fifty_first_live_token_is_refused() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    for _ in 0..50 {
        create(&app, &ada.access, &["profile"], None).await;
    }
    let body = json!({"name": "one too many", "scopes": ["profile"]});
    problem(app.send_json(Method::POST, "/users/me/tokens", Some(&ada.access), &body).await, 409).await;
    // Revoking one makes room for one.
    let list: Value = app.get("/users/me/tokens", &ada.access).await.json().await.unwrap();
    let id = str_of(&list["items"][0], "id");
    assert_eq!(app.request(Method::DELETE, &format!("/users/me/tokens/{id}")).bearer_auth(&ada.access).send().await.unwrap().status(), 204);
    assert_eq!(app.send_json(Method::POST, "/users/me/tokens", Some(&ada.access), &body).await.status(), 201);
}

type Request = Pin<Box<dyn Future<Output = Response> + Send>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creations_at_the_limit_on_two_instances_leave_exactly_fifty() {
    for round in 0..3 {
        let app = Arc::new(spawn_app_with(&[("server.workers", "4")]).await);
        // A second instance on the same database: half the creations go to each.
        let other = Arc::new(app.sibling(&[("server.workers", "4")], |_| {}).await);
        let ada = app.user("ada@example.com").await;
        for _ in 0..45 {
            create(&app, &ada.access, &["profile"], None).await;
        }
        let requests: Vec<Request> = (0..15)
            .map(|n| {
                let (app, access) = (if n % 2 == 0 { app.clone() } else { other.clone() }, ada.access.clone());
                Box::pin(async move {
                    app.send_json(
                        Method::POST,
                        "/users/me/tokens",
                        Some(&access),
                        &json!({"name": format!("racer {n}"), "scopes": ["profile"]}),
                    )
                    .await
                }) as Request
            })
            .collect();
        let statuses: Vec<u16> = at_once(requests).await.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "round {round}: {statuses:?}");
        assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "round {round}: {statuses:?}");
        let list: Value = app.get("/users/me/tokens", &ada.access).await.json().await.unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 50, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_racing_uses_and_another_revocation_on_two_instances_wins_once_and_for_good() {
    for round in 0..4 {
        let first = Arc::new(spawn_app_with(&[("server.workers", "4")]).await);
        // A second instance on the same database: the racers alternate between the two.
        let second = Arc::new(first.sibling(&[("server.workers", "4")], |_| {}).await);
        let app = first.clone();
        let ada = app.user("ada@example.com").await;
        let created = create(&app, &ada.access, &["profile"], None).await;
        let (text, id) = (str_of(&created, "token"), str_of(&created, "id"));
        let mut requests: Vec<Request> = Vec::new();
        for n in 0..10 {
            let app = if n % 2 == 0 { first.clone() } else { second.clone() };
            let (text, access, id) = (text.clone(), ada.access.clone(), id.clone());
            requests.push(Box::pin(async move {
                match n {
                    0 | 1 => app.request(Method::DELETE, &format!("/users/me/tokens/{id}")).bearer_auth(&access).send().await.unwrap(),
                    2 => revoke(&app, &text).await,
                    _ => app.get("/users/me", &text).await,
                }
            }));
        }
        let statuses: Vec<u16> = at_once(requests).await.iter().map(|r| r.status().as_u16()).collect();
        // Of three revocations exactly one found the token live; each use was let in or not.
        let deletes = &statuses[..2];
        assert!(deletes.iter().all(|s| *s == 204 || *s == 404), "round {round}: {statuses:?}");
        assert_eq!(statuses[2], 200, "round {round}: RFC 7009 answers 200 whatever happened");
        assert!(statuses[3..].iter().all(|s| *s == 200 || *s == 401), "round {round}: {statuses:?}");
        problem(app.get("/users/me", &text).await, 401).await;
        let events: Value = app.get("/users/me/events", &ada.access).await.json().await.unwrap();
        let revoked = events["items"].as_array().unwrap().iter().filter(|e| e["type"] == "token.revoked").count();
        assert_eq!(revoked, 1, "round {round}: one revocation happened, one event says so");
    }
}

/// A session and an introspecting service's token.
async fn service(app: &TestApp) -> (Session, String) {
    let owner = app.user("service@example.com").await;
    let token = token(app, &owner.access, &["introspect"]).await;
    (owner, token)
}

#[tokio::test]
async fn introspection_tells_the_truth_about_access_tokens() {
    let app = spawn_app().await;
    let (_, watcher) = service(&app).await;
    let ada = app.user("ada@example.com").await;
    let ada_id = id_of(&app, &ada.access).await;
    let live = introspect(&app, &watcher, &ada.access).await;
    assert_eq!(live["active"], true);
    assert_eq!(live["token_type"], "access_token");
    assert_eq!(live["sub"], ada_id.as_str());
    assert_eq!(live["username"], "ada@example.com");
    assert_eq!((live["iss"].as_str(), live["aud"].as_str()), (Some("gatehouse"), Some("gatehouse")));
    assert_eq!(live["amr"], json!(["pwd"]));
    // The members match the token's own claims.
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(ada.access.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    for claim in ["sub", "sid", "exp", "iat"] {
        assert_eq!(live[claim], claims[claim], "{claim}");
    }

    // Logged out: the signature and exp are still fine, the answer is `active: false` alone.
    let logout = app.post("/auth/logout", &json!({"refresh_token": ada.refresh})).await;
    assert_eq!(logout.status(), 204);
    assert_eq!(introspect(&app, &watcher, &ada.access).await, json!({"active": false}));

    // A deactivated account's live session too.
    let root = app.admin("root@example.com").await;
    let bob = app.user("bob@example.com").await;
    let bob_id = id_of(&app, &bob.access).await;
    assert_eq!(introspect(&app, &watcher, &bob.access).await["active"], true);
    app.send_json(Method::PATCH, &format!("/users/{bob_id}"), Some(&root.access), &json!({"is_active": false})).await;
    assert_eq!(introspect(&app, &watcher, &bob.access).await, json!({"active": false}));

    for garbage in ["", "x", "not.a.jwt", "gatehouse_rt_short", "gatehouse_pat_0000"] {
        if garbage.is_empty() {
            continue;
        }
        assert_eq!(introspect(&app, &watcher, garbage).await, json!({"active": false}), "{garbage}");
    }
}

#[tokio::test]
async fn introspection_of_refresh_tokens_and_personal_access_tokens() {
    let app = spawn_app().await;
    let (owner, watcher) = service(&app).await;
    let ada = app.user("ada@example.com").await;
    let refresh = introspect(&app, &watcher, &ada.refresh).await;
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["token_type"], "refresh_token");
    assert!(refresh["sid"].is_string() && refresh["exp"].is_i64() && refresh.get("username").is_none());
    // Rotated: the old one is not current any more.
    let rotated = app.post("/auth/refresh", &json!({"refresh_token": ada.refresh})).await;
    assert_eq!(rotated.status(), 200);
    assert_eq!(introspect(&app, &watcher, &ada.refresh).await, json!({"active": false}));

    let created = create(&app, &ada.access, &["projects:read", "profile"], Some(3)).await;
    let pat = introspect(&app, &watcher, &str_of(&created, "token")).await;
    assert_eq!(pat["active"], true);
    assert_eq!(pat["token_type"], "personal_access_token");
    assert_eq!(pat["scope"], "profile projects:read");
    let expires = chrono::DateTime::parse_from_rfc3339(&str_of(&created, "expires_at")).unwrap().timestamp();
    assert_eq!(pat["exp"], expires);
    // The watcher's own token is live too; after its revocation the watcher gets 401.
    assert_eq!(introspect(&app, &watcher, &watcher).await["scope"], "introspect");
    let list: Value = app.get("/users/me/tokens", &owner.access).await.json().await.unwrap();
    let id = str_of(&list["items"][0], "id");
    app.request(Method::DELETE, &format!("/users/me/tokens/{id}")).bearer_auth(&owner.access).send().await.unwrap();
    problem(app.request(Method::POST, "/auth/introspect").bearer_auth(&watcher).form(&[("token", "x")]).send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn only_a_token_with_the_introspect_scope_may_introspect() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let send = |caller: Option<String>| {
        let mut request = app.request(Method::POST, "/auth/introspect").form(&[("token", "anything")]);
        if let Some(caller) = caller {
            request = request.bearer_auth(caller);
        }
        request.send()
    };
    problem(send(None).await.unwrap(), 401).await;
    problem(send(Some(ada.access.clone())).await.unwrap(), 401).await;
    let profile = token(&app, &ada.access, &["profile"]).await;
    let refused = send(Some(profile)).await.unwrap();
    insufficient_scope(&refused, Some("introspect"));
    // The request's own mistakes.
    let watcher = token(&app, &ada.access, &["introspect"]).await;
    let no_token = app.request(Method::POST, "/auth/introspect").bearer_auth(&watcher).form(&[("token_type_hint", "access_token")]);
    problem(no_token.send().await.unwrap(), 400).await;
    let json_body = app.send_json(Method::POST, "/auth/introspect", Some(&watcher), &json!({"token": "x"})).await;
    problem(json_body, 415).await;
    let twice = app
        .request(Method::POST, "/auth/introspect")
        .bearer_auth(&watcher)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("token=a&token=b");
    problem(twice.send().await.unwrap(), 400).await;
    // Parameters it does not know are ignored, repeated or not (RFC 6749 §3.2).
    let extra = app
        .request(Method::POST, "/auth/introspect")
        .bearer_auth(&watcher)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("x=1&x=2&token=abc&client_id=svc");
    assert_eq!(extra.send().await.unwrap().json::<Value>().await.unwrap(), json!({"active": false}));
}

#[tokio::test]
async fn introspection_is_not_under_the_per_client_limit_but_revocation_is() {
    let app = spawn_app_with(&[("rate_limit.enabled", "true"), ("rate_limit.per_minute", "1"), ("rate_limit.burst", "3")]).await;
    let ada = app.user("ada@example.com").await;
    let watcher = token(&app, &ada.access, &["introspect"]).await;
    for _ in 0..10 {
        assert_eq!(introspect(&app, &watcher, &ada.access).await["active"], true);
    }
    let statuses: Vec<u16> =
        futures_util::future::join_all((0..5).map(|_| revoke(&app, "unknown"))).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn revocation_ends_a_refresh_tokens_or_an_access_tokens_session_and_a_personal_access_token() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let by_refresh = app.login("ada@example.com").await;
    let response = revoke(&app, &by_refresh.refresh).await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
    problem(app.get("/users/me", &by_refresh.access).await, 401).await;
    assert_eq!(app.post("/auth/refresh", &json!({"refresh_token": by_refresh.refresh})).await.status(), 401);

    let by_access = app.login("ada@example.com").await;
    assert_eq!(revoke(&app, &by_access.access).await.status(), 200);
    problem(app.get("/users/me", &by_access.access).await, 401).await;
    assert_eq!(app.post("/auth/refresh", &json!({"refresh_token": by_access.refresh})).await.status(), 401);

    let text = token(&app, &ada.access, &["profile"]).await;
    assert_eq!(revoke(&app, &text).await.status(), 200);
    problem(app.get("/users/me", &text).await, 401).await;

    // Unknown tokens and hints change nothing and are no error; a missing token is.
    for unknown in ["unknown", "gatehouse_pat_x", &text, "a.b.c"] {
        assert_eq!(revoke(&app, unknown).await.status(), 200);
    }
    let hinted = app.request(Method::POST, "/auth/revoke").form(&[("token", "x"), ("token_type_hint", "something_else")]);
    assert_eq!(hinted.send().await.unwrap().status(), 200);
    problem(app.request(Method::POST, "/auth/revoke").form(&[("token_type_hint", "access_token")]).send().await.unwrap(), 400).await;
    // Ada's first session is untouched.
    assert_eq!(app.get("/users/me", &ada.access).await.status(), 200);
}
