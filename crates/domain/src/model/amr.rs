//! How a session signed in: its authentication methods (RFC 8176 `amr` values).

use crate::model::UnknownVariant;
use std::fmt;
use std::str::FromStr;

/// One authentication method of RFC 8176 that Gatehouse uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// A password.
    Pwd,
    /// An OpenID Connect provider's sign-in (federated).
    Fed,
    /// A hardware-backed key: a passkey.
    Hwk,
    /// The user was verified by the authenticator (PIN or biometric) of a passkey.
    User,
    /// A one-time password: TOTP or a recovery code.
    Otp,
    /// More than one factor.
    Mfa,
}

impl AuthMethod {
    /// Every method, in the order an `amr` lists them: the first factor, the passkey's user
    /// verification, the second factor, then `mfa` (`["pwd","otp","mfa"]`, `["hwk","user","mfa"]`).
    pub const ALL: [Self; 6] = [Self::Pwd, Self::Fed, Self::Hwk, Self::User, Self::Otp, Self::Mfa];

    /// The RFC 8176 spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pwd => "pwd",
            Self::Fed => "fed",
            Self::Hwk => "hwk",
            Self::User => "user",
            Self::Otp => "otp",
            Self::Mfa => "mfa",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl FromStr for AuthMethod {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.as_str() == s).ok_or(UnknownVariant)
    }
}

/// The methods a session signed in with: a set, listed in [`AuthMethod::ALL`]'s order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Amr(u8);

impl Amr {
    /// A password alone.
    pub const PASSWORD: Self = Self::of(&[AuthMethod::Pwd]);
    /// An OpenID Connect provider alone.
    pub const FEDERATED: Self = Self::of(&[AuthMethod::Fed]);

    /// The set of `methods`.
    pub const fn of(methods: &[AuthMethod]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < methods.len() {
            bits |= methods[i].bit();
            i += 1;
        }
        Self(bits)
    }

    /// A passkey's sign-in: with user verification it proves two factors by itself (`hwk user
    /// mfa`); without, one (`hwk`).
    pub const fn passkey(user_verified: bool) -> Self {
        if user_verified { Self::of(&[AuthMethod::Hwk, AuthMethod::User, AuthMethod::Mfa]) } else { Self::of(&[AuthMethod::Hwk]) }
    }

    /// Whether `method` is among them.
    pub const fn has(self, method: AuthMethod) -> bool {
        self.0 & method.bit() != 0
    }

    /// Whether the sign-in proved more than one factor.
    pub const fn is_multi_factor(self) -> bool {
        self.has(AuthMethod::Mfa)
    }

    /// This first factor followed by a second step that proved `second`: both, and `mfa`.
    #[must_use]
    pub const fn then(self, second: AuthMethod) -> Self {
        Self(self.0 | second.bit() | AuthMethod::Mfa.bit())
    }

    /// The methods, in order.
    pub fn methods(self) -> impl Iterator<Item = AuthMethod> {
        AuthMethod::ALL.into_iter().filter(move |m| self.has(*m))
    }

    /// The stored form: the methods separated by spaces (`pwd otp mfa`).
    pub fn to_stored(self) -> String {
        self.to_string()
    }

    /// Reads the stored form back.
    ///
    /// # Errors
    /// [`UnknownVariant`] for a word that is no method, or none at all.
    pub fn from_stored(stored: &str) -> Result<Self, UnknownVariant> {
        let mut bits = 0;
        for word in stored.split_whitespace() {
            bits |= word.parse::<AuthMethod>()?.bit();
        }
        if bits == 0 { Err(UnknownVariant) } else { Ok(Self(bits)) }
    }
}

impl fmt::Display for Amr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for method in self.methods() {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(method.as_str())?;
            first = false;
        }
        Ok(())
    }
}

impl fmt::Debug for Amr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.methods().map(AuthMethod::as_str)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(amr: Amr) -> Vec<&'static str> {
        amr.methods().map(AuthMethod::as_str).collect()
    }

    #[test]
    fn every_sign_in_of_the_contract_lists_its_methods_in_the_contracts_order() {
        use AuthMethod::{Hwk, Otp};
        assert_eq!(listed(Amr::PASSWORD), ["pwd"]);
        assert_eq!(listed(Amr::PASSWORD.then(Otp)), ["pwd", "otp", "mfa"]);
        assert_eq!(listed(Amr::PASSWORD.then(Hwk)), ["pwd", "hwk", "mfa"]);
        assert_eq!(listed(Amr::passkey(true)), ["hwk", "user", "mfa"]);
        assert_eq!(listed(Amr::passkey(false)), ["hwk"]);
        assert_eq!(listed(Amr::passkey(false).then(Otp)), ["hwk", "otp", "mfa"]);
        assert_eq!(listed(Amr::FEDERATED), ["fed"]);
        assert_eq!(listed(Amr::FEDERATED.then(Otp)), ["fed", "otp", "mfa"]);
        assert_eq!(listed(Amr::FEDERATED.then(Hwk)), ["fed", "hwk", "mfa"]);
    }

    #[test]
    fn the_stored_form_reads_back_and_nothing_else_does() {
        let amr = Amr::PASSWORD.then(AuthMethod::Otp);
        assert_eq!(amr.to_stored(), "pwd otp mfa");
        assert_eq!(Amr::from_stored("pwd otp mfa"), Ok(amr));
        assert!(Amr::from_stored("").is_err());
        assert!(Amr::from_stored("pwd sms").is_err());
        assert!(!Amr::PASSWORD.is_multi_factor() && amr.is_multi_factor());
    }
}
