//! `/v1/steps/*` and the step pipeline's consumers: steps-validate, steps-credit, and the
//! scheduled re-queue of records whose validation message never went out.

use std::collections::HashSet;

use chrono::Days;
use fitkart::http::{
    caller, caller_tx, json, json_body, ok, parse_query, path_id, query_param, Request, Response,
    StatusCode,
};
use fitkart::input::{self, Checks};
use fitkart::jobs::{self, ScheduledEvent};
use fitkart::queue::{self, Message};
use fitkart::steps::crediting::{self, CreditRecord};
use fitkart::steps::provenance::{self, DeviceType, RecordingMethod, SourceShare};
use fitkart::steps::sync::{requeue_stale, sync_days, DayEntry};
use fitkart::steps::{self, anomaly, validation, Source, ValidateRecord};
use fitkart::{App, Error, Result};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncBody {
    device_id: Option<String>,
    entries: Vec<EntryBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryBody {
    date: String,
    steps: i64,
    source: String,
    distance_km: Option<f64>,
    calories: Option<f64>,
    heart_points: Option<i64>,
    hourly_steps: Option<Vec<i64>>,
    manual_steps: Option<i64>,
    sync_token: Option<String>,
    pushes: Option<i64>,
    hourly_pushes: Option<Vec<i64>>,
    sources: Option<Vec<SourceBody>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceBody {
    app_id: String,
    device_type: String,
    recording_method: String,
    steps: i64,
    pushes: Option<i64>,
    hourly_steps: Option<Vec<i64>>,
}

/// A count of 0..=200,000.
fn count(value: i64) -> Result<i64, String> {
    if (0..=200_000).contains(&value) {
        Ok(value)
    } else {
        Err("must be between 0 and 200000".into())
    }
}

/// 24 hourly counts (local hours 0-23) adding up to `total` (`what`: steps or pushes).
fn hours(hours: Vec<i64>, total: Option<i64>, what: &str) -> Result<Vec<i32>, String> {
    if hours.len() != 24 {
        return Err(format!(
            "must have 24 hourly counts (local hours 0-23), got {}",
            hours.len()
        ));
    }
    if hours.iter().any(|h| !(0..=200_000).contains(h)) {
        return Err("hourly counts must be between 0 and 200000".into());
    }
    let sum: i64 = hours.iter().sum();
    match total {
        Some(total) if sum != total => Err(format!(
            "hourly counts add up to {sum}, not to {what} ({total})"
        )),
        _ => Ok(hours.into_iter().map(|h| h as i32).collect()),
    }
}

impl SourceBody {
    fn parse(self, at: &str, checks: &mut Checks) -> Option<SourceShare> {
        let field = |name: &str| format!("{at}.{name}");
        // An app id as the platform reports it: a bundle id or a package name.
        let app_id = checks.field(field("app_id"), input::opaque(&self.app_id, 200));
        let device_type = checks.field(field("device_type"), DeviceType::parse(&self.device_type));
        let recording_method = checks.field(
            field("recording_method"),
            RecordingMethod::parse(&self.recording_method),
        );
        let steps = checks.field(field("steps"), count(self.steps));
        let pushes = checks.optional(field("pushes"), self.pushes, count);
        let hourly_steps = checks.optional(field("hourly_steps"), self.hourly_steps, |h| {
            hours(h, Some(self.steps), "steps")
        });
        Some(SourceShare {
            app_id: app_id?,
            device_type: device_type?,
            recording_method: recording_method?,
            steps: steps?,
            pushes,
            hourly_steps,
        })
    }
}

fn decimal(value: f64, max: f64, places: u32) -> Result<Decimal, String> {
    if !value.is_finite() || !(0.0..=max).contains(&value) {
        return Err(format!("must be between 0 and {max}"));
    }
    Decimal::try_from(value)
        .map(|d| d.round_dp(places))
        .map_err(|_| "is not a number".into())
}

impl EntryBody {
    fn parse(self, at: &str, checks: &mut Checks) -> Option<DayEntry> {
        let field = |name: &str| format!("{at}.{name}");
        let date = checks.field(field("date"), input::date(&self.date));
        let steps = checks.field(field("steps"), count(self.steps));
        let source = checks.field(field("source"), Source::parse(&self.source));
        let distance_km = checks.optional(field("distance_km"), self.distance_km, |d| {
            decimal(d, 500.0, 3)
        });
        let calories = checks.optional(field("calories"), self.calories, |c| {
            decimal(c, 50_000.0, 2)
        });
        let heart_points = checks.optional(field("heart_points"), self.heart_points, |h| match h {
            0..=1_000 => Ok(h as i32),
            _ => Err("must be between 0 and 1000".into()),
        });
        let hourly_steps = checks.optional(field("hourly_steps"), self.hourly_steps, |h| {
            hours(h, Some(self.steps), "steps")
        });
        let pushes = checks.optional(field("pushes"), self.pushes, count);
        let hourly_pushes = checks.optional(field("hourly_pushes"), self.hourly_pushes, |h| {
            hours(h, pushes, "pushes")
        });
        if hourly_pushes.is_some() && self.pushes.is_none() {
            checks.fail(field("hourly_pushes"), "needs pushes, the day's total");
        }
        let sources: Option<Vec<SourceShare>> = self.sources.map(|sources| {
            sources
                .into_iter()
                .enumerate()
                .filter_map(|(i, s)| s.parse(&field(&format!("sources[{i}]")), checks))
                .collect()
        });
        if let Some(sources) = &sources {
            if let Err(why) = provenance::check(self.steps, pushes, sources) {
                checks.fail(field("sources"), why);
            }
        }
        let manual_steps = checks.field(
            field("manual_steps"),
            match self.manual_steps.unwrap_or(0) {
                m if m < 0 => Err("must not be negative".into()),
                m if self.steps >= 0 && m > self.steps => Err("must not exceed steps".into()),
                m => Ok(m),
            },
        );
        let sync_token = checks.optional(field("sync_token"), self.sync_token, |t| {
            input::opaque(&t, 255)
        });
        Some(DayEntry {
            date: date?,
            steps: steps?,
            source: source?,
            distance_km,
            calories,
            heart_points,
            hourly_steps,
            manual_steps: manual_steps?,
            sync_token,
            pushes,
            hourly_pushes,
            sources,
        })
    }
}

/// `POST /v1/steps/sync`; with `include=home`, the answer also carries the home screen as
/// `GET /v1/home` gives it, read after the sync: an app that syncs when it opens gets its
/// home in the same call (the gateway bills per request).
pub async fn sync(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let with_home = parse_query(&req, "include", |v| match v {
        "home" => Ok(()),
        _ => Err("must be home".to_owned()),
    })?
    .is_some();
    let body: SyncBody = json_body(&req)?;
    let mut checks = Checks::default();
    if !(1..=31).contains(&body.entries.len()) {
        checks.fail(
            "entries",
            format!("must have 1 to 31 entries, got {}", body.entries.len()),
        );
    }
    let device_id = checks.optional("device_id", body.device_id, |d| input::text(&d, 128));
    // One record per day: a date may appear once per sync.
    let mut seen = HashSet::new();
    for (i, entry) in body.entries.iter().enumerate() {
        if let Ok(date) = input::date(&entry.date) {
            if !seen.insert(date) {
                checks.fail(
                    format!("entries[{i}].date"),
                    format!("{date} appears more than once"),
                );
            }
        }
    }
    let entries: Vec<DayEntry> = body
        .entries
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| e.parse(&format!("entries[{i}]"), &mut checks))
        .collect();
    checks.finish()?;
    let records = sync_days(app, me.user_id, device_id, entries).await?;
    if !with_home {
        return json(StatusCode::ACCEPTED, &json!({ "records": records }));
    }
    let goal = app.settings().await?.daily_step_goal;
    let mut tx = app.db().await?.begin().await?;
    let home = fitkart::home::get(
        &mut tx,
        me.user_id,
        goal,
        app.now(),
        fitkart::http::locale(&req),
    )
    .await?;
    tx.commit().await?;
    json(
        StatusCode::ACCEPTED,
        &json!({ "records": records, "home": home }),
    )
}

pub async fn list(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    // Tomorrow in UTC is today somewhere: the default window covers every time zone.
    let (from, to) = input::date_range(
        query_param(&req, "from")?,
        query_param(&req, "to")?,
        app.now().date_naive() + Days::new(1),
        30,
    )?;
    let locale = fitkart::http::locale(&req);
    let items: Vec<_> = steps::list(&mut tx, me.user_id, from, to)
        .await?
        .into_iter()
        .map(|r| r.in_language(locale))
        .collect();
    let out = json!({ "items": items });
    tx.commit().await?;
    ok(&out)
}

/// `GET /v1/steps/devices`: the devices the caller synced from.
pub async fn devices(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let items = provenance::devices(&mut tx, me.user_id).await?;
    tx.commit().await?;
    ok(&json!({ "items": items }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppealBody {
    message: String,
}

pub async fn appeal(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: AppealBody = json_body(&req)?;
    let message = input::text(&body.message, 1_000).map_err(|m| Error::invalid("message", m))?;
    let record = steps::appeal(&mut tx, me.user_id, id, &message)
        .await?
        .in_language(fitkart::http::locale(&req));
    tx.commit().await?;
    json(StatusCode::ACCEPTED, &record)
}

/// steps-validate: a batch from the step-validation queue, scored together (one record
/// that fails is retried alone).
pub async fn validate(app: &App, messages: Vec<Message>) -> Vec<String> {
    let (requests, mut failed) = queue::parse::<ValidateRecord>(messages);
    let rest = queue::consume(requests, |batch| async move {
        validation::validate_batch(app, &batch).await
    })
    .await;
    failed.extend(rest);
    failed
}

/// steps-credit: a batch from the coin-credit queue, credited in one transaction (one
/// record that fails is retried alone).
pub async fn credit(app: &App, messages: Vec<Message>) -> Vec<String> {
    let (requests, mut failed) = queue::parse::<CreditRecord>(messages);
    let rest = queue::consume(requests, |batch| async move {
        let missing = crediting::credit_batch(app, &batch).await?;
        Ok(batch
            .into_iter()
            .filter(|r| missing.contains(&r.record_id))
            .collect())
    })
    .await;
    failed.extend(rest);
    failed
}

/// steps-requeue (scheduled): sends validation requests for records left waiting.
pub async fn requeue(app: &App, _event: Value) -> Result<Value> {
    let queued = requeue_stale(app, 500).await?;
    tracing::info!(queued, "stale step records re-queued");
    Ok(json!({ "queued": queued }))
}

/// steps-train-anomaly-model (weekly): a new model from the days admins decided and the
/// simulated population, once per scheduled time. The seed is the scheduled day, so a
/// retried run trains the same model. Its output says what validation now uses.
pub async fn train_anomaly_model(app: &App, event: ScheduledEvent) -> Result<Value> {
    jobs::run_once(app, "steps-train-anomaly-model", event, |now| async move {
        let settings = app.settings().await?;
        let seed = now.date_naive().to_epoch_days() as u64;
        let trained = anomaly::train(
            app.db().await?,
            &settings,
            now,
            anomaly::Training::weekly(seed),
        )
        .await?;
        let report = anomaly::report(trained, &settings);
        tracing::info!(validation = %report["validation"], "anomaly model trained");
        Ok(report)
    })
    .await
}
