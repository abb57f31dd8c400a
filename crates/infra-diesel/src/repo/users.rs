use crate::error::{self, infra};
use crate::rows::{NewUser, UserChanges, UserRow, db_time};
use crate::schema::users;
use crate::store::{DieselStore, count, limit_offset, on_backend, unique};
use diesel::dsl::exists;
use diesel::prelude::*;
use domain::{
    Email, EmailTaken, InfraError, Page, PageRequest, PasswordHash, Role, Timestamp, UniqueEmailError, User, UserId, UserRepository,
};

impl UserRepository for DieselStore {
    fn insert(&self, user: &User, password_hash: &PasswordHash) -> Result<(), UniqueEmailError> {
        let mut conn = self.conn()?;
        // The unique index decides: of racing registrations exactly one insert succeeds.
        diesel::insert_into(users::table).values(NewUser::new(user, password_hash)).execute(&mut *conn).map_err(error::email_write)?;
        Ok(())
    }

    fn find(&self, id: UserId) -> Result<Option<User>, InfraError> {
        let row = self.run(|c| unique(users::table.find(id.to_string()).select(UserRow::as_select()).load(c)))?;
        row.map(UserRow::into_domain).transpose()
    }

    fn find_credentials(&self, email: &Email) -> Result<Option<(User, PasswordHash)>, InfraError> {
        let row = self.run(|c| {
            let query = users::table.filter(users::email.eq(email.as_str())).select((UserRow::as_select(), users::password_hash));
            unique(query.load::<(UserRow, String)>(c))
        })?;
        row.map(|(user, hash)| Ok((user.into_domain()?, PasswordHash::new(hash)))).transpose()
    }

    fn password_hash(&self, id: UserId) -> Result<Option<PasswordHash>, InfraError> {
        let hash = self.run(|c| unique(users::table.find(id.to_string()).select(users::password_hash).load::<String>(c)))?;
        Ok(hash.map(PasswordHash::new))
    }

    fn update(&self, user: &User) -> Result<bool, UniqueEmailError> {
        let mut conn = self.conn()?;
        let updated = diesel::update(users::table.find(user.id.to_string()))
            .set(UserChanges::new(user))
            .execute(&mut *conn)
            .map_err(error::email_write)?;
        if updated > 0 {
            return Ok(true);
        }
        // The account is gone; like the in-memory store, a taken email is still reported first.
        let taken = diesel::select(exists(users::table.filter(users::email.eq(user.email.as_str()))))
            .get_result::<bool>(&mut *conn)
            .map_err(infra)?;
        if taken { Err(EmailTaken.into()) } else { Ok(false) }
    }

    fn set_password_hash(&self, id: UserId, hash: &PasswordHash, now: Timestamp) -> Result<bool, InfraError> {
        let updated = self.run(|c| {
            diesel::update(users::table.find(id.to_string()))
                .set((users::password_hash.eq(hash.as_str()), users::updated_at.eq(db_time(now))))
                .execute(c)
        })?;
        Ok(updated > 0)
    }

    fn delete(&self, id: UserId) -> Result<bool, InfraError> {
        // Sessions (with their refresh tokens), projects and tasks go by ON DELETE CASCADE.
        let deleted = self.run(|c| diesel::delete(users::table.find(id.to_string())).execute(c))?;
        Ok(deleted > 0)
    }

    fn list(&self, page: PageRequest) -> Result<Page<User>, InfraError> {
        let (limit, offset) = limit_offset(page);
        let (total, rows) = self.run(|c| {
            on_backend!(c, |c| {
                let total = users::table.count().get_result::<i64>(c)?;
                let rows = users::table
                    .order((users::created_at.asc(), users::id.asc()))
                    .limit(limit)
                    .offset(offset)
                    .select(UserRow::as_select())
                    .load::<UserRow>(c)?;
                Ok((total, rows))
            })
        })?;
        let items = rows.into_iter().map(UserRow::into_domain).collect::<Result<_, _>>()?;
        Ok(Page::new(items, count(total), page))
    }

    fn count_active_admins(&self) -> Result<u64, InfraError> {
        let n = self.run(|c| {
            users::table.filter(users::is_active.eq(true)).filter(users::role.eq(Role::Admin.as_str())).count().get_result::<i64>(c)
        })?;
        Ok(count(n))
    }
}
