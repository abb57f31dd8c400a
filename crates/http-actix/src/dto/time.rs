//! Timestamps in answers, written exactly as chrono's `Serialize` writes them (RFC 3339 in
//! UTC with `Z`, and 0, 3, 6 or 9 fractional digits, whichever is shortest without loss), but
//! straight into a buffer: chrono goes through `fmt` one character at a time, which was the
//! larger part of writing a user as JSON (callgrind) and runs 40 times for a page of tasks.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

/// `serialize_with` for a `DateTime<Utc>` field.
pub(crate) fn rfc3339<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0u8; MAX_LEN];
    match write(time, &mut buffer).and_then(|len| std::str::from_utf8(&buffer[..len]).ok()) {
        Some(text) => serializer.serialize_str(text),
        // Years outside 0..=9999 take a sign; chrono knows how.
        None => time.serialize(serializer),
    }
}

/// `serialize_with` for an `Option<DateTime<Utc>>` field: `null` when absent.
pub(crate) fn rfc3339_option<S: Serializer>(time: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => rfc3339(time, serializer),
        None => serializer.serialize_none(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`
const MAX_LEN: usize = 30;

/// Writes `time` into `out` and returns the length; `None` for a year outside 0..=9999.
fn write(time: &DateTime<Utc>, out: &mut [u8; MAX_LEN]) -> Option<usize> {
    let year = u32::try_from(time.year()).ok().filter(|y| *y <= 9999)?;
    // A leap second is stored as second 59 with 1_000_000_000 or more nanoseconds; chrono
    // writes it as second 60.
    let (mut second, mut nanos) = (time.second(), time.nanosecond());
    if nanos >= 1_000_000_000 {
        second += 1;
        nanos -= 1_000_000_000;
    }
    put(&mut out[0..4], year);
    out[4] = b'-';
    put(&mut out[5..7], time.month());
    out[7] = b'-';
    put(&mut out[8..10], time.day());
    out[10] = b'T';
    put(&mut out[11..13], time.hour());
    out[13] = b':';
    put(&mut out[14..16], time.minute());
    out[16] = b':';
    put(&mut out[17..19], second);
    let mut len = 19;
    let (fraction, digits) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if digits > 0 {
        out[len] = b'.';
        put(&mut out[len + 1..len + 1 + digits], fraction);
        len += 1 + digits;
    }
    out[len] = b'Z';
    Some(len + 1)
}

/// `value`'s last `out.len()` decimal digits, zero-padded.
fn put(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        // `value % 10` is a single digit.
        *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    #[derive(Serialize)]
    struct Ours(#[serde(serialize_with = "rfc3339")] DateTime<Utc>);

    fn assert_as_chrono(time: DateTime<Utc>) {
        assert_eq!(serde_json::to_string(&Ours(time)).unwrap(), serde_json::to_string(&time).unwrap(), "{time:?}");
    }

    #[test]
    fn writes_every_precision_as_chrono_does() {
        for nanos in [0, 1, 999, 1_000, 120_000_000, 123_000_000, 123_456_000, 123_456_789, 999_999_999] {
            assert_as_chrono(Utc.timestamp_opt(1_795_000_000, nanos).unwrap());
        }
    }

    #[test]
    fn agrees_with_chrono_from_year_0_to_9999() {
        let mut time = NaiveDate::from_ymd_opt(0, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
        let end = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap().and_hms_opt(23, 59, 59).unwrap().and_utc();
        while time < end {
            assert_as_chrono(time);
            // An odd step through days, seconds and microseconds.
            time += chrono::Duration::microseconds(86_399_987_654_321 / 7);
        }
        assert_as_chrono(end);
    }

    #[test]
    fn leap_seconds_and_far_years_match_too() {
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31).unwrap().and_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap().and_utc();
        assert_as_chrono(leap);
        assert_eq!(serde_json::to_string(&Ours(leap)).unwrap(), "\"2016-12-31T23:59:60.500Z\"");
        for year in [-1, 10_000, 262_000] {
            assert_as_chrono(NaiveDate::from_ymd_opt(year, 6, 15).unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc());
        }
    }
}
