//! The step-validation consumer's domain: score a batch of records with the anti-cheat
//! rules in a few set-based statements, record each verdict once per record version, and
//! pass verified records on to crediting.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use uuid::Uuid;

use super::anticheat::{self, DayFacts};
use super::crediting::CreditRecord;
use super::{RecordKey, ValidateRecord};
use crate::notifications::{self, Kind, Notice};
use crate::queue;
use crate::settings::Settings;
use crate::{App, Result};

/// Validates the requested record versions and sends the verified ones to crediting.
/// Returns the requests that cannot be processed (their record does not exist): every
/// other one is done, including replays of versions already validated (nothing new is
/// written) and requests for versions a newer sync has replaced (the newer version has
/// its own request).
pub async fn validate_batch(app: &App, requests: &[ValidateRecord]) -> Result<Vec<ValidateRecord>> {
    let settings = app.settings().await?;
    let (missing, creditable) = validate(app.db().await?, &settings, requests).await?;
    if !creditable.is_empty() {
        let url = queue::url(&app.config.coin_credit_queue_url, "COIN_CREDIT_QUEUE_URL")?;
        let messages: Vec<CreditRecord> = creditable.into_iter().map(CreditRecord::from).collect();
        queue::send(app.sqs().await, url, &messages).await?;
    }
    Ok(missing)
}

/// The database half of `validate_batch`: scores and records the verdicts, and returns
/// (requests without a record, records to credit). Verified records with uncredited
/// steps are returned for new verdicts and for replays whose earlier attempt stopped
/// before the send (crediting is idempotent).
pub async fn validate(
    pool: &sqlx::PgPool,
    settings: &Settings,
    requests: &[ValidateRecord],
) -> Result<(Vec<ValidateRecord>, Vec<RecordKey>)> {
    let keys = super::keys(
        &mut *pool.acquire().await?,
        requests.iter().map(|r| (r.record_id, r.recorded_date)),
    )
    .await?;
    let (ids, dates) = RecordKey::columns(&keys);
    let records = Record::load(pool, &ids, &dates).await?;
    let missing: Vec<ValidateRecord> = requests
        .iter()
        .filter(|q| !records.iter().any(|r| r.id == q.record_id))
        .copied()
        .collect();

    // Only the current, not yet validated version of each record needs scoring.
    let mut todo: Vec<&Record> = records
        .iter()
        .filter(|r| {
            requests
                .iter()
                .any(|q| q.record_id == r.id && q.version == r.version)
        })
        .filter(|r| r.validated_version != Some(r.version))
        .collect();
    todo.sort_by_key(|r| r.id);
    todo.dedup_by_key(|r| r.id);

    if !todo.is_empty() {
        let around = Surroundings::load(pool, settings, &todo).await?;
        let model = super::anomaly::in_use(pool, settings).await?;
        let mut out = VerdictRows::default();
        for r in &todo {
            let verdict = anticheat::score(&around.facts(r), settings, model.as_deref());
            out.push(r, &verdict);
        }
        let held = out.suspicious.iter().filter(|s| **s).count();
        out.write(pool).await?;
        // The pipeline's health on the dashboard: verdicts and holds per minute.
        crate::metrics::emit(
            &[("Pipeline", "validation")],
            &[
                ("RecordsValidated", "Count", todo.len() as f64),
                ("RecordsHeld", "Count", held as f64),
            ],
            serde_json::json!({}),
        );
    }

    let creditable = sqlx::query_as!(
        RecordKey,
        r#"SELECT id, recorded_date AS date FROM step_records
           WHERE id = ANY($1) AND recorded_date = ANY($2) AND status = 'verified'
             AND verified_steps > credited_steps"#,
        &ids,
        &dates
    )
    .fetch_all(pool)
    .await?;
    Ok((missing, creditable))
}

/// A step record as the rules need it.
struct Record {
    id: Uuid,
    user_id: Uuid,
    version: i32,
    validated_version: Option<i32>,
    recorded_date: NaiveDate,
    signup_date: NaiveDate,
    steps: i64,
    distance: Option<Decimal>,
    calories: Option<Decimal>,
    source: String,
    first_source: String,
    manual_steps: i64,
    hourly_steps: Option<Vec<i32>>,
    lowered_from: Option<i64>,
    lowered_to: Option<i64>,
    device_id: Option<String>,
    days_late: i32,
}

