//! How strong a password is. Common: one of the 30,000 most common passwords (zxcvbn's
//! `passwords` list, `data/common-passwords.txt`, compiled into the binary). Its score: zxcvbn,
//! the Rust port of Dropbox's estimator, asked only when `auth.password_min_score` is set, since
//! its first call builds every dictionary it has on the heap (about 9 MB that stay).

use domain::PasswordStrength;

/// The common-passwords list, one a line, lower case.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// The production [`PasswordStrength`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Zxcvbn;

impl PasswordStrength for Zxcvbn {
    /// Common: the whole password, lower-cased, is a line of the list (not merely a part of it,
    /// and not a l33t or reversed spelling of one, which zxcvbn's score weighs instead). A scan
    /// of 240 KB: microseconds beside the hash every new password costs.
    fn is_common(&self, password: &str) -> bool {
        let lower = password.to_lowercase();
        COMMON_PASSWORDS.lines().any(|line| line == lower)
    }

    fn score(&self, password: &str, context: &[&str]) -> u8 {
        u8::from(zxcvbn::zxcvbn(password, context).score())
    }
}
