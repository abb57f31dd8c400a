//! The bodies of two-step sign-in: the status, the enrolment, codes, recovery codes, the second
//! step of a sign-in and the `mfa-required` answer, and the password policy.

use crate::dto::{FieldErrors, Maybe};
use crate::edge::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{CandidatePassword, MfaStatus, OtpCode, PasswordRules, RecoveryCode, SecondProof, SecondStepCode, TotpEnrolment};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /users/me/mfa`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MfaStatus)]
pub struct MfaStatusResponse {
    /// Whether two-step sign-in by an authenticator app is on.
    pub totp: bool,
    /// Since when.
    #[serde(serialize_with = "crate::dto::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub totp_enabled_at: Option<DateTime<Utc>>,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
    /// Registered passkeys.
    pub passkeys: u32,
}

impl From<MfaStatus> for MfaStatusResponse {
    fn from(s: MfaStatus) -> Self {
        Self { totp: s.totp, totp_enabled_at: s.totp_enabled_at, recovery_codes_left: s.recovery_codes_left, passkeys: s.passkeys }
    }
}

/// The body of an operation that needs a fresh session: the current password, unless the
/// session signed in within `auth.fresh_window_secs`. It may be left out entirely.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FreshRequest {
    /// The account's current password (not needed right after a sign-in).
    #[serde(default)]
    #[schema(value_type = String, required = false, format = Password)]
    pub current_password: Maybe<SecretString>,
}

/// A `current_password` that may be absent, never `null`.
pub(crate) fn current_password(v: &mut FieldErrors, value: Maybe<SecretString>) -> Option<Option<CandidatePassword>> {
    v.optional("current_password", value, |p| Ok::<_, String>(CandidatePassword::new(p.expose_secret())))
}

impl FreshRequest {
    /// The current password, if given.
    pub fn into_current_password(self) -> Result<Option<CandidatePassword>, ApiError> {
        let mut v = FieldErrors::default();
        current_password(&mut v, self.current_password).ok_or_else(|| v.into_error())
    }
}

/// `POST /users/me/mfa/totp`: a new enrolment, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TotpEnrolment)]
pub struct TotpEnrolmentResponse {
    /// The secret, base32 (for typing into an authenticator app).
    pub secret: String,
    /// `otpauth://totp/{issuer}:{email}?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    pub otpauth_uri: String,
    /// The URI as an SVG QR code, for the app's camera.
    pub qr_svg: String,
    /// When the enrolment stops waiting for its confirming code.
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
}

impl From<TotpEnrolment> for TotpEnrolmentResponse {
    fn from(e: TotpEnrolment) -> Self {
        Self {
            secret: e.secret().to_owned(),
            otpauth_uri: e.otpauth_uri.expose_secret().to_owned(),
            qr_svg: e.qr_svg,
            expires_at: e.expires_at,
        }
    }
}

/// `POST /users/me/mfa/totp/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmTotpRequest {
    /// The six digits the authenticator app shows now.
    #[schema(value_type = String, example = "123456", pattern = "^[0-9]{3} ?[0-9]{3}$")]
    pub code: SecretString,
}

impl ConfirmTotpRequest {
    /// The code.
    pub fn into_code(self) -> Result<OtpCode, ApiError> {
        let mut v = FieldErrors::default();
        v.check("code", OtpCode::parse(self.code.expose_secret()).map_err(|_| "must be the 6 digits the authenticator app shows"))
            .ok_or_else(|| v.into_error())
    }
}

/// `DELETE /users/me/mfa` and `POST /users/me/mfa/recovery-codes`: a current code or an unused
/// recovery code, and the current password unless the session is fresh.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// The account's current password (not needed right after a sign-in).
    #[serde(default)]
    #[schema(value_type = String, required = false, format = Password)]
    pub current_password: Maybe<SecretString>,
    /// A code of the authenticator app, or an unused recovery code (`xxxxx-xxxxx`).
    #[schema(value_type = String, example = "123456", pattern = "^([0-9]{3} ?[0-9]{3}|[0-9A-TV-Za-tv-z]{5}-[0-9A-TV-Za-tv-z]{5})$")]
    pub code: SecretString,
}

impl CodeRequest {
    /// The current password, if given, and the code.
    pub fn into_parts(self) -> Result<(Option<CandidatePassword>, SecondStepCode), ApiError> {
        let mut v = FieldErrors::default();
        let current = current_password(&mut v, self.current_password);
        let code = v.check("code", SecondStepCode::parse(self.code.expose_secret()));
        match (current, code) {
            (Some(current), Some(code)) => Ok((current, code)),
            _ => Err(v.into_error()),
        }
    }
}

