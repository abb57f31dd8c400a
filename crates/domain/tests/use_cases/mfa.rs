//! Two-step sign-in on the in-memory adapters: enrolment and confirmation, the second step, no
//! code twice, the accepted window at its edges (a moved clock), the lockout counting codes, the
//! life of an `mfa_token`, recovery codes, the fresh rule, an admin's reset and
//! `require_mfa_for_admins`.

use crate::support::{PASSWORD, World, candidate};
use chrono::Duration;
use domain::memory::FakeOtp;
use domain::{
    AdminError, AttemptPolicy, AuditKind, AuthMethod, Client, Clock, MfaError, OtpCode, PageRequest, Principal, ReauthError, SecondProof,
    SecondStepCode, SecondStepError, SessionPolicy, SignInOutcome, TokenPair, TotpRules, TotpSecret,
};

/// The secret of an enrolment as the fake generator shows it (hex).
pub(crate) fn secret_of(shown: &str) -> TotpSecret {
    TotpSecret::new((0..shown.len() / 2).map(|i| u8::from_str_radix(&shown[2 * i..2 * i + 2], 16).unwrap()).collect())
}

/// The code an authenticator app shows `steps` steps from now.
pub(crate) fn code(w: &World, secret: &TotpSecret, steps: i64) -> String {
    FakeOtp::code_of(secret, TotpRules::step_at(w.mem.clock.now()) + steps)
}

/// `ada` signed in, with two-step sign-in on; her secret, her recovery codes and her session.
fn with_totp(w: &World) -> (TotpSecret, Vec<String>, Principal) {
    let (ada, _) = w.signed_in("ada@example.com");
    let enrolment = w.app.mfa.start_totp(&ada, None).unwrap();
    let secret = secret_of(enrolment.secret());
    let codes = w.app.mfa.confirm_totp(&ada, &OtpCode::parse(&code(w, &secret, 0)).unwrap(), &Client::default()).unwrap();
    // The next step: the confirming code's step is used up.
    w.mem.clock.advance(Duration::seconds(TotpRules::PERIOD_SECS));
    (secret, codes.iter().map(domain::RecoveryCode::display).collect(), ada)
}

fn first_step(w: &World) -> String {
    match w.app.auth.login("ada@example.com", &candidate(PASSWORD), &Client::default()).unwrap() {
        SignInOutcome::SecondStep(second) => second.mfa_token.expose().to_owned(),
        SignInOutcome::Complete(_) => panic!("two-step sign-in is on: no session after the password"),
    }
}

fn second_step(w: &World, token: &str, typed: &str) -> Result<TokenPair, SecondStepError> {
    w.app.auth.second_step(token, &SecondProof::Code(SecondStepCode::parse(typed).unwrap()), &Client::default())
}

#[test]
fn confirming_turns_it_on_ends_the_other_sessions_and_the_next_refresh_is_two_factor() {
    let w = World::new();
    w.register("ada@example.com");
    let other = w.login("ada@example.com");
    let ada = w.principal(&w.login("ada@example.com"));
    let secret = secret_of(w.app.mfa.start_totp(&ada, None).unwrap().secret());
    let codes = w.app.mfa.confirm_totp(&ada, &OtpCode::parse(&code(&w, &secret, 0)).unwrap(), &Client::default()).unwrap();
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().map(domain::RecoveryCode::display).all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
    let status = w.app.mfa.status(&ada).unwrap();
    assert!(status.totp && status.totp_enabled_at.is_some());
    assert_eq!(status.recovery_codes_left, 10);
    assert!(w.app.auth.authenticate(other.access_token.expose()).is_err(), "a session signed in with less was ended");
    let tokens = w.mem.store.sessions_of(ada.user_id());
    assert_eq!(tokens.len(), 1, "only the confirming session is left");
    assert_eq!(tokens[0].amr.methods().collect::<Vec<_>>(), [AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Mfa]);
    assert!(w.mail_to("ada@example.com").iter().any(|m| m.subject == "Two-step sign-in is on"));
}

#[test]
fn a_password_alone_opens_no_session_and_the_second_step_does() {
    let w = World::new();
    let (secret, _, _) = with_totp(&w);
    let token = first_step(&w);
    let pair = second_step(&w, &token, &code(&w, &secret, 0)).unwrap();
    let me = w.principal(&pair);
    assert_eq!(me.amr().methods().collect::<Vec<_>>(), [AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Mfa]);
    assert!(matches!(second_step(&w, &token, &code(&w, &secret, 0)), Err(SecondStepError::InvalidToken)), "an mfa_token works once");
}

