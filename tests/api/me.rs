use crate::helpers::{PASSWORD, invalid_fields, problem, spawn_app, spawn_app_with};
use domain::{AuditEvent, AuditFilter, AuditLog, PageRequest, Session, SessionRepository, User, UserId, UserRepository};
use futures_util::future::join_all;
use infra_diesel::DieselStore;
use reqwest::Method;
use serde_json::{Value, json};

/// Everything a read of the account could be tempted to write: the account, its sessions (a
/// "last seen" time), the audit log (an event).
fn what_is_stored(store: &DieselStore, id: UserId) -> (Option<User>, Vec<Session>, Vec<AuditEvent>) {
    let page = PageRequest::new(Some(100), None).expect("page");
    let user = UserRepository::find(store, id).expect("user reads");
    let sessions = store.list_live(id, chrono::Utc::now(), page).expect("sessions read").items;
    let events = AuditLog::list(store, &AuditFilter::default(), page).expect("events read").items;
    (user, sessions, events)
}

/// The hot read writes nothing: many reads of the account at once, with its sessions and its
/// events, leave what is stored exactly as it was (issue 14: an audit log must not cost
/// `/users/me` a write).
#[tokio::test]
async fn reading_the_account_writes_nothing() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let me: Value = app.get("/users/me", &ada.access).await.json().await.unwrap();
    let id: UserId = me["id"].as_str().unwrap().parse().unwrap();
    let store = app.store();
    let read = move || {
        let store = store.clone();
        async move { tokio::task::spawn_blocking(move || what_is_stored(&store, id)).await.unwrap() }
    };
    let before = read().await;
    assert_eq!(before.1.len(), 1, "the session of the sign-in");
    assert!(!before.2.is_empty(), "registered and signed in");

    let paths = ["/users/me", "/users/me/sessions", "/users/me/events"];
    let reads = (0..60).map(|i| app.get(paths[i % paths.len()], &ada.access));
    for answer in join_all(reads).await {
        assert_eq!(answer.status(), 200);
    }
    assert_eq!(read().await, before, "reads changed what is stored");
}

#[tokio::test]
async fn me_returns_the_caller() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let me: Value = app.get("/users/me", &session.access).await.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.com");
    assert!(me.get("password").is_none() && me.get("password_hash").is_none());
}

#[tokio::test]
async fn patching_the_name_works_and_a_role_in_the_body_changes_nothing() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let response = app.send_json(Method::PATCH, "/users/me", Some(&session.access), &json!({"name": "Ada L.", "role": "admin"})).await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!((me["name"].as_str(), me["role"].as_str()), (Some("Ada L."), Some("user")));
    let empty = app.send_json(Method::PATCH, "/users/me", Some(&session.access), &json!({})).await;
    assert_eq!(empty.json::<Value>().await.unwrap(), me);
}

#[tokio::test]
async fn changing_the_email_needs_the_right_current_password() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    app.register("bob@example.com").await;
    let patch = async |body: Value| app.send_json(Method::PATCH, "/users/me", Some(&session.access), &body).await;
    assert_eq!(invalid_fields(patch(json!({"email": "new@example.com"})).await).await, ["current_password"]);
    assert_eq!(invalid_fields(patch(json!({"email": "new@example.com", "current_password": "wrong"})).await).await, ["current_password"]);
    problem(patch(json!({"email": "bob@example.com", "current_password": PASSWORD})).await, 409).await;
    let ok: Value = patch(json!({"email": "New@Example.com", "current_password": PASSWORD})).await.json().await.unwrap();
    assert_eq!((ok["email"].as_str(), ok["pending_email"].as_str()), (Some("ada@example.com"), Some("new@example.com")));
    assert_eq!(app.login_as("new@example.com", PASSWORD).await.status(), 401, "not before the new address confirms");
    let confirm = json!({"token": app.link_token("new@example.com").await});
    assert_eq!(app.post("/auth/email-change/confirm", &confirm).await.status(), 204);
    assert_eq!(app.login_as("new@example.com", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn null_is_refused_where_a_field_cannot_be_cleared() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let response = app.send_json(Method::PATCH, "/users/me", Some(&session.access), &json!({"name": null})).await;
    assert_eq!(invalid_fields(response).await, ["name"]);
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let current = app.user("ada@example.com").await;
    let other = app.login("ada@example.com").await;
    let change = async |body: Value| app.send_json(Method::POST, "/users/me/password", Some(&current.access), &body).await;
    assert_eq!(
        invalid_fields(change(json!({"current_password": "wrong", "new_password": "another secret"})).await).await,
        ["current_password"]
    );
    assert_eq!(invalid_fields(change(json!({"current_password": PASSWORD, "new_password": "short"})).await).await, ["new_password"]);
    assert_eq!(change(json!({"current_password": PASSWORD, "new_password": "another secret"})).await.status(), 204);
    assert_eq!(app.get("/users/me", &current.access).await.status(), 200);
    assert_eq!(app.get("/users/me", &other.access).await.status(), 401);
    assert_eq!(app.login_as("ada@example.com", PASSWORD).await.status(), 401);
    assert_eq!(app.login_as("ada@example.com", "another secret").await.status(), 200);
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_removes_what_it_owns() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let project = app.create_project(&session.access, "mine").await;
    let delete = async |password: &str| {
        app.send_json(Method::DELETE, "/users/me", Some(&session.access), &json!({"current_password": password})).await
    };
    assert_eq!(invalid_fields(delete("wrong").await).await, ["current_password"]);
    assert_eq!(delete(PASSWORD).await.status(), 204);
    assert_eq!(app.get("/users/me", &session.access).await.status(), 401);
    assert_eq!(app.login_as("ada@example.com", PASSWORD).await.status(), 401);
    // The email is free again and the new account sees nothing of the old one.
    let fresh = app.user("ada@example.com").await;
    let id = project["id"].as_str().unwrap();
    problem(app.get(&format!("/projects/{id}"), &fresh.access).await, 404).await;
}

#[tokio::test]
async fn a_user_agent_beyond_ascii_is_kept_cleaned_not_dropped() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    // ISO-8859-1 "café", a C1 control (NEL) and a tab, as some old clients send them.
    let agent = reqwest::header::HeaderValue::from_bytes(b"caf\xe9\x85 browser\t/1").unwrap();
    let login = app
        .request(Method::POST, "/auth/login")
        .header("user-agent", agent)
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "the request is served");
    let access = login.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let page: Value = app.get("/users/me/sessions", &access).await.json().await.unwrap();
    assert_eq!(page["items"][0]["user_agent"], "café browser/1", "stored cleaned: {page}");
}

