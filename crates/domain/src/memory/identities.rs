//! Linked identities and provider flows in the in-memory store (each method holds the store's
//! lock throughout, as atomic as the database's transaction), fake flow secrets, and a provider
//! set with nothing configured.

use super::fnv1a;
use super::store::MemoryStore;
use crate::error::InfraError;
use crate::model::{
    AuditEvent, FlowDigest, FlowSecret, Identity, IdentityId, LinkIssue, OidcFlow, PkceVerifier, ProviderClaims, ProviderId, SignInCode,
    Timestamp, User, UserId,
};
use crate::ports::{
    AuthorizationRequest, FlowSecrets, IdentityLink, IdentityProviders, IdentityRepository, IdentitySignUp, Outbox, ProviderAnswer,
    ProviderError, ProviderInfo, Unlink,
};
use std::sync::atomic::{AtomicU64, Ordering};

impl IdentityRepository for MemoryStore {
    fn find_identity(&self, issuer: &str, subject: &str) -> Result<Option<Identity>, InfraError> {
        let t = self.tables()?;
        Ok(t.identities.iter().find(|i| i.issuer == issuer && i.subject == subject && t.user(i.user_id).is_some()).cloned())
    }

    fn link(&self, identity: &Identity, audit: &[AuditEvent]) -> Result<IdentityLink, InfraError> {
        let mut t = self.tables()?;
        if t.user(identity.user_id).is_none() {
            return Ok(IdentityLink::OwnerGone);
        }
        if let Some(held) = t.identities.iter().find(|i| i.issuer == identity.issuer && i.subject == identity.subject) {
            return Ok(if held.user_id == identity.user_id { IdentityLink::AlreadyYours } else { IdentityLink::InUse });
        }
        t.identities.push(identity.clone());
        t.record(audit);
        Ok(IdentityLink::Linked)
    }

    fn sign_up(
        &self,
        user: &User,
        identity: &Identity,
        verify: Option<&LinkIssue>,
        audit: &[AuditEvent],
    ) -> Result<IdentitySignUp, InfraError> {
        let mut t = self.tables()?;
        if t.identities.iter().any(|i| i.issuer == identity.issuer && i.subject == identity.subject) {
            return Ok(IdentitySignUp::IdentityTaken);
        }
        if t.insert_user(user, &crate::model::PasswordHash::none()).is_err() {
            return Ok(IdentitySignUp::EmailTaken);
        }
        t.identities.push(identity.clone());
        if let Some(issue) = verify {
            t.links.insert(issue.link.digest.clone(), issue.link.clone());
        }
        t.record(audit);
        drop(t);
        verify.into_iter().flat_map(|issue| &issue.mail).try_for_each(|mail| self.outbox().enqueue(mail))?;
        Ok(IdentitySignUp::Created)
    }

    fn list_identities(&self, user: UserId) -> Result<Vec<Identity>, InfraError> {
        let mut found: Vec<_> = self.tables()?.identities.iter().filter(|i| i.user_id == user).cloned().collect();
        found.sort_by_key(|i| (i.linked_at, i.id));
        Ok(found)
    }

    fn unlink(&self, user: UserId, id: IdentityId, audit: &[AuditEvent]) -> Result<Unlink, InfraError> {
        let mut t = self.tables()?;
        let Some(at) = t.identities.iter().position(|i| i.id == id && i.user_id == user) else { return Ok(Unlink::NotFound) };
        let ways = crate::model::WaysIn {
            password: t.user_mut(user).is_some_and(|(_, hash)| hash.is_set()),
            identities: u32::try_from(t.identities.iter().filter(|i| i.user_id == user).count()).unwrap_or(u32::MAX),
            passkeys: t.passkeys_of(user),
        };
        if !ways.may_unlink_identity() {
            return Ok(Unlink::LastWayIn);
        }
        t.identities.remove(at);
        t.record(audit);
        Ok(Unlink::Unlinked)
    }

    fn record_sign_in(&self, id: IdentityId, now: Timestamp) -> Result<(), InfraError> {
        let mut t = self.tables()?;
        if let Some(identity) = t.identities.iter_mut().find(|i| i.id == id) {
            identity.last_sign_in_at = Some(super::store::micros(now));
        }
        Ok(())
    }

    fn insert_flow(&self, flow: &OidcFlow) -> Result<(), InfraError> {
        self.tables()?.flows.insert(flow.digest.clone(), flow.clone());
        Ok(())
    }

    fn take_flow(&self, digest: &FlowDigest) -> Result<Option<OidcFlow>, InfraError> {
        Ok(self.tables()?.flows.remove(digest))
    }

    fn insert_code(&self, code: &SignInCode) -> Result<(), InfraError> {
        self.tables()?.codes.insert(code.digest.clone(), code.clone());
        Ok(())
    }

    fn take_code(&self, digest: &FlowDigest) -> Result<Option<SignInCode>, InfraError> {
        Ok(self.tables()?.codes.remove(digest))
    }

    fn purge_flows(&self, before: Timestamp) -> Result<u64, InfraError> {
        let mut t = self.tables()?;
        let was = t.flows.len() + t.codes.len();
        t.flows.retain(|_, f| f.expires_at > before);
        t.codes.retain(|_, c| c.expires_at > before);
        Ok((was - t.flows.len() - t.codes.len()) as u64)
    }
}

/// Numbered states and codes (`fake-os-<n>`, `fake-oc-<n>`), SHA-256 stood in for by FNV-1a, and
/// an S256 that is only a stand-in too (the verifier reversed): the use cases compare what it
/// returns, nothing more.
#[derive(Debug, Default)]
pub struct FakeFlowSecrets(AtomicU64);

impl FakeFlowSecrets {
    fn next(&self, prefix: &str) -> FlowSecret {
        FlowSecret::new(format!("{prefix}{}", self.0.fetch_add(1, Ordering::Relaxed) + 1))
    }

    fn numbered(text: &str, prefix: &str) -> bool {
        text.strip_prefix(prefix).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }
}

impl FlowSecrets for FakeFlowSecrets {
    fn state(&self) -> FlowSecret {
        self.next("fake-os-")
    }

    fn code(&self) -> FlowSecret {
        self.next("fake-oc-")
    }

    fn recognises_state(&self, text: &str) -> bool {
        Self::numbered(text, "fake-os-")
    }

    fn recognises_code(&self, text: &str) -> bool {
        Self::numbered(text, "fake-oc-")
    }

    fn digest(&self, text: &str) -> FlowDigest {
        FlowDigest::new(format!("{:016x}", fnv1a(text.as_bytes())))
    }

    fn s256(&self, verifier: &PkceVerifier) -> String {
        verifier.expose().chars().rev().collect()
    }
}

/// No provider configured: every lookup is unknown (what a server without `[[oidc.providers]]`
/// has).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProviders;

impl IdentityProviders for NoProviders {
    fn list(&self) -> Vec<ProviderInfo> {
        Vec::new()
    }

    fn find(&self, _id: &ProviderId) -> Option<ProviderInfo> {
        None
    }

    fn redirect_allowed(&self, _uri: &str) -> bool {
        false
    }

    fn authorization(&self, _provider: &ProviderId, _state: &FlowSecret) -> Result<AuthorizationRequest, ProviderError> {
        Err(ProviderError::Unknown)
    }

    fn finish(&self, _provider: &ProviderId, _answer: &ProviderAnswer<'_>, _flow: &OidcFlow) -> Result<ProviderClaims, ProviderError> {
        Err(ProviderError::Unknown)
    }
}
