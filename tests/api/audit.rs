//! The audit log: login events in `/users/me/events` and the admin's `/audit`, with client
//! address and agent, filters, and no secret anywhere in an event.

use crate::helpers::{PASSWORD, Session, TestApp, invalid_fields, problem, spawn_app, spawn_app_with, str_of};
use crate::races::at_once;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

async fn events(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

fn types(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|e| str_of(e, "type")).collect()
}

async fn login_with_agent(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.request(Method::POST, "/auth/login")
        .header("user-agent", "audit-test/1.0")
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn logins_are_the_owners_events_newest_first_with_address_agent_and_session() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    assert_eq!(login_with_agent(&app, "ada@example.com", "a wrong password").await.status(), 401);
    let signed_in: Value = login_with_agent(&app, "ada@example.com", PASSWORD).await.json().await.unwrap();
    let access = str_of(&signed_in, "access_token");

    let page = events(&app, "/users/me/events", &access).await;
    assert_eq!(types(&page), ["login.succeeded", "login.failed", "user.registered"]);
    assert_eq!(page["total"], 3);
    let me: Value = app.get("/users/me", &access).await.json().await.unwrap();
    let sessions: Value = app.get("/users/me/sessions", &access).await.json().await.unwrap();
    let succeeded = &page["items"][0];
    assert_eq!(succeeded["user_id"], me["id"]);
    assert_eq!(succeeded["session_id"], sessions["items"][0]["id"], "the session the login opened");
    assert_eq!(succeeded["ip"], "127.0.0.1");
    assert_eq!(succeeded["user_agent"], "audit-test/1.0");
    assert!(succeeded["actor_id"].is_null());
    assert_eq!(succeeded["detail"], serde_json::json!({"method": "password", "amr": ["pwd"]}), "v1.2: the method and the amr");
    let failed = &page["items"][1];
    assert_eq!(failed["user_id"], me["id"]);
    assert!(failed["session_id"].is_null());
    // RFC 3339 in UTC, newest first.
    assert!(str_of(succeeded, "at") >= str_of(failed, "at") && str_of(failed, "at").ends_with('Z'));

    // Another account's events are not Ada's.
    let bob = app.user("bob@example.com").await;
    assert_eq!(types(&events(&app, "/users/me/events", &bob.access).await), ["login.succeeded", "user.registered"]);
}

/// A login writes its session, its refresh token and its event together (on PostgreSQL as one
/// statement): many logins of one account at once each keep their session and exactly one
/// event naming it, none lost or shared.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_at_once_each_keep_their_session_and_its_event() {
    let app = spawn_app().await;
    for round in 0..4 {
        let email = format!("ada{round}@example.com");
        app.register(&email).await;
        let body = serde_json::json!({"email": email, "password": PASSWORD});
        let logins = (0..12)
            .map(|_| {
                let sent = app.request(Method::POST, "/auth/login").json(&body).send();
                Box::pin(async move { sent.await.unwrap() }) as _
            })
            .collect::<Vec<_>>();
        let mut access = String::new();
        for answer in at_once(logins).await {
            assert_eq!(answer.status(), 200, "round {round}");
            access = str_of(&answer.json().await.unwrap(), "access_token");
        }
        let sessions: Value = app.get("/users/me/sessions?limit=100", &access).await.json().await.unwrap();
        let opened = sessions["items"].as_array().unwrap().iter().map(|s| str_of(s, "id")).collect::<BTreeSet<_>>();
        let page = events(&app, "/users/me/events?limit=100", &access).await;
        let logins = page["items"].as_array().unwrap().iter().filter(|e| e["type"] == "login.succeeded");
        let named = logins.map(|e| str_of(e, "session_id")).collect::<Vec<_>>();
        assert_eq!(opened.len(), 12, "round {round}: {sessions}");
        assert_eq!(named.len(), 12, "round {round}: one event per login");
        assert_eq!(named.into_iter().collect::<BTreeSet<_>>(), opened, "round {round}: each event names its own session");
    }
}

