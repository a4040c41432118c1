//! The learned anomaly model: trained from the features validation stores, versioned in
//! Postgres, measured on the days admins decided, chosen (or rolled back) by a setting,
//! and one more explainable finding once its weight is set.

use chrono::{Duration, Utc};
use fitkart::jobs::ScheduledEvent;
use fitkart::settings::Settings;
use fitkart::steps::anomaly;
use fitkart::steps::anticheat::model::Model;
use fitkart::steps::anticheat::{self, DayFacts};
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
    let today = Utc::now().date_naive();
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

async fn stored(t: &TestApp, version: i32) -> Model {
    let json: Value = sqlx::query_scalar("SELECT model FROM anomaly_models WHERE version = $1")
        .bind(version)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn training_is_deterministic_stored_measured_and_chosen_by_setting() {
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

    let now = Utc::now();
    let (v1, summary) = anomaly::train(&t.pool, now, 7, anomaly::FLAG_RATE)
        .await
        .unwrap()
        .unwrap();
    let (v2, _) = anomaly::train(&t.pool, now, 7, anomaly::FLAG_RATE)
        .await
        .unwrap()
        .unwrap();
    let (v3, _) = anomaly::train(&t.pool, now, 8, anomaly::FLAG_RATE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored(&t, v1).await,
        stored(&t, v2).await,
        "same days, same seed, same model"
    );
    assert_ne!(stored(&t, v1).await, stored(&t, v3).await);
    assert_eq!(summary["rows"], 20 * 14);
    assert_eq!(
        summary["labelled"]["rejected"], 1,
        "the admin's rejection is a labelled day"
    );
    assert!(summary["feature_means"]["stride_m"].as_f64().unwrap() > 0.7);
    assert!(summary["feature_means"]["night_share"].as_f64().is_some());
    assert!(summary["date_from"].is_string() && summary["date_to"].is_string());

    // No weight: no model is read at all, whatever exists.
    let mut settings = Settings::defaults();
    assert!(
        anomaly::in_use(&mut t.pool.acquire().await.unwrap(), &settings)
            .await
            .unwrap()
            .is_none()
    );
    // A weight: the newest, or the version an admin rolled back to.
    settings.anomaly_model_weight = 60;
    assert_eq!(
        *anomaly::in_use(&mut t.pool.acquire().await.unwrap(), &settings)
            .await
            .unwrap()
            .unwrap(),
        stored(&t, v3).await
    );
    settings.anomaly_model_version = i64::from(v1);
    assert_eq!(
        *anomaly::in_use(&mut t.pool.acquire().await.unwrap(), &settings)
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

    // The console's list says which one is selected and whether it is in use.
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
    let selected: Vec<i64> = items
        .iter()
        .filter(|m| m["selected"] == true)
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(selected, [i64::from(v1)]);
    assert!(
        items.iter().all(|m| m["in_use"] == false),
        "weight 0: nothing in use"
    );
}

#[tokio::test]
async fn a_day_the_model_finds_unusual_is_one_more_explained_finding_and_nothing_without_a_weight()
{
    let (t, pipeline) = population().await;
    let (version, _) = anomaly::train(&t.pool, Utc::now(), 1, anomaly::FLAG_RATE)
        .await
        .unwrap()
        .unwrap();
    let model = stored(&t, version).await;
    let mut settings = Settings::defaults();
    // A day the rules pass: 11,000 steps, but in three identical hours at a long stride.
    let odd = DayFacts {
        steps: 11_000,
        distance_km: Some(Decimal::from(16)),
        hourly_steps: Some({
            let mut h = vec![0; 24];
            h[9] = 3_600;
            h[10] = 3_600;
            h[11] = 3_800;
            h
        }),
        recent_verified_days: vec![7_000; 14],
        ..DayFacts::default()
    };
    let ruled = anticheat::score(&odd, &settings, Some(&model));
    assert!(
        ruled.rules.is_empty(),
        "the rules alone let it through: {:?}",
        ruled.rules
    );
    settings.anomaly_model_weight = 60;
    let flagged = anticheat::score(&odd, &settings, Some(&model));
    assert_eq!(flagged.rules, ["anomaly_model"], "{flagged:?}");
    assert!(flagged.suspicious);
    assert!(
        flagged.reasons[0].starts_with("Unusual for walkers like you: "),
        "{:?}",
        flagged.reasons
    );
    // Without a model (none trained yet), nothing changes.
    assert_eq!(anticheat::score(&odd, &settings, None).rules.len(), 0);

    // Through the pipeline: with the weight set, a walker's odd day is held with the reason.
    t.set_setting("anomaly_model_weight", "60").await;
    let walker = t.login("walker3@example.com").await;
    let mut hours = vec![0; 24];
    (hours[9], hours[10], hours[11]) = (3_600, 3_600, 3_800);
    let res = t
        .sync(
            &walker,
            json!({"device_id": "phone-3", "entries": [
            {"date": Utc::now().date_naive(), "steps": 11_000, "source": "health_kit",
             "distance_km": 16.0, "hourly_steps": hours}]}),
        )
        .await;
    assert_eq!(res.status, 202);
    pipeline.run(t.app).await;
    let (status, rules): (String, Vec<String>) = sqlx::query_as(
        "SELECT status, rules FROM step_validations v JOIN users u ON u.id = v.user_id
         WHERE u.email = 'walker3@example.com' AND v.recorded_date = current_date",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), rules),
        ("pending", vec!["anomaly_model".to_owned()])
    );
}

#[tokio::test]
async fn the_weekly_training_runs_once_per_scheduled_time() {
    let (t, _pipeline) = population().await;
    let event = || ScheduledEvent {
        scheduled_time: Some(Utc::now()),
    };
    let at = event();
    let first = steps::train_anomaly_model(
        t.app,
        ScheduledEvent {
            scheduled_time: at.scheduled_time,
        },
    )
    .await
    .unwrap();
    let again = steps::train_anomaly_model(
        t.app,
        ScheduledEvent {
            scheduled_time: at.scheduled_time,
        },
    )
    .await
    .unwrap();
    assert_eq!(again["skipped"], true, "{again}");
    assert!(first["version"].is_number(), "{first}");
    let models: i64 = sqlx::query_scalar("SELECT count(*) FROM anomaly_models")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(models, 1);
    // An empty database trains nothing and says why.
    let empty = TestApp::new().await;
    let none = steps::train_anomaly_model(empty.app, event())
        .await
        .unwrap();
    assert!(none["version"].is_null(), "{none}");
}
