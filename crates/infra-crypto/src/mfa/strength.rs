//! How strong a password is, by zxcvbn (the Rust port of Dropbox's estimator): its score, and
//! whether the password is one of the 30,000 most common of its `passwords` frequency list
//! (from Xato's corpus of 10 million leaked passwords), compiled into the binary with the crate.

use domain::PasswordStrength;
use zxcvbn::matching::patterns::{DictionaryPattern, MatchPattern};

/// The production [`PasswordStrength`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Zxcvbn;

impl PasswordStrength for Zxcvbn {
    /// Common: the whole password, lower-cased, is one word of the common-passwords list (not
    /// merely a part of it, and not a l33t or reversed spelling of one, which zxcvbn's score
    /// weighs instead).
    fn is_common(&self, password: &str) -> bool {
        let entropy = zxcvbn::zxcvbn(password, &[]);
        let whole = password.chars().count();
        entropy.sequence().iter().any(|m| {
            m.i == 0
                && m.j + 1 == whole
                && matches!(&m.pattern, MatchPattern::Dictionary(d) if from_passwords_list(d) && !d.l33t && !d.reversed)
        })
    }

    fn score(&self, password: &str, context: &[&str]) -> u8 {
        u8::from(zxcvbn::zxcvbn(password, context).score())
    }
}

/// zxcvbn 3 keeps the dictionary's enum type private but its value public; its `Debug` name is
/// the only way to tell the common-passwords list from the English words or names lists.
fn from_passwords_list(pattern: &DictionaryPattern) -> bool {
    format!("{:?}", pattern.dictionary_name) == "Passwords"
}
