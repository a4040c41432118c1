//! Where a day's steps came from, and wheelchair pushes.
//!
//! **The total and its sources.** Both platforms give two numbers for a day: an aggregate
//! they de-duplicate themselves (HealthKit's statistics query ranks sources, so a walk the
//! watch and the phone both counted counts once; Health Connect's `aggregate` removes
//! overlaps between data origins) and the raw records, each with its writer. The app
//! sends the aggregate as the day's `steps` and, when it can, the records summed per
//! source as `sources`: writing app id, device type, recording method and steps (and
//! pushes, and hours, where given). The backend never adds sources up. It checks the
//! breakdown against the total (overlaps make the sources' sum at least the total, never
//! less) and keeps it with the record, and the rules read it:
//!
//! - steps a source recorded by hand (HealthKit `HKMetadataKeyWasUserEntered`, Health
//!   Connect `RECORDING_METHOD_MANUAL_ENTRY`) are manual steps however they arrive, and never
//!   earn without an admin (`manual_steps` takes the larger of the two counts);
//! - steps written by an app outside `step_writers_allowed` are held (`unlisted_writer`);
//! - a day whose main writer the walker never used in their recent days, far above their
//!   usual day, counts against it (`provenance_shift`).
//!
//! A sync without `sources` (an older app) is judged on its total as before.
//!
//! **Many devices.** A day synced from a second device of the same account does not lower
//! the day: each phone's platform sees only what it recorded, so the larger total counts
//! (never their sum); from the same device, the latest sync counts (platforms revise a
//! day). See `sync::upsert_days`.
//!
//! **Pushes.** A walker who uses a wheelchair may count pushes (HealthKit `pushCount`,
//! Health Connect `WheelchairPushesRecord`). A push is worth `push_step_equivalents` steps
//! (1.8 by default): 55 pushes a minute is the push-rate threshold of moderate-to-vigorous
//! activity for manual wheelchair users (Am J Phys Med Rehabil 2021;100(3):292-296,
//! doi:10.1097/PHM.0000000000001618) as 100 steps a minute is for walking, so a push is
//! 100/55 ≈ 1.8 steps of the same effort. The equivalents are part of the day's `steps`
//! (boards, challenges, achievements and coins read one number) and kept apart as
//! `push_steps`; push cadence has its own limits (`implausible_pushes`).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

use crate::settings::Writers;
use crate::Result;

crate::text_enum! {
    /// The kind of device a source recorded on (Health Connect's `Device.type`, HealthKit's
    /// `HKDevice` model).
    pub enum DeviceType {
        Phone = "phone",
        Watch = "watch",
        FitnessBand = "fitness_band",
        Ring = "ring",
        ChestStrap = "chest_strap",
        Scale = "scale",
        HeadMounted = "head_mounted",
        SmartDisplay = "smart_display",
        Unknown = "unknown",
    }
}

crate::text_enum! {
    /// How a source's steps were recorded (Health Connect's `Metadata.recordingMethod`;
    /// HealthKit: `manual` when `HKMetadataKeyWasUserEntered`, else `automatic`).
    pub enum RecordingMethod {
        /// Recorded in the background by a sensor.
        Automatic = "automatic",
        /// Recorded during a workout the walker started.
        Active = "active",
        /// Typed in by a person: never earns without an admin.
        Manual = "manual",
        Unknown = "unknown",
    }
}

/// One source of a day: what one app recorded on one kind of device, one way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceShare {
    pub app_id: String,
    pub device_type: DeviceType,
    pub recording_method: RecordingMethod,
    pub steps: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly_steps: Option<Vec<i32>>,
}

/// At most this many sources per day (a walker with a phone, a watch, a ring and a few
/// apps has five or six).
pub const MAX_SOURCES: usize = 16;

/// Checks a breakdown against the day's totals: each source's hours add up to its steps,
/// and the sources together counted at least the de-duplicated total (of steps, and of
/// pushes when both are given). Returns why not, for a 422.
pub fn check(steps: i64, pushes: Option<i64>, sources: &[SourceShare]) -> Result<(), String> {
    if sources.len() > MAX_SOURCES {
        return Err(format!(
            "must have at most {MAX_SOURCES} sources, got {}",
            sources.len()
        ));
    }
    let counted: i64 = sources.iter().map(|s| s.steps).sum();
    if !sources.is_empty() && counted < steps {
        return Err(format!(
            "sources counted {counted} steps, fewer than the day's {steps}: list every source (the total removes overlaps, it never adds steps)"
        ));
    }
    let source_pushes: Option<i64> = sources
        .iter()
        .map(|s| s.pushes)
        .try_fold(0, |acc, p| p.map(|p| acc + p));
    if let (Some(pushes), Some(counted)) = (pushes, source_pushes) {
        if counted < pushes {
            return Err(format!(
                "sources counted {counted} pushes, fewer than the day's {pushes}"
            ));
        }
    }
    Ok(())
}

