//! step_records partitioned by month, measured at the largest size this machine generates
//! in a few minutes (default 60,000 users x 90 days of records, each with a validation,
//! and ten ledger rows per user; BENCH_USERS / BENCH_DAYS), then projected to a billion
//! records:
//! - sizes: each month's heap and indexes, bytes per record; the ledger's, per row;
//! - the plans of the statements the code runs (read from .sqlx, as compiled), each with
//!   how many of the table's partitions it read;
//! - VACUUM of a month with a tenth of its rows updated, next to a sequential scan of
//!   the same month in the same run (ratio);
//! - retiring a month: deleting its validations (through its records' keys), DETACH
//!   PARTITION CONCURRENTLY, DROP.
//!
//! Run with scripts/bench partitions.

use std::time::Instant;

use chrono::{Datelike, Days, Months, NaiveDate};
use sqlx::PgPool;
use uuid::Uuid;

/// A statement as the code runs it: the query text compiled into .sqlx that contains
/// `snippet` (exactly one must).
fn statement(snippet: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.sqlx");
    let found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .map(|json| {
            serde_json::from_str::<serde_json::Value>(&json).unwrap()["query"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .filter(|q| q.contains(snippet))
        .collect();
    assert_eq!(found.len(), 1, "statements containing {snippet:?}");
    found.into_iter().next().unwrap()
}

fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

fn gb(bytes: f64) -> String {
    format!("{:.1} GB", bytes / 1e9)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users = fitkart_tests::bench::number("BENCH_USERS", 60_000, 100);
    let days = fitkart_tests::bench::number("BENCH_DAYS", 90, 40);
    let (pool, _db) = fitkart_tests::db::fresh_database().await;
    let today = fitkart_tests::now().date_naive();

    let started = Instant::now();
    sqlx::query(
        "INSERT INTO users (email, full_name, password_hash)
         SELECT 'bench' || g || '@example.com', 'Bench ' || g, 'x' FROM generate_series(1, $1) g",
    )
    .bind(users)
    .execute(&pool)
    .await
    .unwrap();
    // Day by day, oldest first, as syncs arrive; one validation per record.
    for d in (0..days).rev() {
        sqlx::query(
            "WITH day AS (
                 INSERT INTO step_records (user_id, recorded_date, steps, source, status, is_verified,
                                           verified_steps, credited_steps, coins_credited, device_id,
                                           hourly_steps, validated_version, created_at, updated_at)
                 SELECT u.id, current_date - $1::int, s.steps, 'health_connect', 'verified', true, s.steps,
                        s.steps, s.steps / 100, 'device-' || u.id,
                        array_fill((s.steps / 24)::int, ARRAY[24]), 1,
                        now() - make_interval(days => $1::int), now() - make_interval(days => $1::int)
                 FROM users u
                 CROSS JOIN LATERAL (SELECT 2000 + (random() * 10000)::int8 + (u.created_at IS NULL)::int AS steps) s
                 RETURNING id, user_id, recorded_date, steps
             )
             INSERT INTO step_validations (user_id, step_record_id, recorded_date, record_version, reported_steps,
                                           anomaly_score, status, reviewed_at)
             SELECT user_id, id, recorded_date, 1, steps, 5, 'approved', now() FROM day",
        )
        .bind(d as i32)
        .execute(&pool)
        .await
        .unwrap();
    }
    // Ten ledger rows per user, for the ledger's sizes.
    sqlx::query(
        "INSERT INTO coin_transactions (user_id, amount, transaction_type, reference_type, reference_id, description,
                                        balance_before, balance_after, user_seq, coins_per_step, created_at)
         SELECT u.id, 70, 'earned', 'step_record', gen_random_uuid(), '7000 steps on 2026-11-01 at 0.01 coins per step',
                70 * (n - 1), 70 * n, n, 0.01, now() - make_interval(days => 10 - n::int)
         FROM users u CROSS JOIN generate_series(1, 10) n",
    )
    .execute(&pool)
    .await
    .unwrap();
    for table in ["step_records", "step_validations", "coin_transactions"] {
        sqlx::raw_sql(&format!("VACUUM ANALYZE {table}"))
            .execute(&pool)
            .await
            .unwrap();
    }
    let records: i64 = sqlx::query_scalar("SELECT count(*) FROM step_records")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "generated {users} users x {days} days = {records} step records and validations, {} ledger rows, in {:.0?}",
        users * 10,
        started.elapsed()
    );

    let per_record = sizes(&pool, records).await;
    provenance_cost(&pool).await;
    plans(&pool, today).await;
    let vacuum = vacuum_a_month(&pool, today).await;
    let retire = retire_a_month(&pool, today).await;
    project(&per_record, vacuum, retire);
}