impl Record {
    async fn load(pool: &sqlx::PgPool, ids: &[Uuid], dates: &[NaiveDate]) -> Result<Vec<Record>> {
        Ok(sqlx::query_as!(
            Record,
            r#"SELECT r.id, r.user_id, r.version, r.validated_version, r.recorded_date,
                      (u.created_at AT TIME ZONE u.timezone)::date AS "signup_date!",
                      r.steps, r.distance, r.calories, r.source,
                      COALESCE(r.first_source, r.source) AS "first_source!", r.manual_steps,
                      r.hourly_steps, r.lowered_from, r.lowered_to, r.device_id,
                      ((r.created_at AT TIME ZONE u.timezone)::date - r.recorded_date) AS "days_late!"
               FROM step_records r JOIN users u ON u.id = r.user_id
               WHERE r.id = ANY($1) AND r.recorded_date = ANY($2)"#,
            ids,
            dates
        )
        .fetch_all(pool)
        .await?)
    }
}

/// What the rules need to know around the records of a batch, read in three set-based
/// statements: each user's baseline, the devices' earlier accounts, and the high days
/// near each day.
struct Surroundings {
    baselines: HashMap<(Uuid, NaiveDate), (Vec<i64>, i64)>,
    earlier_on_device: HashMap<(Uuid, NaiveDate), i64>,
    high_days_nearby: HashMap<(Uuid, NaiveDate), i64>,
}

impl Surroundings {
    async fn load(pool: &sqlx::PgPool, settings: &Settings, todo: &[&Record]) -> Result<Self> {
        let user_ids: Vec<Uuid> = todo.iter().map(|r| r.user_id).collect();
        let dates: Vec<NaiveDate> = todo.iter().map(|r| r.recorded_date).collect();
        let devices: Vec<Option<String>> = todo.iter().map(|r| r.device_id.clone()).collect();
        // The batch's span of days, as constants the planner prunes months with (a bound
        // that depends on each row alone is only applied after every month is opened).
        let first_day = dates.iter().min().copied().unwrap_or_default();
        let last_day = dates.iter().max().copied().unwrap_or_default();

        // Each user's 30 most recent verified days in the 120 before the day scored (older
        // days say little about today's walker, and the bound keeps the read to the
        // months it needs): their baseline, and how many of them came with hourly counts.
        let baselines: HashMap<(Uuid, NaiveDate), (Vec<i64>, i64)> = sqlx::query!(
            r#"SELECT q.user_id AS "user_id!", q.day AS "day!",
                      COALESCE(array_agg(h.verified_steps ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.verified_steps IS NOT NULL), '{}') AS "days!",
                      count(*) FILTER (WHERE h.with_hours) AS "with_hours!"
               FROM UNNEST($1::uuid[], $2::date[]) AS q(user_id, day)
               LEFT JOIN LATERAL (
                   SELECT recorded_date, verified_steps, hourly_steps IS NOT NULL AS with_hours
                   FROM step_records s
                   WHERE s.user_id = q.user_id AND s.status = 'verified' AND s.recorded_date < q.day
                     AND s.recorded_date >= q.day - 120 AND s.recorded_date BETWEEN $3::date - 120 AND $4::date
                   ORDER BY s.recorded_date DESC LIMIT 30
               ) h ON TRUE
               GROUP BY q.user_id, q.day"#,
            &user_ids,
            &dates,
            first_day,
            last_day
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|h| ((h.user_id, h.day), (h.days, h.with_hours)))
        .collect();

        // Other accounts that synced from the same device within the window before the
        // day and first synced from it before this user did: one device, one earner.
        let earlier_on_device = sqlx::query!(
            r#"SELECT q.user_id AS "user_id!", q.day AS "day!", count(*) AS "earlier!"
               FROM UNNEST($1::uuid[], $2::date[], $3::text[]) AS q(user_id, day, device_id)
               JOIN device_accounts mine ON mine.device_id = q.device_id AND mine.user_id = q.user_id
               JOIN device_accounts other ON other.device_id = q.device_id AND other.user_id <> q.user_id
                AND other.first_used_at < mine.first_used_at AND other.last_day > q.day - $4::int
               GROUP BY q.user_id, q.day"#,
            &user_ids,
            &dates,
            &devices as &[Option<String>],
            settings.shared_device_days as i32,
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|d| ((d.user_id, d.day), d.earlier))
        .collect();

        // The user's other very high days in the week before or the week after the day,
        // whichever has more: days above `high_day_steps` and, for a user with a
        // baseline, at least twice their usual day (a very active walker's 20k days are
        // ordinary days).
        let usual: Vec<f64> = todo
            .iter()
            .map(|r| {
                baselines
                    .get(&(r.user_id, r.recorded_date))
                    .map_or(0.0, |(days, _)| anticheat::usual_day(days))
            })
            .collect();
        let high_days_nearby = sqlx::query!(
            r#"SELECT q.user_id AS "user_id!", q.day AS "day!",
                      GREATEST(count(*) FILTER (WHERE s.recorded_date < q.day),
                               count(*) FILTER (WHERE s.recorded_date > q.day)) AS "others!"
               FROM UNNEST($1::uuid[], $2::date[], $4::float8[]) AS q(user_id, day, usual)
               JOIN step_records s ON s.user_id = q.user_id AND s.steps >= GREATEST($3, 2 * q.usual)
                                  AND s.recorded_date BETWEEN q.day - 6 AND q.day + 6
                                  AND s.recorded_date <> q.day
                                  AND s.recorded_date BETWEEN $5::date - 6 AND $6::date + 6
               GROUP BY q.user_id, q.day"#,
            &user_ids,
            &dates,
            settings.high_day_steps as f64,
            &usual,
            first_day,
            last_day
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|h| ((h.user_id, h.day), h.others))
        .collect();

        Ok(Self {
            baselines,
            earlier_on_device,
            high_days_nearby,
        })
    }

