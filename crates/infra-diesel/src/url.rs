//! Reading a `DATABASE_URL`: which backend its scheme names, what to hand the driver, and how
//! to show it without its password.

use crate::backend::Backend;
use crate::connect_error::ConnectError;
use std::path::PathBuf;
use std::time::Duration;

/// What the connection manager opens, decided once from the URL.
#[derive(Clone)]
pub(crate) enum Target {
    /// One private in-memory database: the pool must hold exactly one connection.
    SqliteMemory,
    /// A database file (created if missing).
    SqliteFile(PathBuf),
    /// A libpq connection URI.
    #[cfg_attr(not(feature = "postgres"), expect(dead_code, reason = "only built with feature postgres"))]
    Postgres(String),
    /// A MySQL connection URL as diesel parses it.
    #[cfg_attr(not(feature = "mysql"), expect(dead_code, reason = "only built with feature mysql"))]
    Mysql(String),
}

impl Target {
    /// Picks the backend from the scheme.
    ///
    /// # Errors
    /// [`ConnectError::UnsupportedScheme`] for an unknown scheme or an empty SQLite path,
    /// [`ConnectError::BackendNotCompiled`] for a backend this build lacks.
    pub(crate) fn parse(url: &str, connect_timeout: Duration) -> Result<Self, ConnectError> {
        let unsupported = || ConnectError::UnsupportedScheme { url: redact_url(url) };
        let not_compiled = |backend: Backend| ConnectError::BackendNotCompiled { url: redact_url(url), backend, feature: backend.as_str() };
        let (scheme, _) = url.split_once(':').ok_or_else(unsupported)?;
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let rest = &url[scheme.len() + 1..];
                let rest = rest.strip_prefix("//").unwrap_or(rest);
                // sqlx-style options such as `?mode=rwc` describe what happens anyway.
                let path = rest.split_once('?').map_or(rest, |(path, _)| path);
                match path {
                    ":memory:" => Ok(Self::SqliteMemory),
                    "" => Err(unsupported()),
                    path => Ok(Self::SqliteFile(PathBuf::from(path))),
                }
            }
            "postgres" | "postgresql" if cfg!(feature = "postgres") => Ok(Self::Postgres(with_pg_connect_timeout(url, connect_timeout))),
            "postgres" | "postgresql" => Err(not_compiled(Backend::Postgres)),
            "mysql" if cfg!(feature = "mysql") => Ok(Self::Mysql(url.to_owned())),
            "mysql" => Err(not_compiled(Backend::Mysql)),
            _ => Err(unsupported()),
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Self::SqliteMemory | Self::SqliteFile(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
            Self::Mysql(_) => Backend::Mysql,
        }
    }
}

/// libpq waits for the operating system's TCP timeout (minutes) on a host that drops packets;
/// `connect_timeout` bounds it like the pool's own timeout, unless the URL sets it already.
fn with_pg_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.to_ascii_lowercase().contains("connect_timeout=") {
        return url.to_owned();
    }
    let secs = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout={}", secs.max(1))
}

/// The URL with any password replaced by `***`: the one in the user-info part
/// (`postgres://user:***@host/db`) and any `password=` option (`?password=***`, or a libpq
/// key/value string). Safe to log and to show in error messages.
pub fn redact_url(url: &str) -> String {
    redact_password_options(&redact_user_info(url))
}

fn redact_user_info(url: &str) -> String {
    match password_span(url) {
        Some(span) => format!("{}***{}", &url[..span.start], &url[span.end..]),
        None => url.to_owned(),
    }
}

/// Where the user-info password lies: after the first `:` of the user info, which runs from
/// `://` to the *last* `@`. Not to the first `/`, `?` or `#`: people put those in passwords
/// unencoded, and cutting there would print the rest of the password. A URL whose path holds
/// an `@` is over-redacted, which is the safe side.
fn password_span(url: &str) -> Option<std::ops::Range<usize>> {
    let start = url.find("://")? + 3;
    let at = start + url[start..].rfind('@')?;
    let colon = start + url[start..at].find(':')?;
    (colon + 1 < at).then_some(colon + 1..at)
}

fn redact_password_options(url: &str) -> String {
    const KEY: &str = "password=";
    let lower = url.to_ascii_lowercase();
    let mut out = String::with_capacity(url.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(KEY) {
        let key_start = search + found;
        let value_start = key_start + KEY.len();
        // Only a whole option name: `password=` right after a separator or at the start.
        let whole = key_start == 0 || matches!(url.as_bytes()[key_start - 1], b'?' | b'&' | b' ' | b';');
        let value_len = url[value_start..].find(['&', ' ', '#', ';']).unwrap_or(url.len() - value_start);
        if whole && value_len > 0 {
            out.push_str(&url[copied..value_start]);
            out.push_str("***");
            copied = value_start + value_len;
        }
        search = value_start;
    }
    out.push_str(&url[copied..]);
    out
}

/// The password as written in the URL's user-info part, to scrub from driver messages.
/// Whether a server URL names this machine: a loopback host, `localhost`, no host at all (the
/// driver's local socket), or a socket path (`host=/run/postgresql`, `%2F…`). A database on
/// this machine competes with the server for its cores.
pub fn is_local_server(url: &str) -> bool {
    let Some(start) = url.find("://").map(|i| i + 3) else { return false };
    let host_start = match password_span(url) {
        Some(span) => span.end + 1,
        None => {
            let end = start + url[start..].find(['/', '?']).unwrap_or(url.len() - start);
            url[start..end].rfind('@').map_or(start, |at| start + at + 1)
        }
    };
    let rest = &url[host_start..];
    let host = match rest.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => rest.split([':', '/', '?']).next().unwrap_or_default(),
    };
    let lower = url.to_ascii_lowercase();
    host.is_empty()
        || host.to_ascii_lowercase().starts_with("%2f")
        || host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        || lower.contains("host=/")
        || lower.contains("host=%2f")
}

