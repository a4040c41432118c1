//! The learned anomaly model's life: trained weekly on recent verified and admin-approved
//! days (their stored features), versioned in `anomaly_models` with a training summary,
//! measured on the days admins decided, and loaded by validation on first use.

use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};

use super::anticheat::features::{FEATURES, MISSING, N};
use super::anticheat::model::Model;
use crate::settings::Settings;
use crate::{Error, Result};

/// How far back training looks, and how many days it uses at most (the most recent).
const TRAINING_DAYS: i32 = 28;
const MAX_ROWS: i64 = 50_000;
/// The share of training days the model flags (its threshold), as the weekly job trains
/// it: at most the half point of honest days the model may add to the held share.
pub const FLAG_RATE: f64 = 0.005;

/// The model validation scores with, cached per process by (version, trained_at): one
/// small query per batch says which model is in use; it is read and parsed only when that
/// changes.
type Cached = ((i32, DateTime<Utc>), Arc<Model>);
static CACHE: OnceLock<Mutex<Option<Cached>>> = OnceLock::new();

/// The model in use: none while `anomaly_model_weight` is 0 (nothing is even read) or no
/// model was trained; else `anomaly_model_version` (0: the newest).
pub async fn in_use(conn: &mut PgConnection, settings: &Settings) -> Result<Option<Arc<Model>>> {
    if settings.anomaly_model_weight == 0 || !settings.anti_cheat_enabled {
        return Ok(None);
    }
    let Some(current) = sqlx::query!(
        "SELECT version, trained_at FROM anomaly_models WHERE $1 = 0 OR version = $1
         ORDER BY version DESC LIMIT 1",
        settings.anomaly_model_version as i32
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let key = (current.version, current.trained_at);
    let cache = CACHE.get_or_init(|| Mutex::new(None));
    if let Some((cached, model)) = cache
        .lock()
        .map_err(|_| Error::internal("model cache poisoned"))?
        .as_ref()
    {
        if *cached == key {
            return Ok(Some(model.clone()));
        }
    }
    let stored = sqlx::query_scalar!(
        "SELECT model FROM anomaly_models WHERE version = $1",
        current.version
    )
    .fetch_one(&mut *conn)
    .await?;
    let model: Arc<Model> = Arc::new(serde_json::from_value(stored).map_err(Error::internal)?);
    *cache
        .lock()
        .map_err(|_| Error::internal("model cache poisoned"))? = Some((key, model.clone()));
    Ok(Some(model))
}

/// Whether a model with this version was trained (a roll-back target must exist).
pub async fn exists(conn: &mut PgConnection, version: i32) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM anomaly_models WHERE version = $1) AS "trained!""#,
        version
    )
    .fetch_one(conn)
    .await?)
}

/// How well a model separates the days admins decided (rejected = fraud), at its threshold.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Separation {
    pub approved: usize,
    pub rejected: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

impl Separation {
    pub fn measure(model: &Model, labelled: &[([f64; N], bool)]) -> Separation {
        let flagged = |row: &[f64; N]| model.score(row) >= model.threshold;
        let rejected = labelled.iter().filter(|(_, fraud)| *fraud).count();
        let tp = labelled
            .iter()
            .filter(|(row, fraud)| *fraud && flagged(row))
            .count();
        let fp = labelled
            .iter()
            .filter(|(row, fraud)| !*fraud && flagged(row))
            .count();
        Separation {
            approved: labelled.len() - rejected,
            rejected,
            true_positives: tp,
            false_positives: fp,
            precision: (tp + fp > 0).then(|| tp as f64 / (tp + fp) as f64),
            recall: (rejected > 0).then(|| tp as f64 / rejected as f64),
        }
    }
}

fn row(values: &[f64]) -> Option<[f64; N]> {
    values.try_into().ok()
}

