//! Leaderboards: ranked verified steps per period (weekly from Monday, monthly, all time;
//! calendar periods in UTC), precomputed nightly into `leaderboard_cache` and read with
//! the caller's own rank.
//!
//! A refresh rebuilds each board with one set-based statement (a window function ranks
//! every user at once; ties share a rank: 1, 2, 2, 4) inside a transaction that first
//! deletes the board's old rows. Weeks and months add up their days' verified steps; the
//! all-time board ranks `users.total_steps`, the running total of credited verified steps.
//! Readers run one statement per request and see the board of the last commit, whole:
//! never an empty or half-built board.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{Error, Result};

crate::text_enum! {
    /// A leaderboard's period.
    pub enum Period { Weekly = "weekly", Monthly = "monthly", AllTime = "all_time" }
}

/// `week_starts_at` of the all-time board (the column holds every board's period start).
pub const ALL_TIME_START: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");

impl Period {
    /// The first day of the period containing `day` (weeks start on Monday).
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Period::Weekly => day - Days::new(day.weekday().num_days_from_monday() as u64),
            Period::Monthly => day.with_day(1).expect("day 1 exists"),
            Period::AllTime => ALL_TIME_START,
        }
    }

    /// The first day after the period starting at `start`.
    pub fn end(self, start: NaiveDate) -> NaiveDate {
        match self {
            Period::Weekly => start + Days::new(7),
            Period::Monthly => start
                .checked_add_months(chrono::Months::new(1))
                .expect("in range"),
            Period::AllTime => NaiveDate::MAX,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RefreshedBoard {
    pub period: Period,
    pub period_start: NaiveDate,
    pub ranked_users: u64,
}

/// The boards a run at `at` rebuilds: each period containing `at`'s UTC day, and the one
/// containing the day before when that is a different period, so that a week's or a
/// month's final day is counted into its final board.
pub fn boards_for(at: DateTime<Utc>) -> Vec<(Period, NaiveDate)> {
    let today = at.date_naive();
    let yesterday = today - Days::new(1);
    let mut boards = Vec::new();
    for &period in Period::ALL {
        for day in [yesterday, today] {
            let start = period.start(day);
            if !boards.contains(&(period, start)) {
                boards.push((period, start));
            }
        }
    }
    boards
}

/// Rebuilds every board, each in its own transaction (a reader sees each board whole),
/// two at a time: Postgres never runs an `INSERT … SELECT` in parallel, so the job's two
/// pooled connections do what a parallel query's two workers would. The costliest boards
/// (months, then weeks) start first.
pub async fn refresh_all(
    pool: &PgPool,
    boards: &[(Period, NaiveDate)],
) -> Result<Vec<RefreshedBoard>> {
    let mut ordered = boards.to_vec();
    ordered.sort_by_key(|(period, _)| match period {
        Period::Monthly => 0,
        Period::Weekly => 1,
        Period::AllTime => 2,
    });
    let boards: Vec<Vec<RefreshedBoard>> = stream::iter(ordered)
        .map(|board| async move {
            let mut tx = pool.begin().await?;
            let refreshed = refresh(&mut tx, &[board]).await?;
            tx.commit().await?;
            Ok::<_, Error>(refreshed)
        })
        .buffer_unordered(2)
        .try_collect()
        .await?;
    Ok(boards.into_iter().flatten().collect())
}

/// Rebuilds the given boards in the caller's transaction.
pub async fn refresh(
    conn: &mut PgConnection,
    boards: &[(Period, NaiveDate)],
) -> Result<Vec<RefreshedBoard>> {
    // A month of days for 100k users aggregates in memory instead of spilling to disk.
    // Transaction-local (set_config's `true`), so nothing outlives this transaction on a
    // connection the proxy multiplexes.
    sqlx::query!("SELECT set_config('work_mem', '64MB', true) AS work_mem")
        .fetch_one(&mut *conn)
        .await?;
    let mut refreshed = Vec::new();
    for &(period, start) in boards {
        sqlx::query!(
            "DELETE FROM leaderboard_cache WHERE period = $1 AND week_starts_at = $2",
            period.as_str(),
            start
        )
        .execute(&mut *conn)
        .await?;
        let ranked = match period {
            // All time: the users' running totals of credited verified steps (kept by
            // crediting, checked by wallet-reconcile), instead of re-adding every day ever.
            Period::AllTime => sqlx::query!(
                r#"INSERT INTO leaderboard_cache (user_id, rank, total_steps, week_starts_at, period, last_updated)
                   SELECT id, rank() OVER (ORDER BY total_steps DESC), total_steps, $1, $2, now()
                   FROM users WHERE total_steps > 0 AND is_active AND deleted_at IS NULL"#,
                start,
                period.as_str()
            )
            .execute(&mut *conn)
            .await?,
            // A week or a month: its days only (the BRIN index on recorded_date narrows the
            // scan to the pages of those days).
            Period::Weekly | Period::Monthly => sqlx::query!(
                r#"INSERT INTO leaderboard_cache (user_id, rank, total_steps, week_starts_at, period, last_updated)
                   SELECT user_id, rank() OVER (ORDER BY total DESC), total, $1, $3, now()
                   FROM (
                       SELECT r.user_id, sum(r.verified_steps)::int8 AS total
                       FROM step_records r
                       WHERE r.recorded_date >= $1 AND r.recorded_date < $2 AND r.verified_steps > 0
                       GROUP BY r.user_id
                   ) totals
                   JOIN users u ON u.id = totals.user_id
                   WHERE u.is_active AND u.deleted_at IS NULL"#,
                start,
                period.end(start),
                period.as_str()
            )
            .execute(&mut *conn)
            .await?,
        }
        .rows_affected();
        refreshed.push(RefreshedBoard {
            period,
            period_start: start,
            ranked_users: ranked,
        });
    }
    Ok(refreshed)
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub rank: i32,
    pub user_id: Uuid,
    pub full_name: String,
    pub total_steps: i64,
}

#[derive(Debug, Serialize)]
pub struct MyRank {
    pub rank: i32,
    pub total_steps: i64,
}

#[derive(Debug, Serialize)]
pub struct Board {
    pub period: Period,
    pub period_start: Option<NaiveDate>,
    pub last_updated: Option<DateTime<Utc>>,
    pub items: Vec<Entry>,
    pub me: Option<MyRank>,
}

/// The newest board of `period`: the top `limit` entries (ties ordered by user id) and the
/// caller's own rank, read in one statement. Before the first refresh of a new week or
/// month this is the previous period's final board, as `period_start` says.
pub async fn read(conn: &mut PgConnection, period: Period, me: Uuid, limit: i64) -> Result<Board> {
    let rows = sqlx::query!(
        r#"WITH board AS (
               SELECT max(week_starts_at) AS start FROM leaderboard_cache WHERE period = $1
           ), entries AS (
               SELECT lc.rank, lc.user_id, u.full_name, lc.total_steps, lc.last_updated, lc.week_starts_at
               FROM board
               JOIN leaderboard_cache lc ON lc.period = $1 AND lc.week_starts_at = board.start
               JOIN users u ON u.id = lc.user_id AND u.is_active AND u.deleted_at IS NULL
           )
           (SELECT false AS "is_me!", rank AS "rank!", user_id AS "user_id!", full_name AS "full_name!",
                   total_steps AS "total_steps!", last_updated AS "last_updated!", week_starts_at AS "week_starts_at!"
            FROM entries ORDER BY rank, user_id LIMIT $3)
           UNION ALL
           (SELECT true, rank, user_id, full_name, total_steps, last_updated, week_starts_at
            FROM entries WHERE user_id = $2)"#,
        period.as_str(),
        me,
        limit
    )
    .fetch_all(conn)
    .await?;
    let mut board = Board {
        period,
        period_start: rows.first().map(|r| r.week_starts_at),
        last_updated: rows.iter().map(|r| r.last_updated).max(),
        items: Vec::new(),
        me: None,
    };
    for r in rows {
        if r.is_me {
            board.me = Some(MyRank {
                rank: r.rank,
                total_steps: r.total_steps,
            });
        } else {
            board.items.push(Entry {
                rank: r.rank,
                user_id: r.user_id,
                full_name: r.full_name,
                total_steps: r.total_steps,
            });
        }
    }
    Ok(board)
}

pub fn parse_limit(raw: Option<&str>) -> Result<i64> {
    match raw {
        None => Ok(10),
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(Error::invalid("limit", "must be an integer from 1 to 100")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_start_on_monday_and_the_first_of_the_month() {
        // 2026-11-29 is a Sunday, 2026-11-30 a Monday.
        assert_eq!(Period::Weekly.start(day("2026-11-29")), day("2026-11-23"));
        assert_eq!(Period::Weekly.start(day("2026-11-30")), day("2026-11-30"));
        assert_eq!(Period::Monthly.start(day("2026-11-30")), day("2026-11-01"));
        assert_eq!(Period::Monthly.end(day("2026-12-01")), day("2027-01-01"));
        assert_eq!(Period::AllTime.start(day("2026-11-30")), ALL_TIME_START);
    }

    #[test]
    fn a_monday_run_also_finishes_last_weeks_board() {
        let monday: DateTime<Utc> = "2026-11-30T00:15:00Z".parse().unwrap();
        let boards = boards_for(monday);
        assert!(boards.contains(&(Period::Weekly, day("2026-11-23"))));
        assert!(boards.contains(&(Period::Weekly, day("2026-11-30"))));
        assert!(boards.contains(&(Period::Monthly, day("2026-11-01"))));
        assert_eq!(boards.len(), 4);
        let tuesday: DateTime<Utc> = "2026-12-01T00:15:00Z".parse().unwrap();
        assert_eq!(boards_for(tuesday).len(), 4);
        let wednesday: DateTime<Utc> = "2026-12-02T00:15:00Z".parse().unwrap();
        assert_eq!(boards_for(wednesday).len(), 3);
    }
}
