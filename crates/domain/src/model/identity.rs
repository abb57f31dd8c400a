//! Sign-in through an OpenID Connect provider: a
//! provider's id, what its verified ID token says about a person, and the linking rules that
//! keep a provider from taking over an account (an identity is the pair issuer and `sub`, never
//! an email; an email links two identities only when both sides have verified it).

use crate::model::{Email, User, UserId};
use std::fmt;

/// Why a provider id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to 32 characters of a-z, 0-9 and -")]
pub struct ProviderIdError;

/// A configured provider's id, as it appears in paths (`/auth/oidc/{provider}/start`):
/// `[a-z0-9-]{1,32}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderId(String);

impl ProviderId {
    /// The longest id, in characters.
    pub const MAX_CHARS: usize = 32;

    /// Checks an id.
    ///
    /// # Errors
    /// [`ProviderIdError`] for anything but 1 to 32 of `a-z`, `0-9` and `-`.
    pub fn parse(raw: &str) -> Result<Self, ProviderIdError> {
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
        if raw.is_empty() || raw.len() > Self::MAX_CHARS || !raw.bytes().all(allowed) {
            return Err(ProviderIdError);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a provider's ID token, its signature and claims checked, says about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderClaims {
    /// `iss`: exactly the configured issuer.
    pub issuer: String,
    /// `sub`: with the issuer, the identity.
    pub subject: String,
    /// `email`, when the provider sent one that parses.
    pub email: Option<Email>,
    /// `email_verified`: absent counts as false.
    pub email_verified: bool,
    /// `name`, for a new account's name.
    pub name: Option<String>,
}

/// What a first sign-in with an identity no account has yet finds locally.
#[derive(Debug, Clone, Copy)]
pub struct LocalMatch<'a> {
    /// The account whose email is the provider's, if any.
    pub account_with_email: Option<&'a User>,
    /// Whether the provider may create accounts (`allow_signup`).
    pub allow_signup: bool,
}

/// What a first sign-in with an identity does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstSignIn {
    /// Both sides verified the address: the identity is linked to this account.
    Link(UserId),
    /// An account has this address, but one side has not verified it: its owner signs in
    /// another way and links from the account (`error=account_exists`).
    AccountExists,
    /// Nobody has the address: a new account without a password, its address verified as the
    /// provider says.
    SignUp {
        /// The new account's address.
        email: Email,
        /// Whether the provider verified it (no verification mail then).
        email_verified: bool,
    },
    /// Nobody has the address and the provider may not create accounts (`error=signup_disabled`).
    SignupDisabled,
    /// The provider sent no usable email: no account can be matched or made
    /// (`error=invalid_request`).
    NoEmail,
}

impl ProviderClaims {
    /// The linking rule of a first sign-in: an email links an identity to an account only when
    /// the provider says `email_verified` **and** the account's address is verified, so neither a
    /// provider that lets anyone claim an address nor someone who pre-registered a victim's
    /// address unverified can take the account over. A deactivated account is matched like any
    /// other; its sign-in is refused later, where every sign-in of it is.
    pub fn first_sign_in(&self, local: LocalMatch<'_>) -> FirstSignIn {
        let Some(email) = &self.email else { return FirstSignIn::NoEmail };
        match local.account_with_email {
            Some(account) if self.email_verified && account.email_verified => FirstSignIn::Link(account.id),
            Some(_) => FirstSignIn::AccountExists,
            None if local.allow_signup => FirstSignIn::SignUp { email: email.clone(), email_verified: self.email_verified },
            None => FirstSignIn::SignupDisabled,
        }
    }
}

/// The ways an account can sign in, counted: one is never taken away if it is the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaysIn {
    /// Whether the account has a password.
    pub password: bool,
    /// Linked provider identities.
    pub identities: u32,
    /// Registered passkeys that sign in without a password.
    pub passkeys: u32,
}

impl WaysIn {
    /// Whether one identity may be unlinked: something else still signs in.
    pub fn may_unlink_identity(self) -> bool {
        self.password || self.passkeys > 0 || self.identities > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, UserName};
    use chrono::{TimeZone, Utc};

    fn account(email: &str, verified: bool) -> User {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        User {
            id: UserId::from_uuid(uuid::Uuid::from_u128(7)),
            email: Email::parse(email).unwrap(),
            name: UserName::parse("Ada").unwrap(),
            role: Role::User,
            is_active: true,
            created_at: at,
            updated_at: at,
            email_verified: verified,
            pending_email: None,
        }
    }

    fn claims(email: Option<&str>, verified: bool) -> ProviderClaims {
        ProviderClaims {
            issuer: "https://sso.example".to_owned(),
            subject: "248289761001".to_owned(),
            email: email.map(|e| Email::parse(e).unwrap()),
            email_verified: verified,
            name: None,
        }
    }

    #[test]
    fn an_email_links_only_when_both_sides_verified_it() {
        for (provider, local, linked) in [(true, true, true), (true, false, false), (false, true, false), (false, false, false)] {
            let ada = account("ada@example.com", local);
            let decision =
                claims(Some("ada@example.com"), provider).first_sign_in(LocalMatch { account_with_email: Some(&ada), allow_signup: true });
            let expected = if linked { FirstSignIn::Link(ada.id) } else { FirstSignIn::AccountExists };
            assert_eq!(decision, expected, "provider verified {provider}, account verified {local}");
        }
    }

    #[test]
    fn a_new_address_signs_up_only_where_allowed_and_no_email_matches_nothing() {
        let email = Email::parse("new@example.com").unwrap();
        let allowed = LocalMatch { account_with_email: None, allow_signup: true };
        assert_eq!(claims(Some("new@example.com"), false).first_sign_in(allowed), FirstSignIn::SignUp { email, email_verified: false });
        let closed = LocalMatch { account_with_email: None, allow_signup: false };
        assert_eq!(claims(Some("new@example.com"), true).first_sign_in(closed), FirstSignIn::SignupDisabled);
        // Linking by the rule still works where sign-up is off.
        let ada = account("ada@example.com", true);
        let linking = LocalMatch { account_with_email: Some(&ada), allow_signup: false };
        assert_eq!(claims(Some("ada@example.com"), true).first_sign_in(linking), FirstSignIn::Link(ada.id));
        assert_eq!(claims(None, true).first_sign_in(allowed), FirstSignIn::NoEmail);
    }

    #[test]
    fn the_last_way_in_is_never_unlinked() {
        assert!(!WaysIn { password: false, identities: 1, passkeys: 0 }.may_unlink_identity());
        assert!(WaysIn { password: true, identities: 1, passkeys: 0 }.may_unlink_identity());
        assert!(WaysIn { password: false, identities: 2, passkeys: 0 }.may_unlink_identity());
        assert!(WaysIn { password: false, identities: 1, passkeys: 1 }.may_unlink_identity());
    }

    #[test]
    fn provider_ids_are_path_safe() {
        assert_eq!(ProviderId::parse("acme-sso-2").unwrap().as_str(), "acme-sso-2");
        for bad in ["", "Acme", "acme_sso", "a/b", "acme.example", &"a".repeat(33)] {
            assert_eq!(ProviderId::parse(bad), Err(ProviderIdError), "{bad:?}");
        }
        assert!(ProviderId::parse(&"a".repeat(32)).is_ok());
    }
}
