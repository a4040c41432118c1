//! Syncing days: one set-based upsert of a user's reported days, then a validation
//! request on the queue for every record that changed (or was left unqueued by an earlier
//! failed send), and the sweeper that re-sends what never went out.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::provenance::{self, SourceShare};
use super::{Source, Status, ValidateRecord};
use crate::error::During;
use crate::error::FieldError;
use crate::queue;
use crate::ratelimit::{self, Limit};
use crate::settings::Settings;
use crate::users;
use crate::{App, Error, Result};

/// One day as the client reports it, already checked for shape and internal consistency.
#[derive(Debug, Clone)]
pub struct DayEntry {
    pub date: NaiveDate,
    pub steps: i64,
    pub source: Source,
    pub distance_km: Option<Decimal>,
    pub calories: Option<Decimal>,
    pub heart_points: Option<i32>,
    pub hourly_steps: Option<Vec<i32>>,
    pub manual_steps: i64,
    pub sync_token: Option<String>,
    /// Wheelchair pushes the platform counted (the day's de-duplicated total).
    pub pushes: Option<i64>,
    pub hourly_pushes: Option<Vec<i32>>,
    /// The day's breakdown by source (`provenance`), already checked against the totals.
    pub sources: Option<Vec<SourceShare>>,
}

impl DayEntry {
    /// A day of `steps` from `source`, with nothing else said about it.
    pub fn new(date: NaiveDate, steps: i64, source: Source) -> Self {
        Self {
            date,
            steps,
            source,
            distance_km: None,
            calories: None,
            heart_points: None,
            hourly_steps: None,
            manual_steps: 0,
            sync_token: None,
            pushes: None,
            hourly_pushes: None,
            sources: None,
        }
    }
}

/// How an account's days count: in its calendar, with or without wheelchair pushes.
#[derive(Debug, Clone, Copy)]
pub struct Counting {
    /// The account's local date now.
    pub today: NaiveDate,
    /// Step equivalents of a push, when the walker counts pushes.
    pub push_rate: Option<Decimal>,
}

/// A summary of one synced day in the sync response.
#[derive(Debug, Clone, Serialize)]
pub struct SyncedDay {
    pub id: Uuid,
    pub date: NaiveDate,
    pub steps: i64,
    pub status: Status,
}

/// A synced day as the sync leaves it.
#[derive(Debug, Clone)]
pub struct SyncRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub steps: i64,
    pub status: Status,
    pub version: i32,
    /// Awaiting validation and not on the queue yet.
    pub unqueued: bool,
}

/// Rate-limits the caller's syncs, records the days and queues every record of the
/// batch that awaits validation and was not queued yet: the changed ones, and any left
/// unqueued by an earlier failed send, so a retried sync converges.
pub async fn sync_days(
    app: &App,
    user_id: Uuid,
    device_id: Option<String>,
    entries: Vec<DayEntry>,
) -> Result<Vec<SyncedDay>> {
    let settings = app.settings().await?;
    let pool = app.db().await?;
    let now = app.now();
    // A client syncs a few times an hour; a script syncing without pause is refused.
    let limit = Limit::per_hour("steps_sync", settings.syncs_per_user_hour);
    ratelimit::hit(pool, limit, &user_id.to_string(), now).await?;
    let mut tx = pool.begin().await?;
    let (today, counts_pushes) = users::local_today_and_pushes(&mut tx, user_id, now).await?;
    let counting = Counting {
        today,
        push_rate: counts_pushes.then_some(settings.push_step_equivalents),
    };
    let rows = record_days(
        &mut tx,
        &settings,
        user_id,
        counting,
        now,
        device_id.as_deref(),
        &entries,
    )
    .await?;
    tx.commit().await?;

    let to_queue: Vec<ValidateRecord> = rows
        .iter()
        .filter(|r| r.unqueued)
        .map(|r| ValidateRecord {
            record_id: r.id,
            version: r.version,
            recorded_date: Some(r.date),
        })
        .collect();
    enqueue_validation(app, &to_queue).await?;
    Ok(rows
        .into_iter()
        .map(|r| SyncedDay {
            id: r.id,
            date: r.date,
            steps: r.steps,
            status: r.status,
        })
        .collect())
}

