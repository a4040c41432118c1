//! `scripts/bench pooling`: what a transaction pooler costs. `BENCH_CLIENTS` clients
//! (200), each with its own connection as a warm Lambda environment holds one, call
//! `GET /v1/me` and `GET /v1/wallet` in turn through the real handlers in process, for
//! `BENCH_SECONDS` (10) split into alternating rounds: once with every client connected
//! directly to Postgres (a backend each), once through PgBouncer in transaction mode
//! with four backends (`scripts/bench` starts it), as RDS Proxy multiplexes in AWS.
//! It prints requests per second, errors and the most backends Postgres had for each,
//! and the pooled throughput as a ratio of the direct one (goal: 0.8 or better, no
//! error). With `BENCH_TINY=1` (the test command) a few clients for a second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fitkart::App;
use fitkart_tests::{bench, db, Call};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use uuid::Uuid;

/// CPU seconds the PgBouncer process has used so far (`FITKART_BENCH_PGBOUNCER_PID`,
/// set by scripts/bench), if known.
fn pooler_cpu_seconds() -> Option<f64> {
    let pid = std::env::var("FITKART_BENCH_PGBOUNCER_PID").ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).ok()?;
    // utime and stime, fields 14 and 15, after the parenthesised command name.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// What one way of connecting did over its rounds.
#[derive(Default)]
struct Tally {
    requests: u64,
    errors: u64,
    seconds: f64,
    peak_backends: i64,
}

impl Tally {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Backends Postgres has for one way of connecting (its clients' `application_name`,
/// which PgBouncer passes on to the backend serving them).
async fn backends(own: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = $1",
    )
    .bind(name)
    .fetch_one(own)
    .await
    .unwrap()
}

/// Every client calls the two routes in turn until `duration` has passed.
async fn round(
    (name, app): (&str, &'static App),
    tokens: &Arc<Vec<String>>,
    duration: Duration,
    own: &PgPool,
    tally: &mut Tally,
) {
    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let clients: Vec<_> = (0..tokens.len())
        .map(|i| {
            let (tokens, requests, errors) = (tokens.clone(), requests.clone(), errors.clone());
            tokio::spawn(async move {
                let mut turn = i;
                while Instant::now() < deadline {
                    let token = &tokens[i];
                    let res = if turn % 2 == 0 {
                        Call::new(app, fitkart_functions::me::get, "GET", "/v1/me")
                            .bearer(token)
                            .send()
                            .await
                    } else {
                        Call::new(app, fitkart_functions::wallet::get, "GET", "/v1/wallet")
                            .bearer(token)
                            .send()
                            .await
                    };
                    if res.status == 200 {
                        requests.fetch_add(1, Ordering::Relaxed);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("{}: {}", res.status, res.body);
                    }
                    turn += 1;
                }
            })
        })
        .collect();
    while Instant::now() < deadline {
        tally.peak_backends = tally.peak_backends.max(backends(own, name).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for client in clients {
        client.await.unwrap();
    }
    tally.seconds += started.elapsed().as_secs_f64();
    tally.requests += requests.load(Ordering::Relaxed);
    tally.errors += errors.load(Ordering::Relaxed);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let clients = bench::number("BENCH_CLIENTS", 200, 12) as u32;
    let seconds = bench::number("BENCH_SECONDS", 10, 1) as u64;
    if db::pooler_url().is_none() {
        eprintln!("FITKART_TEST_POOLER_URL is required (scripts/bench pooling starts PgBouncer)");
        std::process::exit(2);
    }
    let (own, database) = db::fresh_database_with(PgPoolOptions::new().max_connections(2)).await;
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO users (email, full_name, password_hash)
         SELECT 'client' || g || '@example.com', 'Client ' || g, 'x' FROM generate_series(1, $1) g
         RETURNING id",
    )
    .bind(clients as i64)
    .fetch_all(&own)
    .await
    .unwrap();
    sqlx::query("INSERT INTO wallets (user_id) SELECT id FROM users")
        .execute(&own)
        .await
        .unwrap();

    let connect = |url: String, name: &'static str| async move {
        let options = fitkart::db::startup(url.parse().unwrap()).application_name(name);
        fitkart::db::checked_after_idle(PgPoolOptions::new().max_connections(clients))
            .connect_with(options)
            .await
            .unwrap()
    };
    let direct_app: &'static App = Box::leak(Box::new(App::with_pool(
        fitkart_tests::test_config(),
        connect(database.url(), "bench-direct").await,
    )));
    let pooled_app: &'static App = Box::leak(Box::new(App::with_pool(
        fitkart_tests::test_config(),
        connect(database.app_url(), "bench-pooled").await,
    )));
    let mut tokens = Vec::new();
    for id in &ids {
        let mut tx = own.begin().await.unwrap();
        let session = fitkart::sessions::start(direct_app, &mut tx, *id, &["pwd"])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        tokens.push(session.tokens.access_token);
    }
    let tokens = Arc::new(tokens);
    let direct = ("bench-direct", direct_app);
    let pooled = ("bench-pooled", pooled_app);

    // Every client's connection opened before anything is timed (a warm environment's
    // is), then rounds alternate so that a noisy moment of the machine hits both alike.
    let mut warm = Tally::default();
    round(direct, &tokens, Duration::from_millis(300), &own, &mut warm).await;
    round(pooled, &tokens, Duration::from_millis(300), &own, &mut warm).await;
    let (mut through_direct, mut through_pooler) = (Tally::default(), Tally::default());
    let half = Duration::from_millis(seconds * 1000 / 4);
    let mut pooler_cpu = 0.0;
    for _ in 0..2 {
        round(direct, &tokens, half, &own, &mut through_direct).await;
        let before = pooler_cpu_seconds();
        round(pooled, &tokens, half, &own, &mut through_pooler).await;
        if let (Some(before), Some(after)) = (before, pooler_cpu_seconds()) {
            pooler_cpu += after - before;
        }
    }

    println!();
    println!(
        "pooling benchmark ({clients} clients, a connection each; GET /v1/me and GET /v1/wallet in turn through the handlers; {seconds} s in four alternating rounds)"
    );
    for (name, tally) in [
        ("direct", &through_direct),
        ("through PgBouncer (transaction mode)", &through_pooler),
    ] {
        println!(
            "  {name:<38}: {:>7.0} requests/s, {} errors, at most {} backends",
            tally.per_second(),
            tally.errors,
            tally.peak_backends
        );
    }
    println!(
        "  ratio                                 : {:.2} (goal >= 0.80, no errors)",
        through_pooler.per_second() / through_direct.per_second()
    );
    if pooler_cpu > 0.0 {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        println!(
            "  PgBouncer's own CPU                   : {pooler_cpu:.1} s in {:.1} s of pooled rounds, {:.0}% of this machine's {cores} cores (it shares them with the clients and Postgres here; RDS Proxy runs on hosts of its own)",
            through_pooler.seconds,
            100.0 * pooler_cpu / (through_pooler.seconds * cores as f64)
        );
    }
    if warm.errors + through_direct.errors + through_pooler.errors > 0 {
        eprintln!("requests failed");
        std::process::exit(1);
    }
}
