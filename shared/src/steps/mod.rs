//! The step pipeline, from a synced day to coins: `sync` (the upsert and the validation
//! queue), `validation` (the steps-validate consumer) scoring with `anticheat`'s rules,
//! `crediting` (the steps-credit consumer and admin approvals), and `review` (the admin
//! queue of held days). This module owns the records themselves: what a user reads of
//! them, and appeals. A message on a queue is only a pointer (record id, day, version);
//! consumers always re-read the record.
//!
//! `step_records` is partitioned by month of `recorded_date`, so a record's full key is
//! its id and its day ([`RecordKey`]): every statement that names records names their days
//! too, and reads only those days' months.

pub mod anomaly;
pub mod anticheat;
pub mod crediting;
pub mod provenance;
pub mod review;
pub mod sync;
pub mod validation;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::{Error, Result};
use provenance::SourceShare;

/// A day's typed-in part is part of the day.
pub const CONSTRAINTS: &[crate::error::Constraint] = &[crate::error::Constraint {
    name: "step_records_manual_within_steps",
    refusal: || Error::invalid("manual_steps", "must not exceed steps"),
}];

crate::text_enum! {
    /// Where a day's count came from. Google Fit's APIs end in 2026; Health Connect
    /// replaces them on Android.
    pub enum Source {
        HealthConnect = "health_connect",
        GoogleFit = "google_fit",
        HealthKit = "health_kit",
        /// Typed in by hand: never earns without an admin's approval.
        Manual = "manual",
    }
}

crate::text_enum! {
    /// Where a record stands in the pipeline.
    pub enum Status {
        /// Synced, waiting for validation.
        Pending = "pending",
        /// Validated: its verified steps earn coins.
        Verified = "verified",
        /// Held for an admin's review.
        Suspicious = "suspicious",
        /// Rejected by an admin: earns nothing.
        Rejected = "rejected",
    }
}

/// A step record as its owner sees it (`StepRecord` in openapi.yaml).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StepRecord {
    pub id: Uuid,
    pub date: NaiveDate,
    pub steps: i64,
    pub distance_km: Option<Decimal>,
    pub calories: Option<Decimal>,
    pub heart_points: Option<i32>,
    pub source: Source,
    /// Where the steps came from: each app, device type and recording method with its
    /// count, as the sync reported them (none from an app that sends no breakdown).
    pub sources: Option<Json<Vec<SourceShare>>>,
    /// The device that synced the day.
    pub device_id: Option<String>,
    /// Steps typed in by hand: they earn only with an admin's approval.
    pub manual_steps: i64,
    /// Wheelchair pushes the platform counted, and their step equivalents inside `steps`
    /// (0 unless the walker counts pushes).
    pub pushes: Option<i32>,
    pub push_steps: i32,
    pub status: Status,
    pub verified_steps: i64,
    pub coins_credited: i64,
    pub anomaly_score: Option<Decimal>,
    /// Why steps were held back, in detail, in English (what reviewers read).
    pub reasons: Vec<String>,
    /// The rules behind `reasons` (`anticheat::rules`).
    #[serde(skip)]
    pub rules: Vec<String>,
    /// One short reason per rule, in the reader's language (`in_language`).
    pub reasons_explained: Vec<String>,
    pub review_note: Option<String>,
    pub appealed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl StepRecord {
    /// Fills `reasons_explained`: each rule's short reason in `locale` (`reason-<rule>`
    /// of the catalogs).
    pub fn in_language(mut self, locale: crate::i18n::Locale) -> Self {
        self.reasons_explained = self
            .rules
            .iter()
            .map(|rule| {
                crate::i18n::Text::named(format!("reason-{}", rule.replace('_', "-")))
                    .render(locale)
            })
            .collect();
        self
    }
}

/// A validation request on the step-validation queue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct ValidateRecord {
    pub record_id: Uuid,
    pub version: i32,
    /// The record's day. Absent only in messages queued by the release before
    /// partitioning, whose days [`keys`] looks up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_date: Option<NaiveDate>,
}

/// A step record's key: its id and its day, the month partition it lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey {
    pub id: Uuid,
    pub date: NaiveDate,
}

