//! The audit log: one row per event, no foreign keys (an account's events outlive it), the
//! detail as a JSON object.

use crate::connection::AnyConnection;
use crate::error::CorruptRow;
use crate::rows::{db_time, domain_time, parse};
use crate::schema::audit_events;
use crate::store::{DieselStore, count, limit_offset, on_backend};
use crate::stored_time::StoredTime;
use diesel::prelude::*;
use domain::{
    AuditDetail, AuditEvent, AuditFilter, AuditKind, AuditLog, InfraError, Page, PageRequest, SessionId, Timestamp, UserAgent, UserId,
};
use serde_json::Value;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub(crate) struct AuditRow {
    id: String,
    at: StoredTime,
    kind: String,
    user_id: Option<String>,
    actor_id: Option<String>,
    session_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    detail: String,
}

impl AuditRow {
    pub(crate) fn new(event: &AuditEvent) -> Self {
        Self {
            id: event.id.to_string(),
            at: db_time(event.at),
            kind: event.kind.as_str().to_owned(),
            user_id: event.user_id.map(|id| id.to_string()),
            actor_id: event.actor_id.map(|id| id.to_string()),
            session_id: event.session_id.map(|id| id.to_string()),
            ip: event.ip.map(|ip| ip.to_string()),
            user_agent: event.user_agent.as_ref().map(|ua| ua.as_str().to_owned()),
            detail: Value::Object(event.detail.to_json()).to_string(),
        }
    }

    fn into_domain(self) -> Result<AuditEvent, InfraError> {
        let user = |column, raw: Option<String>| raw.map(|raw| parse::<uuid::Uuid>(column, &raw).map(UserId::from_uuid)).transpose();
        let stored = serde_json::from_str::<Value>(&self.detail).map_err(|e| CorruptRow::error("audit_events.detail", e))?;
        let detail = AuditDetail::from_json(stored).map_err(|e| CorruptRow::error("audit_events.detail", e))?;
        Ok(AuditEvent {
            id: parse("audit_events.id", &self.id)?,
            at: domain_time(self.at),
            kind: parse::<AuditKind>("audit_events.kind", &self.kind).map_err(|_| CorruptRow::error("audit_events.kind", &self.kind))?,
            user_id: user("audit_events.user_id", self.user_id)?,
            actor_id: user("audit_events.actor_id", self.actor_id)?,
            session_id: self
                .session_id
                .map(|raw| parse::<uuid::Uuid>("audit_events.session_id", &raw).map(SessionId::from_uuid))
                .transpose()?,
            ip: self.ip.map(|raw| parse("audit_events.ip", &raw)).transpose()?,
            user_agent: self.user_agent.as_deref().and_then(UserAgent::from_header),
            detail,
        })
    }
}

/// Writes `events` on `c`, inside the transaction of the change they record.
pub(crate) fn record_events(c: &mut AnyConnection, events: &[AuditEvent]) -> QueryResult<()> {
    for event in events {
        diesel::insert_into(audit_events::table).values(AuditRow::new(event)).execute(c)?;
    }
    Ok(())
}

impl AuditLog for DieselStore {
    fn record(&self, event: &AuditEvent) -> Result<(), InfraError> {
        self.run_write(|c| record_events(c, std::slice::from_ref(event)))
    }

    fn list(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditEvent>, InfraError> {
        let (limit, offset) = limit_offset(page);
        let user = filter.user_id.map(|id| id.to_string());
        let kind = filter.kind.map(AuditKind::as_str);
        let (since, until) = (filter.since.map(db_time), filter.until.map(db_time));
        let (total, rows) = self.run(|c| {
            on_backend!(c, |c| {
                let admitted = || {
                    let mut query = audit_events::table.into_boxed();
                    if let Some(user) = &user {
                        query = query.filter(audit_events::user_id.eq(user.clone()));
                    }
                    if let Some(kind) = kind {
                        query = query.filter(audit_events::kind.eq(kind));
                    }
                    if let Some(since) = since {
                        query = query.filter(audit_events::at.ge(since));
                    }
                    if let Some(until) = until {
                        query = query.filter(audit_events::at.lt(until));
                    }
                    query
                };
                let total = admitted().count().get_result::<i64>(c)?;
                let rows = admitted()
                    .order((audit_events::at.desc(), audit_events::id.desc()))
                    .limit(limit)
                    .offset(offset)
                    .select(AuditRow::as_select())
                    .load::<AuditRow>(c)?;
                Ok((total, rows))
            })
        })?;
        let items = rows.into_iter().map(AuditRow::into_domain).collect::<Result<_, _>>()?;
        Ok(Page::new(items, count(total), page))
    }

    fn purge(&self, before: Timestamp) -> Result<u64, InfraError> {
        let purged = self.run_write(|c| diesel::delete(audit_events::table.filter(audit_events::at.lt(db_time(before)))).execute(c))?;
        Ok(u64::try_from(purged).unwrap_or(0))
    }
}
