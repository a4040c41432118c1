//! Where steps come from, through the handlers: the breakdown a sync sends and what the
//! owner and admins see of it, the rules that read it (each beside its honest twin),
//! several devices on one account, and wheelchair pushes that count as steps.

use fitkart_functions::steps::{devices, list};
use fitkart_functions::{admin, me};
use fitkart_tests::{days_ago, phone_day, TestApp, User};
use serde_json::{json, Value};

/// `day` with its steps said to come from `sources`: (app, device type, method, steps).
fn from_sources(mut day: Value, sources: &[(&str, &str, &str, i64)]) -> Value {
    day["sources"] = sources
        .iter()
        .map(|(app, device, method, steps)| {
            json!({"app_id": app, "device_type": device, "recording_method": method, "steps": steps})
        })
        .collect();
    day
}

/// The caller's record of `date` as `GET /v1/steps` shows it.
async fn record(t: &TestApp, user: &User, date: chrono::NaiveDate) -> Value {
    let res = t
        .call(list, "GET", "/v1/steps")
        .bearer(&user.access_token)
        .query("from", date)
        .query("to", date)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body["items"][0].clone()
}

/// A walker who joined two months ago (past probation), ready to sync.
async fn walker(t: &TestApp, email: &str) -> User {
    let user = t.register(email).await;
    t.joined_days_ago(user.id, 60).await;
    user
}

#[tokio::test]
async fn a_breakdown_travels_with_the_day_and_one_that_falls_short_is_refused() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = walker(&t, "sources@example.com").await;
    let day = days_ago(1);
    // The watch and the phone both counted the morning walk: 14,500 raw, 9,000 de-duplicated.
    let watch_and_phone = from_sources(
        phone_day(day, 9_000),
        &[
            ("com.apple.health.7C1D", "watch", "automatic", 8_500),
            ("com.apple.health.A2F0", "phone", "automatic", 6_000),
        ],
    );
    let short = from_sources(
        phone_day(days_ago(2), 9_000),
        &[("com.apple.health.A2F0", "phone", "automatic", 6_000)],
    );
    let res = t
        .sync(&user, json!({"entries": [watch_and_phone.clone(), short]}))
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.error_fields(), vec!["entries[1].sources".to_owned()]);
    let bad_kind = from_sources(
        phone_day(days_ago(2), 9_000),
        &[("com.apple.health.A2F0", "toaster", "automatic", 9_000)],
    );
    let res = t.sync(&user, json!({"entries": [bad_kind]})).await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["entries[0].sources[0].device_type".to_owned()])
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM step_records")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "a refused sync stores nothing");

    t.sync_days(&user, Some("iphone-1"), vec![watch_and_phone])
        .await;
    // An older app sends no breakdown: its day is judged on its total, as before.
    t.sync_days(&user, Some("iphone-1"), vec![phone_day(days_ago(2), 7_000)])
        .await;
    pipeline.run(t.app).await;
    let mine = record(&t, &user, day).await;
    assert_eq!(mine["status"], "verified", "{mine}");
    assert_eq!(mine["steps"], 9_000, "the platform's total, never the sum");
    assert_eq!(mine["coins_credited"], 9_000);
    assert_eq!(mine["device_id"], "iphone-1");
    assert_eq!(mine["sources"][0]["app_id"], "com.apple.health.7C1D");
    assert_eq!(mine["sources"][0]["device_type"], "watch");
    assert_eq!(mine["sources"][1]["steps"], 6_000);
    let older = record(&t, &user, days_ago(2)).await;
    assert_eq!(
        (older["status"].clone(), older["sources"].clone()),
        (json!("verified"), Value::Null)
    );

    // The export carries the same.
    let export = t
        .call(me::export, "GET", "/v1/me/export")
        .bearer(&user.access_token)
        .send()
        .await;
    let exported = export.body["step_records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["recorded_date"] == json!(day))
        .cloned()
        .unwrap();
    assert_eq!(exported["provenance"], mine["sources"]);
    fitkart_tests::ledger::assert_invariants(&t.pool).await;
}

