use crate::helpers::{spawn_app_with, str_of};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use http_actix::app::config::{Algorithm, PreviousKey};
use reqwest::Method;
use serde_json::Value;

const OLD_SECRET: &str = "the-old-hs256-secret-of-32-bytes-or-more";

fn header_of(token: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap()
}

/// Writes a throw-away Ed25519 key pair as PEM files; returns (private, public) paths.
fn ed25519_files(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let private = dir.join("ed25519.pem");
    let public = dir.join("ed25519.pub.pem");
    std::fs::write(&private, key.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    std::fs::write(&public, key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap()).unwrap();
    (private, public)
}

#[tokio::test]
async fn rotating_from_hs256_to_eddsa_keeps_old_tokens_valid_and_publishes_the_new_key() {
    let old = spawn_app_with(&[("auth.secret", OLD_SECRET), ("auth.kid", "old-hs")]).await;
    let old_session = old.user("ada@example.com").await;
    assert_eq!(header_of(&old_session.access)["kid"], "old-hs");
    assert_eq!(
        old.request(Method::GET, "/.well-known/jwks.json").send().await.unwrap().json::<Value>().await.unwrap()["keys"],
        serde_json::json!([])
    );

    let dir = std::env::temp_dir().join(format!("gatehouse-keys-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (private, public) = ed25519_files(&dir);
    let new = old
        .sibling(&[("auth.algorithm", "EdDSA"), ("auth.kid", "ed-1")], |s| {
            s.auth.algorithm = Algorithm::EdDsa;
            s.auth.secret = None;
            s.auth.private_key_file = Some(private.clone());
            s.auth.public_key_file = Some(public.clone());
            s.auth.previous_keys = vec![PreviousKey {
                kid: "old-hs".into(),
                algorithm: Algorithm::Hs256,
                secret: Some(OLD_SECRET.into()),
                public_key_file: None,
            }];
        })
        .await;

    // A token signed with the retired key still works during the rotation.
    assert_eq!(new.get("/users/me", &old_session.access).await.status(), 200);
    // New tokens are EdDSA under the new kid, and the JWKS publishes that public key only.
    let fresh = new.login("ada@example.com").await;
    let header = header_of(&fresh.access);
    assert_eq!((header["alg"].as_str(), header["kid"].as_str(), header["typ"].as_str()), (Some("EdDSA"), Some("ed-1"), Some("at+jwt")));
    assert_eq!(new.get("/users/me", &fresh.access).await.status(), 200);
    let jwks: Value = new.request(Method::GET, "/.well-known/jwks.json").send().await.unwrap().json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{jwks}");
    assert_eq!((keys[0]["kty"].as_str(), keys[0]["crv"].as_str(), keys[0]["kid"].as_str()), (Some("OKP"), Some("Ed25519"), Some("ed-1")));
    assert!(!str_of(&keys[0], "x").is_empty());
    assert!(keys[0].get("d").is_none(), "never the private part");
    // The old server, which knows only its HS256 key, refuses the EdDSA token.
    assert_eq!(old.get("/users/me", &fresh.access).await.status(), 401);
    std::fs::remove_dir_all(&dir).unwrap();
}
