//! The access-token codec of the settings, and the files its keys and development secret
//! live in.

use super::StartupError;
use crate::app::config::{Algorithm, Settings};
use infra_crypto::{JwtCodec, JwtConfig, KeyConfig, KeySpec};
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;

/// Where the development secret is kept.
pub const DEV_SECRET_FILE: &str = "data/secret.key";

/// Where the development encryption key is kept.
pub const DEV_ENCRYPTION_KEY_FILE: &str = "data/encryption.key";

fn read(path: &Path) -> Result<String, StartupError> {
    std::fs::read_to_string(path).map_err(|source| StartupError::File { path: path.to_owned(), source })
}

/// The HS256 secret: configured, or outside production a random one kept in `data/`, so tokens
/// survive restarts of a development server.
fn hs256_secret(settings: &Settings) -> Result<SecretString, StartupError> {
    if let Some(secret) = &settings.auth.secret {
        return Ok(secret.clone());
    }
    let path = Path::new(DEV_SECRET_FILE);
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            tracing::info!(file = DEV_SECRET_FILE, "no auth.secret configured; using the development secret kept in the file");
            return Ok(SecretString::from(existing));
        }
    }
    let secret = random_secret();
    let io = |source| StartupError::File { path: path.to_owned(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    write_private(path, secret.expose_secret()).map_err(io)?;
    tracing::info!(file = DEV_SECRET_FILE, "no auth.secret configured; generated a development secret and kept it in the file");
    Ok(secret)
}

/// `auth.encryption_key` and its predecessors, or outside production (which refuses to start
/// without one) a random key kept in `data/`, so sealed secrets survive restarts of a
/// development server.
///
/// # Errors
/// A [`StartupError`] for a key that is not 32 bytes of base64, or a file that cannot be used.
pub fn encryption_keys(settings: &Settings) -> Result<infra_crypto::EncryptionKeys, StartupError> {
    let auth = &settings.auth;
    let invalid =
        |key: String, reason: String| StartupError::Settings(crate::app::config::SettingsError::Other(format!("{key}: {reason}")));
    let current = match &auth.encryption_key {
        Some(key) => crate::app::config::decode_key(key).map_err(|r| invalid("auth.encryption_key".into(), r))?,
        None => development_encryption_key()?,
    };
    let previous = auth
        .previous_encryption_keys
        .iter()
        .enumerate()
        .map(|(i, k)| crate::app::config::decode_key(k).map_err(|r| invalid(format!("auth.previous_encryption_keys[{i}]"), r)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(infra_crypto::EncryptionKeys::new(&current, &previous)?)
}

fn development_encryption_key() -> Result<Vec<u8>, StartupError> {
    use base64::Engine;
    let path = Path::new(DEV_ENCRYPTION_KEY_FILE);
    if let Ok(existing) = std::fs::read_to_string(path)
        && let Ok(bytes) = crate::app::config::decode_key(&SecretString::from(existing.trim().to_owned()))
    {
        tracing::info!(file = DEV_ENCRYPTION_KEY_FILE, "no auth.encryption_key configured; using the development key kept in the file");
        return Ok(bytes);
    }
    let mut bytes = [0_u8; 32];
    rand::fill(&mut bytes);
    let io = |source| StartupError::File { path: path.to_owned(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    write_private(path, &base64::engine::general_purpose::STANDARD.encode(bytes)).map_err(io)?;
    tracing::info!(
        file = DEV_ENCRYPTION_KEY_FILE,
        "no auth.encryption_key configured; generated a development key and kept it in the file"
    );
    Ok(bytes.to_vec())
}

fn random_secret() -> SecretString {
    use base64::Engine;
    let mut bytes = [0_u8; 48];
    rand::fill(&mut bytes);
    SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

fn key_spec(
    algorithm: Algorithm,
    secret: Option<&SecretString>,
    private: Option<&Path>,
    public: Option<&Path>,
) -> Result<KeySpec, StartupError> {
    let missing =
        |what: &str| StartupError::Settings(crate::app::config::SettingsError::Other(format!("{what} is required for {algorithm:?}")));
    Ok(match algorithm {
        Algorithm::Hs256 => KeySpec::Hs256 { secret: secret.cloned().ok_or_else(|| missing("a secret"))? },
        Algorithm::EdDsa | Algorithm::Es256 => {
            let public_pem = read(public.ok_or_else(|| missing("public_key_file"))?)?;
            let private_pem = private.map(read).transpose()?;
            if algorithm == Algorithm::EdDsa {
                KeySpec::EdDsa { private_pem, public_pem }
            } else {
                KeySpec::Es256 { private_pem, public_pem }
            }
        }
    })
}

/// The access-token codec of the settings.
///
/// # Errors
/// A [`StartupError`] naming the unusable key or file.
pub fn jwt_codec(settings: &Settings) -> Result<JwtCodec, StartupError> {
    let auth = &settings.auth;
    let secret = match auth.algorithm {
        Algorithm::Hs256 => Some(hs256_secret(settings)?),
        _ => None,
    };
    if auth.algorithm != Algorithm::Hs256 && auth.private_key_file.is_none() {
        return Err(crate::app::config::SettingsError::Other("auth.private_key_file is required for EdDSA and ES256".into()).into());
    }
    let current = KeyConfig {
        kid: auth.kid.clone(),
        spec: key_spec(auth.algorithm, secret.as_ref(), auth.private_key_file.as_deref(), auth.public_key_file.as_deref())?,
    };
    let previous = auth
        .previous_keys
        .iter()
        .map(|k| {
            Ok(KeyConfig { kid: Some(k.kid.clone()), spec: key_spec(k.algorithm, k.secret.as_ref(), None, k.public_key_file.as_deref())? })
        })
        .collect::<Result<Vec<_>, StartupError>>()?;
    let config = JwtConfig { issuer: auth.issuer.clone(), audience: auth.audience.clone(), current, previous, clock_skew_secs: 5 };
    Ok(JwtCodec::new(config)?)
}
