//! Sign-in through an OpenID Connect provider against a real, certified one: panva's
//! `oidc-provider` (tests/oidc-provider, from npm) started on 127.0.0.1 per test, its development
//! login form submitted over plain HTTP. PKCE challenges are SHA-256 from the `sha2` crate, not
//! our code. Without Node.js or `npm ci` in tests/oidc-provider these tests say so and pass
//! without checking anything, unless `TEST_OIDC_REQUIRED` is set (as `.ci/run` sets it).

use crate::helpers::{TestApp, spawn_app_configured};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_actix::app::config::OidcProviderSettings;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use tokio::sync::Barrier;

/// Where the app under test wants the browser back (nothing listens: only `Location` is read).
const APP_REDIRECT: &str = "http://127.0.0.1:9/app/callback";

/// The provider process; killed when dropped.
struct Provider {
    child: Child,
    issuer: String,
    http: reqwest::Client,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc-provider")
}

impl Provider {
    /// Starts the provider with a client whose redirect URI is `callback`; `None` (the test is
    /// skipped) when Node.js or the npm packages are missing and `TEST_OIDC_REQUIRED` is unset.
    fn start(callback: &str) -> Option<Self> {
        let ready = provider_dir().join("node_modules/oidc-provider").is_dir()
            && Command::new("node").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
        if !ready {
            assert!(
                std::env::var_os("TEST_OIDC_REQUIRED").is_none(),
                "TEST_OIDC_REQUIRED is set, but node or tests/oidc-provider/node_modules is missing"
            );
            eprintln!("node or tests/oidc-provider/node_modules is missing (npm ci there): the OIDC test is skipped");
            return None;
        }
        let mut child = Command::new("node")
            .arg(provider_dir().join("provider.mjs"))
            .env("PORT", "0")
            .env("OIDC_REDIRECT_URIS", callback)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the provider's first line");
        let ready: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("the provider printed {line:?}: {e}"));
        let issuer = ready["issuer"].as_str().expect("issuer").to_owned();
        Some(Self { child, issuer, http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap() })
    }

    async fn put(&self, path: &str, body: Value) {
        let response = self.http.put(format!("{}/__test/{path}", self.issuer)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 204, "PUT /__test/{path}");
    }

    /// Sets what the provider says about `login` (its `sub`).
    async fn account(&self, login: &str, email: &str, verified: bool) {
        self.put(&format!("accounts/{login}"), json!({"email": email, "email_verified": verified, "name": "Provider Person"})).await;
    }

    /// A person at the provider's login form: follows `authorization_url` with a fresh cookie
    /// jar, submits the development form as `login`, and returns where the provider sends the
    /// browser back (Gatehouse's callback with `code`, `state` and `iss`).
    async fn sign_in(&self, authorization_url: &str, login: &str) -> String {
        self.browse(authorization_url, Some(login)).await
    }

    /// A person who presses the login form's Cancel: where the provider sends the browser back.
    async fn cancel(&self, authorization_url: &str) -> String {
        self.browse(authorization_url, None).await
    }

    async fn browse(&self, authorization_url: &str, login: Option<&str>) -> String {
        let mut jar: HashMap<String, String> = HashMap::new();
        let mut url = authorization_url.to_owned();
        let mut form = None::<Vec<(&str, &str)>>;
        for _ in 0..10 {
            if !url.starts_with(&self.issuer) {
                return url;
            }
            let cookies = jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            let request = match form.take() {
                Some(fields) => self.http.post(&url).form(&fields),
                None => self.http.get(&url),
            };
            let response = request.header(COOKIE, cookies).send().await.unwrap();
            for set in response.headers().get_all(SET_COOKIE) {
                let pair = set.to_str().unwrap().split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                if value.is_empty() {
                    jar.remove(name)
                } else {
                    jar.insert(name.to_owned(), value.to_owned())
                };
            }
            let status = response.status().as_u16();
            if status == 200 && url.contains("/interaction/") {
                let page = response.text().await.unwrap();
                assert!(page.contains("name=\"login\""), "the login form: {page}");
                match login {
                    Some(login) => form = Some(vec![("prompt", "login"), ("login", login), ("password", "any password")]),
                    None => url = format!("{url}/abort"),
                }
                continue;
            }
            assert!(matches!(status, 302 | 303), "{url} answered {status}: {}", response.text().await.unwrap_or_default());
            let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
            url = if location.starts_with('/') { format!("{}{location}", self.issuer) } else { location };
        }
        panic!("the provider never sent the browser back")
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An app's PKCE pair (RFC 7636): a random verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A server with the provider `acme` and the provider itself.
async fn oidc_app(allow_signup: bool, overrides: &[(&str, &str)]) -> Option<(TestApp, Provider)> {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = Provider::start(&format!("{base}/auth/oidc/acme/callback"))?;
    let port = port.to_string();
    let mut all = vec![("server.port", port.as_str()), ("server.public_url", base.as_str())];
    all.extend_from_slice(overrides);
    let issuer = provider.issuer.clone();
    let app = spawn_app_configured(&all, move |s| configure(s, &issuer, allow_signup)).await;
    Some((app, provider))
}

fn configure(settings: &mut http_actix::app::config::Settings, issuer: &str, allow_signup: bool) {
    settings.oidc.providers = vec![OidcProviderSettings {
        id: "acme".into(),
        name: "Acme SSO".into(),
        issuer: issuer.to_owned(),
        client_id: "gatehouse".into(),
        client_secret: Some("gatehouse-secret".to_owned().into()),
        scopes: vec!["openid".into(), "email".into(), "profile".into()],
        allow_signup,
    }];
    settings.oidc.allowed_redirect_uris = vec![APP_REDIRECT.to_owned()];
}

/// The query of a redirect's `Location`, as pairs.
fn query_of(location: &str) -> HashMap<String, String> {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// A flow started at Gatehouse: the provider's URL and the app's verifier.
async fn start(app: &TestApp) -> (String, String) {
    let (verifier, challenge) = pkce();
    let response = app
        .client
        .get(format!("{}/auth/oidc/acme/start", app.address))
        .query(&[("redirect_uri", APP_REDIRECT), ("code_challenge", &challenge), ("code_challenge_method", "S256")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "{:?}", response.text().await);
    (location(&response), verifier)
}

/// Start, the provider's login as `login`, the callback: the app's redirect parameters and the
/// verifier.
async fn through_provider(app: &TestApp, provider: &Provider, login: &str) -> (HashMap<String, String>, String) {
    let (authorization_url, verifier) = start(app).await;
    // Instances share one public URL; this request goes to `app` itself.
    let callback = provider.sign_in(&authorization_url, login).await.replace(&app.settings.server.public_url(), &app.address);
    let back = app.client.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), 302, "callback: {:?}", back.text().await);
    let to = location(&back);
    assert!(to.starts_with(&format!("{APP_REDIRECT}?")), "{to}");
    (query_of(&to), verifier)
}

async fn redeem(app: &TestApp, code: &str, verifier: &str, redirect_uri: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/auth/token", app.address))
        .form(&[("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier), ("redirect_uri", redirect_uri)])
        .send()
        .await
        .unwrap()
}

/// Signs in through the provider as `login`: the token response.
async fn sign_in(app: &TestApp, provider: &Provider, login: &str) -> Value {
    let (params, verifier) = through_provider(app, provider, login).await;
    let code = params.get("code").unwrap_or_else(|| panic!("no code: {params:?}"));
    let response = redeem(app, code, &verifier, APP_REDIRECT).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn claims(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn fresh(prefix: &str) -> (String, String) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    (format!("{prefix}-{}", &id[..12]), format!("{prefix}-{}@example.com", &id[..12]))
}

/// A registered account whose address is verified.
async fn verified_account(app: &TestApp, email: &str) {
    app.register(email).await;
    let token = app.link_token(email).await;
    assert_eq!(app.post("/auth/verify-email", &json!({"token": token})).await.status(), 204);
}

#[tokio::test]
async fn a_new_person_signs_up_through_the_provider_and_signs_in_with_amr_fed() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    let providers: Value = app.client.get(format!("{}/auth/oidc/providers", app.address)).send().await.unwrap().json().await.unwrap();
    assert_eq!(providers, json!({"items": [{"id": "acme", "name": "Acme SSO"}]}));
    let (login, email) = fresh("new");
    provider.account(&login, &email, true).await;
    let tokens = sign_in(&app, &provider, &login).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["amr"], json!(["fed"]));
    let me: Value = app.get("/users/me", access).await.json().await.unwrap();
    assert_eq!(me["email"], email);
    assert_eq!(me["email_verified"], true, "verified as the provider says");
    assert_eq!(me["name"], "Provider Person");
    assert!(app.mail_to(&email).await.is_empty(), "no verification mail for an address the provider verified");
    let identities: Value = app.get("/users/me/identities", access).await.json().await.unwrap();
    assert_eq!(identities["items"].as_array().unwrap().len(), 1);
    assert_eq!(identities["items"][0]["provider"], "acme");
    assert_eq!(identities["items"][0]["email"], email);
    // No password: a password login cannot succeed, and the second sign-in is the same account.
    assert_eq!(app.login_as(&email, "any password at all").await.status(), 401);
    let again = sign_in(&app, &provider, &login).await;
    assert_eq!(claims(again["access_token"].as_str().unwrap())["sub"], claims(access)["sub"]);
    let events: Value = app.get("/users/me/events", access).await.json().await.unwrap();
    let kinds: Vec<&str> = events["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"identity.linked") && kinds.contains(&"login.succeeded"), "{kinds:?}");
    let login_event = events["items"].as_array().unwrap().iter().find(|e| e["type"] == "login.succeeded").unwrap();
    assert_eq!(login_event["detail"]["provider"], "acme");
    assert_eq!(login_event["detail"]["amr"], json!(["fed"]));
}

#[tokio::test]
async fn an_email_links_only_when_the_provider_and_the_account_both_verified_it() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    for (provider_verified, local_verified) in [(true, true), (true, false), (false, true), (false, false)] {
        let (login, email) = fresh("link");
        if local_verified {
            verified_account(&app, &email).await;
        } else {
            app.register(&email).await;
        }
        let local = app.login(&email).await;
        let local_sub = claims(&local.access)["sub"].clone();
        provider.account(&login, &email, provider_verified).await;
        let (params, verifier) = through_provider(&app, &provider, &login).await;
        if provider_verified && local_verified {
            let response = redeem(&app, &params["code"], &verifier, APP_REDIRECT).await;
            assert_eq!(response.status(), 200);
            let tokens: Value = response.json().await.unwrap();
            assert_eq!(claims(tokens["access_token"].as_str().unwrap())["sub"], local_sub, "linked to the verified account");
        } else {
            assert_eq!(params.get("error").map(String::as_str), Some("account_exists"), "{provider_verified} {local_verified}: {params:?}");
            assert!(!params.contains_key("code"));
            let identities: Value = app.get("/users/me/identities", &local.access).await.json().await.unwrap();
            assert_eq!(identities["items"], json!([]), "nothing linked");
        }
    }
}

#[tokio::test]
async fn an_unverified_new_address_gets_a_verification_mail_and_signup_off_refuses_new_people_only() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    let (login, email) = fresh("unverified");
    provider.account(&login, &email, false).await;
    let tokens = sign_in(&app, &provider, &login).await;
    let me: Value = app.get("/users/me", tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(me["email_verified"], false);
    assert_eq!(app.await_mail(&email, 1).await.len(), 1, "a verification mail");

    let issuer = provider.issuer.clone();
    let public_url = app.settings.server.public_url();
    let closed = app.sibling(&[("server.public_url", &public_url)], move |s| configure(s, &issuer, false)).await;
    let (stranger, stranger_email) = fresh("stranger");
    provider.account(&stranger, &stranger_email, true).await;
    let (params, _) = through_provider(&closed, &provider, &stranger).await;
    assert_eq!(params.get("error").map(String::as_str), Some("signup_disabled"), "{params:?}");
    // Linking by the rule still works where sign-up is off.
    let (known, known_email) = fresh("known");
    verified_account(&closed, &known_email).await;
    provider.account(&known, &known_email, true).await;
    let (params, verifier) = through_provider(&closed, &provider, &known).await;
    assert_eq!(redeem(&closed, &params["code"], &verifier, APP_REDIRECT).await.status(), 200);
}

#[tokio::test]
async fn an_email_changed_at_the_provider_is_not_followed() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    let (login, email) = fresh("mover");
    provider.account(&login, &email, true).await;
    let first = sign_in(&app, &provider, &login).await;
    let (_, victim) = fresh("victim");
    verified_account(&app, &victim).await;
    provider.account(&login, &victim, true).await;
    let second = sign_in(&app, &provider, &login).await;
    let (a, b) = (claims(first["access_token"].as_str().unwrap()), claims(second["access_token"].as_str().unwrap()));
    assert_eq!(a["sub"], b["sub"], "still the identity's own account, not the one with the new address");
    let me: Value = app.get("/users/me", second["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(me["email"], email);
}

#[tokio::test]
async fn state_and_codes_are_single_use_and_bound_to_the_verifier_and_redirect_uri() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    let (login, email) = fresh("single");
    provider.account(&login, &email, true).await;
    let (authorization_url, verifier) = start(&app).await;
    let callback = provider.sign_in(&authorization_url, &login).await;
    // A tampered state names no flow: 400, no redirect.
    let state = query_of(&callback)["state"].clone();
    let last = if state.ends_with('A') { 'B' } else { 'A' };
    let tampered = callback.replace(&state, &format!("{}{last}", &state[..state.len() - 1]));
    let refused = app.client.get(&tampered).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.headers().get(LOCATION).is_none());
    let back = app.client.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let code = query_of(&location(&back))["code"].clone();
    // Replayed: the state was used up.
    let replayed = app.client.get(&callback).send().await.unwrap();
    assert_eq!(replayed.status(), 400);
    assert!(replayed.headers().get(LOCATION).is_none());
    // A wrong verifier uses the code up: the right one afterwards gets nothing.
    let wrong = redeem(&app, &code, &pkce().0, APP_REDIRECT).await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let late = redeem(&app, &code, &verifier, APP_REDIRECT).await;
    assert_eq!(late.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // Another redirect_uri, then a second redemption.
    let (params, verifier) = through_provider(&app, &provider, &login).await;
    let other = redeem(&app, &params["code"], &verifier, "http://127.0.0.1:9/other").await;
    assert_eq!(other.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let (params, verifier) = through_provider(&app, &provider, &login).await;
    assert_eq!(redeem(&app, &params["code"], &verifier, APP_REDIRECT).await.status(), 200);
    let second = redeem(&app, &params["code"], &verifier, APP_REDIRECT).await;
    assert_eq!(second.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn a_redirect_uri_that_is_not_allowed_gets_400_and_no_redirect() {
    let Some((app, _provider)) = oidc_app(true, &[]).await else { return };
    let (_, challenge) = pkce();
    for (redirect, challenge, method) in [
        ("http://127.0.0.1:9/app/callback/", challenge.as_str(), "S256"),
        ("https://evil.example/app/callback", challenge.as_str(), "S256"),
        (APP_REDIRECT, challenge.as_str(), "plain"),
        (APP_REDIRECT, "short", "S256"),
    ] {
        let response = app
            .client
            .get(format!("{}/auth/oidc/acme/start", app.address))
            .query(&[("redirect_uri", redirect), ("code_challenge", challenge), ("code_challenge_method", method)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{redirect} {method}");
        assert!(response.headers().get(LOCATION).is_none());
    }
    let query = [("redirect_uri", APP_REDIRECT), ("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
    let unknown = app.client.get(format!("{}/auth/oidc/nobody/start", app.address)).query(&query).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn an_id_token_with_another_nonce_audience_party_issuer_or_time_is_refused() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    let (login, email) = fresh("tampered");
    provider.account(&login, &email, true).await;
    let in_an_hour = chrono::Utc::now().timestamp() + 3_600;
    for tamper in [
        json!({"nonce": "not-the-one"}),
        json!({"nonce": null}),
        json!({"aud": "someone-else"}),
        json!({"aud": ["gatehouse", "someone-else"]}),
        json!({"azp": "someone-else"}),
        json!({"iss": "http://127.0.0.1:1"}),
        json!({"exp": 1_000_000_000}),
        json!({"iat": in_an_hour}),
    ] {
        provider.put("tamper", tamper.clone()).await;
        let (params, _) = through_provider(&app, &provider, &login).await;
        assert_eq!(params.get("error").map(String::as_str), Some("access_denied"), "{tamper}: {params:?}");
        assert!(!params.contains_key("code"), "{tamper}");
    }
    // Untampered, the same person signs in.
    let (params, _) = through_provider(&app, &provider, &login).await;
    assert!(params.contains_key("code"), "{params:?}");
}

#[tokio::test]
async fn a_provider_that_is_down_makes_only_its_start_503() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    provider.put("fail", json!({"discovery": true})).await;
    let (_, challenge) = pkce();
    let start_url = format!("{}/auth/oidc/acme/start", app.address);
    let query = [("redirect_uri", APP_REDIRECT), ("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
    let down = app.client.get(&start_url).query(&query).send().await.unwrap();
    assert_eq!(down.status(), 503);
    assert_eq!(app.client.get(format!("{}/health", app.address)).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(format!("{}/auth/oidc/providers", app.address)).send().await.unwrap().status(), 200);
    provider.put("fail", json!({"discovery": false})).await;
    assert_eq!(app.client.get(&start_url).query(&query).send().await.unwrap().status(), 302);
}

#[tokio::test]
async fn two_instances_redeeming_one_code_or_answering_one_state_at_once_succeed_once() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    let issuer = provider.issuer.clone();
    let public_url = app.settings.server.public_url();
    let other = Arc::new(app.sibling(&[("server.public_url", &public_url)], move |s| configure(s, &issuer, true)).await);
    let app = Arc::new(app);
    let (login, email) = fresh("racer");
    provider.account(&login, &email, true).await;
    for _ in 0..8 {
        // One state answered on both instances at once.
        let (authorization_url, verifier) = start(&app).await;
        let callback = provider.sign_in(&authorization_url, &login).await;
        let barrier = Arc::new(Barrier::new(2));
        let answers = futures_util::future::join_all([app.clone(), other.clone()].into_iter().map(|instance| {
            let (barrier, callback) = (barrier.clone(), callback.replace(&app.address, &instance.address));
            tokio::spawn(async move {
                barrier.wait().await;
                let response = instance.client.get(&callback).send().await.unwrap();
                (response.status().as_u16(), response.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_owned()))
            })
        }))
        .await;
        let answers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(answers.iter().filter(|(status, _)| *status == 302).count(), 1, "{answers:?}");
        assert_eq!(answers.iter().filter(|(status, _)| *status == 400).count(), 1, "{answers:?}");
        let code = query_of(answers.iter().find_map(|(_, l)| l.as_deref()).unwrap())["code"].clone();
        // One code redeemed on both instances at once.
        let barrier = Arc::new(Barrier::new(2));
        let redemptions = futures_util::future::join_all([app.clone(), other.clone()].into_iter().map(|instance| {
            let (barrier, code, verifier) = (barrier.clone(), code.clone(), verifier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                redeem(&instance, &code, &verifier, APP_REDIRECT).await.status().as_u16()
            })
        }))
        .await;
        let mut statuses: Vec<u16> = redemptions.into_iter().map(Result::unwrap).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400], "exactly one redemption wins");
    }
}

#[tokio::test]
async fn a_signed_in_account_links_and_unlinks_an_identity_but_never_its_last_way_in() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    let (_, email) = fresh("owner");
    app.register(&email).await;
    let owner = app.login(&email).await;
    let (login, provider_email) = fresh("elsewhere");
    // The provider's address differs and is unverified: linking from the account does not care.
    provider.account(&login, &provider_email, false).await;
    let body = json!({"provider": "acme", "redirect_uri": APP_REDIRECT});
    let response = app.send_json(reqwest::Method::POST, "/users/me/identities", Some(&owner.access), &body).await;
    assert_eq!(response.status(), 200);
    let url = response.json::<Value>().await.unwrap()["authorization_url"].as_str().unwrap().to_owned();
    let callback = provider.sign_in(&url, &login).await;
    let back = app.client.get(&callback).send().await.unwrap();
    assert_eq!(query_of(&location(&back)).get("linked").map(String::as_str), Some("acme"));
    let identities: Value = app.get("/users/me/identities", &owner.access).await.json().await.unwrap();
    let id = identities["items"][0]["id"].as_str().unwrap().to_owned();
    // The identity now signs in to this account.
    let tokens = sign_in(&app, &provider, &login).await;
    assert_eq!(claims(tokens["access_token"].as_str().unwrap())["sub"], claims(&owner.access)["sub"]);
    // Another account cannot take it.
    let (_, thief_email) = fresh("thief");
    app.register(&thief_email).await;
    let thief = app.login(&thief_email).await;
    let response = app.send_json(reqwest::Method::POST, "/users/me/identities", Some(&thief.access), &body).await;
    let url = response.json::<Value>().await.unwrap()["authorization_url"].as_str().unwrap().to_owned();
    let back = app.client.get(provider.sign_in(&url, &login).await).send().await.unwrap();
    assert_eq!(query_of(&location(&back)).get("error").map(String::as_str), Some("identity_in_use"));
    // The owner has a password: unlinking is allowed.
    let unlinked = app.send_json(reqwest::Method::DELETE, &format!("/users/me/identities/{id}"), Some(&owner.access), &json!({})).await;
    assert_eq!(unlinked.status(), 204);
    // An account made by the provider has no password: its only identity stays.
    let (solo, solo_email) = fresh("solo");
    provider.account(&solo, &solo_email, true).await;
    let tokens = sign_in(&app, &provider, &solo).await;
    let access = tokens["access_token"].as_str().unwrap();
    let identities: Value = app.get("/users/me/identities", access).await.json().await.unwrap();
    let id = identities["items"][0]["id"].as_str().unwrap();
    let refused = app.send_json(reqwest::Method::DELETE, &format!("/users/me/identities/{id}"), Some(access), &json!({})).await;
    assert_eq!(refused.status(), 409);
}

#[tokio::test]
async fn two_step_sign_in_still_applies_after_a_provider_sign_in() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    let (login, email) = fresh("twostep");
    provider.account(&login, &email, true).await;
    let first = sign_in(&app, &provider, &login).await;
    let session = crate::helpers::Session {
        access: first["access_token"].as_str().unwrap().to_owned(),
        refresh: first["refresh_token"].as_str().unwrap().to_owned(),
    };
    // Fresh from the provider's sign-in: no password (the account has none) is asked for.
    let (secret, _codes) = crate::mfa::enable(&app, &session, &email).await;
    let (params, verifier) = through_provider(&app, &provider, &login).await;
    let response = redeem(&app, &params["code"], &verifier, APP_REDIRECT).await;
    assert_eq!(response.status(), 403);
    let challenge: Value = response.json().await.unwrap();
    assert_eq!(challenge["error"], "mfa_required");
    assert!(challenge.get("access_token").is_none());
    let finished = app
        .client
        .post(format!("{}/auth/token", app.address))
        .form(&[
            ("grant_type", "urn:gatehouse:grant-type:mfa"),
            ("mfa_token", challenge["mfa_token"].as_str().unwrap()),
            // The confirmation used this step's code: the next step's is accepted too.
            ("code", &crate::mfa::totp(&secret, 1)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), 200);
    let tokens: Value = finished.json().await.unwrap();
    assert_eq!(claims(tokens["access_token"].as_str().unwrap())["amr"], json!(["fed", "otp", "mfa"]));
}

#[tokio::test]
async fn a_person_who_cancels_at_the_provider_comes_back_with_access_denied() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    let (authorization_url, _) = start(&app).await;
    let callback = provider.cancel(&authorization_url).await;
    let back = app.client.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let params = query_of(&location(&back));
    assert_eq!(params.get("error").map(String::as_str), Some("access_denied"), "{params:?}");
    assert!(params.contains_key("error_description") && !params.contains_key("code"));
}

#[tokio::test]
async fn a_provider_that_sends_no_email_creates_and_links_nothing() {
    let Some((app, provider)) = oidc_app(true, &[]).await else { return };
    // An account the provider was never told about has only `sub`.
    let (login, _) = fresh("nameless");
    let (params, _) = through_provider(&app, &provider, &login).await;
    assert_eq!(params.get("error").map(String::as_str), Some("invalid_request"), "{params:?}");
    assert!(!params.contains_key("code"));
}
