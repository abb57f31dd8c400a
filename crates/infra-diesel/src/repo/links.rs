//! The emailed links: each stored with the change and the messages it belongs to, in one
//! transaction, and used up by a conditional delete in the transaction that writes its effect,
//! so of racing uses of one link exactly one finds it.

use crate::connection::{AnyConnection, write_transaction};
use crate::error::{self, CorruptRow, retry_conflicts};
use crate::repo::account::{forget_links, lock_user};
use crate::repo::audit::record_events;
use crate::repo::outbox::queue_mail;
use crate::repo::sessions::revoke_sessions_of;
use crate::rows::{NewUser, UserRow, db_time, domain_time, parse};
use crate::schema::{email_links, users};
use crate::store::{DieselStore, affected, unique};
use crate::stored_time::StoredTime;
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::result::Error;
use domain::{
    AuditEvent, Email, EmailLink, EmailLinks, InfraError, LinkDigest, LinkEffect, LinkIssue, LinkPurpose, LinkWrite, PasswordHash,
    Redeemed, Timestamp, UniqueEmailError, User, UserId, UserName, UserWrite,
};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = email_links)]
struct LinkRow {
    digest: String,
    user_id: String,
    purpose: String,
    email: String,
    created_at: StoredTime,
    expires_at: StoredTime,
}

impl LinkRow {
    fn new(link: &EmailLink) -> Self {
        Self {
            digest: link.digest.as_str().to_owned(),
            user_id: link.user_id.to_string(),
            purpose: link.purpose.as_str().to_owned(),
            email: link.email.as_str().to_owned(),
            created_at: db_time(link.created_at),
            expires_at: db_time(link.expires_at),
        }
    }

    fn into_domain(self) -> Result<EmailLink, InfraError> {
        Ok(EmailLink {
            digest: LinkDigest::new(self.digest),
            user_id: parse::<uuid::Uuid>("email_links.user_id", &self.user_id).map(UserId::from_uuid)?,
            purpose: LinkPurpose::from_stored(&self.purpose).ok_or_else(|| CorruptRow::error("email_links.purpose", &self.purpose))?,
            email: Email::from_stored(self.email).map_err(|e| CorruptRow::error("email_links.email", e))?,
            created_at: domain_time(self.created_at),
            expires_at: domain_time(self.expires_at),
        })
    }
}

/// Stores `issue`'s link in place of the account's unused ones of its purpose, and queues its
/// messages.
pub(crate) fn store_link(c: &mut AnyConnection, issue: &LinkIssue) -> QueryResult<()> {
    let link = &issue.link;
    forget_links(c, link.user_id, link.purpose)?;
    diesel::insert_into(email_links::table).values(LinkRow::new(link)).execute(c)?;
    queue_mail(c, &issue.mail)
}

/// Why a redemption's transaction rolls back.
enum Abort {
    Invalid,
    EmailTaken,
    Db(Error),
}

impl From<Error> for Abort {
    fn from(error: Error) -> Self {
        Self::Db(error)
    }
}

/// Writes `effect` for `link` (already used up in this transaction); `Abort::Invalid` when
/// the account no longer has the link's address.
fn apply(c: &mut AnyConnection, link: &EmailLink, effect: &LinkEffect, now: Timestamp) -> Result<(), Abort> {
    let id = link.user_id.to_string();
    let address = link.email.as_str();
    let updated = match effect {
        LinkEffect::Verify => {
            diesel::update(users::table.find(&id).filter(users::email.eq(address))).set(users::email_verified.eq(true)).execute(c)?
        }
        LinkEffect::SetPassword(hash) => diesel::update(users::table.find(&id).filter(users::email.eq(address)))
            .set((
                users::password_hash.eq(hash.as_str()),
                users::email_verified.eq(true),
                // A reset is the owner's recovery: a pending email change (someone's who knew
                // the old password, perhaps) ends with it.
                users::pending_email.eq(None::<String>),
                users::updated_at.eq(db_time(now)),
            ))
            .execute(c)?,
        LinkEffect::SwitchEmail => diesel::update(users::table.find(&id).filter(users::pending_email.eq(address)))
            .set((
                users::email.eq(address),
                users::pending_email.eq(None::<String>),
                users::email_verified.eq(true),
                users::updated_at.eq(db_time(now)),
            ))
            .execute(c)
            .map_err(|e| if error::is_email_violation(&e) { Abort::EmailTaken } else { Abort::Db(e) })?,
    };
    if updated == 0 {
        return Err(Abort::Invalid);
    }
    match effect {
        LinkEffect::Verify => {
            forget_links(c, link.user_id, LinkPurpose::Verify)?;
        }
        LinkEffect::SetPassword(_) => {
            revoke_sessions_of(c, link.user_id, None, now)?;
            forget_links(c, link.user_id, LinkPurpose::Reset)?;
            forget_links(c, link.user_id, LinkPurpose::EmailChange)?;
        }
        LinkEffect::SwitchEmail => {
            // Links sent to the old address verify nothing now; a reset link stays (it
            // checks the address itself, and dies with it).
            forget_links(c, link.user_id, LinkPurpose::Verify)?;
            forget_links(c, link.user_id, LinkPurpose::EmailChange)?;
        }
    }
    Ok(())
}