/// Every entry's date must be a day the user may still report: not after `today` (their
/// local date) and at most `max_backfill_days` before it.
fn check_dates(entries: &[DayEntry], today: NaiveDate, settings: &Settings) -> Result<()> {
    let oldest = today - chrono::Days::new(settings.max_backfill_days as u64);
    let errors: Vec<FieldError> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let field = format!("entries[{i}].date");
            if e.date > today {
                Some(FieldError::new(
                    field,
                    format!("{} is after today ({today}) in your time zone", e.date),
                ))
            } else if e.date < oldest {
                Some(FieldError::new(
                    field,
                    format!(
                        "{} is more than {} days ago; older days can no longer be synced",
                        e.date, settings.max_backfill_days
                    ),
                ))
            } else {
                None
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// The most a day may count (steps and pushes' step equivalents together).
const MAX_DAY_STEPS: i64 = 200_000;

/// Every counted day within `MAX_DAY_STEPS`: pushes counted as steps can take a day past
/// what its steps alone were checked against.
fn check_counted(days: &[CountedDay<'_>]) -> Result<()> {
    let errors: Vec<FieldError> = days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.steps > MAX_DAY_STEPS)
        .map(|(i, d)| {
            FieldError::new(
                format!("entries[{i}].pushes"),
                format!(
                    "with pushes counted as steps the day comes to {} steps, more than {MAX_DAY_STEPS}",
                    d.steps
                ),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// The database half of a sync, in the caller's transaction: checks the dates against
/// the account's `today`, counts each day (pushes, hand-typed sources), upserts the days in one statement (a day only changes when its numbers do; a
/// change makes a new version that awaits validation), notes the device, and returns the
/// batch's records. `at` is when the sync happens (it dates first reports, for
/// late-backfill scoring).
pub async fn record_days(
    conn: &mut PgConnection,
    settings: &Settings,
    user_id: Uuid,
    counting: Counting,
    at: DateTime<Utc>,
    device_id: Option<&str>,
    entries: &[DayEntry],
) -> Result<Vec<SyncRow>> {
    let today = counting.today;
    check_dates(entries, today, settings)?;
    // The last day still on time: a sync of a day after it is a late one.
    let late_before = today - chrono::Days::new(settings.anti_cheat_late_backfill_days as u64);
    let days: Vec<CountedDay> = entries
        .iter()
        .map(|e| CountedDay::of(e, counting.push_rate))
        .collect();
    check_counted(&days)?;
    upsert_days(conn, user_id, at, device_id, late_before, &days).await?;
    users::touch_sync(conn, user_id, at).await?;
    let dates: Vec<NaiveDate> = entries.iter().map(|e| e.date).collect();
    if let Some(device_id) = device_id {
        let last_day = dates.iter().max().copied().unwrap_or(today);
        note_device(conn, user_id, device_id, at, last_day).await?;
    }
    synced_rows(conn, user_id, &dates).await
}

/// A reported day as it is recorded: pushes converted for a walker who counts them, and
/// hand-typed sources counted as manual steps.
pub(crate) struct CountedDay<'a> {
    pub entry: &'a DayEntry,
    pub steps: i64,
    pub hourly_steps: Option<Vec<i32>>,
    pub push_steps: i64,
    pub manual_steps: i64,
}

impl<'a> CountedDay<'a> {
    pub fn of(entry: &'a DayEntry, push_rate: Option<Decimal>) -> Self {
        let counted = provenance::count(
            entry.steps,
            entry.hourly_steps.as_deref(),
            entry.pushes,
            entry.hourly_pushes.as_deref(),
            push_rate,
        );
        // Typed-in steps never earn without an admin, however they arrive: flagged by the
        // client, or by the platform on one of the day's sources.
        let typed = entry.sources.as_deref().map_or(0, provenance::manual_part);
        Self {
            entry,
            steps: counted.steps,
            hourly_steps: counted.hourly_steps,
            push_steps: counted.push_steps,
            manual_steps: entry.manual_steps.max(typed).min(entry.steps),
        }
    }
}

/// An array literal (`{1,2,3}`): arrays of arrays do not UNNEST row by row, so each day's
/// hours travel as text.
fn array_literal(values: Option<&[i32]>) -> Option<String> {
    values.map(|h| {
        format!(
            "{{{}}}",
            h.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
        )
    })
}

/// The reported days, upserted in one statement with their place in the validation
/// queue.
async fn upsert_days(
    conn: &mut PgConnection,
    user_id: Uuid,
    at: DateTime<Utc>,
    device_id: Option<&str>,
    late_before: NaiveDate,
    days: &[CountedDay<'_>],
) -> Result<()> {
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.entry.date).collect();
    let steps: Vec<i64> = days.iter().map(|d| d.steps).collect();
    let distances: Vec<Option<Decimal>> = days.iter().map(|d| d.entry.distance_km).collect();
    let calories: Vec<Option<Decimal>> = days.iter().map(|d| d.entry.calories).collect();
    let heart_points: Vec<Option<i32>> = days.iter().map(|d| d.entry.heart_points).collect();
    let sources: Vec<String> = days.iter().map(|d| d.entry.source.to_string()).collect();
    let sync_tokens: Vec<Option<String>> =
        days.iter().map(|d| d.entry.sync_token.clone()).collect();
    let hourly: Vec<Option<String>> = days
        .iter()
        .map(|d| array_literal(d.hourly_steps.as_deref()))
        .collect();
    let manual: Vec<i64> = days.iter().map(|d| d.manual_steps).collect();
    let pushes: Vec<Option<i32>> = days
        .iter()
        .map(|d| d.entry.pushes.map(|p| p as i32))
        .collect();
    let hourly_pushes: Vec<Option<String>> = days
        .iter()
        .map(|d| array_literal(d.entry.hourly_pushes.as_deref()))
        .collect();
    let push_steps: Vec<i32> = days.iter().map(|d| d.push_steps as i32).collect();
    let provenance: Vec<Option<serde_json::Value>> = days
        .iter()
        .map(|d| d.entry.sources.as_ref().map(|s| serde_json::json!(s)))
        .collect();

    // A count dropping by more than 10% lowers the day (less is a platform merging a
    // watch's and a phone's counts); the first lowering's level and the lowest level are
    // kept for the lowered_then_raised rule. The first source is kept for relabelled_day,
    // the highest count synced while the day was on time for late_increase.
    // Every version made here waits in validation_queue until validated (migration 08).
    crate::db_query!(
        r#"WITH versioned AS (
           INSERT INTO step_records AS r (user_id, recorded_date, steps, distance, calories, heart_points, source,
                                        first_source, sync_token, hourly_steps, manual_steps, device_id, created_at,
                                        updated_at, on_time_steps, provenance, pushes, hourly_pushes, push_steps,
                                        hours_hash)
           SELECT $1, e.day, e.steps, e.distance, e.calories, e.heart_points, e.source, e.source, e.sync_token,
                  e.hourly::int[], e.manual, $11, $12, $12, CASE WHEN e.day >= $13 THEN e.steps END,
                  e.provenance, e.pushes, e.hourly_pushes::int[], e.push_steps,
                  -- Hours worth comparing across accounts: a small day's hours are alike by chance.
                  CASE WHEN e.steps >= 2000 AND e.hourly IS NOT NULL THEN hashtextextended(e.hourly::int[]::text, 0) END
           FROM UNNEST($2::date[], $3::int8[], $4::numeric[], $5::numeric[], $6::int4[], $7::text[], $8::text[],
                       $9::text[], $10::int8[], $14::jsonb[], $15::int4[], $16::text[], $17::int4[])
                AS e(day, steps, distance, calories, heart_points, source, sync_token, hourly, manual, provenance,
                     pushes, hourly_pushes, push_steps)
           ON CONFLICT (user_id, recorded_date) DO UPDATE SET
               steps = EXCLUDED.steps, distance = EXCLUDED.distance, calories = EXCLUDED.calories,
               heart_points = EXCLUDED.heart_points, source = EXCLUDED.source, sync_token = EXCLUDED.sync_token,
               hourly_steps = EXCLUDED.hourly_steps, manual_steps = EXCLUDED.manual_steps,
               provenance = EXCLUDED.provenance, pushes = EXCLUDED.pushes,
               hourly_pushes = EXCLUDED.hourly_pushes, push_steps = EXCLUDED.push_steps,
               hours_hash = EXCLUDED.hours_hash,
               device_id = COALESCE(EXCLUDED.device_id, r.device_id),
               lowered_from = CASE WHEN EXCLUDED.steps < r.steps * 0.9
                                   THEN COALESCE(r.lowered_from, r.steps) ELSE r.lowered_from END,
               lowered_to = CASE WHEN EXCLUDED.steps < r.steps * 0.9
                                 THEN LEAST(r.lowered_to, EXCLUDED.steps) ELSE r.lowered_to END,
               on_time_steps = CASE WHEN EXCLUDED.recorded_date >= $13
                                    THEN GREATEST(r.on_time_steps, EXCLUDED.steps) ELSE r.on_time_steps END,
               version = r.version + 1, status = 'pending', is_verified = FALSE,
               updated_at = EXCLUDED.updated_at
           -- A day an admin rejected stays rejected, whatever is synced for it later: for the
           -- challenges and gifts it touched, and for its coins.
           WHERE r.status <> 'rejected'
             -- A second device of the account does not lower a day: each phone's platform
             -- sees only what it recorded, so the larger total counts, never the sum.
             AND NOT (EXCLUDED.device_id <> r.device_id AND EXCLUDED.steps < r.steps) IS TRUE
             AND (r.steps, r.distance, r.calories, r.heart_points, r.source, r.hourly_steps, r.manual_steps,
                  r.provenance, r.pushes, r.hourly_pushes)
                 IS DISTINCT FROM
                 (EXCLUDED.steps, EXCLUDED.distance, EXCLUDED.calories, EXCLUDED.heart_points, EXCLUDED.source,
                  EXCLUDED.hourly_steps, EXCLUDED.manual_steps, EXCLUDED.provenance, EXCLUDED.pushes,
                  EXCLUDED.hourly_pushes)
           RETURNING r.id, r.recorded_date, r.user_id, r.version
           )
           INSERT INTO validation_queue AS q (step_record_id, recorded_date, user_id, version, queued_at)
           SELECT id, recorded_date, user_id, version, $12 FROM versioned
           ON CONFLICT (step_record_id, recorded_date) DO UPDATE SET
               version = EXCLUDED.version, queued_at = EXCLUDED.queued_at, sent_at = NULL"#,
        user_id,
        &dates,
        &steps,
        &distances as &[Option<Decimal>],
        &calories as &[Option<Decimal>],
        &heart_points as &[Option<i32>],
        &sources,
        &sync_tokens as &[Option<String>],
        &hourly as &[Option<String>],
        &manual,
        device_id,
        at,
        late_before,
        &provenance as &[Option<serde_json::Value>],
        &pushes as &[Option<i32>],
        &hourly_pushes as &[Option<String>],
        &push_steps,
    )
    .execute(&mut *conn)
    .await
    .during("upserting the synced days")?;
    Ok(())
}

/// The device's accounts, for the one device, one earner rule.
async fn note_device(
    conn: &mut PgConnection,
    user_id: Uuid,
    device_id: &str,
    at: DateTime<Utc>,
    last_day: NaiveDate,
) -> Result<()> {
    crate::db_query!(
        r#"INSERT INTO device_accounts AS d (device_id, user_id, first_used_at, last_day)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (device_id, user_id) DO UPDATE SET last_day = EXCLUDED.last_day
           WHERE d.last_day < EXCLUDED.last_day"#,
        device_id,
        user_id,
        at,
        last_day
    )
    .execute(conn)
    .await
    .during("noting the device's account")?;
    Ok(())
}

/// The batch's records as the sync leaves them, with whether each still waits to be queued.
async fn synced_rows(
    conn: &mut PgConnection,
    user_id: Uuid,
    dates: &[NaiveDate],
) -> Result<Vec<SyncRow>> {
    crate::db_query_as!(
        SyncRow,
        r#"SELECT r.id, r.recorded_date AS date, r.steps, r.status AS "status: Status", r.version,
                  (q.version = r.version AND q.sent_at IS NULL) IS TRUE AS "unqueued!"
           FROM step_records r
           LEFT JOIN validation_queue q ON q.step_record_id = r.id AND q.recorded_date = r.recorded_date
           WHERE r.user_id = $1 AND r.recorded_date = ANY($2) ORDER BY r.recorded_date"#,
        user_id,
        dates
    )
    .fetch_all(conn)
    .await
    .during("reading the synced days back")
}

/// Sends validation requests and marks those records as queued. If the send fails the
/// records stay unqueued: the caller gets a retryable error and the sweeper or the next
/// sync sends them again (validation is idempotent per version, so duplicates are harmless).
pub async fn enqueue_validation(app: &App, records: &[ValidateRecord]) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let url = queue::url(
        &app.config.step_validation_queue_url,
        "STEP_VALIDATION_QUEUE_URL",
    )?;
    queue::send(app.sqs().await, url, records).await?;
    let ids: Vec<Uuid> = records.iter().map(|r| r.record_id).collect();
    let versions: Vec<i32> = records.iter().map(|r| r.version).collect();
    crate::db_query!(
        r#"UPDATE validation_queue q SET sent_at = now()
           FROM UNNEST($1::uuid[], $2::int4[]) AS s(id, version)
           WHERE q.step_record_id = s.id AND q.version = s.version"#,
        &ids,
        &versions
    )
    .execute(app.db().await?)
    .await?;
    Ok(())
}

/// Re-queues records that have waited for validation too long: never sent (a failed
/// send), or sent long ago and still not validated (a lost or dead-lettered message).
/// Bounded per run; returns how many were queued.
pub async fn requeue_stale(app: &App, limit: i64) -> Result<usize> {
    // Rows whose version is validated already (by a release before the queue existed)
    // or whose record is gone wait for nothing.
    crate::db_query!(
        r#"DELETE FROM validation_queue q
           WHERE (q.sent_at IS NULL AND q.queued_at < now() - interval '1 minute' OR q.sent_at < now() - interval '1 hour')
             AND NOT EXISTS (SELECT 1 FROM step_records r
                             WHERE r.id = q.step_record_id AND r.recorded_date = q.recorded_date
                               AND r.version = q.version AND r.validated_version IS DISTINCT FROM r.version)"#
    )
    .execute(app.db().await?)
    .await?;
    let stale = crate::db_query_as!(
        ValidateRecord,
        r#"SELECT step_record_id AS record_id, version, recorded_date AS "recorded_date?" FROM validation_queue
           WHERE sent_at IS NULL AND queued_at < now() - interval '1 minute'
              OR sent_at < now() - interval '1 hour'
           ORDER BY queued_at LIMIT $1"#,
        limit
    )
    .fetch_all(app.db().await?)
    .await?;
    enqueue_validation(app, &stale).await?;
    Ok(stale.len())
}
