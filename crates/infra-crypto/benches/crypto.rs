//! Micro-benchmarks: password hash/verify at bcrypt costs 4, 10 and 12 and with argon2id, and
//! access-token sign/verify per algorithm. `cargo bench -p infra-crypto` runs them in a few
//! minutes: the slow password cases use few, flat samples.

#[path = "../tests/support/keys.rs"]
mod keys;

use chrono::{Duration as Ttl, Utc};
use criterion::{Criterion, SamplingMode, criterion_main};
use domain::{AccessClaims, AccessTokenCodec, CandidatePassword, Password, PasswordHasher, RefreshTokenIssuer, Role, SessionId, UserId};
use infra_crypto::{HashAlgorithm, Hasher, HasherConfig, JwtCodec, JwtConfig, KeyConfig, KeySpec, RandomRefreshTokens};
use std::hint::black_box;
use std::time::Duration;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery staple";

fn passwords(c: &mut Criterion) {
    let mut group = c.benchmark_group("password");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_millis(500));
    let candidate = CandidatePassword::new(PASSWORD);
    let hashers = [4, 10, 12]
        .map(|cost| (format!("bcrypt-{cost}"), Hasher::new(HasherConfig { algorithm: HashAlgorithm::Bcrypt, bcrypt_cost: cost })))
        .into_iter()
        .chain([("argon2id".to_owned(), Hasher::new(HasherConfig { algorithm: HashAlgorithm::Argon2id, bcrypt_cost: 4 }))]);
    for (name, hasher) in hashers {
        let hasher = hasher.expect("valid hasher config");
        let password = Password::new(PASSWORD, hasher.max_password_bytes()).expect("meets the policy");
        let stored = hasher.hash(&password).expect("hashes");
        group.measurement_time(Duration::from_secs(if name == "bcrypt-12" { 4 } else { 2 }));
        group.bench_function(format!("hash/{name}"), |b| b.iter(|| hasher.hash(black_box(&password))));
        group.bench_function(format!("verify/{name}"), |b| b.iter(|| hasher.verify(black_box(&candidate), black_box(&stored))));
    }
    group.finish();
}

fn access_tokens(c: &mut Criterion) {
    let (ed, ec) = (keys::ed25519(1), keys::p256(1));
    let specs = [
        ("HS256", KeySpec::Hs256 { secret: "benchmark-secret-benchmark-secret-0000".to_owned().into() }),
        ("EdDSA", KeySpec::EdDsa { private_pem: Some(ed.private_pem), public_pem: ed.public_pem }),
        ("ES256", KeySpec::Es256 { private_pem: Some(ec.private_pem), public_pem: ec.public_pem }),
    ];
    let now = Utc::now();
    let claims = AccessClaims {
        user_id: UserId::from_uuid(Uuid::new_v4()),
        session_id: SessionId::from_uuid(Uuid::new_v4()),
        role: Role::User,
        issued_at: now,
        expires_at: now + Ttl::seconds(3600),
        token_id: Uuid::new_v4(),
        amr: domain::Amr::PASSWORD,
    };

    let mut group = c.benchmark_group("access_token");
    group.sample_size(50).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for (alg, spec) in specs {
        let config = JwtConfig {
            issuer: "gatehouse".into(),
            audience: "gatehouse".into(),
            current: KeyConfig { kid: None, spec },
            previous: vec![],
            clock_skew_secs: 30,
        };
        let codec = JwtCodec::new(config).expect("valid codec config");
        let token = codec.issue(&claims).expect("issues");
        group.bench_function(format!("sign/{alg}"), |b| b.iter(|| codec.issue(black_box(&claims))));
        group.bench_function(format!("verify/{alg}"), |b| b.iter(|| codec.verify(black_box(token.expose()))));
    }
    group.finish();
}

fn refresh_tokens(c: &mut Criterion) {
    let mut group = c.benchmark_group("refresh_token");
    group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(1));
    let token = RandomRefreshTokens.generate();
    group.bench_function("generate", |b| b.iter(|| RandomRefreshTokens.generate()));
    group.bench_function("digest", |b| b.iter(|| RandomRefreshTokens.digest(black_box(token.expose()))));
    group.finish();
}

/// criterion_group! makes a public function it cannot document.
mod group {
    #![allow(missing_docs)]
    use super::{access_tokens, passwords, refresh_tokens};
    criterion::criterion_group!(benches, passwords, access_tokens, refresh_tokens);
}
criterion_main!(group::benches);
