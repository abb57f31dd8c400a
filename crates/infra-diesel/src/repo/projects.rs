use crate::rows::{ProjectRow, db_time};
use crate::schema::projects;
use crate::store::{DieselStore, count, limit_offset, on_backend, unique};
use diesel::prelude::*;
use domain::{InfraError, Page, PageRequest, Project, ProjectId, ProjectRepository, UserId};

impl ProjectRepository for DieselStore {
    fn insert(&self, project: &Project) -> Result<(), InfraError> {
        // An unknown owner violates the foreign key: an internal error, as in the memory store.
        self.run(|c| diesel::insert_into(projects::table).values(ProjectRow::new(project)).execute(c))?;
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

    fn update(&self, project: &Project) -> Result<bool, InfraError> {
        let updated = self.run(|c| {
            diesel::update(projects::table.find(project.id.to_string()))
                .set((
                    projects::name.eq(project.name.as_str()),
                    projects::description.eq(project.description.as_str()),
                    projects::updated_at.eq(db_time(project.updated_at)),
                ))
                .execute(c)
        })?;
        Ok(updated > 0)
    }

    fn delete(&self, id: ProjectId, owner: UserId) -> Result<bool, InfraError> {
        // Its tasks go by ON DELETE CASCADE.
        let deleted =
            self.run(|c| diesel::delete(projects::table.find(id.to_string()).filter(projects::owner_id.eq(owner.to_string()))).execute(c))?;
        Ok(deleted > 0)
    }
}
