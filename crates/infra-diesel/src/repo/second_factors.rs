//! Second factors and the challenges between a sign-in's two steps. Every single use is one
//! conditional write that reports its rows: a TOTP step moves forward only past the last one, a
//! recovery code is marked used only while unused, a challenge is deleted only while live. Of
//! racing uses, on any number of instances, exactly one finds its row.

use crate::connection::{AnyConnection, write_transaction};
use crate::error::{self, CorruptRow};
use crate::repo::audit::record_events;
use crate::repo::outbox::queue_mail;
use crate::repo::passkeys::count_passkeys;
use crate::repo::sessions::revoke_sessions_of;
use crate::rows::{db_time, domain_time, parse};
use crate::schema::{mfa_challenges, passkeys as passkey_rows, recovery_codes, sessions, totp_factors};
use crate::store::{DieselStore, affected, unique};
use crate::stored_time::StoredTime;
use diesel::prelude::*;
use domain::{
    Amr, Answering, AuditEvent, ChallengeFailure, InfraError, MfaChallenge, MfaStatus, MfaTokenDigest, OutgoingMail, RecoveryCodeDigest,
    Sealed, SecondFactorStore, Timestamp, TotpConfirmation, TotpConfirmed, TotpFactor, TotpStart, UserId,
};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = totp_factors)]
struct TotpRow {
    user_id: String,
    key_id: String,
    secret: String,
    confirmed_at: Option<StoredTime>,
    enrolment_expires_at: StoredTime,
    last_step: i64,
}

impl TotpRow {
    fn into_domain(self) -> Result<TotpFactor, InfraError> {
        Ok(TotpFactor {
            user_id: parse::<uuid::Uuid>("totp_factors.user_id", &self.user_id).map(UserId::from_uuid)?,
            secret: Sealed { key_id: self.key_id, ciphertext: self.secret },
            confirmed_at: self.confirmed_at.map(domain_time),
            enrolment_expires_at: domain_time(self.enrolment_expires_at),
            last_step: self.last_step,
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = mfa_challenges)]
struct ChallengeRow {
    digest: String,
    user_id: String,
    amr: String,
    created_at: StoredTime,
    expires_at: StoredTime,
    failures: i32,
}

impl ChallengeRow {
    fn new(c: &MfaChallenge) -> Self {
        Self {
            digest: c.digest.as_str().to_owned(),
            user_id: c.user_id.to_string(),
            amr: c.first.to_stored(),
            created_at: db_time(c.created_at),
            expires_at: db_time(c.expires_at),
            failures: i32::try_from(c.failures).unwrap_or(i32::MAX),
        }
    }

    fn into_domain(self) -> Result<MfaChallenge, InfraError> {
        Ok(MfaChallenge {
            digest: MfaTokenDigest::new(self.digest),
            user_id: parse::<uuid::Uuid>("mfa_challenges.user_id", &self.user_id).map(UserId::from_uuid)?,
            first: Amr::from_stored(&self.amr).map_err(|_| CorruptRow::error("mfa_challenges.amr", &self.amr))?,
            created_at: domain_time(self.created_at),
            expires_at: domain_time(self.expires_at),
            failures: u32::try_from(self.failures).unwrap_or(0),
        })
    }
}

/// The account's recovery codes, replaced by `codes`.
fn store_codes(c: &mut AnyConnection, user: &str, codes: &[RecoveryCodeDigest]) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user))).execute(c)?;
    for code in codes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user),
                recovery_codes::digest.eq(code.as_str()),
                recovery_codes::used_at.eq(None::<StoredTime>),
            ))
            .execute(c)?;
    }
    Ok(())
}

impl SecondFactorStore for DieselStore {
    fn totp(&self, user: UserId) -> Result<Option<TotpFactor>, InfraError> {
        let row = self.run(|c| unique(totp_factors::table.find(user.to_string()).select(TotpRow::as_select()).load(c)))?;
        row.map(TotpRow::into_domain).transpose()
    }

    fn start_totp(&self, user: UserId, secret: &Sealed, expires_at: Timestamp) -> Result<TotpStart, InfraError> {
        let id = user.to_string();
        let mut conn = self.write_conn()?;
        write_transaction(&mut conn, |c| {
            // A waiting enrolment is replaced; a confirmed factor stays and refuses.
            diesel::delete(totp_factors::table.find(&id).filter(totp_factors::confirmed_at.is_null())).execute(c)?;
            let on = diesel::select(diesel::dsl::exists(totp_factors::table.find(&id))).get_result::<bool>(c)?;
            if on {
                return Ok(TotpStart::AlreadyOn);
            }
            let row = TotpRow {
                user_id: id.clone(),
                key_id: secret.key_id.clone(),
                secret: secret.ciphertext.clone(),
                confirmed_at: None,
                enrolment_expires_at: db_time(expires_at),
                last_step: i64::MIN,
            };
            // Two enrolments racing: the primary key lets one insert; the other is a conflict
            // the caller sees as an error only if it lost, which it may retry.
            diesel::insert_into(totp_factors::table).values(&row).execute(c)?;
            Ok(TotpStart::Started)
        })
        .map_err(error::infra)
    }

