//! The WebAuthn ceremonies of passkeys, by `webauthn-rs-core` (kanidm's webauthn-rs, its core
//! crate). The high-level `webauthn-rs` passkey API requires user verification on every
//! ceremony; the contract asks for it *preferred* and lets the UV flag decide whether a
//! sign-in proved one factor or two, so the core is used with exactly these choices: resident
//! key required, user verification preferred, no attestation asked or checked (a passkey is
//! proof of possession, not of make), the relying party from `server.public_url` and only its
//! origin (plus `webauthn.extra_origins`), no subdomains, no other port. The core's ceremony
//! states serialise natively (what the wrapper's `danger-allow-state-serialisation` feature
//! unlocks), and Gatehouse keeps them in its database, never in the client.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{
    Assertion, CeremonyRejected, CeremonyStart, InfraError, Passkey, PasskeyCeremonies, PresentedCredential, RegisteredCredential, User,
};
use std::time::Duration;
use url::Url;
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::error::WebauthnError;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AuthenticationState, Credential, PublicKeyCredential, RegisterPublicKeyCredential, RegistrationState,
    UserVerificationPolicy,
};

/// How long the browser is told to wait for the authenticator: the challenge's lifetime.
const TIMEOUT: Duration = Duration::from_secs(300);

/// A setting the relying party cannot be made from.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WebauthnSettingsError(String);

/// The relying party's ceremonies.
pub struct WebauthnCeremonies {
    core: WebauthnCore,
}

impl std::fmt::Debug for WebauthnCeremonies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebauthnCeremonies").field("rp_name", &self.core.rp_name()).finish_non_exhaustive()
    }
}

impl WebauthnCeremonies {
    /// The relying party `name` whose id is the host of `public_url`, accepting its origin and
    /// `extra_origins`.
    ///
    /// # Errors
    /// A [`WebauthnSettingsError`] naming the URL that is not one, or a URL without a host.
    pub fn new(name: &str, public_url: &str, extra_origins: &[String]) -> Result<Self, WebauthnSettingsError> {
        let parse = |key: &str, raw: &str| {
            Url::parse(raw)
                .ok()
                .filter(|u| u.host_str().is_some())
                .ok_or_else(|| WebauthnSettingsError(format!("{key}: {raw:?} is not an http(s) URL with a host")))
        };
        let own = parse("server.public_url", public_url)?;
        let rp_id = own.host_str().unwrap_or_default().to_owned();
        let mut origins = vec![origin(&own)];
        for extra in extra_origins {
            origins.push(origin(&parse("webauthn.extra_origins", extra)?));
        }
        let core = WebauthnCore::new_unsafe_experts_only(name, &rp_id, origins, TIMEOUT, Some(false), Some(false));
        Ok(Self { core })
    }
}

/// The origin alone (scheme, host, port) of `url`.
fn origin(url: &Url) -> Url {
    let mut origin = url.clone();
    origin.set_path("");
    origin.set_query(None);
    origin.set_fragment(None);
    origin
}

