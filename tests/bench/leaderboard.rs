//! Leaderboard refresh over a generated history (default 100,000 users x 90 days of
//! verified step records, BENCH_USERS / BENCH_DAYS to change), next to the bare
//! `SELECT user_id, sum(steps) ... GROUP BY user_id` over the same rows in the same run,
//! as a ratio (goal: at most 2.0). Alternates the two, three rounds, and reports medians.
//! Also prints the plans of the weekly and monthly aggregations, to show the BRIN index
//! on recorded_date narrowing the scan to the period's pages.
//!
//! Run with scripts/bench leaderboard.

use std::time::{Duration, Instant};

use chrono::Utc;
use fitkart::leaderboard;

fn env_number(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users = env_number("BENCH_USERS", 100_000);
    let days = env_number("BENCH_DAYS", 90);
    let (pool, _) = fitkart_tests::db::fresh_database().await;

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
         CROSS JOIN LATERAL (SELECT 2000 + (random() * 10000)::int + (d * 0) AS steps) s
         ORDER BY d DESC",
    )
    .bind(days)
    .execute(&pool)
    .await
    .unwrap();
    // The running totals crediting keeps.
    sqlx::query(
        "UPDATE users u SET total_steps = t.total
         FROM (SELECT user_id, sum(credited_steps) AS total FROM step_records GROUP BY user_id) t
         WHERE u.id = t.user_id",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE step_records")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("VACUUM ANALYZE users")
        .execute(&pool)
        .await
        .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM step_records")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "generated {users} users x {days} days = {rows} step records in {:.1?}",
        started.elapsed()
    );

    let boards = leaderboard::boards_for(Utc::now());
    let mut baseline = Vec::new();
    let mut refresh = Vec::new();
    for round in 1..=3 {
        let t = Instant::now();
        let grouped: Vec<(uuid::Uuid, i64)> =
            sqlx::query_as("SELECT user_id, sum(steps)::int8 FROM step_records GROUP BY user_id")
                .fetch_all(&pool)
                .await
                .unwrap();
        baseline.push(t.elapsed());
        assert_eq!(grouped.len() as i64, users);

        let t = Instant::now();
        let refreshed = leaderboard::refresh_all(&pool, &boards).await.unwrap();
        refresh.push(t.elapsed());
        let ranked: u64 = refreshed.iter().map(|b| b.ranked_users).sum();
        println!(
            "round {round}: GROUP BY {:.2?}, refresh of {} boards ({ranked} ranked rows) {:.2?}",
            baseline[round - 1],
            refreshed.len(),
            refresh[round - 1]
        );
    }
    let (baseline, refresh) = (median(baseline), median(refresh));
    println!(
        "median: bare GROUP BY {baseline:.2?}, leaderboard refresh {refresh:.2?}; ratio {:.2} (goal <= 2.0)",
        refresh.as_secs_f64() / baseline.as_secs_f64()
    );

    let today = Utc::now().date_naive();
    for period in [leaderboard::Period::Weekly, leaderboard::Period::Monthly] {
        let start = period.start(today);
        let plan: Vec<String> = sqlx::query_scalar(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT r.user_id, sum(r.verified_steps) FROM step_records r
             WHERE r.recorded_date >= $1 AND r.recorded_date < $2 AND r.verified_steps > 0 GROUP BY r.user_id",
        )
        .bind(start)
        .bind(period.end(start))
        .fetch_all(&pool)
        .await
        .unwrap();
        println!("plan of the {} aggregation:", period.as_str());
        for line in plan {
            println!("    {line}");
        }
    }
}
