//! Several INSERTs sent to PostgreSQL as one statement:
//! `WITH w0 AS (INSERT …), w1 AS (INSERT …) INSERT …`.
//!
//! Why: inside a transaction each INSERT is a round trip, plus `BEGIN` and `COMMIT`, so every
//! row a write adds (a login's audit event beside its session and token) costs the network's
//! latency and its jitter. One statement is one round trip, and as atomic as the transaction
//! it replaces: PostgreSQL applies a statement whole or not at all. Foreign keys between the
//! parts hold: PostgreSQL checks them when the whole statement has run.

use diesel::PgConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};

/// The INSERTs of one write, in order; the last is the statement's main query.
#[derive(Default)]
pub(crate) struct OneStatement<'a> {
    inserts: Vec<Box<dyn QueryFragment<Pg> + 'a>>,
}

impl<'a> OneStatement<'a> {
    /// Adds `insert` (an `insert_into(…).values(…)` without `RETURNING`).
    pub(crate) fn then(mut self, insert: impl QueryFragment<Pg> + 'a) -> Self {
        self.inserts.push(Box::new(insert));
        self
    }
}

impl QueryFragment<Pg> for OneStatement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let Some((main, before)) = self.inserts.split_last() else {
            return Err(diesel::result::Error::QueryBuilderError("a statement needs at least one INSERT".into()));
        };
        for (i, insert) in before.iter().enumerate() {
            out.push_sql(if i == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("w{i} AS ("));
            insert.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        if !before.is_empty() {
            out.push_sql(" ");
        }
        main.walk_ast(out.reborrow())
    }
}

// Its SQL depends on how many INSERTs it holds, so no static id: diesel caches the prepared
// statement by its text instead.
impl QueryId for OneStatement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl RunQueryDsl<PgConnection> for OneStatement<'_> {}
