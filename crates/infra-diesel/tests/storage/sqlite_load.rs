//! SQLite under concurrent writers: one file, 8 threads, 200 inserts each, and not a single
//! `database is locked`. This is what `busy_timeout`, WAL and `BEGIN IMMEDIATE` are for.

use chrono::{Duration, TimeZone, Utc};
use domain::{PageRequest, Project, ProjectId, ProjectName, ProjectRepository, Session, SessionId, SessionRepository, User, UserId};
use infra_diesel::testing::TestDatabase;
use uuid::Uuid;

const THREADS: usize = 8;
const INSERTS: usize = 200;

#[test]
fn eight_threads_insert_two_hundred_rows_each_into_one_sqlite_file_without_errors() {
    let db = TestDatabase::sqlite();
    let store = db.database().store();
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let owner = User {
        id: UserId::from_uuid(Uuid::new_v4()),
        email: domain::Email::parse("load@x.io").unwrap(),
        name: domain::UserName::parse("Load").unwrap(),
        role: domain::Role::User,
        is_active: true,
        created_at: now,
        updated_at: now,
        email_verified: false,
        pending_email: None,
    };
    domain::UserRepository::insert(&store, &owner, &domain::PasswordHash::new("h".into()), &[]).unwrap();

    let errors: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (store, owner) = (&store, &owner);
                s.spawn(move || {
                    let mut errors = Vec::new();
                    for i in 0..INSERTS {
                        let at = now + Duration::milliseconds((thread * INSERTS + i) as i64);
                        // Alternate a single-statement write with a two-statement transaction.
                        let result = if i % 2 == 0 {
                            let project = Project {
                                id: ProjectId::from_uuid(Uuid::new_v4()),
                                owner_id: owner.id,
                                name: ProjectName::parse(&format!("p{thread}-{i}")).unwrap(),
                                description: domain::Description::default(),
                                created_at: at,
                                updated_at: at,
                            };
                            ProjectRepository::insert(store, &project)
                        } else {
                            let session = Session {
                                id: SessionId::from_uuid(Uuid::new_v4()),
                                user_id: owner.id,
                                created_at: at,
                                last_used_at: at,
                                expires_at: at + Duration::days(1),
                                revoked_at: None,
                                user_agent: None,
                                amr: domain::Amr::PASSWORD,
                            };
                            SessionRepository::insert(store, &session, &domain::RefreshTokenDigest::new(format!("d{thread}-{i}")), &[])
                        };
                        if let Err(e) = result {
                            errors.push(e.to_string());
                        }
                    }
                    errors
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });

    assert!(errors.is_empty(), "{} errors, first: {:?}", errors.len(), errors.first());
    let page = PageRequest::new(Some(1), None).unwrap();
    assert_eq!(ProjectRepository::list(&store, owner.id, page).unwrap().total, (THREADS * INSERTS / 2) as u64);
    assert_eq!(store.list_live(owner.id, now, page).unwrap().total, (THREADS * INSERTS / 2) as u64);
}
