use crate::connection::{AnyConnection, write_transaction};
use crate::error::{self, retry_conflicts};
use crate::repo::account::{forget_links, lock_user};
use crate::repo::audit::record_events;
use crate::repo::sessions::revoke_sessions_of;
use crate::rows::{NewUser, UserChanges, UserRow, db_time};
use crate::schema::users;
use crate::store::{DieselStore, count, limit_offset, load_for_update, on_backend, unique};
use diesel::dsl::exists;
use diesel::prelude::*;
use domain::{
    AccountKey, AdminChanges, AdminWrite, AuditEvent, Email, InfraError, LinkPurpose, Page, PageRequest, PasswordHash, PasswordWrite,
    ProfileChanges, Role, SessionId, Timestamp, UniqueEmailError, User, UserDelete, UserId, UserRepository, UserWrite, truncate_to_micros,
};

impl UserRepository for DieselStore {
    fn insert(&self, user: &User, password_hash: &PasswordHash, audit: &[AuditEvent]) -> Result<(), UniqueEmailError> {
        let mut conn = self.write_conn()?;
        // The unique index decides: of racing registrations exactly one insert succeeds.
        write_transaction(&mut conn, |c| {
            diesel::insert_into(users::table).values(NewUser::new(user, password_hash)).execute(c)?;
            record_events(c, audit)
        })
        .map_err(error::email_write)
    }

    fn find(&self, id: UserId) -> Result<Option<User>, InfraError> {
        let row = self.run(|c| unique(users::table.find(id.to_string()).select(UserRow::as_select()).load(c)))?;
        row.map(UserRow::into_domain).transpose()
    }

    fn find_credentials(&self, email: &Email) -> Result<Option<(User, PasswordHash)>, InfraError> {
        let row = self.run(|c| {
            let query = users::table.filter(users::email.eq(email.as_str())).select((UserRow::as_select(), users::password_hash));
            unique(query.load::<(UserRow, String)>(c))
        })?;
        row.map(|(user, hash)| Ok((user.into_domain()?, PasswordHash::new(hash)))).transpose()
    }

    fn find_id(&self, email: &Email) -> Result<Option<AccountKey>, InfraError> {
        let row = self.run(|c| {
            on_backend!(c, |c| unique(
                users::table
                    .filter(users::email.eq(email.as_str()))
                    .select((users::id, users::email_verified, users::is_active, users::password_hash))
                    .load::<(String, bool, bool, String)>(c)
            ))
        })?;
        row.map(|(id, email_verified, is_active, hash)| {
            crate::rows::parse::<uuid::Uuid>("users.id", &id).map(|id| AccountKey {
                id: UserId::from_uuid(id),
                email_verified,
                is_active,
                has_password: PasswordHash::new(hash).is_set(),
            })
        })
        .transpose()
    }

    fn password_hash(&self, id: UserId) -> Result<Option<PasswordHash>, InfraError> {
        let hash = self.run(|c| unique(users::table.find(id.to_string()).select(users::password_hash).load::<String>(c)))?;
        Ok(hash.map(PasswordHash::new))
    }

    fn update_profile(
        &self,
        id: UserId,
        changes: &ProfileChanges,
        now: Timestamp,
        audit: &[AuditEvent],
    ) -> Result<UserWrite, UniqueEmailError> {
        let mut conn = self.write_conn()?;
        let row = write_transaction(&mut conn, |c| {
            let updated = diesel::update(users::table.find(id.to_string())).set(UserChanges::profile(changes, now)).execute(c)?;
            if updated == 0 {
                return Ok(None);
            }
            if changes.email.is_some() || changes.cancel_pending_email {
                // The pending change ended with the write: its link dies in the same transaction.
                forget_links(c, id, LinkPurpose::EmailChange)?;
            }
            record_events(c, audit)?;
            unique(users::table.find(id.to_string()).select(UserRow::as_select()).load(c))
        })
        .map_err(error::email_write)?;
        Ok(match row {
            Some(row) => UserWrite::Updated(row.into_domain()?),
            None => UserWrite::NotFound,
        })
    }

    fn update_by_admin(&self, id: UserId, changes: &AdminChanges, now: Timestamp, audit: &[AuditEvent]) -> Result<AdminWrite, InfraError> {
        let outcome = self.guarded(id, |c, before, active_admins| {
            let mut after = changes.apply_to(&before);
            if after == before {
                return Ok(Guarded::Done(AdminWrite::Updated { user: after, changed: false }));
            }
            if before.is_active_admin() && !after.is_active_admin() && active_admins <= 1 {
                return Ok(Guarded::LastActiveAdmin);
            }
            diesel::update(users::table.find(id.to_string())).set(UserChanges::admin(changes, now)).execute(c)?;
            if before.is_active && !after.is_active {
                revoke_sessions_of(c, id, None, now)?;
            }
            record_events(c, audit)?;
            after.updated_at = truncate_to_micros(now);
            Ok(Guarded::Done(AdminWrite::Updated { user: after, changed: true }))
        })?;
        outcome.into_outcome(AdminWrite::NotFound, AdminWrite::LastActiveAdmin)
    }

    fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<SessionId>,
        now: Timestamp,
        audit: &[AuditEvent],
    ) -> Result<PasswordWrite, InfraError> {
        let updated = self.run_write(|c| {
            write_transaction(c, |c| {
                // Recovery ends what someone who knew the old password could still hold: the
                // other sessions, and a pending email change (its link too).
                let updated = diesel::update(users::table.find(id.to_string()))
                    .set((
                        users::password_hash.eq(hash.as_str()),
                        users::pending_email.eq(None::<String>),
                        users::updated_at.eq(db_time(now)),
                    ))
                    .execute(c)?;
                if updated > 0 {
                    revoke_sessions_of(c, id, keep, now)?;
                    // A reset link dies with the password it would have replaced.
                    forget_links(c, id, LinkPurpose::Reset)?;
                    forget_links(c, id, LinkPurpose::EmailChange)?;
                    record_events(c, audit)?;
                }
                Ok(updated)
            })
        })?;
        Ok(if updated > 0 { PasswordWrite::Replaced } else { PasswordWrite::NotFound })
    }

    fn upgrade_password_hash(&self, id: UserId, verified: &PasswordHash, fresh: &PasswordHash) -> Result<PasswordWrite, InfraError> {
        let (updated, exists) = self.run_write(|c| {
            // One conditional write: the hash is replaced only while it is the one verified.
            let updated = diesel::update(users::table.find(id.to_string()).filter(users::password_hash.eq(verified.as_str())))
                .set(users::password_hash.eq(fresh.as_str()))
                .execute(c)?;
            if updated > 0 {
                return Ok((updated, true));
            }
            let exists = diesel::select(exists(users::table.find(id.to_string()))).get_result::<bool>(c)?;
            Ok((updated, exists))
        })?;
        Ok(match (updated, exists) {
            (0, true) => PasswordWrite::Stale,
            (0, false) => PasswordWrite::NotFound,
            _ => PasswordWrite::Replaced,
        })
    }

    fn delete(&self, id: UserId, audit: &[AuditEvent]) -> Result<UserDelete, InfraError> {
        // Sessions (with their refresh tokens), projects and tasks go by ON DELETE CASCADE.
        let outcome = self.guarded(id, |c, user, active_admins| {
            if user.is_active_admin() && active_admins <= 1 {
                return Ok(Guarded::LastActiveAdmin);
            }
            diesel::delete(users::table.find(id.to_string())).execute(c)?;
            record_events(c, audit)?;
            Ok(Guarded::Done(UserDelete::Deleted))
        })?;
        outcome.into_outcome(UserDelete::NotFound, UserDelete::LastActiveAdmin)
    }

    fn list(&self, page: PageRequest) -> Result<Page<User>, InfraError> {
        let (limit, offset) = limit_offset(page);
        let (total, rows) = self.run(|c| {
            on_backend!(c, |c| {
                let total = users::table.count().get_result::<i64>(c)?;
                let rows = users::table
                    .order((users::created_at.asc(), users::id.asc()))
                    .limit(limit)
                    .offset(offset)
                    .select(UserRow::as_select())
                    .load::<UserRow>(c)?;
                Ok((total, rows))
            })
        })?;
        let items = rows.into_iter().map(UserRow::into_domain).collect::<Result<_, _>>()?;
        Ok(Page::new(items, count(total), page))
    }
}

impl DieselStore {
    /// Runs `write` in one transaction, retried on a conflict, that first locks the active
    /// admins' rows and then account `id`'s, and hands it the account and how many active
    /// admins there are: what it counts cannot change before it commits.
    fn guarded<T>(
        &self,
        id: UserId,
        write: impl Fn(&mut AnyConnection, User, usize) -> QueryResult<Guarded<T>>,
    ) -> Result<Guarded<T>, InfraError> {
        self.run_write(|c| {
            retry_conflicts(|| {
                write_transaction(c, |c| {
                    let admins = lock_active_admins(c)?;
                    let Some(row) = lock_user(c, id)? else { return Ok(Guarded::NotFound) };
                    let user = row.into_domain().map_err(corrupt)?;
                    write(c, user, admins.len())
                })
            })
        })
    }
}

/// What a transaction guarded by the last-admin rule ended with.
enum Guarded<T> {
    Done(T),
    NotFound,
    LastActiveAdmin,
}

impl<T> Guarded<T> {
    fn into_outcome(self, not_found: T, last_admin: T) -> Result<T, InfraError> {
        Ok(match self {
            Self::Done(outcome) => outcome,
            Self::NotFound => not_found,
            Self::LastActiveAdmin => last_admin,
        })
    }
}

/// A stored row the domain refuses ends the transaction (rolled back) as the deserialization
/// error it is.
fn corrupt(error: InfraError) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(Box::new(error))
}

/// Locks the row of every active admin and returns their ids: whoever counts them next waits
/// until this transaction ends, and then counts what it left (`load_for_update!`). The order by
/// id keeps two lockers from taking the same rows in opposite orders.
fn lock_active_admins(c: &mut AnyConnection) -> QueryResult<Vec<String>> {
    let query = users::table
        .filter(users::is_active.eq(true))
        .filter(users::role.eq(Role::Admin.as_str()))
        .order(users::id.asc())
        .select(users::id);
    load_for_update!(c, query)
}
