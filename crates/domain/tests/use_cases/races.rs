//! Writes that interleave with a slow password check. The check is where a real request spends
//! hundreds of milliseconds, so these tests run the competing write from inside it, through a
//! hasher hook: the interleaving is certain, not left to timing.

use crate::support::{PASSWORD, World, candidate};
use domain::memory::FakeHasher;
use domain::{
    AdminUpdate, CandidatePassword, Email, Gatehouse, InfraError, LoginError, Password, PasswordHash, PasswordHasher, ProfileUpdate, Role,
    SessionPolicy,
};
use std::sync::{Arc, Mutex};

type Hook = Box<dyn FnOnce() + Send>;

/// The fake hasher, with a hook run once during the next verification and a record of the
/// hash versions verified.
#[derive(Default)]
struct HookedHasher {
    inner: FakeHasher,
    hook: Mutex<Option<Hook>>,
    verified: Mutex<Vec<String>>,
}

impl HookedHasher {
    fn during_next_verify(&self, hook: impl FnOnce() + Send + 'static) {
        *self.hook.lock().unwrap() = Some(Box::new(hook));
    }

    /// The version tag (`fake$v2`) of every hash verified so far.
    fn verified_versions(&self) -> Vec<String> {
        self.verified.lock().unwrap().clone()
    }
}

impl PasswordHasher for HookedHasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, InfraError> {
        self.inner.hash(password)
    }

    fn verify(&self, candidate: &CandidatePassword, hash: &PasswordHash) -> Result<bool, InfraError> {
        let version = hash.as_str().splitn(3, '$').take(2).collect::<Vec<_>>().join("$");
        self.verified.lock().unwrap().push(version);
        let outcome = self.inner.verify(candidate, hash);
        let hook = self.hook.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        outcome
    }

    fn max_password_bytes(&self) -> usize {
        self.inner.max_password_bytes()
    }

    fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        self.inner.needs_rehash(hash)
    }
}

/// A world whose services share one hooked hasher.
fn hooked_world() -> (World, Arc<HookedHasher>) {
    let mut world = World::new();
    let hasher = Arc::new(HookedHasher::default());
    let mut ports = world.mem.ports();
    ports.hasher = hasher.clone();
    world.app = Gatehouse::new(ports, SessionPolicy::default());
    (world, hasher)
}

#[test]
fn an_email_change_in_flight_keeps_an_admins_demotion_and_deactivation() {
    let (w, hasher) = hooked_world();
    let (root, _) = w.signed_in_admin("root@example.com");
    let (ada_as_admin, _) = w.signed_in_admin("ada@example.com");
    let ada = ada_as_admin.clone();
    let app = w.app.clone();
    hasher.during_next_verify(move || {
        let update = AdminUpdate { role: Some(Role::User), is_active: Some(false), ..Default::default() };
        app.admin.update_user(&root, ada.user_id(), update, &domain::Client::default()).expect("the admin's change");
    });

    let update = ProfileUpdate {
        email: Some(Email::parse("lovelace@example.com").unwrap()),
        current_password: Some(candidate(PASSWORD)),
        ..Default::default()
    };
    let user = w.app.accounts.update_profile(&ada_as_admin, update, &domain::Client::default()).unwrap();

    let pending = |u: &domain::User| u.pending_email.as_ref().map(|e| e.as_str().to_owned());
    assert_eq!(pending(&user).as_deref(), Some("lovelace@example.com"));
    assert_eq!((user.role, user.is_active), (Role::User, false), "the answer shows the account as stored");
    let stored = w.app.admin.get_user(&w.signed_in_admin("third@example.com").0, ada_as_admin.user_id()).unwrap();
    assert_eq!((pending(&stored).as_deref(), stored.role, stored.is_active), (Some("lovelace@example.com"), Role::User, false));
    assert!(matches!(
        w.app.auth.login("ada@example.com", &candidate(PASSWORD), &domain::Client::default()),
        Err(LoginError::InvalidCredentials)
    ));
}

#[test]
fn a_login_upgrading_an_old_hash_never_undoes_a_password_change_made_meanwhile() {
    let (w, hasher) = hooked_world();
    let (ada, _) = w.signed_in("ada@example.com");
    hasher.inner.upgrade();
    let app = w.app.clone();
    hasher.during_next_verify(move || {
        let new = Password::new("a brand new password", 72).unwrap();
        app.accounts.change_password(&ada, Some(&candidate(PASSWORD)), &new, &domain::Client::default()).expect("the password change");
    });

    // The old password verifies against the old hash, then the change lands, then the login
    // would store the old password's fresh hash.
    w.app.auth.login("ada@example.com", &candidate(PASSWORD), &domain::Client::default()).unwrap();

    assert!(matches!(
        w.app.auth.login("ada@example.com", &candidate(PASSWORD), &domain::Client::default()),
        Err(LoginError::InvalidCredentials)
    ));
    w.app.auth.login("ada@example.com", &candidate("a brand new password"), &domain::Client::default()).expect("the new password stays");
}

#[test]
fn a_wrong_password_on_an_outdated_hash_costs_at_least_an_unknown_emails_check() {
    let (w, hasher) = hooked_world();
    w.register("ada@example.com");
    hasher.inner.upgrade();

    assert!(w.app.auth.login("nobody@example.com", &candidate("wrong password"), &domain::Client::default()).is_err());
    let unknown = hasher.verified_versions();
    assert!(w.app.auth.login("ada@example.com", &candidate("wrong password"), &domain::Client::default()).is_err());
    let known: Vec<_> = hasher.verified_versions()[unknown.len()..].to_vec();

    assert_eq!(unknown, ["fake$v2"], "an unknown email is checked against a current hash");
    assert!(known.contains(&"fake$v2".to_owned()), "a known account's refusal pays a current check too: {known:?}");
    // And a current hash is checked once, as before.
    w.register("bob@example.com");
    let before = hasher.verified_versions().len();
    assert!(w.app.auth.login("bob@example.com", &candidate("wrong password"), &domain::Client::default()).is_err());
    assert_eq!(hasher.verified_versions()[before..], ["fake$v2"]);
}
