//! The step pipeline end to end: sync → validation queue → steps-validate → credit queue →
//! steps-credit → wallet, on real Postgres and the SQS emulator.

use chrono::NaiveDate;
use fitkart_functions::steps::{credit, sync, validate};
use fitkart_functions::wallet;
use fitkart_tests::sqs::{self, poll_once, receive};
use fitkart_tests::{days_ago, TestApp, User};
use serde_json::{json, Value};

/// A realistic walking day: distance and calories in human ranges.
fn walk(date: NaiveDate, steps: i64) -> Value {
    json!({"date": date, "steps": steps, "source": "health_connect",
           "distance_km": steps as f64 * 0.00075, "calories": steps as f64 * 0.04})
}

async fn wallet_of(t: &TestApp, user: &User) -> Value {
    t.call(wallet::get, "GET", "/v1/wallet")
        .bearer(&user.access_token)
        .send()
        .await
        .body
}

async fn earned(t: &TestApp, user: &User) -> i64 {
    sqlx::query_scalar("SELECT COALESCE(sum(amount), 0)::int8 FROM coin_transactions WHERE user_id = $1 AND transaction_type = 'earned'")
        .bind(user.id)
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn synced_steps_become_coins_with_achievements_exactly_once() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("walker@example.com").await;
    t.joined_days_ago(user.id, 30).await;
    let body = t
        .sync_days(
            &user,
            None,
            vec![
                walk(days_ago(2), 8_000),
                walk(days_ago(1), 9_500),
                walk(days_ago(0), 12_000),
            ],
        )
        .await;
    let records = body["records"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r["status"] == "pending"));
    assert_eq!(sqs::depth(&pipeline.sqs, &pipeline.validation.url).await, 3);

    pipeline.run(t.app).await;

    // 29,500 steps at 1 coin/step, the welcome bonus, and steps_1k/5k/10k (10 + 25 + 50).
    let wallet = wallet_of(&t, &user).await;
    assert_eq!(wallet["available_coins"], 100 + 29_500 + 85, "{wallet}");
    assert_eq!(wallet["total_earned"], 100 + 29_500 + 85);
    assert_eq!(earned(&t, &user).await, 29_500);
    let res = t
        .call(fitkart_functions::steps::list, "GET", "/v1/steps")
        .bearer(&user.access_token)
        .send()
        .await;
    let items = res.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        assert_eq!(item["status"], "verified", "{item}");
        assert_eq!(item["verified_steps"], item["steps"]);
        assert_eq!(item["coins_credited"], item["steps"]);
        assert_eq!(item["reasons"], json!([]));
    }
    assert_eq!(
        t.unlocked_achievements(user.id).await,
        ["steps_1k", "steps_5k", "steps_10k"]
    );
    let rate: Option<rust_decimal::Decimal> = sqlx::query_scalar(
        "SELECT coins_per_step FROM coin_transactions WHERE user_id = $1 AND transaction_type = 'earned' LIMIT 1",
    )
    .bind(user.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        rate,
        Some(rust_decimal::Decimal::ONE),
        "the rate used is recorded"
    );
    let total_steps: i64 = sqlx::query_scalar("SELECT total_steps FROM users WHERE id = $1")
        .bind(user.id)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(total_steps, 29_500);

    // Syncing the same days again changes nothing and queues nothing.
    t.sync_days(
        &user,
        None,
        vec![
            walk(days_ago(2), 8_000),
            walk(days_ago(1), 9_500),
            walk(days_ago(0), 12_000),
        ],
    )
    .await;
    assert_eq!(sqs::depth(&pipeline.sqs, &pipeline.validation.url).await, 0);
    t.assert_ledger_invariants().await;
}