/// Steps the sources recorded by hand (however the day's own `manual_steps` says).
pub fn manual_part(sources: &[SourceShare]) -> i64 {
    sources
        .iter()
        .filter(|s| s.recording_method == RecordingMethod::Manual)
        .map(|s| s.steps)
        .sum()
}

/// The app that recorded most of the day's steps (ties: the first listed).
pub fn main_writer(sources: &[SourceShare]) -> Option<&str> {
    sources
        .iter()
        .filter(|s| s.steps > 0)
        .fold(None::<&SourceShare>, |best, s| match best {
            Some(b) if b.steps >= s.steps => Some(b),
            _ => Some(s),
        })
        .map(|s| s.app_id.as_str())
}

/// Steps written by apps outside the allow-list, and those apps (in order, once each).
pub fn unlisted(sources: &[SourceShare], allowed: &Writers) -> (i64, Vec<String>) {
    let mut apps: Vec<String> = Vec::new();
    let mut steps = 0;
    for s in sources.iter().filter(|s| !allowed.allows(&s.app_id)) {
        steps += s.steps;
        if !apps.contains(&s.app_id) {
            apps.push(s.app_id.clone());
        }
    }
    (steps, apps)
}

/// What a day counts once pushes are converted: its steps (walked plus the pushes' step
/// equivalents), its hours the same way, and the equivalents alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub steps: i64,
    pub hourly_steps: Option<Vec<i32>>,
    pub push_steps: i64,
}

/// `pushes` in step equivalents at `rate`, rounded to the nearest step.
pub fn push_steps(pushes: i64, rate: Decimal) -> i64 {
    (Decimal::from(pushes) * rate)
        .round()
        .to_i64()
        .unwrap_or(0)
        .max(0)
}

/// The day as it counts: with `rate` (the walker counts pushes) the pushes' equivalents
/// join the steps, hour by hour where both have hours (each hour rounded, the day's
/// equivalents their sum, so the hours still add up to the day); a day whose hours cover
/// only one of the two has none. Without a rate the pushes are kept but not counted.
pub fn count(
    steps: i64,
    hourly_steps: Option<&[i32]>,
    pushes: Option<i64>,
    hourly_pushes: Option<&[i32]>,
    rate: Option<Decimal>,
) -> Counted {
    let (Some(rate), Some(pushes)) = (rate, pushes.filter(|p| *p > 0)) else {
        return Counted {
            steps,
            hourly_steps: hourly_steps.map(<[i32]>::to_vec),
            push_steps: 0,
        };
    };
    let hourly_equivalents: Option<Vec<i32>> = hourly_pushes.map(|hours| {
        hours
            .iter()
            .map(|p| push_steps(i64::from(*p), rate) as i32)
            .collect()
    });
    let push_total = match &hourly_equivalents {
        Some(h) => h.iter().map(|x| i64::from(*x)).sum(),
        None => push_steps(pushes, rate),
    };
    let hours = match (hourly_steps, &hourly_equivalents) {
        (Some(s), Some(p)) => Some(s.iter().zip(p).map(|(a, b)| a + b).collect()),
        (None, Some(p)) if steps == 0 => Some(p.clone()),
        _ => None,
    };
    Counted {
        steps: steps + push_total,
        hourly_steps: hours,
        push_steps: push_total,
    }
}

/// A device an account synced from, as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Device {
    pub device_id: String,
    pub first_used_at: DateTime<Utc>,
    /// The latest day synced from it.
    pub last_day: NaiveDate,
    /// Whether this account was the device's first: days a later account syncs from a
    /// device another account used within `shared_device_days` are held (one device, one
    /// earner), so a phone handed on earns for its new owner only after that.
    pub first_account: bool,
}

/// The devices `user_id` synced from, first used first.
pub async fn devices(conn: &mut PgConnection, user_id: uuid::Uuid) -> Result<Vec<Device>> {
    crate::db_query_as!(
        Device,
        r#"SELECT d.device_id, d.first_used_at, d.last_day,
                  NOT EXISTS (SELECT 1 FROM device_accounts o
                              WHERE o.device_id = d.device_id AND o.user_id <> d.user_id
                                AND o.first_used_at < d.first_used_at) AS "first_account!"
           FROM device_accounts d WHERE d.user_id = $1 ORDER BY d.first_used_at, d.device_id"#,
        user_id
    )
    .fetch_all(conn)
    .await
    .map_err(Into::into)
}

