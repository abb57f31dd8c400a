//! Scripted WebAuthn ceremonies for the use-case tests: no cryptography, but the same contract
//! as the real adapter (an answer belongs to one challenge, names its credential and may carry
//! a user handle, user verification and a counter). [`FakeCeremonies::answer`] builds answers.

use crate::error::InfraError;
use crate::model::{Passkey, PasskeyRules, User, UserId};
use crate::ports::{Assertion, CeremonyRejected, CeremonyStart, PasskeyCeremonies, PresentedCredential, RegisteredCredential};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

/// Ceremonies whose options are `{"challenge": …, "allow": […]}` and whose answers are JSON made
/// by [`FakeCeremonies::answer`].
#[derive(Debug, Default)]
pub struct FakeCeremonies {
    next: AtomicU64,
}

/// What a scripted authenticator answers.
#[derive(Debug, Clone, Default)]
pub struct FakeAnswer {
    /// The credential id.
    pub credential_id: String,
    /// The user handle, if the authenticator sends one.
    pub user: Option<UserId>,
    /// User verification.
    pub uv: bool,
    /// The signature counter.
    pub counter: u32,
    /// A signature that does not verify, when true.
    pub forged: bool,
}

impl FakeCeremonies {
    /// The answer `answer` to the ceremony whose options are `options`.
    pub fn answer(options: &str, answer: &FakeAnswer) -> String {
        let challenge = serde_json::from_str::<Value>(options).ok().and_then(|o| o["challenge"].as_str().map(str::to_owned));
        json!({
            "challenge": challenge,
            "credential_id": answer.credential_id,
            "user_handle": answer.user.map(|u| u.to_string()),
            "uv": answer.uv,
            "counter": answer.counter,
            "valid": !answer.forged,
        })
        .to_string()
    }

    fn start(&self, allowed: &[Passkey]) -> CeremonyStart {
        let challenge = format!("challenge-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let allow: Vec<&str> = allowed.iter().map(|p| p.credential_id.as_str()).collect();
        let options = json!({ "challenge": challenge, "allow": allow }).to_string();
        CeremonyStart { state: options.clone(), options }
    }
}

fn parse(raw: &str) -> Result<Value, CeremonyRejected> {
    serde_json::from_str(raw).map_err(|_| CeremonyRejected::Invalid)
}

/// The answer, if it answers the ceremony of `state` with a valid signature.
fn answering(state: &str, answer: &str) -> Result<Value, CeremonyRejected> {
    let (state, answer) = (parse(state)?, parse(answer)?);
    if answer["challenge"] != state["challenge"] || answer["valid"] != json!(true) {
        return Err(CeremonyRejected::Invalid);
    }
    let allow = state["allow"].as_array().cloned().unwrap_or_default();
    if !allow.is_empty() && !allow.contains(&answer["credential_id"]) {
        return Err(CeremonyRejected::Invalid);
    }
    Ok(answer)
}

impl PasskeyCeremonies for FakeCeremonies {
    fn registration(&self, _user: &User, existing: &[Passkey]) -> Result<CeremonyStart, InfraError> {
        Ok(self.start(existing))
    }

    fn finish_registration(&self, state: &str, answer: &str) -> Result<RegisteredCredential, CeremonyRejected> {
        let (state, answer) = (parse(state)?, parse(answer)?);
        let id = answer["credential_id"].as_str().ok_or(CeremonyRejected::Invalid)?;
        let excluded = state["allow"].as_array().is_some_and(|a| a.contains(&answer["credential_id"]));
        if answer["challenge"] != state["challenge"] || answer["valid"] != json!(true) || excluded {
            return Err(CeremonyRejected::Invalid);
        }
        Ok(RegisteredCredential {
            credential_id: id.to_owned(),
            credential: format!("fake-key:{id}"),
            counter: u32::try_from(answer["counter"].as_u64().unwrap_or(0)).unwrap_or(0),
            backed_up: false,
            transports: vec!["internal".to_owned()],
        })
    }

    fn sign_in(&self, allowed: &[Passkey]) -> Result<CeremonyStart, InfraError> {
        Ok(self.start(allowed))
    }

    fn presented(&self, answer: &str) -> Result<PresentedCredential, CeremonyRejected> {
        let answer = parse(answer)?;
        let credential_id = answer["credential_id"].as_str().ok_or(CeremonyRejected::Invalid)?.to_owned();
        let user_handle = answer["user_handle"].as_str().and_then(|u| uuid::Uuid::parse_str(u).ok()).map(|u| u.as_bytes().to_vec());
        Ok(PresentedCredential { credential_id, user_handle })
    }

    fn finish_sign_in(&self, state: &str, answer: &str, passkey: &Passkey) -> Result<Assertion, CeremonyRejected> {
        let answer = answering(state, answer)?;
        if answer["credential_id"].as_str() != Some(passkey.credential_id.as_str()) {
            return Err(CeremonyRejected::Invalid);
        }
        let counter = u32::try_from(answer["counter"].as_u64().unwrap_or(0)).map_err(|_| CeremonyRejected::Invalid)?;
        if PasskeyRules::counter_regressed(passkey.counter, counter) {
            return Err(CeremonyRejected::CounterRegressed);
        }
        Ok(Assertion { user_verified: answer["uv"] == json!(true), counter, backed_up: false })
    }
}