#[tokio::test]
async fn steps_from_an_unknown_app_are_held_and_shown_to_admins_and_a_known_app_earns() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let faker = walker(&t, "faker@example.com").await;
    let honest = walker(&t, "honest@example.com").await;
    let day = days_ago(1);
    t.sync_days(
        &faker,
        Some("phone-f"),
        vec![from_sources(
            phone_day(day, 12_000),
            &[("com.stepcounter.fakewalk", "phone", "automatic", 12_000)],
        )],
    )
    .await;
    t.sync_days(
        &honest,
        Some("phone-h"),
        vec![from_sources(
            phone_day(day, 11_000),
            &[(
                "com.google.android.apps.fitness",
                "phone",
                "automatic",
                11_000,
            )],
        )],
    )
    .await;
    pipeline.run(t.app).await;

    let held = record(&t, &faker, day).await;
    assert_eq!(
        (held["status"].clone(), held["coins_credited"].clone()),
        (json!("suspicious"), json!(0))
    );
    assert!(
        held["reasons"][0]
            .as_str()
            .unwrap()
            .contains("an app we don't know yet (com.stepcounter.fakewalk)"),
        "{held}"
    );
    let paid = record(&t, &honest, day).await;
    assert_eq!(
        (paid["status"].clone(), paid["coins_credited"].clone()),
        (json!("verified"), json!(11_000))
    );

    // The review queue shows the admin where the held day's steps came from.
    let boss = t.admin("boss@example.com").await;
    let queue = t
        .call(admin::list_validations, "GET", "/v1/admin/validations")
        .bearer(&boss.access_token)
        .send()
        .await;
    let item = &queue.body["items"][0];
    assert_eq!(
        item["record"]["sources"][0]["app_id"],
        "com.stepcounter.fakewalk"
    );

    // The writers report names both apps, and which one the allow-list lets through.
    let report = t
        .call(admin::step_writers, "GET", "/v1/admin/step-writers")
        .bearer(&boss.access_token)
        .send()
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    let writers: Vec<(String, bool, i64)> = report.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["app_id"].as_str().unwrap().to_owned(),
                w["allowed"].as_bool().unwrap(),
                w["accounts"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        writers.contains(&("com.stepcounter.fakewalk".into(), false, 1)),
        "{writers:?}"
    );
    assert!(
        writers.contains(&("com.google.android.apps.fitness".into(), true, 1)),
        "{writers:?}"
    );
    let res = t
        .call(admin::step_writers, "GET", "/v1/admin/step-writers")
        .bearer(&boss.access_token)
        .query("weeks", "13")
        .send()
        .await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["weeks".to_owned()])
    );
    fitkart_tests::ledger::assert_invariants(&t.pool).await;
}

#[tokio::test]
async fn steps_typed_into_health_never_earn_without_review_however_they_are_labelled() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let typist = walker(&t, "typist@example.com").await;
    let walker_with_a_note = walker(&t, "note@example.com").await;
    let day = days_ago(1);
    // A day sent as phone data whose steps the platform says were typed in.
    t.sync_days(
        &typist,
        Some("phone-t"),
        vec![from_sources(
            phone_day(day, 10_000),
            &[
                ("com.apple.Health", "phone", "manual", 9_000),
                ("com.apple.health.A2F0", "phone", "automatic", 1_000),
            ],
        )],
    )
    .await;
    // Its twin: a real day with a short walk typed in; the walk alone waits.
    t.sync_days(
        &walker_with_a_note,
        Some("phone-n"),
        vec![from_sources(
            phone_day(day, 9_000),
            &[
                ("com.apple.health.B7E1", "phone", "automatic", 8_200),
                ("com.apple.health.B7E1", "phone", "manual", 800),
            ],
        )],
    )
    .await;
    pipeline.run(t.app).await;
    let typed = record(&t, &typist, day).await;
    assert_eq!(typed["status"], "suspicious", "{typed}");
    assert_eq!(typed["manual_steps"], 9_000);
    let noted = record(&t, &walker_with_a_note, day).await;
    assert_eq!(noted["status"], "verified", "{noted}");
    assert_eq!(
        (
            noted["manual_steps"].clone(),
            noted["coins_credited"].clone()
        ),
        (json!(800), json!(8_200))
    );
    fitkart_tests::ledger::assert_invariants(&t.pool).await;
}

