//! Emailed links: verification, password reset (and an invite's first password) and email
//! change. Each link is stored with the message that carries it, in one transaction; using one
//! is one conditional write that uses it up, so a link works once however many requests race.

use crate::error::InfraError;
use crate::model::{
    AttemptPolicy, AuditEvent, AuditKind, Client, CounterKey, Email, EmailLink, EmailPolicy, LinkIssue, LinkPurpose, LinkToken,
    OutgoingMail, Password, Reservation, UserId,
};
use crate::ports::{LinkEffect, LinkWrite, Message, Redeemed};
use crate::services::Ports;
use crate::services::audit;
use crate::services::password_policy::PasswordPolicy;
use chrono::Duration;

/// Why using a link failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Wrong, used, replaced or expired token, or one whose address is no longer the account's.
    #[error("the link is invalid or has expired")]
    InvalidToken,
    /// An email change whose address another account took meanwhile.
    #[error("email already registered")]
    EmailTaken,
    /// The password policy refuses the new password (the link stays usable).
    #[error("the new password {0}")]
    WeakPassword(crate::model::PasswordError),
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// A freshly minted link: the token for its message, and the record the store keeps.
pub(crate) struct NewLink {
    pub(crate) token: LinkToken,
    pub(crate) link: EmailLink,
}

/// Mints a link for `user` of `purpose`, sent to `email`, working for `ttl`.
pub(crate) fn new_link(ports: &Ports, user: UserId, purpose: LinkPurpose, email: &Email, ttl: Duration) -> NewLink {
    let token = ports.link_tokens.generate();
    let now = ports.clock.now();
    let link = EmailLink {
        digest: ports.link_tokens.digest(token.expose()),
        user_id: user,
        purpose,
        email: email.clone(),
        created_at: now,
        expires_at: now + ttl,
    };
    NewLink { token, link }
}

/// `message` to `to`, in words, ready for the outbox.
pub(crate) fn mail(ports: &Ports, to: &Email, message: &Message<'_>) -> OutgoingMail {
    let composed = ports.messages.compose(message);
    OutgoingMail {
        id: ports.ids.new_id(),
        created_at: ports.clock.now(),
        to: to.clone(),
        subject: composed.subject,
        text: composed.text,
        html: composed.html,
    }
}

/// A verification link for `user`'s `email`, with its message.
pub(crate) fn verification(ports: &Ports, policy: &EmailPolicy, user: UserId, email: &Email) -> LinkIssue {
    let NewLink { token, link } = new_link(ports, user, LinkPurpose::Verify, email, policy.verify_ttl);
    LinkIssue { mail: vec![mail(ports, email, &Message::Verify { token: &token })], link }
}

/// Whether another message of `kind` may go to `email` now: at most one per address per
/// `policy.min_interval`, counted in the shared attempt store so every instance agrees.
pub(crate) fn mail_allowed(ports: &Ports, policy: &EmailPolicy, kind: &str, email: &Email) -> Result<bool, InfraError> {
    if policy.min_interval <= Duration::zero() {
        return Ok(true);
    }
    let once = AttemptPolicy { limit: 1, window: policy.min_interval };
    let reservation = ports.attempts.reserve(&CounterKey::mail(kind, email), once, ports.clock.now())?;
    Ok(matches!(reservation, Reservation::Granted))
}

/// What a reset or resend request decided, to be written by [`LinkService::complete`]:
/// a caller that must answer in the same time for every address answers first.
#[derive(Debug)]
#[must_use = "nothing is stored or sent until it is completed"]
pub struct Deferred(Work);

#[derive(Debug)]
enum Work {
    Nothing,
    Record(AuditEvent),
    Issue { issue: LinkIssue, audit: Vec<AuditEvent> },
}

/// The emailed flows that need no signed-in caller.
#[derive(Debug, Clone)]
pub struct LinkService {
    ports: Ports,
    policy: EmailPolicy,
    lockout: AttemptPolicy,
    passwords: PasswordPolicy,
}

impl LinkService {
    /// Wires the service; a reset clears the account's `lockout` counter, and its new password
    /// meets `passwords`.
    pub fn new(ports: Ports, policy: EmailPolicy, lockout: AttemptPolicy, passwords: PasswordPolicy) -> Self {
        Self { ports, policy, lockout, passwords }
    }

    /// The rules the flows follow.
    pub fn policy(&self) -> &EmailPolicy {
        &self.policy
    }

    /// Marks the address a verification link was sent to as verified.
    ///
    /// # Errors
    /// [`LinkError::InvalidToken`] for a wrong, used or expired token.
    pub fn verify_email(&self, token: &str, client: &Client) -> Result<(), LinkError> {
        let link = self.live_link(token, LinkPurpose::Verify)?;
        let verified = AuditEvent { user_id: Some(link.user_id), ..audit::event(&self.ports, AuditKind::EmailVerified, client) };
        self.redeem(&link, &LinkEffect::Verify, &[verified])
    }