/// What a day's breakdown by source costs: the generated records as an app without a
/// breakdown syncs them, against the same records with one source (a phone) and with two
/// (a watch and a phone, as synced: `step_records.provenance`), their hours' hash and its
/// index; bytes per record and the year of a million walkers.
async fn provenance_cost(pool: &PgPool) {
    let variants = [
        ("no breakdown (an older app)", "NULL::jsonb"),
        (
            "one source (the phone)",
            r#"jsonb_build_array(jsonb_build_object('app_id', 'com.apple.health.3A1F0C2E-5B7D-4C11-9E0A-1D2B3C4D5E6F',
                 'device_type', 'phone', 'recording_method', 'automatic', 'steps', steps))"#,
        ),
        (
            "two sources (a watch and the phone)",
            r#"jsonb_build_array(
                 jsonb_build_object('app_id', 'com.garmin.android.apps.connectmobile', 'device_type', 'watch',
                                    'recording_method', 'automatic', 'steps', steps * 9 / 10),
                 jsonb_build_object('app_id', 'android', 'device_type', 'phone',
                                    'recording_method', 'automatic', 'steps', steps * 6 / 10))"#,
        ),
    ];
    println!(
        "
provenance per step record (the newest month's records, copied three ways):"
    );
    let mut base = 0.0;
    for (i, (label, provenance)) in variants.iter().enumerate() {
        let hash = if i == 0 {
            "NULL::int8"
        } else {
            // Each record's own fingerprint (the generated hours repeat; people's do not).
            "hashtextextended(id::text || hourly_steps::text, 0)"
        };
        sqlx::raw_sql(&format!(
            "DROP TABLE IF EXISTS provenance_probe;
             CREATE TABLE provenance_probe (LIKE step_records INCLUDING DEFAULTS);
             INSERT INTO provenance_probe
             SELECT (r).* FROM (
                 SELECT jsonb_populate_record(r, jsonb_build_object('provenance', {provenance},
                                                                     'hours_hash', {hash})) AS r
                 FROM step_records r
                 WHERE recorded_date >= (SELECT max(recorded_date) - 29 FROM step_records)
             ) x;
             CREATE INDEX ON provenance_probe (recorded_date, hours_hash) WHERE hours_hash IS NOT NULL;"
        ))
        .execute(pool)
        .await
        .unwrap();
        // Its own statement: VACUUM cannot run in the implicit transaction of a batch.
        sqlx::raw_sql("VACUUM ANALYZE provenance_probe")
            .execute(pool)
            .await
            .unwrap();
        let (rows, heap, index): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM provenance_probe), pg_relation_size('provenance_probe'),
                    COALESCE((SELECT sum(pg_relation_size(indexrelid))::int8 FROM pg_index
                              WHERE indrelid = 'provenance_probe'::regclass), 0)",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        let per = (heap + index) as f64 / rows.max(1) as f64;
        if i == 0 {
            base = per;
        }
        println!(
            "    {label:<40} heap {:>6.1} + hours index {:>5.1} = {per:>6.1} B/record ({:+.1}); a year of 1M walkers: {}",
            heap as f64 / rows.max(1) as f64,
            index as f64 / rows.max(1) as f64,
            per - base,
            gb(per * 365e6)
        );
    }
    sqlx::raw_sql("DROP TABLE provenance_probe")
        .execute(pool)
        .await
        .unwrap();
}

