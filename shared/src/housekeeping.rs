//! Housekeeping jobs: deleting what nobody needs any more, in bounded batches so no run
//! holds long locks or bloats one transaction; and the weekly database check-up.
//!
//! Why no `VACUUM FULL`: it rewrites a table under an ACCESS EXCLUSIVE lock, which stops
//! every read and write of a live table for the duration. Autovacuum reclaims dead rows
//! without blocking, and `db-maintenance` refreshes statistics and reports bloat so that a
//! person can decide on a one-off `pg_repack` if a table ever needs it.

use std::future::Future;

use serde::Serialize;
use serde_json::json;
use sqlx::PgPool;

use crate::{metrics, Result};

/// Rows deleted per statement.
pub const BATCH: i64 = 5_000;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Cleanup {
    pub refresh_tokens: u64,
    pub login_attempts: u64,
    pub rate_limit_hits: u64,
    pub account_tokens: u64,
    pub idempotency_keys: u64,
    pub job_runs: u64,
    /// Leaderboard entries and per-user totals of boards that started over 400 days ago.
    pub old_board_rows: u64,
    /// Shopify webhooks processed over 90 days ago.
    pub shopify_webhooks: u64,
    /// Notifications finished (sent, muted, expired) over 30 days ago.
    pub notifications: u64,
}

/// Runs `delete` (which deletes at most `batch` rows and says how many) until a run
/// deletes fewer than a batch; returns the total.
async fn in_batches<F, Fut>(batch: i64, mut delete: F) -> Result<u64>
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<u64>>,
{
    let mut total = 0;
    loop {
        let n = delete(batch).await?;
        total += n;
        if n < batch as u64 {
            return Ok(total);
        }
    }
}

/// One compile-checked `DELETE` whose `$1` is the batch size, run by `in_batches`.
macro_rules! delete_in_batches {
    ($pool:expr, $batch:expr, $sql:literal) => {
        in_batches($batch, |limit| async move {
            Ok(sqlx::query!($sql, limit)
                .execute($pool)
                .await?
                .rows_affected())
        })
    };
}

/// Deletes, batch by batch until none is left:
/// - refresh tokens expired more than a day ago (expired tokens are refused anyway; a day
///   of grace keeps reuse detection for clocks that disagree), and tokens revoked more
///   than 30 days ago;
/// - login attempts and rate-limit hits older than a day (no window is longer);
/// - mailed account tokens used or expired more than a day ago;
/// - idempotency keys older than 30 days (a client retries within minutes, not weeks);
/// - job runs older than 90 days;
/// - Shopify webhooks processed more than 90 days ago (Shopify redelivers for 48 hours;
///   the rest is kept to answer questions about an order; unprocessed ones always stay);
/// - notifications finished more than 30 days ago (with their per-device deliveries);
/// - weekly and monthly boards (entries, totals, the published board) that started more
///   than 400 days ago: a year of boards stays (reconciliation checks the last 366 days').
pub async fn cleanup(pool: &PgPool, batch: i64) -> Result<Cleanup> {
    let refresh_tokens = delete_in_batches!(
        pool,
        batch,
        "DELETE FROM refresh_tokens WHERE id IN (
                 SELECT id FROM refresh_tokens
                 WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '30 days'
                 LIMIT $1)"
    )
    .await?;
    let login_attempts = delete_in_batches!(
        pool,
        batch,
        "DELETE FROM login_attempts WHERE id IN (
                 SELECT id FROM login_attempts WHERE attempted_at < now() - interval '1 day' LIMIT $1)"
    )
    .await?;
    let rate_limit_hits = delete_in_batches!(
        pool,
        batch,
        "DELETE FROM rate_limit_hits WHERE id IN (
                 SELECT id FROM rate_limit_hits WHERE hit_at < now() - interval '1 day' LIMIT $1)"
    )
    .await?;
    let account_tokens = delete_in_batches!(
        pool,
        batch,
        "DELETE FROM account_tokens WHERE id IN (
                 SELECT id FROM account_tokens
                 WHERE expires_at < now() - interval '1 day' OR used_at < now() - interval '1 day'
                 LIMIT $1)"
    )
    .await?;
    let idempotency_keys = delete_in_batches!(
        pool,
        batch,
        "DELETE FROM idempotency_keys WHERE (user_id, key) IN (
                 SELECT user_id, key FROM idempotency_keys WHERE created_at < now() - interval '30 days' LIMIT $1)"
    )
    .await?;
    let job_runs =
        sqlx::query!("DELETE FROM job_runs WHERE started_at < now() - interval '90 days'")
            .execute(pool)
            .await?
            .rows_affected();
    let old_entries = delete_in_batches!(
        pool,
        batch,
        "DELETE FROM leaderboard_cache WHERE id IN (
                 SELECT id FROM leaderboard_cache
                 WHERE period <> 'all_time' AND week_starts_at < current_date - 400 LIMIT $1)"
    )
    .await?;
    let old_totals = delete_in_batches!(
        pool,
        batch,
        "DELETE FROM leaderboard_totals WHERE (period, period_start, user_id) IN (
                 SELECT period, period_start, user_id FROM leaderboard_totals
                 WHERE period <> 'all_time' AND period_start < current_date - 400 LIMIT $1)"
    )
    .await?;
    sqlx::query!(
        "DELETE FROM leaderboards WHERE period <> 'all_time' AND period_start < current_date - 400"
    )
    .execute(pool)
    .await?;
    let shopify_webhooks = delete_in_batches!(
        pool,
        batch,
        "DELETE FROM shopify_webhooks WHERE webhook_id IN (
                 SELECT webhook_id FROM shopify_webhooks WHERE processed_at < now() - interval '90 days' LIMIT $1)"
    )
    .await?;
    let notifications = delete_in_batches!(
        pool,
        batch,
        "DELETE FROM notifications WHERE key IN (
                 SELECT key FROM notifications WHERE finished_at < now() - interval '30 days' LIMIT $1)"
    )
    .await?;
    Ok(Cleanup {
        refresh_tokens,
        login_attempts,
        rate_limit_hits,
        account_tokens,
        idempotency_keys,
        job_runs,
        old_board_rows: old_entries + old_totals,
        shopify_webhooks,
        notifications,
    })
}

