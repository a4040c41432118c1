//! Leaderboards: ties, period boundaries in UTC, excluded accounts, the caller outside the
//! top N, readers during a refresh, and one refresh per scheduled time.

use chrono::{Days, NaiveDate, Utc};
use fitkart::jobs::ScheduledEvent;
use fitkart::leaderboard::{self, Period};
use fitkart_functions::leaderboard::{get as read_board, refresh};
use fitkart_tests::{TestApp, User};
use serde_json::Value;
use uuid::Uuid;

fn at(time: &str) -> ScheduledEvent {
    ScheduledEvent {
        scheduled_time: Some(time.parse().unwrap()),
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn board(t: &TestApp, user: &User, period: &str, limit: i64) -> Value {
    let res = t
        .call(read_board, "GET", "/v1/leaderboard")
        .bearer(&user.access_token)
        .query("period", period)
        .query("limit", limit)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

fn ranks(board: &Value) -> Vec<(i64, i64)> {
    board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["rank"].as_i64().unwrap(),
                e["total_steps"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn ties_share_a_rank_excluded_accounts_vanish_and_the_caller_sees_their_own_rank() {
    let t = TestApp::new().await;
    let today = Utc::now().date_naive();
    let mut users = Vec::new();
    for (i, steps) in [10_000, 8_000, 8_000, 5_000, 20_000, 30_000]
        .iter()
        .enumerate()
    {
        let user = t.register(&format!("walker{i}@example.com")).await;
        t.walked(user.id, today, *steps).await;
        users.push(user);
    }
    // The 20,000 walker is deactivated, the 30,000 walker deleted their account.
    t.deactivate(users[4].id).await;
    let deleted = t
        .call(fitkart_functions::me::delete, "DELETE", "/v1/me")
        .bearer(&users[5].access_token)
        .send()
        .await;
    assert_eq!(deleted.status, 204);

    let outcome = refresh(t.app, ScheduledEvent::default()).await.unwrap();
    assert_eq!(outcome["boards"].as_array().unwrap().len(), 3);
    let weekly = board(&t, &users[3], "weekly", 10).await;
    assert_eq!(
        ranks(&weekly),
        [(1, 10_000), (2, 8_000), (2, 8_000), (4, 5_000)]
    );
    assert_eq!(weekly["period"], "weekly");
    assert_eq!(
        weekly["period_start"],
        Period::Weekly.start(today).to_string()
    );
    assert!(weekly["last_updated"].is_string());
    assert_eq!(weekly["items"][0]["full_name"], "Test Walker");

    // Top 2, and the caller (rank 4) outside it.
    let top = board(&t, &users[3], "all_time", 2).await;
    assert_eq!(ranks(&top), [(1, 10_000), (2, 8_000)]);
    assert_eq!(top["me"]["rank"], 4);
    assert_eq!(top["me"]["total_steps"], 5_000);
    // Someone without steps is not ranked.
    let idle = t.register("idle@example.com").await;
    assert!(board(&t, &idle, "monthly", 10).await["me"].is_null());

    let bad = t
        .call(read_board, "GET", "/v1/leaderboard")
        .bearer(&idle.access_token)
        .query("period", "daily")
        .query("limit", 0)
        .send()
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn weeks_start_on_monday_and_months_on_the_first_in_utc() {
    let t = TestApp::new().await;
    let ann = t.register("ann@example.com").await;
    let bob = t.register("bob@example.com").await;
    // Sunday 2026-11-29 belongs to the week of Monday 2026-11-23; Monday 11-30 starts a new
    // week; Tuesday 12-01 starts a new month.
    t.walked(ann.id, day("2026-11-29"), 9_000).await;
    t.walked(bob.id, day("2026-11-30"), 7_000).await;
    t.walked(bob.id, day("2026-12-01"), 4_000).await;

    refresh(t.app, at("2026-12-01T00:15:00Z")).await.unwrap();
    let boards: Vec<(String, NaiveDate, Uuid, i64, i32)> = sqlx::query_as(
        "SELECT period, week_starts_at, user_id, total_steps, rank FROM leaderboard_cache
         ORDER BY period, week_starts_at, rank",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    let expected = vec![
        (
            "all_time".to_owned(),
            leaderboard::ALL_TIME_START,
            bob.id,
            11_000,
            1,
        ),
        (
            "all_time".to_owned(),
            leaderboard::ALL_TIME_START,
            ann.id,
            9_000,
            2,
        ),
        // The run on Tuesday finishes November (yesterday) and starts December.
        ("monthly".to_owned(), day("2026-11-01"), ann.id, 9_000, 1),
        ("monthly".to_owned(), day("2026-11-01"), bob.id, 7_000, 2),
        ("monthly".to_owned(), day("2026-12-01"), bob.id, 4_000, 1),
        ("weekly".to_owned(), day("2026-11-30"), bob.id, 11_000, 1),
    ];
    assert_eq!(boards, expected);

    // A Monday run finishes last week's board with Sunday's steps.
    refresh(t.app, at("2026-11-30T00:15:00Z")).await.unwrap();
    let last_week: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT user_id, total_steps FROM leaderboard_cache WHERE period = 'weekly' AND week_starts_at = '2026-11-23'",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(last_week, [(ann.id, 9_000)]);
    // Readers get the newest board of the period.
    let weekly = board(&t, &ann, "weekly", 10).await;
    assert_eq!(weekly["period_start"], "2026-11-30");
    assert!(weekly["me"].is_null());
}

#[tokio::test]
async fn readers_during_a_refresh_never_see_an_empty_or_mixed_board() {
    let t = TestApp::new().await;
    let today = Utc::now().date_naive();
    let reader = t.register("reader@example.com").await;
    // 40 walkers with distinct totals: walker i has 1,000 * (i + 1) steps plus k after the
    // k-th round of updates; a board mixing two rounds would show two different k.
    let mut walkers = Vec::new();
    for i in 0..40 {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, full_name) VALUES ($1, 'x', 'W') RETURNING id",
        )
        .bind(format!("w{i}@example.com"))
        .fetch_one(&t.pool)
        .await
        .unwrap();
        t.walked(id, today, 1_000 * (i + 1)).await;
        walkers.push(id);
    }
    let boards = leaderboard::boards_for(Utc::now());
    let mut tx = t.pool.begin().await.unwrap();
    leaderboard::refresh(&mut tx, &boards).await.unwrap();
    tx.commit().await.unwrap();

    let writer = async {
        for round in 1..=15 {
            sqlx::query("UPDATE step_records SET verified_steps = verified_steps + 1, steps = steps + 1 WHERE recorded_date = $1")
                .bind(today)
                .execute(&t.pool)
                .await
                .unwrap();
            let refreshed = leaderboard::refresh_all(&t.pool, &boards).await.unwrap();
            assert_eq!(refreshed.len(), boards.len(), "round {round}");
        }
    };
    let readers = async {
        let mut reads = 0;
        for _ in 0..60 {
            let b = board(&t, &reader, "weekly", 100).await;
            let items = b["items"].as_array().unwrap();
            assert_eq!(items.len(), 40, "a reader saw a partial board");
            let rounds: std::collections::BTreeSet<i64> = items
                .iter()
                .map(|e| {
                    let rank = e["rank"].as_i64().unwrap();
                    e["total_steps"].as_i64().unwrap() - 1_000 * (41 - rank)
                })
                .collect();
            assert_eq!(
                rounds.len(),
                1,
                "a reader saw a board mixing refreshes: {rounds:?}"
            );
            reads += 1;
            tokio::task::yield_now().await;
        }
        reads
    };
    let ((), reads) = tokio::join!(writer, readers);
    assert_eq!(reads, 60);
}

#[tokio::test]
async fn a_scheduled_refresh_delivered_twice_runs_once() {
    let t = TestApp::new().await;
    let ann = t.register("ann@example.com").await;
    t.walked(ann.id, Utc::now().date_naive() - Days::new(1), 6_000)
        .await;
    let first = refresh(t.app, at("2026-11-25T00:15:00Z")).await.unwrap();
    assert!(first["boards"].is_array());
    let updated: chrono::DateTime<Utc> =
        sqlx::query_scalar("SELECT max(last_updated) FROM leaderboard_cache")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    let again = refresh(t.app, at("2026-11-25T00:15:00Z")).await.unwrap();
    assert_eq!(again["skipped"], true);
    let still: chrono::DateTime<Utc> =
        sqlx::query_scalar("SELECT max(last_updated) FROM leaderboard_cache")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(updated, still);
}