/// Bytes per record of each part of step_records (all months) and step_validations, and
/// per row of the ledger, printed with one month's figures.
async fn sizes(pool: &PgPool, records: i64) -> Vec<(String, f64)> {
    let parts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT name, bytes::int8 FROM (
             SELECT 'step_records heap' AS name, sum(pg_relation_size(relid)) AS bytes, 0 AS o
             FROM pg_partition_tree('step_records') WHERE isleaf
             UNION ALL
             SELECT 'index ' || regexp_replace(pi.relname, '^step_records_\\d{4}_\\d{2}_|^step_records_history_', ''),
                    sum(pg_relation_size(pi.oid)), 1
             FROM pg_partition_tree('step_records') t
             JOIN pg_index i ON i.indrelid = t.relid JOIN pg_class pi ON pi.oid = i.indexrelid
             WHERE t.isleaf AND t.relid <> 'step_records_history'::regclass GROUP BY 1
             UNION ALL
             SELECT 'step_validations heap', pg_relation_size('step_validations'), 2
             UNION ALL
             SELECT 'index ' || c.relname, pg_relation_size(c.oid), 3
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = 'step_validations'::regclass
         ) p ORDER BY o, name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    println!("\nsizes per step record ({records} records):");
    let per_record: Vec<(String, f64)> = parts
        .into_iter()
        .map(|(name, bytes)| (name, bytes as f64 / records as f64))
        .collect();
    for (name, per) in &per_record {
        println!("    {name:<58} {per:>6.1} B/record");
    }
    let ledger: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT c.relname::text, pg_relation_size(c.oid), (SELECT count(*) FROM coin_transactions)
         FROM pg_class c
         WHERE c.oid = 'coin_transactions'::regclass
            OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'coin_transactions'::regclass)
         ORDER BY c.relkind DESC, c.relname",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    println!("ledger (coin_transactions), per row:");
    for (name, bytes, rows) in &ledger {
        println!("    {name:<58} {:>6.1} B/row", *bytes as f64 / *rows as f64);
    }
    let total: f64 = ledger.iter().map(|(_, b, r)| *b as f64 / *r as f64).sum();
    println!(
        "    at a billion ledger rows (about 1M daily walkers for 3 years): {}",
        gb(total * 1e9)
    );
    per_record
}

/// A statement of the code, as an `EXPLAIN` to bind and run.
type Explain<'q> =
    sqlx::query::QueryScalar<'q, sqlx::Postgres, String, sqlx::postgres::PgArguments>;

/// The plan of the code's statement containing `snippet` (from `.sqlx/`), run with the
/// values `bind` gives it.
async fn plan(
    tx: &mut sqlx::PgConnection,
    snippet: &str,
    bind: impl for<'q> FnOnce(Explain<'q>) -> Explain<'q>,
) -> Vec<String> {
    let sql = format!(
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {}",
        statement(snippet)
    );
    bind(sqlx::query_scalar(&sql)).fetch_all(tx).await.unwrap()
}