/// One app's week in the writers report.
#[derive(Debug, Clone, Serialize)]
pub struct WriterWeek {
    /// The Monday of the week (of the days' dates).
    pub week: NaiveDate,
    pub app_id: String,
    /// Whether `step_writers_allowed` lets its steps through.
    pub allowed: bool,
    pub accounts: i64,
    pub days: i64,
    pub steps: i64,
    pub device_types: Vec<String>,
    pub recording_methods: Vec<String>,
}

/// Every app that wrote steps into synced days from `from` to `to`, per week, most
/// accounts first: what admins read to grow the allow-list (a new watch brand) or to
/// spot a faker app spreading.
pub async fn writers_report(
    conn: &mut PgConnection,
    allowed: &Writers,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<WriterWeek>> {
    let rows = crate::db_query!(
        r#"SELECT date_trunc('week', r.recorded_date)::date AS "week!", w.value->>'app_id' AS "app_id!",
                  count(DISTINCT r.user_id) AS "accounts!", count(*) AS "days!",
                  sum((w.value->>'steps')::int8)::int8 AS "steps!",
                  array_agg(DISTINCT w.value->>'device_type') AS "device_types!",
                  array_agg(DISTINCT w.value->>'recording_method') AS "recording_methods!"
           FROM step_records r CROSS JOIN LATERAL jsonb_array_elements(r.provenance) w
           WHERE r.recorded_date BETWEEN $1 AND $2 AND r.provenance IS NOT NULL
           GROUP BY 1, 2 ORDER BY 1 DESC, 3 DESC, 2"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WriterWeek {
            allowed: allowed.allows(&r.app_id),
            week: r.week,
            app_id: r.app_id,
            accounts: r.accounts,
            days: r.days,
            steps: r.steps,
            device_types: r.device_types,
            recording_methods: r.recording_methods,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(app: &str, method: RecordingMethod, steps: i64) -> SourceShare {
        SourceShare {
            app_id: app.into(),
            device_type: DeviceType::Phone,
            recording_method: method,
            steps,
            pushes: None,
            hourly_steps: None,
        }
    }

    #[test]
    fn a_breakdown_may_overlap_the_total_but_not_fall_short_of_it() {
        let phone = source("com.apple.health.A", RecordingMethod::Automatic, 6_000);
        let watch = source("com.apple.health.B", RecordingMethod::Automatic, 7_500);
        // The watch and the phone both counted the same walk: 13,500 raw, 8,000 de-duplicated.
        assert_eq!(check(8_000, None, &[phone.clone(), watch]), Ok(()));
        let short = check(8_000, None, &[phone]).unwrap_err();
        assert!(short.contains("fewer than the day's 8000"), "{short}");
    }

    #[test]
    fn hand_typed_sources_are_manual_whatever_the_day_says() {
        let day = [
            source("com.apple.health.A", RecordingMethod::Automatic, 6_000),
            source("com.apple.Health", RecordingMethod::Manual, 2_000),
        ];
        assert_eq!(manual_part(&day), 2_000);
        assert_eq!(main_writer(&day), Some("com.apple.health.A"));
    }

    #[test]
    fn writers_outside_the_allow_list_are_named_once() {
        let allowed = Writers(vec!["com.apple.health*".into(), "android".into()]);
        let day = [
            source("com.apple.health.A", RecordingMethod::Automatic, 3_000),
            source("com.fake.walker", RecordingMethod::Automatic, 9_000),
            source("com.fake.walker", RecordingMethod::Active, 1_000),
        ];
        assert_eq!(
            unlisted(&day, &allowed),
            (10_000, vec!["com.fake.walker".into()])
        );
        assert!(allowed.allows("android") && !allowed.allows("android.evil"));
    }

    #[test]
    fn pushes_count_as_step_equivalents_hour_by_hour_only_when_chosen() {
        let rate = Decimal::new(18, 1);
        let mut steps = vec![0; 24];
        steps[9] = 200;
        let mut pushes = vec![0; 24];
        pushes[9] = 1_000;
        pushes[10] = 1_501;
        let counted = count(200, Some(&steps), Some(2_501), Some(&pushes), Some(rate));
        assert_eq!(counted.push_steps, 1_800 + 2_702);
        assert_eq!(counted.steps, 200 + 4_502);
        let hours = counted.hourly_steps.expect("hours of both");
        assert_eq!((hours[9], hours[10]), (2_000, 2_702));
        assert_eq!(
            hours.iter().map(|h| i64::from(*h)).sum::<i64>(),
            counted.steps
        );
        // A walker who does not count pushes keeps their steps.
        let walker = count(200, Some(&steps), Some(2_501), Some(&pushes), None);
        assert_eq!((walker.steps, walker.push_steps), (200, 0));
    }
}