impl RecordKey {
    /// The keys as the two arrays a statement binds: `id = ANY($1) AND recorded_date =
    /// ANY($2)` reads only the months of those days.
    /// The keys' ids, and the distinct days they fall on: for `id = ANY($ids) AND
    /// recorded_date = ANY($days)`, which opens only those days' months. Distinct, because
    /// Postgres checks each row against every element of the array: a batch of 500 one-day
    /// records would otherwise compare each of them with 500 copies of that day.
    pub fn ids_and_days(keys: &[RecordKey]) -> (Vec<Uuid>, Vec<NaiveDate>) {
        (
            keys.iter().map(|k| k.id).collect(),
            days(keys.iter().map(|k| k.date)),
        )
    }
}

/// The distinct days among `dates`, in order.
pub fn days(dates: impl Iterator<Item = NaiveDate>) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = dates.collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// The keys of queued requests (id, day if the message carried it). A day missing from an
/// older message is looked up by id, the one statement that reads every month; requests
/// whose record does not exist are left out.
pub async fn keys(
    conn: &mut PgConnection,
    requests: impl Iterator<Item = (Uuid, Option<NaiveDate>)>,
) -> Result<Vec<RecordKey>> {
    let mut keys = Vec::new();
    let mut undated = Vec::new();
    for (id, date) in requests {
        match date {
            Some(date) => keys.push(RecordKey { id, date }),
            None => undated.push(id),
        }
    }
    if !undated.is_empty() {
        let found = crate::db_query!(
            "SELECT id, recorded_date FROM step_records WHERE id = ANY($1)",
            &undated
        )
        .fetch_all(conn)
        .await?;
        keys.extend(found.into_iter().map(|r| RecordKey {
            id: r.id,
            date: r.recorded_date,
        }));
    }
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// The caller's records between two dates (inclusive), oldest first.
pub async fn list(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StepRecord>> {
    Ok(crate::db_query_as!(
        StepRecord,
        r#"SELECT id, recorded_date AS date, steps, distance AS distance_km, calories, heart_points,
                  source AS "source: Source", provenance AS "sources: Json<Vec<SourceShare>>", device_id,
                  manual_steps, pushes, push_steps, status AS "status: Status",
                  verified_steps, coins_credited, anomaly_score, reasons, rules, ARRAY[]::text[] AS "reasons_explained!", review_note, appealed_at, updated_at
           FROM step_records WHERE user_id = $1 AND recorded_date BETWEEN $2 AND $3
           ORDER BY recorded_date"#,
        user_id,
        from,
        to
    )
    .fetch_all(conn)
    .await?)
}

/// One of the caller's records by the id in a URL. The id alone names no month, so this
/// (and `appeal`) probes each month's primary key once: an index probe per partition.
pub async fn get(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<StepRecord> {
    crate::db_query_as!(
        StepRecord,
        r#"SELECT id, recorded_date AS date, steps, distance AS distance_km, calories, heart_points,
                  source AS "source: Source", provenance AS "sources: Json<Vec<SourceShare>>", device_id,
                  manual_steps, pushes, push_steps, status AS "status: Status",
                  verified_steps, coins_credited, anomaly_score, reasons, rules, ARRAY[]::text[] AS "reasons_explained!", review_note, appealed_at, updated_at
           FROM step_records WHERE id = $1 AND user_id = $2"#,
        id,
        user_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// Puts a held or rejected record back in the admin review queue with the user's message.
/// One appeal per record.
pub async fn appeal(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    message: &str,
) -> Result<StepRecord> {
    let record = crate::db_query!(
        r#"SELECT status AS "status: Status", version, appealed_at, recorded_date
           FROM step_records WHERE id = $1 AND user_id = $2 FOR UPDATE"#,
        id,
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    if record.appealed_at.is_some() {
        return Err(Error::conflict(
            "already_appealed",
            Text::new("problem-already-appealed"),
        ));
    }
    if !matches!(record.status, Status::Suspicious | Status::Rejected) {
        return Err(Error::conflict(
            "not_appealable",
            Text::new("problem-not-appealable"),
        ));
    }
    crate::db_query!(
        r#"UPDATE step_records SET appeal_message = $2, appealed_at = now(), status = 'suspicious', updated_at = now()
           WHERE id = $1 AND recorded_date = $3"#,
        id,
        message,
        record.recorded_date
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        r#"UPDATE step_validations SET status = 'pending', appealed_at = now()
           WHERE step_record_id = $1 AND record_version = $2"#,
        id,
        record.version
    )
    .execute(&mut *conn)
    .await?;
    get(conn, user_id, id).await
}
