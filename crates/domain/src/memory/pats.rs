//! Personal access tokens in the in-memory store, and a fake issuer: each method holds the
//! store's lock throughout, as atomic as the database's transaction.

use super::fnv1a;
use super::store::{MemoryStore, micros};
use crate::error::InfraError;
use crate::model::{PatDigest, PatId, PatText, PersonalAccessToken, Timestamp, User, UserId};
use crate::ports::{NewPat, Outbox, PatInsert, PatIssuer, PatRepository};
use std::sync::atomic::{AtomicU64, Ordering};

impl PatRepository for MemoryStore {
    fn insert_capped(&self, new: &NewPat<'_>) -> Result<PatInsert, InfraError> {
        let mut t = self.tables()?;
        if t.user(new.token.user_id).is_none() {
            return Ok(PatInsert::OwnerGone);
        }
        let now = new.token.created_at;
        let live = t.pats.values().filter(|p| p.user_id == new.token.user_id && p.is_live(now)).count();
        if live >= usize::try_from(new.max_live).unwrap_or(usize::MAX) {
            return Ok(PatInsert::AtLimit);
        }
        let token = PersonalAccessToken { created_at: micros(now), expires_at: micros(new.token.expires_at), ..new.token.clone() };
        t.pats.insert(new.digest.clone(), token);
        t.record(new.audit);
        drop(t);
        new.mail.iter().try_for_each(|m| self.outbox().enqueue(m))?;
        Ok(PatInsert::Inserted)
    }

    fn find_by_digest(&self, digest: &PatDigest) -> Result<Option<(PersonalAccessToken, User)>, InfraError> {
        let t = self.tables()?;
        Ok(t.pats.get(digest).and_then(|token| t.user(token.user_id).map(|user| (token.clone(), user))))
    }

    fn list_live(&self, user: UserId, now: Timestamp) -> Result<Vec<PersonalAccessToken>, InfraError> {
        let mut live: Vec<_> = self.tables()?.pats.values().filter(|p| p.user_id == user && p.is_live(now)).cloned().collect();
        live.sort_by_key(|token| std::cmp::Reverse((token.created_at, token.id)));
        Ok(live)
    }

    fn revoke(&self, user: UserId, id: PatId, now: Timestamp, audit: &[crate::model::AuditEvent]) -> Result<bool, InfraError> {
        let mut t = self.tables()?;
        let Some(token) = t.pats.values_mut().find(|p| p.id == id && p.user_id == user && p.is_live(now)) else { return Ok(false) };
        token.revoked_at = Some(micros(now));
        t.record(audit);
        Ok(true)
    }

    fn record_use(&self, id: PatId, now: Timestamp, stale_before: Timestamp) -> Result<(), InfraError> {
        let mut t = self.tables()?;
        if let Some(token) = t.pats.values_mut().find(|p| p.id == id && p.last_used_at.is_none_or(|at| at <= stale_before)) {
            token.last_used_at = Some(micros(now));
        }
        Ok(())
    }

    fn purge(&self, before: Timestamp) -> Result<u64, InfraError> {
        let mut t = self.tables()?;
        let was = t.pats.len();
        t.pats.retain(|_, p| p.revoked_at.is_none_or(|at| at >= before) && p.expires_at > before);
        Ok((was - t.pats.len()) as u64)
    }
}

/// Tokens whose randomness is a counter in base 10, padded; a real checksum (the domain's).
#[derive(Debug, Default)]
pub struct FakePatIssuer(AtomicU64);

impl PatIssuer for FakePatIssuer {
    fn generate(&self) -> PatText {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        PatText::from_random(&format!("{n:0>32}")).unwrap_or_else(|_| unreachable!("32 digits are base62"))
    }

    fn digest(&self, token: &PatText) -> PatDigest {
        PatDigest::new(format!("{:016x}", fnv1a(token.expose().as_bytes())))
    }
}
