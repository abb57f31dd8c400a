//! TOTP (RFC 6238: SHA-1, six digits, 30-second steps) with `totp-rs`, whose codes are checked
//! against RFC 6238's test vectors, and the enrolment an authenticator app reads: the secret in
//! base32, its `otpauth://` URI, and that URI as an SVG QR code (`qrcode`).

use domain::{OtpGenerator, TotpRules, TotpSecret};
use qrcode::QrCode;
use qrcode::render::svg;
use rand::TryRngCore;
use rand::rngs::OsRng;
use totp_rs::{Algorithm, Secret, TOTP};

/// The production [`OtpGenerator`], naming `auth.totp_issuer` in its URIs.
#[derive(Debug, Clone)]
pub struct Totp {
    issuer: String,
}

impl Totp {
    /// Enrolments name `issuer` (what the authenticator app shows above the code).
    pub fn new(issuer: &str) -> Self {
        Self { issuer: issuer.to_owned() }
    }
}

/// A URI component with everything but RFC 3986's unreserved characters percent-encoded.
fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

impl OtpGenerator for Totp {
    /// # Panics
    /// Only if the operating system's random source fails.
    fn new_secret(&self) -> TotpSecret {
        let mut key = vec![0_u8; TotpRules::SECRET_BYTES];
        if let Err(e) = OsRng.try_fill_bytes(&mut key) {
            panic!("the operating system's random source failed: {e}");
        }
        TotpSecret::new(key)
    }

    fn code(&self, secret: &TotpSecret, step: i64) -> String {
        // The secret is always 160 bits (totp-rs refuses fewer than 128), so `new` cannot fail.
        let period = u64::try_from(TotpRules::PERIOD_SECS).unwrap_or(30);
        match TOTP::new(Algorithm::SHA1, TotpRules::DIGITS, 0, period, secret.expose().to_vec()) {
            Ok(totp) => totp.generate(u64::try_from(step).unwrap_or(0).saturating_mul(period)),
            // A code nobody can type: the check fails like a wrong code.
            Err(_) => String::new(),
        }
    }

    fn enrolment(&self, secret: &TotpSecret, account: &str) -> (String, String, String) {
        let base32 = Secret::Raw(secret.expose().to_vec()).to_encoded().to_string();
        let issuer = encode_component(&self.issuer);
        let uri = format!(
            "otpauth://totp/{issuer}:{}?secret={base32}&issuer={issuer}&algorithm=SHA1&digits={}&period={}",
            encode_component(account),
            TotpRules::DIGITS,
            TotpRules::PERIOD_SECS
        );
        let svg = QrCode::new(uri.as_bytes())
            .map(|code| code.render::<svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
            .unwrap_or_default();
        (base32, uri, svg)
    }
}
