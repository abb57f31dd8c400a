//! Passkeys and the challenges of their ceremonies. A registration locks its account's row,
//! counts and inserts in one transaction, so racing registrations on any number of instances
//! queue on that row and never pass the limit; a removal locks it too and counts the other ways
//! in, like an identity's unlink, so racing removals and unlinks never leave the account none.
//! A sign-in's counter and a challenge's use are each one conditional write: of racing uses one
//! wins.

use crate::connection::{AnyConnection, write_transaction};
use crate::error::{CorruptRow, infra};
use crate::repo::account::lock_user;
use crate::repo::audit::record_events;
use crate::rows::{db_time, domain_time, parse};
use crate::schema::{identities, passkey_challenges as challenges, passkeys, users};
use crate::store::{DieselStore, affected, load_for_update, unique};
use crate::stored_time::StoredTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use domain::{
    AuditEvent, CeremonyPurpose, InfraError, Passkey, PasskeyAdded, PasskeyChallenge, PasskeyId, PasskeyName, PasskeyRemoved, PasskeyRules,
    PasskeyStore, PasskeyUse, PasswordHash, Timestamp, UserId,
};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = passkeys)]
struct PasskeyRow {
    id: String,
    user_id: String,
    credential_id: String,
    name: String,
    credential: String,
    counter: i64,
    backed_up: bool,
    /// A JSON array of strings: one column, and any character a transport's name may hold.
    transports: String,
    created_at: StoredTime,
    last_used_at: Option<StoredTime>,
}

impl PasskeyRow {
    fn new(passkey: &Passkey) -> Result<Self, InfraError> {
        Ok(Self {
            id: passkey.id.to_string(),
            user_id: passkey.user_id.to_string(),
            credential_id: passkey.credential_id.clone(),
            name: passkey.name.as_str().to_owned(),
            credential: passkey.credential.clone(),
            counter: i64::from(passkey.counter),
            backed_up: passkey.backed_up,
            transports: serde_json::to_string(&passkey.transports).map_err(InfraError::internal)?,
            created_at: db_time(passkey.created_at),
            last_used_at: passkey.last_used_at.map(db_time),
        })
    }

