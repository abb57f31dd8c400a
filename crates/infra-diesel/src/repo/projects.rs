use crate::connection::write_transaction;
use crate::rows::{ProjectChanges, ProjectRow};
use crate::schema::projects;
use crate::store::{DieselStore, count, limit_offset, on_backend, unique};
use diesel::prelude::*;
use domain::{InfraError, Page, PageRequest, Project, ProjectId, ProjectPatch, ProjectRepository, Removal, Timestamp, UserId};

impl ProjectRepository for DieselStore {
    fn insert(&self, project: &Project) -> Result<(), InfraError> {
        // An unknown owner violates the foreign key: an internal error, as in the memory store.
        self.run_write(|c| diesel::insert_into(projects::table).values(ProjectRow::new(project)).execute(c))?;
        Ok(())
    }

    fn find(&self, id: ProjectId, owner: UserId) -> Result<Option<Project>, InfraError> {
        let (id, owner) = (id.to_string(), owner.to_string());
        let row = self.run(|c| {
            on_backend!(c, |c| unique(
                projects::table.find(&id).filter(projects::owner_id.eq(&owner)).select(ProjectRow::as_select()).load::<ProjectRow>(c),
            ))
        })?;
        row.map(ProjectRow::into_domain).transpose()
    }

    fn list(&self, owner: UserId, page: PageRequest) -> Result<Page<Project>, InfraError> {
        let (limit, offset) = limit_offset(page);
        let owner = owner.to_string();
        let (total, rows) = self.run(|c| {
            on_backend!(c, |c| {
                let total = projects::table.filter(projects::owner_id.eq(&owner)).count().get_result::<i64>(c)?;
                let rows = projects::table
                    .filter(projects::owner_id.eq(&owner))
                    .order((projects::created_at.desc(), projects::id.desc()))
                    .limit(limit)
                    .offset(offset)
                    .select(ProjectRow::as_select())
                    .load::<ProjectRow>(c)?;
                Ok((total, rows))
            })
        })?;
        let items = rows.into_iter().map(ProjectRow::into_domain).collect::<Result<_, _>>()?;
        Ok(Page::new(items, count(total), page))
    }

    fn update(&self, id: ProjectId, owner: UserId, patch: &ProjectPatch, now: Timestamp) -> Result<Option<Project>, InfraError> {
        let row = self.run_write(|c| {
            write_transaction(c, |c| {
                let mine = projects::table.find(id.to_string()).filter(projects::owner_id.eq(owner.to_string()));
                if diesel::update(mine).set(ProjectChanges::new(patch, now)).execute(c)? == 0 {
                    return Ok(None);
                }
                unique(projects::table.find(id.to_string()).select(ProjectRow::as_select()).load(c))
            })
        })?;
        row.map(ProjectRow::into_domain).transpose()
    }

    fn delete(&self, id: ProjectId, owner: UserId) -> Result<Removal, InfraError> {
        // Its tasks go by ON DELETE CASCADE.
        let deleted = self.run_write(|c| {
            diesel::delete(projects::table.find(id.to_string()).filter(projects::owner_id.eq(owner.to_string()))).execute(c)
        })?;
        Ok(if deleted > 0 { Removal::Removed } else { Removal::NotFound })
    }
}
