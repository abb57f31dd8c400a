#![doc = include_str!("../README.md")]

mod error;
mod flow;
mod jwt;
mod link;
mod mfa;
mod passkeys;
mod password;
mod pat;
mod refresh;

pub use error::CryptoConfigError;
pub use flow::{APP_CODE_PREFIX, RandomFlowSecrets, STATE_PREFIX};
pub use jwt::{
    ACCESS_TOKEN_TYPE, JwtCodec, JwtConfig, KeyConfig, KeySpec, MAX_CLOCK_SKEW_SECS, MAX_KID_LEN, MAX_TOKEN_BYTES, MIN_HS256_SECRET_BYTES,
    hs256_secret_is_strong,
};
pub use link::{LINK_TOKEN_PREFIX, RandomLinkTokens};
pub use mfa::{ENCRYPTION_KEY_BYTES, EncryptionKeys, KeyedRecoveryCodes, MFA_TOKEN_PREFIX, RandomMfaTokens, SealedSecrets, Totp, Zxcvbn};
pub use passkeys::{WebauthnCeremonies, WebauthnSettingsError};
pub use password::{ARGON2_MAX_PASSWORD_BYTES, BCRYPT_MAX_PASSWORD_BYTES, HashAlgorithm, Hasher, HasherConfig};
pub use pat::RandomPats;
pub use refresh::{REFRESH_TOKEN_BYTES, REFRESH_TOKEN_CHARS, REFRESH_TOKEN_PREFIX, RandomRefreshTokens};
