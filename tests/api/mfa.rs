//! Two-step sign-in over HTTP, with TOTP codes computed here by an RFC 6238 implementation of
//! the test's own (HMAC-SHA1 from the `hmac` and `sha1` crates, not the server's `totp-rs`):
//! enrolment from the `otpauth://` URI, the second step, no code twice (also racing on two
//! instances), recovery codes, the token endpoint's grant, an admin's reset,
//! `require_mfa_for_admins`, the fresh rule, the password policy, and no secret in the database.

use crate::helpers::{PASSWORD, Session, TestApp, invalid_fields, spawn_app, spawn_app_with, str_of};
use crate::races::at_once;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// RFC 4648 base32, no padding.
fn base32_decode(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0, 0_u32, Vec::new());
    for c in text.trim_end_matches('=').bytes() {
        value = (value << 5) | alphabet.iter().position(|a| *a == c).expect("a base32 character") as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

/// RFC 6238 (SHA-1, 6 digits, 30 s) for the step `offset` steps from now.
pub(crate) fn totp(secret_base32: &str, offset: i64) -> String {
    let step = chrono::Utc::now().timestamp().div_euclid(30) + offset;
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(&base32_decode(secret_base32)).unwrap();
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let at = usize::from(hash[19] & 0x0f);
    let number = u32::from_be_bytes([hash[at] & 0x7f, hash[at + 1], hash[at + 2], hash[at + 3]]);
    format!("{:06}", number % 1_000_000)
}

/// The `amr` claim of an access token.
pub(crate) fn amr_of(access: &str) -> Vec<String> {
    let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(access.split('.').nth(1).unwrap()).unwrap()).unwrap();
    payload["amr"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()).collect()
}

/// Turns two-step sign-in on for `session` (fresh: no password needed); its secret and codes.
pub(crate) async fn enable(app: &TestApp, session: &Session, email: &str) -> (String, Vec<String>) {
    let enrolment = app.request(Method::POST, "/users/me/mfa/totp").bearer_auth(&session.access).send().await.unwrap();
    assert_eq!(enrolment.status(), 201);
    let enrolment: Value = enrolment.json().await.unwrap();
    let uri = str_of(&enrolment, "otpauth_uri");
    let secret = uri.split("secret=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    assert_eq!(secret, str_of(&enrolment, "secret"));
    let label = email.replace('@', "%40");
    assert_eq!(uri, format!("otpauth://totp/Gatehouse:{label}?secret={secret}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30"));
    assert!(base32_decode(&secret).len() >= 20, "at least 160 bits");
    assert!(str_of(&enrolment, "qr_svg").starts_with("<?xml") || str_of(&enrolment, "qr_svg").contains("<svg"));
    let confirmed =
        app.send_json(Method::POST, "/users/me/mfa/totp/confirm", Some(&session.access), &json!({"code": totp(&secret, 0)})).await;
    assert_eq!(confirmed.status(), 200);
    let codes: Value = confirmed.json().await.unwrap();
    let codes: Vec<String> = codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    (secret, codes)
}

/// The first step of a sign-in with two-step sign-in on: its `mfa-required` answer's token.
async fn first_step(app: &TestApp, email: &str) -> String {
    let answer = app.login_as(email, PASSWORD).await;
    assert_eq!(answer.status(), 403);
    assert!(answer.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["type"], "urn:gatehouse:mfa-required");
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none(), "{body}");
    str_of(&body, "mfa_token")
}

async fn second_step(app: &TestApp, token: &str, code: &str) -> Response {
    app.post("/auth/login/mfa", &json!({"mfa_token": token, "code": code})).await
}