pub(crate) fn url_password(url: &str) -> Option<&str> {
    password_span(url).map(|span| &url[span])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_user_info_passwords_only() {
        assert_eq!(redact_url("postgres://app:s3cr%40t@db.example:5432/gh"), "postgres://app:***@db.example:5432/gh");
        assert_eq!(redact_url("mysql://root@127.0.0.1:3306/test"), "mysql://root@127.0.0.1:3306/test");
        assert_eq!(redact_url("postgres://a:b@c@host/db?x=1"), "postgres://a:***@host/db?x=1");
        assert_eq!(redact_url("sqlite://data/gatehouse.db"), "sqlite://data/gatehouse.db");
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn redacts_password_options() {
        assert_eq!(
            redact_url("postgres://app@db/gh?sslmode=require&password=hunter2&x=1"),
            "postgres://app@db/gh?sslmode=require&password=***&x=1"
        );
        assert_eq!(redact_url("host=db PASSWORD=hunter2 user=app"), "host=db PASSWORD=*** user=app");
        assert_eq!(redact_url("postgres://db/gh?old_password=1"), "postgres://db/gh?old_password=1");
    }

    #[test]
    fn picks_the_backend_from_the_scheme() {
        let t = Duration::from_secs(2);
        assert!(matches!(Target::parse("sqlite::memory:", t), Ok(Target::SqliteMemory)));
        assert!(matches!(Target::parse("sqlite://:memory:", t), Ok(Target::SqliteMemory)));
        assert!(
            matches!(Target::parse("sqlite://data/x.db", t), Ok(Target::SqliteFile(p)) if p.as_path() == std::path::Path::new("data/x.db"))
        );
        assert!(
            matches!(Target::parse("sqlite:///tmp/x.db?mode=rwc", t), Ok(Target::SqliteFile(p)) if p.as_path() == std::path::Path::new("/tmp/x.db"))
        );
        assert!(matches!(Target::parse("sqlite://", t), Err(ConnectError::UnsupportedScheme { .. })));
        assert!(matches!(Target::parse("oracle://x", t), Err(ConnectError::UnsupportedScheme { .. })));
        assert!(matches!(Target::parse("data.db", t), Err(ConnectError::UnsupportedScheme { .. })));
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn bounds_the_postgres_connect_time_unless_the_url_does() {
        let t = Duration::from_millis(2500);
        assert!(matches!(Target::parse("postgres://h/db", t), Ok(Target::Postgres(u)) if u == "postgres://h/db?connect_timeout=3"));
        assert!(
            matches!(Target::parse("postgresql://h/db?sslmode=require", t), Ok(Target::Postgres(u)) if u == "postgresql://h/db?sslmode=require&connect_timeout=3")
        );
        assert!(
            matches!(Target::parse("postgres://h/db?connect_timeout=9", t), Ok(Target::Postgres(u)) if u == "postgres://h/db?connect_timeout=9")
        );
    }

    #[cfg(not(feature = "mysql"))]
    #[test]
    fn mysql_without_the_feature_says_how_to_build_it() {
        let err = Target::parse("mysql://root:pw@h/db", Duration::from_secs(2)).err().unwrap();
        let shown = err.to_string();
        assert!(shown.contains("--features mysql") && !shown.contains("pw@"), "{shown}");
    }

    #[test]
    fn redacts_passwords_whatever_characters_they_hold() {
        for password in ["pa#ss", "pa?ss", "pa/ss", "p@ss", "a:b", "#?/@:&=%", "s3cr%40t"] {
            let url = format!("postgres://app:{password}@db.example:5432/gh?sslmode=disable");
            let redacted = redact_url(&url);
            assert_eq!(redacted, "postgres://app:***@db.example:5432/gh?sslmode=disable", "{password}");
            assert_eq!(url_password(&url), Some(password), "{password}");
        }
        let url = "mysql://root:x/y?z#w@127.0.0.1:3306/test";
        assert!(!redact_url(url).contains("x/y") && !redact_url(url).contains("z#w"), "{}", redact_url(url));
    }

    #[test]
    fn tells_a_server_on_this_machine_from_a_remote_one() {
        for local in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://app:p/w@localhost/db",
            "postgres:///db",
            "postgresql://%2Frun%2Fpostgresql/db",
            "postgres://u@/db?host=/run/postgresql",
            "mysql://root@127.0.0.1:3306/test",
            "mysql://root@[::1]:3306/test",
        ] {
            assert!(is_local_server(local), "{local}");
        }
        for remote in ["postgres://app:pw@db.example:5432/gh", "mysql://root@10.0.0.5/test", "postgres://a:127.0.0.1@db/x"] {
            assert!(!is_local_server(remote), "{remote}");
        }
    }

    #[test]
    fn finds_the_password_to_scrub() {
        assert_eq!(url_password("postgres://app:pw@h/db"), Some("pw"));
        assert_eq!(url_password("postgres://app@h/db"), None);
        assert_eq!(url_password("sqlite://x.db"), None);
    }
}
