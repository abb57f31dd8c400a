//! Passkeys on the wire: a ceremony's options (WebAuthn's JSON form, passed through as the
//! library made it), the authenticator's answers (passed to the library as they came), the
//! passkeys of the account, and their names.

use crate::dto::{FieldErrors, Maybe, field_schemas};
use crate::edge::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{CeremonyOptions, Passkey, PasskeyName};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// A ceremony started: the options for `navigator.credentials.create()` or `.get()` (after the
/// client decodes their base64url fields) and the id its answer comes back with.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PasskeyCeremony)]
pub struct CeremonyResponse {
    /// The challenge's id: send it back with the answer, within 300 seconds, once.
    pub challenge_id: Uuid,
    /// `PublicKeyCredentialCreationOptions` (registration) or `PublicKeyCredentialRequestOptions`
    /// (sign-in) in WebAuthn's JSON form: binary fields as base64url strings, not wrapped in
    /// `{publicKey: …}`.
    #[schema(value_type = Object, example = json!({"challenge": "q1xg…", "rpId": "example.com", "userVerification": "preferred"}))]
    pub options: Value,
}

impl TryFrom<CeremonyOptions> for CeremonyResponse {
    type Error = ApiError;

    fn try_from(c: CeremonyOptions) -> Result<Self, ApiError> {
        Ok(Self { challenge_id: c.challenge_id, options: serde_json::from_str(&c.options).map_err(ApiError::internal)? })
    }
}

/// An authenticator's answer: WebAuthn's `RegistrationResponseJSON` or
/// `AuthenticationResponseJSON` (what `PublicKeyCredential.toJSON()` returns).
pub(crate) fn answer_text(v: &mut FieldErrors, credential: &Value) -> Option<String> {
    v.check("credential", if credential.is_object() { Ok(credential.to_string()) } else { Err("must be a WebAuthn credential object") })
}

/// `POST /users/me/passkeys`: the answer to a registration's options.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterPasskeyRequest {
    /// The `challenge_id` of `POST /users/me/passkeys/registration`.
    pub challenge_id: Uuid,
    /// The `RegistrationResponseJSON` of `navigator.credentials.create()`.
    #[schema(value_type = Object)]
    pub credential: Value,
    /// A name for the list (1 to 100 characters; default "Passkey").
    #[serde(default)]
    #[schema(schema_with = field_schemas::passkey_name, required = false)]
    pub name: Maybe<String>,
}

impl RegisterPasskeyRequest {
    /// The challenge, the answer and the name.
    ///
    /// # Errors
    /// 422 naming `credential` or `name`.
    pub fn into_parts(self) -> Result<(Uuid, String, Option<PasskeyName>), ApiError> {
        let mut v = FieldErrors::default();
        let answer = answer_text(&mut v, &self.credential);
        let name = v.optional("name", self.name, |n| PasskeyName::parse(&n));
        match (answer, name) {
            (Some(answer), Some(name)) => Ok((self.challenge_id, answer, name)),
            _ => Err(v.into_error()),
        }
    }
}

/// `PATCH /users/me/passkeys/{id}`: a new name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RenamePasskeyRequest {
    /// 1 to 100 characters, one line.
    #[schema(schema_with = field_schemas::passkey_name)]
    pub name: String,
}

impl RenamePasskeyRequest {
    /// The parsed name.
    ///
    /// # Errors
    /// 422 naming `name`.
    pub fn into_name(self) -> Result<PasskeyName, ApiError> {
        let mut v = FieldErrors::default();
        v.check("name", PasskeyName::parse(&self.name)).ok_or_else(|| v.into_error())
    }
}

/// `POST /auth/passkey/options`: empty for a discoverable sign-in, or the `mfa_token` of a
/// sign-in whose second step a passkey answers.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PasskeyOptionsRequest {
    /// The `mfa_token` of the `mfa-required` answer.
    #[serde(default)]
    #[schema(value_type = String, required = false, example = "gatehouse_mt_…")]
    pub mfa_token: Maybe<SecretString>,
}

impl PasskeyOptionsRequest {
    /// The token, if one was given.
    ///
    /// # Errors
    /// 422 for a `null` token.
    pub fn into_token(self) -> Result<Option<SecretString>, ApiError> {
        let mut v = FieldErrors::default();
        v.optional("mfa_token", self.mfa_token, Ok::<_, String>).ok_or_else(|| v.into_error())
    }
}

/// `POST /auth/passkey`: the answer to a discoverable sign-in's options.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasskeySignInRequest {
    /// The `challenge_id` of `POST /auth/passkey/options`.
    pub challenge_id: Uuid,
    /// The `AuthenticationResponseJSON` of `navigator.credentials.get()`.
    #[schema(value_type = Object)]
    pub credential: Value,
}

impl PasskeySignInRequest {
    /// The challenge and the answer.
    ///
    /// # Errors
    /// 422 naming `credential`.
    pub fn into_parts(self) -> Result<(Uuid, String), ApiError> {
        let mut v = FieldErrors::default();
        answer_text(&mut v, &self.credential).map(|a| (self.challenge_id, a)).ok_or_else(|| v.into_error())
    }
}

/// A registered passkey.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Passkey)]
pub struct PasskeyResponse {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// When it was registered.
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Its last sign-in.
    #[serde(serialize_with = "crate::dto::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Whether it is backed up (synced to other devices).
    pub backed_up: bool,
    /// How the authenticator said it can be reached (`internal`, `usb`, `hybrid`, …).
    pub transports: Vec<String>,
}

impl From<Passkey> for PasskeyResponse {
    fn from(p: Passkey) -> Self {
        Self {
            id: p.id.as_uuid(),
            name: p.name.as_str().to_owned(),
            created_at: p.created_at,
            last_used_at: p.last_used_at,
            backed_up: p.backed_up,
            transports: p.transports,
        }
    }
}

/// `GET /users/me/passkeys`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PasskeyList)]
pub struct PasskeyList {
    /// The passkeys, oldest first.
    pub items: Vec<PasskeyResponse>,
}

impl From<Vec<Passkey>> for PasskeyList {
    fn from(passkeys: Vec<Passkey>) -> Self {
        Self { items: passkeys.into_iter().map(PasskeyResponse::from).collect() }
    }
}
