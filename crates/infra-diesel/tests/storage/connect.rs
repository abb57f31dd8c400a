//! Opening a database: backend selection, errors reported at once with the driver's message,
//! passwords never shown, SQLite set-up, TLS, and an unreachable database surfacing as
//! "unavailable" and recovering.

use domain::UserRepository;
use infra_diesel::testing::TestDatabase;
use infra_diesel::{Backend, ConnectError, Database, PoolOptions, redact_url};
use std::time::Duration;

#[test]
fn redact_url_hides_passwords_and_nothing_else() {
    assert_eq!(
        redact_url("postgres://gh:hunter2@db.internal:5432/gatehouse?sslmode=require"),
        "postgres://gh:***@db.internal:5432/gatehouse?sslmode=require"
    );
    assert_eq!(redact_url("mysql://root@127.0.0.1:3306/test"), "mysql://root@127.0.0.1:3306/test");
    assert_eq!(redact_url("postgres://gh@db/gatehouse?password=hunter2"), "postgres://gh@db/gatehouse?password=***");
}

#[test]
fn an_unknown_scheme_is_refused_by_name() {
    let err = Database::connect("oracle://scott:tiger@db/orcl", PoolOptions::default()).unwrap_err();

    assert!(matches!(err, ConnectError::UnsupportedScheme { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("oracle://scott:***@db/orcl") && !shown.contains("tiger"), "{shown}");
}

#[cfg(not(feature = "mysql"))]
#[test]
fn a_mysql_url_without_the_feature_says_how_to_build_it() {
    let err = Database::connect("mysql://root:pw@127.0.0.1:3306/gh", PoolOptions::default()).unwrap_err();

    assert!(matches!(err, ConnectError::BackendNotCompiled { backend: Backend::Mysql, .. }), "{err:?}");
    assert!(err.to_string().contains("--features mysql"), "{err}");
}

#[cfg(feature = "postgres")]
#[test]
fn a_refused_postgres_connection_fails_at_once_with_the_drivers_message() {
    let started = std::time::Instant::now();

    let err = Database::connect("postgres://gh:hunter2@127.0.0.1:1/gatehouse", PoolOptions::default()).unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    let shown = err.to_string();
    assert!(matches!(err, ConnectError::Connect { .. }), "{err:?}");
    assert!(shown.contains("postgres://gh:***@127.0.0.1:1/gatehouse"), "{shown}");
    assert!(shown.contains("refused"), "the driver's message: {shown}");
    assert!(!shown.contains("hunter2") && !format!("{err:?}").contains("hunter2"));
}

#[cfg(feature = "mysql")]
#[test]
fn a_refused_mysql_connection_fails_at_once_with_the_drivers_message() {
    let started = std::time::Instant::now();

    let err = Database::connect("mysql://gh:hunter2@127.0.0.1:1/gatehouse", PoolOptions::default()).unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    let shown = err.to_string();
    assert!(matches!(err, ConnectError::Connect { .. }), "{err:?}");
    assert!(shown.contains("mysql://gh:***@127.0.0.1:1/gatehouse") && shown.contains("127.0.0.1"), "{shown}");
    assert!(!shown.contains("hunter2"));
}

#[test]
fn an_sqlite_file_gets_its_missing_folder_and_is_ready() {
    let root = std::env::temp_dir().join(format!("gatehouse-connect-{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", root.join("nested/deeper/gh.db").display());

    let db = Database::connect(&url, PoolOptions::default()).unwrap();

    assert_eq!(db.backend(), Backend::Sqlite);
    db.ping().unwrap();
    assert!(db.run_migrations().unwrap() >= 1);
    assert_eq!(db.run_migrations().unwrap(), 0, "nothing left to apply");
    assert!(root.join("nested/deeper/gh.db").exists());
    drop(db);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn an_sqlite_file_that_cannot_be_opened_is_reported_at_once() {
    let err = Database::connect("sqlite:///proc/gatehouse/gh.db", PoolOptions::default()).unwrap_err();

    assert!(matches!(err, ConnectError::CreateDir { .. } | ConnectError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("/proc/gatehouse"), "{err}");
}

#[test]
fn sqlite_memory_is_one_database_shared_by_every_checkout() {
    let db = Database::connect("sqlite::memory:", PoolOptions { max_size: 8, connect_timeout: Duration::from_secs(2) }).unwrap();
    db.run_migrations().unwrap();
    let store = db.store();
    let ada = domain::User {
        id: domain::UserId::from_uuid(uuid::Uuid::new_v4()),
        email: domain::Email::parse("ada@x.io").unwrap(),
        name: domain::UserName::parse("Ada").unwrap(),
        role: domain::Role::User,
        is_active: true,
        created_at: chrono::DateTime::UNIX_EPOCH,
        updated_at: chrono::DateTime::UNIX_EPOCH,
        email_verified: false,
        pending_email: None,
    };

    UserRepository::insert(&store, &ada, &domain::PasswordHash::new("h".into()), &[]).unwrap();

    // Every thread sees the same database: the pool has exactly one connection.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(UserRepository::find(&db.store(), ada.id).unwrap().as_ref(), Some(&ada)));
        }
    });
    assert_eq!(db.backend(), Backend::Sqlite);
}

#[test]
fn debug_output_shows_the_backend_but_no_password() {
    let db = TestDatabase::sqlite();

    let shown = format!("{:?} {:?} {:?}", db.database(), db.database().store(), db);

    assert!(shown.contains("Sqlite") && shown.contains("sqlite://"), "{shown}");
}

/// PostgreSQL with `sslmode=require`, when the server offers TLS.
#[cfg(feature = "postgres")]
#[test]
fn postgres_connects_with_sslmode_require_when_the_server_offers_tls() {
    use diesel::RunQueryDsl;
    let Some(test_db) = TestDatabase::from_env_postgres() else { return };
    let separator = if test_db.url().contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}sslmode=require", test_db.url());

    let db = match Database::connect(&url, PoolOptions::default()) {
        Err(e) if e.to_string().contains("does not support SSL") => {
            eprintln!("skipped: the PostgreSQL server does not offer TLS ({e})");
            return;
        }
        other => other.unwrap(),
    };

    db.ping().unwrap();
    UserRepository::list(&db.store(), domain::PageRequest::default()).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Ssl {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ssl: bool,
    }
    let mut raw = infra_diesel::testing::establish_postgres(&url).unwrap();
    let rows: Vec<Ssl> = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").load(&mut raw).unwrap();
    assert!(rows.first().is_some_and(|r| r.ssl), "the session is encrypted");
}

/// Certificate verification works in this build (bundled libpq, vendored OpenSSL): with the
/// server's own certificate as trust anchor `verify-ca` connects, and `verify-full` refuses a
/// host name the certificate does not name. Runs when the server's certificate file is
/// readable here (a local server), else passes without doing anything.
#[cfg(feature = "postgres")]
#[test]
fn postgres_verifies_the_server_certificate() {
    use diesel::RunQueryDsl;
    let Some(test_db) = TestDatabase::from_env_postgres() else { return };
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        ssl_cert_file: String,
    }
    let mut raw = infra_diesel::testing::establish_postgres(test_db.url()).unwrap();
    let cert = diesel::sql_query("SHOW ssl_cert_file").get_result::<Setting>(&mut raw).map(|s| std::path::PathBuf::from(s.ssl_cert_file));
    let Some(cert) = cert.ok().filter(|c| c.is_absolute() && std::fs::read(c).is_ok() && test_db.url().contains("@127.0.0.1")) else {
        eprintln!("skipped: the server's certificate is not readable here");
        return;
    };
    let separator = if test_db.url().contains('?') { '&' } else { '?' };
    let with = |mode: &str| format!("{}{separator}sslmode={mode}&sslrootcert={}", test_db.url(), cert.display());

    match Database::connect(&with("verify-ca"), PoolOptions::default()) {
        Err(e) if e.to_string().contains("does not support SSL") => return eprintln!("skipped: {e}"),
        other => other.unwrap().ping().unwrap(),
    }
    let err = Database::connect(&with("verify-full"), PoolOptions::default()).unwrap_err();
    assert!(err.to_string().contains("does not match host name"), "{err}");
    eprintln!("verified against {}: {err}", cert.display());
}

