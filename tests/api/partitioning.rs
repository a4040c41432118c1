//! step_records partitioned by month: a database of the previous release moves over with
//! its history, keys and views intact, both straight through the migrations (a small
//! database) and after the online preparation a large one runs first; and the pipeline's
//! statements read only the months they need.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, Months, NaiveDate};
use fitkart::jobs::ScheduledEvent;
use fitkart_tests::{db, TestApp};
use serde_json::json;
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use uuid::Uuid;

/// The first migration of the move to partitions.
const PARTITIONING: &str = "20261126000005";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// Applies the migrations older than `version`: the schema of the release before it.
async fn migrate_before(pool: &PgPool, version: &str) {
    let dir = std::env::temp_dir().join(format!("fitkart-migrations-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo("migrations")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < version {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    Migrator::new(dir.as_path())
        .await
        .unwrap()
        .run(pool)
        .await
        .unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

/// Runs a psql script as psql runs it: each statement on its own, outside a transaction
/// block (CREATE INDEX CONCURRENTLY needs that), with `:'name'` variables substituted.
async fn run_psql_script(pool: &PgPool, path: &str, vars: &[(&str, &str)]) {
    let mut script = std::fs::read_to_string(repo(path)).unwrap();
    for (name, value) in vars {
        script = script.replace(&format!(":'{name}'"), &format!("'{value}'"));
    }
    let mut statement = String::new();
    let mut in_body = false;
    for line in script.lines() {
        if statement.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with("--")) {
            continue;
        }
        statement.push_str(line);
        statement.push('\n');
        if line.matches("$$").count() % 2 == 1 {
            in_body = !in_body;
        }
        if !in_body && line.trim_end().ends_with(';') {
            sqlx::raw_sql(&statement)
                .execute(pool)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}\n{statement}"));
            statement.clear();
        }
    }
    assert!(statement.trim().is_empty(), "unterminated: {statement}");
}

/// A history as the previous release left it: 30 walkers, a day every nine days for 14
/// months (some on devices), each verified and credited, with its validation; wallets,
/// user totals and board totals that reconcile.
async fn seed_history(pool: &PgPool) {
    sqlx::raw_sql(
        "INSERT INTO users (email, full_name, password_hash)
         SELECT 'h' || g || '@example.com', 'History ' || g, 'x' FROM generate_series(1, 30) g;
         INSERT INTO wallets (user_id) SELECT id FROM users;
         INSERT INTO step_records (user_id, recorded_date, steps, source, status, is_verified, verified_steps,
                                   credited_steps, device_id, created_at)
         SELECT u.id, current_date - d, 4000 + d, 'health_kit', 'verified', true, 4000 + d, 4000 + d,
                CASE WHEN d % 2 = 0 THEN 'device-' || (d % 3) END, now() - make_interval(days => d)
         FROM users u CROSS JOIN generate_series(0, 420, 9) d;
         INSERT INTO step_validations (user_id, step_record_id, record_version, reported_steps, anomaly_score, status)
         SELECT user_id, id, 1, steps, 5, 'approved' FROM step_records;
         UPDATE users u SET total_steps = t.total
         FROM (SELECT user_id, sum(credited_steps) AS total FROM step_records GROUP BY user_id) t
         WHERE u.id = t.user_id;
         INSERT INTO leaderboard_totals (period, period_start, user_id, total_steps)
         SELECT period, period_start, user_id, total_steps FROM leaderboard_totals_expected;
         -- One day re-synced a minute ago and sent, waiting for its validation.
         UPDATE step_records SET status = 'pending', version = 2, enqueued_at = now() - interval '1 minute'
         WHERE recorded_date = current_date
           AND user_id = (SELECT id FROM users ORDER BY email LIMIT 1);",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Every record's key and numbers, and every validation's record, in one string.
async fn fingerprint(pool: &PgPool) -> (i64, String, String) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM step_records),
                (SELECT md5(string_agg(id::text || recorded_date || steps || credited_steps || COALESCE(device_id, ''),
                                       ',' ORDER BY id)) FROM step_records),
                (SELECT md5(string_agg(step_record_id::text, ',' ORDER BY id)) FROM step_validations)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

fn first_of_month_after_next(today: NaiveDate) -> NaiveDate {
    today.with_day(1).unwrap() + Months::new(2)
}

/// What must hold after the move, whichever way it was made.
async fn assert_moved_over(pool: &PgPool, before: &(i64, String, String), bound: NaiveDate) {
    assert_eq!(
        &fingerprint(pool).await,
        before,
        "every row and reference kept"
    );
    // The whole old table is the history partition, bounded where monthly ones begin.
    let (history_rows, history_bound): (i64, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM ONLY step_records_history),
                pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'step_records_history'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(history_rows, before.0);
    assert!(
        history_bound.contains(&format!("TO ('{bound}')")),
        "{history_bound}"
    );
    // A day past the bound lands in its month.
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users ORDER BY email LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let partition: String = sqlx::query_scalar(
        "INSERT INTO step_records (user_id, recorded_date, steps, source) VALUES ($1, $2, 100, 'manual')
         RETURNING tableoid::regclass::text",
    )
    .bind(user)
    .bind(bound)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(partition, format!("step_records_{}", bound.format("%Y_%m")));
    // One record per user and day, across partitions.
    let duplicate = sqlx::query(
        "INSERT INTO step_records (user_id, recorded_date, steps, source) VALUES ($1, $2, 5, 'manual')",
    )
    .bind(user)
    .bind(bound)
    .execute(pool)
    .await
    .unwrap_err();
    assert_eq!(
        duplicate.as_database_error().unwrap().code().as_deref(),
        Some("23505")
    );
    // A validation must name its record's real day; the key is validated.
    let record: (Uuid, NaiveDate) =
        sqlx::query_as("SELECT id, recorded_date FROM step_records_history LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    let misdated = sqlx::query(
        "INSERT INTO step_validations (user_id, step_record_id, recorded_date, record_version, reported_steps,
                                       anomaly_score)
         VALUES ($1, $2, $3, 9, 1, 0)",
    )
    .bind(user)
    .bind(record.0)
    .bind(record.1 + Days::new(1))
    .execute(pool)
    .await
    .unwrap_err();
    assert_eq!(
        misdated.as_database_error().unwrap().code().as_deref(),
        Some("23503")
    );
    let validated: bool = sqlx::query_scalar(
        "SELECT convalidated FROM pg_constraint WHERE conname = 'step_validations_step_record_id_fkey'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(validated);
    // The previous release's writers, which do not name the day, still work.
    let filled: NaiveDate = sqlx::query_scalar(
        "INSERT INTO step_validations (user_id, step_record_id, record_version, reported_steps, anomaly_score)
         VALUES ($1, $2, 9, 1, 0) RETURNING recorded_date",
    )
    .bind(user)
    .bind(record.0)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(filled, record.1);
    // The record waiting for validation waits in the queue, sent; every device's accounts
    // of the last 400 days are known to the device rule, first use and last day included.
    let waiting: Vec<(Uuid, i32, bool)> = sqlx::query_as(
        "SELECT q.step_record_id, q.version, q.sent_at IS NOT NULL FROM validation_queue q",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let pending: (Uuid, i32) =
        sqlx::query_as("SELECT id, version FROM step_records WHERE status = 'pending'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(waiting, vec![(pending.0, pending.1, true)]);
    let devices_missing: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (
             SELECT device_id, user_id, min(created_at), max(recorded_date) FROM step_records
             WHERE device_id IS NOT NULL AND recorded_date >= current_date - 400 GROUP BY 1, 2
             EXCEPT SELECT device_id, user_id, first_used_at, last_day FROM device_accounts
         ) m",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let device_accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM device_accounts")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(devices_missing, 0);
    assert_eq!(device_accounts, 30, "30 walkers sharing one device");
    // The views read the partitioned table, not the history they were renamed with.
    let summarized: i64 =
        sqlx::query_scalar("SELECT active_users FROM daily_step_summary WHERE recorded_date = $1")
            .bind(bound)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(summarized, 1);
    let mut conn = pool.begin().await.unwrap();
    let drifts = fitkart::reconcile::run(&mut conn).await.unwrap();
    assert!(
        drifts.iter().all(|d| d.check == "leaderboard_totals"),
        "{drifts:?}"
    );
}

#[tokio::test]
async fn a_small_database_moves_to_monthly_partitions_in_the_migration_itself() {
    let (pool, _db) = db::empty_database().await;
    migrate_before(&pool, PARTITIONING).await;
    seed_history(&pool).await;
    let before = fingerprint(&pool).await;

    fitkart::db::MIGRATOR.run(&pool).await.unwrap();

    // The history ends a month past both today and its newest day.
    let today = fitkart_tests::now().date_naive();
    let bound = (today + Days::new(2)).with_day(1).unwrap() + Months::new(1);
    assert_moved_over(&pool, &before, bound).await;
}

#[tokio::test]
async fn a_large_database_prepares_online_and_the_migration_then_only_changes_the_catalog() {
    let (pool, _db) = db::empty_database().await;
    migrate_before(&pool, PARTITIONING).await;
    seed_history(&pool).await;
    let before = fingerprint(&pool).await;

    // docs/operations.md, "Moving an existing database to partitions": the first migration
    // by hand, then the online preparation with the bound chosen by the operator.
    let bound = first_of_month_after_next(fitkart_tests::now().date_naive());
    run_psql_script(
        &pool,
        "migrations/20261126000005_step_validations_recorded_date.sql",
        &[],
    )
    .await;
    run_psql_script(
        &pool,
        "scripts/online/partition-step-records.sql",
        &[("bound", &bound.to_string())],
    )
    .await;
    // Run twice: an interrupted preparation is simply run again.
    run_psql_script(
        &pool,
        "scripts/online/partition-step-records.sql",
        &[("bound", &bound.to_string())],
    )
    .await;
    let prepared_key: i64 = sqlx::query_scalar(
        "SELECT 'step_records_history_id_recorded_date_key'::regclass::oid::int8",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    fitkart::db::MIGRATOR.run(&pool).await.unwrap();

    assert_moved_over(&pool, &before, bound).await;
    // The index built online became the history's primary key: adopted, not rebuilt.
    let key: i64 = sqlx::query_scalar("SELECT 'step_records_history_pkey'::regclass::oid::int8")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(key, prepared_key);
}

/// Scans of each step_records partition so far (sequential and index), by name. A
/// session reports its statistics when idle for up to ten seconds; each of the app's
/// connections (the only sessions that ran the code) is asked to report now
/// (`pg_stat_force_next_flush`, done as it goes idle, so before its next statement).
async fn scans(t: &TestApp) -> std::collections::BTreeMap<String, i64> {
    let mut held = Vec::new();
    for _ in 0..t.pool.size() {
        let mut conn = t.pool.acquire().await.unwrap();
        sqlx::query("SELECT pg_stat_force_next_flush()")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("SELECT 1").execute(&mut *conn).await.unwrap();
        held.push(conn);
    }
    drop(held);
    let pool = db::connect(t.database.name()).await;
    // A fresh session reads a fresh snapshot of the statistics.
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT relname::text, (COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0))::int8
         FROM pg_stat_user_tables WHERE relname LIKE 'step\\_records\\_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.into_iter().collect()
}

#[tokio::test]
async fn syncing_validating_and_crediting_a_day_reads_only_the_months_it_needs() {
    // The functions connect directly: the test reads their sessions' statistics.
    let (config, pipeline) = fitkart_tests::Pipeline::create().await;
    let t = TestApp::direct(config).await;
    let walker = t.verified("months@example.com").await;
    t.joined_days_ago(walker.id, 400).await;
    let today = fitkart_tests::now().date_naive();
    // History in the history partition, seven months back, and last week.
    for ago in [390, 210, 200, 8, 7, 6] {
        t.walked(walker.id, today - Days::new(ago), 6_000).await;
    }
    let before = scans(&t).await;

    let synced = t
        .sync(
            &walker,
            json!({"entries": [{"date": today, "steps": 7_000, "source": "health_connect",
                                  "distance_km": 5.2, "calories": 280.0}]}),
        )
        .await;
    assert_eq!(synced.status, 202, "{}", synced.body);
    pipeline.run(t.app).await;
    fitkart_functions::leaderboard::rank(t.app, ScheduledEvent::default())
        .await
        .unwrap();
    let after = scans(&t).await;

    let read: Vec<&String> = after
        .iter()
        .filter(|(name, n)| before.get(*name) != Some(n))
        .map(|(name, _)| name)
        .collect();
    // The months of the days from 120 before today (the baseline and achievement
    // windows) to six after it (the high-days rule's week around the day).
    let needed: Vec<String> = (0..=126)
        .map(|d| today - Days::new(120) + Days::new(d))
        .map(|day| format!("step_records_{}", day.format("%Y_%m")))
        .collect();
    let needed = |name: &str| needed.iter().any(|n| n == name);
    assert!(!read.is_empty(), "the day's month was read");
    assert!(
        read.iter().all(|name| needed(name)),
        "read beyond the months needed: {read:?}"
    );
}
