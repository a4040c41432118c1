//! Aggregates for people: the platform's daily step summary and active-user counts for
//! admins (from the `daily_step_summary` and `active_users` views).

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;

use crate::Result;

#[derive(Debug, Serialize)]
pub struct Day {
    pub date: NaiveDate,
    pub active_users: i64,
    pub total_steps: i64,
    pub avg_steps: i64,
    pub max_steps: i64,
    pub verified_steps: i64,
    pub suspicious_records: i64,
}

/// `daily_step_summary` for `from..=to`, oldest first; days without records are absent.
pub async fn daily(conn: &mut PgConnection, from: NaiveDate, to: NaiveDate) -> Result<Vec<Day>> {
    Ok(sqlx::query_as!(
        Day,
        r#"SELECT recorded_date AS "date!", active_users AS "active_users!", total_steps AS "total_steps!",
                  avg_steps AS "avg_steps!", max_steps AS "max_steps!", verified_steps AS "verified_steps!",
                  suspicious_records AS "suspicious_records!"
           FROM daily_step_summary WHERE recorded_date BETWEEN $1 AND $2 ORDER BY recorded_date"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?)
}

/// Accounts in `active_users` (live, not deactivated), and how many of them synced steps
/// in the last day, week and 30 days.
#[derive(Debug, Serialize)]
pub struct ActiveUsers {
    pub total: i64,
    pub synced_last_day: i64,
    pub synced_last_7_days: i64,
    pub synced_last_30_days: i64,
}

pub async fn active_users(conn: &mut PgConnection) -> Result<ActiveUsers> {
    Ok(sqlx::query_as!(
        ActiveUsers,
        r#"SELECT count(*) AS "total!",
                  count(*) FILTER (WHERE last_synced_at > now() - interval '1 day') AS "synced_last_day!",
                  count(*) FILTER (WHERE last_synced_at > now() - interval '7 days') AS "synced_last_7_days!",
                  count(*) FILTER (WHERE last_synced_at > now() - interval '30 days') AS "synced_last_30_days!"
           FROM active_users"#
    )
    .fetch_one(conn)
    .await?)
}
