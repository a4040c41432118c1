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
    Ok(crate::db_query_as!(
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
    Ok(crate::db_query_as!(
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

/// The caller's `user_stats` row: totals, strict streaks, rank and coins.
#[derive(Debug, Serialize)]
pub struct Totals {
    pub total_steps: i64,
    pub days_tracked: i64,
    pub avg_daily_steps: i64,
    pub best_day_steps: i64,
    pub goal_days: i64,
    pub current_streak: i64,
    pub best_streak: i64,
    /// Rank on the newest all-time leaderboard; `null` before the first refresh.
    pub rank: Option<i32>,
    pub achievements_unlocked: i64,
    pub orders_count: i64,
    pub total_coins: i64,
    pub available_coins: i64,
    pub frozen_coins: i64,
    pub lifetime_coins_earned: i64,
    pub lifetime_coins_spent: i64,
}

/// `/v1/me/stats`: the totals, and the streak with its freeze (`streaks`).
#[derive(Debug, Serialize)]
pub struct MyStats {
    #[serde(flatten)]
    pub totals: Totals,
    pub daily_step_goal: i64,
    pub streak: crate::streaks::Streak,
}

pub async fn me(
    conn: &mut PgConnection,
    user_id: uuid::Uuid,
    goal: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<MyStats> {
    let totals = crate::db_query_as!(
        Totals,
        r#"SELECT total_steps AS "total_steps!", days_tracked AS "days_tracked!",
                  avg_daily_steps AS "avg_daily_steps!", best_day_steps AS "best_day_steps!",
                  goal_days AS "goal_days!", current_streak AS "current_streak!", best_streak AS "best_streak!",
                  all_time_rank AS rank, achievements_unlocked AS "achievements_unlocked!",
                  orders_count AS "orders_count!", total_coins AS "total_coins!",
                  available_coins AS "available_coins!", frozen_coins AS "frozen_coins!",
                  lifetime_coins_earned AS "lifetime_coins_earned!", lifetime_coins_spent AS "lifetime_coins_spent!"
           FROM user_stats WHERE id = $1"#,
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(crate::Error::NotFound)?;
    let today = crate::users::local_today(conn, user_id, now).await?;
    let streak = crate::streaks::of(conn, &[(user_id, today)], goal)
        .await?
        .remove(&user_id)
        .unwrap_or_default();
    Ok(MyStats {
        totals,
        daily_step_goal: goal,
        streak,
    })
}
