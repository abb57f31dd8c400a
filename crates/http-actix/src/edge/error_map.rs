//! Each use-case error mapped to HTTP, once.

use crate::edge::error::{ApiError, FieldError};
use domain::{
    AdminError, CallbackError, CreatePatError, DeleteAccountError, LinkError, LoginError, MfaError, PasskeyError, PasskeySignInError,
    PasswordChangeError, ProfileError, ReauthError, RefreshError, Refusal, RegisterError, ResourceError, ScopeRefusal, SecondStepError,
    StartError, UnlinkError,
};

const EMAIL_TAKEN: &str = "this email is already registered";
const LAST_ADMIN: &str = "the last active admin cannot be demoted, deactivated or deleted";

fn wrong_password() -> ApiError {
    ApiError::validation(vec![FieldError::new("current_password", "is incorrect")])
}

/// No `current_password`, and the session signed in too long ago (or the account has a
/// password and the operation asks for it).
fn password_required() -> ApiError {
    ApiError::validation(vec![FieldError::new(
        "current_password",
        "is required: give the account's password, or sign in again (a sign-in of the last few minutes needs none)",
    )])
}

impl From<ReauthError> for ApiError {
    fn from(e: ReauthError) -> Self {
        match e {
            ReauthError::CurrentPasswordRequired => password_required(),
            ReauthError::WrongPassword => wrong_password(),
            ReauthError::Locked { retry_after_secs } => Self::too_many_requests(retry_after_secs),
            ReauthError::AccountGone => Self::unauthorized(true),
            ReauthError::Infra(e) => e.into(),
        }
    }
}

impl From<MfaError> for ApiError {
    fn from(e: MfaError) -> Self {
        match e {
            MfaError::Reauth(e) => e.into(),
            MfaError::AlreadyOn => Self::conflict("two-step sign-in is already on: turn it off first to enrol a new authenticator"),
            MfaError::NoEnrolment => {
                Self::conflict("no enrolment waits for a code (none started, or it expired after 10 minutes): start one")
            }
            MfaError::NotOn => Self::conflict("two-step sign-in is off"),
            MfaError::WrongCode => Self::validation(vec![FieldError::new("code", "is wrong or was used before")]),
            MfaError::Locked { retry_after_secs } => Self::too_many_requests(retry_after_secs),
            MfaError::Infra(e) => e.into(),
        }
    }
}

impl From<SecondStepError> for ApiError {
    fn from(e: SecondStepError) -> Self {
        match e {
            SecondStepError::InvalidToken => Self::invalid_credentials("the mfa_token is invalid, used or expired: sign in again"),
            SecondStepError::WrongCode => Self::invalid_credentials("the code is wrong or was used before"),
            SecondStepError::Locked { retry_after_secs } => Self::too_many_requests(retry_after_secs),
            SecondStepError::Infra(e) => e.into(),
        }
    }
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::EmailTaken => Self::conflict(EMAIL_TAKEN),
            RegisterError::WeakPassword(why) => Self::validation(vec![FieldError::new("password", why)]),
            RegisterError::Infra(e) => e.into(),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::InvalidCredentials => Self::invalid_credentials("invalid email or password"),
            LoginError::Locked { retry_after_secs } => Self::too_many_requests(retry_after_secs),
            LoginError::EmailNotVerified => Self::email_not_verified(),
            LoginError::Infra(e) => e.into(),
        }
    }
}

impl From<RefreshError> for ApiError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::InvalidToken | RefreshError::Reused => {
                Self::invalid_credentials("the refresh token is invalid, expired or revoked")
            }
            RefreshError::Infra(e) => e.into(),
        }
    }
}

impl From<ProfileError> for ApiError {
    fn from(e: ProfileError) -> Self {
        match e {
            ProfileError::CurrentPasswordRequired => password_required(),
            ProfileError::WrongPassword => wrong_password(),
            ProfileError::EmailTaken => Self::conflict(EMAIL_TAKEN),
            // The caller's account was deleted while the request ran: its token is refused from
            // now on, and `/users/me` has no resource to be missing.
            ProfileError::AccountGone => Self::unauthorized(true),
            ProfileError::Locked { retry_after_secs } => Self::too_many_requests(retry_after_secs),
            ProfileError::Infra(e) => e.into(),
        }
    }
}

impl From<PasswordChangeError> for ApiError {
    fn from(e: PasswordChangeError) -> Self {
        match e {
            PasswordChangeError::CurrentPasswordRequired => password_required(),
            PasswordChangeError::WrongPassword => wrong_password(),
            PasswordChangeError::WeakPassword(why) => Self::validation(vec![FieldError::new("new_password", why)]),
            // Deleted while the request ran: like any request of a deleted account, 401.
            PasswordChangeError::AccountGone => Self::unauthorized(true),
            PasswordChangeError::Locked { retry_after_secs } => Self::too_many_requests(retry_after_secs),
            PasswordChangeError::Infra(e) => e.into(),
        }
    }
}