/// The plans of the statements the code runs against step_records.
async fn plans(pool: &PgPool, today: NaiveDate) {
    let partitions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_partition_tree('step_records') WHERE isleaf")
            .fetch_one(pool)
            .await
            .unwrap();
    let sample: Vec<(Uuid, Uuid, NaiveDate)> = sqlx::query_as(
        "SELECT id, user_id, recorded_date FROM step_records WHERE recorded_date = $1 LIMIT 100",
    )
    .bind(today)
    .fetch_all(pool)
    .await
    .unwrap();
    let ids: Vec<Uuid> = sample.iter().map(|s| s.0).collect();
    let users: Vec<Uuid> = sample.iter().map(|s| s.1).collect();
    let dates: Vec<NaiveDate> = sample.iter().map(|s| s.2).collect();
    println!("\nplans ({partitions} partitions: the history and one per month):");

    let mut tx = pool.begin().await.unwrap();
    let show = |name: &str, lines: Vec<String>| {
        let read: std::collections::BTreeSet<String> = lines
            .iter()
            .filter(|l| !l.contains("never executed"))
            .flat_map(|l| {
                l.split_whitespace()
                    .filter(|w| w.starts_with("step_records_"))
                    .map(|w| w.trim_end_matches(',').to_owned())
                    .collect::<Vec<_>>()
            })
            .filter(|w| w == "step_records_history" || w.len() == "step_records_2026_11".len())
            .collect();
        println!("  {name}: reads {} of {partitions} partitions", read.len());
        for line in lines {
            // Long literal arrays (a batch's ids) say nothing about the plan.
            let line: String = line.chars().take(150).collect();
            println!("      {line}");
        }
    };
    show(
        "GET /v1/steps (a month of the caller's days)",
        plan(
            &mut tx,
            "FROM step_records WHERE user_id = $1 AND recorded_date BETWEEN $2 AND $3",
            |q| q.bind(users[0]).bind(today - Days::new(30)).bind(today),
        )
        .await,
    );
    show(
        "steps-validate: the batch's records",
        plan(
            &mut tx,
            "WHERE r.id = ANY($1) AND r.recorded_date = ANY($2)",
            |q| q.bind(ids.clone()).bind(dates.clone()),
        )
        .await,
    );
    show(
        "steps-validate: each user's 30-day baseline",
        plan(&mut tx, "ORDER BY s.recorded_date DESC LIMIT 30", |q| {
            q.bind(users.clone())
                .bind(dates.clone())
                .bind(today)
                .bind(today)
                .bind(vec![true; users.len()])
                .bind(fitkart::steps::anticheat::WRITER_DAYS as i64)
        })
        .await,
    );
    show(
        "steps-credit: the batch's records, locked",
        plan(
            &mut tx,
            "recorded_date = ANY($2) ORDER BY id FOR UPDATE",
            |q| q.bind(ids.clone()).bind(dates.clone()),
        )
        .await,
    );
    let mut sorted_users = users.clone();
    sorted_users.sort();
    // Achievements read each credited day, and a walker's whole window only for a day at
    // the goal (or for an evaluation that is not a crediting: an order shipped).
    let no_steps = vec![0_i64; sorted_users.len()];
    let credited_days: Vec<NaiveDate> = sorted_users.iter().map(|_| today).collect();
    for (name, whole_window) in [
        ("steps-credit: achievements of the credited days", false),
        ("achievements over a whole 120-day window", true),
    ] {
        show(
            name,
            plan(
                &mut tx,
                "r.recorded_date BETWEEN current_date - $2::int AND current_date + 1",
                |q| {
                    q.bind(sorted_users.clone())
                        .bind(fitkart::achievements::WINDOW_DAYS)
                        .bind(no_steps.clone())
                        .bind(whole_window)
                        .bind(sorted_users.clone())
                        .bind(credited_days.clone())
                        .bind(fitkart::settings::Settings::defaults().daily_step_goal)
                },
            )
            .await,
        );
    }
    // The sweeper reads validation_queue; a stale row's record is probed in its own month.
    sqlx::query(
        "INSERT INTO validation_queue (step_record_id, recorded_date, user_id, version, queued_at, sent_at)
         SELECT id, recorded_date, user_id, version, now() - interval '2 hours', now() - interval '2 hours'
         FROM step_records WHERE id = ANY($1) AND recorded_date = ANY($2)",
    )
    .bind(&ids)
    .bind(&dates)
    .execute(&mut *tx)
    .await
    .unwrap();
    show(
        "steps-requeue: stale queue rows whose version is validated",
        plan(
            &mut tx,
            "AND r.version = q.version AND r.validated_version IS DISTINCT FROM r.version",
            |q| q,
        )
        .await,
    );
    show(
        "admin daily stats (a month)",
        plan(
            &mut tx,
            "FROM daily_step_summary WHERE recorded_date BETWEEN $1 AND $2",
            |q| q.bind(today - Days::new(30)).bind(today),
        )
        .await,
    );
    show(
        "GET /v1/steps/{id} (the id names no month: a key probe per partition)",
        plan(
            &mut tx,
            "updated_at\n           FROM step_records WHERE id = $1 AND user_id = $2",
            |q| q.bind(ids[0]).bind(users[0]),
        )
        .await,
    );
    show(
        "GET /v1/me/stats (lifetime figures: every month by definition)",
        plan(&mut tx, "FROM user_stats WHERE id = $1", |q| {
            q.bind(users[0])
        })
        .await,
    );
    tx.rollback().await.unwrap();
}

fn month_partition(day: NaiveDate) -> (String, NaiveDate) {
    let start = day.with_day(1).unwrap();
    (format!("step_records_{}", start.format("%Y_%m")), start)
}