    fn facts(&self, r: &Record) -> DayFacts {
        let key = (r.user_id, r.recorded_date);
        DayFacts {
            date: r.recorded_date,
            signup_date: r.signup_date,
            steps: r.steps,
            distance_km: r.distance,
            calories: r.calories,
            source: r.source.clone(),
            first_source: r.first_source.clone(),
            manual_steps: r.manual_steps,
            hourly_steps: r.hourly_steps.clone(),
            lowered: r.lowered_from.zip(r.lowered_to),
            reported_days_late: i64::from(r.days_late),
            earlier_accounts_on_device: self.earlier_on_device.get(&key).copied().unwrap_or(0),
            other_high_days_nearby: self.high_days_nearby.get(&key).copied().unwrap_or(0),
            recent_verified_days: self
                .baselines
                .get(&key)
                .map(|b| b.0.clone())
                .unwrap_or_default(),
            recent_days_with_hours: self.baselines.get(&key).map_or(0, |b| b.1),
        }
    }
}

/// Column arrays for the two set-based writes of a batch's verdicts.
#[derive(Default)]
struct VerdictRows {
    ids: Vec<Uuid>,
    dates: Vec<NaiveDate>,
    users: Vec<Uuid>,
    versions: Vec<i32>,
    reported: Vec<i64>,
    expected: Vec<Option<i64>>,
    scores: Vec<Decimal>,
    suspicious: Vec<bool>,
    verified: Vec<i64>,
    reasons: Vec<serde_json::Value>,
    features: Vec<serde_json::Value>,
    summaries: Vec<Option<String>>,
    rules: Vec<serde_json::Value>,
}

