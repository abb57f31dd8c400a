use crate::model::text::text_accessors;
use validator::ValidateEmail;

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Longer than 254 characters.
    #[error("must be at most {} characters", Email::MAX_CHARS)]
    TooLong,
    /// Not of the form `local@domain.tld`.
    #[error("must be a valid email address")]
    Invalid,
}

/// An email address, validated and normalised to lower case, so `A@X.io` and `a@x.io` are the
/// same account.
///
/// Valid means what the `validator` crate's email check accepts (the HTML living standard's
/// definition, internationalised domain names allowed), and on top of it: a domain of at least
/// two labels, none empty, whose last is not all digits, and a local part without empty
/// dot-separated atoms (`a..b`, `.a`, `a.`), which mail systems refuse.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The longest address, in characters (RFC 5321's path limit less the brackets).
    pub const MAX_CHARS: usize = 254;

    /// Validates and normalises an address.
    ///
    /// # Errors
    /// [`EmailError::TooLong`] or [`EmailError::Invalid`].
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let normalised = raw.to_lowercase();
        if normalised.chars().count() > Self::MAX_CHARS {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = normalised.rsplit_once('@').ok_or(EmailError::Invalid)?;
        if !normalised.validate_email() || !valid_local_part(local) || !valid_domain(domain) {
            return Err(EmailError::Invalid);
        }
        Ok(Self(normalised))
    }

    /// An address read back from storage, which holds only what [`parse`](Self::parse)
    /// accepted: only its shape is checked (an `@` between non-empty parts, within the length,
    /// no upper case), which catches a row written by something else without paying for the
    /// full check on every read of an account (a third of the row's decoding).
    ///
    /// # Errors
    /// [`EmailError::TooLong`] or [`EmailError::Invalid`] for a value `parse` never made.
    pub fn from_stored(stored: String) -> Result<Self, EmailError> {
        // Bytes bound characters from above; the exact count only when the bytes allow more.
        if stored.len() > Self::MAX_CHARS && stored.chars().count() > Self::MAX_CHARS {
            return Err(EmailError::TooLong);
        }
        let shaped = stored.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !shaped || stored.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(EmailError::Invalid);
        }
        Ok(Self(stored))
    }
}

text_accessors!(Email);

fn valid_local_part(local: &str) -> bool {
    local.split('.').all(|atom| !atom.is_empty())
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let top_level_ok = labels.last().is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    labels.len() >= 2 && labels.iter().all(|label| !label.is_empty()) && top_level_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_so_one_address_is_one_account() {
        assert_eq!(Email::parse("A@X.io").unwrap(), Email::parse("a@x.io").unwrap());
        assert_eq!(Email::parse("Alice.Smith@Example.COM").unwrap().as_str(), "alice.smith@example.com");
    }

    #[test]
    fn a_stored_address_is_checked_for_its_shape_only() {
        assert_eq!(Email::from_stored("ada@x.io".to_owned()).unwrap(), Email::parse("ada@x.io").unwrap());
        for bad in ["", "ada", "@x.io", "ada@localhost", "Ada@x.io"] {
            assert_eq!(Email::from_stored(bad.to_owned()), Err(EmailError::Invalid), "{bad:?}");
        }
        assert_eq!(Email::from_stored(format!("{}@x.io", "a".repeat(250))), Err(EmailError::TooLong));
        assert!(Email::from_stored(format!("{}@x.io", "é".repeat(240))).is_ok(), "characters are counted, not bytes");
    }

    #[test]
    fn accepts_common_and_unusual_valid_addresses() {
        for ok in
            ["a@b.co", "first.last+tag@sub.example.org", "x!#$%&'*/=?^_`{|}~-@a-b.io", "user@xn--bcher-kva.example", "user@bücher.example"]
        {
            assert!(Email::parse(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@x.io",
            "a@",
            "a@localhost",
            "a..b@x.io",
            ".a@x.io",
            "a.@x.io",
            "a b@x.io",
            "a@-x.io",
            "a@x..io",
            "a@1.23",
            "a\0@x.io",
            "a@x.io\n",
            "é@x.io",
            "a@x.io.",
            "a\u{200b}@x.io",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad:?} should be refused");
        }
    }

    #[test]
    fn refuses_addresses_over_254_characters() {
        let long = format!("{}@{}.{}.{}.{}.io", "a".repeat(64), "b".repeat(63), "c".repeat(63), "d".repeat(30), "e".repeat(30));
        assert!(long.len() > 254);
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn does_not_fold_accents() {
        assert_ne!(Email::parse("e@é.io").unwrap(), Email::parse("e@e.io").unwrap());
    }
}
