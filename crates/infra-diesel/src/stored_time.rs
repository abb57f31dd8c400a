//! `StoredTime`: a `Timestamp` column as the rows read and write it.
//!
//! SQLite keeps timestamps as text. Diesel reads that text with chrono's format-string parser,
//! trying its formats one after another: 7–8 % of the server's CPU on a page of 20 tasks
//! (40 timestamps), 4 % on `GET /users/me` (perf, `bench/profile.sh`). The text this adapter
//! writes always has one shape, `YYYY-MM-DD HH:MM:SS` with an optional fraction, so it is read
//! here digit by digit; anything else (a row written by hand, another tool's format) falls back
//! to diesel's own parser, so nothing readable before becomes unreadable. PostgreSQL and MySQL
//! send binary values and use diesel's conversions unchanged, as does every write.

use crate::connection::{MultiBackend, MultiRawValue};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;

/// A UTC timestamp without zone, as every backend stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Timestamp)]
pub(crate) struct StoredTime(pub(crate) NaiveDateTime);

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if let Some(time) = parse_sqlite_text(value.read_text()) {
            return Ok(Self(time));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Self)
    }
}

impl ToSql<Timestamp, Sqlite> for StoredTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        <NaiveDateTime as ToSql<Timestamp, Sqlite>>::to_sql(&self.0, out)
    }
}

/// PostgreSQL and MySQL: diesel's own binary conversions.
#[cfg(any(feature = "postgres", feature = "mysql"))]
macro_rules! delegate_to_chrono {
    ($backend:ty) => {
        impl FromSql<Timestamp, $backend> for StoredTime {
            fn from_sql(value: <$backend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                <NaiveDateTime as FromSql<Timestamp, $backend>>::from_sql(value).map(Self)
            }
        }

        impl ToSql<Timestamp, $backend> for StoredTime {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, $backend>) -> serialize::Result {
                <NaiveDateTime as ToSql<Timestamp, $backend>>::to_sql(&self.0, out)
            }
        }
    };
}

#[cfg(feature = "postgres")]
delegate_to_chrono!(diesel::pg::Pg);
#[cfg(feature = "mysql")]
delegate_to_chrono!(diesel::mysql::Mysql);

/// Through the multi-connection: the variant's own conversion, as diesel does for its types.
impl FromSql<Timestamp, MultiBackend> for StoredTime {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

impl ToSql<Timestamp, MultiBackend> for StoredTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Timestamp, self));
        Ok(serialize::IsNull::No)
    }
}

/// `YYYY-MM-DD HH:MM:SS` followed by nothing or by `.` and 1 to 9 digits: what diesel writes
/// for a `NaiveDateTime` on SQLite (`%F %T%.f`). `None` for any other text, or for digits that
/// name no real date or time.
fn parse_sqlite_text(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => digits(fraction)? * 10u32.pow(9 - fraction.len() as u32),
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    // Leap seconds (60) are left to chrono's parser, which knows its own rules for them.
    if second > 59 {
        return None;
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(date.and_time(time))
}

/// The value of a run of ASCII digits (at most 9, so it fits); `None` if any byte is not one.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Timelike};

    fn chrono_parse(text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, "%F %T%.f").ok()
    }

    #[test]
    fn reads_every_precision_diesel_writes_as_chrono_does() {
        // Whole seconds, milliseconds, microseconds and nanoseconds: `%.f` picks the width.
        for nanos in [0, 120_000_000, 123_456_000, 123_456_789, 1_000, 999_999_999] {
            let time = DateTime::from_timestamp(1_795_000_000, nanos).unwrap().naive_utc();
            let text = time.format("%F %T%.f").to_string();
            assert_eq!(parse_sqlite_text(&text), Some(time), "{text}");
            assert_eq!(parse_sqlite_text(&text), chrono_parse(&text), "{text}");
        }
    }

    #[test]
    fn agrees_with_chrono_across_many_instants() {
        // A spread of instants from 1970 to 2200, stepping by an odd number of microseconds.
        let mut seconds = 0i64;
        while seconds < 7_258_118_400 {
            let micros = u32::try_from(seconds.rem_euclid(1_000_000)).unwrap();
            let time = DateTime::from_timestamp(seconds, micros * 1_000).unwrap().naive_utc();
            let text = time.format("%F %T%.f").to_string();
            assert_eq!(parse_sqlite_text(&text), Some(time), "{text}");
            seconds += 86_399_987;
        }
    }

    #[test]
    fn fractions_of_any_width_scale_to_nanoseconds() {
        assert_eq!(parse_sqlite_text("2026-11-22 21:45:03.5").unwrap().nanosecond(), 500_000_000);
        assert_eq!(parse_sqlite_text("2026-11-22 21:45:03.0005").unwrap().nanosecond(), 500_000);
        assert_eq!(parse_sqlite_text("2026-11-22 21:45:03.000000005").unwrap().nanosecond(), 5);
    }

    /// Through a real SQLite connection: what diesel wrote reads back equal, and text in the
    /// other shapes diesel accepts (written by another tool) still reads, through the fallback.
    #[test]
    fn sqlite_reads_its_own_writes_and_falls_back_for_other_shapes() {
        use diesel::dsl::sql;
        use diesel::prelude::*;

        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let written = DateTime::from_timestamp(1_795_000_000, 123_456_000).unwrap().naive_utc();
        let read: StoredTime = diesel::select(StoredTime(written).into_sql::<Timestamp>()).get_result(&mut conn).unwrap();
        assert_eq!(read, StoredTime(written));

        for (text, expected) in [
            ("'2026-11-22T21:45:03'", "2026-11-22 21:45:03"),
            ("'2026-11-22 21:45:03+00:00'", "2026-11-22 21:45:03"),
            ("'2026-11-22 21:45'", "2026-11-22 21:45:00"),
        ] {
            let read: StoredTime = diesel::select(sql::<Timestamp>(text)).get_result(&mut conn).unwrap();
            assert_eq!(read.0, NaiveDateTime::parse_from_str(expected, "%F %T").unwrap(), "{text}");
        }
        let garbage = diesel::select(sql::<Timestamp>("'yesterday'")).get_result::<StoredTime>(&mut conn);
        assert!(garbage.is_err(), "unreadable text is an error, not a made-up time");
    }

    #[test]
    fn leaves_every_other_shape_to_the_fallback() {
        for text in [
            "",
            "2026-11-22",
            "2026-11-22T21:45:03",
            "2026-11-22 21:45:03Z",
            "2026-11-22 21:45:03+00:00",
            "2026-11-22 21:45:03.",
            "2026-11-22 21:45:03.1234567890",
            "2026-11-22 21:45",
            "2026-11-22 21:45:0x",
            "+026-11-22 21:45:03",
            "2026-13-01 00:00:00",
            "2026-02-30 00:00:00",
            "2026-11-22 24:00:00",
            "2026-11-22 23:60:00",
            "2026-11-22 23:59:60",
            "2461041.5",
        ] {
            assert_eq!(parse_sqlite_text(text), None, "{text:?}");
        }
    }
}