#[test]
fn no_code_works_twice_nor_an_earlier_steps() {
    let w = World::new();
    let (secret, _, _) = with_totp(&w);
    let now = code(&w, &secret, 0);
    second_step(&w, &first_step(&w), &now).unwrap();
    assert!(matches!(second_step(&w, &first_step(&w), &now), Err(SecondStepError::WrongCode)), "the same code again");
    assert!(matches!(second_step(&w, &first_step(&w), &code(&w, &secret, -1)), Err(SecondStepError::WrongCode)), "an earlier step's");
    second_step(&w, &first_step(&w), &code(&w, &secret, 1)).unwrap();
    w.mem.clock.advance(Duration::seconds(TotpRules::PERIOD_SECS));
    assert!(matches!(second_step(&w, &first_step(&w), &code(&w, &secret, 0)), Err(SecondStepError::WrongCode)), "a step used early");
}

#[test]
fn codes_of_the_step_before_and_after_are_accepted_and_no_further() {
    for (steps, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
        let w = World::new();
        let (secret, _, _) = with_totp(&w);
        // Well inside a step, so the step does not change while the test runs.
        let into_step = w.mem.clock.now().timestamp().rem_euclid(TotpRules::PERIOD_SECS);
        w.mem.clock.advance(Duration::seconds(TotpRules::PERIOD_SECS + 15 - into_step));
        let result = second_step(&w, &first_step(&w), &code(&w, &secret, steps));
        assert_eq!(result.is_ok(), accepted, "a code {steps} steps away: {result:?}");
    }
}

#[test]
fn an_mfa_token_dies_after_five_wrong_codes_or_300_seconds() {
    let w = World::new();
    let (secret, _, _) = with_totp(&w);
    let token = first_step(&w);
    for _ in 0..5 {
        assert!(matches!(second_step(&w, &token, "000000"), Err(SecondStepError::WrongCode | SecondStepError::InvalidToken)));
    }
    assert!(matches!(second_step(&w, &token, &code(&w, &secret, 0)), Err(SecondStepError::InvalidToken)), "dead after five");
    let failed = w.mem.store.events().into_iter().filter(|e| e.kind == AuditKind::MfaFailed).count();
    assert_eq!(failed, 5);

    let late = first_step(&w);
    w.mem.clock.advance(Duration::seconds(301));
    assert!(matches!(second_step(&w, &late, &code(&w, &secret, 0)), Err(SecondStepError::InvalidToken)), "dead after 300 s");
}

#[test]
fn every_code_counts_against_the_lockout_before_it_is_checked() {
    let policy = SessionPolicy { lockout: AttemptPolicy { limit: 3, window: Duration::minutes(15) }, ..SessionPolicy::default() };
    let w = World::with_policy(policy);
    let (secret, _, _) = with_totp(&w);
    let token = first_step(&w);
    for _ in 0..3 {
        assert!(matches!(second_step(&w, &token, "000000"), Err(SecondStepError::WrongCode)));
    }
    assert!(matches!(second_step(&w, &token, &code(&w, &secret, 0)), Err(SecondStepError::Locked { .. })), "even the right code");
}

#[test]
fn a_recovery_code_works_once_and_its_owner_is_told() {
    let w = World::new();
    let (_, codes, ada) = with_totp(&w);
    let before = w.mail_to("ada@example.com").len();
    let pair = second_step(&w, &first_step(&w), &codes[3].to_uppercase().replace('-', "")).unwrap();
    assert!(w.principal(&pair).amr().has(AuthMethod::Otp));
    assert!(matches!(second_step(&w, &first_step(&w), &codes[3]), Err(SecondStepError::WrongCode)), "used up");
    assert_eq!(w.app.mfa.status(&ada).unwrap().recovery_codes_left, 9);
    assert_eq!(w.mail_to("ada@example.com").len(), before + 1);
    assert!(w.mem.store.events().iter().any(|e| e.kind == AuditKind::MfaRecoveryCodeUsed));
}

#[test]
fn sensitive_operations_need_a_fresh_session_or_the_password() {
    let policy = SessionPolicy { fresh_window: Duration::minutes(5), ..SessionPolicy::default() };
    let w = World::with_policy(policy);
    let (ada, _) = w.signed_in("ada@example.com");
    w.mem.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    assert!(matches!(w.app.mfa.start_totp(&ada, None), Err(MfaError::Reauth(ReauthError::CurrentPasswordRequired))));
    assert!(matches!(w.app.mfa.start_totp(&ada, Some(&candidate("not it"))), Err(MfaError::Reauth(ReauthError::WrongPassword))));
    assert!(w.app.mfa.start_totp(&ada, Some(&candidate(PASSWORD))).is_ok());
    // A refresh keeps the sign-in's time: it does not make a session fresh again.
    let refreshed = w.app.auth.refresh(w.login("ada@example.com").refresh_token.expose(), &Client::default()).unwrap();
    let again = w.principal(&refreshed);
    assert!(w.app.mfa.start_totp(&again, None).is_ok(), "a sign-in just now is fresh");
    w.mem.clock.advance(Duration::minutes(6));
    let later = w.app.auth.refresh(refreshed.refresh_token.expose(), &Client::default()).unwrap();
    assert!(matches!(w.app.mfa.start_totp(&w.principal(&later), None), Err(MfaError::Reauth(ReauthError::CurrentPasswordRequired))));
}

