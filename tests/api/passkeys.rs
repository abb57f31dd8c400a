//! Passkeys over HTTP, with a software authenticator and WebAuthn client that are not the
//! server's: 1Password's `passkey` crates make the registrations and sign the assertions, which
//! the server checks with webauthn-rs. Registration, the discoverable sign-in with and without
//! user verification, the second step, a tampered signature, a used or expired challenge,
//! another origin, a cloned authenticator's counter, the list, renaming and deleting, and one
//! challenge answered on two instances at once.

use crate::helpers::{PASSWORD, Session, TestApp, problem, spawn_app_with, str_of};
use crate::mfa::{amr_of, enable, totp};
use crate::races::at_once;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use passkey::authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey::client::{Client, DefaultClientData};
use passkey::crypto::AvailableBackend;
use passkey::types::Passkey;
use passkey::types::ctap2::{Aaguid, Ctap2Error};
use passkey::types::webauthn::{CredentialCreationOptions, CredentialRequestOptions};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;
use url::Url;

/// The server's public URL in these tests: the relying party is `localhost` (browsers and the
/// client refuse an IP address as one), and the client signs this origin into its answers.
const PUBLIC_URL: &str = "http://localhost:8443";

/// A person at the authenticator, who may or may not verify themselves (PIN, fingerprint).
struct Person {
    verifies: bool,
}

#[async_trait::async_trait]
impl UserValidationMethod for Person {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(&self, _hint: UiHint<'a, Passkey>, presence: bool, verification: bool) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck { presence, verification: verification && self.verifies })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(true)
    }
}

/// A device holding one passkey, with a counter, in a browser at `origin`.
#[derive(Clone)]
pub(crate) struct Device {
    store: Option<Passkey>,
    verifies: bool,
    origin: Url,
}

impl Device {
    pub(crate) fn new() -> Self {
        Self { store: None, verifies: true, origin: Url::parse(PUBLIC_URL).unwrap() }
    }

    fn authenticator(&mut self) -> Authenticator<Option<Passkey>, Person, AvailableBackend> {
        let person = Person { verifies: self.verifies };
        let mut authenticator = Authenticator::new(Aaguid::new_empty(), self.store.take(), person, AvailableBackend);
        // Counters make a copied authenticator detectable.
        authenticator.set_make_credentials_with_signature_counter(true);
        authenticator
    }

    /// `navigator.credentials.create()` with the server's options.
    pub(crate) async fn create(&mut self, options: &Value) -> Value {
        let request: CredentialCreationOptions = serde_json::from_value(json!({ "publicKey": options })).expect("creation options");
        let mut client = Client::new(self.authenticator()).allows_insecure_localhost(true).user_verification_when_preferred(self.verifies);
        let created = client.register(&self.origin, request, DefaultClientData).await;
        self.store = client.authenticator().store().clone();
        serde_json::to_value(created.expect("the authenticator registers")).unwrap()
    }

    /// `navigator.credentials.get()` with the server's options.
    pub(crate) async fn get(&mut self, options: &Value) -> Value {
        let request: CredentialRequestOptions = serde_json::from_value(json!({ "publicKey": options })).expect("request options");
        let mut client = Client::new(self.authenticator()).allows_insecure_localhost(true).user_verification_when_preferred(self.verifies);
        let signed = client.authenticate(&self.origin, request, DefaultClientData).await;
        self.store = client.authenticator().store().clone();
        serde_json::to_value(signed.expect("the authenticator signs")).unwrap()
    }
}

async fn spawn() -> TestApp {
    spawn_app_with(&[("server.public_url", PUBLIC_URL)]).await
}

/// `POST /users/me/passkeys/registration` by a fresh session: `{challenge_id, options}`.
async fn registration_options(app: &TestApp, session: &Session) -> Value {
    let start = app.request(Method::POST, "/users/me/passkeys/registration").bearer_auth(&session.access).send().await.unwrap();
    assert_eq!(start.status(), 200);
    start.json().await.unwrap()
}

