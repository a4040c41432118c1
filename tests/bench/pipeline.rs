//! Step-pipeline throughput: N step records (default 50,000 over 5,000 users: long enough
//! for this machine's noise to average out) through validation and crediting against
//! local Postgres — the same domain calls the two SQS consumers make, in the batches
//! template.yaml gives their event sources (`BENCH_BATCH` overrides, to compare), with
//! two workers (two consumer environments; `BENCH_WORKERS`) — next to pgbench's built-in
//! tpcb-like TPS with as many clients on the same server in the same run. Also counts
//! the SQL statements per record (pg_stat_statements). SQS itself is left out: it is the
//! database work the consumers do that this measures.
//!
//! Run with scripts/bench pipeline.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use fitkart::steps::ValidateRecord;
use fitkart::steps::{crediting, validation};
use fitkart::App;
use sqlx::PgPool;

/// Consumers working at once (and pgbench's clients).
static WORKERS: LazyLock<usize> =
    LazyLock::new(|| fitkart_tests::bench::number("BENCH_WORKERS", 2, 2) as usize);
/// Records per batch: the validation consumer's BatchSize in template.yaml.
static BATCH: LazyLock<usize> = LazyLock::new(|| {
    let template = fitkart_local::template::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"),
    )
    .expect("template.yaml parses");
    let validate = template
        .functions
        .iter()
        .find(|f| f.binary == "steps-validate")
        .and_then(|f| f.queues.first())
        .expect("steps-validate has a queue event source");
    fitkart_tests::bench::number("BENCH_BATCH", validate.batch_size as i64, 20) as usize
});

