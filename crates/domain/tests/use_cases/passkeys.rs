//! Passkeys, the use cases alone: scripted ceremonies stand in for the WebAuthn adapter (the real
//! one is tested with a software authenticator in tests/api/passkeys.rs and with Chromium's
//! virtual authenticator in tests/browser), so time can be moved past a challenge's five
//! minutes and the policy is seen on its own: what a sign-in proved, the limit, single use.

use crate::support::{PASSWORD, World, candidate};
use chrono::Duration;
use domain::memory::{FakeAnswer, FakeCeremonies};
use domain::{Amr, AuditKind, CeremonyOptions, Client, PasskeyError, PasskeyRules, PasskeySignInError, Principal, SignInOutcome};

fn registered(world: &World, me: &Principal, credential_id: &str) -> domain::Passkey {
    let start = world.app.passkeys.start_registration(me, None).unwrap();
    let answer = FakeCeremonies::answer(&start.options, &FakeAnswer { credential_id: credential_id.into(), ..FakeAnswer::default() });
    world.app.passkeys.register(me, start.challenge_id, &answer, None, &Client::default()).unwrap()
}

fn answer_to(options: &CeremonyOptions, me: &Principal, credential_id: &str, uv: bool, counter: u32) -> String {
    let answer = FakeAnswer { credential_id: credential_id.into(), user: Some(me.user_id()), uv, counter, forged: false };
    FakeCeremonies::answer(&options.options, &answer)
}

fn amr_of(outcome: SignInOutcome, world: &World) -> Amr {
    let SignInOutcome::Complete(pair) = outcome else { panic!("a second step was asked for") };
    world.principal(&pair).amr()
}

#[test]
fn user_verification_decides_whether_a_passkey_sign_in_is_two_factors() {
    let world = World::new();
    let (me, _) = world.signed_in("pk@example.com");
    registered(&world, &me, "cred-1");

    let options = world.app.passkeys.sign_in_options(None).unwrap();
    let outcome =
        world.app.passkeys.sign_in(options.challenge_id, &answer_to(&options, &me, "cred-1", true, 1), &Client::default()).unwrap();
    assert_eq!(amr_of(outcome, &world), PasskeyRules::amr(true));
    let options = world.app.passkeys.sign_in_options(None).unwrap();
    let outcome =
        world.app.passkeys.sign_in(options.challenge_id, &answer_to(&options, &me, "cred-1", false, 2), &Client::default()).unwrap();
    assert_eq!(amr_of(outcome, &world), PasskeyRules::amr(false));
}

#[test]
fn a_challenge_lives_five_minutes_and_answers_once() {
    let world = World::new();
    let (me, _) = world.signed_in("expiry@example.com");
    registered(&world, &me, "cred-1");

    let options = world.app.passkeys.sign_in_options(None).unwrap();
    world.mem.clock.advance(Duration::seconds(PasskeyRules::CHALLENGE_SECS));
    let late = world.app.passkeys.sign_in(options.challenge_id, &answer_to(&options, &me, "cred-1", true, 1), &Client::default());
    assert!(matches!(late, Err(PasskeySignInError::Refused)), "{late:?}");

    let options = world.app.passkeys.sign_in_options(None).unwrap();
    world.mem.clock.advance(Duration::seconds(PasskeyRules::CHALLENGE_SECS - 1));
    let forged = FakeCeremonies::answer(
        &options.options,
        &FakeAnswer { credential_id: "cred-1".into(), user: Some(me.user_id()), uv: true, counter: 1, forged: true },
    );
    assert!(matches!(world.app.passkeys.sign_in(options.challenge_id, &forged, &Client::default()), Err(PasskeySignInError::Refused)));
    let right = answer_to(&options, &me, "cred-1", true, 1);
    let again = world.app.passkeys.sign_in(options.challenge_id, &right, &Client::default());
    assert!(matches!(again, Err(PasskeySignInError::Refused)), "a wrong answer used the challenge up");

    let stale = world.app.passkeys.start_registration(&me, None);
    assert!(matches!(stale, Err(PasskeyError::Reauth(_))), "registering is a fresh operation: {stale:?}");
    let start = world.app.passkeys.start_registration(&me, Some(&candidate(PASSWORD))).unwrap();
    let as_sign_in = answer_to(&start, &me, "cred-1", true, 1);
    assert!(
        matches!(world.app.passkeys.sign_in(start.challenge_id, &as_sign_in, &Client::default()), Err(PasskeySignInError::Refused)),
        "a registration's challenge is no sign-in's"
    );
}