impl EmailLinks for DieselStore {
    fn insert_user_with_link(
        &self,
        user: &User,
        hash: &PasswordHash,
        issue: &LinkIssue,
        audit: &[AuditEvent],
    ) -> Result<(), UniqueEmailError> {
        let mut conn = self.write_conn()?;
        // The unique index decides: of racing registrations exactly one insert succeeds.
        write_transaction(&mut conn, |c| {
            diesel::insert_into(users::table).values(NewUser::new(user, hash)).execute(c)?;
            store_link(c, issue)?;
            record_events(c, audit)
        })
        .map_err(error::email_write)
    }

    fn issue(&self, issue: &LinkIssue, audit: &[AuditEvent]) -> Result<LinkWrite, InfraError> {
        let link = &issue.link;
        self.run_write(|c| {
            retry_conflicts(|| {
                write_transaction(c, |c| {
                    // The account's row is locked, so two issues for one account take turns
                    // and the later one replaces the earlier link.
                    let Some(row) = lock_user(c, link.user_id)? else { return Ok(LinkWrite::AccountGone) };
                    let user = row.into_domain().map_err(|e| Error::DeserializationError(Box::new(e)))?;
                    if !link.matches(&user.email, user.pending_email.as_ref()) {
                        return Ok(LinkWrite::AccountGone);
                    }
                    store_link(c, issue)?;
                    record_events(c, audit)?;
                    Ok(LinkWrite::Issued)
                })
            })
        })
    }

    fn request_email_change(
        &self,
        id: UserId,
        name: Option<&UserName>,
        issue: &LinkIssue,
        now: Timestamp,
        audit: &[AuditEvent],
    ) -> Result<UserWrite, UniqueEmailError> {
        let new_email = issue.link.email.as_str();
        let mut conn = self.write_conn()?;
        let outcome = write_transaction(&mut conn, |c| {
            let taken = users::table.filter(users::email.eq(new_email)).filter(users::id.ne(id.to_string()));
            if diesel::select(exists(taken)).get_result::<bool>(c)? {
                return Ok(Err(domain::EmailTaken));
            }
            let target = users::table.find(id.to_string());
            let updated = match name {
                Some(name) => diesel::update(target)
                    .set((users::pending_email.eq(new_email), users::name.eq(name.as_str()), users::updated_at.eq(db_time(now))))
                    .execute(c)?,
                None => diesel::update(target).set((users::pending_email.eq(new_email), users::updated_at.eq(db_time(now)))).execute(c)?,
            };
            if updated == 0 {
                return Ok(Ok(None));
            }
            store_link(c, issue)?;
            record_events(c, audit)?;
            Ok(Ok(unique(users::table.find(id.to_string()).select(UserRow::as_select()).load(c))?))
        })
        .map_err(error::infra)?;
        match outcome {
            Err(taken) => Err(taken.into()),
            Ok(Some(row)) => Ok(UserWrite::Updated(row.into_domain()?)),
            Ok(None) => Ok(UserWrite::NotFound),
        }
    }

    fn find(&self, digest: &LinkDigest) -> Result<Option<EmailLink>, InfraError> {
        let row = self.run(|c| unique(email_links::table.find(digest.as_str()).select(LinkRow::as_select()).load(c)))?;
        row.map(LinkRow::into_domain).transpose()
    }

    fn redeem(&self, link: &EmailLink, effect: &LinkEffect, now: Timestamp, audit: &[AuditEvent]) -> Result<Redeemed, InfraError> {
        let mut conn = self.write_conn()?;
        let outcome = write_transaction(&mut conn, |c| {
            // The account's row first, as every write of the account takes it: a reset and an
            // email change racing on PostgreSQL or MySQL take turns instead of each holding
            // one row the other wants, and the second sees what the first committed.
            if lock_user(c, link.user_id)?.is_none() {
                return Err(Abort::Invalid);
            }
            // Using the link up is the guard: of racing uses, one deletes the row.
            let used = diesel::delete(email_links::table.find(link.digest.as_str()).filter(email_links::expires_at.gt(db_time(now))))
                .execute(c)?;
            if used == 0 {
                return Err(Abort::Invalid);
            }
            apply(c, link, effect, now)?;
            record_events(c, audit)?;
            Ok(())
        });
        match outcome {
            Ok(()) => Ok(Redeemed::Done),
            Err(Abort::Invalid) => Ok(Redeemed::Invalid),
            Err(Abort::EmailTaken) => Ok(Redeemed::EmailTaken),
            Err(Abort::Db(e)) => Err(error::infra(e)),
        }
    }

    fn purge(&self, now: Timestamp) -> Result<u64, InfraError> {
        self.run_write(|c| diesel::delete(email_links::table.filter(email_links::expires_at.le(db_time(now)))).execute(c)).map(affected)
    }
}
