//! Sign-in through a provider, the use cases alone: a scripted provider stands in for the
//! outbound adapter (the real one is tested against panva's oidc-provider in tests/api/oidc.rs),
//! so time can be moved past the lifetimes of a flow and a code.

use crate::support::World;
use chrono::Duration;
use domain::{
    AuthorizationRequest, Callback, CallbackError, Client, Email, FlowSecret, Gatehouse, IdentityProviders, OidcFlow, PkceChallenge,
    PkceVerifier, ProviderAnswer, ProviderClaims, ProviderError, ProviderId, ProviderInfo, RedeemError, SessionPolicy, SignInOutcome,
};
use std::sync::{Arc, Mutex};

/// Two providers, `acme` and `other`; `finish` answers with the claims the test scripted.
#[derive(Default)]
struct ScriptedProvider {
    claims: Mutex<Option<ProviderClaims>>,
}

impl IdentityProviders for ScriptedProvider {
    fn list(&self) -> Vec<ProviderInfo> {
        ["acme", "other"].map(|id| ProviderInfo { id: ProviderId::parse(id).unwrap(), name: id.to_owned(), allow_signup: true }).to_vec()
    }

    fn find(&self, id: &ProviderId) -> Option<ProviderInfo> {
        self.list().into_iter().find(|p| p.id == *id)
    }

    fn redirect_allowed(&self, uri: &str) -> bool {
        uri == APP
    }

    fn authorization(&self, _provider: &ProviderId, state: &FlowSecret) -> Result<AuthorizationRequest, ProviderError> {
        Ok(AuthorizationRequest {
            url: format!("https://idp.test/auth?state={}", state.expose()),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
        })
    }

    fn finish(&self, _provider: &ProviderId, _answer: &ProviderAnswer<'_>, _flow: &OidcFlow) -> Result<ProviderClaims, ProviderError> {
        self.claims.lock().unwrap().clone().ok_or_else(|| ProviderError::Rejected("nothing scripted".into()))
    }
}

const APP: &str = "https://app.test/back";

/// A verifier and its challenge under the fake S256 (the verifier reversed).
fn pkce() -> (PkceVerifier, PkceChallenge) {
    let verifier = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
    let reversed: String = verifier.chars().rev().collect();
    (PkceVerifier::parse(verifier).unwrap(), PkceChallenge::parse(&reversed).unwrap())
}

fn world(policy: SessionPolicy) -> (World, Arc<ScriptedProvider>) {
    let mut world = World::with_policy(policy);
    let provider = Arc::new(ScriptedProvider::default());
    let mut ports = world.mem.ports();
    ports.providers = provider.clone();
    world.app = Gatehouse::new(ports, policy);
    (world, provider)
}

fn acme() -> ProviderId {
    ProviderId::parse("acme").unwrap()
}

fn person(email: &str, verified: bool) -> ProviderClaims {
    ProviderClaims {
        issuer: "https://idp.test".into(),
        subject: format!("sub-{email}"),
        email: Some(Email::parse(email).unwrap()),
        email_verified: verified,
        name: None,
    }
}

/// Start and callback: the state's text and the app's code (if one was issued).
fn through(w: &World, provider: &ScriptedProvider, claims: ProviderClaims) -> (String, Option<String>) {
    *provider.claims.lock().unwrap() = Some(claims);
    let url = w.app.oidc.start(&acme(), APP, pkce().1).unwrap();
    let state = url.split("state=").nth(1).unwrap().to_owned();
    let answer = Callback { state: &state, code: Some("provider-code"), error: None, iss: None };
    let redirect = w.app.oidc.callback(&acme(), answer, &Client::default()).unwrap();
    assert_eq!(redirect.redirect_uri, APP);
    (state, redirect.params.iter().find(|(k, _)| *k == "code").map(|(_, v)| v.clone()))
}

