//! The learned model: trained on admins' decisions and the simulated population,
//! reproducible, versioned in Postgres, judged on what it did not learn from, chosen (or
//! rolled back) by a setting, on by default once trained, and one more explained finding
//! that the walker and the admin both read.

use chrono::Duration;
use fitkart::jobs::ScheduledEvent;
use fitkart::settings::Settings;
use fitkart::steps::anomaly;
use fitkart::steps::anticheat::model::Model;
use fitkart::steps::anticheat::{self, DayFacts, RecentDay};
use fitkart_functions::{admin, steps};
use fitkart_tests::{Pipeline, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

/// Twenty walkers with a fortnight of ordinary days each, through sync, validation and
/// crediting (which store each day's features); one walker's 60,000-step day is held and
/// rejected by an admin.
async fn population() -> (TestApp, Pipeline) {
    let (config, pipeline) = Pipeline::create().await;
    let t = TestApp::with_config(config).await;
    // The fortnight arrives in one sync (a reinstalled app's backfill).
    t.set_setting("max_backfill_days", "14").await;
    let today = fitkart_tests::now().date_naive();
    for n in 0..20_i64 {
        let walker = t.verified(&format!("walker{n}@example.com")).await;
        t.joined_days_ago(walker.id, 90).await;
        let entries: Vec<Value> = (1..=14_i64)
            .map(|d| {
                let steps = 5_000 + (n * 397 + d * 611) % 6_000;
                let mut hours = vec![0; 24];
                for (h, share) in [(8, 2), (12, 3), (13, 1), (17, 2)] {
                    hours[h] = steps * share / 10;
                }
                hours[19] = steps - hours.iter().sum::<i64>();
                json!({"date": today - Duration::days(d), "steps": steps, "source": "health_kit",
                       "distance_km": steps as f64 * 0.00074, "calories": steps as f64 * 0.04,
                       "hourly_steps": hours})
            })
            .collect();
        let res = t
            .sync(
                &walker,
                json!({"device_id": format!("phone-{n}"), "entries": entries}),
            )
            .await;
        assert_eq!(res.status, 202, "{}", res.body);
        if n == 0 {
            let res = t.sync(&walker, json!({"device_id": "phone-0", "entries": [
                    {"date": today, "steps": 60_000, "source": "health_kit", "distance_km": 20.0}]})).await;
            assert_eq!(res.status, 202);
        }
    }
    pipeline.run(t.app).await;
    let boss = t.admin("boss@example.com").await;
    let held: Uuid = sqlx::query_scalar("SELECT id FROM step_validations WHERE status = 'pending'")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let res = t
        .call(
            admin::review_validation,
            "POST",
            "/v1/admin/validations/{id}/review",
        )
        .bearer(&boss.access_token)
        .param("id", held)
        .json(json!({"decision": "reject", "note": "No hourly data for 60,000 steps."}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    (t, pipeline)
}

/// Training on a smaller simulated population than the weekly job's (tests run unoptimised
/// code).
fn small(seed: u64) -> anomaly::Training {
    anomaly::Training {
        walkers: 60,
        cheats: 2,
        ..anomaly::Training::weekly(seed)
    }
}

async fn stored(t: &TestApp, version: i32) -> Model {
    let json: Value = sqlx::query_scalar("SELECT model FROM anomaly_models WHERE version = $1")
        .bind(version)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn training_is_reproducible_stored_judged_and_chosen_by_setting() {
    let (t, _pipeline) = population().await;
    let features: i64 =
        sqlx::query_scalar("SELECT count(*) FROM step_validations WHERE features IS NOT NULL")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(
        features,
        20 * 14 + 1,
        "every verdict stores what the model sees"
    );

    let now = fitkart_tests::now();
    let settings = Settings::defaults();
    let train = |seed: u64| {
        let settings = settings.clone();
        let pool = t.pool.clone();
        async move {
            anomaly::train(&pool, &settings, now, small(seed))
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (v1, summary) = train(7).await;
    let (v2, _) = train(7).await;
    let (v3, _) = train(8).await;
    assert_eq!(
        stored(&t, v1).await,
        stored(&t, v2).await,
        "same days, same seed, same model"
    );
    assert_ne!(
        stored(&t, v1).await,
        stored(&t, v3).await,
        "another simulated population"
    );
    // What it learned from, and how it does on what it did not.
    let learned = &summary["learned_from"];
    let decisions = learned["admin_decisions"].as_i64().unwrap()
        + summary["held_out_decisions"]["frauds"].as_i64().unwrap();
    assert_eq!(
        decisions, 1,
        "the admin's rejection, learned from or held out"
    );
    assert!(
        learned["simulated_fraud_days"].as_i64().unwrap() > 50,
        "cheats the rules let through: {summary}"
    );
    assert_eq!(summary["recent_verified_days"], 20 * 14);
    assert!(summary["flags_of_recent_verified_days"].as_f64().unwrap() < 0.05);
    let judged = &summary["another_simulated_population"];
    // Of the days the rules let through, it flags cheats' far more often than walkers'.
    let (recall, fpr) = (
        judged["recall"].as_f64().unwrap(),
        judged["false_positive_rate"].as_f64().unwrap(),
    );
    assert!(recall > 0.2 && recall > 20.0 * fpr, "{judged}");
    assert_eq!(summary["strongest_features"].as_array().unwrap().len(), 6);

    // No weight: no model is read at all, whatever exists.
    let mut settings = Settings::defaults();
    settings.anomaly_model_weight = 0;
    assert!(
        anomaly::in_use(&mut t.pool.begin().await.unwrap(), &settings)
            .await
            .unwrap()
            .is_none()
    );
    // The shipped weight: the newest, or the version an admin rolled back to.
    let mut settings = Settings::defaults();
    assert_eq!(
        *anomaly::in_use(&mut t.pool.begin().await.unwrap(), &settings)
            .await
            .unwrap()
            .unwrap(),
        stored(&t, v3).await
    );
    settings.anomaly_model_version = i64::from(v1);
    assert_eq!(
        *anomaly::in_use(&mut t.pool.begin().await.unwrap(), &settings)
            .await
            .unwrap()
            .unwrap(),
        stored(&t, v1).await
    );

    // Admins roll back to v1 through the API (one asks, a second approves); a version
    // never trained is refused at once and changes nothing.
    let boss = t.admin_session("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    let roll_back = |version: i64| {
        t.call(admin::update_setting, "PUT", "/v1/admin/settings/{key}")
            .bearer(&boss.access_token)
            .param("key", "anomaly_model_version")
            .json(json!({ "value": version, "reason": "v3 holds too many honest days" }))
            .send()
    };
    let refused = roll_back(i64::from(v3) + 1).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.error_fields(), ["value"]);
    for version in [i64::from(v1), 0, i64::from(v1)] {
        let requested = roll_back(version).await;
        let approved = t.approve(&ops, &requested).await;
        assert_eq!(approved.status, 200, "{}", approved.body);
    }

    // The console's list says which one is selected and in use.
    let list = t
        .call(
            admin::list_anomaly_models,
            "GET",
            "/v1/admin/anomaly-models",
        )
        .bearer(&boss.access_token)
        .send()
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let chosen = |field: &str| -> Vec<i64> {
        items
            .iter()
            .filter(|m| m[field] == true)
            .map(|m| m["version"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(chosen("selected"), [i64::from(v1)]);
    assert_eq!(
        chosen("in_use"),
        [i64::from(v1)],
        "on by default: the selected one is used"
    );
}

/// A day as a machine walks it: 18 hours gliding up and down a smooth curve (500 to 900
/// steps), too uneven for the steady-hours rule, never bursty like a person.
fn gliding_day() -> Vec<i32> {
    let mut hours = vec![0; 24];
    for (i, hour) in hours.iter_mut().enumerate().skip(5).take(18) {
        let x = (i - 5) as f64 / 17.0 * std::f64::consts::PI;
        *hour = (500.0 + 400.0 * x.sin()) as i32;
    }
    hours
}

#[tokio::test]
async fn a_day_the_model_flags_is_one_more_finding_explained_to_the_walker_and_the_admin() {
    let (t, pipeline) = population().await;
    let settings = Settings::defaults();
    let (version, _) = anomaly::train(&t.pool, &settings, fitkart_tests::now(), small(1))
        .await
        .unwrap()
        .unwrap();
    let model = stored(&t, version).await;
    let hours = gliding_day();
    let steps: i64 = hours.iter().map(|h| i64::from(*h)).sum();
    let walker_days: Vec<RecentDay> = (1..=14)
        .map(|d| RecentDay {
            date: fitkart_tests::now().date_naive() - Duration::days(d),
            steps: 7_000 + d * 150,
            hourly_steps: Some(hours.clone()),
            ..RecentDay::default()
        })
        .collect();
    let odd = DayFacts {
        steps,
        distance_km: Some(Decimal::from(steps) * Decimal::new(72, 5)),
        calories: Some(Decimal::from(steps) * Decimal::new(4, 2)),
        hourly_steps: Some(hours.clone()),
        recent_verified_days: walker_days.iter().map(|d| d.steps).collect(),
        recent_days: walker_days,
        ..DayFacts::default()
    };
    let mut off = settings.clone();
    off.anomaly_model_weight = 0;
    let ruled = anticheat::score(&odd, &off, Some(&model));
    assert!(
        ruled.rules.is_empty(),
        "the rules alone let it through: {:?}",
        ruled.rules
    );
    let flagged = anticheat::score(&odd, &settings, Some(&model));
    assert_eq!(flagged.rules, ["anomaly_model"], "{flagged:?}");
    assert!(flagged.suspicious);
    assert!(
        flagged.reasons[0].starts_with("Unusual for walkers like you: "),
        "{:?}",
        flagged.reasons
    );
    // Without a model (none trained yet), the rules alone decide.
    assert_eq!(anticheat::score(&odd, &settings, None).rules.len(), 0);

    // Through the pipeline, with the shipped weight: a walker's gliding day is held, and
    // the walker and the admin read the same reason.
    let walker = t.login("walker3@example.com").await;
    let today = fitkart_tests::now().date_naive();
    t.sync_days(
        &walker,
        Some("phone-3"),
        vec![
            json!({"date": today, "steps": steps, "source": "health_kit",
                    "distance_km": steps as f64 * 0.00072, "calories": steps as f64 * 0.04,
                    "hourly_steps": hours}),
        ],
    )
    .await;
    pipeline.run(t.app).await;
    let mine = t
        .call(steps::list, "GET", "/v1/steps")
        .bearer(&walker.access_token)
        .query("from", today)
        .query("to", today)
        .send()
        .await;
    let record = &mine.body["items"][0];
    assert_eq!(record["status"], "suspicious", "{}", mine.body);
    let reason = record["reasons"][0].as_str().unwrap().to_owned();
    assert!(
        reason.starts_with("Unusual for walkers like you: "),
        "{reason}"
    );
    let boss = t.admin_session("boss@example.com").await;
    let queue = t
        .call(admin::list_validations, "GET", "/v1/admin/validations")
        .bearer(&boss.access_token)
        .query("status", "pending")
        .send()
        .await;
    let held = queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["record"]["date"] == json!(today) && v["reasons"][0] == json!(reason));
    assert!(held.is_some(), "{}", queue.body);
}

#[tokio::test]
async fn a_fresh_deployment_runs_on_the_rules_until_its_first_model_then_uses_it() {
    let t = TestApp::new().await;
    let settings = Settings::defaults();
    assert!(
        settings.anomaly_model_weight > 0,
        "the model ships switched on"
    );
    assert!(
        anomaly::in_use(&mut t.pool.begin().await.unwrap(), &settings)
            .await
            .unwrap()
            .is_none(),
        "no model yet: the rules alone"
    );
    // The weekly job trains one from the simulated population alone, once per scheduled
    // time, and says what validation now uses.
    let at = fitkart_tests::now();
    let event = || ScheduledEvent {
        scheduled_time: Some(at),
    };
    let first = steps::train_anomaly_model(t.app, event()).await.unwrap();
    let again = steps::train_anomaly_model(t.app, event()).await.unwrap();
    assert_eq!(again["skipped"], true, "{again}");
    let version = first["version"].as_i64().expect("a model") as i32;
    assert_eq!(
        first["validation"],
        format!(
            "the rules and model {version}: a day it flags gets {} points",
            settings.anomaly_model_weight
        )
    );
    assert_eq!(
        *anomaly::in_use(&mut t.pool.begin().await.unwrap(), &settings)
            .await
            .unwrap()
            .unwrap(),
        stored(&t, version).await
    );
    // Rolled back to the rules by a setting, the next run says so.
    t.set_setting("anomaly_model_weight", "0").await;
    let later = steps::train_anomaly_model(
        t.app,
        ScheduledEvent {
            scheduled_time: Some(at + Duration::days(7)),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        later["validation"],
        "the rules alone: anomaly_model_weight is 0"
    );
}