impl From<DeleteAccountError> for ApiError {
    fn from(e: DeleteAccountError) -> Self {
        match e {
            DeleteAccountError::CurrentPasswordRequired => password_required(),
            DeleteAccountError::WrongPassword => wrong_password(),
            DeleteAccountError::AccountGone => Self::unauthorized(true),
            DeleteAccountError::LastActiveAdmin => Self::conflict(LAST_ADMIN),
            DeleteAccountError::Locked { retry_after_secs } => Self::too_many_requests(retry_after_secs),
            DeleteAccountError::Infra(e) => e.into(),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Forbidden => Self::forbidden(),
            AdminError::MfaEnrolmentRequired => Self::mfa_enrolment_required(),
            AdminError::NotFound => Self::not_found(),
            AdminError::LastActiveAdmin => Self::conflict(LAST_ADMIN),
            AdminError::EmailTaken => Self::conflict(EMAIL_TAKEN),
            AdminError::Infra(e) => e.into(),
        }
    }
}

impl From<LinkError> for ApiError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::InvalidToken => Self::validation(vec![FieldError::new("token", "is invalid, used or expired")]),
            LinkError::EmailTaken => Self::conflict(EMAIL_TAKEN),
            LinkError::WeakPassword(why) => Self::validation(vec![FieldError::new("new_password", why)]),
            LinkError::Infra(e) => e.into(),
        }
    }
}

impl From<ResourceError> for ApiError {
    fn from(e: ResourceError) -> Self {
        match e {
            ResourceError::NotFound => Self::not_found(),
            ResourceError::Infra(e) => e.into(),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(e: Refusal) -> Self {
        match e {
            Refusal::Scope(ScopeRefusal::Missing(scope)) => Self::insufficient_scope(
                format!("this personal access token lacks the scope {} this operation needs", scope.as_str()),
                Some(scope.as_str()),
            ),
            Refusal::Scope(ScopeRefusal::AccountManagement) => Self::insufficient_scope(
                "a personal access token cannot manage the account (password, email, profile, second factors, passkeys, identities, tokens, sessions, deletion): sign in",
                None,
            ),
            // A session's access token where a service's personal access token belongs.
            Refusal::TokenOnly => Self::unauthorized(true),
        }
    }
}

impl From<StartError> for ApiError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::UnknownProvider => Self::not_found(),
            StartError::RedirectNotAllowed => Self::bad_request(
                "redirect_uri is not allowed: it must be one of oidc.allowed_redirect_uris or {server.public_url}/account/",
            ),
            StartError::Unavailable => Self::unavailable("the provider cannot be reached now; retry later"),
            StartError::Reauth(e) => e.into(),
            StartError::Infra(e) => e.into(),
        }
    }
}

impl From<CallbackError> for ApiError {
    fn from(e: CallbackError) -> Self {
        match e {
            CallbackError::UnknownState => Self::bad_request("the state is unknown, used or expired"),
            CallbackError::Infra(e) => e.into(),
        }
    }
}

impl From<UnlinkError> for ApiError {
    fn from(e: UnlinkError) -> Self {
        match e {
            UnlinkError::Reauth(e) => e.into(),
            UnlinkError::NotFound => Self::not_found(),
            UnlinkError::LastWayIn => {
                Self::conflict("this identity is the account's last way to sign in: set a password or link another first")
            }
            UnlinkError::Infra(e) => e.into(),
        }
    }
}

impl From<CreatePatError> for ApiError {
    fn from(e: CreatePatError) -> Self {
        match e {
            CreatePatError::Reauth(e) => e.into(),
            CreatePatError::Lifetime(why) => Self::validation(vec![FieldError::new("expires_in_days", why)]),
            CreatePatError::AtLimit => Self::conflict(CreatePatError::AtLimit.to_string()),
            CreatePatError::Infra(e) => e.into(),
        }
    }
}

impl From<PasskeyError> for ApiError {
    fn from(e: PasskeyError) -> Self {
        match e {
            PasskeyError::Reauth(e) => e.into(),
            PasskeyError::Refused => Self::invalid_credentials(
                "the passkey answer was refused: the challenge is unknown, used or expired, or the answer does not verify; start again",
            ),
            PasskeyError::LimitReached | PasskeyError::Duplicate | PasskeyError::LastWayIn => Self::conflict(e.to_string()),
            PasskeyError::NotFound => Self::not_found(),
            PasskeyError::Infra(e) => e.into(),
        }
    }
}

impl From<PasskeySignInError> for ApiError {
    fn from(e: PasskeySignInError) -> Self {
        match e {
            PasskeySignInError::Refused => Self::invalid_credentials("the passkey sign-in was refused: start again"),
            PasskeySignInError::EmailNotVerified => Self::email_not_verified(),
            PasskeySignInError::Infra(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;

    #[test]
    fn an_account_deleted_during_a_request_is_an_invalid_token_not_a_missing_resource() {
        for error in [
            ApiError::from(ProfileError::AccountGone),
            ApiError::from(PasswordChangeError::AccountGone),
            ApiError::from(DeleteAccountError::AccountGone),
        ] {
            let response = error.error_response();
            assert_eq!(response.status(), 401);
            assert_eq!(response.headers().get("www-authenticate").unwrap(), r#"Bearer error="invalid_token""#);
        }
    }
}