/// Registers `device`'s passkey on `session`'s account; the Passkey answer.
pub(crate) async fn register(app: &TestApp, session: &Session, device: &mut Device) -> Value {
    let start = registration_options(app, session).await;
    let credential = device.create(&start["options"]).await;
    let created = app
        .send_json(
            Method::POST,
            "/users/me/passkeys",
            Some(&session.access),
            &json!({"challenge_id": start["challenge_id"], "credential": credential, "name": "Laptop"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let passkey: Value = created.json().await.unwrap();
    assert_eq!(location, format!("/users/me/passkeys/{}", str_of(&passkey, "id")));
    passkey
}

/// Discoverable sign-in options: `(challenge_id, options)`.
async fn options(app: &TestApp, body: Option<Value>) -> (Value, Value) {
    let mut request = app.request(Method::POST, "/auth/passkey/options");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    (answer["challenge_id"].clone(), answer["options"].clone())
}

async fn sign_in_with(app: &TestApp, challenge_id: &Value, credential: &Value) -> Response {
    app.post("/auth/passkey", &json!({"challenge_id": challenge_id, "credential": credential})).await
}

/// A discoverable sign-in by `device`: the server's answer.
async fn sign_in(app: &TestApp, device: &mut Device) -> Response {
    let (challenge_id, options) = options(app, None).await;
    let credential = device.get(&options).await;
    sign_in_with(app, &challenge_id, &credential).await
}

async fn events(app: &TestApp, session: &Session) -> Vec<String> {
    let events: Value = app.get("/users/me/events?limit=100", &session.access).await.json().await.unwrap();
    events["items"].as_array().unwrap().iter().map(|e| str_of(e, "type")).collect()
}

#[tokio::test]
async fn a_registered_passkey_signs_in_without_an_email_and_with_user_verification_is_two_factors() {
    let app = spawn().await;
    let session = app.user("pk@example.com").await;
    let mut device = Device::new();

    let start = registration_options(&app, &session).await;
    let options = &start["options"];
    assert!(options.get("publicKey").is_none(), "the options themselves, not wrapped: {options}");
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "preferred");
    let me: Value = app.get("/users/me", &session.access).await.json().await.unwrap();
    let user_id = uuid::Uuid::parse_str(&str_of(&me, "id")).unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(options["user"]["id"].as_str().unwrap()).unwrap(), user_id.as_bytes());
    let credential = device.create(options).await;
    let created = app
        .send_json(
            Method::POST,
            "/users/me/passkeys",
            Some(&session.access),
            &json!({"challenge_id": start["challenge_id"], "credential": credential}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let passkey: Value = created.json().await.unwrap();
    assert_eq!(passkey["name"], "Passkey", "the default name");
    assert_eq!(passkey["last_used_at"], Value::Null);
    assert_eq!(passkey["backed_up"], true, "this software authenticator says its passkeys are synced");
    assert!(passkey["transports"].is_array(), "{passkey}");
    for secret in ["credential", "public_key", "counter", "credential_id"] {
        assert!(passkey.get(secret).is_none(), "{secret} is not shown: {passkey}");
    }

    let (_, sign_in_options) = options_of(&app).await;
    assert!(sign_in_options.get("allowCredentials").is_none(), "a discoverable sign-in names no credential: {sign_in_options}");
    assert_eq!(sign_in_options["userVerification"], "preferred");
    let signed_in = sign_in(&app, &mut device).await;
    assert_eq!(signed_in.status(), 200);
    let tokens: Value = signed_in.json().await.unwrap();
    assert_eq!(amr_of(&str_of(&tokens, "access_token")), ["hwk", "user", "mfa"]);
    let me: Value = app.get("/users/me", &str_of(&tokens, "access_token")).await.json().await.unwrap();
    assert_eq!(me["email"], "pk@example.com");

    let list: Value = app.get("/users/me/passkeys", &session.access).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0]["last_used_at"].is_string(), "the sign-in is recorded: {list}");
    let mfa: Value = app.get("/users/me/mfa", &session.access).await.json().await.unwrap();
    assert_eq!(mfa["passkeys"], 1);
    assert_eq!(mfa["totp"], false, "a passkey does not turn two-step sign-in on");
    let kinds = events(&app, &session).await;
    assert!(kinds.contains(&"passkey.added".to_owned()), "{kinds:?}");
}

async fn options_of(app: &TestApp) -> (Value, Value) {
    options(app, None).await
}

#[tokio::test]
async fn without_user_verification_a_passkey_is_one_factor_and_two_step_sign_in_asks_for_a_code() {
    let app = spawn().await;
    let session = app.user("uv@example.com").await;
    let mut device = Device::new();
    register(&app, &session, &mut device).await;
    device.verifies = false;

    let one_factor = sign_in(&app, &mut device).await;
    assert_eq!(one_factor.status(), 200);
    assert_eq!(amr_of(&str_of(&one_factor.json().await.unwrap(), "access_token")), ["hwk"]);

    let (secret, _) = enable(&app, &session, "uv@example.com").await;
    let asked = sign_in(&app, &mut device).await;
    assert_eq!(asked.status(), 403);
    let asked: Value = asked.json().await.unwrap();
    assert_eq!(asked["type"], "urn:gatehouse:mfa-required");
    assert!(asked.get("access_token").is_none(), "{asked}");
    assert_eq!(asked["methods"], json!(["totp", "recovery_code"]), "a passkey does not follow a passkey");
    let token = str_of(&asked, "mfa_token");
    let refused = app.request(Method::POST, "/auth/passkey/options").json(&json!({"mfa_token": token})).send().await.unwrap();
    assert_eq!(refused.status(), 401, "no passkey second step after a passkey");
    // The next step's code: the current one confirmed the enrolment, and no code works twice.
    let second = app.post("/auth/login/mfa", &json!({"mfa_token": token, "code": totp(&secret, 1)})).await;
    assert_eq!(second.status(), 200);
    assert_eq!(amr_of(&str_of(&second.json().await.unwrap(), "access_token")), ["hwk", "otp", "mfa"]);

    device.verifies = true;
    let complete = sign_in(&app, &mut device).await;
    assert_eq!(complete.status(), 200, "with user verification it needs no second step");
    assert_eq!(amr_of(&str_of(&complete.json().await.unwrap(), "access_token")), ["hwk", "user", "mfa"]);
}

#[tokio::test]
async fn a_passkey_is_the_second_step_after_a_password() {
    let app = spawn().await;
    let session = app.user("second@example.com").await;
    let mut device = Device::new();
    let passkey = register(&app, &session, &mut device).await;
    enable(&app, &session, "second@example.com").await;

    let first: Value = app.login_as("second@example.com", PASSWORD).await.json().await.unwrap();
    assert_eq!(first["methods"], json!(["totp", "recovery_code", "passkey"]));
    let token = str_of(&first, "mfa_token");
    let (challenge_id, options) = options(&app, Some(json!({"mfa_token": token}))).await;
    let allowed = options["allowCredentials"].as_array().expect("the account's passkeys are listed");
    assert_eq!(allowed.len(), 1);
    let credential = device.get(&options).await;
    assert_eq!(allowed[0]["id"], credential["rawId"]);

    let discoverable = sign_in_with(&app, &challenge_id, &credential).await;
    assert_eq!(discoverable.status(), 401, "a second step's challenge is not a sign-in's");
    let (challenge_id, options) = options_of_second(&app, &token).await;
    let credential = device.get(&options).await;
    let wrong_token = app
        .post("/auth/login/mfa", &json!({"mfa_token": "gatehouse_mt_nobody", "challenge_id": challenge_id, "credential": credential}))
        .await;
    assert_eq!(wrong_token.status(), 401);
    let (challenge_id, options) = options_of_second(&app, &token).await;
    let credential = device.get(&options).await;
    let second = app.post("/auth/login/mfa", &json!({"mfa_token": token, "challenge_id": challenge_id, "credential": credential})).await;
    assert_eq!(second.status(), 200);
    assert_eq!(amr_of(&str_of(&second.json().await.unwrap(), "access_token")), ["pwd", "hwk", "mfa"]);
    let again = app.post("/auth/login/mfa", &json!({"mfa_token": token, "challenge_id": challenge_id, "credential": credential})).await;
    assert_eq!(again.status(), 401, "the mfa_token and the challenge are used up");
    let both = app.post("/auth/login/mfa", &json!({"mfa_token": token, "code": "123456", "challenge_id": challenge_id})).await;
    assert_eq!(both.status(), 422);
    assert!(passkey["id"].is_string());
}

async fn options_of_second(app: &TestApp, token: &str) -> (Value, Value) {
    options(app, Some(json!({"mfa_token": token}))).await
}

/// Flips one bit of the assertion's signature.
fn tampered(credential: &Value) -> Value {
    let mut credential = credential.clone();
    let mut signature = URL_SAFE_NO_PAD.decode(credential["response"]["signature"].as_str().unwrap()).unwrap();
    let last = signature.len() - 1;
    signature[last] ^= 1;
    credential["response"]["signature"] = json!(URL_SAFE_NO_PAD.encode(signature));
    credential
}

#[tokio::test]
async fn forged_reused_expired_and_foreign_answers_are_refused() {
    let app = spawn().await;
    let session = app.user("forge@example.com").await;
    let mut device = Device::new();
    register(&app, &session, &mut device).await;

    let (challenge_id, options) = options_of(&app).await;
    let credential = device.get(&options).await;
    problem(sign_in_with(&app, &challenge_id, &tampered(&credential)).await, 401).await;
    let used = sign_in_with(&app, &challenge_id, &credential).await;
    assert_eq!(used.status(), 401, "a challenge is used up by its first answer, even a wrong one");

    let (challenge_id, options) = options_of(&app).await;
    let credential = device.get(&options).await;
    assert_eq!(sign_in_with(&app, &challenge_id, &credential).await.status(), 200);
    assert_eq!(sign_in_with(&app, &challenge_id, &credential).await.status(), 401, "a replayed answer");

    let (other_challenge, _) = options_of(&app).await;
    let (_, options) = options_of(&app).await;
    let credential = device.get(&options).await;
    assert_eq!(sign_in_with(&app, &other_challenge, &credential).await.status(), 401, "an answer to another challenge");

    let (challenge_id, options) = options_of(&app).await;
    let credential = device.get(&options).await;
    app.execute_sql("UPDATE passkey_challenges SET expires_at = '2000-01-01 00:00:00'").await;
    assert_eq!(sign_in_with(&app, &challenge_id, &credential).await.status(), 401, "an expired challenge");

    let mut elsewhere = device.clone();
    elsewhere.origin = Url::parse("http://localhost:9999").unwrap();
    let (challenge_id, options) = options_of(&app).await;
    let credential = elsewhere.get(&options).await;
    assert_eq!(sign_in_with(&app, &challenge_id, &credential).await.status(), 401, "another origin");

    let (challenge_id, _) = options_of(&app).await;
    let not_json = app.post("/auth/passkey", &json!({"challenge_id": challenge_id, "credential": "nope"})).await;
    assert_eq!(not_json.status(), 422);
    let garbage = app.post("/auth/passkey", &json!({"challenge_id": challenge_id, "credential": {"id": 1}})).await;
    assert_eq!(garbage.status(), 401);
    let unknown = app.post("/auth/passkey", &json!({"challenge_id": uuid::Uuid::new_v4(), "credential": credential})).await;
    assert_eq!(unknown.status(), 401);
}

#[tokio::test]
async fn a_registration_answer_is_checked_and_its_challenge_used_once() {
    let app = spawn().await;
    let session = app.user("reg@example.com").await;
    let other = app.user("other@example.com").await;
    let mut device = Device::new();

    let start = registration_options(&app, &session).await;
    let credential = device.create(&start["options"]).await;
    let body = json!({"challenge_id": start["challenge_id"], "credential": credential});
    let someone_else = app.send_json(Method::POST, "/users/me/passkeys", Some(&other.access), &body).await;
    assert_eq!(someone_else.status(), 401, "another account's challenge");
    let used = app.send_json(Method::POST, "/users/me/passkeys", Some(&session.access), &body).await;
    assert_eq!(used.status(), 401, "the challenge went with the first answer");

    let mut fresh = Device::new();
    fresh.origin = Url::parse("http://localhost:9999").unwrap();
    let start = registration_options(&app, &session).await;
    let credential = fresh.create(&start["options"]).await;
    let foreign = app
        .send_json(
            Method::POST,
            "/users/me/passkeys",
            Some(&session.access),
            &json!({"challenge_id": start["challenge_id"], "credential": credential}),
        )
        .await;
    assert_eq!(foreign.status(), 401, "another origin");
    let bad_name = app
        .send_json(
            Method::POST,
            "/users/me/passkeys",
            Some(&session.access),
            &json!({"challenge_id": start["challenge_id"], "credential": {}, "name": ""}),
        )
        .await;
    assert_eq!(bad_name.status(), 422);
    let list: Value = app.get("/users/me/passkeys", &session.access).await.json().await.unwrap();
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn a_counter_that_went_backwards_is_refused_and_recorded() {
    let app = spawn().await;
    let session = app.user("clone@example.com").await;
    let mut device = Device::new();
    register(&app, &session, &mut device).await;
    let mut copy = device.clone();

    assert_eq!(sign_in(&app, &mut device).await.status(), 200);
    assert_eq!(sign_in(&app, &mut device).await.status(), 200);
    let cloned = sign_in(&app, &mut copy).await;
    assert_eq!(cloned.status(), 401, "the copy's counter is behind the original's");
    let kinds = events(&app, &session).await;
    assert!(kinds.contains(&"passkey.counter_regressed".to_owned()), "{kinds:?}");
    assert_eq!(sign_in(&app, &mut device).await.status(), 200, "the original goes on");
}

#[tokio::test]
async fn passkeys_are_listed_renamed_and_deleted_by_their_owner_only() {
    let app = spawn().await;
    let session = app.user("own@example.com").await;
    let other = app.user("notmine@example.com").await;
    let mut device = Device::new();
    let passkey = register(&app, &session, &mut device).await;
    let path = format!("/users/me/passkeys/{}", str_of(&passkey, "id"));

    let renamed = app.send_json(Method::PATCH, &path, Some(&session.access), &json!({"name": "  YubiKey 5C  "})).await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "YubiKey 5C");
    assert_eq!(app.send_json(Method::PATCH, &path, Some(&session.access), &json!({"name": ""})).await.status(), 422);
    assert_eq!(app.send_json(Method::PATCH, &path, Some(&other.access), &json!({"name": "mine"})).await.status(), 404);
    let wrong_method = app.send_json(Method::PATCH, "/users/me/passkeys/registration", Some(&session.access), &json!({"name": "x"})).await;
    assert_eq!(wrong_method.status(), 405, "a static path named with a method it lacks, not an id that does not parse");
    assert_eq!(wrong_method.headers()["allow"], "POST");
    let not_an_id = app.send_json(Method::PATCH, "/users/me/passkeys/not-an-id", Some(&session.access), &json!({"name": "x"})).await;
    assert_eq!(not_an_id.status(), 400);
    assert_eq!(app.request(Method::DELETE, &path).bearer_auth(&other.access).send().await.unwrap().status(), 404);
    assert_eq!(app.get("/users/me/passkeys", &other.access).await.json::<Value>().await.unwrap()["items"], json!([]));

    let deleted = app.request(Method::DELETE, &path).bearer_auth(&session.access).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(sign_in(&app, &mut device).await.status(), 401, "a deleted passkey signs nobody in");
    let kinds = events(&app, &session).await;
    assert!(kinds.contains(&"passkey.removed".to_owned()), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_challenge_answered_twice_at_once_on_two_instances_signs_in_once() {
    let first = Arc::new(spawn_app_with(&[("server.public_url", PUBLIC_URL), ("server.workers", "4")]).await);
    let second = Arc::new(first.sibling(&[("server.public_url", PUBLIC_URL), ("server.workers", "4")], |_| {}).await);
    let session = first.user("race@example.com").await;
    let mut device = Device::new();
    register(&first, &session, &mut device).await;
    for round in 0..8 {
        let (challenge_id, options) = options_of(&first).await;
        let credential = device.get(&options).await;
        let body = json!({"challenge_id": challenge_id, "credential": credential});
        let requests = [first.clone(), second.clone()]
            .into_iter()
            .map(|app| {
                let body = body.clone();
                Box::pin(async move { app.post("/auth/passkey", &body).await }) as std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
            })
            .collect();
        let statuses: Vec<u16> = at_once(requests).await.iter().map(|r| r.status().as_u16()).collect();
        let mut sorted = statuses.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [200, 401], "round {round}: {statuses:?}");
    }
}