#[tokio::test]
async fn the_admin_sees_every_event_with_filters_and_others_are_refused() {
    let app = spawn_app_with(&[("rate_limit.failed_logins_per_account", "1")]).await;
    let admin: Session = app.admin("root@example.com").await;
    app.register("ada@example.com").await;
    assert_eq!(app.login_as("ada@example.com", "wrong one").await.status(), 401);
    assert_eq!(app.login_as("ada@example.com", "wrong two").await.status(), 429);
    assert_eq!(app.login_as("nobody@example.com", "whatever it is").await.status(), 401);

    let all = events(&app, "/audit", &admin.access).await;
    assert_eq!(types(&all), ["login.failed", "login.locked", "login.failed", "user.registered", "login.succeeded", "admin.created"]);
    assert!(all["items"][0]["user_id"].is_null(), "an unknown email names no account");
    let ada = all["items"][1]["user_id"].as_str().unwrap().to_owned();
    assert_eq!(all["items"][2]["user_id"], ada.as_str());

    let of_ada = events(&app, &format!("/audit?user_id={ada}"), &admin.access).await;
    assert_eq!(types(&of_ada), ["login.locked", "login.failed", "user.registered"]);
    let failed = events(&app, "/audit?type=login.failed", &admin.access).await;
    assert_eq!(failed["total"], 2);
    let paged = events(&app, "/audit?limit=1&offset=1", &admin.access).await;
    assert_eq!((types(&paged), paged["total"].clone()), (vec!["login.locked".to_owned()], 6.into()));
    let future = events(&app, "/audit?since=2999-01-01T00:00:00Z", &admin.access).await;
    assert_eq!(future["total"], 0);
    let past = events(&app, "/audit?until=2000-01-01t00:00:00z", &admin.access).await;
    assert_eq!(past["total"], 0, "lower-case t and z are RFC 3339 too");

    let bad = app.get("/audit?user_id=nope&type=login.maybe&since=yesterday", &admin.access).await;
    let mut fields = invalid_fields(bad).await;
    fields.sort();
    assert_eq!(fields, ["since", "type", "user_id"]);
    let ordinary = app.user("bob@example.com").await;
    problem(app.get("/audit", &ordinary.access).await, 403).await;
    problem(app.request(Method::GET, "/audit").send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn no_event_holds_a_password_hash_or_token() {
    let app = spawn_app().await;
    let admin = app.admin("root@example.com").await;
    let ada = app.user("ada@example.com").await;
    assert_eq!(app.login_as("ada@example.com", "the wrong secret 1").await.status(), 401);
    // Every kind of write an account sees, each with a password of its own to look for.
    let body = serde_json::json!({"current_password": PASSWORD, "new_password": "the new secret 2"});
    assert_eq!(app.send_json(Method::POST, "/users/me/password", Some(&ada.access), &body).await.status(), 204);
    let body = serde_json::json!({"email": "ada2@example.com", "current_password": "the new secret 2"});
    assert_eq!(app.send_json(Method::PATCH, "/users/me", Some(&ada.access), &body).await.status(), 200);
    let change = app.link_token("ada2@example.com").await;
    assert_eq!(app.post("/auth/email-change/confirm", &serde_json::json!({"token": change})).await.status(), 204);
    // The emailed flows, each link a secret of its own.
    let first = app.mail_to("ada@example.com").await.remove(0).1;
    let verify = first[first.find("token=").unwrap() + 6..].split_whitespace().next().unwrap().to_owned();
    assert_eq!(app.post("/auth/password-reset", &serde_json::json!({"email": "ada2@example.com"})).await.status(), 202);
    app.await_mail("ada2@example.com", 2).await;
    let reset = app.link_token("ada2@example.com").await;
    let body = serde_json::json!({"token": reset, "new_password": "the reset secret 3"});
    assert_eq!(app.post("/auth/password-reset/confirm", &body).await.status(), 204);
    let bob = app.user("bob@example.com").await;
    let bob_verify = app.link_token("bob@example.com").await;
    assert_eq!(app.post("/auth/verify-email", &serde_json::json!({"token": bob_verify})).await.status(), 204);
    let bob_id: Value = app.get("/users/me", &bob.access).await.json().await.unwrap();
    let path = format!("/users/{}", str_of(&bob_id, "id"));
    assert_eq!(app.send_json(Method::PATCH, &path, Some(&admin.access), &serde_json::json!({"is_active": false})).await.status(), 200);
    assert_eq!(app.request(Method::DELETE, &path).bearer_auth(&admin.access).send().await.unwrap().status(), 204);
    let text = app.get("/audit?limit=100", &admin.access).await.text().await.unwrap();
    for kind in [
        "login.succeeded",
        "login.failed",
        "password.changed",
        "email.change_requested",
        "email.changed",
        "password.reset_requested",
        "password.reset",
        "email.verified",
        "user.updated",
        "user.deleted",
        "admin.created",
    ] {
        assert!(text.contains(kind), "{kind} missing: {text}");
    }
    let secrets = [
        PASSWORD,
        "the wrong secret 1",
        "the new secret 2",
        "the reset secret 3",
        &ada.access,
        &ada.refresh,
        &admin.refresh,
        &bob.refresh,
        &change,
        &verify,
        &reset,
        &bob_verify,
        "gatehouse_lt_",
        "$2b$",
        "$argon2",
    ];
    for secret in secrets {
        assert!(!text.contains(secret), "an event holds {secret:?}: {text}");
    }
}

/// The event of `kind` on the first page of `path`.
fn find<'a>(page: &'a Value, kind: &str) -> &'a Value {
    page["items"].as_array().unwrap().iter().find(|e| e["type"] == kind).unwrap_or_else(|| panic!("no {kind} in {page}"))
}