    fn into_domain(self) -> Result<Passkey, InfraError> {
        Ok(Passkey {
            id: parse::<uuid::Uuid>("passkeys.id", &self.id).map(PasskeyId::from_uuid)?,
            user_id: parse::<uuid::Uuid>("passkeys.user_id", &self.user_id).map(UserId::from_uuid)?,
            credential_id: self.credential_id,
            name: PasskeyName::parse(&self.name).map_err(|e| CorruptRow::error("passkeys.name", e))?,
            credential: self.credential,
            counter: u32::try_from(self.counter).map_err(|e| CorruptRow::error("passkeys.counter", e))?,
            backed_up: self.backed_up,
            transports: serde_json::from_str(&self.transports).map_err(|e| CorruptRow::error("passkeys.transports", e))?,
            created_at: domain_time(self.created_at),
            last_used_at: self.last_used_at.map(domain_time),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = challenges)]
struct ChallengeRow {
    id: String,
    purpose: String,
    user_id: Option<String>,
    state: String,
    expires_at: StoredTime,
}

const REGISTER: &str = "register";
const SIGN_IN: &str = "sign_in";
const SECOND_STEP: &str = "second_step";

impl ChallengeRow {
    fn new(challenge: &PasskeyChallenge) -> Self {
        let (purpose, user_id) = match challenge.purpose {
            CeremonyPurpose::Register(user) => (REGISTER, Some(user.to_string())),
            CeremonyPurpose::SignIn => (SIGN_IN, None),
            CeremonyPurpose::SecondStep(user) => (SECOND_STEP, Some(user.to_string())),
        };
        Self {
            id: challenge.id.to_string(),
            purpose: purpose.to_owned(),
            user_id,
            state: challenge.state.clone(),
            expires_at: db_time(challenge.expires_at),
        }
    }

    fn into_domain(self) -> Result<PasskeyChallenge, InfraError> {
        let user = |raw: &str| parse::<uuid::Uuid>("passkey_challenges.user_id", raw).map(UserId::from_uuid);
        let purpose = match (self.purpose.as_str(), self.user_id.as_deref()) {
            (REGISTER, Some(id)) => CeremonyPurpose::Register(user(id)?),
            (SIGN_IN, None) => CeremonyPurpose::SignIn,
            (SECOND_STEP, Some(id)) => CeremonyPurpose::SecondStep(user(id)?),
            _ => return Err(CorruptRow::error("passkey_challenges.purpose", "an account for a registration or a second step only")),
        };
        Ok(PasskeyChallenge {
            id: parse("passkey_challenges.id", &self.id)?,
            purpose,
            state: self.state,
            expires_at: domain_time(self.expires_at),
        })
    }
}

/// Why a registration's or a removal's transaction stopped: the database failed, or there is
/// nothing to write.
enum Stop<T> {
    Db(Error),
    Not(T),
}

impl<T> From<Error> for Stop<T> {
    fn from(e: Error) -> Self {
        Self::Db(e)
    }
}

/// Whether `error` is the unique index on `credential_id` refusing a second registration (not,
/// say, a duplicate primary key).
fn is_credential_violation(error: &Error) -> bool {
    match error {
        // PostgreSQL names the constraint; SQLite says `UNIQUE constraint failed:
        // passkeys.credential_id`; MySQL `Duplicate entry '…' for key 'passkeys_credential_id'`.
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.constraint_name().is_some_and(|name| name.contains("credential_id")) || info.message().contains("credential_id")
        }
        _ => false,
    }
}

/// The ids of the account's passkeys, locked (`load_for_update!`): counted under the account's
/// lock, which every registration and removal takes first.
fn passkey_ids(c: &mut AnyConnection, user: &str) -> QueryResult<Vec<String>> {
    load_for_update!(c, passkeys::table.filter(passkeys::user_id.eq(user)).select(passkeys::id))
}

/// The account's passkeys, for the ways in that other repositories count.
pub(crate) fn count_passkeys(c: &mut AnyConnection, user: UserId) -> QueryResult<u32> {
    let n = passkeys::table.filter(passkeys::user_id.eq(user.to_string())).count().get_result::<i64>(c)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

impl PasskeyStore for DieselStore {
    fn list(&self, user: UserId) -> Result<Vec<Passkey>, InfraError> {
        let user = user.to_string();
        let rows = self.run(|c| {
            passkeys::table
                .filter(passkeys::user_id.eq(&user))
                .order((passkeys::created_at.asc(), passkeys::id.asc()))
                .select(PasskeyRow::as_select())
                .load::<PasskeyRow>(c)
        })?;
        rows.into_iter().map(PasskeyRow::into_domain).collect()
    }

    fn find_by_credential(&self, credential_id: &str) -> Result<Option<Passkey>, InfraError> {
        let row = self
            .run(|c| unique(passkeys::table.filter(passkeys::credential_id.eq(credential_id)).select(PasskeyRow::as_select()).load(c)))?;
        row.map(PasskeyRow::into_domain).transpose()
    }

    fn add(&self, passkey: &Passkey, audit: &[AuditEvent]) -> Result<PasskeyAdded, InfraError> {
        let row = PasskeyRow::new(passkey)?;
        let max = usize::try_from(PasskeyRules::MAX_PER_ACCOUNT).unwrap_or(usize::MAX);
        let mut conn = self.write_conn()?;
        let outcome = write_transaction(&mut conn, |c| {
            // An account that is gone has no row to lock: the foreign key refuses the insert.
            lock_user(c, passkey.user_id)?;
            if passkey_ids(c, &row.user_id)?.len() >= max {
                return Err(Stop::Not(PasskeyAdded::LimitReached));
            }
            diesel::insert_into(passkeys::table).values(&row).execute(c)?;
            record_events(c, audit)?;
            Ok(())
        });
        match outcome {
            Ok(()) => Ok(PasskeyAdded::Added),
            Err(Stop::Not(outcome)) => Ok(outcome),
            // Also when a racing registration of the same credential committed first.
            Err(Stop::Db(e)) if is_credential_violation(&e) => Ok(PasskeyAdded::Duplicate),
            Err(Stop::Db(e)) => Err(infra(e)),
        }
    }

    fn rename(&self, user: UserId, id: PasskeyId, name: &PasskeyName) -> Result<Option<Passkey>, InfraError> {
        let (id, user) = (id.to_string(), user.to_string());
        let row = self.run_write(|c| {
            write_transaction(c, |c| {
                let renamed = diesel::update(passkeys::table.find(&id).filter(passkeys::user_id.eq(&user)))
                    .set(passkeys::name.eq(name.as_str()))
                    .execute(c)?;
                if renamed == 0 {
                    return Ok(None);
                }
                unique(passkeys::table.find(&id).select(PasskeyRow::as_select()).load::<PasskeyRow>(c))
            })
        })?;
        row.map(PasskeyRow::into_domain).transpose()
    }

    fn remove(&self, user: UserId, id: PasskeyId, audit: &[AuditEvent]) -> Result<PasskeyRemoved, InfraError> {
        let (user_key, id) = (user.to_string(), id.to_string());
        let mut conn = self.write_conn()?;
        let outcome = write_transaction(&mut conn, |c| {
            if lock_user(c, user)?.is_none() {
                return Err(Stop::Not(PasskeyRemoved::NotFound));
            }
            let held = passkey_ids(c, &user_key)?;
            if !held.contains(&id) {
                return Err(Stop::Not(PasskeyRemoved::NotFound));
            }
            let hash: String = users::table.find(&user_key).select(users::password_hash).first(c)?;
            let linked = identities::table.filter(identities::user_id.eq(&user_key)).count().get_result::<i64>(c)?;
            let others = domain::WaysIn {
                password: PasswordHash::new(hash).is_set(),
                identities: u32::try_from(linked).unwrap_or(u32::MAX),
                passkeys: u32::try_from(held.len() - 1).unwrap_or(u32::MAX),
            };
            // What signs in once this passkey is gone.
            if !(others.password || others.identities > 0 || others.passkeys > 0) {
                return Err(Stop::Not(PasskeyRemoved::LastWayIn));
            }
            diesel::delete(passkeys::table.find(&id).filter(passkeys::user_id.eq(&user_key))).execute(c)?;
            record_events(c, audit)?;
            Ok(())
        });
        match outcome {
            Ok(()) => Ok(PasskeyRemoved::Removed),
            Err(Stop::Not(outcome)) => Ok(outcome),
            Err(Stop::Db(e)) => Err(infra(e)),
        }
    }

    fn record_use(&self, used: PasskeyUse) -> Result<bool, InfraError> {
        // "stored < presented, or both zero" is "stored < max(presented, 1)": stored counters are
        // never negative (the column's CHECK).
        let below = i64::from(used.counter.max(1));
        let updated = self.run_write(|c| {
            diesel::update(passkeys::table.find(used.id.to_string()).filter(passkeys::counter.lt(below)))
                .set((
                    passkeys::counter.eq(i64::from(used.counter)),
                    passkeys::backed_up.eq(used.backed_up),
                    passkeys::last_used_at.eq(Some(db_time(used.now))),
                ))
                .execute(c)
        })?;
        Ok(updated == 1)
    }

    fn insert_challenge(&self, challenge: &PasskeyChallenge) -> Result<(), InfraError> {
        self.run_write(|c| diesel::insert_into(challenges::table).values(ChallengeRow::new(challenge)).execute(c)).map(drop)
    }

    fn take_challenge(&self, id: uuid::Uuid) -> Result<Option<PasskeyChallenge>, InfraError> {
        let id = id.to_string();
        let row = self.run_write(|c| {
            let Some(row) = unique(challenges::table.find(&id).select(ChallengeRow::as_select()).load::<ChallengeRow>(c))? else {
                return Ok(None);
            };
            // Only the call whose delete removed the row took it: a racing one deletes nothing.
            let taken = diesel::delete(challenges::table.find(&id)).execute(c)?;
            Ok((taken == 1).then_some(row))
        })?;
        row.map(ChallengeRow::into_domain).transpose()
    }

    fn purge_challenges(&self, now: Timestamp) -> Result<u64, InfraError> {
        // `le`: a challenge is live only before `expires_at` (`PasskeyChallenge::is_live`).
        self.run_write(|c| diesel::delete(challenges::table.filter(challenges::expires_at.le(db_time(now)))).execute(c)).map(affected)
    }
}