    /// Decides whether `email` gets a new verification link (an unverified account, at most
    /// once per interval) and prepares it; [`complete`](Self::complete) stores and queues it.
    /// Up to that point known and unknown addresses cost the same: one counter, one lookup.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn resend_verification(&self, email: &Email) -> Result<Deferred, InfraError> {
        if !mail_allowed(&self.ports, &self.policy, "verify", email)? {
            return Ok(Deferred(Work::Nothing));
        }
        // A link is made either way (one for nobody when there is no unverified account), so
        // both answers cost the same work.
        let found = self.ports.users.find_id(email)?;
        let issue = verification(&self.ports, &self.policy, found.map_or(UserId::from_uuid(uuid::Uuid::nil()), |key| key.id), email);
        Ok(Deferred(match found {
            Some(key) if !key.email_verified => Work::Issue { issue, audit: Vec::new() },
            _ => Work::Nothing,
        }))
    }

    /// Decides whether `email` gets a reset link (an active account, at most once per
    /// interval) and prepares it with its event; [`complete`](Self::complete) writes it. An
    /// invited account that has no password yet gets a new invite link instead (the invite's
    /// lifetime, the invite's words); a deactivated account gets nothing, since a reset would
    /// not let it sign in. An unknown address prepares its event alone (naming no account),
    /// also written there: up to `complete`, every case costs the same, so an answer given
    /// before it tells nothing.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn request_password_reset(&self, email: &Email, client: &Client) -> Result<Deferred, InfraError> {
        if !mail_allowed(&self.ports, &self.policy, "reset", email)? {
            return Ok(Deferred(Work::Nothing));
        }
        let requested = audit::event(&self.ports, AuditKind::PasswordResetRequested, client);
        let found = self.ports.users.find_id(email)?;
        let invited = found.is_some_and(|key| !key.has_password);
        let ttl = if invited { self.policy.invite_ttl } else { self.policy.reset_ttl };
        // A link is made either way (one for nobody when the address has no account), so every
        // answer costs the same work.
        let NewLink { token, link } =
            new_link(&self.ports, found.map_or(UserId::from_uuid(uuid::Uuid::nil()), |key| key.id), LinkPurpose::Reset, email, ttl);
        let message = if invited { Message::Invite { token: &token } } else { Message::Reset { token: &token } };
        let issue = LinkIssue { mail: vec![mail(&self.ports, email, &message)], link };
        Ok(Deferred(match found {
            Some(key) if key.is_active => Work::Issue { issue, audit: vec![AuditEvent { user_id: Some(key.id), ..requested }] },
            Some(key) => Work::Record(AuditEvent { user_id: Some(key.id), ..requested }),
            None => Work::Record(requested),
        }))
    }

    /// Writes what a request prepared: the link with its message and event, in one
    /// transaction (a link whose account vanished or moved meanwhile leaves only its event,
    /// naming no account).
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn complete(&self, work: Deferred) -> Result<(), InfraError> {
        match work.0 {
            Work::Nothing => Ok(()),
            Work::Record(event) => self.ports.audit.record(&event),
            Work::Issue { issue, audit } => {
                if self.ports.links.issue(&issue, &audit)? == LinkWrite::AccountGone {
                    for event in audit {
                        self.ports.audit.record(&AuditEvent { user_id: None, ..event })?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Sets a new password through a reset (or invite) link: every session of the account is
    /// revoked, every other reset link dies, the address counts as verified and the lockout is
    /// cleared.
    ///
    /// # Errors
    /// [`LinkError::InvalidToken`] for a wrong, used or expired token.
    pub fn reset_password(&self, token: &str, new: &Password, client: &Client) -> Result<(), LinkError> {
        let link = self.live_link(token, LinkPurpose::Reset)?;
        self.passwords.check(new, &link.email).map_err(LinkError::WeakPassword)?;
        let hash = self.ports.hasher.hash(new)?;
        let reset = AuditEvent { user_id: Some(link.user_id), ..audit::event(&self.ports, AuditKind::PasswordReset, client) };
        self.redeem(&link, &LinkEffect::SetPassword(hash), &[reset])?;
        if self.lockout.is_on() {
            self.ports.attempts.clear(&CounterKey::account(&link.email))?;
        }
        Ok(())
    }

    /// Completes an email change: the account's address becomes the one the link was sent to.
    ///
    /// # Errors
    /// [`LinkError::InvalidToken`], or [`LinkError::EmailTaken`] when another account took the
    /// address meanwhile.
    pub fn confirm_email_change(&self, token: &str, client: &Client) -> Result<(), LinkError> {
        let link = self.live_link(token, LinkPurpose::EmailChange)?;
        let changed = AuditEvent { user_id: Some(link.user_id), ..audit::event(&self.ports, AuditKind::EmailChanged, client) };
        self.redeem(&link, &LinkEffect::SwitchEmail, &[changed])
    }

    /// The stored, unexpired link of `purpose` that `token` names.
    fn live_link(&self, token: &str, purpose: LinkPurpose) -> Result<EmailLink, LinkError> {
        if !self.ports.link_tokens.recognises(token) {
            return Err(LinkError::InvalidToken);
        }
        match self.ports.links.find(&self.ports.link_tokens.digest(token))? {
            Some(link) if link.purpose == purpose && link.is_live(self.ports.clock.now()) => Ok(link),
            _ => Err(LinkError::InvalidToken),
        }
    }

    fn redeem(&self, link: &EmailLink, effect: &LinkEffect, audit: &[AuditEvent]) -> Result<(), LinkError> {
        match self.ports.links.redeem(link, effect, self.ports.clock.now(), audit)? {
            Redeemed::Done => Ok(()),
            Redeemed::Invalid => Err(LinkError::InvalidToken),
            Redeemed::EmailTaken => Err(LinkError::EmailTaken),
        }
    }
}