/// Trains a model on the `TRAINING_DAYS` before `now`, stores it and returns its version
/// and summary; `None` when there are too few days to learn from. Half of the days admins
/// approved (by a hash of the validation id) train the model; the other half and every
/// rejected day are held out to measure it.
pub async fn train(
    pool: &PgPool,
    now: DateTime<Utc>,
    seed: u64,
    flag_rate: f64,
) -> Result<Option<(i32, Value)>> {
    let rows = sqlx::query!(
        r#"SELECT v.features AS "features!", v.recorded_date, v.status,
                  v.reviewed_by_admin_id IS NOT NULL AS "reviewed!",
                  abs(hashtext(v.id::text)) % 2 = 0 AS "trains!"
           FROM step_validations v
           WHERE v.features IS NOT NULL AND v.status IN ('approved', 'rejected')
             AND v.recorded_date >= $1::date - $2::int AND v.recorded_date <= $1::date
           ORDER BY v.recorded_date DESC, v.id
           LIMIT $3"#,
        now.date_naive(),
        TRAINING_DAYS,
        MAX_ROWS
    )
    .fetch_all(pool)
    .await?;
    let mut training: Vec<[f64; N]> = Vec::new();
    let mut labelled: Vec<([f64; N], bool)> = Vec::new();
    let (mut first, mut last): (Option<NaiveDate>, Option<NaiveDate>) = (None, None);
    for r in &rows {
        let Some(features) = row(&r.features) else {
            continue;
        };
        match (r.status.as_str(), r.reviewed, r.trains) {
            ("approved", false, _) | ("approved", true, true) => {
                training.push(features);
                first = Some(first.map_or(r.recorded_date, |d| d.min(r.recorded_date)));
                last = Some(last.map_or(r.recorded_date, |d| d.max(r.recorded_date)));
            }
            ("approved", true, false) => labelled.push((features, false)),
            ("rejected", true, _) => labelled.push((features, true)),
            _ => {}
        }
    }
    let Some(model) = Model::train(&training, flag_rate, seed) else {
        return Ok(None);
    };
    let separation = Separation::measure(&model, &labelled);
    // A feature no training day had (no baselines yet, say) has no mean: null.
    let means: serde_json::Map<String, Value> = FEATURES
        .iter()
        .zip(&model.means)
        .enumerate()
        .map(|(f, ((name, ..), mean))| {
            let seen = training.iter().any(|r| r[f] != MISSING);
            let mean = seen.then(|| (mean * 1000.0).round() / 1000.0);
            ((*name).to_owned(), json!(mean))
        })
        .collect();
    let summary = json!({
        "rows": training.len(),
        "date_from": first,
        "date_to": last,
        "seed": seed,
        "threshold": model.threshold,
        "flag_rate": flag_rate,
        "feature_means": means,
        "labelled": separation,
    });
    let version = sqlx::query_scalar!(
        "INSERT INTO anomaly_models (model, summary) VALUES ($1, $2) RETURNING version",
        serde_json::to_value(&model).map_err(Error::internal)?,
        summary
    )
    .fetch_one(pool)
    .await?;
    Ok(Some((version, summary)))
}

/// Every trained model, newest first, with the one validation uses marked.
pub async fn list(pool: &PgPool, settings: &Settings) -> Result<Vec<Value>> {
    let models = sqlx::query!(
        "SELECT version, trained_at, summary FROM anomaly_models ORDER BY version DESC LIMIT 52"
    )
    .fetch_all(pool)
    .await?;
    let in_use = match settings.anomaly_model_version {
        0 => models.first().map(|m| m.version),
        v => Some(v as i32),
    };
    Ok(models
        .into_iter()
        .map(|m| {
            json!({
                "version": m.version,
                "trained_at": m.trained_at,
                "summary": m.summary,
                "in_use": Some(m.version) == in_use && settings.anomaly_model_weight > 0,
                "selected": Some(m.version) == in_use,
            })
        })
        .collect())
}