#[tokio::test]
async fn a_password_alone_gets_no_token_and_the_second_step_signs_in() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let (secret, codes) = enable(&app, &ada, "ada@example.com").await;
    assert_eq!(codes.len(), 10);
    let status: Value = app.get("/users/me/mfa", &ada.access).await.json().await.unwrap();
    assert_eq!((status["totp"].clone(), status["recovery_codes_left"].clone()), (json!(true), json!(10)));

    let answer = app.login_as("ada@example.com", PASSWORD).await;
    let body: Value = answer.json().await.unwrap();
    assert!(str_of(&body, "mfa_token").starts_with("gatehouse_mt_"));
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    assert_eq!(body["expires_in"], 300);

    // The confirming code's step is used up: the next step's code (accepted a step early).
    let signed_in = second_step(&app, &str_of(&body, "mfa_token"), &totp(&secret, 1)).await;
    assert_eq!(signed_in.status(), 200);
    let tokens: Value = signed_in.json().await.unwrap();
    assert_eq!(amr_of(&str_of(&tokens, "access_token")), ["pwd", "otp", "mfa"]);
    let refreshed: Value =
        app.post("/auth/refresh", &json!({"refresh_token": str_of(&tokens, "refresh_token")})).await.json().await.unwrap();
    assert_eq!(amr_of(&str_of(&refreshed, "access_token")), ["pwd", "otp", "mfa"], "a refresh keeps the session's amr");
    // The confirming session was kept; the next refresh carries mfa.
    let kept: Value = app.post("/auth/refresh", &json!({"refresh_token": ada.refresh})).await.json().await.unwrap();
    assert_eq!(amr_of(&str_of(&kept, "access_token")), ["pwd", "otp", "mfa"]);
}

