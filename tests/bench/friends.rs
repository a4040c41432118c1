//! `scripts/bench friends`: the friend board at scale. `BENCH_WALKERS` walkers (100,000),
//! each with 200 friends (10 million friendships) and a week of per-day totals, then in
//! one run, warm, through the real handlers in process on one pooled connection:
//!
//! - `GET /v1/health` (a `SELECT 1`): the floor a route cannot go below;
//! - a bare query over the same rows (the caller's friends' week totals, nothing else:
//!   one key lookup each in the weekly totals crediting moves);
//! - `GET /v1/boards/friends?period=week` for walkers picked at random.
//!
//! It prints each p50 and p99 and the board's p50 as a ratio of the health route's
//! (goal: within 3x). `BENCH_SAMPLES` requests each (300). With `BENCH_TINY=1` (the test
//! command) a thousand walkers and a few samples: the numbers are not judged.

use std::time::{Duration, Instant};

use chrono::Days;
use fitkart::App;
use fitkart_tests::{bench, Call};
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use uuid::Uuid;

const FRIENDS_EACH: i64 = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn populate(pool: &PgPool, walkers: i64) {
    let started = Instant::now();
    sqlx::query(
        "CREATE TABLE bench_walkers AS
         SELECT n, gen_random_uuid() AS id FROM generate_series(1, $1) n",
    )
    .bind(walkers)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO users (id, email, full_name, password_hash, timezone)
         SELECT id, 'walker' || n || '@bench.example', 'Walker Number' || n, 'x', 'UTC' FROM bench_walkers",
    )
    .execute(pool)
    .await
    .unwrap();
    // Each walker befriends the next 100 (wrapping around): 200 friends each.
    sqlx::query(
        "INSERT INTO friendships (user_a, user_b)
         SELECT LEAST(a.id, b.id), GREATEST(a.id, b.id)
         FROM bench_walkers a, generate_series(1, $2 / 2) k, bench_walkers b
         WHERE b.n = (a.n + k - 1) % $1 + 1",
    )
    .bind(walkers)
    .bind(FRIENDS_EACH)
    .execute(pool)
    .await
    .unwrap();
    let today = fitkart_tests::now().date_naive();
    sqlx::query(
        "INSERT INTO daily_totals (user_id, day, steps)
         SELECT id, $1::date - d, 3000 + (n * 7919 + d * 104729) % 9000 FROM bench_walkers, generate_series(0, 6) d",
    )
    .bind(today)
    .execute(pool)
    .await
    .unwrap();
    // This week's totals, as crediting moves them beside the day totals.
    sqlx::query(
        "INSERT INTO leaderboard_totals (period, period_start, user_id, total_steps, capped_steps)
         SELECT 'weekly', date_trunc('week', day)::date, user_id, sum(steps), sum(LEAST(steps, 30000))
         FROM daily_totals GROUP BY 2, 3",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    println!(
        "{walkers} walkers, {} friendships, {} day totals in {:.0} s",
        walkers * FRIENDS_EACH / 2,
        walkers * 7,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let walkers = bench::number("BENCH_WALKERS", 100_000, 1_000);
    let samples = bench::number("BENCH_SAMPLES", 300, 10) as usize;
    let (pool, _db) = fitkart_tests::db::fresh_database_with(
        sqlx::postgres::PgPoolOptions::new().max_connections(1),
    )
    .await;
    populate(&pool, walkers).await;
    let app: &'static App = Box::leak(Box::new(App::with_pool(
        fitkart_tests::test_config(),
        pool.clone(),
    )));
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM bench_walkers ORDER BY n")
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut tokens = Vec::new();
    for _ in 0..samples.min(50) {
        let user = ids[rng.random_range(0..ids.len())];
        let mut tx = pool.begin().await.unwrap();
        let session = fitkart::sessions::start(app, &mut tx, user, &["pwd"])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        tokens.push(session.tokens.access_token);
    }
    let monday = {
        use chrono::Datelike;
        let today = fitkart_tests::now().date_naive();
        today - Days::new(today.weekday().num_days_from_monday() as u64)
    };

    let mut health = Vec::new();
    let mut bare = Vec::new();
    let mut board = Vec::new();
    // Interleaved, so a noisy moment of the machine hits all three alike.
    for i in 0..samples + 5 {
        let token = &tokens[i % tokens.len()];
        let me = ids[rng.random_range(0..ids.len())];

        let at = Instant::now();
        let res = Call::new(app, fitkart_functions::health::check, "GET", "/v1/health")
            .send()
            .await;
        let took = at.elapsed();
        assert_eq!(res.status, 200);
        if i >= 5 {
            health.push(took);
        }

        let at = Instant::now();
        let rows: Vec<(Uuid, i64)> = sqlx::query_as(
            "SELECT t.user_id, t.total_steps FROM leaderboard_totals t
             WHERE t.user_id IN (SELECT user_b FROM friendships WHERE user_a = $1
                                 UNION ALL SELECT user_a FROM friendships WHERE user_b = $1
                                 UNION ALL SELECT $1)
               AND t.period = 'weekly' AND t.period_start = $2",
        )
        .bind(me)
        .bind(monday)
        .fetch_all(&pool)
        .await
        .unwrap();
        let took = at.elapsed();
        assert!(!rows.is_empty());
        if i >= 5 {
            bare.push(took);
        }

        let at = Instant::now();
        let res = Call::new(
            app,
            fitkart_functions::social::friend_board,
            "GET",
            "/v1/boards/friends",
        )
        .bearer(token)
        .query("period", "week")
        .send()
        .await;
        let took = at.elapsed();
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(
            res.body["items"].as_array().unwrap().len() as i64,
            FRIENDS_EACH.min(walkers - 1) + 1
        );
        if i >= 5 {
            board.push(took);
        }
    }
    for list in [&mut health, &mut bare, &mut board] {
        list.sort();
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!();
    println!("friend board at {walkers} walkers x {FRIENDS_EACH} friends, {samples} requests each, warm, one pooled connection:");
    println!(
        "{:<44} {:>9} {:>9} {:>10}",
        "", "p50 ms", "p99 ms", "p50 ratio"
    );
    for (label, list) in [
        ("GET /v1/health (SELECT 1)", &health),
        ("bare query: friends' week totals", &bare),
        ("GET /v1/boards/friends?period=week", &board),
    ] {
        println!(
            "{label:<44} {:>9.2} {:>9.2} {:>9.2}x",
            ms(percentile(list, 0.5)),
            ms(percentile(list, 0.99)),
            ms(percentile(list, 0.5)) / ms(percentile(&health, 0.5))
        );
    }
    println!("goal: the board's p50 within 3x the health route's");
}
