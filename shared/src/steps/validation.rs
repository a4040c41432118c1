//! The step-validation consumer's domain: score a batch of records with the anti-cheat
//! rules in a few set-based statements, record each verdict once per record version, and
//! pass verified records on to crediting.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use uuid::Uuid;

use super::anticheat::{self, DayFacts};
use super::crediting::CreditRecord;
use super::ValidateRecord;
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
        queue::send(app.sqs().await, url, &creditable).await?;
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
) -> Result<(Vec<ValidateRecord>, Vec<CreditRecord>)> {
    let ids: Vec<Uuid> = requests.iter().map(|r| r.record_id).collect();

    let records = sqlx::query!(
        r#"SELECT r.id, r.user_id, r.version, r.validated_version, r.recorded_date, r.steps, r.distance, r.calories,
                  r.source, r.manual_steps, r.hourly_steps, r.device_id,
                  ((r.created_at AT TIME ZONE u.timezone)::date - r.recorded_date) AS "days_late!"
           FROM step_records r JOIN users u ON u.id = r.user_id
           WHERE r.id = ANY($1)"#,
        &ids
    )
    .fetch_all(pool)
    .await?;
    let by_id: HashMap<Uuid, _> = records.iter().map(|r| (r.id, r)).collect();
    let missing: Vec<ValidateRecord> = requests
        .iter()
        .filter(|r| !by_id.contains_key(&r.record_id))
        .copied()
        .collect();

    // Only the current, not yet validated version of each record needs scoring.
    let mut todo: Vec<_> = records
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
        let user_ids: Vec<Uuid> = todo.iter().map(|r| r.user_id).collect();
        let dates: Vec<NaiveDate> = todo.iter().map(|r| r.recorded_date).collect();
        // Each user's 30 most recent verified days before the day scored: their baseline.
        let history = sqlx::query!(
            r#"SELECT q.user_id AS "user_id!", q.day AS "day!",
                      COALESCE(array_agg(h.verified_steps ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.verified_steps IS NOT NULL), '{}') AS "days!"
               FROM UNNEST($1::uuid[], $2::date[]) AS q(user_id, day)
               LEFT JOIN LATERAL (
                   SELECT recorded_date, verified_steps FROM step_records s
                   WHERE s.user_id = q.user_id AND s.status = 'verified' AND s.recorded_date < q.day
                   ORDER BY s.recorded_date DESC LIMIT 30
               ) h ON TRUE
               GROUP BY q.user_id, q.day"#,
            &user_ids,
            &dates
        )
        .fetch_all(pool)
        .await?;
        let baselines: HashMap<(Uuid, NaiveDate), Vec<i64>> = history
            .into_iter()
            .map(|h| ((h.user_id, h.day), h.days))
            .collect();

        let devices: Vec<String> = todo.iter().filter_map(|r| r.device_id.clone()).collect();
        let sharing = sqlx::query!(
            r#"SELECT device_id AS "device_id!", array_agg(DISTINCT user_id) AS "users!"
               FROM step_records
               WHERE device_id = ANY($1) AND recorded_date > current_date - 30
               GROUP BY device_id"#,
            &devices
        )
        .fetch_all(pool)
        .await?;
        let device_users: HashMap<String, Vec<Uuid>> = sharing
            .into_iter()
            .map(|d| (d.device_id, d.users))
            .collect();

        let mut out = VerdictRows::default();
        for r in &todo {
            let facts = DayFacts {
                steps: r.steps,
                distance_km: r.distance,
                calories: r.calories,
                source: r.source.clone(),
                manual_steps: r.manual_steps,
                hourly_steps: r.hourly_steps.clone(),
                reported_days_late: i64::from(r.days_late),
                other_accounts_on_device: r
                    .device_id
                    .as_ref()
                    .and_then(|d| device_users.get(d))
                    .map(|users| users.iter().filter(|u| **u != r.user_id).count() as i64)
                    .unwrap_or(0),
                recent_verified_days: baselines
                    .get(&(r.user_id, r.recorded_date))
                    .cloned()
                    .unwrap_or_default(),
            };
            let verdict = anticheat::score(&facts, settings);
            out.push(r.id, r.user_id, r.version, r.steps, &verdict);
        }
        out.write(pool).await?;
    }

    let creditable = sqlx::query_scalar!(
        r#"SELECT id FROM step_records
           WHERE id = ANY($1) AND status = 'verified' AND verified_steps > credited_steps"#,
        &ids
    )
    .fetch_all(pool)
    .await?;
    Ok((
        missing,
        creditable
            .into_iter()
            .map(|record_id| CreditRecord { record_id })
            .collect(),
    ))
}

/// Column arrays for the two set-based writes of a batch's verdicts.
#[derive(Default)]
struct VerdictRows {
    ids: Vec<Uuid>,
    users: Vec<Uuid>,
    versions: Vec<i32>,
    reported: Vec<i64>,
    expected: Vec<Option<i64>>,
    scores: Vec<Decimal>,
    suspicious: Vec<bool>,
    verified: Vec<i64>,
    reasons: Vec<serde_json::Value>,
    summaries: Vec<Option<String>>,
}

impl VerdictRows {
    fn push(
        &mut self,
        id: Uuid,
        user: Uuid,
        version: i32,
        steps: i64,
        verdict: &anticheat::Verdict,
    ) {
        self.ids.push(id);
        self.users.push(user);
        self.versions.push(version);
        self.reported.push(steps);
        self.expected.push(verdict.expected_steps);
        self.scores.push(Decimal::from(verdict.score));
        self.suspicious.push(verdict.suspicious);
        self.verified.push(verdict.verified_steps);
        self.reasons.push(serde_json::json!(verdict.reasons));
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
        sqlx::query!(
            r#"WITH v AS (
                   INSERT INTO step_validations (user_id, step_record_id, record_version, expected_steps, reported_steps,
                                                 anomaly_score, is_suspicious, validation_reason, reasons, status,
                                                 reviewed_at)
                   SELECT q.user_id, q.id, q.version, q.expected, q.reported, q.score, q.suspicious, q.summary,
                          ARRAY(SELECT jsonb_array_elements_text(q.reasons)),
                          CASE WHEN q.suspicious THEN 'pending' ELSE 'approved' END,
                          CASE WHEN q.suspicious THEN NULL ELSE now() END
                   FROM UNNEST($1::uuid[], $2::uuid[], $3::int4[], $4::int8[], $5::int8[], $6::numeric[], $7::bool[],
                               $8::text[], $9::jsonb[], $10::int8[])
                        AS q(id, user_id, version, expected, reported, score, suspicious, summary, reasons, verified)
                   ON CONFLICT (step_record_id, record_version) DO NOTHING
                   RETURNING step_record_id, record_version, is_suspicious, anomaly_score, reasons
               )
               UPDATE step_records r SET
                   status = CASE WHEN v.is_suspicious THEN 'suspicious' ELSE 'verified' END,
                   is_verified = NOT v.is_suspicious,
                   verified_steps = CASE WHEN v.is_suspicious THEN r.verified_steps ELSE q.verified END,
                   anomaly_score = v.anomaly_score, reasons = v.reasons,
                   validated_version = v.record_version, updated_at = now()
               FROM v JOIN UNNEST($1::uuid[], $10::int8[]) AS q(id, verified) ON q.id = v.step_record_id
               WHERE r.id = v.step_record_id AND r.version = v.record_version"#,
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
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