    fn confirm_totp(&self, confirmation: &TotpConfirmation<'_>) -> Result<TotpConfirmed, InfraError> {
        let id = confirmation.user.to_string();
        let now = db_time(confirmation.now);
        let mut conn = self.write_conn()?;
        write_transaction(&mut conn, |c| {
            // One conditional write: of racing confirmations (or a confirmation racing a reuse
            // of its step) one finds the row.
            let confirmed = diesel::update(
                totp_factors::table
                    .find(&id)
                    .filter(totp_factors::confirmed_at.is_null())
                    .filter(totp_factors::enrolment_expires_at.gt(now))
                    .filter(totp_factors::last_step.lt(confirmation.step)),
            )
            .set((totp_factors::confirmed_at.eq(Some(now)), totp_factors::last_step.eq(confirmation.step)))
            .execute(c)?;
            if confirmed == 0 {
                return Ok(TotpConfirmed::NoEnrolment);
            }
            store_codes(c, &id, confirmation.codes)?;
            revoke_sessions_of(c, confirmation.user, Some(confirmation.keep), confirmation.now)?;
            diesel::update(sessions::table.find(confirmation.keep.to_string()))
                .set(sessions::amr.eq(confirmation.session_amr.to_stored()))
                .execute(c)?;
            record_events(c, confirmation.audit)?;
            queue_mail(c, confirmation.mail)?;
            Ok(TotpConfirmed::Confirmed)
        })
        .map_err(error::infra)
    }

    fn use_totp_step(&self, user: UserId, step: i64, answering: Option<Answering<'_>>) -> Result<bool, InfraError> {
        let mut conn = self.write_conn()?;
        spend_with(&mut conn, answering, |c| {
            diesel::update(
                totp_factors::table
                    .find(user.to_string())
                    .filter(totp_factors::confirmed_at.is_not_null())
                    .filter(totp_factors::last_step.lt(step)),
            )
            .set(totp_factors::last_step.eq(step))
            .execute(c)
            .map(|used| used == 1)
        })
    }

    fn use_recovery_code(
        &self,
        user: UserId,
        candidates: &[RecoveryCodeDigest],
        now: Timestamp,
        answering: Option<Answering<'_>>,
        audit: &[AuditEvent],
        mail: &[OutgoingMail],
    ) -> Result<bool, InfraError> {
        let digests: Vec<&str> = candidates.iter().map(RecoveryCodeDigest::as_str).collect();
        let mut conn = self.write_conn()?;
        spend_with(&mut conn, answering, |c| {
            let used = diesel::update(
                recovery_codes::table
                    .filter(recovery_codes::user_id.eq(user.to_string()))
                    .filter(recovery_codes::digest.eq_any(&digests))
                    .filter(recovery_codes::used_at.is_null()),
            )
            .set(recovery_codes::used_at.eq(Some(db_time(now))))
            .execute(c)?;
            if used == 0 {
                return Ok(false);
            }
            record_events(c, audit)?;
            queue_mail(c, mail)?;
            Ok(true)
        })
    }

    fn status(&self, user: UserId) -> Result<MfaStatus, InfraError> {
        let id = user.to_string();
        let (confirmed, left, passkeys) = self.run(|c| {
            let confirmed =
                unique(totp_factors::table.find(&id).select(totp_factors::confirmed_at).load::<Option<StoredTime>>(c))?.flatten();
            let left = recovery_codes::table
                .filter(recovery_codes::user_id.eq(&id))
                .filter(recovery_codes::used_at.is_null())
                .count()
                .get_result::<i64>(c)?;
            Ok((confirmed, left, count_passkeys(c, user)?))
        })?;
        let confirmed = confirmed.map(domain_time);
        Ok(MfaStatus {
            totp: confirmed.is_some(),
            totp_enabled_at: confirmed,
            recovery_codes_left: u32::try_from(left).unwrap_or(0),
            passkeys,
        })
    }

    fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
        audit: &[AuditEvent],
        mail: &[OutgoingMail],
    ) -> Result<bool, InfraError> {
        let id = user.to_string();
        let mut conn = self.write_conn()?;
        write_transaction(&mut conn, |c| {
            // Touching the factor's row locks it (and checks TOTP is on) for the transaction.
            let on = diesel::update(totp_factors::table.find(&id).filter(totp_factors::confirmed_at.is_not_null()))
                .set(totp_factors::user_id.eq(&id))
                .execute(c)?;
            if on == 0 {
                return Ok(false);
            }
            store_codes(c, &id, codes)?;
            record_events(c, audit)?;
            queue_mail(c, mail)?;
            Ok(true)
        })
        .map_err(error::infra)
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
        let id = user.to_string();
        let mut conn = self.write_conn()?;
        write_transaction(&mut conn, |c| {
            let passkeys_removed =
                if passkeys { diesel::delete(passkey_rows::table.filter(passkey_rows::user_id.eq(&id))).execute(c)? } else { 0 };
            let removed = diesel::delete(totp_factors::table.find(&id)).execute(c)?
                + diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(&id))).execute(c)?
                + passkeys_removed;
            if removed == 0 {
                return Ok(false);
            }
            if revoke_sessions {
                revoke_sessions_of(c, user, None, now)?;
            }
            record_events(c, audit)?;
            queue_mail(c, mail)?;
            Ok(true)
        })
        .map_err(error::infra)
    }

    fn insert_challenge(&self, challenge: &MfaChallenge) -> Result<(), InfraError> {
        self.run_write(|c| diesel::insert_into(mfa_challenges::table).values(ChallengeRow::new(challenge)).execute(c)).map(drop)
    }

    fn find_challenge(&self, digest: &MfaTokenDigest) -> Result<Option<MfaChallenge>, InfraError> {
        let row = self.run(|c| unique(mfa_challenges::table.find(digest.as_str()).select(ChallengeRow::as_select()).load(c)))?;
        row.map(ChallengeRow::into_domain).transpose()
    }

    fn fail_challenge(&self, digest: &MfaTokenDigest, audit: &[AuditEvent]) -> Result<ChallengeFailure, InfraError> {
        let max = i32::try_from(MfaChallenge::MAX_FAILURES).unwrap_or(i32::MAX);
        let mut conn = self.write_conn()?;
        write_transaction(&mut conn, |c| {
            // One conditional write counts it; the last failure the challenge takes deletes it.
            let counted = diesel::update(mfa_challenges::table.find(digest.as_str()).filter(mfa_challenges::failures.lt(max)))
                .set(mfa_challenges::failures.eq(mfa_challenges::failures + 1))
                .execute(c)?;
            if counted == 0 {
                return Ok(ChallengeFailure::Gone);
            }
            let exhausted =
                diesel::delete(mfa_challenges::table.find(digest.as_str()).filter(mfa_challenges::failures.ge(max))).execute(c)?;
            record_events(c, audit)?;
            Ok(if exhausted > 0 { ChallengeFailure::Exhausted } else { ChallengeFailure::Counted })
        })
        .map_err(error::infra)
    }

    fn consume_challenge(&self, digest: &MfaTokenDigest, now: Timestamp) -> Result<bool, InfraError> {
        self.run_write(|c| consume_live_challenge(c, Answering { challenge: digest, now }))
    }

    fn purge_challenges(&self, now: Timestamp) -> Result<u64, InfraError> {
        self.run_write(|c| diesel::delete(mfa_challenges::table.filter(mfa_challenges::expires_at.le(db_time(now)))).execute(c))
            .map(affected)
    }
}

/// One conditional delete of the challenge while it is live: `true` when this call used it up.
fn consume_live_challenge(c: &mut AnyConnection, answering: Answering<'_>) -> QueryResult<bool> {
    let max = i32::try_from(MfaChallenge::MAX_FAILURES).unwrap_or(i32::MAX);
    diesel::delete(
        mfa_challenges::table
            .find(answering.challenge.as_str())
            .filter(mfa_challenges::expires_at.gt(db_time(answering.now)))
            .filter(mfa_challenges::failures.lt(max)),
    )
    .execute(c)
    .map(|used| used == 1)
}

/// Spends a second factor (`spend`: `false` when it cannot be) and, when `answering`, the
/// challenge the code answers, in one transaction: when either cannot be used up, nothing is.
fn spend_with(
    conn: &mut AnyConnection,
    answering: Option<Answering<'_>>,
    spend: impl FnOnce(&mut AnyConnection) -> QueryResult<bool>,
) -> Result<bool, InfraError> {
    let spent = write_transaction(conn, |c| {
        if !spend(c)? {
            return Ok(false);
        }
        match answering {
            Some(answering) if !consume_live_challenge(c, answering)? => Err(diesel::result::Error::RollbackTransaction),
            _ => Ok(true),
        }
    });
    match spent {
        Err(diesel::result::Error::RollbackTransaction) => Ok(false),
        other => other.map_err(error::infra),
    }
}
