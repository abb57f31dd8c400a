use crate::connection::{AnyConnection, write_transaction};
use crate::error::infra;
use crate::repo::audit::record_events;
use crate::rows::{NewRefreshToken, SessionRow, UserRow, db_time, domain_time};
use crate::schema::{refresh_tokens, sessions, users};
use crate::store::{DieselStore, affected, count, limit_offset, on_backend, unique};
use crate::stored_time::StoredTime;
#[cfg(feature = "postgres")]
use crate::{one_statement::OneStatement, repo::audit::AuditRow, schema::audit_events};
use diesel::prelude::*;
use domain::{
    AuditEvent, InfraError, Page, PageRequest, RefreshTokenDigest, RefreshTokenState, Retirement, Revocation, Rotation, Session, SessionId,
    SessionRepository, SuccessorMask, Timestamp, User, UserId,
};

/// Why a rotation transaction stopped: the database failed, or the conditions did not hold
/// (and whatever it had written must be rolled back).
enum RotateStop {
    Db(diesel::result::Error),
    NotRotated,
}

impl From<diesel::result::Error> for RotateStop {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

impl SessionRepository for DieselStore {
    fn insert(&self, session: &Session, digest: &RefreshTokenDigest, audit: &[AuditEvent]) -> Result<(), InfraError> {
        let mut conn = self.write_conn()?;
        let token = NewRefreshToken { digest: digest.as_str(), session_id: session.id.to_string(), retired: false };
        match &mut *conn {
            // A login's write, in one round trip (see `one_statement`): its event adds a row,
            // not a round trip.
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(pg) => {
                let rows = audit.iter().map(AuditRow::new).collect::<Vec<_>>();
                let statement = rows.iter().fold(
                    OneStatement::default()
                        .then(diesel::insert_into(sessions::table).values(SessionRow::new(session)))
                        .then(diesel::insert_into(refresh_tokens::table).values(&token)),
                    |statement, row| statement.then(diesel::insert_into(audit_events::table).values(row)),
                );
                statement.execute(pg).map(drop)
            }
            c => write_transaction(c, |c| {
                diesel::insert_into(sessions::table).values(SessionRow::new(session)).execute(c)?;
                diesel::insert_into(refresh_tokens::table).values(&token).execute(c)?;
                record_events(c, audit)
            }),
        }
        .map_err(infra)
    }

    fn find_by_refresh_digest(&self, digest: &RefreshTokenDigest) -> Result<Option<(Session, RefreshTokenState)>, InfraError> {
        let row = self.run(|c| {
            unique(
                refresh_tokens::table
                    .inner_join(sessions::table)
                    .filter(refresh_tokens::digest.eq(digest.as_str()))
                    .select((SessionRow::as_select(), refresh_tokens::retired, refresh_tokens::retired_at, refresh_tokens::successor_mask))
                    .load::<(SessionRow, bool, Option<StoredTime>, Option<String>)>(c),
            )
        })?;
        row.map(|(session, retired, at, successor)| {
            let state = if retired {
                RefreshTokenState::Retired(Retirement { at: at.map(domain_time), successor: successor.map(SuccessorMask::new) })
            } else {
                RefreshTokenState::Current
            };
            Ok((session.into_domain()?, state))
        })
        .transpose()
    }

    fn rotate(
        &self,
        id: SessionId,
        presented: &RefreshTokenDigest,
        next: &RefreshTokenDigest,
        successor: &SuccessorMask,
        now: Timestamp,
    ) -> Result<Rotation, InfraError> {
        let mut conn = self.write_conn()?;
        let session_id = id.to_string();
        let now = db_time(now);
        let outcome = write_transaction(&mut conn, |c| {
            // Lock the session row first (every writer of a session's tokens does, so racing
            // rotations queue here instead of deadlocking) and check it is live.
            let live = diesel::update(
                sessions::table.find(&session_id).filter(sessions::revoked_at.is_null()).filter(sessions::expires_at.gt(now)),
            )
            .set(sessions::last_used_at.eq(now))
            .execute(c)?;
            if live == 0 {
                return Err(RotateStop::NotRotated);
            }
            // The atomic step: retire the presented token only if it is still current. Of two
            // racing rotations the second sees it retired and changes no row.
            let retired = diesel::update(
                refresh_tokens::table
                    .find(presented.as_str())
                    .filter(refresh_tokens::session_id.eq(&session_id))
                    .filter(refresh_tokens::retired.eq(false)),
            )
            .set((
                refresh_tokens::retired.eq(true),
                refresh_tokens::retired_at.eq(Some(now)),
                refresh_tokens::successor_mask.eq(Some(successor.as_str())),
            ))
            .execute(c)?;
            if retired != 1 {
                return Err(RotateStop::NotRotated);
            }
            let token = NewRefreshToken { digest: next.as_str(), session_id: session_id.clone(), retired: false };
            diesel::insert_into(refresh_tokens::table).values(&token).execute(c)?;
            Ok(())
        });
        match outcome {
            Ok(()) => Ok(Rotation::Rotated),
            Err(RotateStop::NotRotated) => Ok(Rotation::Stale),
            Err(RotateStop::Db(e)) => Err(infra(e)),
        }
    }

