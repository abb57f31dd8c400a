use crate::model::text::text_accessors;

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
/// Accepted: a dot-atom local part (RFC 5322 `atext`, plus non-ASCII letters for RFC 6531
/// addresses) of at most 64 characters, `@`, and a domain name of at least two labels. Quoted
/// local parts and address literals are refused: no mail system a user signs up with needs them.
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
        if !valid_local_part(local) || !valid_domain(domain) {
            return Err(EmailError::Invalid);
        }
        Ok(Self(normalised))
    }
}

text_accessors!(Email);

fn valid_local_part(local: &str) -> bool {
    let atext = |c: char| {
        c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    };
    (1..=64).contains(&local.chars().count()) && local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.chars().count())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric()))
    };
    let top_level_ok = labels.last().is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    domain.chars().count() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok) && top_level_ok
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
    fn accepts_common_and_unusual_valid_addresses() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org", "x!#$%&'*/=?^_`{|}~-@a-b.io", "é@x.io", "user@xn--bcher-kva.example"] {
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
        assert_ne!(Email::parse("é@x.io").unwrap(), Email::parse("e@x.io").unwrap());
    }
}
