//! The one clock. Every rule that depends on "now" (board periods, challenge dates, gift
//! settlement, caps over a month or a rolling window, token lifetimes, the coming month's
//! partition, retention) reads it from here, never from the system directly, so that a test
//! can put the whole domain at any instant and a local run can be shifted in time.
//!
//! In production it is the system clock. It can be shifted by a fixed amount for a whole
//! process (`FITKART_CLOCK_SHIFT_SECONDS`: the local runner and the shifted-clock test run
//! set it to the same shift that libfaketime gives Postgres, so that the database's `now()`
//! and this clock agree), and a test can set it to any instant or move it on. A set clock
//! keeps running from where it was set: code that measures a duration still sees time
//! pass.
//!
//! SQL that compares with "now" for a rule receives this clock's instant as a parameter;
//! rows are stamped by the database's own transaction time (`DEFAULT now()`), which is the
//! same instant in production and under the shifted run.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The environment variable that shifts a process's clock by whole seconds (signed).
pub const SHIFT_VARIABLE: &str = "FITKART_CLOCK_SHIFT_SECONDS";

/// A settable clock: the system time plus a shift.
#[derive(Debug, Default)]
pub struct Clock {
    shift_micros: AtomicI64,
}

impl Clock {
    /// The system clock, unshifted.
    pub fn system() -> Self {
        Self::default()
    }

    /// The system clock shifted by `FITKART_CLOCK_SHIFT_SECONDS` when it is set.
    pub fn from_env() -> Self {
        Self::shifted(shift_from_env())
    }

    /// The system clock shifted by `shift`.
    pub fn shifted(shift: Duration) -> Self {
        let clock = Self::default();
        clock.set_shift(shift);
        clock
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        // The one read of the system clock in the domain (tests/api/architecture.rs).
        Utc::now() + self.shift()
    }

    /// Today's date in UTC.
    pub fn today_utc(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// How far this clock is from the system's.
    pub fn shift(&self) -> Duration {
        Duration::microseconds(self.shift_micros.load(Ordering::Relaxed))
    }

    pub fn set_shift(&self, shift: Duration) {
        let micros = shift.num_microseconds().unwrap_or(i64::MAX);
        self.shift_micros.store(micros, Ordering::Relaxed);
    }

    /// Puts the clock at `at`; it runs on from there.
    pub fn set(&self, at: DateTime<Utc>) {
        self.set_shift(at - Utc::now());
    }

    /// Moves the clock on by `by` (back, when negative).
    pub fn advance(&self, by: Duration) {
        self.set_shift(self.shift() + by);
    }
}

/// `FITKART_CLOCK_SHIFT_SECONDS`, or no shift. A value that is not a whole number of
/// seconds is ignored with a warning rather than failing a cold start.
pub fn shift_from_env() -> Duration {
    match std::env::var(SHIFT_VARIABLE) {
        Ok(raw) => match raw.trim().parse::<i64>() {
            Ok(seconds) => Duration::seconds(seconds),
            Err(_) => {
                tracing::warn!(value = %raw, "{SHIFT_VARIABLE} is not a whole number of seconds; the clock is not shifted");
                Duration::zero()
            }
        },
        Err(_) => Duration::zero(),
    }
}

/// The first instant of `at`'s calendar month in UTC: where a monthly cap starts counting.
pub fn month_start(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Datelike;
    let first = NaiveDate::from_ymd_opt(at.year(), at.month(), 1).expect("day 1 exists");
    first.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// The first instant of `date` in `tz`: its midnight, or where a zone skips midnight for
/// daylight saving (Chile, Lebanon, Cuba, ...), the first moment that exists that day. The
/// earlier of two when midnight happens twice.
pub fn local_day_start(date: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    use chrono::{LocalResult, TimeZone};
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    // A gap is at most a few hours long: look for the first minute after it.
    for minutes in 0..=(4 * 60) {
        match tz.from_local_datetime(&(midnight + Duration::minutes(minutes))) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
            LocalResult::None => continue,
        }
    }
    // No zone skips four hours; read the date in UTC rather than fail.
    midnight.and_utc()
}

/// The date `at` falls on in `tz`.
pub fn local_date(at: DateTime<Utc>, tz: chrono_tz::Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The instants a calendar-sensitive rule must survive, for the calendar sweeps of the
/// tests: every weekday, the first of a month, the turn of the year, a leap day, the
/// daylight-saving switches of three zones on both hemispheres (as UTC instants a little
/// before and after each), and the hours when the date differs most around the world.
pub fn edge_instants() -> Vec<DateTime<Utc>> {
    const EDGES: &[&str] = &[
        // A whole week, Monday 2027-03-08 to Sunday 2027-03-14, at noon UTC.
        "2027-03-08T12:00:00Z",
        "2027-03-09T12:00:00Z",
        "2027-03-10T12:00:00Z",
        "2027-03-11T12:00:00Z",
        "2027-03-12T12:00:00Z",
        "2027-03-13T12:00:00Z",
        "2027-03-14T12:00:00Z",
        // Monday's first minutes and Sunday's last (the week turns at UTC midnight).
        "2026-12-14T00:00:30Z",
        "2026-12-13T23:59:30Z",
        // The first of a month, its first minute and the month's last.
        "2026-12-01T00:00:30Z",
        "2026-11-30T23:59:30Z",
        "2027-02-01T00:05:00Z",
        // The turn of the year.
        "2026-12-31T23:57:00Z",
        "2026-12-31T23:59:00Z",
        "2027-01-01T00:00:30Z",
        // A leap day, and the day after.
        "2028-02-29T00:00:30Z",
        "2028-02-29T23:59:30Z",
        "2028-03-01T00:00:30Z",
        // America/New_York springs forward at 07:00 UTC on 2027-03-14 and falls back at
        // 06:00 UTC on 2027-11-07.
        "2027-03-14T06:30:00Z",
        "2027-03-14T07:30:00Z",
        "2027-11-07T05:30:00Z",
        "2027-11-07T06:30:00Z",
        // Europe/Berlin: 01:00 UTC on 2027-03-28 and on 2027-10-31.
        "2027-03-28T00:30:00Z",
        "2027-03-28T01:30:00Z",
        "2027-10-31T00:30:00Z",
        "2027-10-31T01:30:00Z",
        // Australia/Sydney falls back at 16:00 UTC on 2027-04-03 and springs forward at
        // 16:00 UTC on 2027-10-02.
        "2027-04-03T15:30:00Z",
        "2027-04-03T16:30:00Z",
        "2027-10-02T15:30:00Z",
        "2027-10-02T16:30:00Z",
        // Chile skips its midnight: 2027-09-05 begins at 01:00 local (04:00 UTC).
        "2027-09-05T03:30:00Z",
        "2027-09-05T04:30:00Z",
        // When Kiribati (UTC+14) is already in tomorrow and Baker Island (UTC-12) still in
        // yesterday.
        "2027-06-15T10:30:00Z",
        "2027-06-15T11:30:00Z",
        "2027-06-15T12:30:00Z",
    ];
    EDGES
        .iter()
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .expect("a valid instant")
                .with_timezone(&Utc)
        })
        .collect()
}

