//! The learned model's life: trained weekly on the days admins decided and a simulated
//! population of walkers and cheats, calibrated on the deployment's verified days,
//! versioned in `anomaly_models` with a training summary, measured on what it did not
//! learn from, and loaded by validation on first use.

use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};

use super::anticheat::features::N;
use super::anticheat::model::{Example, Model};
use super::anticheat::synthetic;
use crate::settings::Settings;
use crate::{Error, Result};

/// How far back training looks for admins' decisions and verified days, and how many days
/// it reads at most (the most recent).
const TRAINING_DAYS: i32 = 28;
const MAX_ROWS: i64 = 50_000;
/// The share of honest days the model's threshold flags, as the weekly job trains it:
/// chosen on the fraud benchmark's tuning seed (docs/benchmarks.md).
pub const FLAG_RATE: f64 = 0.003;

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
    let Some(current) = crate::db_query!(
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
    let stored = crate::db_query_scalar!(
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
    Ok(crate::db_query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM anomaly_models WHERE version = $1) AS "trained!""#,
        version
    )
    .fetch_one(conn)
    .await?)
}

/// How well a model separates labelled days (fraud = rejected by an admin, or a scripted
/// cheat of the simulated population), at its threshold.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Separation {
    pub walkers: usize,
    pub frauds: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    /// Of the fraud days, the share flagged.
    pub recall: Option<f64>,
    /// Of the walkers' days, the share flagged.
    pub false_positive_rate: Option<f64>,
}

impl Separation {
    pub fn measure<'a>(
        model: &Model,
        labelled: impl Iterator<Item = (&'a [f64; N], bool)>,
    ) -> Self {
        let mut s = Separation::default();
        for (row, fraud) in labelled {
            let flagged = model.flags(row);
            if fraud {
                s.frauds += 1;
                s.true_positives += flagged as usize;
            } else {
                s.walkers += 1;
                s.false_positives += flagged as usize;
            }
        }
        s.recall = (s.frauds > 0).then(|| s.true_positives as f64 / s.frauds as f64);
        s.false_positive_rate =
            (s.walkers > 0).then(|| s.false_positives as f64 / s.walkers as f64);
        s
    }
}

fn row(values: &[f64]) -> Option<[f64; N]> {
    values.try_into().ok()
}

/// How a model is trained: the seed of its simulated population (its size: walkers who
/// joined before, half as many new ones, and units of each scripted cheat) and the share of
/// honest days its threshold flags.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    pub seed: u64,
    pub flag_rate: f64,
    pub walkers: usize,
    pub cheats: usize,
}

impl Training {
    /// The weekly job's: a population that replays and trains in seconds in a Lambda,
    /// and `FLAG_RATE`.
    pub fn weekly(seed: u64) -> Self {
        Self {
            seed,
            flag_rate: FLAG_RATE,
            walkers: 400,
            cheats: 8,
        }
    }
}

/// An admin's decision weighs as much as this many simulated days: it is about a real
/// walker of this deployment.
const DECISION_WEIGHT: f64 = 5.0;

