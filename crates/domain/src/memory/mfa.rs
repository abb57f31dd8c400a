//! Second factors and sign-in challenges in the in-memory store: each method holds the store's
//! lock throughout, so it is as atomic as the database's transaction.

use super::store::{MemoryStore, Tables, micros};
use crate::error::InfraError;
use crate::model::{
    AuditEvent, MfaChallenge, MfaStatus, MfaTokenDigest, OutgoingMail, RecoveryCodeDigest, Sealed, Timestamp, TotpFactor, UserId,
};
use crate::ports::{Answering, ChallengeFailure, Outbox, SecondFactorStore, TotpConfirmation, TotpConfirmed, TotpStart};

impl MemoryStore {
    fn send(&self, mail: &[OutgoingMail]) -> Result<(), InfraError> {
        mail.iter().try_for_each(|m| self.outbox().enqueue(m))
    }
}

impl SecondFactorStore for MemoryStore {
    fn totp(&self, user: UserId) -> Result<Option<TotpFactor>, InfraError> {
        Ok(self.tables()?.totp.get(&user).cloned())
    }

    fn start_totp(&self, user: UserId, secret: &Sealed, expires_at: Timestamp) -> Result<TotpStart, InfraError> {
        let mut t = self.tables()?;
        if t.totp.get(&user).is_some_and(TotpFactor::is_on) {
            return Ok(TotpStart::AlreadyOn);
        }
        let factor = TotpFactor {
            user_id: user,
            secret: secret.clone(),
            confirmed_at: None,
            enrolment_expires_at: micros(expires_at),
            last_step: i64::MIN,
        };
        t.totp.insert(user, factor);
        Ok(TotpStart::Started)
    }

    fn confirm_totp(&self, c: &TotpConfirmation<'_>) -> Result<TotpConfirmed, InfraError> {
        let mut t = self.tables()?;
        let now = micros(c.now);
        match t.totp.get_mut(&c.user) {
            Some(factor) if !factor.is_on() && now < factor.enrolment_expires_at && factor.last_step < c.step => {
                factor.confirmed_at = Some(now);
                factor.last_step = c.step;
            }
            _ => return Ok(TotpConfirmed::NoEnrolment),
        }
        t.recovery_codes.insert(c.user, c.codes.iter().map(|d| (d.clone(), false)).collect());
        t.revoke_sessions_of(c.user, Some(c.keep), now);
        if let Some(session) = t.sessions_mut().get_mut(&c.keep) {
            session.amr = c.session_amr;
        }
        t.record(c.audit);
        drop(t);
        self.send(c.mail)?;
        Ok(TotpConfirmed::Confirmed)
    }

    fn use_totp_step(&self, user: UserId, step: i64, answering: Option<Answering<'_>>) -> Result<bool, InfraError> {
        let mut t = self.tables()?;
        let usable = t.totp.get(&user).is_some_and(|factor| factor.is_on() && factor.last_step < step);
        if !usable || !answered(&mut t, answering) {
            return Ok(false);
        }
        if let Some(factor) = t.totp.get_mut(&user) {
            factor.last_step = step;
        }
        Ok(true)
    }

    fn use_recovery_code(
        &self,
        user: UserId,
        candidates: &[RecoveryCodeDigest],
        _now: Timestamp,
        answering: Option<Answering<'_>>,
        audit: &[AuditEvent],
        mail: &[OutgoingMail],
    ) -> Result<bool, InfraError> {
        let mut t = self.tables()?;
        let found =
            t.recovery_codes.get(&user).and_then(|codes| codes.iter().position(|(digest, used)| !used && candidates.contains(digest)));
        let Some(index) = found else { return Ok(false) };
        if !answered(&mut t, answering) {
            return Ok(false);
        }
        if let Some(codes) = t.recovery_codes.get_mut(&user) {
            codes[index].1 = true;
        }
        t.record(audit);
        drop(t);
        self.send(mail)?;
        Ok(true)
    }