#[test]
fn a_discoverable_sign_in_needs_the_owners_user_handle() {
    let world = World::new();
    let (me, _) = world.signed_in("handle@example.com");
    let (other, _) = world.signed_in("other@example.com");
    registered(&world, &me, "cred-1");
    let options = world.app.passkeys.sign_in_options(None).unwrap();
    let answer = answer_to(&options, &other, "cred-1", true, 1);
    assert!(matches!(world.app.passkeys.sign_in(options.challenge_id, &answer, &Client::default()), Err(PasskeySignInError::Refused)));
    let options = world.app.passkeys.sign_in_options(None).unwrap();
    let no_handle = FakeCeremonies::answer(
        &options.options,
        &FakeAnswer { credential_id: "cred-1".into(), uv: true, counter: 1, ..FakeAnswer::default() },
    );
    assert!(matches!(world.app.passkeys.sign_in(options.challenge_id, &no_handle, &Client::default()), Err(PasskeySignInError::Refused)));
}

#[test]
fn a_counter_that_does_not_move_forward_is_refused_and_recorded() {
    let world = World::new();
    let (me, _) = world.signed_in("counter@example.com");
    registered(&world, &me, "cred-1");
    for (counter, accepted) in [(5, true), (5, false), (3, false), (6, true)] {
        let options = world.app.passkeys.sign_in_options(None).unwrap();
        let outcome =
            world.app.passkeys.sign_in(options.challenge_id, &answer_to(&options, &me, "cred-1", true, counter), &Client::default());
        assert_eq!(outcome.is_ok(), accepted, "counter {counter}");
    }
    let regressions = world.mem.store.events().into_iter().filter(|e| e.kind == AuditKind::PasskeyCounterRegressed).count();
    assert_eq!(regressions, 2);
}

#[test]
fn an_account_holds_at_most_twenty_passkeys() {
    let world = World::new();
    let (me, _) = world.signed_in("many@example.com");
    for n in 0..PasskeyRules::MAX_PER_ACCOUNT {
        registered(&world, &me, &format!("cred-{n}"));
    }
    assert!(matches!(world.app.passkeys.start_registration(&me, None), Err(PasskeyError::LimitReached)));
    assert_eq!(world.app.passkeys.list(&me).unwrap().len(), PasskeyRules::MAX_PER_ACCOUNT as usize);
}

#[test]
fn after_a_passkey_without_user_verification_the_second_step_is_of_another_kind() {
    let world = World::new();
    let (me, _) = world.signed_in("second@example.com");
    registered(&world, &me, "cred-1");
    let enrolment = world.app.mfa.start_totp(&me, None).unwrap();
    let secret = crate::mfa::secret_of(enrolment.secret());
    let code = domain::OtpCode::parse(&crate::mfa::code(&world, &secret, 0)).unwrap();
    world.app.mfa.confirm_totp(&me, &code, &Client::default()).unwrap();

    let options = world.app.passkeys.sign_in_options(None).unwrap();
    let outcome =
        world.app.passkeys.sign_in(options.challenge_id, &answer_to(&options, &me, "cred-1", false, 1), &Client::default()).unwrap();
    let SignInOutcome::SecondStep(second) = outcome else { panic!("two-step sign-in is on") };
    assert!(!second.methods.contains(&domain::SecondFactor::Passkey));
    let refused = world.app.passkeys.sign_in_options(Some(second.mfa_token.expose()));
    assert!(matches!(refused, Err(PasskeySignInError::Refused)), "no passkey options for a passkey's second step");
}
