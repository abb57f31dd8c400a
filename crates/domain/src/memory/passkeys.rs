//! Passkeys and their ceremonies' challenges in the in-memory store: each method holds the
//! store's lock throughout, as atomic as the database's transaction.

use super::store::{MemoryStore, Tables, micros};
use crate::error::InfraError;
use crate::model::{AuditEvent, CeremonyPurpose, Passkey, PasskeyChallenge, PasskeyId, PasskeyName, PasskeyRules, Timestamp, UserId};
use crate::ports::{PasskeyAdded, PasskeyRemoved, PasskeyStore, PasskeyUse};

impl Tables {
    /// How many passkeys the account holds.
    pub(super) fn passkeys_of(&self, user: UserId) -> u32 {
        u32::try_from(self.passkeys.iter().filter(|p| p.user_id == user).count()).unwrap_or(u32::MAX)
    }

    /// Deletes the account's passkeys; how many.
    pub(super) fn delete_passkeys_of(&mut self, user: UserId) -> usize {
        let was = self.passkeys.len();
        self.passkeys.retain(|p| p.user_id != user);
        was - self.passkeys.len()
    }

    /// Deletes the account's passkeys and its ceremonies' challenges: what the foreign keys
    /// cascade when it is deleted.
    pub(super) fn forget_passkeys_of(&mut self, user: UserId) {
        self.delete_passkeys_of(user);
        self.passkey_challenges
            .retain(|_, c| !matches!(c.purpose, CeremonyPurpose::Register(u) | CeremonyPurpose::SecondStep(u) if u == user));
    }
}

/// What a database keeps of a passkey: its times in microseconds.
fn stored(passkey: &Passkey) -> Passkey {
    Passkey { created_at: micros(passkey.created_at), last_used_at: passkey.last_used_at.map(micros), ..passkey.clone() }
}

impl PasskeyStore for MemoryStore {
    fn list(&self, user: UserId) -> Result<Vec<Passkey>, InfraError> {
        let mut found: Vec<_> = self.tables()?.passkeys.iter().filter(|p| p.user_id == user).cloned().collect();
        found.sort_by_key(|p| (p.created_at, p.id));
        Ok(found)
    }

    fn find_by_credential(&self, credential_id: &str) -> Result<Option<Passkey>, InfraError> {
        Ok(self.tables()?.passkeys.iter().find(|p| p.credential_id == credential_id).cloned())
    }

    fn add(&self, passkey: &Passkey, audit: &[AuditEvent]) -> Result<PasskeyAdded, InfraError> {
        let mut t = self.tables()?;
        if t.user(passkey.user_id).is_none() {
            return Err(InfraError::internal("foreign key: passkey of an unknown user"));
        }
        if t.passkeys_of(passkey.user_id) >= PasskeyRules::MAX_PER_ACCOUNT {
            return Ok(PasskeyAdded::LimitReached);
        }
        if t.passkeys.iter().any(|p| p.credential_id == passkey.credential_id) {
            return Ok(PasskeyAdded::Duplicate);
        }
        t.passkeys.push(stored(passkey));
        t.record(audit);
        Ok(PasskeyAdded::Added)
    }

    fn rename(&self, user: UserId, id: PasskeyId, name: &PasskeyName) -> Result<Option<Passkey>, InfraError> {
        let mut t = self.tables()?;
        Ok(t.passkeys.iter_mut().find(|p| p.id == id && p.user_id == user).map(|p| {
            p.name = name.clone();
            p.clone()
        }))
    }

    fn remove(&self, user: UserId, id: PasskeyId, audit: &[AuditEvent]) -> Result<PasskeyRemoved, InfraError> {
        let mut t = self.tables()?;
        let Some(at) = t.passkeys.iter().position(|p| p.id == id && p.user_id == user) else { return Ok(PasskeyRemoved::NotFound) };
        let password = t.user_mut(user).is_some_and(|(_, hash)| hash.is_set());
        let identities = t.identities.iter().any(|i| i.user_id == user);
        // What signs in once this passkey is gone.
        if !(password || identities || t.passkeys_of(user) > 1) {
            return Ok(PasskeyRemoved::LastWayIn);
        }
        t.passkeys.remove(at);
        t.record(audit);
        Ok(PasskeyRemoved::Removed)
    }

    fn record_use(&self, used: PasskeyUse) -> Result<bool, InfraError> {
        let mut t = self.tables()?;
        let Some(passkey) = t.passkeys.iter_mut().find(|p| p.id == used.id) else { return Ok(false) };
        if passkey.counter >= used.counter && !(passkey.counter == 0 && used.counter == 0) {
            return Ok(false);
        }
        passkey.counter = used.counter;
        passkey.backed_up = used.backed_up;
        passkey.last_used_at = Some(micros(used.now));
        Ok(true)
    }

    fn insert_challenge(&self, challenge: &PasskeyChallenge) -> Result<(), InfraError> {
        let mut t = self.tables()?;
        if let CeremonyPurpose::Register(user) | CeremonyPurpose::SecondStep(user) = challenge.purpose
            && t.user(user).is_none()
        {
            return Err(InfraError::internal("foreign key: passkey challenge of an unknown user"));
        }
        t.passkey_challenges.insert(challenge.id, PasskeyChallenge { expires_at: micros(challenge.expires_at), ..challenge.clone() });
        Ok(())
    }

    fn take_challenge(&self, id: uuid::Uuid) -> Result<Option<PasskeyChallenge>, InfraError> {
        Ok(self.tables()?.passkey_challenges.remove(&id))
    }

    fn purge_challenges(&self, now: Timestamp) -> Result<u64, InfraError> {
        let mut t = self.tables()?;
        let was = t.passkey_challenges.len();
        t.passkey_challenges.retain(|_, c| c.is_live(now));
        Ok((was - t.passkey_challenges.len()) as u64)
    }
}
