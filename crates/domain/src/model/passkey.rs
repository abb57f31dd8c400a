//! Passkeys: a registered credential, its name, the server-side challenges of the ceremonies,
//! and the two rules the reported bugs of other systems are about: a signature counter that did
//! not move forward is a sign of a cloned authenticator (WebAuthn §7.2 step 22), and only a
//! sign-in with user verification proves two factors by itself.

use crate::model::text::{TextError, parse_line, text_accessors};
use crate::model::{Amr, PasskeyId, Timestamp, UserId};
use std::fmt;

/// A passkey's name, shown in the list (1 to 100 characters, one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Trims and checks a name.
    ///
    /// # Errors
    /// The [`TextError`] that names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        parse_line(raw, Self::MAX_CHARS).map(Self)
    }
}

text_accessors!(PasskeyName);

/// A registered passkey. The credential itself (its id, public key and the library's state) is
/// opaque to the domain: the adapter that verifies ceremonies reads and writes it.
#[derive(Clone, PartialEq, Eq)]
pub struct Passkey {
    /// Its id in the API.
    pub id: PasskeyId,
    /// The account.
    pub user_id: UserId,
    /// The credential id the authenticator returns, base64url (looked up on a sign-in).
    pub credential_id: String,
    /// Its name.
    pub name: PasskeyName,
    /// The verifying adapter's stored form of the credential (public key, algorithm, flags).
    pub credential: String,
    /// The last signature counter seen (0: the authenticator keeps none).
    pub counter: u32,
    /// Whether the credential is backed up (synced to other devices).
    pub backed_up: bool,
    /// How the authenticator said it can be reached (`internal`, `usb`, `hybrid`, …).
    pub transports: Vec<String>,
    /// When it was registered.
    pub created_at: Timestamp,
    /// Its last sign-in.
    pub last_used_at: Option<Timestamp>,
}

impl fmt::Debug for Passkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passkey").field("id", &self.id).field("user_id", &self.user_id).field("name", &self.name).finish_non_exhaustive()
    }
}

/// The rules of passkeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasskeyRules;

impl PasskeyRules {
    /// Passkeys one account may hold.
    pub const MAX_PER_ACCOUNT: u32 = 20;
    /// Seconds a ceremony's challenge lives.
    pub const CHALLENGE_SECS: i64 = 300;

    /// Whether a sign-in's counter says the authenticator may have been cloned: when either the
    /// stored or the presented counter is not zero, the presented one must be greater (WebAuthn
    /// §7.2 step 22). Both zero: the authenticator keeps no counter, nothing to compare.
    pub const fn counter_regressed(stored: u32, presented: u32) -> bool {
        (stored != 0 || presented != 0) && presented <= stored
    }

    /// What a passkey sign-in proved: with user verification (a PIN, a fingerprint) two factors,
    /// `hwk user mfa`; without, one, `hwk`, which an account with two-step sign-in on follows with
    /// a second step of another kind.
    pub const fn amr(user_verified: bool) -> Amr {
        Amr::passkey(user_verified)
    }
}

/// What a ceremony's challenge is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Registering a passkey for this account.
    Register(UserId),
    /// A discoverable sign-in: any account's passkey may answer.
    SignIn,
    /// The second step of a sign-in of this account: only its passkeys may answer.
    SecondStep(UserId),
}

/// A ceremony waiting for the authenticator's answer, kept server-side (never in a cookie or
/// the client) and used up by its first answer, right or wrong.
#[derive(Clone, PartialEq, Eq)]
pub struct PasskeyChallenge {
    /// Its id, which the client sends back as `challenge_id`.
    pub id: uuid::Uuid,
    /// What it is for.
    pub purpose: CeremonyPurpose,
    /// The verifying adapter's state of the ceremony (the challenge bytes, the policy).
    pub state: String,
    /// Five minutes after it was made.
    pub expires_at: Timestamp,
}

impl fmt::Debug for PasskeyChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyChallenge").field("id", &self.id).field("purpose", &self.purpose).finish_non_exhaustive()
    }
}

impl PasskeyChallenge {
    /// Whether it may still be answered at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AuthMethod;

    #[test]
    fn a_counter_must_move_forward_unless_the_authenticator_keeps_none() {
        assert!(!PasskeyRules::counter_regressed(0, 0), "no counter kept");
        assert!(!PasskeyRules::counter_regressed(0, 1));
        assert!(!PasskeyRules::counter_regressed(41, 42));
        assert!(PasskeyRules::counter_regressed(42, 42), "the same counter twice: a clone answered too");
        assert!(PasskeyRules::counter_regressed(42, 7));
        assert!(PasskeyRules::counter_regressed(42, 0), "a counter that fell back to zero");
    }

    #[test]
    fn only_user_verification_makes_a_passkey_two_factors() {
        assert!(PasskeyRules::amr(true).is_multi_factor());
        assert!(PasskeyRules::amr(true).has(AuthMethod::User));
        assert!(!PasskeyRules::amr(false).is_multi_factor());
        assert_eq!(PasskeyRules::amr(false).methods().collect::<Vec<_>>(), [AuthMethod::Hwk]);
    }

    #[test]
    fn names_are_one_line_of_at_most_100_characters() {
        assert_eq!(PasskeyName::parse("  YubiKey 5C  ").unwrap().as_str(), "YubiKey 5C");
        assert!(PasskeyName::parse("").is_err());
        assert!(PasskeyName::parse(&"k".repeat(101)).is_err());
        assert!(PasskeyName::parse(&"k".repeat(100)).is_ok());
    }
}
