//! Regressions from testing the running stack from outside (the OpenAPI fuzzer and a
//! read of the code as an attacker): each input here once crashed a function or ended
//! in a 500. Every one is now a clear 4xx problem that changes nothing.

use aws_sdk_secretsmanager::Client as SecretsManager;
use fitkart::config::SecretSource;
use fitkart_functions::{admin, auth, me, steps, wallet};
use fitkart_tests::{test_config, Pipeline, TestApp, TestResponse};
use serde_json::json;

fn problem(res: &TestResponse, status: u16, field: &str) {
    assert_eq!(res.status, status, "{}", res.body);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    if !field.is_empty() {
        assert_eq!(res.error_fields(), [field.to_owned()], "{}", res.body);
    }
}

#[tokio::test]
async fn dates_outside_1900_to_9999_are_a_422_not_a_panic() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    for (to, field) in [
        ("-262143-01-01", "to"),
        ("+262142-12-31", "to"),
        ("0001-01-01", "to"),
        ("1899-12-31", "to"),
    ] {
        let res = t
            .call(steps::list, "GET", "/v1/steps")
            .bearer(&boss.access_token)
            .query("to", to)
            .send()
            .await;
        problem(&res, 422, field);
        let res = t
            .call(admin::daily_stats, "GET", "/v1/admin/stats/daily")
            .bearer(&boss.access_token)
            .query("to", to)
            .send()
            .await;
        problem(&res, 422, field);
    }
    let res = t
        .sync(
            &boss,
            json!({"entries": [{"date": "+10000-01-01", "steps": 10, "source": "health_kit"}]}),
        )
        .await;
    problem(&res, 422, "entries[0].date");
}

/// The fuzzer sent `?entity_type=null&entity_type=null` and got a 200 for the first value;
/// no parameter of the API is a list, so a repeated one is refused, not half read.
#[tokio::test]
async fn a_query_parameter_given_twice_is_a_422_naming_it() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let res = t
        .call(admin::list_logs, "GET", "/v1/admin/logs")
        .bearer(&boss.access_token)
        .query("entity_type", "user")
        .query("entity_type", "order")
        .send()
        .await;
    problem(&res, 422, "entity_type");
    let res = t
        .call(steps::list, "GET", "/v1/steps")
        .bearer(&boss.access_token)
        .query("from", "2026-01-01")
        .query("from", "2026-02-01")
        .send()
        .await;
    problem(&res, 422, "from");
    let res = t
        .call(wallet::transactions, "GET", "/v1/wallet/transactions")
        .bearer(&boss.access_token)
        .query("limit", 5)
        .query("limit", 5)
        .send()
        .await;
    problem(&res, 422, "limit");
    // A comma inside one value is that value, not two.
    let res = t
        .call(admin::list_logs, "GET", "/v1/admin/logs")
        .bearer(&boss.access_token)
        .query("action", "user.update,order.update")
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.raw);
}

#[tokio::test]
async fn login_emails_with_nul_bytes_or_too_long_are_a_422() {
    let t = TestApp::new().await;
    for email in [
        "<\u{0}@example.com".to_owned(),
        format!("{}@example.com", "a".repeat(400)),
    ] {
        let res = t
            .call(auth::login, "POST", "/v1/auth/login")
            .json(json!({"email": email, "password": "whatever-it-is"}))
            .send()
            .await;
        problem(&res, 422, "email");
    }
    let attempts: i64 = sqlx::query_scalar("SELECT count(*) FROM login_attempts")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(attempts, 0, "nothing reached the database");
}

#[tokio::test]
async fn a_crafted_cursor_with_an_impossible_time_is_a_422() {
    use base64::Engine;
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        r#"["+200000-01-01T00:00:00Z","{}"]"#,
        uuid::Uuid::nil()
    ));
    let res = t
        .call(admin::list_users, "GET", "/v1/admin/users")
        .bearer(&boss.access_token)
        .query("cursor", &cursor)
        .send()
        .await;
    problem(&res, 422, "cursor");
}

