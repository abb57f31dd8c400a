//! Provider identities and the flows of provider sign-ins. The unique (issuer, `sub`) index
//! decides between racing links and sign-ups; a flow's `state` and an app's code are taken by a
//! conditional delete, so of racing callbacks or redemptions on any number of instances exactly
//! one gets each; an unlink locks its account's row, counts its ways in and deletes in one
//! transaction.

use crate::connection::{AnyConnection, write_transaction};
use crate::error::{CorruptRow, infra, is_email_violation};
use crate::repo::account::lock_user;
use crate::repo::audit::record_events;
use crate::repo::links::store_link;
use crate::repo::passkeys::count_passkeys;
use crate::rows::{NewUser, db_time, domain_time, parse};
use crate::schema::{identities, oidc_codes, oidc_flows, users};
use crate::store::{DieselStore, affected, unique};
use crate::stored_time::StoredTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use domain::{
    AuditEvent, Email, FlowDigest, FlowPurpose, Identity, IdentityId, IdentityLink, IdentityRepository, IdentitySignUp, InfraError,
    LinkIssue, OidcFlow, PasswordHash, PkceChallenge, ProviderId, SignInCode, Timestamp, Unlink, User, UserId,
};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = identities)]
struct IdentityRow {
    id: String,
    user_id: String,
    provider: String,
    issuer: String,
    subject: String,
    email: Option<String>,
    linked_at: StoredTime,
    last_sign_in_at: Option<StoredTime>,
}

impl IdentityRow {
    fn new(identity: &Identity) -> Self {
        Self {
            id: identity.id.to_string(),
            user_id: identity.user_id.to_string(),
            provider: identity.provider.to_string(),
            issuer: identity.issuer.clone(),
            subject: identity.subject.clone(),
            email: identity.email.as_ref().map(|e| e.as_str().to_owned()),
            linked_at: db_time(identity.linked_at),
            last_sign_in_at: identity.last_sign_in_at.map(db_time),
        }
    }

    fn into_domain(self) -> Result<Identity, InfraError> {
        Ok(Identity {
            id: parse::<uuid::Uuid>("identities.id", &self.id).map(IdentityId::from_uuid)?,
            user_id: parse::<uuid::Uuid>("identities.user_id", &self.user_id).map(UserId::from_uuid)?,
            provider: provider("identities.provider", &self.provider)?,
            issuer: self.issuer,
            subject: self.subject,
            email: self.email.map(|e| Email::parse(&e).map_err(|e| CorruptRow::error("identities.email", e))).transpose()?,
            linked_at: domain_time(self.linked_at),
            last_sign_in_at: self.last_sign_in_at.map(domain_time),
        })
    }
}

fn provider(column: &'static str, raw: &str) -> Result<ProviderId, InfraError> {
    ProviderId::parse(raw).map_err(|e| CorruptRow::error(column, e))
}

fn challenge(column: &'static str, raw: &str) -> Result<PkceChallenge, InfraError> {
    PkceChallenge::parse(raw).map_err(|e| CorruptRow::error(column, e))
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_flows)]
struct FlowRow {
    digest: String,
    provider: String,
    user_id: Option<String>,
    app_challenge: Option<String>,
    redirect_uri: String,
    nonce: String,
    pkce_verifier: String,
    expires_at: StoredTime,
}

impl FlowRow {
    fn new(flow: &OidcFlow) -> Self {
        let (user_id, app_challenge) = match &flow.purpose {
            FlowPurpose::SignIn { app_challenge } => (None, Some(app_challenge.as_str().to_owned())),
            FlowPurpose::Link { user_id } => (Some(user_id.to_string()), None),
        };
        Self {
            digest: flow.digest.as_str().to_owned(),
            provider: flow.provider.to_string(),
            user_id,
            app_challenge,
            redirect_uri: flow.redirect_uri.clone(),
            nonce: flow.nonce.clone(),
            pkce_verifier: flow.pkce_verifier.clone(),
            expires_at: db_time(flow.expires_at),
        }
    }