#[tokio::test]
async fn account_changes_by_the_owner_and_by_an_admin_are_events_of_the_account() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let created: Value = events(&app, "/users/me/events", &root.access).await;
    assert_eq!(find(&created, "admin.created")["detail"], serde_json::json!({"promoted": false}));

    let registered = app.register("ada@example.com").await;
    let ada_id = str_of(&registered, "id");
    let ada = app.login("ada@example.com").await;
    let other = app.login("ada@example.com").await;
    let new_password = "a brand new password";
    let changed = app
        .send_json(
            Method::POST,
            "/users/me/password",
            Some(&ada.access),
            &serde_json::json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;
    assert_eq!(changed.status(), 204);
    assert_eq!(app.get("/users/me", &other.access).await.status(), 401, "the other session ended with the old password");
    let moved = app
        .send_json(
            Method::PATCH,
            "/users/me",
            Some(&ada.access),
            &serde_json::json!({"email": "ada2@example.com", "current_password": new_password}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let confirm = serde_json::json!({"token": app.link_token("ada2@example.com").await});
    assert_eq!(app.post("/auth/email-change/confirm", &confirm).await.status(), 204);
    let renamed = app.send_json(Method::PATCH, "/users/me", Some(&ada.access), &serde_json::json!({"name": "Ada L."})).await;
    assert_eq!(renamed.status(), 200);

    let own = events(&app, "/users/me/events", &ada.access).await;
    let changes: Vec<String> = types(&own).into_iter().filter(|t| !t.starts_with("login.")).collect();
    assert_eq!(
        changes,
        ["email.changed", "email.change_requested", "password.changed", "user.registered"],
        "a new name is no security event"
    );
    let sessions: Value = app.get("/users/me/sessions", &ada.access).await.json().await.unwrap();
    assert_eq!(find(&own, "password.changed")["session_id"], sessions["items"][0]["id"], "made in the session that stayed");
    assert_eq!(find(&own, "user.registered")["user_id"], ada_id.as_str());

    // The admin's changes name the admin as the actor and what was changed, never the admin's session.
    let path = format!("/users/{ada_id}");
    let update = serde_json::json!({"role": "admin", "is_active": true, "name": "Ada"});
    assert_eq!(app.send_json(Method::PATCH, &path, Some(&root.access), &update).await.status(), 200);
    let same = serde_json::json!({"role": "admin"});
    assert_eq!(app.send_json(Method::PATCH, &path, Some(&root.access), &same).await.status(), 200);
    let updated = events(&app, &format!("/audit?user_id={ada_id}&type=user.updated"), &root.access).await;
    assert_eq!(updated["total"], 1, "a change to what is stored already records nothing");
    let event = &updated["items"][0];
    assert_eq!(event["detail"], serde_json::json!({"is_active": true, "name": true, "role": "admin"}));
    let root_me: Value = app.get("/users/me", &root.access).await.json().await.unwrap();
    assert_eq!(event["actor_id"], root_me["id"]);
    assert!(event["session_id"].is_null());

    assert_eq!(app.request(Method::DELETE, &path).bearer_auth(&root.access).send().await.unwrap().status(), 204);
    let deleted = events(&app, &format!("/audit?user_id={ada_id}&type=user.deleted"), &root.access).await;
    assert_eq!((deleted["total"].clone(), deleted["items"][0]["actor_id"].clone()), (1.into(), root_me["id"].clone()));

    // An owner deleting their own account is the actor of nothing but their own event.
    let bob = app.user("bob@example.com").await;
    let gone = app.send_json(Method::DELETE, "/users/me", Some(&bob.access), &serde_json::json!({"current_password": PASSWORD})).await;
    assert_eq!(gone.status(), 204);
    let all_deleted = events(&app, "/audit?type=user.deleted", &root.access).await;
    assert_eq!(all_deleted["total"], 2);
    assert!(all_deleted["items"][0]["actor_id"].is_null() && all_deleted["items"][0]["user_id"].is_string());
}

#[tokio::test]
async fn an_admins_address_and_browser_stay_out_of_the_owners_view() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let ada = app.user("ada@example.com").await;
    let me: Value = app.get("/users/me", &ada.access).await.json().await.unwrap();
    let ada_id = me["id"].as_str().unwrap().to_owned();
    // The admin acts from their own address and browser.
    let update = app
        .request(Method::PATCH, &format!("/users/{ada_id}"))
        .bearer_auth(&root.access)
        .header("user-agent", "admin-console/9.9")
        .header("x-forwarded-for", "198.51.100.23")
        .json(&serde_json::json!({"name": "Ada L."}))
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 200);

    let owner = events(&app, "/users/me/events", &ada.access).await;
    let seen = owner["items"].as_array().unwrap().iter().find(|e| e["type"] == "user.updated").expect("the owner sees the change");
    assert!(seen["ip"].is_null() && seen["user_agent"].is_null(), "the owner sees the admin's client: {seen}");
    assert!(seen["actor_id"].is_string(), "the owner still learns an admin acted: {seen}");
    // The owner's own events keep their own client.
    let login = owner["items"].as_array().unwrap().iter().find(|e| e["type"] == "login.succeeded").unwrap();
    assert_eq!(login["ip"], "127.0.0.1");

    let admin_view = events(&app, &format!("/audit?user_id={ada_id}&type=user.updated"), &root.access).await;
    assert_eq!(admin_view["items"][0]["user_agent"], "admin-console/9.9", "/audit keeps the admin's browser");
    assert_eq!(admin_view["items"][0]["ip"], "127.0.0.1", "/audit keeps the admin's address");
}

