//! The statements on one account's rows that the transactions of several repositories share:
//! locking the account, and forgetting its emailed links. Their one home, so `users` and
//! `links` need not import each other.

use crate::connection::AnyConnection;
use crate::rows::UserRow;
use crate::schema::{email_links, users};
use crate::store::unique;
use diesel::prelude::*;
use domain::{LinkPurpose, UserId};

/// Deletes the account's unused links of `purpose`.
pub(crate) fn forget_links(c: &mut AnyConnection, user: UserId, purpose: LinkPurpose) -> QueryResult<usize> {
    diesel::delete(email_links::table.filter(email_links::user_id.eq(user.to_string())).filter(email_links::purpose.eq(purpose.as_str())))
        .execute(c)
}

/// The account's row, locked for the rest of the transaction (after the admins, in that order).
pub(crate) fn lock_user(c: &mut AnyConnection, id: UserId) -> QueryResult<Option<UserRow>> {
    let id = id.to_string();
    // Written per arm: `as_select` is typed by the backend it loads from.
    let rows = match c {
        AnyConnection::Sqlite(c) => users::table.find(id).select(UserRow::as_select()).load(c),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => users::table.find(id).select(UserRow::as_select()).for_update().load(c),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => users::table.find(id).select(UserRow::as_select()).for_update().load(c),
    };
    unique(rows)
}
