//! The secrets of a provider sign-in that Gatehouse mints: the `state` it sends the provider and
//! the one-time code it hands the app, each a prefix of its own and 256 bits from the OS random
//! source, stored only as SHA-256; and RFC 7636's S256, to check an app's `code_verifier`.

use crate::refresh::{is_random_part, random_part, sha256_hex};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{FlowDigest, FlowSecret, FlowSecrets, PkceVerifier};
use sha2::{Digest, Sha256};

/// What every `state` starts with.
pub const STATE_PREFIX: &str = "gatehouse_os_";
/// What every app code starts with.
pub const APP_CODE_PREFIX: &str = "gatehouse_oc_";

/// The production [`FlowSecrets`].
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomFlowSecrets;

impl FlowSecrets for RandomFlowSecrets {
    /// # Panics
    /// Only if the operating system's random source fails.
    fn state(&self) -> FlowSecret {
        FlowSecret::new(format!("{STATE_PREFIX}{}", random_part()))
    }

    /// # Panics
    /// Only if the operating system's random source fails.
    fn code(&self) -> FlowSecret {
        FlowSecret::new(format!("{APP_CODE_PREFIX}{}", random_part()))
    }

    fn recognises_state(&self, text: &str) -> bool {
        text.strip_prefix(STATE_PREFIX).is_some_and(is_random_part)
    }

    fn recognises_code(&self, text: &str) -> bool {
        text.strip_prefix(APP_CODE_PREFIX).is_some_and(is_random_part)
    }

    fn digest(&self, text: &str) -> FlowDigest {
        FlowDigest::new(sha256_hex(text))
    }

    fn s256(&self, verifier: &PkceVerifier) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_is_rfc_7636s_appendix_b() {
        let verifier = PkceVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(RandomFlowSecrets.s256(&verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn states_and_codes_are_told_apart_and_unique() {
        let (state, code) = (RandomFlowSecrets.state(), RandomFlowSecrets.code());
        assert!(RandomFlowSecrets.recognises_state(state.expose()) && !RandomFlowSecrets.recognises_code(state.expose()));
        assert!(RandomFlowSecrets.recognises_code(code.expose()) && !RandomFlowSecrets.recognises_state(code.expose()));
        assert_ne!(RandomFlowSecrets.state().expose(), state.expose());
        assert_eq!(RandomFlowSecrets.digest(code.expose()), RandomFlowSecrets.digest(code.expose()));
    }
}