fn library(e: impl std::fmt::Display) -> InfraError {
    InfraError::internal(format!("webauthn: {e}"))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, InfraError> {
    serde_json::to_string(value).map_err(library)
}

fn stored(passkey: &Passkey) -> Result<Credential, CeremonyRejected> {
    serde_json::from_str(&passkey.credential).map_err(|e| CeremonyRejected::Infra(library(format!("stored credential: {e}"))))
}

/// The credential as a ceremony checks it: its counter is the stored column (the store moves it
/// with one conditional write, not the library's copy), and its registration's UV does not bind
/// later sign-ins (the library would refuse a sign-in without UV of a credential registered
/// with it; the contract counts such a sign-in as one factor instead).
fn for_ceremony(passkey: &Passkey) -> Result<Credential, CeremonyRejected> {
    let mut credential = stored(passkey)?;
    credential.counter = passkey.counter;
    credential.user_verified = false;
    Ok(credential)
}

impl PasskeyCeremonies for WebauthnCeremonies {
    fn registration(&self, user: &User, existing: &[Passkey]) -> Result<CeremonyStart, InfraError> {
        let exclude = existing.iter().filter_map(|p| URL_SAFE_NO_PAD.decode(&p.credential_id).ok()).collect();
        let display = if user.name.as_str().is_empty() { user.email.as_str() } else { user.name.as_str() };
        let builder = self
            .core
            .new_challenge_register_builder(user.id.as_uuid().as_bytes(), user.email.as_str(), display)
            .map_err(library)?
            .attestation(AttestationConveyancePreference::None)
            .user_verification_policy(UserVerificationPolicy::Preferred)
            .exclude_credentials(Some(exclude))
            .require_resident_key(true);
        let (options, state) = self.core.generate_challenge_register(builder).map_err(library)?;
        Ok(CeremonyStart { options: json(&options.public_key)?, state: json(&state)? })
    }

    fn finish_registration(&self, state: &str, answer: &str) -> Result<RegisteredCredential, CeremonyRejected> {
        let state: RegistrationState = serde_json::from_str(state).map_err(|e| CeremonyRejected::Infra(library(e)))?;
        let answer: RegisterPublicKeyCredential = serde_json::from_str(answer).map_err(|_| CeremonyRejected::Invalid)?;
        let credential = self.core.register_credential(&answer, &state, None).map_err(|_| CeremonyRejected::Invalid)?;
        let transports = credential
            .transports
            .iter()
            .flatten()
            .filter_map(|t| serde_json::to_value(t).ok()?.as_str().map(str::to_owned))
            .filter(|t| t != "unknown")
            .collect();
        Ok(RegisteredCredential {
            credential_id: URL_SAFE_NO_PAD.encode(&credential.cred_id),
            counter: credential.counter,
            backed_up: credential.backup_state,
            transports,
            credential: json(&credential)?,
        })
    }

    fn sign_in(&self, allowed: &[Passkey]) -> Result<CeremonyStart, InfraError> {
        let credentials = allowed.iter().map(for_ceremony).collect::<Result<Vec<_>, _>>().map_err(|e| match e {
            CeremonyRejected::Infra(e) => e,
            other => library(other),
        })?;
        let builder =
            self.core.new_challenge_authenticate_builder(credentials, Some(UserVerificationPolicy::Preferred)).map_err(library)?;
        let (options, state) = self.core.generate_challenge_authenticate(builder).map_err(library)?;
        let mut options = serde_json::to_value(&options.public_key).map_err(library)?;
        // A discoverable sign-in names no credential: the key is left out, not an empty list.
        if options["allowCredentials"].as_array().is_some_and(Vec::is_empty) {
            options.as_object_mut().map(|o| o.remove("allowCredentials"));
        }
        Ok(CeremonyStart { options: options.to_string(), state: json(&state)? })
    }

    fn presented(&self, answer: &str) -> Result<PresentedCredential, CeremonyRejected> {
        let answer: PublicKeyCredential = serde_json::from_str(answer).map_err(|_| CeremonyRejected::Invalid)?;
        Ok(PresentedCredential {
            credential_id: URL_SAFE_NO_PAD.encode(answer.get_credential_id()),
            user_handle: answer.get_user_unique_id().map(<[u8]>::to_vec),
        })
    }

    fn finish_sign_in(&self, state: &str, answer: &str, passkey: &Passkey) -> Result<Assertion, CeremonyRejected> {
        let mut state: AuthenticationState = serde_json::from_str(state).map_err(|e| CeremonyRejected::Infra(library(e)))?;
        let answer: PublicKeyCredential = serde_json::from_str(answer).map_err(|_| CeremonyRejected::Invalid)?;
        // The domain found this passkey by the answer's credential id and checked its owner; the
        // ceremony now verifies the answer against exactly it.
        state.set_allowed_credentials(vec![for_ceremony(passkey)?]);
        match self.core.authenticate_credential(&answer, &state) {
            Ok(result) => {
                Ok(Assertion { user_verified: result.user_verified(), counter: result.counter(), backed_up: result.backup_state() })
            }
            Err(WebauthnError::CredentialPossibleCompromise) => Err(CeremonyRejected::CounterRegressed),
            Err(_) => Err(CeremonyRejected::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_public_urls_host_and_a_bad_origin_names_its_key() {
        let rp = WebauthnCeremonies::new("Gatehouse", "https://auth.example.com/base/", &["https://app.example.com".into()]).unwrap();
        let origins: Vec<&str> = rp.core.get_allowed_origins().iter().map(Url::as_str).collect();
        assert_eq!(origins, ["https://auth.example.com/", "https://app.example.com/"], "origins alone, no path");
        let bad = WebauthnCeremonies::new("Gatehouse", "https://auth.example.com", &["not a url".into()]).unwrap_err();
        assert!(bad.to_string().contains("webauthn.extra_origins"), "{bad}");
        let no_host = WebauthnCeremonies::new("Gatehouse", "mailto:someone", &[]).unwrap_err();
        assert!(no_host.to_string().contains("server.public_url"), "{no_host}");
    }

    #[test]
    fn a_discoverable_sign_in_lists_no_credentials_and_prefers_user_verification() {
        let rp = WebauthnCeremonies::new("Gatehouse", "http://localhost:8443", &[]).unwrap();
        let start = rp.sign_in(&[]).unwrap();
        let options: serde_json::Value = serde_json::from_str(&start.options).unwrap();
        assert!(options.get("allowCredentials").is_none(), "{options}");
        assert_eq!(options["userVerification"], "preferred");
        assert_eq!(options["rpId"], "localhost");
    }
}
