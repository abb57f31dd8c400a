//! The domain's enums on the wire, spelled exactly as the domain spells them (`as_str` and
//! `FromStr`, which storage and the token claims use too): one owner per spelling. Each DTO is
//! a newtype whose JSON, query-string and OpenAPI forms are all derived from the domain's list
//! of variants, so a new variant or a changed spelling needs no second edit here.

use serde::de::{self, Visitor};
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// A domain enum with one spelling per variant.
pub(crate) trait Spelled: Copy + FromStr + 'static {
    /// Every variant, in order.
    fn all() -> &'static [Self];
    /// The variant's spelling.
    fn spelling(self) -> &'static str;
}

/// serde's own wording for an unknown variant ("`a`", "`a` or `b`", "one of `a`, `b`, `c`"),
/// so the field errors read as they did with derived enums.
fn one_of<T: Spelled>() -> String {
    let names: Vec<String> = T::all().iter().map(|v| format!("`{}`", v.spelling())).collect();
    match names.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        many => format!("one of {}", many.join(", ")),
    }
}

/// Reads a spelling into its variant.
pub(crate) struct SpellingVisitor<T>(PhantomData<T>);

impl<T> Default for SpellingVisitor<T> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T: Spelled> Visitor<'_> for SpellingVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(|_| E::custom(format_args!("unknown variant `{v}`, expected {}", one_of::<T>())))
    }
}

/// The OpenAPI schema: a string enum of the spellings.
pub(crate) fn schema<T: Spelled>(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
        .enum_values(Some(T::all().iter().map(|v| v.spelling())))
        .into()
}

/// `$dto`, the wire form of `$domain`, named `$schema` in the document.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $dto:ident for $domain:ty as $schema:literal, $description:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $dto(pub $domain);

        impl $crate::dto::wire_enum::Spelled for $domain {
            fn all() -> &'static [Self] {
                <$domain>::ALL
            }
            fn spelling(self) -> &'static str {
                self.as_str()
            }
        }

        impl From<$domain> for $dto {
            fn from(value: $domain) -> Self {
                Self(value)
            }
        }

        impl From<$dto> for $domain {
            fn from(value: $dto) -> Self {
                value.0
            }
        }

        impl serde::Serialize for $dto {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.0.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $dto {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str($crate::dto::wire_enum::SpellingVisitor::<$domain>::default()).map(Self)
            }
        }

        impl utoipa::PartialSchema for $dto {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::dto::wire_enum::schema::<$domain>($description)
            }
        }

        impl utoipa::ToSchema for $dto {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($schema)
            }
        }
    };
}

wire_enum!(
    /// A security event's type on the wire.
    AuditKindDto for domain::AuditKind as "AuditKind", "What happened."
);
wire_enum!(
    /// A personal access token's scope on the wire.
    PatScopeDto for domain::PatScope as "PatScope", "What a personal access token may do: `profile` (GET /users/me), `projects:read` (GET of projects and tasks), `projects:write` (their POST, PUT, PATCH, DELETE), `admin:read` (GET /users, GET /users/{id}, GET /audit, while the owner is an admin), `introspect` (POST /auth/introspect)."
);
wire_enum!(
    /// A user's role on the wire.
    RoleDto for domain::Role as "Role", "A user's role."
);
wire_enum!(
    /// A task's status on the wire.
    TaskStatusDto for domain::TaskStatus as "TaskStatus", "Where a task stands."
);
wire_enum!(
    /// A task's priority on the wire.
    TaskPriorityDto for domain::TaskPriority as "TaskPriority", "How much a task matters."
);

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{Role, TaskPriority, TaskStatus};

    #[test]
    fn every_variant_round_trips_through_its_domain_spelling() {
        for status in TaskStatus::ALL {
            let json = serde_json::to_value(TaskStatusDto(*status)).unwrap();
            assert_eq!(json, status.as_str());
            assert_eq!(serde_json::from_value::<TaskStatusDto>(json).unwrap(), TaskStatusDto(*status));
        }
        for priority in TaskPriority::ALL {
            assert_eq!(serde_json::to_value(TaskPriorityDto(*priority)).unwrap(), priority.as_str());
        }
        assert_eq!(serde_json::from_value::<RoleDto>("admin".into()).unwrap(), RoleDto(Role::Admin));
    }

    #[test]
    fn an_unknown_spelling_or_type_is_refused_in_serdes_own_words() {
        let unknown = serde_json::from_value::<TaskStatusDto>("doing".into()).unwrap_err().to_string();
        assert_eq!(unknown, "unknown variant `doing`, expected one of `todo`, `in_progress`, `done`");
        let role = serde_json::from_value::<RoleDto>("root".into()).unwrap_err().to_string();
        assert_eq!(role, "unknown variant `root`, expected `user` or `admin`");
        let number = serde_json::from_value::<RoleDto>(3.into()).unwrap_err().to_string();
        assert!(number.starts_with("invalid type: integer `3`, expected variant identifier"), "{number}");
    }
}
