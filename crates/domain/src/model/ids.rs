use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A string that is not a UUID was offered as an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a UUID")]
pub struct IdError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s).map(Self).map_err(|_| IdError)
            }
        }
    };
}

id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies a login session (the `sid` claim).
    SessionId
);
id_type!(
    /// Identifies a project.
    ProjectId
);
id_type!(
    /// Identifies a task.
    TaskId
);
id_type!(
    /// Identifies a personal access token.
    PatId
);
id_type!(
    /// Identifies a provider identity linked to an account.
    IdentityId
);
id_type!(
    /// Identifies a registered passkey.
    PasskeyId
);