#[tokio::test]
async fn a_second_phone_never_lowers_a_day_and_the_same_phone_may() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = walker(&t, "two-phones@example.com").await;
    let day = days_ago(1);
    let steps_after = |body: Value| body["records"][0]["steps"].as_i64().unwrap();
    assert_eq!(
        steps_after(
            t.sync_days(&user, Some("old-phone"), vec![phone_day(day, 8_000)])
                .await
        ),
        8_000
    );
    // The new phone saw only the evening: its smaller total does not replace the day.
    assert_eq!(
        steps_after(
            t.sync_days(&user, Some("new-phone"), vec![phone_day(day, 3_000)])
                .await
        ),
        8_000
    );
    // It saw more: the larger total counts (never the two added up).
    assert_eq!(
        steps_after(
            t.sync_days(&user, Some("new-phone"), vec![phone_day(day, 9_500)])
                .await
        ),
        9_500
    );
    // The same phone revising its own day down is a platform merging counts: it counts.
    assert_eq!(
        steps_after(
            t.sync_days(&user, Some("new-phone"), vec![phone_day(day, 9_000)])
                .await
        ),
        9_000
    );
    pipeline.run(t.app).await;
    assert_eq!(record(&t, &user, day).await["coins_credited"], 9_000);

    let res = t
        .call(devices, "GET", "/v1/steps/devices")
        .bearer(&user.access_token)
        .send()
        .await;
    let ids: Vec<&str> = res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["old-phone", "new-phone"]);
    assert_eq!(res.body["items"][1]["first_account"], true);
    // An old phone handed to a new account: the new account is not its first.
    let heir = walker(&t, "heir@example.com").await;
    t.sync_days(&heir, Some("old-phone"), vec![phone_day(day, 5_000)])
        .await;
    let res = t
        .call(devices, "GET", "/v1/steps/devices")
        .bearer(&heir.access_token)
        .send()
        .await;
    assert_eq!(res.body["items"][0]["first_account"], false, "{}", res.body);
    fitkart_tests::ledger::assert_invariants(&t.pool).await;
}

#[tokio::test]
async fn the_same_hours_on_several_accounts_are_held_and_hours_of_ones_own_are_not() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let day = days_ago(1);
    let mut hours = phone_day(day, 13_000)["hourly_steps"].clone();
    let script_day = phone_day(day, 13_000);
    let mut farm = Vec::new();
    for n in 0..3 {
        let account = walker(&t, &format!("farm{n}@example.com")).await;
        t.sync_days(
            &account,
            Some(&format!("farm-phone-{n}")),
            vec![script_day.clone()],
        )
        .await;
        pipeline.run(t.app).await;
        farm.push(account);
    }
    // Its twin: the same total, one step moved between two hours.
    hours[9] = json!(hours[9].as_i64().unwrap() + 1);
    hours[10] = json!(hours[10].as_i64().unwrap() - 1);
    let mut own = script_day.clone();
    own["hourly_steps"] = hours;
    let neighbour = walker(&t, "neighbour@example.com").await;
    t.sync_days(&neighbour, Some("own-phone"), vec![own]).await;
    pipeline.run(t.app).await;

    let third = record(&t, &farm[2], day).await;
    assert_eq!(third["status"], "suspicious", "{third}");
    assert!(
        third["reasons"][0]
            .as_str()
            .unwrap()
            .contains("exactly those of 2 other accounts"),
        "{third}"
    );
    assert_eq!(
        record(&t, &farm[1], day).await["status"],
        "verified",
        "one twin is a shared phone's case"
    );
    assert_eq!(record(&t, &neighbour, day).await["status"], "verified");
    fitkart_tests::ledger::assert_invariants(&t.pool).await;
}

