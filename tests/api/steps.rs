//! `/v1/steps` and `/v1/wallet` as a client sees them: validation of every field, the
//! user's own calendar day, appeals, ledger pages.

use chrono::{Days, Utc};
use fitkart_functions::steps::{appeal, list};
use fitkart_functions::wallet;
use fitkart_tests::{days_ago, TestApp};
use serde_json::{json, Value};

async fn records(t: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM step_records")
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_bad_entry_is_named_and_nothing_is_stored() {
    let (t, _pipeline) = TestApp::with_pipeline().await;
    let user = t.register("fields@example.com").await;
    let mut hourly = vec![0; 24];
    hourly[9] = 500;
    let res = t.sync(&user,
        json!({"entries": [
            {"date": days_ago(0), "steps": -5, "source": "health_connect"},
            {"date": "2026-13-01", "steps": 10, "source": "fitbit"},
            {"date": days_ago(1), "steps": 1000, "source": "health_kit", "hourly_steps": hourly},
            {"date": days_ago(2), "steps": 1000, "source": "health_kit", "manual_steps": 1001},
            {"date": days_ago(3), "steps": 1000, "source": "health_kit", "hourly_steps": [1, 2]},
            {"date": days_ago(4), "steps": 1000, "source": "manual", "distance_km": -1},
            {"date": days_ago(4), "steps": 1000, "source": "manual"},
        ]}),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "entries[0].steps",
            "entries[1].date",
            "entries[1].source",
            "entries[2].hourly_steps",
            "entries[3].manual_steps",
            "entries[4].hourly_steps",
            "entries[5].distance_km",
            "entries[6].date"
        ]
    );
    assert_eq!(records(&t).await, 0);

    for entries in [
        json!([]),
        json!((0..32)
            .map(|i| json!({"date": days_ago(i), "steps": 1, "source": "manual"}))
            .collect::<Vec<_>>()),
    ] {
        let res = t.sync(&user, json!({ "entries": entries })).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.error_fields(), ["entries"]);
    }
    let res = t
        .sync(
            &user,
            json!({"entries": [{"date": days_ago(0), "steps": "many", "source": "manual"}]}),
        )
        .await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["entries[0].steps".to_owned()])
    );
    let res = t
        .sync(
            &user,
            json!({"entries": [{"date": days_ago(0), "steps": 1, "source": "manual", "speed": 3}]}),
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(records(&t).await, 0);
}

#[tokio::test]
async fn dates_are_the_users_own_calendar_days() {
    let (t, _pipeline) = TestApp::with_pipeline().await;
    // Pacific/Kiritimati is UTC+14: its today can be UTC's tomorrow.
    let user = t.register_in("tz@example.com", "Pacific/Kiritimati").await;
    let kiritimati_today = fitkart_tests::now()
        .with_timezone(&chrono_tz::Pacific::Kiritimati)
        .date_naive();
    let res = t
        .sync(
            &user,
            json!({"entries": [{"date": kiritimati_today, "steps": 100, "source": "health_kit"}]}),
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.body);
    let tomorrow = kiritimati_today + Days::new(1);
    let res = t
        .sync(
            &user,
            json!({"entries": [{"date": tomorrow, "steps": 100, "source": "health_kit"}]}),
        )
        .await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["entries[0].date".to_owned()])
    );
    assert!(res.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("after today"));
    // The backfill window (7 days by default) is a setting.
    let old = kiritimati_today - Days::new(8);
    let res = t
        .sync(
            &user,
            json!({"entries": [{"date": old, "steps": 100, "source": "health_kit"}]}),
        )
        .await;
    assert_eq!(res.status, 422);
    t.set_setting("max_backfill_days", "10").await;
    let res = t
        .sync(
            &user,
            json!({"entries": [{"date": old, "steps": 100, "source": "health_kit"}]}),
        )
        .await;
    assert_eq!(res.status, 202);
    let synced: Option<chrono::DateTime<Utc>> =
        sqlx::query_scalar("SELECT last_synced_at FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert!(synced.is_some());
}

#[tokio::test]
async fn a_sync_returns_every_day_and_stores_one_record_per_day() {
    let (t, _pipeline) = TestApp::with_pipeline().await;
    let user = t.register("upsert@example.com").await;
    let res = t
        .sync(
            &user,
            json!({"device_id": "install-1", "entries": [
        {"date": days_ago(1), "steps": 1000, "source": "health_connect", "sync_token": "a"},
        {"date": days_ago(0), "steps": 2000, "source": "health_connect"}]}),
        )
        .await;
    assert_eq!(res.status, 202);
    let first_id = res.body["records"][0]["id"].clone();
    let res = t
        .sync(
            &user,
            json!({"entries": [{"date": days_ago(1), "steps": 1500, "source": "health_connect"}]}),
        )
        .await;
    assert_eq!(
        res.body["records"][0]["id"], first_id,
        "the day's record is updated, not duplicated"
    );
    assert_eq!(res.body["records"][0]["steps"], 1500);
    assert_eq!(records(&t).await, 2);
    let version: i32 =
        sqlx::query_scalar("SELECT version FROM step_records WHERE recorded_date = $1::date")
            .bind(days_ago(1))
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(version, 2);
}