/// Crediting evaluates achievements before it posts, so that their bonuses share the
/// day's ledger statement: the lifetime total it reads must include the steps it is
/// crediting, or the day that crosses a milestone would not unlock it.
#[tokio::test]
async fn the_day_that_crosses_a_lifetime_milestone_unlocks_it_and_pays_after_its_coins() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let crossing = t.register("crossing@example.com").await;
    let short = t.register("short@example.com").await;
    for user in [&crossing, &short] {
        t.joined_days_ago(user.id, 30).await;
        // 45,000 lifetime steps already credited.
        for ago in 1..10 {
            t.walked(user.id, days_ago(ago), 5_000).await;
        }
    }
    t.sync_days(&crossing, None, vec![walk(days_ago(0), 5_000)])
        .await;
    t.sync_days(&short, None, vec![walk(days_ago(0), 4_999)])
        .await;

    pipeline.run(t.app).await;

    let has_50k = |codes: Vec<String>| codes.iter().any(|c| c == "steps_50k");
    assert!(
        has_50k(t.unlocked_achievements(crossing.id).await),
        "50,000 steps exactly unlock it"
    );
    assert!(
        !has_50k(t.unlocked_achievements(short.id).await),
        "49,999 do not"
    );
    // The crossing user's ledger, one chain: the welcome bonus, the day's coins, then the
    // bonuses of what the day unlocked in display order ("First Steps" and "Getting Going",
    // never evaluated before for this history written straight to the database, and
    // "Fifty Thousand Club").
    let ledger: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT transaction_type, amount, balance_after, user_seq FROM coin_transactions
         WHERE user_id = $1 ORDER BY user_seq",
    )
    .bind(crossing.id)
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        ledger,
        vec![
            ("bonus".to_string(), 100, 100, 1),
            ("earned".to_string(), 5_000, 5_100, 2),
            ("bonus".to_string(), 10, 5_110, 3),
            ("bonus".to_string(), 25, 5_135, 4),
            ("bonus".to_string(), 100, 5_235, 5),
        ]
    );
    t.assert_ledger_invariants().await;
}

