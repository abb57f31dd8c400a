use crate::edge::error::{ApiError, FieldError};
use serde::{Deserialize, Deserializer};
use std::fmt::Display;

/// A field of a partial update: absent, explicitly `null`, or a value. Plain `Option` cannot
/// tell "absent" from `null`, which PATCH semantics need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Maybe<T> {
    /// Not in the body: leave the field as it is.
    #[default]
    Absent,
    /// `null`: clear the field (where that is allowed).
    Null,
    /// A value.
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Maybe<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Self::Null, Self::Value))
    }
}

/// Collects the errors of every field of a request, so one 422 names them all.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Keeps the value, or records the error under `field`.
    pub fn check<T, E: Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.0.push(FieldError::new(field, e))).ok()
    }

    /// A field that may be absent but never `null`.
    pub fn optional<T, U, E: Display>(&mut self, field: &str, value: Maybe<T>, parse: impl FnOnce(T) -> Result<U, E>) -> Option<Option<U>> {
        match value {
            Maybe::Absent => Some(None),
            Maybe::Null => {
                self.0.push(FieldError::new(field, "must not be null"));
                None
            }
            Maybe::Value(v) => self.check(field, parse(v)).map(Some),
        }
    }

    /// A field where `null` means "clear it": `Some(None)` absent, `Some(Some(None))` null.
    pub fn clearable<T, U, E: Display>(
        &mut self,
        field: &str,
        value: Maybe<T>,
        parse: impl FnOnce(T) -> Result<U, E>,
    ) -> Option<Option<Option<U>>> {
        match value {
            Maybe::Absent => Some(None),
            Maybe::Null => Some(Some(None)),
            Maybe::Value(v) => self.check(field, parse(v)).map(|u| Some(Some(u))),
        }
    }

    /// The 422 naming every recorded field.
    pub fn into_error(self) -> ApiError {
        ApiError::validation(self.0)
    }
}
