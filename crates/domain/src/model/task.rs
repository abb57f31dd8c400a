use crate::model::text::{TextError, parse_line, text_accessors};
use crate::model::{Description, ProjectId, TaskId, Timestamp};
use chrono::{Datelike, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// A string that names no variant of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not one of the allowed values")]
pub struct UnknownVariant;

/// A task's title: 1 to 200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTitle(String);

impl TaskTitle {
    /// The longest title, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Trims and checks a title.
    ///
    /// # Errors
    /// The [`TextError`] that names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        parse_line(raw, Self::MAX_CHARS).map(Self)
    }
}

text_accessors!(TaskTitle);

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? } default $default:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every variant, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire and storage spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::$default
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(UnknownVariant),
                }
            }
        }
    };
}

wire_enum!(
    /// Where a task stands.
    TaskStatus {
        /// Not started (the default).
        Todo => "todo",
        /// Being worked on.
        InProgress => "in_progress",
        /// Finished.
        Done => "done",
    } default Todo
);

wire_enum!(
    /// How much a task matters.
    TaskPriority {
        /// Can wait.
        Low => "low",
        /// The default.
        Medium => "medium",
        /// Urgent.
        High => "high",
    } default Medium
);

/// Why a due date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DueDateError {
    /// Not a real `YYYY-MM-DD` date.
    #[error("must be a real date in the form YYYY-MM-DD")]
    Invalid,
    /// A year outside 1000..=9999.
    #[error("must have a year between 1000 and 9999")]
    YearOutOfRange,
}

/// A calendar date with a four-digit year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DueDate(NaiveDate);

impl DueDate {
    /// Parses `YYYY-MM-DD` strictly (no time, no offset, no two-digit year).
    ///
    /// # Errors
    /// [`DueDateError::Invalid`] for anything but a real date, [`DueDateError::YearOutOfRange`]
    /// for a year outside 1000..=9999.
    pub fn parse(raw: &str) -> Result<Self, DueDateError> {
        let shape_ok =
            raw.len() == 10 && raw.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shape_ok {
            return Err(DueDateError::Invalid);
        }
        let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| DueDateError::Invalid)?;
        Self::from_date(date)
    }

    /// Checks a date already parsed.
    ///
    /// # Errors
    /// [`DueDateError::YearOutOfRange`] for a year outside 1000..=9999.
    pub fn from_date(date: NaiveDate) -> Result<Self, DueDateError> {
        if (1000..=9999).contains(&date.year()) { Ok(Self(date)) } else { Err(DueDateError::YearOutOfRange) }
    }

    /// The date.
    pub fn date(&self) -> NaiveDate {
        self.0
    }
}

impl fmt::Display for DueDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// A task inside a project; it belongs to whoever owns the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Stable id.
    pub id: TaskId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// Its title.
    pub title: TaskTitle,
    /// Its description (empty by default).
    pub description: Description,
    /// Its status (`todo` by default).
    pub status: TaskStatus,
    /// Its priority (`medium` by default).
    pub priority: TaskPriority,
    /// Its due date, if any.
    pub due_date: Option<DueDate>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// Every field of a task: what creation and full replacement (PUT) take. Fields a client
/// omits take their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDraft {
    /// Its title (required).
    pub title: TaskTitle,
    /// Its description.
    pub description: Description,
    /// Its status.
    pub status: TaskStatus,
    /// Its priority.
    pub priority: TaskPriority,
    /// Its due date.
    pub due_date: Option<DueDate>,
}

impl TaskDraft {
    /// A draft with the given title and every other field at its default.
    pub fn titled(title: TaskTitle) -> Self {
        Self {
            title,
            description: Description::default(),
            status: TaskStatus::default(),
            priority: TaskPriority::default(),
            due_date: None,
        }
    }
}

/// A partial update (PATCH): `None` leaves a field unchanged; `due_date: Some(None)` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskPatch {
    /// A new title.
    pub title: Option<TaskTitle>,
    /// A new description.
    pub description: Option<Description>,
    /// A new status.
    pub status: Option<TaskStatus>,
    /// A new priority.
    pub priority: Option<TaskPriority>,
    /// A new due date, or `Some(None)` to clear it.
    pub due_date: Option<Option<DueDate>>,
}

impl TaskPatch {
    /// Every field of a draft: what a full replacement (PUT) writes.
    pub fn replacing_with(draft: TaskDraft) -> Self {
        Self {
            title: Some(draft.title),
            description: Some(draft.description),
            status: Some(draft.status),
            priority: Some(draft.priority),
            due_date: Some(draft.due_date),
        }
    }

    /// Whether it names no field.
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none() && self.status.is_none() && self.priority.is_none() && self.due_date.is_none()
    }
}

impl Task {
    /// The part of `patch` that differs from this task: what a partial update must write (a
    /// field set to its current value is no change, and is not written over a concurrent one).
    pub fn differences(&self, patch: TaskPatch) -> TaskPatch {
        TaskPatch {
            title: patch.title.filter(|v| *v != self.title),
            description: patch.description.filter(|v| *v != self.description),
            status: patch.status.filter(|v| *v != self.status),
            priority: patch.priority.filter(|v| *v != self.priority),
            due_date: patch.due_date.filter(|v| *v != self.due_date),
        }
    }

    /// Applies a partial update (PATCH); reports whether anything changed.
    pub fn apply(&mut self, patch: TaskPatch, now: Timestamp) -> bool {
        fn set<T: PartialEq>(field: &mut T, value: Option<T>) -> bool {
            match value {
                Some(v) if *field != v => {
                    *field = v;
                    true
                }
                _ => false,
            }
        }
        let changed = [
            set(&mut self.title, patch.title),
            set(&mut self.description, patch.description),
            set(&mut self.status, patch.status),
            set(&mut self.priority, patch.priority),
            set(&mut self.due_date, patch.due_date),
        ]
        .contains(&true);
        if changed {
            self.updated_at = now;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates_must_be_real_four_digit_year_dates() {
        assert_eq!(DueDate::parse("2026-02-28").unwrap().to_string(), "2026-02-28");
        assert_eq!(DueDate::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        for bad in ["2026-02-30", "2026-13-01", "26-01-01", "2026-1-1", "2026-01-01T00:00:00Z", "", "+2026-01-01"] {
            assert_eq!(DueDate::parse(bad), Err(DueDateError::Invalid), "{bad}");
        }
        assert_eq!(DueDate::parse("0999-12-31"), Err(DueDateError::YearOutOfRange));
        assert!(DueDate::parse("1000-01-01").is_ok() && DueDate::parse("9999-12-31").is_ok());
    }

    #[test]
    fn enums_round_trip_through_their_spelling() {
        for s in TaskStatus::ALL {
            assert_eq!(s.as_str().parse::<TaskStatus>().unwrap(), *s);
        }
        for p in TaskPriority::ALL {
            assert_eq!(p.as_str().parse::<TaskPriority>().unwrap(), *p);
        }
        assert!("DONE".parse::<TaskStatus>().is_err());
        assert_eq!((TaskStatus::default(), TaskPriority::default()), (TaskStatus::Todo, TaskPriority::Medium));
    }
}