impl VerdictRows {
    fn push(&mut self, r: &Record, verdict: &anticheat::Verdict) {
        let (id, user, version, steps) = (r.id, r.user_id, r.version, r.steps);
        self.ids.push(id);
        self.dates.push(r.recorded_date);
        self.users.push(user);
        self.versions.push(version);
        self.reported.push(steps);
        self.expected.push(verdict.expected_steps);
        self.scores.push(Decimal::from(verdict.score));
        self.suspicious.push(verdict.suspicious);
        self.verified.push(verdict.verified_steps);
        self.reasons.push(serde_json::json!(verdict.reasons));
        self.features.push(serde_json::json!(verdict.features));
        self.rules.push(serde_json::json!(verdict.rules));
        self.summaries.push(if verdict.reasons.is_empty() {
            None
        } else {
            Some(verdict.reasons.join(" "))
        });
    }

    /// One transaction: the validation rows (once per record version: a replay inserts
    /// nothing and therefore updates nothing) and the records' new state.
    async fn write(self, pool: &sqlx::PgPool) -> Result<()> {
        let mut tx = pool.begin().await?;
        let written = sqlx::query!(
            r#"WITH v AS (
                   INSERT INTO step_validations (user_id, step_record_id, recorded_date, record_version, expected_steps,
                                                 reported_steps, anomaly_score, is_suspicious, validation_reason, reasons,
                                                 rules, status, reviewed_at, features)
                   SELECT q.user_id, q.id, q.day, q.version, q.expected, q.reported, q.score, q.suspicious, q.summary,
                          ARRAY(SELECT jsonb_array_elements_text(q.reasons)),
                          ARRAY(SELECT jsonb_array_elements_text(q.rules)),
                          CASE WHEN q.suspicious THEN 'pending' ELSE 'approved' END,
                          CASE WHEN q.suspicious THEN NULL ELSE now() END,
                          ARRAY(SELECT jsonb_array_elements_text(q.features)::float8)
                   FROM UNNEST($1::uuid[], $2::uuid[], $3::int4[], $4::int8[], $5::int8[], $6::numeric[], $7::bool[],
                               $8::text[], $9::jsonb[], $10::int8[], $11::jsonb[], $12::date[], $13::jsonb[])
                        AS q(id, user_id, version, expected, reported, score, suspicious, summary, reasons, verified, rules,
                             day, features)
                   ON CONFLICT (step_record_id, record_version) DO NOTHING
                   RETURNING id, user_id, recorded_date, step_record_id, record_version, is_suspicious, anomaly_score,
                             reasons
               ),
               -- The version waits no more (a newer one, synced meanwhile, still does).
               done AS (
                   DELETE FROM validation_queue q USING v
                   WHERE q.step_record_id = v.step_record_id AND q.version = v.record_version
               )
               UPDATE step_records r SET
                   status = CASE WHEN v.is_suspicious THEN 'suspicious' ELSE 'verified' END,
                   is_verified = NOT v.is_suspicious,
                   verified_steps = CASE WHEN v.is_suspicious THEN r.verified_steps ELSE q.verified END,
                   anomaly_score = v.anomaly_score, reasons = v.reasons,
                   validated_version = v.record_version, updated_at = now()
               FROM v JOIN UNNEST($1::uuid[], $10::int8[]) AS q(id, verified) ON q.id = v.step_record_id
               WHERE r.id = v.step_record_id AND r.recorded_date = ANY($12) AND r.version = v.record_version
               RETURNING v.id AS validation_id, v.user_id, v.recorded_date, v.is_suspicious, v.reasons"#,
            &self.ids,
            &self.users,
            &self.versions,
            &self.expected as &[Option<i64>],
            &self.reported,
            &self.scores,
            &self.suspicious,
            &self.summaries as &[Option<String>],
            &self.reasons,
            &self.verified,
            &self.rules,
            &self.dates,
            &self.features,
        )
        .fetch_all(&mut *tx)
        .await?;
        // The owner hears that a day is held, and why.
        let held: Vec<Notice> = written
            .into_iter()
            .filter(|w| w.is_suspicious)
            .map(|w| {
                Notice::new(
                    format!("day_held:{}", w.validation_id),
                    w.user_id,
                    Kind::DayHeld,
                    serde_json::json!({ "date": w.recorded_date, "reasons": w.reasons }),
                )
            })
            .collect();
        notifications::record(&mut tx, &held).await?;
        tx.commit().await?;
        Ok(())
    }
}
