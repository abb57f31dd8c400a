//! Builders for the entities the tests store. Times carry microseconds (what every backend
//! keeps); ids are chosen so that their order is known.

use chrono::{Duration, TimeZone, Utc};
use domain::{
    Description, Email, PageRequest, PasswordHash, Project, ProjectId, ProjectName, RefreshTokenDigest, Role, Session, SessionId, Task,
    TaskId, TaskTitle, Timestamp, User, UserAgent, UserId, UserName,
};
use uuid::Uuid;

/// 2026-01-01T00:00:00.123456Z plus `secs` seconds.
pub fn t(secs: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::microseconds(123_456) + Duration::seconds(secs)
}

/// A UUID whose byte order (and so string order) is `n`'s.
pub fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

pub fn user(n: u128, email: &str, created: Timestamp) -> User {
    User {
        id: UserId::from_uuid(uuid(n)),
        email: Email::parse(email).unwrap(),
        name: UserName::parse(&format!("User {n}")).unwrap(),
        role: Role::User,
        is_active: true,
        created_at: created,
        updated_at: created,
        email_verified: false,
        pending_email: None,
    }
}

pub fn hash(s: &str) -> PasswordHash {
    PasswordHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1${s}"))
}

pub fn session(n: u128, user: UserId, created: Timestamp, expires: Timestamp) -> Session {
    Session {
        id: SessionId::from_uuid(uuid(1_000 + n)),
        user_id: user,
        created_at: created,
        last_used_at: created,
        expires_at: expires,
        revoked_at: None,
        user_agent: UserAgent::from_header("contract-test/1.0"),
        amr: domain::Amr::PASSWORD,
    }
}

pub fn digest(s: &str) -> RefreshTokenDigest {
    RefreshTokenDigest::new(format!("sha256:{s}"))
}

pub fn mask(s: &str) -> domain::SuccessorMask {
    domain::SuccessorMask::new(format!("mask-{s}"))
}

/// A token retired at `at` for the successor `masked`.
pub fn retired(at: Timestamp, masked: &str) -> domain::RefreshTokenState {
    domain::RefreshTokenState::Retired(domain::Retirement { at: Some(at), successor: Some(mask(masked)) })
}

pub fn project(n: u128, owner: UserId, created: Timestamp) -> Project {
    Project {
        id: ProjectId::from_uuid(uuid(2_000 + n)),
        owner_id: owner,
        name: ProjectName::parse(&format!("Project {n}")).unwrap(),
        description: Description::default(),
        created_at: created,
        updated_at: created,
    }
}

pub fn task(n: u128, project: ProjectId, created: Timestamp) -> Task {
    Task {
        id: TaskId::from_uuid(uuid(3_000 + n)),
        project_id: project,
        title: TaskTitle::parse(&format!("Task {n}")).unwrap(),
        description: Description::default(),
        status: Default::default(),
        priority: Default::default(),
        due_date: None,
        created_at: created,
        updated_at: created,
    }
}

pub fn page(limit: i64, offset: i64) -> PageRequest {
    PageRequest::new(Some(limit), Some(offset)).unwrap()
}