#[tokio::test]
async fn the_session_list_marks_the_current_session_and_one_can_be_revoked() {
    let app = spawn_app().await;
    let current = app.user("ada@example.com").await;
    let other = app
        .request(Method::POST, "/auth/login")
        .header("user-agent", "phone/1.0")
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let other: Value = other.json().await.unwrap();
    let page: Value = app.get("/users/me/sessions", &current.access).await.json().await.unwrap();
    assert_eq!((page["total"].as_u64(), page["limit"].as_u64(), page["offset"].as_u64()), (Some(2), Some(20), Some(0)));
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let phone = items.iter().find(|s| s["user_agent"] == "phone/1.0").expect("the phone session");
    assert_eq!(phone["current"], false);
    let id = phone["id"].as_str().unwrap();
    let bob = app.user("bob@example.com").await;
    let path = format!("/users/me/sessions/{id}");
    problem(app.request(Method::DELETE, &path).bearer_auth(&bob.access).send().await.unwrap(), 404).await;
    assert_eq!(app.request(Method::DELETE, &path).bearer_auth(&current.access).send().await.unwrap().status(), 204);
    assert_eq!(app.get("/users/me", other["access_token"].as_str().unwrap()).await.status(), 401);
    problem(app.request(Method::DELETE, "/users/me/sessions/not-a-uuid").bearer_auth(&current.access).send().await.unwrap(), 400).await;
}

#[tokio::test]
async fn the_user_resource_says_whether_the_address_is_verified_and_what_change_is_pending() {
    let app = spawn_app().await;
    let registered = app.register("ada@example.com").await;
    assert_eq!((registered["email_verified"].clone(), registered["pending_email"].clone()), (false.into(), Value::Null));
    let admin = app.admin("root@example.com").await;
    let root: Value = app.get("/users/me", &admin.access).await.json().await.unwrap();
    assert_eq!(root["email_verified"], true, "the operator vouches for a command-line admin");
    let body = json!({"email": "root2@example.com", "current_password": PASSWORD});
    let waiting: Value = app.send_json(Method::PATCH, "/users/me", Some(&admin.access), &body).await.json().await.unwrap();
    assert_eq!((waiting["email"].clone(), waiting["pending_email"].clone()), ("root@example.com".into(), "root2@example.com".into()));
    let confirm = json!({"token": app.link_token("root2@example.com").await});
    assert_eq!(app.post("/auth/email-change/confirm", &confirm).await.status(), 204);
    let moved: Value = app.get("/users/me", &admin.access).await.json().await.unwrap();
    assert_eq!(
        (moved["email"].clone(), moved["pending_email"].clone(), moved["email_verified"].clone()),
        ("root2@example.com".into(), Value::Null, true.into()),
        "the link reached the new address"
    );

    // `auth.email_change = "immediate"` is v1: the address changes at once, unverified.
    let app = spawn_app_with(&[("auth.email_change", "immediate")]).await;
    let ada = app.user("ada@example.com").await;
    let body = json!({"email": "ada2@example.com", "current_password": PASSWORD});
    let moved: Value = app.send_json(Method::PATCH, "/users/me", Some(&ada.access), &body).await.json().await.unwrap();
    assert_eq!(
        (moved["email"].clone(), moved["pending_email"].clone(), moved["email_verified"].clone()),
        ("ada2@example.com".into(), Value::Null, false.into())
    );
    assert!(app.mail_to("ada2@example.com").await.is_empty(), "no mail in immediate mode");
}
