//! Rules shared by every free-text field: no control characters, lengths in Unicode scalar
//! values, and the `Description` type that projects and tasks share.

/// Why a text field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but white space (or nothing at all).
    #[error("must not be empty")]
    Empty,
    /// Longer than the field allows.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The maximum, in characters.
        max: usize,
    },
    /// Holds a control character other than those the field allows.
    #[error("must not contain control characters")]
    ControlCharacter,
    /// Holds an invisible format character (Unicode `Cf`: zero-width and bidirectional
    /// controls), which lets one name pose as another.
    #[error("must not contain invisible format characters (zero-width or bidirectional controls)")]
    FormatCharacter,
}

/// Whether `c` is of Unicode's general category `Cf` (format).
pub(crate) fn is_format_character(c: char) -> bool {
    use icu_properties::CodePointMapData;
    use icu_properties::props::GeneralCategory;
    CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::Format
}

/// Trims, then checks a one-line text field: 1..=max characters, no control characters.
pub(crate) fn parse_line(raw: &str, max: usize) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    Ok(trimmed.to_owned())
}

/// Implements the read-only accessors every text newtype shares.
macro_rules! text_accessors {
    ($name:ident) => {
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl $name {
            /// The text as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use text_accessors;

/// A free-form description of a project or task: at most 5,000 characters, kept as written
/// (not trimmed); tab, line feed and carriage return are the only control characters allowed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    /// The longest description, in characters.
    pub const MAX_CHARS: usize = 5_000;

    /// Checks a description.
    ///
    /// # Errors
    /// [`TextError::ControlCharacter`] or [`TextError::TooLong`].
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        if raw.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
            return Err(TextError::ControlCharacter);
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(TextError::TooLong { max: Self::MAX_CHARS });
        }
        Ok(Self(raw.to_owned()))
    }
}

text_accessors!(Description);
