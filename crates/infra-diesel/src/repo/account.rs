//! The statements on one account's rows that the transactions of several repositories share:
//! locking the account, and forgetting its emailed links. Their one home, so `users` and
//! `links` need not import each other.

use crate::connection::AnyConnection;
use crate::rows::UserRow;
use crate::schema::{email_links, users};
use crate::store::{load_for_update, unique};
use diesel::prelude::*;
use domain::{LinkPurpose, UserId};

/// Deletes the account's unused links of `purpose`.
pub(crate) fn forget_links(c: &mut AnyConnection, user: UserId, purpose: LinkPurpose) -> QueryResult<usize> {
    diesel::delete(email_links::table.filter(email_links::user_id.eq(user.to_string())).filter(email_links::purpose.eq(purpose.as_str())))
        .execute(c)
}

/// The account's row, locked for the rest of the transaction (after the admins, in that order).
pub(crate) fn lock_user(c: &mut AnyConnection, id: UserId) -> QueryResult<Option<UserRow>> {
    unique(load_for_update!(c, users::table.find(id.to_string()).select(UserRow::as_select())))
}