/// New recovery codes, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    /// Ten codes of the form `xxxxx-xxxxx`; each works once.
    pub recovery_codes: Vec<String>,
}

impl From<Vec<RecoveryCode>> for RecoveryCodesResponse {
    fn from(codes: Vec<RecoveryCode>) -> Self {
        Self { recovery_codes: codes.iter().map(RecoveryCode::display).collect() }
    }
}

/// `POST /auth/login/mfa`: the second step of a sign-in, by a code (`{mfa_token, code}`) or by
/// a passkey (`{mfa_token, challenge_id, credential}`, the options from `POST
/// /auth/passkey/options` with this `mfa_token`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SecondStepRequest {
    /// The `mfa_token` of the `mfa-required` answer.
    #[schema(value_type = String, example = "gatehouse_mt_…")]
    pub mfa_token: SecretString,
    /// A code of the authenticator app, or an unused recovery code (`xxxxx-xxxxx`).
    #[schema(value_type = String, required = false, example = "123456", pattern = "^([0-9]{3} ?[0-9]{3}|[0-9A-TV-Za-tv-z]{5}-[0-9A-TV-Za-tv-z]{5})$")]
    pub code: Option<SecretString>,
    /// With `credential` instead of `code`: the passkey ceremony's challenge.
    #[schema(required = false)]
    pub challenge_id: Option<uuid::Uuid>,
    /// With `challenge_id`: the passkey's `AuthenticationResponseJSON`.
    #[schema(value_type = Object, required = false)]
    pub credential: Option<serde_json::Value>,
}

impl SecondStepRequest {
    /// The token and the proof: a code, or a passkey's answer (never both).
    ///
    /// # Errors
    /// 422 naming `code`, `challenge_id` or `credential`.
    pub fn into_parts(self) -> Result<(SecretString, SecondProof), ApiError> {
        let mut v = FieldErrors::default();
        let proof = match (self.code, self.challenge_id, self.credential) {
            (Some(code), None, None) => v.check("code", SecondStepCode::parse(code.expose_secret())).map(SecondProof::Code),
            (None, Some(challenge_id), Some(credential)) => {
                crate::dto::passkeys::answer_text(&mut v, &credential).map(|answer| SecondProof::Passkey { challenge_id, answer })
            }
            (Some(_), _, _) => v.check("code", Err::<SecondProof, _>("give a code or a passkey's challenge_id and credential, not both")),
            (None, None, _) => v.check("code", Err::<SecondProof, _>("is required (or a passkey's challenge_id and credential)")),
            (None, Some(_), None) => v.check("credential", Err::<SecondProof, _>("is required with challenge_id")),
        };
        proof.map(|proof| (self.mfa_token, proof)).ok_or_else(|| v.into_error())
    }
}

/// The `urn:gatehouse:mfa-required` problem: the password (or other first step) was right, and
/// a second step is needed. No token pair comes with it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MfaRequired)]
pub struct MfaRequiredProblem {
    /// `urn:gatehouse:mfa-required`.
    #[schema(example = "urn:gatehouse:mfa-required")]
    pub r#type: String,
    /// `Forbidden`.
    pub title: String,
    /// 403.
    #[schema(example = 403)]
    pub status: u16,
    /// What to do next.
    pub detail: String,
    /// The token the second step presents (`gatehouse_mt_…`): single use, 5 wrong codes or
    /// `expires_in` seconds kill it.
    pub mfa_token: String,
    /// What may finish the sign-in, as the account has them: `totp`, `recovery_code`, `passkey`.
    #[schema(example = json!(["totp", "recovery_code"]))]
    pub methods: Vec<String>,
    /// Seconds the token lives (300).
    #[schema(example = 300)]
    pub expires_in: i64,
}

/// `GET /auth/password-policy`: the rules a new password meets, for clients to show.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PasswordPolicy)]
pub struct PasswordPolicyResponse {
    /// Characters at least.
    #[schema(example = 8)]
    pub min_length: usize,
    /// UTF-8 bytes at most (the configured hasher's limit).
    #[schema(example = 72)]
    pub max_bytes: usize,
    /// The zxcvbn score (0 to 4) a new password needs; 0: none.
    #[schema(example = 0)]
    pub min_score: u8,
    /// Common passwords are refused (always true).
    pub refuses_common: bool,
}

impl From<PasswordRules> for PasswordPolicyResponse {
    fn from(r: PasswordRules) -> Self {
        Self { min_length: r.min_length, max_bytes: r.max_bytes, min_score: r.min_score, refuses_common: r.refuses_common }
    }
}