#[tokio::test]
async fn list_validates_its_range_and_shows_only_the_callers_records() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("lister@example.com").await;
    let other = t.register("other@example.com").await;
    t.sync(
        &user,
        json!({"entries": [{"date": days_ago(0), "steps": 1000, "source": "health_kit"}]}),
    )
    .await;
    t.sync(
        &other,
        json!({"entries": [{"date": days_ago(0), "steps": 2000, "source": "health_kit"}]}),
    )
    .await;
    pipeline.run(t.app).await;
    let res = t
        .call(list, "GET", "/v1/steps")
        .bearer(&user.access_token)
        .query("from", days_ago(3))
        .query("to", days_ago(0))
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(res.body["items"][0]["steps"], 1000);
    for (from, to, field) in [
        (days_ago(0).to_string(), days_ago(3).to_string(), "from"),
        ("2020-01-01".into(), days_ago(0).to_string(), "to"),
        ("yesterday".into(), days_ago(0).to_string(), "from"),
    ] {
        let res = t
            .call(list, "GET", "/v1/steps")
            .bearer(&user.access_token)
            .query("from", &from)
            .query("to", &to)
            .send()
            .await;
        assert_eq!(
            (res.status, res.error_fields()),
            (422, vec![field.to_owned()]),
            "{from}..{to}"
        );
    }
}

#[tokio::test]
async fn held_records_explain_themselves_and_can_be_appealed_once() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("appeal@example.com").await;
    let res = t
        .sync(
            &user,
            json!({"entries": [
        {"date": days_ago(0), "steps": 150_000, "source": "health_connect", "distance_km": 110.0},
        {"date": days_ago(1), "steps": 5_000, "source": "health_connect", "distance_km": 3.8}]}),
        )
        .await;
    let held_id = res.body["records"][1]["id"].as_str().unwrap().to_owned();
    let fine_id = res.body["records"][0]["id"].as_str().unwrap().to_owned();
    pipeline.run(t.app).await;

    let res = t
        .call(list, "GET", "/v1/steps")
        .bearer(&user.access_token)
        .send()
        .await;
    let held = res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == held_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(held["status"], "suspicious");
    assert_eq!(held["coins_credited"], 0);
    assert_eq!(held["anomaly_score"], 100.0);
    assert!(
        held["reasons"][0]
            .as_str()
            .unwrap()
            .contains("150,000 steps"),
        "{held}"
    );

    let other = t.register("stranger@example.com").await;
    let res = t
        .call(appeal, "POST", "/v1/steps/{id}/appeal")
        .param("id", &held_id)
        .bearer(&other.access_token)
        .json(json!({"message": "mine"}))
        .send()
        .await;
    assert_eq!(
        res.status, 404,
        "another user's record does not exist for them"
    );
    let res = t
        .call(appeal, "POST", "/v1/steps/{id}/appeal")
        .param("id", &fine_id)
        .bearer(&user.access_token)
        .json(json!({"message": "why"}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (409, "not_appealable"));
    let res = t
        .call(appeal, "POST", "/v1/steps/{id}/appeal")
        .param("id", &held_id)
        .bearer(&user.access_token)
        .json(json!({"message": " "}))
        .send()
        .await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["message".to_owned()])
    );

    let res = t
        .call(appeal, "POST", "/v1/steps/{id}/appeal")
        .param("id", &held_id)
        .bearer(&user.access_token)
        .json(json!({"message": "I ran an ultramarathon, here is my race number"}))
        .send()
        .await;
    assert_eq!(res.status, 202, "{}", res.body);
    assert_eq!(res.body["status"], "suspicious");
    assert!(res.body["appealed_at"].is_string());
    let queued: String = sqlx::query_scalar("SELECT v.status FROM step_validations v JOIN step_records r ON r.id = v.step_record_id AND r.version = v.record_version WHERE r.id = $1::uuid")
        .bind(&held_id)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(queued, "pending");
    let res = t
        .call(appeal, "POST", "/v1/steps/{id}/appeal")
        .param("id", &held_id)
        .bearer(&user.access_token)
        .json(json!({"message": "again"}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (409, "already_appealed"));
}

#[tokio::test]
async fn the_ledger_pages_newest_first_and_filters_by_type() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("pages@example.com").await;
    t.joined_days_ago(user.id, 30).await;
    let entries: Vec<Value> = (0..5).map(|d| json!({"date": days_ago(d), "steps": 1_000 + d, "source": "health_kit", "distance_km": 0.8})).collect();
    t.sync(&user, json!({ "entries": entries })).await;
    pipeline.run(t.app).await;
    // welcome bonus + 5 earned + steps_1k bonus = 7 rows
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = t
            .call(wallet::transactions, "GET", "/v1/wallet/transactions")
            .bearer(&user.access_token)
            .query("limit", 3);
        if let Some(c) = &cursor {
            call = call.query("cursor", c);
        }
        let res = call.send().await;
        assert_eq!(res.status, 200, "{}", res.body);
        for item in res.body["items"].as_array().unwrap() {
            assert_eq!(
                item["balance_after"].as_i64().unwrap(),
                item["balance_before"].as_i64().unwrap() + item["amount"].as_i64().unwrap()
            );
            seen.push(item["balance_after"].as_i64().unwrap());
        }
        match res.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );
    let res = t
        .call(wallet::transactions, "GET", "/v1/wallet/transactions")
        .bearer(&user.access_token)
        .query("type", "earned")
        .send()
        .await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), 5);
    assert!(res.body["next_cursor"].is_null());
    let res = t
        .call(wallet::transactions, "GET", "/v1/wallet/transactions")
        .bearer(&user.access_token)
        .query("type", "gift")
        .send()
        .await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["type".to_owned()])
    );
    let res = t
        .call(wallet::transactions, "GET", "/v1/wallet/transactions")
        .bearer(&user.access_token)
        .query("cursor", "garbage")
        .send()
        .await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["cursor".to_owned()])
    );
    let res = t
        .call(wallet::transactions, "GET", "/v1/wallet/transactions")
        .bearer(&user.access_token)
        .query("limit", 101)
        .send()
        .await;
    assert_eq!(res.status, 422);
    let res = t.call(wallet::get, "GET", "/v1/wallet").send().await;
    assert_eq!(res.status, 401);
}
