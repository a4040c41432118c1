//! Housekeeping jobs: deleting what nobody needs any more, in bounded batches so no run
//! holds long locks or bloats one transaction; and the weekly database check-up.
//!
//! Why no `VACUUM FULL`: it rewrites a table under an ACCESS EXCLUSIVE lock, which stops
//! every read and write of a live table for the duration. Autovacuum reclaims dead rows
//! without blocking, and `ops-maintain` refreshes statistics and reports bloat so that a
//! person can decide on a one-off `pg_repack` if a table ever needs it.

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
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
    /// Invite codes that expired or were revoked over a week ago.
    pub invite_codes: u64,
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

/// Asks each area to delete what it no longer needs, batch by batch until none is left
/// (each table's owner knows how long its rows matter):
/// - refresh tokens (`sessions`), login attempts and rate-limit hits (`ratelimit`),
///   mailed tokens (`accounts::tokens`), stored responses (`idempotency`), job runs
///   (`jobs`), old boards (`leaderboard`), processed Shopify webhooks
///   (`shopify::webhooks`) and finished notifications (`notifications`).
pub async fn cleanup(pool: &PgPool, now: DateTime<Utc>, batch: i64) -> Result<Cleanup> {
    Ok(Cleanup {
        refresh_tokens: in_batches(batch, |n| crate::sessions::delete_old(pool, now, n)).await?,
        login_attempts: in_batches(batch, |n| {
            crate::ratelimit::delete_old_attempts(pool, now, n)
        })
        .await?,
        rate_limit_hits: in_batches(batch, |n| crate::ratelimit::delete_old_hits(pool, now, n))
            .await?,
        account_tokens: in_batches(batch, |n| crate::accounts::tokens::delete_old(pool, now, n))
            .await?,
        idempotency_keys: in_batches(batch, |n| crate::idempotency::delete_old(pool, now, n))
            .await?,
        job_runs: crate::jobs::delete_old_runs(pool, now).await?,
        old_board_rows: in_batches(batch, |n| crate::leaderboard::delete_old(pool, now, n)).await?,
        shopify_webhooks: in_batches(batch, |n| {
            crate::shopify::webhooks::delete_old(pool, now, n)
        })
        .await?,
        notifications: in_batches(batch, |n| crate::notifications::delete_old(pool, now, n))
            .await?,
        invite_codes: in_batches(batch, |n| crate::social::codes::delete_old(pool, now, n)).await?,
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
    "rate_limit_windows",
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
/// table bloat, unused indexes and connections, logged and emitted as metrics. `today`
/// is the run's date (UTC): months are counted from it.
pub async fn maintain(pool: &PgPool, today: NaiveDate) -> Result<Maintenance> {
    let partitions_created = crate::db_query_scalar!(
        r#"SELECT step_records_create_partitions($1::date, $1::date + $2::int) AS "created!""#,
        today,
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
    let tables = crate::db_query_as!(
        TableHealth,
        r#"SELECT relname::text AS "table!", n_live_tup AS "live_rows!", n_dead_tup AS "dead_rows!",
                  round(100.0 * n_dead_tup / GREATEST(n_live_tup + n_dead_tup, 1), 2)::float8 AS "dead_pct!",
                  pg_total_relation_size(relid) AS "total_bytes!", last_autovacuum
           FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname"#
    )
    .fetch_all(pool)
    .await?;
    let unused_indexes = crate::db_query_as!(
        UnusedIndex,
        r#"SELECT s.indexrelname::text AS "index!", s.relname::text AS "table!",
                  pg_relation_size(s.indexrelid) AS "bytes!"
           FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
           WHERE s.schemaname = 'public' AND s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
           ORDER BY pg_relation_size(s.indexrelid) DESC, s.indexrelname"#
    )
    .fetch_all(pool)
    .await?;
    let connections: Vec<(String, i64)> = crate::db_query!(
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
            json!({"job": "ops-maintain", "live_rows": t.live_rows, "dead_rows": t.dead_rows}),
        );
    }
    metrics::emit(
        &[("Job", "ops-maintain")],
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