/// Time zones whose days the sweeps check: daylight saving on both hemispheres (one that
/// skips midnight), and the two furthest apart.
pub const EDGE_ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "America/Santiago",
    "Europe/Berlin",
    "Australia/Sydney",
    "Pacific/Kiritimati",
    "Etc/GMT+12",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_reads_the_instant_it_was_set_to_and_runs_on() {
        let clock = Clock::system();
        let at = DateTime::parse_from_rfc3339("2028-02-29T23:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        clock.set(at);
        let read = clock.now();
        assert!(read >= at && read - at < Duration::seconds(5), "{read}");
        clock.advance(Duration::days(1));
        assert_eq!(
            clock.today_utc(),
            NaiveDate::from_ymd_opt(2028, 3, 1).unwrap()
        );
        assert!(Clock::shifted(Duration::days(-3)).now() < Utc::now() - Duration::days(2));
    }

    #[test]
    fn a_month_starts_at_midnight_utc_on_its_first_day_on_every_edge() {
        use chrono::Datelike;
        for at in edge_instants() {
            let start = month_start(at);
            assert_eq!(start.day(), 1, "{at}");
            assert_eq!(
                (start.year(), start.month()),
                (at.year(), at.month()),
                "{at}"
            );
            assert!(start <= at && at - start < Duration::days(31), "{at}");
            assert_eq!(start.time(), chrono::NaiveTime::MIN);
        }
    }

    #[test]
    fn a_local_day_starts_at_its_midnight_or_where_a_skipped_midnight_ends() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            local_day_start(day("2027-03-14"), chrono_tz::America::New_York),
            at("2027-03-14T05:00:00Z")
        );
        // Chile springs forward at midnight: 2027-09-05 begins at 01:00 local (UTC-3).
        assert_eq!(
            local_day_start(day("2027-09-05"), chrono_tz::America::Santiago),
            at("2027-09-05T04:00:00Z")
        );
        assert_eq!(
            local_day_start(day("2028-02-29"), chrono_tz::Pacific::Kiritimati),
            at("2028-02-28T10:00:00Z")
        );
        for zone in EDGE_ZONES {
            let tz: chrono_tz::Tz = zone.parse().unwrap();
            for edge in edge_instants() {
                let today = local_date(edge, tz);
                let start = local_day_start(today, tz);
                assert!(start <= edge, "{zone} {edge}");
                assert_eq!(local_date(start, tz), today, "{zone} {edge}");
                assert!(
                    local_day_start(today.succ_opt().unwrap(), tz) > edge,
                    "{zone} {edge}"
                );
            }
        }
    }

    #[test]
    fn the_edge_instants_cover_every_weekday_and_the_calendars_edges() {
        use chrono::Datelike;
        let edges = edge_instants();
        let weekdays: std::collections::BTreeSet<_> = edges
            .iter()
            .map(|e| e.weekday().num_days_from_monday())
            .collect();
        assert_eq!(weekdays.len(), 7);
        assert!(edges.iter().any(|e| e.month() == 2 && e.day() == 29));
        assert!(edges.iter().any(|e| e.month() == 1 && e.day() == 1));
    }
}
