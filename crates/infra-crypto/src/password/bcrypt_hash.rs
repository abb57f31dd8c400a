//! bcrypt (`$2a$`, `$2b$`, `$2y$`): hashing, verification and its 72-byte limit.

use domain::InfraError;
use std::hint::black_box;

/// The longest password bcrypt takes without truncating it.
pub const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

/// The costs bcrypt accepts.
pub(crate) const COSTS: std::ops::RangeInclusive<u32> = 4..=31;

/// The prefixes of the bcrypt variants that are one algorithm for passwords of at most 72
/// bytes. `$2x$` marks hashes of a buggy implementation and is refused.
const PREFIXES: [&str; 3] = ["$2a$", "$2b$", "$2y$"];

/// Whether `encoded` claims to be a bcrypt hash (it may still be malformed).
pub(crate) fn is_bcrypt(encoded: &str) -> bool {
    PREFIXES.iter().any(|prefix| encoded.starts_with(prefix))
}

/// The cost of a well-formed bcrypt hash.
pub(crate) fn cost_of(encoded: &str) -> Result<u32, InfraError> {
    encoded.parse::<bcrypt::HashParts>().map(|parts| parts.get_cost()).map_err(|_| InfraError::internal("malformed bcrypt password hash"))
}

/// Hashes a password already known to fit: bcrypt's own `non_truncating_hash` also refuses
/// exactly 72 bytes, which the contract accepts, so the length is checked here instead.
pub(crate) fn hash(password: &[u8], cost: u32) -> Result<String, InfraError> {
    if password.len() > BCRYPT_MAX_PASSWORD_BYTES {
        return Err(InfraError::internal("password longer than bcrypt's 72-byte limit reached the hasher"));
    }
    bcrypt::hash(password, cost).map_err(|e| InfraError::internal(format!("bcrypt hashing failed: {e}")))
}

/// Verifies a candidate. One over 72 bytes is never truncated to match: a stand-in of the
/// first 72 bytes is verified so the answer takes as long as usual, and the result is `false`.
pub(crate) fn verify(candidate: &[u8], encoded: &str) -> Result<bool, InfraError> {
    // Parse first, so a malformed hash is an error whatever the candidate.
    cost_of(encoded)?;
    let too_long = candidate.len() > BCRYPT_MAX_PASSWORD_BYTES;
    let input = if too_long { &candidate[..BCRYPT_MAX_PASSWORD_BYTES] } else { candidate };
    let matched = bcrypt::verify(input, encoded).map_err(|_| InfraError::internal("malformed bcrypt password hash"))?;
    Ok(!black_box(too_long) && black_box(matched))
}