/// The tables that change all day; their planner statistics matter most.
pub const BUSY_TABLES: &[&str] = &[
    "users",
    "wallets",
    "coin_transactions",
    "step_records",
    "step_validations",
    "orders",
    "order_items",
    "reward_products",
    "refresh_tokens",
    "leaderboard_cache",
    "idempotency_keys",
    "login_attempts",
    "rate_limit_hits",
    "account_tokens",
];

#[derive(Debug, Serialize)]
pub struct TableHealth {
    pub table: String,
    pub live_rows: i64,
    pub dead_rows: i64,
    /// Dead rows as a percentage of all rows: what autovacuum has yet to reclaim.
    pub dead_pct: f64,
    pub total_bytes: i64,
    pub last_autovacuum: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Serialize)]
pub struct UnusedIndex {
    pub index: String,
    pub table: String,
    pub bytes: i64,
}

#[derive(Debug, Serialize)]
pub struct Maintenance {
    /// Monthly partitions of step_records created ahead (see [`PARTITION_DAYS_AHEAD`]).
    pub partitions_created: i32,
    pub analyzed: Vec<String>,
    pub tables: Vec<TableHealth>,
    /// Indexes never scanned since statistics were last reset (unique and primary keys,
    /// which enforce constraints, are left out).
    pub unused_indexes: Vec<UnusedIndex>,
    pub connections: Vec<(String, i64)>,
}

/// How far ahead step_records' monthly partitions exist. The weekly run keeps at least
/// three months ahead (a sync never finds its month missing: there is no default
/// partition to catch it), and a missed run or two changes nothing.
pub const PARTITION_DAYS_AHEAD: i32 = 120;

/// The coming months' partitions of step_records, then `ANALYZE` of the busy tables, then
/// table bloat, unused indexes and connections, logged and emitted as metrics.
pub async fn maintain(pool: &PgPool) -> Result<Maintenance> {
    let partitions_created = sqlx::query_scalar!(
        r#"SELECT step_records_create_partitions(current_date, current_date + $1::int) AS "created!""#,
        PARTITION_DAYS_AHEAD
    )
    .fetch_one(pool)
    .await?;
    let mut analyzed = Vec::new();
    for table in BUSY_TABLES {
        // Table names come from the constant above, never from input.
        sqlx::raw_sql(&format!("ANALYZE {table}"))
            .execute(pool)
            .await?;
        analyzed.push((*table).to_owned());
    }
    let tables = sqlx::query_as!(
        TableHealth,
        r#"SELECT relname::text AS "table!", n_live_tup AS "live_rows!", n_dead_tup AS "dead_rows!",
                  round(100.0 * n_dead_tup / GREATEST(n_live_tup + n_dead_tup, 1), 2)::float8 AS "dead_pct!",
                  pg_total_relation_size(relid) AS "total_bytes!", last_autovacuum
           FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname"#
    )
    .fetch_all(pool)
    .await?;
    let unused_indexes = sqlx::query_as!(
        UnusedIndex,
        r#"SELECT s.indexrelname::text AS "index!", s.relname::text AS "table!",
                  pg_relation_size(s.indexrelid) AS "bytes!"
           FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
           WHERE s.schemaname = 'public' AND s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
           ORDER BY pg_relation_size(s.indexrelid) DESC, s.indexrelname"#
    )
    .fetch_all(pool)
    .await?;
    let connections: Vec<(String, i64)> = sqlx::query!(
        r#"SELECT COALESCE(state, 'unknown') AS "state!", count(*) AS "n!"
           FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1 ORDER BY 1"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.state, r.n))
    .collect();

    for t in &tables {
        metrics::emit(
            &[("Table", &t.table)],
            &[
                ("DeadRowPercent", "Percent", t.dead_pct),
                ("TableBytes", "Bytes", t.total_bytes as f64),
            ],
            json!({"job": "db-maintenance", "live_rows": t.live_rows, "dead_rows": t.dead_rows}),
        );
    }
    metrics::emit(
        &[("Job", "db-maintenance")],
        &[
            ("UnusedIndexes", "Count", unused_indexes.len() as f64),
            (
                "Connections",
                "Count",
                connections.iter().map(|(_, n)| *n as f64).sum(),
            ),
        ],
        json!({"unused_indexes": unused_indexes, "connections": connections}),
    );
    Ok(Maintenance {
        partitions_created,
        analyzed,
        tables,
        unused_indexes,
        connections,
    })
}