/// Trains a model for `now` and stores it. It learns from the simulated population of
/// `seed` (`anticheat::synthetic`) and from the days admins decided in the last
/// `TRAINING_DAYS` (half of them, by a hash of the validation id; the other half is held
/// out to measure it); its threshold flags `flag_rate` of the simulated walkers' days. The
/// summary says what it learned from and how well it separates the held-out decisions and
/// a simulated population of another seed. `None` when there is nothing to learn from.
pub async fn train(
    pool: &PgPool,
    settings: &Settings,
    now: DateTime<Utc>,
    training: Training,
) -> Result<Option<(i32, Value)>> {
    let Training {
        seed,
        flag_rate,
        walkers,
        cheats,
    } = training;
    let rows = crate::db_query!(
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
    let mut examples: Vec<Example> = Vec::new();
    let mut verified: Vec<[f64; N]> = Vec::new();
    let mut held_out: Vec<([f64; N], bool)> = Vec::new();
    let (mut first, mut last): (Option<NaiveDate>, Option<NaiveDate>) = (None, None);
    for r in &rows {
        let Some(features) = row(&r.features) else {
            continue;
        };
        first = Some(first.map_or(r.recorded_date, |d| d.min(r.recorded_date)));
        last = Some(last.map_or(r.recorded_date, |d| d.max(r.recorded_date)));
        let fraud = r.status == "rejected";
        match (r.reviewed, r.trains) {
            (false, _) => verified.push(features),
            (true, true) => examples.push(Example {
                features,
                fraud,
                weight: DECISION_WEIGHT,
            }),
            (true, false) => held_out.push((features, fraud)),
        }
    }
    let decisions = examples.len();
    let world = synthetic::World::generate(seed, now.date_naive(), walkers, cheats);
    let simulated = synthetic::labelled(&world, settings);
    let simulated_walkers: Vec<[f64; N]> = simulated
        .iter()
        .filter(|l| !l.fraud && l.passed_the_rules)
        .map(|l| l.features)
        .collect();
    // A day the rules hold waits for a person whatever the model says: the model learns
    // to tell apart the simulated days the rules let through.
    examples.extend(
        simulated
            .iter()
            .filter(|l| l.passed_the_rules)
            .map(|l| Example {
                features: l.features,
                fraud: l.fraud,
                weight: 1.0,
            }),
    );
    // The threshold comes from walkers known to be honest: the deployment's verified days
    // also hold the cheats nobody caught yet, which would push it above them.
    let Some(model) = Model::train(&examples, &simulated_walkers, flag_rate) else {
        return Ok(None);
    };
    // Judged on what it did not learn from: the held-out decisions, and a population of
    // another seed.
    let other = synthetic::labelled(
        &synthetic::World::generate(
            seed.wrapping_add(1),
            now.date_naive(),
            walkers / 2,
            cheats.div_ceil(2),
        ),
        settings,
    );
    let summary = json!({
        "kind": "logistic_regression",
        "seed": seed,
        "threshold": model.threshold,
        "flag_rate": flag_rate,
        "learned_from": {
            "admin_decisions": decisions,
            "simulated_days": simulated.iter().filter(|l| l.passed_the_rules).count(),
            "simulated_fraud_days": simulated.iter().filter(|l| l.passed_the_rules && l.fraud).count(),
            "date_from": first,
            "date_to": last,
        },
        "calibration_days": simulated_walkers.len(),
        // What it would hold of this deployment's recent verified days (cheats the rules
        // missed among them).
        "flags_of_recent_verified_days": (!verified.is_empty()).then(|| {
            verified.iter().filter(|r| model.flags(r)).count() as f64 / verified.len() as f64
        }),
        "recent_verified_days": verified.len(),
        "strongest_features": model.strongest(6).into_iter().map(|(name, weight)| json!({"feature": name, "weight": weight})).collect::<Vec<_>>(),
        "held_out_decisions": Separation::measure(&model, held_out.iter().map(|(r, f)| (r, *f))),
        // What the model adds to the rules: the days they let through, walkers' and cheats'.
        "another_simulated_population": Separation::measure(
            &model,
            other.iter().filter(|l| l.passed_the_rules).map(|l| (&l.features, l.fraud)),
        ),
    });
    let version = crate::db_query_scalar!(
        "INSERT INTO anomaly_models (model, summary) VALUES ($1, $2) RETURNING version",
        serde_json::to_value(&model).map_err(Error::internal)?,
        summary
    )
    .fetch_one(pool)
    .await?;
    Ok(Some((version, summary)))
}

/// What a training run did and what validation uses now, in words for the job's output.
pub fn report(trained: Option<(i32, Value)>, settings: &Settings) -> Value {
    let validation = match (&trained, settings.anomaly_model_weight, settings.anomaly_model_version) {
        (_, _, _) if !settings.anti_cheat_enabled => "anti-cheat is off: nothing is scored".to_owned(),
        (_, 0, _) => "the rules alone: anomaly_model_weight is 0".to_owned(),
        (None, _, 0) => "the rules alone: no model could be trained yet".to_owned(),
        (Some((version, _)), weight, 0) => {
            format!("the rules and model {version}: a day it flags gets {weight} points")
        }
        (_, weight, pinned) => format!(
            "the rules and model {pinned} (pinned by anomaly_model_version): a day it flags gets {weight} points"
        ),
    };
    match trained {
        Some((version, summary)) => {
            json!({ "version": version, "summary": summary, "validation": validation })
        }
        None => json!({ "version": null, "validation": validation }),
    }
}

/// Every trained model, newest first, with the one validation uses marked.
pub async fn list(pool: &PgPool, settings: &Settings) -> Result<Vec<Value>> {
    let models = crate::db_query!(
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
