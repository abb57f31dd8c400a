//! The domain's validation rules as JSON Schema, for the request fields that carry them, so that
//! input valid by the document is exactly the input the server accepts (schemathesis checks
//! both directions). One function per rule, used through `#[schema(schema_with = ...)]`.
//!
//! The patterns use only what ECMA-262, Rust's `regex` and Python's `re` read alike: explicit
//! character classes, no `\s`, `\p{..}` or lookaround.

use domain::{Description, Email, PatName, ProjectName, TaskTitle, UserName};
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, SchemaFormat, SchemaType, Type};

/// Unicode `White_Space`, what Rust's `str::trim` removes (`\s` differs: it adds U+FEFF and
/// lacks U+0085).
const WHITE_SPACE: &str = r"\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// General category `Cc`, what `char::is_control` refuses.
const CONTROL: &str = r"\x00-\x1F\x7F-\x9F";
/// Either of the two: the first and last character left after trimming.
const CONTROL_OR_WHITE_SPACE: &str = r"\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// General category `Cf` (format: zero-width and bidirectional controls, soft hyphen, tags),
/// what user names refuse besides `Cc`. The astral ones are literal characters: ECMA-262 has no
/// astral escape outside `u` mode, Python's `re` none that ECMA-262 reads.
const FORMAT: &str = "\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}";

/// bcrypt's limit in bytes; a password of more UTF-8 bytes is refused, never truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;
/// A password's minimum, in characters.
pub const MIN_PASSWORD_CHARS: usize = domain::MIN_PASSWORD_CHARS;

/// A one-line text of 1 to `max` characters once trimmed, with no control character inside:
/// any white space around a core that starts and ends with neither.
pub fn trimmed_line_pattern(max: usize) -> String {
    trimmed_line_pattern_without(max, "")
}

/// [`trimmed_line_pattern`] that also refuses the characters of the class body `refused`.
fn trimmed_line_pattern_without(max: usize, refused: &str) -> String {
    let inner = max.saturating_sub(2);
    format!(
        "^[{WHITE_SPACE}]*[^{CONTROL_OR_WHITE_SPACE}{refused}](?:[^{CONTROL}{refused}]{{0,{inner}}}[^{CONTROL_OR_WHITE_SPACE}{refused}])?[{WHITE_SPACE}]*$"
    )
}

/// A description: tab, line feed and carriage return are its only allowed control characters.
pub const DESCRIPTION_PATTERN: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// No control character at all.
pub const NO_CONTROL_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";

/// A real date `YYYY-MM-DD` with a year from 1000 to 9999: month lengths and leap years included
/// (`format: date` alone is an annotation in OpenAPI 3.1, and lets any year through).
pub const DUE_DATE_PATTERN: &str = concat!(
    "^(?:[1-9][0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)",
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    "|(?:[1-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:1[26]|[2468][048]|[3579][26])00)-02-29)$"
);

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).description(Some(description))
}

fn trimmed_line(max: usize, example: &str) -> Object {
    // No `maxLength`: white space around the text does not count, so only the pattern can say
    // where the limit lies.
    string(&format!("1 to {max} characters after trimming white space; no control characters."))
        .min_length(Some(1))
        .pattern(Some(trimmed_line_pattern(max)))
        .examples([example])
        .build()
}

/// A user's display name: a trimmed line without format characters either.
pub fn user_name() -> Object {
    let max = UserName::MAX_CHARS;
    string(&format!(
        "1 to {max} characters after trimming white space; no control characters and no invisible format characters \
         (Unicode Cf: zero-width and bidirectional controls)."
    ))
    .min_length(Some(1))
    .pattern(Some(trimmed_line_pattern_without(max, FORMAT)))
    .examples(["Ada Lovelace"])
    .build()
}

/// A project's name.
pub fn project_name() -> Object {
    trimmed_line(ProjectName::MAX_CHARS, "Analytical Engine")
}

/// A personal access token's name.
pub fn token_name() -> Object {
    trimmed_line(PatName::MAX_CHARS, "deploy from CI")
}

/// A passkey's name.
pub fn passkey_name() -> Object {
    trimmed_line(domain::PasskeyName::MAX_CHARS, "YubiKey 5C")
}

/// A task's title.
pub fn task_title() -> Object {
    trimmed_line(TaskTitle::MAX_CHARS, "Write the tests")
}

/// A project's or task's description.
pub fn description() -> Object {
    string("At most 5,000 characters; tab, line feed and carriage return are the only control characters allowed (default empty).")
        .max_length(Some(Description::MAX_CHARS))
        .pattern(Some(DESCRIPTION_PATTERN))
        .build()
}

