//! Leaderboards: a synced day moving its walker's rank at the next ranking, ties, period
//! boundaries in UTC, excluded accounts, the caller outside the top N, readers during a
//! ranking, only changed entries rewritten, and one ranking per scheduled time.

use chrono::{Days, NaiveDate, Utc};
use fitkart::jobs::ScheduledEvent;
use fitkart::leaderboard::{self, Period};
use fitkart_functions::leaderboard::{get as read_board, rank};
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
    // A Wednesday in mid-month: a run ranks this week's, this month's and the all-time
    // board, no period that just ended (that is the next test's subject).
    t.app.clock.set("2027-03-10T12:00:00Z".parse().unwrap());
    let today = t.today();
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

    let outcome = rank(t.app, ScheduledEvent::default()).await.unwrap();
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
    // Others are shown by their alias, never their name.
    assert_eq!(weekly["items"][0]["alias"], "Test W.");
    assert_eq!(weekly["items"][0]["full_name"], "Test W.");

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

    rank(t.app, at("2026-12-01T00:15:00Z")).await.unwrap();
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
    rank(t.app, at("2026-11-30T00:15:00Z")).await.unwrap();
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
async fn readers_during_a_ranking_never_see_an_empty_or_mixed_board() {
    let t = TestApp::new().await;
    let today = fitkart_tests::now().date_naive();
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
    let boards = leaderboard::boards_for(fitkart_tests::now());
    leaderboard::rank_all(&t.pool, &boards).await.unwrap();

    let writer = async {
        for round in 1..=15 {
            // Every walker gains a step, credited as the pipeline credits.
            let credited: Vec<_> = walkers.iter().map(|w| (*w, today, 1)).collect();
            let mut tx = t.pool.begin().await.unwrap();
            leaderboard::count_credited(&mut tx, &credited)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let ranked = leaderboard::rank_all(&t.pool, &boards).await.unwrap();
            assert_eq!(ranked.len(), boards.len(), "round {round}");
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
                "a reader saw a board mixing rankings: {rounds:?}"
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
async fn a_scheduled_ranking_delivered_twice_runs_once() {
    let t = TestApp::new().await;
    let ann = t.register("ann@example.com").await;
    t.walked(
        ann.id,
        fitkart_tests::now().date_naive() - Days::new(1),
        6_000,
    )
    .await;
    let first = rank(t.app, at("2026-11-25T00:15:00Z")).await.unwrap();
    assert!(first["boards"].is_array());
    let ranked_at = || async {
        sqlx::query_scalar::<_, chrono::DateTime<Utc>>("SELECT max(ranked_at) FROM leaderboards")
            .fetch_one(&t.pool)
            .await
            .unwrap()
    };
    let first_ranked = ranked_at().await;
    let again = rank(t.app, at("2026-11-25T00:15:00Z")).await.unwrap();
    assert_eq!(again["skipped"], true);
    assert_eq!(ranked_at().await, first_ranked);
}

#[tokio::test]
async fn a_synced_day_moves_its_walker_up_at_the_next_ranking_and_only_moved_totals_are_written() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let today = fitkart_tests::now().date_naive();
    let leader = t.verified("leader@example.com").await;
    let runner_up = t.verified("runner-up@example.com").await;
    let climber = t.verified("climber@example.com").await;
    for user in [&leader, &runner_up, &climber] {
        t.joined_days_ago(user.id, 30).await;
    }
    t.walked(leader.id, today, 9_000).await;
    t.walked(runner_up.id, today, 7_000).await;
    t.walked(climber.id, today, 3_000).await;
    let boards = leaderboard::boards_for(fitkart_tests::now());
    leaderboard::rank_all(&t.pool, &boards).await.unwrap();
    let before = board(&t, &climber, "weekly", 10).await;
    assert_eq!(before["me"]["rank"], 3);

    // The climber syncs yesterday's 8,000 steps through the real pipeline: validated,
    // credited, and counted into this week's and this month's totals by the crediting.
    let yesterday = today - Days::new(1);
    let synced = t
        .sync(
            &climber,
            serde_json::json!({"entries": [{
            "date": yesterday, "steps": 8_000, "source": "health_connect",
            "distance_km": 6.0, "calories": 320.0}]}),
        )
        .await;
    assert_eq!(synced.status, 202, "{}", synced.body);
    pipeline.run(t.app).await;
    // Nothing moves until the next ranking: readers keep the published board.
    assert_eq!(board(&t, &climber, "weekly", 10).await["me"]["rank"], 3);

    let ranked = leaderboard::rank_all(&t.pool, &boards).await.unwrap();
    let weekly_same_week = Period::Weekly.start(yesterday) == Period::Weekly.start(today);
    let weekly = board(&t, &climber, "weekly", 10).await;
    if weekly_same_week {
        assert_eq!(weekly["me"]["rank"], 1, "{weekly}");
        assert_eq!(weekly["me"]["total_steps"], 11_000);
        assert_eq!(
            ranks(&weekly),
            [(1, 11_000), (2, 9_000), (3, 7_000)],
            "the climber passed both"
        );
    }
    let all_time = board(&t, &climber, "all_time", 10).await;
    assert_eq!(all_time["me"]["rank"], 1);
    assert_eq!(all_time["me"]["total_steps"], 11_000);
    // All three ranks changed (1→2, 2→3, 3→1), but only the climber's total was written.
    let all_time_run = ranked.iter().find(|b| b.period == Period::AllTime).unwrap();
    assert_eq!(all_time_run.ranked_users, 3);
    assert_eq!(all_time_run.moved_totals, 1);

    // A ranking with nothing new writes nothing; a walker who leaves is removed.
    let again = leaderboard::rank_all(&t.pool, &boards).await.unwrap();
    assert!(again.iter().all(|b| b.moved_totals == 0), "{again:?}");
    t.deactivate(leader.id).await;
    let after_leaving = leaderboard::rank_all(&t.pool, &boards).await.unwrap();
    let all_time_run = after_leaving
        .iter()
        .find(|b| b.period == Period::AllTime)
        .unwrap();
    assert_eq!(all_time_run.ranked_users, 2);
    assert_eq!(all_time_run.moved_totals, 1);
    let remaining: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM leaderboard_cache WHERE period = 'all_time' AND user_id = $1",
    )
    .bind(leader.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(remaining, 0);
    assert_eq!(
        ranks(&board(&t, &climber, "all_time", 10).await),
        [(1, 11_000), (2, 7_000)]
    );
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn reconciliation_finds_a_board_total_that_drifted_from_the_step_records() {
    let t = TestApp::new().await;
    let ann = t.register("ann@example.com").await;
    let today = fitkart_tests::now().date_naive();
    t.walked(ann.id, today, 6_000).await;
    t.walked(ann.id, today - Days::new(40), 4_000).await;
    t.assert_ledger_invariants().await;

    sqlx::query(
        "UPDATE leaderboard_totals SET total_steps = total_steps + 500
         WHERE period = 'monthly' AND period_start = $1",
    )
    .bind(Period::Monthly.start(today))
    .execute(&t.pool)
    .await
    .unwrap();
    let mut conn = t.pool.begin().await.unwrap();
    let drifts = fitkart::reconcile::run(&mut conn).await.unwrap();
    assert_eq!(drifts.len(), 1, "{drifts:?}");
    assert_eq!(drifts[0].check, "leaderboard_totals");
    assert_eq!(drifts[0].id, ann.id);
    assert_eq!((drifts[0].expected, drifts[0].actual), (6_000, 6_500));

    // A board total nobody's steps account for is drift too.
    sqlx::query(
        "INSERT INTO leaderboard_totals (period, period_start, user_id, total_steps)
         VALUES ('weekly', $1, $2, 100)",
    )
    .bind(Period::Weekly.start(today - Days::new(100)))
    .bind(ann.id)
    .execute(&t.pool)
    .await
    .unwrap();
    let drifts = fitkart::reconcile::run(&mut conn).await.unwrap();
    assert_eq!(drifts.len(), 2, "{drifts:?}");
}

/// Each published user's rank from the bands next to a from-scratch `rank()` over the
/// published totals: (user, banded rank, true rank).
async fn ranks_both_ways(t: &TestApp, board: (Period, NaiveDate)) -> Vec<(Uuid, i32, i64)> {
    sqlx::query_as(
        "SELECT user_id, leaderboard_rank($1, $2, user_id),
                rank() OVER (ORDER BY ranked_steps DESC)
         FROM leaderboard_totals
         WHERE period = $1 AND period_start = $2 AND ranked_steps IS NOT NULL
         ORDER BY user_id",
    )
    .bind(board.0.as_str())
    .bind(board.1)
    .fetch_all(&t.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn banded_ranks_equal_a_full_ranking_through_ties_band_edges_and_moves() {
    let t = TestApp::new().await;
    let board = (Period::AllTime, leaderboard::ALL_TIME_START);
    // 400 walkers whose totals sit on and around every kind of band edge (100-wide bands
    // below a million, 1,000-wide below ten million, 10,000-wide above), with many ties.
    let edges = [
        1,
        99,
        100,
        101,
        5_000,
        5_000,
        5_099,
        999_999,
        1_000_000,
        1_000_999,
        1_001_000,
        9_999_999,
        10_000_000,
        10_009_999,
        10_010_000,
        123_456_789,
    ];
    sqlx::query(
        "WITH walkers AS (
             INSERT INTO users (email, password_hash, full_name)
             SELECT 'w' || g || '@example.com', 'x', 'W' FROM generate_series(1, 400) g
             RETURNING id, substr(email, 2, strpos(email, '@') - 2)::int AS n
         )
         INSERT INTO leaderboard_totals (period, period_start, user_id, total_steps)
         SELECT 'all_time', '1970-01-01', id, ($1::int8[])[1 + n % cardinality($1::int8[])] + (n % 7) * (n % 2)
         FROM walkers",
    )
    .bind(&edges[..])
    .execute(&t.pool)
    .await
    .unwrap();
    let ranked = leaderboard::rank_all(&t.pool, &[board]).await.unwrap();
    assert_eq!(ranked[0].ranked_users, 400);
    for (user, banded, full) in ranks_both_ways(&t, board).await {
        assert_eq!(i64::from(banded), full, "user {user}");
    }

    // Moves across bands, down to a single step, and accounts leaving: only the moved
    // totals are written, and every rank still agrees.
    let movers: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT user_id, ((ascii(user_id::text) % 5) * 1000037 + 1)::int8 FROM leaderboard_totals
         ORDER BY user_id LIMIT 60",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    let credited: Vec<_> = movers
        .iter()
        .map(|(user, steps)| (*user, leaderboard::ALL_TIME_START, *steps))
        .collect();
    let mut tx = t.pool.begin().await.unwrap();
    leaderboard::count_credited(&mut tx, &credited)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let leaving: Vec<Uuid> =
        sqlx::query_scalar("SELECT user_id FROM leaderboard_totals ORDER BY user_id DESC LIMIT 5")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    for user in &leaving {
        t.deactivate(*user).await;
    }
    let ranked = leaderboard::rank_all(&t.pool, &[board]).await.unwrap();
    assert_eq!(ranked[0].ranked_users, 395);
    assert!(ranked[0].moved_totals <= 65, "{ranked:?}");
    let both = ranks_both_ways(&t, board).await;
    assert_eq!(both.len(), 395);
    for (user, banded, full) in both {
        assert_eq!(i64::from(banded), full, "user {user}");
    }
    // The bands count exactly the published totals.
    let (bands_total, published): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT sum(users)::int8 FROM leaderboard_bands),
                (SELECT count(*) FROM leaderboard_totals WHERE ranked_steps IS NOT NULL)",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(bands_total, published);
}

/// The board shows the first `limit` walkers the caller may see. It reads a few entries
/// per one shown first, and the whole published top when those hold too few visible
/// ones: seven walkers at the top hidden from boards leave the same board either way.
#[tokio::test]
async fn hidden_walkers_at_the_top_leave_the_first_visible_ones_shown() {
    let t = TestApp::new().await;
    t.app.clock.set("2027-03-10T12:00:00Z".parse().unwrap());
    let today = t.today();
    let mut users = Vec::new();
    for i in 0..10_i64 {
        let user = t.register(&format!("walker{i}@example.com")).await;
        t.walked(user.id, today, 20_000 - 1_000 * i).await;
        users.push(user);
    }
    for hidden in &users[..7] {
        let res = t
            .privacy(
                hidden,
                serde_json::json!({ "leaderboard_visibility": "hidden" }),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
    }
    rank(t.app, ScheduledEvent::default()).await.unwrap();
    let viewer = &users[9];
    // Two shown: the first read (six entries) finds none visible; the whole top is read.
    assert_eq!(
        ranks(&board(&t, viewer, "weekly", 2).await),
        [(8, 13_000), (9, 12_000)]
    );
    // Ten: the first read takes the whole top at once; the three visible are shown.
    assert_eq!(
        ranks(&board(&t, viewer, "weekly", 10).await),
        [(8, 13_000), (9, 12_000), (10, 11_000)]
    );
    // One of the visible: the first read (three entries) finds none; the whole top does.
    assert_eq!(ranks(&board(&t, viewer, "weekly", 1).await), [(8, 13_000)]);
}
