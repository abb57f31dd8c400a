use crate::model::text::{TextError, parse_line, text_accessors};
use crate::model::{Description, ProjectId, Timestamp, UserId};

/// A project's name: 1 to 200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Trims and checks a name.
    ///
    /// # Errors
    /// The [`TextError`] that names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        parse_line(raw, Self::MAX_CHARS).map(Self)
    }
}

text_accessors!(ProjectName);

/// A project, owned by exactly one user; nobody else can see that it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Stable id.
    pub id: ProjectId,
    /// The owner.
    pub owner_id: UserId,
    /// Its name.
    pub name: ProjectName,
    /// Its description (empty by default).
    pub description: Description,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// The fields of a new project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectDraft {
    /// Its name.
    pub name: ProjectName,
    /// Its description.
    pub description: Description,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectPatch {
    /// A new name.
    pub name: Option<ProjectName>,
    /// A new description.
    pub description: Option<Description>,
}

impl ProjectPatch {
    /// Whether it names no field.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.description.is_none()
    }
}

impl Project {
    /// The part of `patch` that differs from this project: what an update must write.
    pub fn differences(&self, patch: ProjectPatch) -> ProjectPatch {
        ProjectPatch { name: patch.name.filter(|v| *v != self.name), description: patch.description.filter(|v| *v != self.description) }
    }

    /// Applies a patch; reports whether anything changed.
    pub fn apply(&mut self, patch: ProjectPatch, now: Timestamp) -> bool {
        let mut changed = false;
        if let Some(name) = patch.name.filter(|n| *n != self.name) {
            self.name = name;
            changed = true;
        }
        if let Some(description) = patch.description.filter(|d| *d != self.description) {
            self.description = description;
            changed = true;
        }
        if changed {
            self.updated_at = now;
        }
        changed
    }
}
