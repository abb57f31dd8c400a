use crate::model::text::{TextError, is_format_character, parse_line, text_accessors};
use crate::model::{Email, Timestamp, UserId};
use std::fmt;
use std::str::FromStr;

/// A person's display name: 1 to 100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Trims and checks a name.
    ///
    /// # Errors
    /// The [`TextError`] that names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let name = parse_line(raw, Self::MAX_CHARS)?;
        if name.chars().any(is_format_character) {
            return Err(TextError::FormatCharacter);
        }
        Ok(Self(name))
    }

    /// A name read back from storage, which holds only what [`parse`](Self::parse) accepted:
    /// only its length is checked, not each character again on every read of an account.
    ///
    /// # Errors
    /// [`TextError::Empty`] or [`TextError::TooLong`] for a value `parse` never made.
    pub fn from_stored(stored: String) -> Result<Self, TextError> {
        if stored.is_empty() {
            return Err(TextError::Empty);
        }
        if stored.len() > Self::MAX_CHARS && stored.chars().count() > Self::MAX_CHARS {
            return Err(TextError::TooLong { max: Self::MAX_CHARS });
        }
        Ok(Self(stored))
    }
}

text_accessors!(UserName);

/// What a user may do: `admin` manages other accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// An ordinary account.
    User,
    /// May list, change and delete other accounts.
    Admin,
}

impl Role {
    /// Every variant, in order.
    pub const ALL: &'static [Self] = &[Self::User, Self::Admin];

    /// The wire and storage spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = crate::model::UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Self::User),
            "admin" => Ok(Self::Admin),
            _ => Err(crate::model::UnknownVariant),
        }
    }
}

/// A user account. The password hash is deliberately not part of it, so a `User` can be shown
/// or logged without risk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Stable id.
    pub id: UserId,
    /// Normalised, unique email.
    pub email: Email,
    /// Display name.
    pub name: UserName,
    /// Current role; authorization reads this, never a token claim.
    pub role: Role,
    /// A deactivated user can neither log in nor use tokens issued earlier.
    pub is_active: bool,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When the account last changed.
    pub updated_at: Timestamp,
    /// Whether the owner proved the address theirs through an emailed link.
    pub email_verified: bool,
    /// The address a requested change waits to confirm.
    pub pending_email: Option<Email>,
}

impl User {
    /// An active admin: the kind of account that must never run out.
    pub fn is_active_admin(&self) -> bool {
        self.is_active && self.role == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded_in_characters() {
        assert_eq!(UserName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert_eq!(UserName::parse("   "), Err(TextError::Empty));
        assert!(UserName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(UserName::parse(&"é".repeat(101)), Err(TextError::TooLong { max: 100 }));
        assert_eq!(UserName::parse("a\u{0}b"), Err(TextError::ControlCharacter));
        assert_eq!(UserName::parse("a\nb"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn names_refuse_zero_width_and_bidirectional_format_characters() {
        for posing in ["Ad\u{200b}a", "Ada\u{200d}", "\u{202e}adA", "Ad\u{2066}a", "Ada\u{feff}", "A\u{ad}da", "Ada\u{e0041}"] {
            assert_eq!(UserName::parse(posing), Err(TextError::FormatCharacter), "{posing:?}");
        }
        for fine in ["Zoë", "李小龙", "José María", "Ada 🙂", "محمد"] {
            assert!(UserName::parse(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn roles_round_trip_through_their_spelling() {
        for role in [Role::User, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