/// Crediting reads a walker's run of days only when a credited day meets the goal: the
/// seventh goal day in a row unlocks the week streak through the pipeline, a day one step
/// short does not (and neither does any other day-based achievement of the old days).
#[tokio::test]
async fn the_seventh_goal_day_in_a_row_unlocks_the_week_streak_when_it_is_credited() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let seventh = t.register("seventh@example.com").await;
    let short = t.register("one-short@example.com").await;
    for user in [&seventh, &short] {
        t.joined_days_ago(user.id, 30).await;
        for ago in 1..7 {
            t.walked(user.id, days_ago(ago), 10_000).await;
        }
    }
    t.sync_days(&seventh, None, vec![walk(days_ago(0), 10_000)])
        .await;
    t.sync_days(&short, None, vec![walk(days_ago(0), 9_999)])
        .await;

    pipeline.run(t.app).await;

    assert_eq!(
        t.unlocked_achievements(seventh.id).await,
        ["steps_1k", "steps_5k", "steps_10k", "steps_50k", "streak_7"]
    );
    assert_eq!(
        t.unlocked_achievements(short.id).await,
        ["steps_1k", "steps_5k", "steps_50k"],
        "the day itself and the lifetime total count; the old days' runs are not re-read"
    );
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn every_message_delivered_three_times_and_twice_at_once_credits_once() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("dupes@example.com").await;
    t.joined_days_ago(user.id, 30).await;
    t.sync_days(
        &user,
        None,
        vec![walk(days_ago(1), 4_000), walk(days_ago(0), 6_000)],
    )
    .await;

    let validation_batch = receive(&pipeline.sqs, &pipeline.validation).await;
    assert_eq!(validation_batch.records.len(), 2);
    for _ in 0..3 {
        let r =
            fitkart::lambda::dispatch_sqs(t.app, validation_batch.clone(), None, validate).await;
        assert!(r.batch_item_failures.is_empty());
    }
    let (a, b) = tokio::join!(
        fitkart::lambda::dispatch_sqs(t.app, validation_batch.clone(), None, validate),
        fitkart::lambda::dispatch_sqs(t.app, validation_batch.clone(), None, validate),
    );
    assert!(a.batch_item_failures.is_empty() && b.batch_item_failures.is_empty());
    let validations: i64 = sqlx::query_scalar("SELECT count(*) FROM step_validations")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(validations, 2, "one validation per record version");

    // Every validation run re-sent the verified records: collect all credit messages.
    let mut credit_events = Vec::new();
    loop {
        let event = receive(&pipeline.sqs, &pipeline.credit).await;
        if event.records.is_empty() {
            break;
        }
        sqs::delete_succeeded(&pipeline.sqs, &pipeline.credit, &event, &[]).await;
        credit_events.push(event);
    }
    assert!(credit_events.iter().map(|e| e.records.len()).sum::<usize>() >= 2);
    let first = credit_events[0].clone();
    for _ in 0..3 {
        fitkart::lambda::dispatch_sqs(t.app, first.clone(), None, credit).await;
    }
    let concurrent = credit_events
        .iter()
        .map(|e| fitkart::lambda::dispatch_sqs(t.app, e.clone(), None, credit));
    let results = futures::future::join_all(
        concurrent.chain(
            credit_events
                .iter()
                .map(|e| fitkart::lambda::dispatch_sqs(t.app, e.clone(), None, credit)),
        ),
    )
    .await;
    assert!(results.iter().all(|r| r.batch_item_failures.is_empty()));

    assert_eq!(earned(&t, &user).await, 10_000);
    assert_eq!(t.balance(user.id).await, 100 + 10_000 + 10 + 25);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_higher_resync_credits_the_difference_and_a_lower_one_claws_nothing_back() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("resync@example.com").await;
    let today = days_ago(0);
    t.sync_days(&user, None, vec![walk(today, 3_000)]).await;
    pipeline.run(t.app).await;
    assert_eq!(earned(&t, &user).await, 3_000);

    t.sync_days(&user, None, vec![walk(today, 7_200)]).await;
    pipeline.run(t.app).await;
    assert_eq!(earned(&t, &user).await, 7_200);
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM coin_transactions WHERE transaction_type = 'earned'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(rows, 2, "the resync paid one more row, for the difference");

    t.sync_days(&user, None, vec![walk(today, 5_000)]).await;
    pipeline.run(t.app).await;
    assert_eq!(
        earned(&t, &user).await,
        7_200,
        "a lower count takes nothing back"
    );
    let res = t
        .call(fitkart_functions::steps::list, "GET", "/v1/steps")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(res.body["items"][0]["steps"], 5_000);
    assert_eq!(res.body["items"][0]["coins_credited"], 7_200);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn decimal_rates_round_down_per_day_and_the_daily_cap_holds() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    t.set_setting("coins_per_step", "0.01").await;
    let user = t.register("cents@example.com").await;
    t.joined_days_ago(user.id, 30).await;
    let today = days_ago(0);
    t.sync_days(&user, None, vec![walk(today, 12_345)]).await;
    pipeline.run(t.app).await;
    assert_eq!(earned(&t, &user).await, 123);
    // 12,399 steps is still 123 coins; 12,400 makes 124: no coin is lost or paid twice.
    t.sync_days(&user, None, vec![walk(today, 12_399)]).await;
    pipeline.run(t.app).await;
    assert_eq!(earned(&t, &user).await, 123);
    t.sync_days(&user, None, vec![walk(today, 12_400)]).await;
    pipeline.run(t.app).await;
    assert_eq!(earned(&t, &user).await, 124);

    t.set_setting("coins_per_step", "1").await;
    t.set_setting("max_daily_coins", "5000").await;
    t.sync_days(&user, None, vec![walk(days_ago(1), 9_000)])
        .await;
    pipeline.run(t.app).await;
    assert_eq!(
        earned(&t, &user).await,
        124 + 5_000,
        "the daily cap applies"
    );
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_poison_message_fails_alone_and_reaches_the_dead_letter_queue() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("poison@example.com").await;
    // Eight good days (today and the 7-day backfill window) and two poison messages make a
    // batch of ten.
    let entries: Vec<Value> = (0..8)
        .map(|d| walk(days_ago(d), 2_000 + d as i64))
        .collect();
    t.sync_days(&user, None, entries).await;
    // The poison: not JSON at all, and a pointer to a record that does not exist.
    for body in [
        "not json".to_owned(),
        json!({"record_id": uuid::Uuid::new_v4(), "version": 1}).to_string(),
    ] {
        pipeline
            .sqs
            .send_message()
            .queue_url(&pipeline.validation.url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    // One receive may return fewer than ten: gather the batch as the event source would.
    let mut event = receive(&pipeline.sqs, &pipeline.validation).await;
    for _ in 0..10 {
        if event.records.len() >= 10 {
            break;
        }
        event
            .records
            .extend(receive(&pipeline.sqs, &pipeline.validation).await.records);
    }
    assert_eq!(event.records.len(), 10);
    let response = fitkart::lambda::dispatch_sqs(t.app, event.clone(), None, validate).await;
    assert_eq!(
        response.batch_item_failures.len(),
        2,
        "only the poison messages fail"
    );
    let failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    sqs::delete_succeeded(&pipeline.sqs, &pipeline.validation, &event, &failed).await;
    let verified: i64 =
        sqlx::query_scalar("SELECT count(*) FROM step_records WHERE status = 'verified'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(
        verified, 8,
        "the eight good messages of the batch completed"
    );

    // The poison comes back until maxReceiveCount (5) moves it to the DLQ.
    let mut rounds = 0;
    while sqs::depth(&pipeline.sqs, &pipeline.validation.dlq_url).await < 2 {
        sqs::until_visible(&pipeline.sqs, &pipeline.validation, 1).await;
        poll_once(&pipeline.sqs, &pipeline.validation, t.app, validate).await;
        rounds += 1;
        assert!(rounds < 12, "the poison never reached the DLQ");
    }
    assert_eq!(sqs::depth(&pipeline.sqs, &pipeline.validation.url).await, 0);
    pipeline.run(t.app).await;
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_bad_record_in_a_credit_batch_does_not_hold_back_the_others() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("batch@example.com").await;
    t.joined_days_ago(user.id, 30).await;
    let entries: Vec<Value> = (0..9)
        .map(|d| walk(days_ago(d % 7), 1_000))
        .take(7)
        .collect();
    t.sync_days(&user, None, entries).await;
    let event = receive(&pipeline.sqs, &pipeline.validation).await;
    fitkart::lambda::dispatch_sqs(t.app, event, None, validate).await;
    let mut batch = receive(&pipeline.sqs, &pipeline.credit).await;
    assert_eq!(batch.records.len(), 7);
    let mut poison = batch.records[0].clone();
    poison.message_id = Some("poison-1".into());
    poison.body = Some(json!({"record_id": uuid::Uuid::new_v4()}).to_string());
    batch.records.push(poison);
    let response = fitkart::lambda::dispatch_sqs(t.app, batch, None, credit).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    assert_eq!(failed, ["poison-1"]);
    assert_eq!(earned(&t, &user).await, 7_000);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn with_the_database_down_nothing_is_lost_and_nothing_doubles_after() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("outage@example.com").await;
    t.joined_days_ago(user.id, 30).await;
    t.sync_days(
        &user,
        None,
        vec![walk(days_ago(1), 5_000), walk(days_ago(0), 6_000)],
    )
    .await;

    // The same function with its database unreachable: every message of the batch fails
    // and stays on the queue.
    let mut config = fitkart_tests::test_config();
    config.database_url = "postgres://postgres@127.0.0.1:1/none".into();
    config.db_acquire_timeout = std::time::Duration::from_millis(300);
    config.step_validation_queue_url = Some(pipeline.validation.url.clone());
    config.coin_credit_queue_url = Some(pipeline.credit.url.clone());
    let down: &'static fitkart::App = Box::leak(Box::new(fitkart::App::new(config)));
    let (count, failed) = poll_once(&pipeline.sqs, &pipeline.validation, down, validate).await;
    assert_eq!((count, failed.len()), (2, 2));

    // Validation succeeds; then crediting hits the outage.
    sqs::until_visible(&pipeline.sqs, &pipeline.validation, 2).await;
    let (count, failed) = poll_once(&pipeline.sqs, &pipeline.validation, t.app, validate).await;
    assert_eq!((count, failed.len()), (2, 0));
    let (count, failed) = poll_once(&pipeline.sqs, &pipeline.credit, down, credit).await;
    assert_eq!((count, failed.len()), (2, 2));
    assert_eq!(earned(&t, &user).await, 0);

    // The database is back: the redelivered messages credit exactly once.
    sqs::until_visible(&pipeline.sqs, &pipeline.credit, 2).await;
    pipeline.run(t.app).await;
    assert_eq!(earned(&t, &user).await, 11_000);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_failed_send_is_a_retryable_error_and_a_retry_converges() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("retry@example.com").await;
    // The same database, but the queue URL points at a queue that does not exist.
    let mut config = fitkart_tests::test_config();
    config.step_validation_queue_url = Some(format!("{}-missing", pipeline.validation.url));
    let broken: &'static fitkart::App =
        Box::leak(Box::new(fitkart::App::with_pool(config, t.pool.clone())));
    let res = fitkart_tests::Call::new(broken, sync, "POST", "/v1/steps/sync")
        .bearer(&user.access_token)
        .json(json!({"entries": [walk(days_ago(0), 4_321)]}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (503, "service_unavailable"));
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM step_records r JOIN validation_queue q ON q.step_record_id = r.id
         WHERE r.status = 'pending' AND q.version = r.version AND q.sent_at IS NULL",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(pending, 1, "the day is stored and marked unqueued");

    // The client retries the same sync: nothing changed, but the unqueued record is sent.
    t.sync_days(&user, None, vec![walk(days_ago(0), 4_321)])
        .await;
    pipeline.run(t.app).await;
    assert_eq!(earned(&t, &user).await, 4_321);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn the_sweeper_requeues_records_whose_message_was_never_sent() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("sweep@example.com").await;
    t.sync_days(&user, None, vec![walk(days_ago(0), 2_500)])
        .await;
    // Lose the message and pretend the send never happened a while ago.
    let event = receive(&pipeline.sqs, &pipeline.validation).await;
    sqs::delete_succeeded(&pipeline.sqs, &pipeline.validation, &event, &[]).await;
    sqlx::query(
        "UPDATE validation_queue SET sent_at = NULL, queued_at = now() - interval '5 minutes'",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    let out = fitkart_functions::steps::requeue(t.app, json!({}))
        .await
        .unwrap();
    assert_eq!(out["queued"], 1);
    pipeline.run(t.app).await;
    assert_eq!(earned(&t, &user).await, 2_500);
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM validation_queue")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(waiting, 0, "a validated version leaves the queue");

    // A row left behind for a version that was validated anyway (the release before the
    // queue validated it) is cleared, not sent again every hour.
    sqlx::query(
        "INSERT INTO validation_queue (step_record_id, recorded_date, user_id, version, queued_at, sent_at)
         SELECT id, recorded_date, user_id, version, now() - interval '3 hours', now() - interval '2 hours'
         FROM step_records",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    let out = fitkart_functions::steps::requeue(t.app, json!({}))
        .await
        .unwrap();
    assert_eq!(out["queued"], 0);
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM validation_queue")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(waiting, 0);
}

/// A send of more than ten records is several SendMessageBatch requests (in flight
/// together): every record arrives exactly once and is marked sent.
#[tokio::test]
async fn a_sweep_of_many_records_sends_each_exactly_once() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("many@example.com").await;
    // 25 days whose sync stored them but never sent them (their send failed).
    let records: Vec<uuid::Uuid> = sqlx::query_scalar(
        "WITH made AS (
             INSERT INTO step_records (user_id, recorded_date, steps, source)
             SELECT $1, current_date - d, 3000 + d, 'health_connect' FROM generate_series(0, 24) d
             RETURNING id, recorded_date, user_id, version
         )
         INSERT INTO validation_queue (step_record_id, recorded_date, user_id, version, queued_at)
         SELECT id, recorded_date, user_id, version, now() - interval '5 minutes' FROM made
         RETURNING step_record_id",
    )
    .bind(user.id)
    .fetch_all(&t.pool)
    .await
    .unwrap();
    let out = fitkart_functions::steps::requeue(t.app, json!({}))
        .await
        .unwrap();
    assert_eq!(out["queued"], 25);

    let mut received: Vec<uuid::Uuid> = Vec::new();
    for _ in 0..10 {
        let event = receive(&pipeline.sqs, &pipeline.validation).await;
        if event.records.is_empty() {
            break;
        }
        for message in &event.records {
            let body: Value = serde_json::from_str(message.body.as_deref().unwrap()).unwrap();
            received.push(body["record_id"].as_str().unwrap().parse().unwrap());
        }
        sqs::delete_succeeded(&pipeline.sqs, &pipeline.validation, &event, &[]).await;
    }
    received.sort();
    let mut expected = records.clone();
    expected.sort();
    assert_eq!(received, expected, "each record's message once");
    let unsent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM validation_queue WHERE sent_at IS NULL")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(unsent, 0);
}