#[tokio::test]
async fn a_code_works_once_and_five_wrong_codes_end_the_mfa_token() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let (secret, _) = enable(&app, &ada, "ada@example.com").await;
    let code = totp(&secret, 1);
    assert_eq!(second_step(&app, &first_step(&app, "ada@example.com").await, &code).await.status(), 200);
    assert_eq!(second_step(&app, &first_step(&app, "ada@example.com").await, &code).await.status(), 401, "replayed");

    let token = first_step(&app, "ada@example.com").await;
    for _ in 0..5 {
        assert_eq!(second_step(&app, &token, "000000").await.status(), 401);
    }
    let dead = second_step(&app, &token, &totp(&secret, 0)).await;
    assert_eq!(dead.status(), 401, "the token died after five wrong codes");
    let failed: Value = app.get("/users/me/events", &ada.access).await.json().await.unwrap();
    assert!(failed["items"].as_array().unwrap().iter().filter(|e| e["type"] == "mfa.failed").count() >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_second_steps_racing_with_one_code_on_two_instances_sign_in_once() {
    let app = Arc::new(spawn_app().await);
    let other = Arc::new(app.sibling(&[], |_| {}).await);
    for round in 0..5 {
        let email = format!("racer{round}@example.com");
        let session = app.user(&email).await;
        let (secret, _) = enable(&app, &session, &email).await;
        let (one, two) = (first_step(&app, &email).await, first_step(&other, &email).await);
        let code = totp(&secret, 1);
        let requests = [(app.clone(), one), (other.clone(), two)]
            .into_iter()
            .map(|(server, token)| {
                let code = code.clone();
                Box::pin(async move { second_step(&server, &token, &code).await }) as Pin<Box<dyn Future<Output = Response> + Send>>
            })
            .collect();
        let statuses: Vec<u16> = at_once(requests).await.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "round {round}: {statuses:?}");
        assert!(statuses.contains(&401), "round {round}: {statuses:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_recovery_code_racing_itself_signs_in_once_and_the_owner_is_told() {
    let app = Arc::new(spawn_app().await);
    let ada = app.user("ada@example.com").await;
    let (_, codes) = enable(&app, &ada, "ada@example.com").await;
    for (round, code) in codes.iter().take(4).enumerate() {
        let mut requests = Vec::new();
        for _ in 0..4 {
            let (app, token, code) = (app.clone(), first_step(&app, "ada@example.com").await, code.clone());
            requests
                .push(Box::pin(async move { second_step(&app, &token, &code).await }) as Pin<Box<dyn Future<Output = Response> + Send>>);
        }
        let statuses: Vec<u16> = at_once(requests).await.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "round {round}: {statuses:?}");
    }
    let mail = app.mail_to("ada@example.com").await;
    assert_eq!(mail.iter().filter(|(subject, _)| subject == "A recovery code of your account was used").count(), 4);
}

#[tokio::test]
async fn the_token_endpoint_asks_for_the_second_step_and_its_grant_finishes_it() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let (secret, _) = enable(&app, &ada, "ada@example.com").await;
    let form = [("grant_type", "password"), ("username", "ada@example.com"), ("password", PASSWORD)];
    let answer = app.request(Method::POST, "/auth/token").form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 403);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "mfa_required");
    assert!(body.get("access_token").is_none());
    let code = totp(&secret, 1);
    let grant = [("grant_type", "urn:gatehouse:grant-type:mfa"), ("mfa_token", &str_of(&body, "mfa_token")), ("code", &code)];
    let done = app.request(Method::POST, "/auth/token").form(&grant).send().await.unwrap();
    assert_eq!(done.status(), 200);
    let again = app.request(Method::POST, "/auth/token").form(&grant).send().await.unwrap();
    assert_eq!(again.status(), 400);
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn codes_count_against_the_lockout_before_they_are_checked() {
    let app = spawn_app_with(&[("rate_limit.failed_logins_per_account", "3")]).await;
    let ada = app.user("ada@example.com").await;
    let (secret, _) = enable(&app, &ada, "ada@example.com").await;
    let token = first_step(&app, "ada@example.com").await;
    for _ in 0..3 {
        assert_eq!(second_step(&app, &token, "000000").await.status(), 401);
    }
    let locked = second_step(&app, &token, &totp(&secret, 1)).await;
    assert_eq!(locked.status(), 429, "even the right code while locked");
    assert!(locked.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn turning_it_off_needs_a_code_and_a_fresh_session_and_tells_the_owner() {
    let app = spawn_app_with(&[("auth.fresh_window_secs", "1")]).await;
    let ada = app.user("ada@example.com").await;
    let (secret, codes) = enable(&app, &ada, "ada@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let stale = app.send_json(Method::DELETE, "/users/me/mfa", Some(&ada.access), &json!({"code": totp(&secret, 1)})).await;
    assert_eq!(invalid_fields(stale).await, ["current_password"], "the session signed in over a second ago");
    let wrong = json!({"current_password": PASSWORD, "code": "000000"});
    assert_eq!(invalid_fields(app.send_json(Method::DELETE, "/users/me/mfa", Some(&ada.access), &wrong).await).await, ["code"]);
    let off = json!({"current_password": PASSWORD, "code": codes[0]});
    assert_eq!(app.send_json(Method::DELETE, "/users/me/mfa", Some(&ada.access), &off).await.status(), 204);
    let status: Value = app.get("/users/me/mfa", &ada.access).await.json().await.unwrap();
    assert_eq!((status["totp"].clone(), status["recovery_codes_left"].clone()), (json!(false), json!(0)));
    assert_eq!(app.login_as("ada@example.com", PASSWORD).await.status(), 200, "a password alone signs in again");
    let subjects: Vec<String> = app.mail_to("ada@example.com").await.into_iter().map(|(s, _)| s).collect();
    assert!(subjects.contains(&"Two-step sign-in is on".to_owned()) && subjects.contains(&"Two-step sign-in is off".to_owned()));
}

#[tokio::test]
async fn an_admin_resets_a_locked_out_persons_factors_but_not_their_own() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let ada = app.user("ada@example.com").await;
    enable(&app, &ada, "ada@example.com").await;
    let me: Value = app.get("/users/me", &ada.access).await.json().await.unwrap();
    let root_me: Value = app.get("/users/me", &root.access).await.json().await.unwrap();
    let path = format!("/users/{}/mfa", str_of(&me, "id"));
    assert_eq!(app.request(Method::DELETE, &path).bearer_auth(&ada.access).send().await.unwrap().status(), 403, "not an admin");
    let own = format!("/users/{}/mfa", str_of(&root_me, "id"));
    assert_eq!(app.request(Method::DELETE, &own).bearer_auth(&root.access).send().await.unwrap().status(), 403, "the admin's own");
    assert_eq!(app.request(Method::DELETE, &path).bearer_auth(&root.access).send().await.unwrap().status(), 204);
    assert_eq!(app.get("/users/me", &ada.access).await.status(), 401, "every session of the account ended");
    assert_eq!(app.login_as("ada@example.com", PASSWORD).await.status(), 200, "a password alone signs in again");
    let events: Value = app.get(&format!("/audit?type=mfa.reset&user_id={}", str_of(&me, "id")), &root.access).await.json().await.unwrap();
    assert_eq!(events["items"][0]["actor_id"], root_me["id"]);
    assert!(app.mail_to("ada@example.com").await.iter().any(|(s, _)| s == "An administrator removed your second factors"));
}

#[tokio::test]
async fn admins_need_a_two_factor_session_when_required() {
    let app = spawn_app_with(&[("auth.require_mfa_for_admins", "true")]).await;
    let root = app.admin("root@example.com").await;
    let refused = app.get("/users", &root.access).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["type"], "urn:gatehouse:mfa-enrolment-required");
    let (secret, _) = enable(&app, &root, "root@example.com").await;
    let access = app.login_with_mfa_code("root@example.com", &totp(&secret, 1)).await;
    assert_eq!(app.get("/users", &access).await.status(), 200);
}

#[tokio::test]
async fn new_passwords_meet_the_policy_and_clients_can_read_it() {
    let app = spawn_app().await;
    let policy: Value = app.request(Method::GET, "/auth/password-policy").send().await.unwrap().json().await.unwrap();
    assert_eq!(policy, json!({"min_length": 8, "max_bytes": 72, "min_score": 0, "refuses_common": true}));
    for (password, why) in
        [("password1", "common"), ("Password1", "common"), ("charlotte-2026!", "email"), ("CHARLOTTE@example.com1", "email")]
    {
        let body = json!({"email": "charlotte@example.com", "password": password, "name": "C"});
        let refused = app.post("/auth/register", &body).await;
        assert_eq!(refused.status(), 422, "{password} ({why})");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "password");
        let message = problem["errors"][0]["message"].as_str().unwrap().to_owned();
        assert!(message.contains(if why == "common" { "common" } else { "email" }), "{password}: {message}");
    }
    let strict = spawn_app_with(&[("auth.password_min_score", "4")]).await;
    let weak = strict.post("/auth/register", &json!({"email": "bob@example.com", "password": "abcdefgh1", "name": "B"})).await;
    assert_eq!(invalid_fields(weak).await, ["password"]);
    let strong = json!({"email": "bob@example.com", "password": "quartz lantern ferret obelisk marmalade", "name": "B"});
    assert_eq!(strict.post("/auth/register", &strong).await.status(), 201);
}

