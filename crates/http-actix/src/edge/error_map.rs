//! Each use-case error mapped to HTTP, once.

use crate::edge::error::{ApiError, FieldError};
use domain::{
    AdminError, DeleteAccountError, LinkError, LoginError, PasswordChangeError, ProfileError, RefreshError, RegisterError, ResourceError,
};

const EMAIL_TAKEN: &str = "this email is already registered";
const LAST_ADMIN: &str = "the last active admin cannot be demoted, deactivated or deleted";

fn wrong_password() -> ApiError {
    ApiError::validation(vec![FieldError::new("current_password", "is incorrect")])
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::EmailTaken => Self::conflict(EMAIL_TAKEN),
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
            ProfileError::CurrentPasswordRequired => {
                Self::validation(vec![FieldError::new("current_password", "is required to change the email")])
            }
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
            PasswordChangeError::WrongPassword => wrong_password(),
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