/// A fresh database with `users` who each walked `days`, every record waiting in the
/// validation queue: the requests the consumers will get, oldest days first.
async fn world(
    users: i64,
    days: i64,
) -> (PgPool, fitkart_tests::db::TestDatabase, Vec<ValidateRecord>) {
    let (pool, db) = fitkart_tests::db::fresh_database().await;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&pool)
        .await
        .unwrap();

    // The world: users with wallets who joined before their first day (days before
    // sign-up earn nothing) and past the new-account probation, and `days` realistic days
    // each, as a sync from a current app leaves them: with a breakdown by source (a watch
    // and the phone) and the fingerprint of its hours the cross-account rule looks up.
    sqlx::query(
        "INSERT INTO users (email, full_name, password_hash, referral_code, created_at)
         SELECT 'bench' || g || '@example.com', 'Bench ' || g, 'x', 'B' || g,
                now() - make_interval(days => $2::int + 30)
         FROM generate_series(1, $1) g",
    )
    .bind(users)
    .bind(days)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO wallets (user_id) SELECT id FROM users")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO step_records (user_id, recorded_date, steps, distance, calories, source, device_id, provenance,
                                   hours_hash)
         SELECT u.id, current_date - d, s.steps, round(s.steps * 0.00075, 3), round(s.steps * 0.04, 2),
                'health_connect', 'device-' || u.id,
                jsonb_build_array(
                    jsonb_build_object('app_id', 'com.garmin.android.apps.connectmobile', 'device_type', 'watch',
                                       'recording_method', 'automatic', 'steps', s.steps * 9 / 10),
                    jsonb_build_object('app_id', 'android', 'device_type', 'phone',
                                       'recording_method', 'automatic', 'steps', s.steps * 6 / 10)),
                hashtextextended(u.id::text || d, 0)
         FROM users u CROSS JOIN generate_series(0, $1::int - 1) d
         -- Referencing both d and u makes the planner draw a number per row, not per day.
         CROSS JOIN LATERAL (SELECT 3000 + (random() * 9000)::int + (d * 0) + (u.created_at IS NULL)::int AS steps) s",
    )
    .bind(days)
    .execute(&pool)
    .await
    .unwrap();
    // The devices' accounts, as the syncs leave them.
    sqlx::query(
        "INSERT INTO device_accounts (device_id, user_id, first_used_at, last_day)
         SELECT device_id, user_id, min(created_at), max(recorded_date) FROM step_records GROUP BY 1, 2",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Each version waits in the validation queue, its message sent, as a sync leaves it.
    sqlx::query(
        "INSERT INTO validation_queue (step_record_id, recorded_date, user_id, version, sent_at)
         SELECT id, recorded_date, user_id, version, now() FROM step_records",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    // Oldest days first, as they would have arrived: each user's baseline grows.
    let requests: Vec<ValidateRecord> = sqlx::query_as::<_, (uuid::Uuid, i32, chrono::NaiveDate)>(
        "SELECT id, version, recorded_date FROM step_records ORDER BY recorded_date, id",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(record_id, version, date)| ValidateRecord {
        record_id,
        version,
        recorded_date: Some(date),
    })
    .collect();
    (pool, db, requests)
}

/// Milliseconds the pool's database spent executing and planning statements.
async fn statement_time(pool: &PgPool) -> (f64, f64) {
    sqlx::query_as(
        "SELECT COALESCE(sum(total_exec_time), 0)::float8, COALESCE(sum(total_plan_time), 0)::float8
         FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT ILIKE '%pg_stat_statements%'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Validates and credits every request with `WORKERS` consumers; the wall time.
async fn run(pool: &PgPool, requests: &[ValidateRecord]) -> Duration {
    let pool = pool.clone();
    let app: &'static App = Box::leak(Box::new(App::with_pool(
        fitkart_tests::test_config(),
        pool.clone(),
    )));
    let settings = Arc::new(app.settings().await.unwrap());

    let batches: Arc<Vec<Vec<ValidateRecord>>> =
        Arc::new(requests.chunks(*BATCH).map(<[_]>::to_vec).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..*WORKERS)
        .map(|_| {
            let (batches, next, settings, pool) = (
                batches.clone(),
                next.clone(),
                settings.clone(),
                pool.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(batch) = batches.get(i) else { return };
                    // steps-validate: one batch.
                    let (_, creditable) =
                        validation::validate(&pool, &settings, batch).await.unwrap();
                    // steps-credit: the same records as one batch (settings cached as in Lambda).
                    let mut tx = pool.begin().await.unwrap();
                    crediting::credit(&mut tx, &settings, &creditable, fitkart_tests::now())
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    started.elapsed()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users = fitkart_tests::bench::number("BENCH_USERS", 5_000, 30);
    let days = fitkart_tests::bench::number("BENCH_DAYS", 10, 2);
    // The baseline for the cost of unnamed statements: a twin world whose statements are
    // named and kept per connection (sqlx's default, which a transaction pooler cannot
    // carry). The two are worked through in alternating quarters, in date order, so that
    // a noisy moment of the machine (or autovacuum after one of them) hits both alike.
    let (named_pool, _named_db, named_requests) = world(users, days).await;
    let (pool, _db, requests) = world(users, days).await;
    let records = requests.len();
    for reset in [
        "SELECT pg_stat_reset()",
        "SELECT pg_stat_statements_reset()",
    ] {
        sqlx::query(reset).execute(&pool).await.unwrap();
    }
    let quarter = records.div_ceil(4).div_ceil(*BATCH) * *BATCH;
    let (mut named_elapsed, mut elapsed) = (Duration::ZERO, Duration::ZERO);
    for start in (0..records).step_by(quarter) {
        let end = (start + quarter).min(records);
        fitkart::db::use_named_statements(true);
        named_elapsed += run(&named_pool, &named_requests[start..end]).await;
        fitkart::db::use_named_statements(false);
        elapsed += run(&pool, &requests[start..end]).await;
    }
    let named_split = statement_time(&named_pool).await;
    let unnamed_split = statement_time(&pool).await;
    named_pool.close().await;

    let (credited, held): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE credited_steps > 0), count(*) FILTER (WHERE status = 'suspicious') FROM step_records",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let statements: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(calls), 0)::int8 FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT ILIKE '%pg_stat_statements%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let heaviest: Vec<(String, f64, f64, i64)> = sqlx::query_as(
        "SELECT regexp_replace(left(query, 60), '\\s+', ' ', 'g'), total_exec_time, total_plan_time, calls FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT ILIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT 12",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let statement_ms: f64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(total_exec_time + total_plan_time), 0)::float8 FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT ILIKE '%pg_stat_statements%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let server: (String, String, String, String) = sqlx::query_as(
        "SELECT current_setting('server_version'), current_setting('shared_buffers'),
                current_setting('fsync'), current_setting('synchronous_commit')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // Table statistics reach the shared counters within a second of a transaction's end.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    // Updates that wrote no index entry (HOT) per table: each other one wrote a new entry
    // into every index of its table.
    let hot: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT CASE WHEN relname LIKE 'step_records_%' THEN 'step_records' ELSE relname::text END,
                sum(n_tup_upd)::int8, sum(n_tup_hot_upd)::int8
         FROM pg_stat_user_tables WHERE n_tup_upd > 0 GROUP BY 1 ORDER BY 2 DESC",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    fitkart_tests::ledger::assert_invariants(&pool).await;

    let pgbench_seconds = fitkart_tests::bench::number("BENCH_PGBENCH_SECONDS", 20, 1);
    let tps = pgbench(pgbench_seconds);
    let per_second = credited as f64 / elapsed.as_secs_f64();
    println!();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let batch_source = if std::env::var("BENCH_BATCH").is_ok() {
        "BENCH_BATCH"
    } else {
        "template.yaml's BatchSize"
    };
    println!(
        "step pipeline benchmark ({users} users x {days} days = {records} records, {} workers, batches of {} ({batch_source}))",
        *WORKERS, *BATCH
    );
    println!(
        "  machine              : {cores} cores; Postgres {} (shared_buffers {}, fsync {}, synchronous_commit {}), client and server on the same cores",
        server.0, server.1, server.2, server.3
    );
    println!("  validated + credited : {records} records in {:.2} s ({credited} credited, {held} held for review)", elapsed.as_secs_f64());
    println!("  throughput           : {per_second:.0} credited records/s");
    println!(
        "  pgbench tpcb-like    : {tps:.0} TPS (pgbench -i -s 10; -c {} -j {} -T {pgbench_seconds} -n, built-in tpcb-like script, same server, same run)",
        *WORKERS, *WORKERS
    );
    println!(
        "  ratio                : {:.2} (goal >= 1.0)",
        per_second / tps
    );
    let unnamed_rate = records as f64 / elapsed.as_secs_f64();
    let named_rate = records as f64 / named_elapsed.as_secs_f64();
    println!(
        "  unnamed statements   : {unnamed_rate:.0} records/s vs {named_rate:.0} named and kept per connection (sqlx's default; a twin world, alternating quarters): ratio {:.2} (goal >= 0.90)",
        unnamed_rate / named_rate
    );
    println!(
        "                         statements executing {:.0} ms + planning {:.0} ms, against {:.0} + {:.0} named (a named statement's plan is reused; an unnamed one is planned at every execution)",
        unnamed_split.0, unnamed_split.1, named_split.0, named_split.1
    );
    println!(
        "  SQL statements       : {statements} ({:.2} per record, BEGIN/COMMIT included)",
        statements as f64 / records as f64
    );
    println!(
        "  time in statements   : {statement_ms:.0} ms over {} connections ({:.0}% of the workers' wall time)",
        *WORKERS,
        100.0 * statement_ms / (*WORKERS as f64 * elapsed.as_secs_f64() * 1000.0)
    );
    let hot: Vec<String> = hot
        .iter()
        .map(|(table, updates, hot)| format!("{table} {hot}/{updates}"))
        .collect();
    println!("  HOT updates          : {}", hot.join(", "));
    println!("  heaviest statements (executing ms, planning ms, calls):");
    for (query, total_ms, plan_ms, calls) in heaviest {
        println!("    {total_ms:>9.0} ms {plan_ms:>7.0} ms {calls:>7}  {query}");
    }
}

/// pgbench's built-in tpcb-like script against its own database on the same server.
fn pgbench(seconds: i64) -> f64 {
    let url = fitkart_tests::db::admin_url();
    let authority = url.split('@').nth(1).unwrap().split('/').next().unwrap();
    let (host, port) = authority.split_once(':').unwrap();
    let bin = std::env::var("PGBENCH").unwrap_or_else(|_| "pgbench".into());
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&bin)
            .args(["-h", host, "-p", port, "-U", "postgres"])
            .args(args)
            .output()
            .expect("pgbench runs (scripts/bench sets PGBENCH)");
        assert!(
            out.status.success(),
            "pgbench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let psql_db = "pgbench_fitkart";
    let create = std::process::Command::new(bin.replace("pgbench", "createdb"))
        .args(["-h", host, "-p", port, "-U", "postgres", psql_db])
        .status();
    assert!(create.is_ok());
    run(&["-i", "-s", "10", "-q", psql_db]);
    let workers = WORKERS.to_string();
    let seconds = seconds.to_string();
    let out = run(&[
        "-c", &workers, "-j", &workers, "-T", &seconds, "-n", psql_db,
    ]);
    out.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .expect("pgbench prints tps")
}