#[tokio::test]
async fn session_endings_are_the_owners_events() {
    let app = spawn_app().await;
    let keeper = app.user("ada@example.com").await;
    // A refresh is not an event; presenting its old token again is, and ends that session.
    let stolen = app.login("ada@example.com").await;
    let rotated = app.post("/auth/refresh", &serde_json::json!({"refresh_token": stolen.refresh})).await;
    assert_eq!(rotated.status(), 200);
    assert_eq!(app.post("/auth/refresh", &serde_json::json!({"refresh_token": stolen.refresh})).await.status(), 401);
    // A logout, and one session revoked by id.
    let logged_out = app.login("ada@example.com").await;
    assert_eq!(app.post("/auth/logout", &serde_json::json!({"refresh_token": logged_out.refresh})).await.status(), 204);
    let revoked = app.login("ada@example.com").await;
    let revoked_id: Value = app.get("/users/me/sessions", &revoked.access).await.json().await.unwrap();
    let revoked_id = revoked_id["items"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap()["id"].clone();
    let path = format!("/users/me/sessions/{}", revoked_id.as_str().unwrap());
    assert_eq!(app.request(Method::DELETE, &path).bearer_auth(&keeper.access).send().await.unwrap().status(), 204);
    // Logging out a session already ended records nothing more.
    assert_eq!(app.post("/auth/logout", &serde_json::json!({"refresh_token": logged_out.refresh})).await.status(), 204);

    let page = events(&app, "/users/me/events", &keeper.access).await;
    let ended: Vec<String> = types(&page).into_iter().filter(|t| !t.starts_with("login.") && t != "user.registered").collect();
    assert_eq!(ended, ["session.revoked", "logout", "refresh.reused"]);
    let revoked_event = page["items"].as_array().unwrap().iter().find(|e| e["type"] == "session.revoked").unwrap();
    assert_eq!(revoked_event["session_id"], revoked_id);

    assert_eq!(app.request(Method::POST, "/auth/logout-all").bearer_auth(&keeper.access).send().await.unwrap().status(), 204);
    let admin = app.admin("root@example.com").await;
    let all = events(&app, "/audit?type=logout_all", &admin.access).await;
    assert_eq!(all["total"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_presented_many_times_at_once_is_one_theft() {
    let app = std::sync::Arc::new(spawn_app().await);
    let admin = app.admin("root@example.com").await;
    for round in 0..5 {
        let email = format!("ada{round}@example.com");
        let session = app.user(&email).await;
        let me: Value = app.get("/users/me", &session.access).await.json().await.unwrap();
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
        let racers: Vec<_> = (0..8)
            .map(|_| {
                let (app, barrier, token) = (app.clone(), barrier.clone(), session.refresh.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    app.post("/auth/refresh", &serde_json::json!({"refresh_token": token})).await.status().as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for racer in racers {
            statuses.push(racer.await.unwrap());
        }
        let page = events(&app, "/audit?type=refresh.reused&limit=100", &admin.access).await;
        let thefts = page["items"].as_array().unwrap().iter().filter(|e| e["user_id"] == me["id"]).count();
        // One racer rotates; the others present a token that is no longer current, and the
        // session is revoked once: one theft, however many saw it.
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "round {round}: {statuses:?}");
        assert_eq!(thefts, 1, "round {round}: {statuses:?}");
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_event_has_the_forwarded_address_and_never_a_spoofed_one() {
    let app = crate::helpers::spawn_app_configured(&[], |s| s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    app.register("ada@example.com").await;
    let forwarded = |chain: &'static str| {
        app.request(Method::POST, "/auth/login")
            .header("x-forwarded-for", chain)
            .json(&serde_json::json!({"email": "ada@example.com", "password": PASSWORD}))
            .send()
    };
    let signed_in: Value = forwarded("198.51.100.1, 203.0.113.7").await.unwrap().json().await.unwrap();
    let page = events(&app, "/users/me/events", &str_of(&signed_in, "access_token")).await;
    // The right-most address the trusted proxy saw; the left-most is whatever the client sent.
    assert_eq!(page["items"][0]["ip"], "203.0.113.7");
}