#[test]
fn a_code_is_used_up_by_its_first_redemption_right_or_wrong() {
    let (w, provider) = world(SessionPolicy::default());
    let (_, code) = through(&w, &provider, person("new@example.com", true));
    let code = code.unwrap();
    let wrong = PkceVerifier::parse(&"z".repeat(43)).unwrap();
    assert!(matches!(w.app.oidc.redeem(&code, Some(&wrong), APP, &Client::default()), Err(RedeemError::InvalidGrant)));
    assert!(matches!(w.app.oidc.redeem(&code, Some(&pkce().0), APP, &Client::default()), Err(RedeemError::InvalidGrant)));
    let (_, code) = through(&w, &provider, person("new@example.com", true));
    let outcome = w.app.oidc.redeem(&code.unwrap(), Some(&pkce().0), APP, &Client::default()).unwrap();
    assert!(matches!(outcome, SignInOutcome::Complete(_)));
}

#[test]
fn a_state_lives_ten_minutes_and_a_code_sixty_seconds() {
    let (w, provider) = world(SessionPolicy::default());
    *provider.claims.lock().unwrap() = Some(person("late@example.com", true));
    let url = w.app.oidc.start(&acme(), APP, pkce().1).unwrap();
    let state = url.split("state=").nth(1).unwrap().to_owned();
    w.mem.clock.advance(Duration::seconds(600));
    let answer = Callback { state: &state, code: Some("c"), error: None, iss: None };
    assert!(matches!(w.app.oidc.callback(&acme(), answer, &Client::default()), Err(CallbackError::UnknownState)));

    let (_, code) = through(&w, &provider, person("late@example.com", true));
    w.mem.clock.advance(Duration::seconds(60));
    assert!(matches!(w.app.oidc.redeem(&code.unwrap(), Some(&pkce().0), APP, &Client::default()), Err(RedeemError::InvalidGrant)));
}

#[test]
fn a_state_answers_only_its_own_provider() {
    let (w, provider) = world(SessionPolicy::default());
    *provider.claims.lock().unwrap() = Some(person("mixup@example.com", true));
    let url = w.app.oidc.start(&acme(), APP, pkce().1).unwrap();
    let state = url.split("state=").nth(1).unwrap().to_owned();
    let other = ProviderId::parse("other").unwrap();
    let answer = Callback { state: &state, code: Some("c"), error: None, iss: None };
    assert!(matches!(w.app.oidc.callback(&other, answer, &Client::default()), Err(CallbackError::UnknownState)));
    // Used up by that attempt too: a state is taken before it is judged.
    assert!(matches!(w.app.oidc.callback(&acme(), answer, &Client::default()), Err(CallbackError::UnknownState)));
}

#[test]
fn a_provider_error_reaches_the_app_as_a_known_code_only() {
    let (w, _provider) = world(SessionPolicy::default());
    for (sent, passed) in [("access_denied", "access_denied"), ("login_required", "login_required"), ("<script>", "access_denied")] {
        let url = w.app.oidc.start(&acme(), APP, pkce().1).unwrap();
        let state = url.split("state=").nth(1).unwrap().to_owned();
        let answer = Callback { state: &state, code: None, error: Some(sent), iss: None };
        let redirect = w.app.oidc.callback(&acme(), answer, &Client::default()).unwrap();
        assert_eq!(redirect.params[0], ("error", passed.to_owned()), "{sent}");
    }
}

#[test]
fn a_deactivated_account_or_an_unverified_address_where_verification_is_required_gets_no_session() {
    let mut policy = SessionPolicy::default();
    policy.email.require_verified_email = true;
    let (w, provider) = world(policy);
    let (_, code) = through(&w, &provider, person("unverified@example.com", false));
    assert!(matches!(w.app.oidc.redeem(&code.unwrap(), Some(&pkce().0), APP, &Client::default()), Err(RedeemError::EmailNotVerified)));

    let (w, provider) = world(SessionPolicy::default());
    let (root, _) = w.signed_in_admin("root@example.com");
    let (_, code) = through(&w, &provider, person("leaver@example.com", true));
    let SignInOutcome::Complete(pair) = w.app.oidc.redeem(&code.unwrap(), Some(&pkce().0), APP, &Client::default()).unwrap() else {
        panic!("no second step here")
    };
    let leaver = w.principal(&pair);
    w.deactivate(&root, &leaver);
    let (_, code) = through(&w, &provider, person("leaver@example.com", true));
    assert!(matches!(w.app.oidc.redeem(&code.unwrap(), Some(&pkce().0), APP, &Client::default()), Err(RedeemError::InvalidGrant)));
}
