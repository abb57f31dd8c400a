//! argon2id in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).

use argon2::password_hash::{self, PasswordHash as Phc, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use domain::InfraError;
use rand::TryRngCore;
use rand::rngs::OsRng;
use std::hint::black_box;

/// The longest password this crate hashes with argon2id. argon2 itself takes far more; the
/// limit keeps a request from making the server hash megabytes.
pub const ARGON2_MAX_PASSWORD_BYTES: usize = 1024;

/// The parameters new hashes get: OWASP's recommendation for argon2id (19 MiB, 2 passes, one
/// lane), which is also the `argon2` crate's default.
pub(crate) fn params() -> Params {
    Params::DEFAULT
}

/// The most a stored hash may ask for before it is treated as malformed: a hash that claims
/// gigabytes of memory would take the server down rather than verify a password.
const MAX_VERIFY_M_COST_KIB: u32 = 256 * 1024;
const MAX_VERIFY_T_COST: u32 = 16;
const MAX_VERIFY_P_COST: u32 = 16;

/// Builds the argon2id context with the given parameters.
pub(crate) fn context(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Whether `encoded` claims to be an argon2id PHC string (it may still be malformed).
pub(crate) fn is_argon2id(encoded: &str) -> bool {
    encoded.starts_with("$argon2id$")
}

/// A parsed, well-formed argon2id hash within the verification bounds.
pub(crate) fn parse(encoded: &str) -> Result<Phc<'_>, InfraError> {
    let malformed = || InfraError::internal("malformed argon2id password hash");
    let phc = Phc::new(encoded).map_err(|_| malformed())?;
    if phc.algorithm != Algorithm::Argon2id.ident() || phc.salt.is_none() || phc.hash.is_none() {
        return Err(malformed());
    }
    let params = Params::try_from(&phc).map_err(|_| malformed())?;
    if params.m_cost() > MAX_VERIFY_M_COST_KIB || params.t_cost() > MAX_VERIFY_T_COST || params.p_cost() > MAX_VERIFY_P_COST {
        return Err(InfraError::internal("argon2id password hash asks for more work than this server allows"));
    }
    if let Some(version) = phc.version {
        Version::try_from(version).map_err(|_| malformed())?;
    }
    Ok(phc)
}

/// Whether a parsed hash was made with exactly `wanted` (and the current version and output
/// length), so it needs no rehash.
pub(crate) fn matches_params(phc: &Phc<'_>, wanted: &Params) -> bool {
    let version_ok = phc.version == Some(Version::V0x13.into());
    let output_ok = phc.hash.is_some_and(|h| h.len() == Params::DEFAULT_OUTPUT_LEN);
    let params_ok = Params::try_from(phc)
        .is_ok_and(|p| p.m_cost() == wanted.m_cost() && p.t_cost() == wanted.t_cost() && p.p_cost() == wanted.p_cost());
    version_ok && output_ok && params_ok
}

/// Hashes a password with a fresh 16-byte salt from the OS random source.
pub(crate) fn hash(argon2: &Argon2<'static>, password: &[u8]) -> Result<String, InfraError> {
    if password.len() > ARGON2_MAX_PASSWORD_BYTES {
        return Err(InfraError::internal("password longer than the argon2id limit reached the hasher"));
    }
    let mut salt = [0u8; 16];
    OsRng.try_fill_bytes(&mut salt).map_err(|e| InfraError::internal(format!("OS random source failed: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| InfraError::internal(format!("argon2id salt encoding failed: {e}")))?;
    argon2
        .hash_password(password, &salt)
        .map(|phc| phc.to_string())
        .map_err(|e| InfraError::internal(format!("argon2id hashing failed: {e}")))
}

/// Verifies a candidate with the parameters stored in the hash. One over the limit does the
/// same work on a stand-in and is `false`.
pub(crate) fn verify(argon2: &Argon2<'static>, candidate: &[u8], encoded: &str) -> Result<bool, InfraError> {
    let phc = parse(encoded)?;
    let too_long = candidate.len() > ARGON2_MAX_PASSWORD_BYTES;
    let input = if too_long { &candidate[..ARGON2_MAX_PASSWORD_BYTES] } else { candidate };
    let matched = match argon2.verify_password(input, &phc) {
        Ok(()) => true,
        Err(password_hash::Error::Password) => false,
        Err(e) => return Err(InfraError::internal(format!("argon2id verification failed: {e}"))),
    };
    Ok(!black_box(too_long) && black_box(matched))
}
