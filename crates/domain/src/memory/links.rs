//! The emailed links of the in-memory store: each method holds the store's lock throughout,
//! so it is as atomic as the database's transaction.

use super::store::{MemoryStore, micros};
use crate::error::InfraError;
use crate::model::{AuditEvent, EmailLink, LinkDigest, LinkIssue, LinkPurpose, PasswordHash, Timestamp, User, UserId, UserName};
use crate::ports::{EmailLinks, EmailTaken, LinkEffect, LinkWrite, Outbox, Redeemed, UniqueEmailError, UserWrite};

impl MemoryStore {
    fn queue(&self, issue: &LinkIssue) -> Result<(), InfraError> {
        issue.mail.iter().try_for_each(|mail| self.outbox().enqueue(mail))
    }
}

impl EmailLinks for MemoryStore {
    fn insert_user_with_link(
        &self,
        user: &User,
        hash: &PasswordHash,
        issue: &LinkIssue,
        audit: &[AuditEvent],
    ) -> Result<(), UniqueEmailError> {
        let mut t = self.tables()?;
        t.insert_user(user, hash)?;
        t.links.insert(issue.link.digest.clone(), issue.link.clone());
        t.record(audit);
        self.queue(issue)?;
        Ok(())
    }

    fn issue(&self, issue: &LinkIssue, audit: &[AuditEvent]) -> Result<LinkWrite, InfraError> {
        let mut t = self.tables()?;
        let link = &issue.link;
        let Some((user, _)) = t.user_mut(link.user_id) else { return Ok(LinkWrite::AccountGone) };
        if !link.matches(&user.email, user.pending_email.as_ref()) {
            return Ok(LinkWrite::AccountGone);
        }
        t.links.retain(|_, l| !(l.user_id == link.user_id && l.purpose == link.purpose));
        t.links.insert(link.digest.clone(), link.clone());
        t.record(audit);
        self.queue(issue)?;
        Ok(LinkWrite::Issued)
    }

    fn request_email_change(
        &self,
        id: UserId,
        name: Option<&UserName>,
        issue: &LinkIssue,
        now: Timestamp,
        audit: &[AuditEvent],
    ) -> Result<UserWrite, UniqueEmailError> {
        let mut t = self.tables()?;
        if t.email_in_use(&issue.link.email, id) {
            return Err(EmailTaken.into());
        }
        let Some((user, _)) = t.user_mut(id) else { return Ok(UserWrite::NotFound) };
        if let Some(name) = name {
            user.name = name.clone();
        }
        user.pending_email = Some(issue.link.email.clone());
        user.updated_at = micros(now);
        let user = user.clone();
        t.links.retain(|_, l| !(l.user_id == id && l.purpose == LinkPurpose::EmailChange));
        t.links.insert(issue.link.digest.clone(), issue.link.clone());
        t.record(audit);
        self.queue(issue)?;
        Ok(UserWrite::Updated(user))
    }

    fn find(&self, digest: &LinkDigest) -> Result<Option<EmailLink>, InfraError> {
        Ok(self.tables()?.links.get(digest).cloned())
    }

    fn redeem(&self, link: &EmailLink, effect: &LinkEffect, now: Timestamp, audit: &[AuditEvent]) -> Result<Redeemed, InfraError> {
        let now = micros(now);
        let mut t = self.tables()?;
        let stored = t.links.get(&link.digest).filter(|l| l.is_live(now)).cloned();
        let Some(stored) = stored else { return Ok(Redeemed::Invalid) };
        let Some((user, _)) = t.user_mut(stored.user_id) else { return Ok(Redeemed::Invalid) };
        if !stored.matches(&user.email, user.pending_email.as_ref()) {
            return Ok(Redeemed::Invalid);
        }
        if *effect == LinkEffect::SwitchEmail && t.email_in_use(&stored.email, stored.user_id) {
            return Ok(Redeemed::EmailTaken);
        }
        t.links.remove(&link.digest);
        let id = stored.user_id;
        let Some((user, hash)) = t.user_mut(id) else { return Ok(Redeemed::Invalid) };
        match effect {
            LinkEffect::Verify => user.email_verified = true,
            LinkEffect::SetPassword(fresh) => {
                *hash = fresh.clone();
                user.email_verified = true;
                user.pending_email = None;
                user.updated_at = now;
            }
            LinkEffect::SwitchEmail => {
                user.email = stored.email.clone();
                user.pending_email = None;
                user.email_verified = true;
                user.updated_at = now;
            }
        }
        match effect {
            LinkEffect::Verify => t.links.retain(|_, l| !(l.user_id == id && l.purpose == LinkPurpose::Verify)),
            LinkEffect::SetPassword(_) => {
                t.revoke_sessions_of(id, None, now);
                t.links.retain(|_, l| !(l.user_id == id && matches!(l.purpose, LinkPurpose::Reset | LinkPurpose::EmailChange)));
            }
            LinkEffect::SwitchEmail => t.links.retain(|_, l| l.user_id != id || l.purpose == LinkPurpose::Reset),
        }
        t.record(audit);
        Ok(Redeemed::Done)
    }

    fn purge(&self, now: Timestamp) -> Result<u64, InfraError> {
        let mut t = self.tables()?;
        let before = t.links.len();
        t.links.retain(|_, l| l.is_live(now));
        Ok((before - t.links.len()) as u64)
    }
}