    fn find_with_user(&self, id: SessionId) -> Result<Option<(Session, User)>, InfraError> {
        // One query: this runs on every authenticated request.
        let id = id.to_string();
        let row = self.run(|c| {
            on_backend!(c, |c| unique(
                sessions::table
                    .inner_join(users::table)
                    .filter(sessions::id.eq(&id))
                    .select((SessionRow::as_select(), UserRow::as_select()))
                    .load::<(SessionRow, UserRow)>(c),
            ))
        })?;
        row.map(|(session, user)| Ok((session.into_domain()?, user.into_domain()?))).transpose()
    }

    fn list_live(&self, user: UserId, now: Timestamp, page: PageRequest) -> Result<Page<Session>, InfraError> {
        let (limit, offset) = limit_offset(page);
        let user = user.to_string();
        let now = db_time(now);
        let (total, rows) = self.run(|c| {
            on_backend!(c, |c| {
                let live = || {
                    sessions::table
                        .filter(sessions::user_id.eq(&user))
                        .filter(sessions::revoked_at.is_null())
                        .filter(sessions::expires_at.gt(now))
                };
                let total = live().count().get_result::<i64>(c)?;
                let rows = live()
                    .order((sessions::last_used_at.desc(), sessions::id.desc()))
                    .limit(limit)
                    .offset(offset)
                    .select(SessionRow::as_select())
                    .load::<SessionRow>(c)?;
                Ok((total, rows))
            })
        })?;
        let items = rows.into_iter().map(SessionRow::into_domain).collect::<Result<_, _>>()?;
        Ok(Page::new(items, count(total), page))
    }

    fn revoke(&self, id: SessionId, now: Timestamp, audit: &[AuditEvent]) -> Result<Revocation, InfraError> {
        let revoked = self.run_write(|c| {
            write_transaction(c, |c| {
                let revoked = diesel::update(sessions::table.find(id.to_string()).filter(sessions::revoked_at.is_null()))
                    .set(sessions::revoked_at.eq(db_time(now)))
                    .execute(c)?;
                // The events record this call's revocation: none when it changed nothing.
                if revoked > 0 {
                    record_events(c, audit)?;
                }
                Ok(revoked)
            })
        })?;
        Ok(if revoked > 0 { Revocation::Revoked } else { Revocation::Unchanged })
    }

    fn revoke_all(&self, user: UserId, keep: Option<SessionId>, now: Timestamp, audit: &[AuditEvent]) -> Result<u64, InfraError> {
        let revoked = self.run_write(|c| {
            write_transaction(c, |c| {
                let revoked = revoke_sessions_of(c, user, keep, now)?;
                record_events(c, audit)?;
                Ok(revoked)
            })
        })?;
        Ok(affected(revoked))
    }

    fn revoke_oldest_beyond(&self, user: UserId, keep: u32, now: Timestamp) -> Result<u64, InfraError> {
        let user = user.to_string();
        let now = db_time(now);
        // Nearly always nothing is beyond the limit: a read says so without the write gate. Safe
        // under racing logins: each reads after its own session is committed, so the last of
        // them sees every one, and it revokes the excess in the transaction below.
        let live: i64 = self.run(|c| {
            sessions::table
                .filter(sessions::user_id.eq(&user))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now))
                .count()
                .get_result(c)
        })?;
        if live <= i64::from(keep) {
            return Ok(0);
        }
        let mut conn = self.write_conn()?;
        let revoked = write_transaction(&mut conn, |c| {
            let live: Vec<String> = sessions::table
                .filter(sessions::user_id.eq(&user))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now))
                .order((sessions::created_at.asc(), sessions::id.asc()))
                .select(sessions::id)
                .load(c)?;
            let excess = live.len().saturating_sub(usize::try_from(keep).unwrap_or(usize::MAX));
            if excess == 0 {
                return Ok(0);
            }
            diesel::update(sessions::table.filter(sessions::id.eq_any(&live[..excess])).filter(sessions::revoked_at.is_null()))
                .set(sessions::revoked_at.eq(now))
                .execute(c)
        })
        .map_err(infra)?;
        Ok(affected(revoked))
    }

    fn purge(&self, now: Timestamp) -> Result<u64, InfraError> {
        // Their refresh-token digests go by ON DELETE CASCADE.
        let now = db_time(now);
        let purged = self.run_write(|c| {
            diesel::delete(sessions::table.filter(sessions::revoked_at.is_not_null().or(sessions::expires_at.le(now)))).execute(c)
        })?;
        Ok(affected(purged))
    }
}

/// Revokes every unrevoked session of `user` except `keep`, inside the caller's transaction;
/// returns how many.
pub(crate) fn revoke_sessions_of(c: &mut AnyConnection, user: UserId, keep: Option<SessionId>, now: Timestamp) -> QueryResult<usize> {
    // No session id is empty, so `id <> ''` keeps every session when there is none to keep.
    let keep = keep.map(|k| k.to_string()).unwrap_or_default();
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user.to_string()))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::id.ne(&keep)),
    )
    .set(sessions::revoked_at.eq(db_time(now)))
    .execute(c)
}