/// VACUUM of last month's partition with a tenth of its rows updated, next to a
/// sequential scan of it. Returns seconds of vacuum per million records.
async fn vacuum_a_month(pool: &PgPool, today: NaiveDate) -> f64 {
    let (partition, _) = month_partition(today.with_day(1).unwrap() - Days::new(1));
    let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {partition}"))
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query(&format!(
        "UPDATE {partition} SET updated_at = now(), review_note = 'touched' WHERE random() < 0.1"
    ))
    .execute(pool)
    .await
    .unwrap();
    let t = Instant::now();
    sqlx::query(&format!("SELECT count(*) FROM {partition}"))
        .execute(pool)
        .await
        .unwrap();
    let scan = t.elapsed();
    let t = Instant::now();
    sqlx::raw_sql(&format!("VACUUM {partition}"))
        .execute(pool)
        .await
        .unwrap();
    let vacuum = t.elapsed();
    println!(
        "\nVACUUM of {partition} ({rows} records, a tenth updated): {vacuum:.2?}, {:.1}x a sequential scan of it ({scan:.2?})",
        vacuum.as_secs_f64() / scan.as_secs_f64()
    );
    vacuum.as_secs_f64() / (rows as f64 / 1e6)
}

/// Retires the oldest whole month: its validations deleted, the partition detached
/// concurrently (the foreign key is checked against what is left), then dropped.
/// Returns seconds per million records for (deleting validations, detach, drop).
async fn retire_a_month(pool: &PgPool, today: NaiveDate) -> (f64, f64, f64) {
    let (partition, start) = month_partition(today.with_day(1).unwrap() - Months::new(2));
    let end = start + Months::new(1);
    let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {partition}"))
        .fetch_one(pool)
        .await
        .unwrap();
    // Through the month's own records, so the work follows the month, not the table.
    let t = Instant::now();
    sqlx::query(&format!(
        "DELETE FROM step_validations v USING {partition} r
         WHERE v.step_record_id = r.id AND v.recorded_date = r.recorded_date
           AND r.recorded_date >= $1 AND r.recorded_date < $2"
    ))
    .bind(start)
    .bind(end)
    .execute(pool)
    .await
    .unwrap();
    let delete = t.elapsed();
    let t = Instant::now();
    sqlx::raw_sql(&format!(
        "ALTER TABLE step_records DETACH PARTITION {partition} CONCURRENTLY"
    ))
    .execute(pool)
    .await
    .unwrap();
    let detach = t.elapsed();
    let t = Instant::now();
    sqlx::raw_sql(&format!("DROP TABLE {partition}"))
        .execute(pool)
        .await
        .unwrap();
    let drop = t.elapsed();
    println!(
        "retiring {partition} ({rows} records): its validations deleted {delete:.2?}, \
         DETACH PARTITION CONCURRENTLY {detach:.2?}, DROP {drop:.2?}"
    );
    let per_m = |d: std::time::Duration| d.as_secs_f64() / (rows as f64 / 1e6);
    (per_m(delete), per_m(detach), per_m(drop))
}

/// The measured figures at a billion records: 1M daily walkers make 30.4M a month.
fn project(per_record: &[(String, f64)], vacuum_s_per_m: f64, retire: (f64, f64, f64)) {
    const MONTH: f64 = 30.4e6;
    println!("\nprojected to a billion step records (1M daily walkers, 33 months):");
    println!("    {:<58} {:>12} {:>12}", "", "one month", "1B records");
    for (name, per) in per_record {
        println!(
            "    {name:<58} {:>12} {:>12}",
            mb(per * MONTH),
            gb(per * 1e9)
        );
    }
    let month_total: f64 = per_record.iter().map(|(_, p)| p * MONTH).sum();
    println!(
        "    {:<58} {:>12} {:>12}",
        "total",
        gb(month_total),
        gb(month_total / MONTH * 1e9)
    );
    println!(
        "    VACUUM of one month's partition (a tenth of it dead): about {:.0} s; of an unpartitioned billion-row table: about {:.0} min",
        vacuum_s_per_m * MONTH / 1e6,
        vacuum_s_per_m * 1e3 / 60.0
    );
    println!(
        "    retiring a month: its validations {:.0} s, detach {:.0} s (neither blocks the service), drop {:.1} s",
        retire.0 * MONTH / 1e6,
        retire.1 * MONTH / 1e6,
        retire.2 * MONTH / 1e6
    );
}
