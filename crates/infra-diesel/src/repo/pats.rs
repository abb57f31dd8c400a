//! Personal access tokens. The limit of live tokens per account holds under races: a creation
//! locks its owner's row, counts, and inserts in one transaction, so racing creations on any
//! number of instances queue on that row. A revocation and a use's `last_used_at` are each one
//! conditional update.

use crate::connection::{AnyConnection, write_transaction};
use crate::error::{CorruptRow, infra};
use crate::repo::account::lock_user;
use crate::repo::audit::record_events;
use crate::repo::outbox::queue_mail;
use crate::rows::{UserRow, db_time, domain_time, parse};
use crate::schema::{personal_access_tokens as pats, users};
use crate::store::{DieselStore, affected, load_for_update, on_backend, unique};
use crate::stored_time::StoredTime;
use diesel::prelude::*;
use domain::{
    AuditEvent, InfraError, NewPat, PatDigest, PatId, PatInsert, PatName, PatRepository, PatScopes, PersonalAccessToken, Timestamp, User,
    UserId,
};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = pats)]
struct PatRow {
    id: String,
    user_id: String,
    digest: String,
    name: String,
    scopes: String,
    created_at: StoredTime,
    expires_at: StoredTime,
    last_used_at: Option<StoredTime>,
    revoked_at: Option<StoredTime>,
}

impl PatRow {
    fn new(token: &PersonalAccessToken, digest: &PatDigest) -> Self {
        Self {
            id: token.id.to_string(),
            user_id: token.user_id.to_string(),
            digest: digest.as_str().to_owned(),
            name: token.name.as_str().to_owned(),
            scopes: token.scopes.to_space_separated(),
            created_at: db_time(token.created_at),
            expires_at: db_time(token.expires_at),
            last_used_at: token.last_used_at.map(db_time),
            revoked_at: token.revoked_at.map(db_time),
        }
    }

    fn into_domain(self) -> Result<PersonalAccessToken, InfraError> {
        Ok(PersonalAccessToken {
            id: parse::<uuid::Uuid>("personal_access_tokens.id", &self.id).map(PatId::from_uuid)?,
            user_id: parse::<uuid::Uuid>("personal_access_tokens.user_id", &self.user_id).map(UserId::from_uuid)?,
            name: PatName::parse(&self.name).map_err(|e| CorruptRow::error("personal_access_tokens.name", e))?,
            scopes: PatScopes::from_space_separated(&self.scopes).map_err(|e| CorruptRow::error("personal_access_tokens.scopes", e))?,
            created_at: domain_time(self.created_at),
            expires_at: domain_time(self.expires_at),
            last_used_at: self.last_used_at.map(domain_time),
            revoked_at: self.revoked_at.map(domain_time),
        })
    }
}

/// Why a creation stopped: the database failed, or there is nothing to write.
enum InsertStop {
    Db(diesel::result::Error),
    Not(PatInsert),
}

impl From<diesel::result::Error> for InsertStop {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

/// The ids of the account's live tokens at `now`, locked (`load_for_update!`).
fn live_ids(c: &mut AnyConnection, user: &str, now: StoredTime) -> QueryResult<Vec<String>> {
    let query =
        pats::table.filter(pats::user_id.eq(user)).filter(pats::revoked_at.is_null()).filter(pats::expires_at.gt(now)).select(pats::id);
    load_for_update!(c, query)
}

impl PatRepository for DieselStore {
    fn insert_capped(&self, new: &NewPat<'_>) -> Result<PatInsert, InfraError> {
        let mut conn = self.write_conn()?;
        let row = PatRow::new(new.token, new.digest);
        let outcome = write_transaction(&mut conn, |c| {
            if lock_user(c, new.token.user_id)?.is_none() {
                return Err(InsertStop::Not(PatInsert::OwnerGone));
            }
            let live = live_ids(c, &row.user_id, row.created_at)?.len();
            if live >= usize::try_from(new.max_live).unwrap_or(usize::MAX) {
                return Err(InsertStop::Not(PatInsert::AtLimit));
            }
            diesel::insert_into(pats::table).values(&row).execute(c)?;
            record_events(c, new.audit)?;
            queue_mail(c, new.mail)?;
            Ok(())
        });
        match outcome {
            Ok(()) => Ok(PatInsert::Inserted),
            Err(InsertStop::Not(outcome)) => Ok(outcome),
            Err(InsertStop::Db(e)) => Err(infra(e)),
        }
    }

    fn find_by_digest(&self, digest: &PatDigest) -> Result<Option<(PersonalAccessToken, User)>, InfraError> {
        // One indexed query with the owner: this runs on every request a token makes.
        let row = self.run(|c| {
            on_backend!(c, |c| unique(
                pats::table
                    .inner_join(users::table)
                    .filter(pats::digest.eq(digest.as_str()))
                    .select((PatRow::as_select(), UserRow::as_select()))
                    .load::<(PatRow, UserRow)>(c),
            ))
        })?;
        row.map(|(token, user)| Ok((token.into_domain()?, user.into_domain()?))).transpose()
    }

    fn list_live(&self, user: UserId, now: Timestamp) -> Result<Vec<PersonalAccessToken>, InfraError> {
        let user = user.to_string();
        let rows = self.run(|c| {
            pats::table
                .filter(pats::user_id.eq(&user))
                .filter(pats::revoked_at.is_null())
                .filter(pats::expires_at.gt(db_time(now)))
                .order((pats::created_at.desc(), pats::id.desc()))
                .select(PatRow::as_select())
                .load::<PatRow>(c)
        })?;
        rows.into_iter().map(PatRow::into_domain).collect()
    }

    fn revoke(&self, user: UserId, id: PatId, now: Timestamp, audit: &[AuditEvent]) -> Result<bool, InfraError> {
        let now = db_time(now);
        let revoked = self.run_write(|c| {
            write_transaction(c, |c| {
                let revoked = diesel::update(
                    pats::table
                        .find(id.to_string())
                        .filter(pats::user_id.eq(user.to_string()))
                        .filter(pats::revoked_at.is_null())
                        .filter(pats::expires_at.gt(now)),
                )
                .set(pats::revoked_at.eq(now))
                .execute(c)?;
                // The events record this call's revocation: none when a racing one won.
                if revoked > 0 {
                    record_events(c, audit)?;
                }
                Ok(revoked)
            })
        })?;
        Ok(revoked > 0)
    }

    fn record_use(&self, id: PatId, now: Timestamp, stale_before: Timestamp) -> Result<(), InfraError> {
        self.run_write(|c| {
            diesel::update(
                pats::table.find(id.to_string()).filter(pats::last_used_at.is_null().or(pats::last_used_at.le(db_time(stale_before)))),
            )
            .set(pats::last_used_at.eq(db_time(now)))
            .execute(c)
        })
        .map(drop)
    }

    fn purge(&self, before: Timestamp) -> Result<u64, InfraError> {
        let before = db_time(before);
        let purged =
            self.run_write(|c| diesel::delete(pats::table.filter(pats::revoked_at.le(before).or(pats::expires_at.le(before)))).execute(c))?;
        Ok(affected(purged))
    }
}