/// An email address to store.
pub fn email() -> Object {
    string("A valid address of at most 254 characters; stored lower-case, compared case-insensitively.")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .max_length(Some(Email::MAX_CHARS))
        .examples(["ada@example.com"])
        .build()
}

/// A new password: 8 to 72 characters without control characters. The real limit is 72 bytes
/// of UTF-8, which JSON Schema cannot state (`maxLength` counts characters); the description
/// says so and the server answers a longer one with 422.
pub fn new_password() -> Object {
    string("8 characters to 72 bytes of UTF-8 (bcrypt's limit; never truncated); no control characters.")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(MIN_PASSWORD_CHARS))
        .max_length(Some(MAX_PASSWORD_BYTES))
        .pattern(Some(NO_CONTROL_PATTERN))
        .examples(["correct horse battery"])
        .build()
}

/// [`new_password`] without an example: for bodies that also carry an emailed link's token,
/// which no example can hold (a made-up token is rightly refused with 422).
pub fn new_password_for_link() -> Object {
    let mut schema = new_password();
    schema.examples.clear();
    schema
}

/// A task's due date, or null.
pub fn due_date() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some(DUE_DATE_PATTERN))
        .description(Some("`YYYY-MM-DD`, a real date with a year from 1000 to 9999, or null (no date)."))
        .examples(["2026-12-31"])
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ranges of a character-class body as written in this module: `\t`, `\n`, `\r`,
    /// `\xHH`, `\uHHHH`, literal characters and `a-b` ranges.
    fn ranges(body: &str) -> Vec<(char, char)> {
        fn atom(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> char {
            let c = chars.next().expect("an atom");
            if c != '\\' {
                return c;
            }
            fn hex(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, n: usize) -> char {
                let digits: String = (0..n).map(|_| chars.next().expect("a hex digit")).collect();
                char::from_u32(u32::from_str_radix(&digits, 16).expect("hex")).expect("a scalar value")
            }
            match chars.next().expect("an escape") {
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                'x' => hex(chars, 2),
                'u' => hex(chars, 4),
                other => panic!("escape \\{other} is not used here"),
            }
        }
        let mut chars = body.chars().peekable();
        let mut out = Vec::new();
        while chars.peek().is_some() {
            let start = atom(&mut chars);
            let end = if chars.peek() == Some(&'-') {
                chars.next();
                atom(&mut chars)
            } else {
                start
            };
            out.push((start, end));
        }
        out
    }

    fn contains(ranges: &[(char, char)], c: char) -> bool {
        ranges.iter().any(|&(a, b)| (a..=b).contains(&c))
    }

    fn every_char() -> impl Iterator<Item = char> {
        (0..=u32::from(char::MAX)).filter_map(char::from_u32)
    }

    #[test]
    fn the_classes_are_exactly_rusts_white_space_and_control_characters() {
        let (white, control, either) = (ranges(WHITE_SPACE), ranges(CONTROL), ranges(CONTROL_OR_WHITE_SPACE));
        for c in every_char() {
            assert_eq!(contains(&white, c), c.is_whitespace(), "white space {c:?}");
            assert_eq!(contains(&control, c), c.is_control(), "control {c:?}");
            assert_eq!(contains(&either, c), c.is_whitespace() || c.is_control(), "either {c:?}");
        }
    }

    #[test]
    fn the_description_and_password_patterns_refuse_what_the_domain_refuses() {
        let description = ranges(DESCRIPTION_PATTERN.strip_prefix("^[^").and_then(|p| p.strip_suffix("]*$")).unwrap());
        let no_control = ranges(NO_CONTROL_PATTERN.strip_prefix("^[^").and_then(|p| p.strip_suffix("]*$")).unwrap());
        for c in every_char() {
            assert_eq!(!contains(&description, c), Description::parse(&c.to_string()).is_ok(), "description {c:?}");
            let password = format!("{c}{c}{c}{c}{c}{c}{c}{c}");
            let accepted = domain::Password::new(&password, 4 * 8).is_ok();
            assert_eq!(!contains(&no_control, c), accepted, "password {c:?}");
        }
    }

    #[test]
    fn the_format_class_is_exactly_what_user_names_refuse_besides_control_characters() {
        let format = ranges(FORMAT);
        for c in every_char().filter(|c| !c.is_control() && !c.is_whitespace()) {
            let refused = matches!(UserName::parse(&format!("a{c}b")), Err(domain::TextError::FormatCharacter));
            assert_eq!(contains(&format, c), refused, "{c:?} (U+{:04X})", u32::from(c));
        }
    }

    #[test]
    fn a_trimmed_line_counts_its_first_and_last_characters_apart() {
        assert!(trimmed_line_pattern(100).contains("{0,98}"));
        assert!(trimmed_line_pattern(200).contains("{0,198}"));
    }
}