/// A password in the URL never shows, even on a successful connection (the local server trusts
/// 127.0.0.1, so it ignores the password).
#[cfg(feature = "postgres")]
#[test]
fn a_connected_postgres_database_does_not_show_its_password() {
    let Some(test_db) = TestDatabase::from_env_postgres() else { return };
    let Some((scheme, rest)) = test_db.url().split_once("://") else { return };
    let Some((user_info, host)) = rest.split_once('@') else { return };
    let user = user_info.split(':').next().unwrap_or(user_info);
    let with_password = format!("{scheme}://{user}:hunter2secret@{host}");

    match Database::connect(&with_password, PoolOptions::default()) {
        Ok(db) => assert!(!format!("{db:?}").contains("hunter2secret") && format!("{db:?}").contains("***")),
        Err(e) => assert!(!e.to_string().contains("hunter2secret"), "{e}"),
    }
}

/// The database stops accepting connections: calls fail as "unavailable" within the pool's
/// timeout instead of hanging, and work again by themselves once it is back.
#[cfg(feature = "postgres")]
#[test]
fn an_unreachable_postgres_database_is_unavailable_and_the_pool_recovers() {
    use diesel::RunQueryDsl;
    let Some(test_db) = TestDatabase::from_env_postgres() else { return };
    let server_url = std::env::var(infra_diesel::testing::POSTGRES_URL_VAR).unwrap();
    let name = test_db.url().rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
    let admin = |sql: String| {
        let mut conn = infra_diesel::testing::establish_postgres(&server_url)
            .or_else(|_| infra_diesel::testing::establish_postgres(&server_url.replace("/test", "/postgres")))
            .unwrap();
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    };
    let db = Database::connect(test_db.url(), PoolOptions { max_size: 2, connect_timeout: Duration::from_secs(1) }).unwrap();
    let store = db.store();
    let someone = domain::UserId::from_uuid(uuid::Uuid::new_v4());
    assert_eq!(UserRepository::find(&store, someone).unwrap(), None);

    admin(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    admin(format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"));
    let started = std::time::Instant::now();
    let down = UserRepository::find(&store, someone).unwrap_err();
    let ping = db.ping().unwrap_err();

    assert_eq!((down.kind(), ping.kind()), (domain::InfraErrorKind::Unavailable, domain::InfraErrorKind::Unavailable), "{down} / {ping}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());

    admin(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while UserRepository::find(&store, someone).is_err() {
        assert!(std::time::Instant::now() < deadline, "the pool did not recover");
        std::thread::sleep(Duration::from_millis(200));
    }
    db.ping().unwrap();
}

#[test]
fn an_sqlite_file_locked_by_another_process_is_unavailable_within_the_connect_timeout() {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let root = std::env::temp_dir().join(format!("gatehouse-locked-{}", uuid::Uuid::new_v4().simple()));
    let path = root.join("gh.db");
    let url = format!("sqlite://{}", path.display());
    let timeout = Duration::from_millis(400);
    let db = Database::connect(&url, PoolOptions { max_size: 2, connect_timeout: timeout }).unwrap();
    db.run_migrations().unwrap();
    // Another program holds the write lock, as `sqlite3 gh.db 'BEGIN EXCLUSIVE'` would.
    let mut other = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    other.batch_execute("BEGIN EXCLUSIVE").unwrap();

    let started = std::time::Instant::now();
    let user = domain::User {
        id: domain::UserId::from_uuid(uuid::Uuid::new_v4()),
        email: domain::Email::parse("a@x.io").unwrap(),
        name: domain::UserName::parse("A").unwrap(),
        role: domain::Role::User,
        is_active: true,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        email_verified: false,
        pending_email: None,
    };
    let refused = db.store().insert(&user, &domain::PasswordHash::new("h".into()), &[]);

    let Err(domain::UniqueEmailError::Infra(error)) = refused else { panic!("a locked database cannot take the write: {refused:?}") };
    assert_eq!(error.kind(), domain::InfraErrorKind::Unavailable, "{error}");
    assert!(started.elapsed() < timeout, "answered in {:?}", started.elapsed());
    let not_ready = db.ping().unwrap_err();
    assert_eq!(not_ready.kind(), domain::InfraErrorKind::Unavailable, "readiness means a write is possible: {not_ready}");
    other.batch_execute("ROLLBACK").unwrap();
    db.ping().expect("ready again");
    db.store().insert(&user, &domain::PasswordHash::new("h".into()), &[]).expect("heals when the lock goes");
    drop(db);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn an_sqlite_file_deleted_or_replaced_under_the_server_is_not_ready() {
    let root = std::env::temp_dir().join(format!("gatehouse-deleted-{}", uuid::Uuid::new_v4().simple()));
    let path = root.join("gh.db");
    let db = Database::connect(&format!("sqlite://{}", path.display()), PoolOptions::default()).unwrap();
    db.run_migrations().unwrap();
    db.ping().unwrap();

    std::fs::remove_file(&path).unwrap();
    let deleted = db.ping().unwrap_err();
    std::fs::write(&path, b"").unwrap();
    let replaced = db.ping().unwrap_err();

    assert_eq!(deleted.kind(), domain::InfraErrorKind::Unavailable);
    assert!(deleted.to_string().contains("deleted"), "{deleted}");
    assert!(replaced.to_string().contains("replaced"), "{replaced}");
    drop(db);
    std::fs::remove_dir_all(root).unwrap();
}

/// Instances started at once on a fresh database each run the migrations: every one succeeds
/// and each migration is applied once.
fn concurrent_start_up_migrates_once(db: &TestDatabase) {
    let url = db.url().to_owned();
    let start = std::sync::Barrier::new(3);
    let applied: Vec<usize> = std::thread::scope(|s| {
        let instances: Vec<_> = (0..3)
            .map(|_| {
                let (url, start) = (&url, &start);
                s.spawn(move || {
                    let database = Database::connect(url, PoolOptions::default()).expect("connect");
                    start.wait();
                    database.run_migrations().expect("every instance starts")
                })
            })
            .collect();
        instances.into_iter().map(|i| i.join().unwrap()).collect()
    });
    assert_eq!(applied.iter().filter(|n| **n > 0).count(), 1, "one instance migrated: {applied:?}");
}

#[test]
fn instances_starting_at_once_on_fresh_postgres_migrate_once() {
    if let Some(db) = TestDatabase::from_env_postgres_unmigrated() {
        concurrent_start_up_migrates_once(&db);
    }
}

#[test]
fn instances_starting_at_once_on_fresh_mysql_migrate_once() {
    if let Some(db) = TestDatabase::from_env_mysql_unmigrated() {
        concurrent_start_up_migrates_once(&db);
    }
}