    fn status(&self, user: UserId) -> Result<MfaStatus, InfraError> {
        let t = self.tables()?;
        let confirmed = t.totp.get(&user).and_then(|f| f.confirmed_at);
        let left = t.recovery_codes.get(&user).map_or(0, |codes| codes.iter().filter(|(_, used)| !used).count());
        Ok(MfaStatus {
            totp: confirmed.is_some(),
            totp_enabled_at: confirmed,
            recovery_codes_left: u32::try_from(left).unwrap_or(u32::MAX),
            passkeys: t.passkeys_of(user),
        })
    }

    fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
        audit: &[AuditEvent],
        mail: &[OutgoingMail],
    ) -> Result<bool, InfraError> {
        let mut t = self.tables()?;
        if !t.totp.get(&user).is_some_and(TotpFactor::is_on) {
            return Ok(false);
        }
        t.recovery_codes.insert(user, codes.iter().map(|d| (d.clone(), false)).collect());
        t.record(audit);
        drop(t);
        self.send(mail)?;
        Ok(true)
    }

    fn remove_second_factors(
        &self,
        user: UserId,
        passkeys: bool,
        revoke_sessions: bool,
        now: Timestamp,
        audit: &[AuditEvent],
        mail: &[OutgoingMail],
    ) -> Result<bool, InfraError> {
        let mut t = self.tables()?;
        let mut removed = t.totp.remove(&user).is_some() | t.recovery_codes.remove(&user).is_some();
        if passkeys {
            removed |= t.delete_passkeys_of(user) > 0;
        }
        if !removed {
            return Ok(false);
        }
        if revoke_sessions {
            t.revoke_sessions_of(user, None, micros(now));
        }
        t.record(audit);
        drop(t);
        self.send(mail)?;
        Ok(true)
    }

    fn insert_challenge(&self, challenge: &MfaChallenge) -> Result<(), InfraError> {
        let stored =
            MfaChallenge { created_at: micros(challenge.created_at), expires_at: micros(challenge.expires_at), ..challenge.clone() };
        self.tables()?.challenges.insert(challenge.digest.clone(), stored);
        Ok(())
    }

    fn find_challenge(&self, digest: &MfaTokenDigest) -> Result<Option<MfaChallenge>, InfraError> {
        Ok(self.tables()?.challenges.get(digest).cloned())
    }

    fn fail_challenge(&self, digest: &MfaTokenDigest, audit: &[AuditEvent]) -> Result<ChallengeFailure, InfraError> {
        let mut t = self.tables()?;
        let Some(challenge) = t.challenges.get_mut(digest).filter(|c| c.failures < MfaChallenge::MAX_FAILURES) else {
            return Ok(ChallengeFailure::Gone);
        };
        challenge.failures += 1;
        let exhausted = challenge.failures >= MfaChallenge::MAX_FAILURES;
        if exhausted {
            t.challenges.remove(digest);
        }
        t.record(audit);
        Ok(if exhausted { ChallengeFailure::Exhausted } else { ChallengeFailure::Counted })
    }

    fn consume_challenge(&self, digest: &MfaTokenDigest, now: Timestamp) -> Result<bool, InfraError> {
        let mut t = self.tables()?;
        Ok(answered(&mut t, Some(Answering { challenge: digest, now })))
    }

    fn purge_challenges(&self, now: Timestamp) -> Result<u64, InfraError> {
        let mut t = self.tables()?;
        let before = t.challenges.len();
        t.challenges.retain(|_, c| c.expires_at > now);
        Ok((before - t.challenges.len()) as u64)
    }
}

/// Uses up the challenge a code answers, if any: `false` when it is not live.
fn answered(t: &mut Tables, answering: Option<Answering<'_>>) -> bool {
    let Some(Answering { challenge, now }) = answering else { return true };
    match t.challenges.get(challenge) {
        Some(live) if live.is_live(now) => t.challenges.remove(challenge).is_some(),
        _ => false,
    }
}