    fn into_domain(self) -> Result<OidcFlow, InfraError> {
        let purpose = match (self.user_id, self.app_challenge) {
            (Some(user), None) => FlowPurpose::Link { user_id: parse::<uuid::Uuid>("oidc_flows.user_id", &user).map(UserId::from_uuid)? },
            (None, Some(app)) => FlowPurpose::SignIn { app_challenge: challenge("oidc_flows.app_challenge", &app)? },
            _ => return Err(CorruptRow::error("oidc_flows.user_id", "exactly one of user_id and app_challenge")),
        };
        Ok(OidcFlow {
            digest: FlowDigest::new(self.digest),
            provider: provider("oidc_flows.provider", &self.provider)?,
            purpose,
            redirect_uri: self.redirect_uri,
            nonce: self.nonce,
            pkce_verifier: self.pkce_verifier,
            expires_at: domain_time(self.expires_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_codes)]
struct CodeRow {
    digest: String,
    user_id: String,
    provider: String,
    redirect_uri: String,
    app_challenge: String,
    expires_at: StoredTime,
}

impl CodeRow {
    fn new(code: &SignInCode) -> Self {
        Self {
            digest: code.digest.as_str().to_owned(),
            user_id: code.user_id.to_string(),
            provider: code.provider.to_string(),
            redirect_uri: code.redirect_uri.clone(),
            app_challenge: code.app_challenge.as_str().to_owned(),
            expires_at: db_time(code.expires_at),
        }
    }

    fn into_domain(self) -> Result<SignInCode, InfraError> {
        Ok(SignInCode {
            digest: FlowDigest::new(self.digest),
            user_id: parse::<uuid::Uuid>("oidc_codes.user_id", &self.user_id).map(UserId::from_uuid)?,
            provider: provider("oidc_codes.provider", &self.provider)?,
            redirect_uri: self.redirect_uri,
            app_challenge: challenge("oidc_codes.app_challenge", &self.app_challenge)?,
            expires_at: domain_time(self.expires_at),
        })
    }
}

/// Whether `error` is the unique (issuer, `sub`) index refusing a second link.
fn is_identity_violation(error: &Error) -> bool {
    matches!(error, Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) && !is_email_violation(error)
}

fn find_row(c: &mut AnyConnection, issuer: &str, subject: &str) -> QueryResult<Option<IdentityRow>> {
    unique(
        identities::table
            .filter(identities::issuer.eq(issuer))
            .filter(identities::subject.eq(subject))
            .select(IdentityRow::as_select())
            .load(c),
    )
}

/// Why a link's transaction stopped.
enum LinkStop {
    Db(Error),
    Not(IdentityLink),
}

impl From<Error> for LinkStop {
    fn from(e: Error) -> Self {
        Self::Db(e)
    }
}

impl IdentityRepository for DieselStore {
    fn find_identity(&self, issuer: &str, subject: &str) -> Result<Option<Identity>, InfraError> {
        self.run(|c| find_row(c, issuer, subject))?.map(IdentityRow::into_domain).transpose()
    }

    fn link(&self, identity: &Identity, audit: &[AuditEvent]) -> Result<IdentityLink, InfraError> {
        let row = IdentityRow::new(identity);
        let mut conn = self.write_conn()?;
        let outcome = write_transaction(&mut conn, |c| {
            if lock_user(c, identity.user_id)?.is_none() {
                return Err(LinkStop::Not(IdentityLink::OwnerGone));
            }
            if let Some(held) = find_row(c, &row.issuer, &row.subject)? {
                return Err(LinkStop::Not(if held.user_id == row.user_id { IdentityLink::AlreadyYours } else { IdentityLink::InUse }));
            }
            diesel::insert_into(identities::table).values(&row).execute(c)?;
            record_events(c, audit)?;
            Ok(())
        });
        drop(conn);
        match outcome {
            Ok(()) => Ok(IdentityLink::Linked),
            Err(LinkStop::Not(outcome)) => Ok(outcome),
            // A racing link of the same identity committed first: whose is it now?
            Err(LinkStop::Db(e)) if is_identity_violation(&e) => match self.find_identity(&row.issuer, &row.subject)? {
                Some(held) if held.user_id == identity.user_id => Ok(IdentityLink::AlreadyYours),
                _ => Ok(IdentityLink::InUse),
            },
            Err(LinkStop::Db(e)) => Err(infra(e)),
        }
    }

    fn sign_up(
        &self,
        user: &User,
        identity: &Identity,
        verify: Option<&LinkIssue>,
        audit: &[AuditEvent],
    ) -> Result<IdentitySignUp, InfraError> {
        let none = PasswordHash::none();
        let mut conn = self.write_conn()?;
        let outcome = write_transaction(&mut conn, |c| {
            diesel::insert_into(users::table).values(NewUser::new(user, &none)).execute(c)?;
            diesel::insert_into(identities::table).values(IdentityRow::new(identity)).execute(c)?;
            if let Some(issue) = verify {
                store_link(c, issue)?;
            }
            record_events(c, audit)
        });
        match outcome {
            Ok(()) => Ok(IdentitySignUp::Created),
            Err(e) if is_email_violation(&e) => Ok(IdentitySignUp::EmailTaken),
            Err(e) if is_identity_violation(&e) => Ok(IdentitySignUp::IdentityTaken),
            Err(e) => Err(infra(e)),
        }
    }

    fn list_identities(&self, user: UserId) -> Result<Vec<Identity>, InfraError> {
        let user = user.to_string();
        let rows = self.run(|c| {
            identities::table
                .filter(identities::user_id.eq(&user))
                .order((identities::linked_at.asc(), identities::id.asc()))
                .select(IdentityRow::as_select())
                .load::<IdentityRow>(c)
        })?;
        rows.into_iter().map(IdentityRow::into_domain).collect()
    }

    fn unlink(&self, user: UserId, id: IdentityId, audit: &[AuditEvent]) -> Result<Unlink, InfraError> {
        let user_key = user.to_string();
        self.run_write(|c| {
            write_transaction(c, |c| {
                if lock_user(c, user)?.is_none() {
                    return Ok(Unlink::NotFound);
                }
                let hash: String = users::table.find(&user_key).select(users::password_hash).first(c)?;
                let linked: Vec<String> = identities::table.filter(identities::user_id.eq(&user_key)).select(identities::id).load(c)?;
                if !linked.contains(&id.to_string()) {
                    return Ok(Unlink::NotFound);
                }
                let ways = domain::WaysIn {
                    password: PasswordHash::new(hash).is_set(),
                    identities: u32::try_from(linked.len()).unwrap_or(u32::MAX),
                    passkeys: count_passkeys(c, user)?,
                };
                if !ways.may_unlink_identity() {
                    return Ok(Unlink::LastWayIn);
                }
                diesel::delete(identities::table.find(id.to_string()).filter(identities::user_id.eq(&user_key))).execute(c)?;
                record_events(c, audit)?;
                Ok(Unlink::Unlinked)
            })
        })
    }

    fn record_sign_in(&self, id: IdentityId, now: Timestamp) -> Result<(), InfraError> {
        self.run_write(|c| {
            diesel::update(identities::table.find(id.to_string())).set(identities::last_sign_in_at.eq(db_time(now))).execute(c)
        })
        .map(drop)
    }

    fn insert_flow(&self, flow: &OidcFlow) -> Result<(), InfraError> {
        self.run_write(|c| diesel::insert_into(oidc_flows::table).values(FlowRow::new(flow)).execute(c)).map(drop)
    }

    fn take_flow(&self, digest: &FlowDigest) -> Result<Option<OidcFlow>, InfraError> {
        let row = self.run_write(|c| {
            let Some(row) = unique(oidc_flows::table.find(digest.as_str()).select(FlowRow::as_select()).load::<FlowRow>(c))? else {
                return Ok(None);
            };
            // Only the call whose delete removed the row took it: a racing one deletes nothing.
            let taken = diesel::delete(oidc_flows::table.find(digest.as_str())).execute(c)?;
            Ok((taken == 1).then_some(row))
        })?;
        row.map(FlowRow::into_domain).transpose()
    }

    fn insert_code(&self, code: &SignInCode) -> Result<(), InfraError> {
        self.run_write(|c| diesel::insert_into(oidc_codes::table).values(CodeRow::new(code)).execute(c)).map(drop)
    }

    fn take_code(&self, digest: &FlowDigest) -> Result<Option<SignInCode>, InfraError> {
        let row = self.run_write(|c| {
            let Some(row) = unique(oidc_codes::table.find(digest.as_str()).select(CodeRow::as_select()).load::<CodeRow>(c))? else {
                return Ok(None);
            };
            let taken = diesel::delete(oidc_codes::table.find(digest.as_str())).execute(c)?;
            Ok((taken == 1).then_some(row))
        })?;
        row.map(CodeRow::into_domain).transpose()
    }

    fn purge_flows(&self, before: Timestamp) -> Result<u64, InfraError> {
        let before = db_time(before);
        let flows = self.run_write(|c| diesel::delete(oidc_flows::table.filter(oidc_flows::expires_at.le(before))).execute(c))?;
        let codes = self.run_write(|c| diesel::delete(oidc_codes::table.filter(oidc_codes::expires_at.le(before))).execute(c))?;
        Ok(affected(flows) + affected(codes))
    }
}
