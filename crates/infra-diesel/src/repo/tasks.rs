use crate::connection::write_transaction;
use crate::error::{infra, is_foreign_key_violation};
use crate::rows::{TaskChanges, TaskRow};
use crate::schema::{projects, tasks};
use crate::store::{DieselStore, count, limit_offset, on_backend, unique};
use diesel::prelude::*;
use domain::{
    InfraError, Page, PageRequest, ProjectId, Removal, Task, TaskId, TaskInsert, TaskPatch, TaskRepository, TaskStatus, Timestamp, UserId,
};

impl TaskRepository for DieselStore {
    fn insert(&self, task: &Task) -> Result<TaskInsert, InfraError> {
        let mut conn = self.write_conn()?;
        // The foreign key checks that the project still exists, atomically with the insert: a
        // project deleted a moment ago makes this `ProjectGone`, not an error. On the backend's
        // own connection: through the multi-connection diesel builds the statement's SQL again
        // on every insert (64k of its 155k instructions on SQLite, callgrind).
        let row = TaskRow::new(task);
        match on_backend!(&mut *conn, |c| diesel::insert_into(tasks::table).values(&row).execute(c)) {
            Ok(_) => Ok(TaskInsert::Inserted),
            Err(e) if is_foreign_key_violation(&e) => Ok(TaskInsert::ProjectGone),
            Err(e) => Err(infra(e)),
        }
    }

    fn find(&self, id: TaskId, owner: UserId) -> Result<Option<Task>, InfraError> {
        let row = self.run(|c| {
            unique(
                tasks::table
                    .inner_join(projects::table)
                    .filter(tasks::id.eq(id.to_string()))
                    .filter(projects::owner_id.eq(owner.to_string()))
                    .select(TaskRow::as_select())
                    .load(c),
            )
        })?;
        row.map(TaskRow::into_domain).transpose()
    }

    fn list(&self, project: ProjectId, status: Option<TaskStatus>, page: PageRequest) -> Result<Page<Task>, InfraError> {
        let (limit, offset) = limit_offset(page);
        let project = project.to_string();
        let (total, rows) = self.run(|c| {
            on_backend!(c, |c| {
                let mut counted = tasks::table.filter(tasks::project_id.eq(&project)).count().into_boxed();
                let mut listed = tasks::table.filter(tasks::project_id.eq(&project)).into_boxed();
                if let Some(status) = status {
                    counted = counted.filter(tasks::status.eq(status.as_str()));
                    listed = listed.filter(tasks::status.eq(status.as_str()));
                }
                let total = counted.get_result::<i64>(c)?;
                let rows = listed
                    .order((tasks::created_at.asc(), tasks::id.asc()))
                    .limit(limit)
                    .offset(offset)
                    .select(TaskRow::as_select())
                    .load::<TaskRow>(c)?;
                Ok((total, rows))
            })
        })?;
        let items = rows.into_iter().map(TaskRow::into_domain).collect::<Result<_, _>>()?;
        Ok(Page::new(items, count(total), page))
    }

    fn update(&self, id: TaskId, owner: UserId, patch: &TaskPatch, now: Timestamp) -> Result<Option<Task>, InfraError> {
        let row = self.run_write(|c| {
            write_transaction(c, |c| {
                let owned_projects = projects::table.filter(projects::owner_id.eq(owner.to_string())).select(projects::id);
                let mine = tasks::table.filter(tasks::id.eq(id.to_string())).filter(tasks::project_id.eq_any(owned_projects));
                if diesel::update(mine).set(TaskChanges::new(patch, now)).execute(c)? == 0 {
                    return Ok(None);
                }
                unique(tasks::table.find(id.to_string()).select(TaskRow::as_select()).load(c))
            })
        })?;
        row.map(TaskRow::into_domain).transpose()
    }

    fn delete(&self, id: TaskId, owner: UserId) -> Result<Removal, InfraError> {
        let deleted = self.run_write(|c| {
            let owned_projects = projects::table.filter(projects::owner_id.eq(owner.to_string())).select(projects::id);
            diesel::delete(tasks::table.filter(tasks::id.eq(id.to_string())).filter(tasks::project_id.eq_any(owned_projects))).execute(c)
        })?;
        Ok(if deleted > 0 { Removal::Removed } else { Removal::NotFound })
    }
}