#[test]
fn turning_it_off_or_making_new_codes_needs_a_code() {
    let w = World::new();
    let (secret, codes, ada) = with_totp(&w);
    let wrong = SecondStepCode::parse("000000").unwrap();
    assert!(matches!(w.app.mfa.regenerate_recovery_codes(&ada, None, &wrong, &Client::default()), Err(MfaError::WrongCode)));
    let fresh = w.app.mfa.regenerate_recovery_codes(&ada, None, &SecondStepCode::parse(&codes[0]).unwrap(), &Client::default()).unwrap();
    assert!(
        matches!(w.app.mfa.disable(&ada, None, &SecondStepCode::parse(&codes[1]).unwrap(), &Client::default()), Err(MfaError::WrongCode)),
        "the old codes died"
    );
    assert!(matches!(w.app.mfa.disable(&ada, None, &SecondStepCode::parse(&code(&w, &secret, 0)).unwrap(), &Client::default()), Ok(())));
    assert!(!w.app.mfa.status(&ada).unwrap().totp);
    assert_eq!(w.app.mfa.status(&ada).unwrap().recovery_codes_left, 0, "the codes died with it");
    assert!(matches!(w.app.auth.login("ada@example.com", &candidate(PASSWORD), &Client::default()), Ok(SignInOutcome::Complete(_))));
    assert!(fresh.len() == 10);
}

#[test]
fn an_admin_resets_anothers_factors_ending_their_sessions_but_not_their_own() {
    let w = World::new();
    let (_, _, ada) = with_totp(&w);
    let (admin, _) = w.signed_in_admin("root@example.com");
    assert!(matches!(w.app.admin.reset_second_factors(&admin, admin.user_id(), &Client::default()), Err(AdminError::Forbidden)));
    assert!(matches!(w.app.admin.reset_second_factors(&ada, admin.user_id(), &Client::default()), Err(AdminError::Forbidden)));
    w.app.admin.reset_second_factors(&admin, ada.user_id(), &Client::default()).unwrap();
    assert!(w.mem.store.sessions_of(ada.user_id()).is_empty(), "every session of the account ended");
    assert!(!w.app.mfa.status(&ada).unwrap().totp);
    assert!(matches!(w.app.auth.login("ada@example.com", &candidate(PASSWORD), &Client::default()), Ok(SignInOutcome::Complete(_))));
    let reset = w.mem.store.events().into_iter().find(|e| e.kind == AuditKind::MfaReset).unwrap();
    assert_eq!(reset.actor_id, Some(admin.user_id()));
    assert!(w.mail_to("ada@example.com").iter().any(|m| m.subject == "An administrator removed your second factors"));
}

#[test]
fn admins_need_a_two_factor_session_when_the_setting_asks() {
    let policy = SessionPolicy { require_mfa_for_admins: true, ..SessionPolicy::default() };
    let w = World::with_policy(policy);
    let (admin, _) = w.signed_in_admin("root@example.com");
    assert!(matches!(w.app.admin.list_users(&admin, PageRequest::default()), Err(AdminError::MfaEnrolmentRequired)));
    let enrolment = w.app.mfa.start_totp(&admin, None).unwrap();
    let secret = secret_of(enrolment.secret());
    w.app.mfa.confirm_totp(&admin, &OtpCode::parse(&code(&w, &secret, 0)).unwrap(), &Client::default()).unwrap();
    w.mem.clock.advance(Duration::seconds(TotpRules::PERIOD_SECS));
    let token = match w.app.auth.login("root@example.com", &candidate(PASSWORD), &Client::default()).unwrap() {
        SignInOutcome::SecondStep(second) => second.mfa_token.expose().to_owned(),
        SignInOutcome::Complete(_) => panic!("two-step sign-in is on"),
    };
    let pair = second_step(&w, &token, &code(&w, &secret, 0)).unwrap();
    assert!(w.app.admin.list_users(&w.principal(&pair), PageRequest::default()).is_ok());
}