#[tokio::test]
async fn sync_tokens_and_device_ids_with_control_characters_are_refused() {
    let t = TestApp::new().await;
    let user = t.register("nul@example.com").await;
    let res = t
        .sync(
            &user,
            json!({"entries": [{"date": fitkart_tests::now().date_naive(), "steps": 10,
                                  "source": "health_kit", "sync_token": "a\u{0}b"}]}),
        )
        .await;
    problem(&res, 422, "entries[0].sync_token");
    let res = t
        .sync(
            &user,
            json!({"device_id": "x\u{0}", "entries": [{"date": fitkart_tests::now().date_naive(),
                                                          "steps": 10, "source": "health_kit"}]}),
        )
        .await;
    problem(&res, 422, "device_id");
}

#[tokio::test]
async fn time_zones_must_be_known_to_the_database_too() {
    let t = TestApp::new().await;
    let mut conn = t.pool.begin().await.unwrap();
    assert!(fitkart::users::check_timezone(&mut conn, "Europe/Berlin")
        .await
        .is_ok());
    let err = fitkart::users::check_timezone(&mut conn, "Mars/Olympus")
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    let user = t.register("tz@example.com").await;
    let res = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&user.access_token)
        .json(json!({"timezone": "Pacific/Auckland"}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

/// One user whose time zone Postgres does not know (an older tzdata on the server than
/// in chrono) fails alone; everyone batched with them is validated and paid.
#[tokio::test]
async fn one_bad_record_in_a_validation_batch_does_not_hold_back_the_others() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let mut users = Vec::new();
    for i in 0..4 {
        let user = t.register(&format!("batch{i}@example.com")).await;
        t.joined_days_ago(user.id, 30).await;
        let res = t.sync(&user, json!({"entries": [{"date": fitkart_tests::now().date_naive() - chrono::Days::new(1),
                                      "steps": 5_000, "source": "health_kit", "distance_km": 3.8}]})).await;
        assert_eq!(res.status, 202);
        users.push(user);
    }
    // A zone that slipped past an older check, stored before it was enforced.
    sqlx::query("UPDATE users SET timezone = 'Mars/Olympus' WHERE id = $1")
        .bind(users[0].id)
        .execute(&t.pool)
        .await
        .unwrap();
    let (validated, failed) =
        fitkart_tests::sqs::poll_once(&pipeline.sqs, &pipeline.validation, t.app, steps::validate)
            .await;
    assert_eq!(
        (validated, failed.len()),
        (4, 1),
        "one message fails, alone"
    );
    drain_credits(&t, &pipeline).await;
    for user in &users[1..] {
        // Welcome bonus, the day, and steps_1k + steps_5k.
        assert_eq!(
            t.balance(user.id).await,
            100 + 5_000 + 35,
            "the others are paid"
        );
    }
    assert_eq!(t.balance(users[0].id).await, 100);
}

async fn drain_credits(t: &TestApp, pipeline: &Pipeline) {
    loop {
        let (credited, failed) =
            fitkart_tests::sqs::poll_once(&pipeline.sqs, &pipeline.credit, t.app, steps::credit)
                .await;
        assert!(failed.is_empty());
        if credited == 0 {
            return;
        }
    }
}

/// A signing key from Secrets Manager is checked once fetched: a short one refuses to
/// sign anything (500, with the reason in the log), never signs with a weak key.
#[tokio::test]
async fn a_short_jwt_key_from_secrets_manager_signs_nothing() {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secret = SecretsManager::new(&aws)
        .create_secret()
        .name(format!("short-jwt-{}", uuid::Uuid::new_v4()))
        .secret_string("too-short")
        .send()
        .await
        .unwrap();
    let mut config = test_config();
    config.jwt_secret = SecretSource::SecretsManager {
        arn: secret.arn().unwrap().to_owned(),
    };
    let t = TestApp::with_config(config).await;
    let res = t
        .call(auth::register, "POST", "/v1/auth/register")
        .json(json!({"email": "weak@example.com", "password": "long enough", "full_name": "W"}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (500, "internal"));
    assert!(res.body["tokens"].is_null());
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 0, "the registration rolled back");
}
