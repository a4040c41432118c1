//! EventBridge Scheduler expressions: `rate(...)` and six-field `cron(...)` (minutes,
//! hours, day of month, month, day of week, year) in an optional IANA time zone.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    Rate(std::time::Duration),
    Cron(Cron),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cron {
    minutes: Vec<u32>,
    hours: Vec<u32>,
    days: Option<Vec<u32>>,
    months: Vec<u32>,
    weekdays: Option<Vec<u32>>,
    years: Option<Vec<u32>>,
}

pub fn parse(expression: &str) -> crate::Result<Expression> {
    let expression = expression.trim();
    if let Some(inner) = expression
        .strip_prefix("rate(")
        .and_then(|s| s.strip_suffix(')'))
    {
        let (n, unit) = inner
            .trim()
            .split_once(' ')
            .ok_or(crate::Error::Schedule(format!("bad rate: {expression}")))?;
        let n: u64 = n
            .parse()
            .map_err(|_| crate::Error::Schedule(format!("bad rate: {expression}")))?;
        let seconds = match unit.trim_end_matches('s') {
            "minute" => 60,
            "hour" => 3_600,
            "day" => 86_400,
            _ => {
                return Err(crate::Error::Schedule(format!(
                    "bad rate unit: {expression}"
                )))
            }
        };
        return Ok(Expression::Rate(std::time::Duration::from_secs(
            n * seconds,
        )));
    }
    let inner = expression
        .strip_prefix("cron(")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or(crate::Error::Schedule(format!(
            "not a rate or cron expression: {expression}"
        )))?;
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(crate::Error::Schedule(format!(
            "cron needs 6 fields: {expression}"
        )));
    }
    let optional = |f: &str, lo, hi, names: &[&str]| -> crate::Result<Option<Vec<u32>>> {
        if f == "?" || f == "*" {
            Ok(None)
        } else {
            field(f, lo, hi, names).map(Some)
        }
    };
    const MONTHS: &[&str] = &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    Ok(Expression::Cron(Cron {
        minutes: field(fields[0], 0, 59, &[])?,
        hours: field(fields[1], 0, 23, &[])?,
        days: optional(fields[2], 1, 31, &[])?,
        months: field(fields[3], 1, 12, MONTHS)?,
        weekdays: optional(fields[4], 1, 7, DAYS)?,
        years: optional(fields[5], 1970, 2199, &[])?,
    }))
}

/// One cron field: `*`, numbers, names, `a-b`, `a,b`, `*/n`, `a/n`.
fn field(raw: &str, lo: u32, hi: u32, names: &[&str]) -> crate::Result<Vec<u32>> {
    let value = |s: &str| -> crate::Result<u32> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(lo + i as u32);
        }
        s.parse::<u32>()
            .ok()
            .filter(|v| (lo..=hi).contains(v))
            .ok_or(crate::Error::Schedule(format!("bad cron value {s:?}")))
    };
    let mut out = Vec::new();
    for part in raw.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .map_err(|_| crate::Error::Schedule(format!("bad step {s:?}")))?
                    .max(1),
            ),
            None => (part, 1),
        };
        let (start, end) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if part.contains('/') => (value(r)?, hi),
                None => (value(r)?, value(r)?),
            },
        };
        out.extend((start..=end).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

impl Expression {
    /// The next time strictly after `after` at which the schedule fires.
    pub fn next(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        match self {
            Expression::Rate(every) => Some(after + Duration::from_std(*every).ok()?),
            Expression::Cron(cron) => {
                let local = after.with_timezone(&tz);
                let mut t = local.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
                // At most a few years of minutes; schedules that never fire give None.
                for _ in 0..(60 * 24 * 366 * 5) {
                    if cron.matches(&t) {
                        return Some(t.with_timezone(&Utc));
                    }
                    t += Duration::minutes(1);
                }
                None
            }
        }
    }
}

impl Cron {
    fn matches<T: TimeZone>(&self, t: &DateTime<T>) -> bool {
        let weekday = t.weekday().num_days_from_sunday() + 1;
        self.minutes.contains(&t.minute())
            && self.hours.contains(&t.hour())
            && self.months.contains(&t.month())
            && self.days.as_ref().is_none_or(|d| d.contains(&t.day()))
            && self.weekdays.as_ref().is_none_or(|d| d.contains(&weekday))
            && self
                .years
                .as_ref()
                .is_none_or(|y| y.contains(&(t.year() as u32)))
    }
}

/// The event a schedule delivers: its `Input` with EventBridge Scheduler's
/// `<aws.scheduler.scheduled-time>` filled in, as Scheduler does.
pub fn event(input: &str, scheduled: DateTime<Utc>) -> String {
    let time = scheduled.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    input.replace("<aws.scheduler.scheduled-time>", &time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn rates() {
        let e = parse("rate(10 minutes)").unwrap();
        assert_eq!(
            e.next(at("2026-11-25T10:00:00Z"), chrono_tz::UTC),
            Some(at("2026-11-25T10:10:00Z"))
        );
        assert_eq!(
            parse("rate(1 hour)").unwrap(),
            Expression::Rate(std::time::Duration::from_secs(3600))
        );
        assert!(parse("rate(soon)").is_err());
    }

    #[test]
    fn crons_with_time_zones() {
        // Nightly at 02:30 UTC.
        let nightly = parse("cron(30 2 * * ? *)").unwrap();
        assert_eq!(
            nightly.next(at("2026-11-25T10:00:00Z"), chrono_tz::UTC),
            Some(at("2026-11-26T02:30:00Z"))
        );
        // Mondays 09:00 in Berlin (UTC+1 in November) is 08:00 UTC.
        let weekly = parse("cron(0 9 ? * MON *)").unwrap();
        assert_eq!(
            weekly.next(at("2026-11-25T10:00:00Z"), chrono_tz::Europe::Berlin),
            Some(at("2026-11-30T08:00:00Z"))
        );
        // Every 15 minutes.
        let quarter = parse("cron(0/15 * * * ? *)").unwrap();
        assert_eq!(
            quarter.next(at("2026-11-25T10:07:00Z"), chrono_tz::UTC),
            Some(at("2026-11-25T10:15:00Z"))
        );
        assert!(parse("cron(0 9 * *)").is_err());
        assert!(parse("cron(99 9 * * ? *)").is_err());
    }
}
