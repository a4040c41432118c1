//! When the database does not answer: every function gives up before Lambda's deadline
//! with a `503` and `retry-after` (HTTP) or its batch's failures (queues), never a
//! timeout; and the rate limits' one-statement counting never sees a half-done hit.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use fitkart::jobs::ScheduledEvent;
use fitkart::jwt::Grant;
use fitkart::ratelimit::{self, Limit};
use fitkart::users::Role;
use fitkart::App;
use fitkart_tests::request::lambda_deadline_in;
use fitkart_tests::{test_config, Call, TestApp};
use serde_json::json;
use uuid::Uuid;

/// A "database" that takes connections and never says a word, as a proxy does while the
/// database behind it is down (locally PgBouncer, in AWS RDS Proxy, both wait out their
/// borrow timeout). Its address, and the task holding the sockets.
async fn silent_database() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (
        format!("postgres://postgres@127.0.0.1:{port}/fitkart"),
        holder,
    )
}

/// An app over the silent database, willing to wait a minute for a connection: only the
/// invocation's deadline can stop it.
async fn app_over_silence() -> (&'static App, tokio::task::JoinHandle<()>) {
    let (url, holder) = silent_database().await;
    let mut config = test_config();
    config.database_url = url;
    config.db_acquire_timeout = Duration::from_secs(60);
    (Box::leak(Box::new(App::new(config))), holder)
}

async fn token(app: &App) -> String {
    let grant = Grant {
        role: Role::User,
        credential_version: 0,
        amr: vec!["pwd".into()],
        locale: "en".into(),
    };
    app.jwt()
        .await
        .unwrap()
        .issue(Uuid::new_v4(), &grant, app.now())
        .unwrap()
        .0
}

#[tokio::test]
async fn routes_answer_503_with_retry_after_before_the_deadline_when_the_database_is_silent() {
    let (app, _holder) = app_over_silence().await;
    let bearer = token(app).await;
    // Lambda's timeout is 10 s; the handler has 3 s left of it here.
    let left = Duration::from_secs(3);
    let today = fitkart_tests::now().date_naive();
    let answers = [
        Call::new(app, fitkart_functions::health::check, "GET", "/v1/health")
            .deadline_in(left)
            .send()
            .await,
        Call::new(app, fitkart_functions::wallet::get, "GET", "/v1/wallet")
            .bearer(&bearer)
            .deadline_in(left)
            .send()
            .await,
        Call::new(
            app,
            fitkart_functions::wallet::transactions,
            "GET",
            "/v1/wallet/transactions",
        )
        .bearer(&bearer)
        .deadline_in(left)
        .send()
        .await,
        Call::new(
            app,
            fitkart_functions::steps::sync,
            "POST",
            "/v1/steps/sync",
        )
        .bearer(&bearer)
        .json(json!({"entries": [{"date": today, "steps": 4_000, "source": "health_kit"}]}))
        .deadline_in(left)
        .send()
        .await,
        Call::new(app, fitkart_functions::orders::create, "POST", "/v1/orders")
            .bearer(&bearer)
            .header("idempotency-key", "outage-1")
            .json(json!({"items": [{"product_id": Uuid::new_v4(), "quantity": 1}]}))
            .deadline_in(left)
            .send()
            .await,
        Call::new(
            app,
            fitkart_functions::auth::login,
            "POST",
            "/v1/auth/login",
        )
        .json(json!({"email": "walker@example.com", "password": "correct horse battery"}))
        .deadline_in(left)
        .send()
        .await,
    ];
    for res in answers {
        assert_eq!(res.status, 503, "{}", res.raw);
        assert_eq!(res.code(), "service_unavailable");
        assert_eq!(res.header("retry-after"), Some("2"));
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
    }
}

fn message(id: &str, body: serde_json::Value) -> SqsMessage {
    let mut message = SqsMessage::default();
    message.message_id = Some(id.into());
    message.body = Some(body.to_string());
    message
}

#[tokio::test]
async fn consumers_fail_their_whole_batch_before_the_deadline_and_jobs_fail_as_an_outage() {
    let (app, _holder) = app_over_silence().await;
    let deadline = Some(lambda_deadline_in(Duration::from_secs(3)));
    let today = fitkart_tests::now().date_naive();
    let mut event = SqsEvent::default();
    event.records = vec![
        message(
            "v1",
            json!({"record_id": Uuid::new_v4(), "version": 1, "recorded_date": today}),
        ),
        message(
            "v2",
            json!({"record_id": Uuid::new_v4(), "version": 1, "recorded_date": today}),
        ),
    ];
    let validated = fitkart::lambda::dispatch_sqs(
        app,
        event.clone(),
        deadline,
        fitkart_functions::steps::validate,
    )
    .await;
    let failed: Vec<_> = validated
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["v1", "v2"], "every message is tried again later");

    let deadline = Some(lambda_deadline_in(Duration::from_secs(3)));
    let credited =
        fitkart::lambda::dispatch_sqs(app, event, deadline, fitkart_functions::steps::credit).await;
    assert_eq!(credited.batch_item_failures.len(), 2);

    // A job run in the same state fails as an outage (EventBridge retries it), and its
    // run is not recorded as done.
    let job = fitkart::lambda::within(
        Some(lambda_deadline_in(Duration::from_secs(3))),
        fitkart_functions::ops::cleanup(app, ScheduledEvent::default()),
    )
    .await;
    assert!(job.is_none(), "the cleanup was given up at the deadline");
}

#[tokio::test]
async fn a_rate_limit_counts_concurrent_hits_in_turn_and_a_forget_in_flight_is_no_error() {
    let t = TestApp::new().await;
    let pool = t.app.db().await.unwrap();
    let limit = Limit::per_hour("outage_test", 5);
    let now = t.now();
    // Twenty at once: exactly five pass, the others are told when to come back.
    let hits: Vec<_> = (0..20)
        .map(|_| ratelimit::hit(pool, limit, "walker", now))
        .collect();
    let outcomes = futures::future::join_all(hits).await;
    let passed = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(passed, 5);
    for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert_eq!(refused.status(), 429);
        let fitkart::Error::TooManyRequests { retry_after } = refused else {
            panic!("{refused:?}")
        };
        assert!(*retry_after > Duration::from_secs(3_500), "{retry_after:?}");
    }
    // A correct code forgets the guesses while more guesses are in flight: every answer
    // is a pass or a 429, never an error.
    let mixed: Vec<_> = (0..40)
        .map(|i| async move {
            if i % 4 == 0 {
                ratelimit::forget(pool, limit.bucket, "walker").await
            } else {
                ratelimit::hit(pool, limit, "walker", now).await
            }
        })
        .collect();
    for outcome in futures::future::join_all(mixed).await {
        if let Err(e) = outcome {
            assert_eq!(e.status(), 429, "{e:?}");
        }
    }
    // An hour on, the window is open again.
    let later = now + chrono::Duration::minutes(61);
    ratelimit::hit(pool, limit, "walker", later).await.unwrap();
}
