//! The leaderboard ranking job over a generated history (default 100,000 users x 90 days
//! of credited step records, BENCH_USERS / BENCH_DAYS to change), next to the bare
//! `SELECT user_id, sum(steps) ... GROUP BY user_id` over the same rows in the same run,
//! as a ratio (goal: at most 0.5). Two cases of the job, three rounds each, medians:
//! - first ranking: every entry of every board is new (a new period's first run, or the
//!   migration's first);
//! - steady: five minutes of crediting (1% of the walkers credit a day, through the same
//!   `count_credited` the crediting runs) between runs, the job's everyday case.
//!
//! Also prints the tables' sizes and the monthly board's band count.
//!
//! Run with scripts/bench leaderboard.

use std::time::{Duration, Instant};

use fitkart::leaderboard;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users = fitkart_tests::bench::number("BENCH_USERS", 100_000, 200);
    let days = fitkart_tests::bench::number("BENCH_DAYS", 90, 3);
    let (pool, _db) = fitkart_tests::db::fresh_database().await;

    let started = Instant::now();
    sqlx::query(
        "INSERT INTO users (email, full_name, password_hash)
         SELECT 'bench' || g || '@example.com', 'Bench ' || g, 'x' FROM generate_series(1, $1) g",
    )
    .bind(users)
    .execute(&pool)
    .await
    .unwrap();
    // Day by day, oldest first, as syncs arrive: the table's physical order follows the
    // dates, which is what the BRIN index relies on.
    sqlx::query(
        "INSERT INTO step_records (user_id, recorded_date, steps, source, status, is_verified, verified_steps,
                                   credited_steps)
         SELECT u.id, current_date - d, s.steps, 'health_connect', 'verified', true, s.steps, s.steps
         FROM generate_series($1::int - 1, 0, -1) d
         CROSS JOIN users u
         -- Referencing both d and u makes the planner draw a number per row, not per day.
         CROSS JOIN LATERAL (SELECT 2000 + (random() * 10000)::int + (d * 0) + (u.created_at IS NULL)::int AS steps) s
         ORDER BY d DESC",
    )
    .bind(days)
    .execute(&pool)
    .await
    .unwrap();
    // The running totals crediting keeps: the users' and every board's (as the migration
    // backfills them, from the same view reconciliation checks against).
    sqlx::query(
        "UPDATE users u SET total_steps = t.total
         FROM (SELECT user_id, sum(credited_steps) AS total FROM step_records GROUP BY user_id) t
         WHERE u.id = t.user_id",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO leaderboard_totals (period, period_start, user_id, total_steps)
         SELECT * FROM leaderboard_totals_expected",
    )
    .execute(&pool)
    .await
    .unwrap();
    for table in ["step_records", "users", "leaderboard_totals"] {
        sqlx::query(&format!("VACUUM ANALYZE {table}"))
            .execute(&pool)
            .await
            .unwrap();
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM step_records")
        .fetch_one(&pool)
        .await
        .unwrap();
    let totals: i64 = sqlx::query_scalar("SELECT count(*) FROM leaderboard_totals")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "generated {users} users x {days} days = {rows} step records ({totals} board totals) in {:.1?}",
        started.elapsed()
    );

    let boards = leaderboard::boards_for(fitkart_tests::now());
    let today = fitkart_tests::now().date_naive();
    let (mut baseline, mut first, mut steady) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=3 {
        let t = Instant::now();
        let grouped: Vec<(uuid::Uuid, i64)> =
            sqlx::query_as("SELECT user_id, sum(steps)::int8 FROM step_records GROUP BY user_id")
                .fetch_all(&pool)
                .await
                .unwrap();
        baseline.push(t.elapsed());
        assert_eq!(grouped.len() as i64, users);

        // First ranking: nothing published yet, every total moved (not timed: emptying
        // the boards, as the migration leaves them).
        sqlx::query("UPDATE leaderboard_totals SET ranked_steps = NULL, moved = true")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("TRUNCATE leaderboard_cache, leaderboards, leaderboard_bands")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("VACUUM ANALYZE leaderboard_totals")
            .execute(&pool)
            .await
            .unwrap();
        let t = Instant::now();
        let ranked = leaderboard::rank_all(&pool, &boards).await.unwrap();
        first.push(t.elapsed());
        let entries: i64 = ranked.iter().map(|b| b.ranked_users).sum();

        // Five minutes of crediting: 1% of the walkers credit today's steps.
        let mut tx = pool.begin().await.unwrap();
        let walkers: Vec<uuid::Uuid> =
            sqlx::query_scalar("SELECT id FROM users ORDER BY random() LIMIT $1")
                .bind((users / 100).max(1))
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        let credited: Vec<_> = walkers.iter().map(|w| (*w, today, 1_500)).collect();
        leaderboard::count_credited(&mut tx, &credited)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let t = Instant::now();
        let ranked = leaderboard::rank_all(&pool, &boards).await.unwrap();
        steady.push(t.elapsed());
        let moved: i64 = ranked.iter().map(|b| b.moved_totals).sum();
        println!(
            "round {round}: GROUP BY {:.2?}; first ranking of {} boards ({entries} entries) {:.2?}; \
             after {} walkers credited: {:.2?} ({moved} totals published)",
            baseline[round - 1],
            ranked.len(),
            first[round - 1],
            walkers.len(),
            steady[round - 1],
        );
    }
    let (baseline, first, steady) = (median(baseline), median(first), median(steady));
    let ratio = |d: Duration| d.as_secs_f64() / baseline.as_secs_f64();
    println!(
        "median: bare GROUP BY {baseline:.2?}; first ranking {first:.2?}, ratio {:.2}; \
         steady ranking {steady:.2?}, ratio {:.2} (goal <= 0.5)",
        ratio(first),
        ratio(steady)
    );

    // Where a steady run's time goes, statement by statement (its own plans would need
    // the statements to run twice).
    let start = leaderboard::Period::Monthly.start(today);
    let sizes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t::text, COALESCE((SELECT sum(pg_total_relation_size(relid))::int8 FROM pg_partition_tree(t)),
                                  pg_total_relation_size(t))
         FROM unnest('{step_records,leaderboard_totals,leaderboard_bands,leaderboard_cache}'::regclass[]) t",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    println!("sizes: {sizes:?}");

    let (bands, widest): (i64, i64) = sqlx::query_as(
        "SELECT count(*), COALESCE(max(users), 0)::int8 FROM leaderboard_bands
         WHERE period = 'monthly' AND period_start = $1",
    )
    .bind(start)
    .fetch_one(&pool)
    .await
    .unwrap();
    println!(
        "the monthly board has {bands} bands, the fullest holding {widest} users: a rank reads at most that many index entries"
    );
}