#[tokio::test]
async fn logging_out_the_others_keeps_this_session() {
    let app = spawn_app().await;
    let this = app.user("ada@example.com").await;
    let other = app.login("ada@example.com").await;
    let answer = app.request(Method::POST, "/auth/logout-others").bearer_auth(&this.access).send().await.unwrap();
    assert_eq!(answer.status(), 204);
    assert_eq!(app.get("/users/me", &this.access).await.status(), 200);
    assert_eq!(app.get("/users/me", &other.access).await.status(), 401);
}

#[tokio::test]
async fn the_database_holds_no_totp_secret_recovery_code_or_token_in_plain_text() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let (secret, codes) = enable(&app, &ada, "ada@example.com").await;
    let token = first_step(&app, "ada@example.com").await;
    let tokens: Value = second_step(&app, &token, &codes[0]).await.json().await.unwrap();
    let dump = app.dump_database().await;
    let holds = |needle: &[u8]| dump.windows(needle.len()).any(|w| w == needle);
    let raw_secret = base32_decode(&secret);
    let hex_secret: String = raw_secret.iter().map(|b| format!("{b:02x}")).collect();
    let mut secrets = vec![secret.clone(), hex_secret, token, str_of(&tokens, "access_token"), str_of(&tokens, "refresh_token")];
    for code in &codes {
        secrets.push(code.clone());
        secrets.push(code.replace('-', ""));
        secrets.push(code.replace('-', "").to_uppercase());
    }
    for secret in &secrets {
        assert!(!holds(secret.as_bytes()), "the database holds {secret:?} in plain text");
    }
    assert!(!holds(&raw_secret), "the database holds the raw TOTP key");
    assert!(holds(b"ada@example.com"), "the dump is the database's contents");
}
