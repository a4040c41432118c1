//! The housekeeping schedules (reconciliation, cleanup, database maintenance) and the
//! caller's own stats and data export.

use chrono::{Days, Utc};
use fitkart::jobs::ScheduledEvent;
use fitkart_functions::{me, ops};
use fitkart_tests::TestApp;
use serde_json::{json, Value};
use uuid::Uuid;

async fn exec(t: &TestApp, sql: &str, user: Uuid) {
    sqlx::query(sql).bind(user).execute(&t.pool).await.unwrap();
}

/// Drifts the job reported, as (check, user).
fn found(outcome: &Value) -> Vec<(String, Uuid)> {
    outcome["drifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["check"].as_str().unwrap().to_owned(),
                d["id"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn reconciliation_finds_each_kind_of_drift_and_none_on_a_clean_ledger() {
    let t = TestApp::new().await;
    let product = t.product("Cap", 1_000, 100).await;
    let mut users = Vec::new();
    for i in 0..14 {
        let user = t.verified(&format!("u{i}@example.com")).await;
        t.grant(user.id, 5_000).await;
        t.order(&user, "k", &[(product, 1)]).await;
        users.push(user.id);
    }
    sqlx::query(
        "INSERT INTO step_records (user_id, steps, source, recorded_date, status, verified_steps)
         VALUES ($1, 100, 'health_kit', current_date, 'verified', 100)",
    )
    .bind(users[8])
    .execute(&t.pool)
    .await
    .unwrap();

    let clean = ops::reconcile(t.app, ScheduledEvent::default())
        .await
        .unwrap();
    assert_eq!(clean["checks"], 18);
    assert_eq!(found(&clean), []);

    // One kind of drift per user, planted behind the ledger's back.
    let plants: [(&str, &str); 14] = [
        ("wallet_vs_ledger", "UPDATE wallets SET available_coins = available_coins + 7 WHERE user_id = $1"),
        ("balance_chain", "UPDATE coin_transactions SET balance_before = balance_before + 1, balance_after = balance_after + 1
                           WHERE user_id = $1 AND user_seq = 1"),
        ("ledger_sequence", "UPDATE wallets SET ledger_seq = ledger_seq + 1 WHERE user_id = $1"),
        ("users_total_coins", "UPDATE users SET total_coins = total_coins + 1 WHERE id = $1"),
        ("users_lifetime_earned", "UPDATE users SET lifetime_coins_earned = lifetime_coins_earned + 1 WHERE id = $1"),
        ("users_lifetime_spent", "UPDATE users SET lifetime_coins_spent = lifetime_coins_spent + 1 WHERE id = $1"),
        ("frozen_vs_open_holds", "UPDATE wallets SET frozen_coins = frozen_coins + 10 WHERE user_id = $1"),
        ("spent_vs_settled_orders", "UPDATE wallets SET total_spent = total_spent + 10 WHERE user_id = $1"),
        ("credited_vs_earned", "UPDATE step_records SET coins_credited = 100 WHERE user_id = $1"),
        ("users_total_steps", "UPDATE users SET total_steps = total_steps + 5 WHERE id = $1"),
        ("wallet_per_user", "DELETE FROM wallets WHERE user_id = $1"),
        ("leaderboard_totals", "INSERT INTO leaderboard_totals (period, period_start, user_id, total_steps)
                                VALUES ('all_time', '1970-01-01', $1, 300)"),
        ("daily_totals", "INSERT INTO daily_totals (user_id, day, steps) VALUES ($1, current_date, 400)"),
        ("team_totals", "INSERT INTO leaderboard_totals (period, period_start, user_id, total_steps, capped_steps)
                         VALUES ('monthly', date_trunc('month', current_date)::date, $1, 0, 500)"),
    ];
    for (i, (_, sql)) in plants.iter().enumerate() {
        exec(&t, sql, users[i]).await;
    }
    let drifted = ops::reconcile(t.app, ScheduledEvent::default())
        .await
        .unwrap();
    let drifts = found(&drifted);
    for (i, (check, _)) in plants.iter().enumerate() {
        assert!(
            drifts.contains(&(check.to_string(), users[i])),
            "{check} planted for user {i} was not found: {drifts:?}"
        );
    }
    // Only the planted users drift, and the values are both reported.
    assert!(drifts.iter().all(|(_, u)| users.contains(u)));
    let wallet = drifted["drifts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["check"] == "wallet_vs_ledger" && d["id"] == users[0].to_string())
        .unwrap();
    assert_eq!(
        wallet["actual"].as_i64().unwrap() - wallet["expected"].as_i64().unwrap(),
        7
    );
    // Reporting changes nothing.
    let available: i64 =
        sqlx::query_scalar("SELECT available_coins FROM wallets WHERE user_id = $1")
            .bind(users[0])
            .fetch_one(&t.pool)
            .await
            .unwrap();
    let ledger: i64 =
        sqlx::query_scalar("SELECT sum(amount)::int8 FROM coin_transactions WHERE user_id = $1")
            .bind(users[0])
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(available - ledger, 7);
}

#[tokio::test]
async fn cleanup_deletes_only_what_expired_in_batches() {
    let t = TestApp::new().await;
    let user = t.register("walker@example.com").await;
    for (i, (expires, revoked)) in [
        ("now() - interval '2 days'", "NULL"), // expired: goes
        ("now() - interval '3 days'", "now() - interval '40 days'"), // goes
        ("now() + interval '20 days'", "now() - interval '31 days'"), // long revoked: goes
        ("now() + interval '20 days'", "now() - interval '2 days'"), // recently revoked: stays
        ("now() - interval '1 hour'", "NULL"), // just expired: stays a day
    ]
    .iter()
    .enumerate()
    {
        sqlx::query(&format!(
            "INSERT INTO refresh_tokens (user_id, token, expires_at, revoked_at, family_id)
             VALUES ($1, $2, {expires}, {revoked}, gen_random_uuid())"
        ))
        .bind(user.id)
        .bind(format!("{i:064}"))
        .execute(&t.pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO login_attempts (email, attempted_at)
         SELECT 'x@example.com', now() - interval '2 days' FROM generate_series(1, 7)
         UNION ALL SELECT 'x@example.com', now() - interval '5 minutes'",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO rate_limit_windows (bucket, subject, hits, refused, last_hit_at)
         SELECT 'reset_mail', 'old' || n || '@example.com', ARRAY[now() - interval '25 hours'], false,
                now() - interval '25 hours'
         FROM generate_series(1, 3) n
         UNION ALL SELECT 'reset_mail', 'x@example.com', ARRAY[now()], false, now()",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    // Registration's verification token is live and stays; a long-expired one goes.
    sqlx::query(
        "INSERT INTO account_tokens (user_id, purpose, token_hash, email, created_at, expires_at)
         VALUES ($1, 'reset_password', repeat('a', 64), 'x@example.com', now() - interval '3 days',
                 now() - interval '2 days')",
    )
    .bind(user.id)
    .execute(&t.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at)
         VALUES ($1, 'old', 'h', now() - interval '31 days'), ($1, 'new', 'h', now())",
    )
    .bind(user.id)
    .execute(&t.pool)
    .await
    .unwrap();
    // A weekly board from 450 days ago goes (its entry, its total, its publication); last
    // month's and the all-time board stay.
    sqlx::query(
        "WITH boards (period, start) AS (VALUES ('weekly', current_date - 450), ('monthly', current_date - 40),
                                                ('all_time', DATE '1970-01-01')),
              entries AS (INSERT INTO leaderboard_cache (user_id, rank, total_steps, week_starts_at, period)
                          SELECT $1, 1, 5000, start, period FROM boards),
              totals AS (INSERT INTO leaderboard_totals (period, period_start, user_id, total_steps)
                         SELECT period, start, $1, 5000 FROM boards)
         INSERT INTO leaderboards (period, period_start, ranked_at, ranked_users)
         SELECT period, start, now(), 1 FROM boards",
    )
    .bind(user.id)
    .execute(&t.pool)
    .await
    .unwrap();
    // Shopify webhooks: one processed long ago goes; a recent one and one never processed
    // (however old) stay.
    sqlx::query(
        "INSERT INTO shopify_webhooks (webhook_id, topic, payload, received_at, processed_at) VALUES
             ('old', 'orders/fulfilled', '{}', now() - interval '100 days', now() - interval '100 days'),
             ('recent', 'orders/fulfilled', '{}', now() - interval '2 days', now() - interval '2 days'),
             ('stuck', 'orders/fulfilled', '{}', now() - interval '100 days', NULL)",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    // Notifications: one finished long ago goes; one finished yesterday and one still
    // waiting stay.
    sqlx::query(
        "INSERT INTO notifications (key, user_id, kind, created_at, finished_at) VALUES
             ('old', $1, 'coins_credited', now() - interval '40 days', now() - interval '40 days'),
             ('recent', $1, 'coins_credited', now() - interval '1 day', now() - interval '1 day'),
             ('waiting', $1, 'coins_credited', now() - interval '40 days', NULL)",
    )
    .bind(user.id)
    .execute(&t.pool)
    .await
    .unwrap();
    // Invite links: one that expired over a week ago goes; a live one stays.
    sqlx::query(
        "INSERT INTO invite_codes (owner_id, kind, code_digest, expires_at) VALUES
             ($1, 'friend', '\\x01', now() - interval '8 days'), ($1, 'friend', '\\x02', now() + interval '1 day')",
    )
    .bind(user.id)
    .execute(&t.pool)
    .await
    .unwrap();
    let sessions_before: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens")
        .fetch_one(&t.pool)
        .await
        .unwrap();

    // Batches of two: several rounds per table.
    let done = fitkart::housekeeping::cleanup(&t.pool, t.now(), 2)
        .await
        .unwrap();
    assert_eq!(
        (
            done.refresh_tokens,
            done.login_attempts,
            done.rate_limit_hits,
            done.account_tokens,
            done.idempotency_keys,
            done.old_board_rows,
            done.shopify_webhooks,
            done.notifications
        ),
        (3, 7, 3, 1, 1, 2, 1, 1)
    );
    assert_eq!(done.invite_codes, 1);
    let notifications: Vec<String> =
        sqlx::query_scalar("SELECT key FROM notifications ORDER BY key")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    assert_eq!(notifications, ["recent", "waiting"]);
    let webhooks: Vec<String> =
        sqlx::query_scalar("SELECT webhook_id FROM shopify_webhooks ORDER BY webhook_id")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    assert_eq!(webhooks, ["recent", "stuck"]);
    let boards: Vec<String> = sqlx::query_scalar("SELECT period FROM leaderboards ORDER BY period")
        .fetch_all(&t.pool)
        .await
        .unwrap();
    assert_eq!(boards, ["all_time", "monthly"]);
    let live_tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM account_tokens")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(live_tokens, 1, "the pending verification link still works");
    let sessions_after: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(sessions_after, sessions_before - 3);
    // The session from registration still works.
    let refreshed = t
        .call(fitkart_functions::auth::refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh_token}))
        .send()
        .await;
    assert_eq!(refreshed.status, 200);
    let left: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys")
        .fetch_all(&t.pool)
        .await
        .unwrap();
    assert_eq!(left, ["new"]);
    // The scheduled job runs the same cleanup once per scheduled time.
    let event = || ScheduledEvent {
        scheduled_time: Some("2026-11-25T03:30:00Z".parse().unwrap()),
    };
    assert!(ops::cleanup(t.app, event()).await.unwrap()["deleted"].is_object());
    assert_eq!(ops::cleanup(t.app, event()).await.unwrap()["skipped"], true);
}

#[tokio::test]
async fn maintenance_creates_the_coming_months_analyzes_busy_tables_and_reports_health() {
    let t = TestApp::new().await;
    t.register("walker@example.com").await;
    // The months a run today must see to: the template database may have been migrated
    // on an earlier day (a month earlier, across a turn of the month), so count what is
    // missing rather than assume one.
    let missing_before: i32 = sqlx::query_scalar(
        "SELECT count(*)::int FROM generate_series(date_trunc('month', $1::date), $1::date + $2::int, '1 month') m
         WHERE to_regclass('step_records_' || to_char(m, 'YYYY_MM')) IS NULL",
    )
    .bind(t.today())
    .bind(fitkart::housekeeping::PARTITION_DAYS_AHEAD)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    // The furthest month ahead is missing (as it is until a run creates it).
    let furthest: String = sqlx::query_scalar(
        "SELECT max(c.relname::text) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'step_records'::regclass AND c.relname <> 'step_records_history'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    sqlx::raw_sql(&format!(
        "ALTER TABLE step_records DETACH PARTITION {furthest}; DROP TABLE {furthest}"
    ))
    .execute(&t.pool)
    .await
    .unwrap();
    let report = ops::maintain(t.app, ScheduledEvent::default())
        .await
        .unwrap();
    assert_eq!(report["partitions_created"], missing_before + 1);
    let back: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(&furthest)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert!(back, "{furthest} was created again");
    // A day 110 days ahead has its month (syncs never reach it; the margin is the point).
    sqlx::query(
        "INSERT INTO step_records (user_id, recorded_date, steps, source)
         SELECT id, current_date + 110, 100, 'manual' FROM users LIMIT 1",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    let analyzed: Vec<&str> = report["analyzed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(analyzed, fitkart::housekeeping::BUSY_TABLES);
    let last_analyze: Option<chrono::DateTime<Utc>> = sqlx::query_scalar(
        "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'step_records'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert!(last_analyze.is_some());
    let tables = report["tables"].as_array().unwrap();
    let users = tables.iter().find(|t| t["table"] == "users").unwrap();
    assert!(users["total_bytes"].as_i64().unwrap() > 0);
    assert!(report["unused_indexes"].is_array());
    assert!(report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c[0] == "active"));
}

#[tokio::test]
async fn stats_show_totals_streaks_and_rank() {
    let t = TestApp::new().await;
    let walker = t.register("walker@example.com").await;
    let today = fitkart_tests::now().date_naive();
    // Goal met on the last three days and on one earlier day.
    for (ago, steps) in [
        (0, 12_000),
        (1, 10_000),
        (2, 11_000),
        (3, 4_000),
        (5, 15_000),
    ] {
        t.walked(walker.id, today - Days::new(ago), steps).await;
    }
    fitkart_functions::leaderboard::rank(t.app, ScheduledEvent::default())
        .await
        .unwrap();
    let stats = t
        .call(me::stats, "GET", "/v1/me/stats")
        .bearer(&walker.access_token)
        .send()
        .await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    let s = &stats.body;
    assert_eq!(s["days_tracked"], 5);
    assert_eq!(s["total_steps"], 52_000);
    assert_eq!(s["best_day_steps"], 15_000);
    assert_eq!(s["goal_days"], 4);
    assert_eq!(s["current_streak"], 3);
    assert_eq!(s["best_streak"], 3);
    assert_eq!(s["rank"], 1);
    assert_eq!(s["available_coins"], t.balance(walker.id).await);
    let anonymous = t.call(me::stats, "GET", "/v1/me/stats").send().await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn the_export_holds_the_callers_data_and_nobody_elses() {
    let t = TestApp::new().await;
    let product = t.product("Bottle", 500, 10).await;
    let ann = t.verified("ann@example.com").await;
    t.joined_days_ago(ann.id, 30).await;
    let bob = t.verified("bob@example.com").await;
    t.joined_days_ago(bob.id, 30).await;
    for user in [&ann, &bob] {
        t.grant(user.id, 5_000).await;
        let order = t.order(user, "o", &[(product, 1)]).await;
        t.advance_order(order, fitkart::orders::Status::Shipped)
            .await;
        sqlx::query(
            "INSERT INTO step_records (user_id, steps, source, recorded_date, status, verified_steps)
             VALUES ($1, 4321, 'health_kit', current_date, 'verified', 4321)",
        )
        .bind(user.id)
        .execute(&t.pool)
        .await
        .unwrap();
    }
    let res = t
        .call(me::export, "GET", "/v1/me/export")
        .bearer(&ann.access_token)
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert!(res
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    let export = &res.body;
    assert_eq!(export["profile"]["email"], "ann@example.com");
    assert_eq!(export["step_records"][0]["steps"], 4321);
    assert_eq!(
        export["orders"][0]["items"][0]["product_id"],
        product.to_string()
    );
    assert!(export["transactions"].as_array().unwrap().len() >= 3);
    assert_eq!(export["wallet"]["user_id"], ann.id.to_string());
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);
    assert!(!export["achievements"].as_array().unwrap().is_empty());
    // Nothing of Bob's, and no secrets.
    for foreign in [bob.id.to_string(), "bob@example.com".to_owned()] {
        assert!(!res.raw.contains(&foreign), "the export leaks {foreign}");
    }
    for secret in ["password_hash", "\"token\"", "$2b$"] {
        assert!(!res.raw.contains(secret), "the export contains {secret}");
    }
}
