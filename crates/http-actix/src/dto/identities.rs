//! Sign-in through OpenID Connect providers on the wire: the start's query, the callback's, the
//! providers for buttons, linking and the linked identities.

use crate::dto::mfa::current_password;
use crate::dto::{FieldErrors, Maybe};
use crate::edge::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{CandidatePassword, Identity, PkceChallenge, ProviderId, ProviderInfo};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `GET /auth/oidc/{provider}/start`'s query: the app's own PKCE pair (RFC 7636).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// Where the browser returns with `?code=…` (or `?error=…`): one of
    /// `oidc.allowed_redirect_uris` or `{server.public_url}/account/`, exactly.
    pub redirect_uri: String,
    /// The base64url SHA-256 of the app's `code_verifier` (43 characters).
    #[param(min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    pub code_challenge: String,
    /// `S256` (the only method).
    #[param(pattern = "^S256$")]
    pub code_challenge_method: String,
}

impl StartQuery {
    /// The redirect URI and the parsed challenge.
    ///
    /// # Errors
    /// 400 for a method other than S256 or a malformed challenge.
    pub fn into_parts(self) -> Result<(String, PkceChallenge), ApiError> {
        if self.code_challenge_method != "S256" {
            return Err(ApiError::bad_request("code_challenge_method must be S256"));
        }
        let challenge = PkceChallenge::parse(&self.code_challenge).map_err(|e| ApiError::bad_request(format!("code_challenge {e}")))?;
        Ok((self.redirect_uri, challenge))
    }
}

/// `GET /auth/oidc/{provider}/callback`'s query, as the provider sends it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The flow's `state` (`gatehouse_os_…`).
    pub state: String,
    /// The provider's authorization code.
    pub code: Option<String>,
    /// The provider's error, when it refused.
    pub error: Option<String>,
    /// The provider's description of its error (not passed on).
    pub error_description: Option<String>,
    /// RFC 9207's issuer identifier.
    pub iss: Option<String>,
}

/// A provider for a sign-in button.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OidcProvider)]
pub struct ProviderResponse {
    /// Its id, in `/auth/oidc/{provider}/start`.
    #[schema(example = "acme")]
    pub id: String,
    /// Its name.
    #[schema(example = "Acme SSO")]
    pub name: String,
}

/// `GET /auth/oidc/providers`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OidcProviderList)]
pub struct ProviderList {
    /// The configured providers.
    pub items: Vec<ProviderResponse>,
}

impl From<Vec<ProviderInfo>> for ProviderList {
    fn from(providers: Vec<ProviderInfo>) -> Self {
        Self { items: providers.into_iter().map(|p| ProviderResponse { id: p.id.to_string(), name: p.name }).collect() }
    }
}

/// `POST /users/me/identities`: link an identity of `provider` to this account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkIdentityRequest {
    /// The account's current password (not needed right after a sign-in).
    #[serde(default)]
    #[schema(value_type = String, required = false, format = Password)]
    pub current_password: Maybe<SecretString>,
    /// The provider's id.
    #[schema(example = "acme", pattern = "^[a-z0-9-]{1,32}$")]
    pub provider: String,
    /// Where the browser returns with `?linked={provider}` (or `?error=…`).
    pub redirect_uri: String,
}

impl LinkIdentityRequest {
    /// The current password, if given, the provider and the redirect URI.
    ///
    /// # Errors
    /// 422 naming the fields that are wrong.
    pub fn into_parts(self) -> Result<(Option<CandidatePassword>, ProviderId, String), ApiError> {
        let mut v = FieldErrors::default();
        let current = current_password(&mut v, self.current_password);
        let provider = v.check("provider", ProviderId::parse(&self.provider));
        match (current, provider) {
            (Some(current), Some(provider)) => Ok((current, provider, self.redirect_uri)),
            _ => Err(v.into_error()),
        }
    }
}

/// Where to send the browser to link.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationUrlResponse {
    /// The provider's authorization URL.
    pub authorization_url: String,
}

/// A provider identity linked to the account.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Identity)]
pub struct IdentityResponse {
    /// Its id.
    pub id: Uuid,
    /// The provider's id.
    pub provider: String,
    /// The email the provider reported when it was linked.
    #[schema(format = Email)]
    pub email: Option<String>,
    /// When it was linked.
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub linked_at: DateTime<Utc>,
    /// Its last sign-in.
    #[serde(serialize_with = "crate::dto::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// `GET /users/me/identities`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = IdentityList)]
pub struct IdentityList {
    /// The linked identities, oldest first.
    pub items: Vec<IdentityResponse>,
}

impl From<Vec<Identity>> for IdentityList {
    fn from(identities: Vec<Identity>) -> Self {
        Self {
            items: identities
                .into_iter()
                .map(|i| IdentityResponse {
                    id: i.id.as_uuid(),
                    provider: i.provider.to_string(),
                    email: i.email.map(|e| e.as_str().to_owned()),
                    linked_at: i.linked_at,
                    last_sign_in_at: i.last_sign_in_at,
                })
                .collect(),
        }
    }
}