#[tokio::test]
async fn pushes_count_as_steps_for_a_walker_who_chooses_it_within_push_limits() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let pusher = walker(&t, "pusher@example.com").await;
    let other = walker(&t, "walker@example.com").await;
    let res = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&pusher.access_token)
        .json(json!({"counts_pushes": null}))
        .send()
        .await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["counts_pushes".to_owned()])
    );
    let res = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&pusher.access_token)
        .json(json!({"counts_pushes": true}))
        .send()
        .await;
    assert_eq!(
        (res.status, res.body["counts_pushes"].clone()),
        (200, json!(true)),
        "{}",
        res.body
    );

    // 3,000 pushes over the day in bouts, and a few steps: 100 + 3,000 x 1.8 = 5,500.
    let wheeling = |date: chrono::NaiveDate, busiest: i64| {
        let mut pushes = vec![0_i64; 24];
        pushes[9] = busiest;
        pushes[12] = 700;
        pushes[17] = 3_000 - busiest - 700;
        let mut steps = vec![0_i64; 24];
        steps[8] = 100;
        json!({"date": date, "steps": 100, "source": "health_kit", "hourly_steps": steps,
               "pushes": 3_000, "hourly_pushes": pushes,
               "sources": [{"app_id": "com.apple.health.W1", "device_type": "watch",
                            "recording_method": "automatic", "steps": 100, "pushes": 3_000}]})
    };
    let day = days_ago(1);
    // Pushes that take a day past 200,000 steps once counted are refused, and nothing stored.
    let mut beyond = wheeling(days_ago(3), 1_200);
    beyond["steps"] = json!(199_000);
    beyond["hourly_steps"][8] = json!(199_000);
    beyond["sources"][0]["steps"] = json!(199_000);
    let res = t.sync(&pusher, json!({"entries": [beyond]})).await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["entries[0].pushes".to_owned()]),
        "{}",
        res.body
    );
    assert_eq!(record(&t, &pusher, days_ago(3)).await, Value::Null);
    let synced = t
        .sync_days(&pusher, Some("pusher-phone"), vec![wheeling(day, 1_200)])
        .await;
    assert_eq!(synced["records"][0]["steps"], 5_500);
    // The same day on an account that does not count pushes is its steps alone.
    let walked = t
        .sync_days(&other, Some("walker-phone"), vec![wheeling(day, 1_200)])
        .await;
    assert_eq!(walked["records"][0]["steps"], 100);
    // Pushes typed into hours no one wheels at: 7,000 in one hour (117 a minute).
    let racing = days_ago(2);
    let bad = wheeling(racing, 0);
    let mut bad = bad;
    bad["hourly_pushes"] =
        json!([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    bad["pushes"] = json!(7_000);
    bad["hourly_pushes"][10] = json!(7_000);
    bad["sources"][0]["pushes"] = json!(7_000);
    t.sync_days(&pusher, Some("pusher-phone"), vec![bad]).await;
    pipeline.run(t.app).await;

    let day_record = record(&t, &pusher, day).await;
    assert_eq!(day_record["status"], "verified", "{day_record}");
    assert_eq!(
        (
            day_record["push_steps"].clone(),
            day_record["pushes"].clone(),
            day_record["coins_credited"].clone()
        ),
        (json!(5_400), json!(3_000), json!(5_500))
    );
    let raced = record(&t, &pusher, racing).await;
    assert_eq!(raced["status"], "suspicious", "{raced}");
    assert!(
        raced["reasons"][0]
            .as_str()
            .unwrap()
            .contains("7,000 pushes between 10:00 and 11:00"),
        "{raced}"
    );
    assert_eq!(record(&t, &other, day).await["coins_credited"], 100);
    // Boards, challenges and achievements read the credited steps: the pushes are in them.
    let profile = t
        .call(me::get, "GET", "/v1/me")
        .bearer(&pusher.access_token)
        .send()
        .await;
    assert_eq!(profile.body["total_steps"], 5_500, "{}", profile.body);
    fitkart_tests::ledger::assert_invariants(&t.pool).await;
}
