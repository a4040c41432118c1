//! Leaderboards: ranked credited verified steps per period (weekly from Monday, monthly,
//! all time; calendar periods of the day walked, in UTC), live within minutes.
//!
//! Three moving parts, each in one place:
//! - crediting calls [`count_credited`] in its own transaction, so each board's per-user
//!   total (`leaderboard_totals.total_steps`) moves with the coins, exactly once;
//! - the `leaderboard-rank` job ([`rank_all`], every five minutes) publishes what moved
//!   since its last run, one transaction per board ([`rank`]; the migration explains the
//!   bands that let it write only what moved): a reader sees the board of the last
//!   commit, whole, never empty or half-built;
//! - readers ([`read`]) run one statement: the top N from `leaderboard_cache` and their
//!   own rank from `leaderboard_rank()`.
//!
//! Reconciliation compares the totals with a recomputation from the step records (the
//! `leaderboard_totals_expected` view).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::During;
use crate::visibility::{Facts, Visible};
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
pub struct RankedBoard {
    pub period: Period,
    pub period_start: NaiveDate,
    pub ranked_users: i64,
    /// Totals published by this run: those that moved since the previous one (new
    /// walkers, new steps, accounts that left): what the run wrote.
    pub moved_totals: i64,
}

/// How many of a board's first entries `leaderboard_cache` holds (the route's largest
/// `limit`).
pub const TOP_ENTRIES: i64 = 100;

/// The boards a run at `at` ranks: each period containing `at`'s UTC day, and the one
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

/// A walker's day counts towards a team's score up to this many steps.
pub const TEAM_DAY_CAP: i64 = 30_000;

/// Moves every board's totals by steps just credited, in the crediting's transaction:
/// `credited` is (user, day walked, steps). The walker's total for the day
/// (`daily_totals`, the friend boards' rows) moves first; what the move adds below the
/// day's 30,000-step cap moves the capped totals the team scores read. Rows are upserted
/// in key order, and only the crediting of a user (which holds that user's wallet lock)
/// writes the user's rows, so concurrent batches never wait on each other here.
pub async fn count_credited(
    conn: &mut PgConnection,
    credited: &[(Uuid, NaiveDate, i64)],
) -> Result<()> {
    let mut days: BTreeMap<(Uuid, NaiveDate), i64> = BTreeMap::new();
    for &(user, day, steps) in credited {
        *days.entry((user, day)).or_default() += steps;
    }
    days.retain(|_, steps| *steps > 0);
    if days.is_empty() {
        return Ok(());
    }
    let users: Vec<Uuid> = days.keys().map(|(u, _)| *u).collect();
    let dates: Vec<NaiveDate> = days.keys().map(|(_, d)| *d).collect();
    let added: Vec<i64> = days.values().copied().collect();
    let after: BTreeMap<(Uuid, NaiveDate), i64> = crate::db_query!(
        r#"INSERT INTO daily_totals AS d (user_id, day, steps)
           SELECT * FROM UNNEST($1::uuid[], $2::date[], $3::int8[])
           ON CONFLICT (user_id, day) DO UPDATE SET steps = d.steps + excluded.steps
           RETURNING user_id, day, steps"#,
        &users,
        &dates,
        &added
    )
    .fetch_all(&mut *conn)
    .await
    .during("moving the walkers' day totals")?
    .into_iter()
    .map(|r| ((r.user_id, r.day), r.steps))
    .collect();

    let mut moved: BTreeMap<(&str, NaiveDate, Uuid), (i64, i64)> = BTreeMap::new();
    for (&(user, day), &steps) in &days {
        let total = after.get(&(user, day)).copied().unwrap_or(steps);
        let capped = total.min(TEAM_DAY_CAP) - (total - steps).min(TEAM_DAY_CAP);
        for &period in Period::ALL {
            let entry = moved
                .entry((period.as_str(), period.start(day), user))
                .or_default();
            entry.0 += steps;
            entry.1 += capped;
        }
    }
    let periods: Vec<&str> = moved.keys().map(|(p, _, _)| *p).collect();
    let starts: Vec<NaiveDate> = moved.keys().map(|(_, s, _)| *s).collect();
    let users: Vec<Uuid> = moved.keys().map(|(_, _, u)| *u).collect();
    let steps: Vec<i64> = moved.values().map(|m| m.0).collect();
    let capped: Vec<i64> = moved.values().map(|m| m.1).collect();
    crate::db_query!(
        r#"INSERT INTO leaderboard_totals AS t (period, period_start, user_id, total_steps, capped_steps)
           SELECT * FROM UNNEST($1::text[], $2::date[], $3::uuid[], $4::int8[], $5::int8[])
           ON CONFLICT (period, period_start, user_id)
           DO UPDATE SET total_steps = t.total_steps + excluded.total_steps,
                         capped_steps = t.capped_steps + excluded.capped_steps, moved = true"#,
        &periods as &[&str],
        &starts,
        &users,
        &steps,
        &capped
    )
    .execute(conn)
    .await
    .during("moving the boards' totals")?;
    Ok(())
}

/// Marks every board total of `user` as moved, for an account that left (deactivated or
/// deleted) or came back: the next run takes them off the boards or puts them back.
pub async fn standing_changed(conn: &mut PgConnection, user: Uuid) -> Result<()> {
    crate::db_query!(
        "UPDATE leaderboard_totals SET moved = true WHERE user_id = $1 AND NOT moved",
        user
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ranks every board, each in its own transaction (a reader sees each board whole), two
/// at a time on the job's two pooled connections.
pub async fn rank_all(pool: &PgPool, boards: &[(Period, NaiveDate)]) -> Result<Vec<RankedBoard>> {
    stream::iter(boards.iter().copied())
        .map(|board| async move {
            let mut tx = pool.begin().await?;
            let ranked = rank(&mut tx, board).await?;
            tx.commit().await?;
            Ok::<_, Error>(ranked)
        })
        .buffered(2)
        .try_collect()
        .await
}

/// Publishes one board in the caller's transaction: the totals that moved since its last
/// run (new steps, or an account deactivated or deleted) become the board's published
/// totals, the counts of their bands follow, the board's top entries are cached with
/// their ranks, and the board is stamped with the time. Writes follow what moved, not the
/// board's size. A board nobody has walked on yet is not published: readers keep seeing
/// the previous period's final board until someone has.
pub async fn rank(
    conn: &mut PgConnection,
    (period, start): (Period, NaiveDate),
) -> Result<RankedBoard> {
    lock_board(conn, period, start).await?;
    let moved = publish_moved(conn, period, start).await?;
    if moved > 0 {
        recount_bands(conn, period, start).await?;
        cache_top(conn, period, start).await?;
    }
    let ranked_users = stamp(conn, period, start).await?;
    Ok(RankedBoard {
        period,
        period_start: start,
        ranked_users,
        moved_totals: moved,
    })
}

/// One run per board at a time (a run by hand beside the schedule's waits here).
async fn lock_board(conn: &mut PgConnection, period: Period, start: NaiveDate) -> Result<()> {
    crate::db_query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('leaderboard:' || $1 || ':' || $2::date, 0))",
        period.as_str(),
        start
    )
    .execute(&mut *conn)
    .await
    .during("locking the board for its run")?;
    Ok(())
}

/// The totals that moved, locked in user order as crediting locks them (a credit in
/// flight finishes first, or waits for this run): their published value becomes the live
/// one (none for an account that left), their bands' counts follow, and they are no
/// longer moved until a credit moves them again. Returns how many moved.
async fn publish_moved(conn: &mut PgConnection, period: Period, start: NaiveDate) -> Result<i64> {
    let moved = crate::db_query_scalar!(
        r#"WITH candidates AS (
               SELECT t.user_id, t.ranked_steps AS old,
                      CASE WHEN u.is_active AND u.deleted_at IS NULL AND t.total_steps > 0
                           THEN t.total_steps END AS new
               FROM leaderboard_totals t JOIN users u ON u.id = t.user_id
               WHERE t.period = $1 AND t.period_start = $2 AND t.moved
               ORDER BY t.user_id
               FOR UPDATE OF t
           ), published AS (
               UPDATE leaderboard_totals t SET ranked_steps = c.new, moved = false FROM candidates c
               WHERE t.period = $1 AND t.period_start = $2 AND t.user_id = c.user_id
           ), moved AS (
               SELECT * FROM candidates WHERE old IS DISTINCT FROM new
           ), deltas AS (
               SELECT leaderboard_band(old) AS floor, -1 AS users FROM moved WHERE old IS NOT NULL
               UNION ALL
               SELECT leaderboard_band(new), 1 FROM moved WHERE new IS NOT NULL
           ), counted AS (
               INSERT INTO leaderboard_bands AS b (period, period_start, floor, users)
               SELECT $1, $2, floor, sum(users) FROM deltas GROUP BY floor HAVING sum(users) <> 0
               ON CONFLICT (period, period_start, floor) DO UPDATE SET users = b.users + excluded.users
           )
           SELECT count(*) AS "moved!" FROM candidates"#,
        period.as_str(),
        start
    )
    .fetch_one(&mut *conn)
    .await
    .during("publishing the board's moved totals")?;
    Ok(moved)
}

/// Empty bands go; every band learns how many users are above it. A board has a few
/// thousand bands at most: the running sums are added up here and written back by key.
/// (The same sums as a window over a self-join let the planner pick a nested loop when
/// a new board's statistics lag, which is quadratic; steering it with `set_config` would
/// pin the session on RDS Proxy.)
async fn recount_bands(conn: &mut PgConnection, period: Period, start: NaiveDate) -> Result<()> {
    crate::db_query!(
        "DELETE FROM leaderboard_bands WHERE period = $1 AND period_start = $2 AND users = 0",
        period.as_str(),
        start
    )
    .execute(&mut *conn)
    .await
    .during("counting the users above each band")?;
    let bands = crate::db_query!(
        "SELECT floor, users FROM leaderboard_bands
         WHERE period = $1 AND period_start = $2 ORDER BY floor DESC",
        period.as_str(),
        start
    )
    .fetch_all(&mut *conn)
    .await
    .during("counting the users above each band")?;
    let mut above = 0i64;
    let (floors, aboves): (Vec<i64>, Vec<i64>) = bands
        .iter()
        .map(|band| {
            let this = (band.floor, above);
            above += band.users;
            this
        })
        .unzip();
    crate::db_query!(
        "UPDATE leaderboard_bands b SET users_above = s.above
         FROM unnest($3::int8[], $4::int8[]) AS s(floor, above)
         WHERE b.period = $1 AND b.period_start = $2 AND b.floor = s.floor
           AND b.users_above <> s.above",
        period.as_str(),
        start,
        &floors,
        &aboves
    )
    .execute(&mut *conn)
    .await
    .during("counting the users above each band")?;
    Ok(())
}

/// The top entries, with their ranks, for the route's one-statement read: the first rows
/// of the board's index, ranked among themselves (everyone with more steps than an entry
/// is above it in that index).
async fn cache_top(conn: &mut PgConnection, period: Period, start: NaiveDate) -> Result<()> {
    crate::db_query!(
        "DELETE FROM leaderboard_cache WHERE period = $1 AND week_starts_at = $2",
        period.as_str(),
        start
    )
    .execute(&mut *conn)
    .await
    .during("caching the board's top entries")?;
    crate::db_query!(
        r#"INSERT INTO leaderboard_cache (user_id, rank, total_steps, week_starts_at, period)
           SELECT user_id, rank() OVER (ORDER BY ranked_steps DESC), ranked_steps, $2, $1::text
           FROM (SELECT user_id, ranked_steps FROM leaderboard_totals
                 WHERE period = $1 AND period_start = $2 AND ranked_steps IS NOT NULL
                 ORDER BY ranked_steps DESC, user_id LIMIT $3) top"#,
        period.as_str(),
        start,
        TOP_ENTRIES
    )
    .execute(&mut *conn)
    .await
    .during("caching the board's top entries")?;
    Ok(())
}

/// The board is stamped with the time and its ranked users (once anyone has walked on
/// it); returns how many it ranks.
async fn stamp(conn: &mut PgConnection, period: Period, start: NaiveDate) -> Result<i64> {
    let ranked_users = crate::db_query_scalar!(
        r#"WITH counted AS (
               SELECT COALESCE(sum(users), 0)::int8 AS users FROM leaderboard_bands
               WHERE period = $1 AND period_start = $2
           ), published AS (
               INSERT INTO leaderboards (period, period_start, ranked_at, ranked_users)
               SELECT $1, $2, now(), counted.users FROM counted
               WHERE counted.users > 0 OR EXISTS (
                   SELECT 1 FROM leaderboards WHERE period = $1 AND period_start = $2)
               ON CONFLICT (period, period_start)
               DO UPDATE SET ranked_at = excluded.ranked_at, ranked_users = excluded.ranked_users
           )
           SELECT users AS "users!" FROM counted"#,
        period.as_str(),
        start
    )
    .fetch_one(&mut *conn)
    .await
    .during("stamping the board")?;
    Ok(ranked_users)
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub rank: i32,
    pub user_id: Uuid,
    /// The walker's display alias (their full name is never shown to others). Kept under
    /// this name for clients of the first contract; `alias` holds the same.
    pub full_name: String,
    pub alias: String,
    pub avatar_url: Option<String>,
    pub total_steps: Visible<i64>,
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

/// The newest published board of `period`: the top `limit` entries the caller may see
/// there (`visibility`; ties ordered by user id) and the caller's own rank, read in one
/// statement (one snapshot: never two runs' boards mixed). Before anyone has walked in a
/// new week or month this is the previous period's final board, as `period_start` says.
///
/// What each entry's person lets this caller see costs five index probes, so the first
/// read takes three entries for each one shown; only when too few of those may be seen
/// (hidden walkers near the top) is the whole cached top read again. Either way the
/// entries shown are the first `limit` visible ones of the published top.
pub async fn read(conn: &mut PgConnection, period: Period, me: Uuid, limit: i64) -> Result<Board> {
    let first = (limit * 3).min(TOP_ENTRIES);
    let (board, read) = read_top(conn, period, me, limit, first).await?;
    if board.items.len() as i64 >= limit || read < first {
        return Ok(board);
    }
    Ok(read_top(conn, period, me, limit, TOP_ENTRIES).await?.0)
}

/// `read` over the first `fetch` entries of the cached top: the board, and how many
/// entries there were to read.
async fn read_top(
    conn: &mut PgConnection,
    period: Period,
    me: Uuid,
    limit: i64,
    fetch: i64,
) -> Result<(Board, i64)> {
    // The board's cached top entries with what `visibility` decides from, and the
    // caller's own rank (`leaderboard_top`, a function so that its plan is kept on the
    // backend: planning the statement took longer than running it); who of them this
    // caller sees is decided below.
    let rows = crate::db_query!(
        r#"SELECT period_start AS "period_start!", ranked_at AS "ranked_at!", is_me, rank, user_id,
                  total_steps, live, friend, blocked_by_viewer, blocked_viewer, steps_visibility,
                  board_visibility, alias, full_name, avatar_url
           FROM leaderboard_top($1, $2, $3)"#,
        period.as_str(),
        me,
        fetch
    )
    .fetch_all(conn)
    .await?;
    let mut board = Board {
        period,
        period_start: rows.first().map(|r| r.period_start),
        last_updated: rows.first().map(|r| r.ranked_at),
        items: Vec::new(),
        me: None,
    };
    let mut read = 0;
    for r in rows {
        let (Some(is_me), Some(rank), Some(user_id), Some(total_steps)) =
            (r.is_me, r.rank, r.user_id, r.total_steps)
        else {
            continue; // a published board without entries
        };
        if is_me {
            board.me = Some(MyRank { rank, total_steps });
            continue;
        }
        read += 1;
        let seen = Facts {
            live: r.live,
            friend: r.friend,
            blocked_by_viewer: r.blocked_by_viewer,
            blocked_viewer: r.blocked_viewer,
            steps_visibility: r.steps_visibility,
            board_visibility: r.board_visibility,
            alias: r.alias,
            full_name: r.full_name,
            avatar_url: r.avatar_url,
        }
        .seen(me, user_id);
        // Under their alias, and only those this caller may see on a board: everyone who
        // chose public, friends who chose friends; never the hidden, the blocked or
        // whoever shows their steps to nobody.
        if !seen.sight.on_boards || board.items.len() as i64 >= limit {
            continue;
        }
        board.items.push(Entry {
            rank,
            user_id,
            full_name: seen.person.alias.clone(),
            alias: seen.person.alias,
            avatar_url: seen.person.avatar_url,
            total_steps: seen.sight.board_steps(total_steps),
        });
    }
    Ok((board, read))
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

/// Housekeeping: deletes up to `limit` published entries and up to `limit` per-user
/// totals of weekly and monthly boards that started over 400 days ago (a year of boards
/// stays: reconciliation checks the last 366 days'), and the boards once emptied.
/// Returns the rows deleted.
pub async fn delete_old(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<u64> {
    let kept_from = now.date_naive() - chrono::Days::new(400);
    let entries = crate::db_query!(
        "DELETE FROM leaderboard_cache WHERE id IN (
             SELECT id FROM leaderboard_cache
             WHERE period <> 'all_time' AND week_starts_at < $2 LIMIT $1)",
        limit,
        kept_from
    )
    .execute(pool)
    .await?
    .rows_affected();
    let totals = crate::db_query!(
        "DELETE FROM leaderboard_totals WHERE (period, period_start, user_id) IN (
             SELECT period, period_start, user_id FROM leaderboard_totals
             WHERE period <> 'all_time' AND period_start < $2 LIMIT $1)",
        limit,
        kept_from
    )
    .execute(pool)
    .await?
    .rows_affected();
    if entries < limit as u64 && totals < limit as u64 {
        crate::db_query!(
            "DELETE FROM leaderboards WHERE period <> 'all_time' AND period_start < $1",
            kept_from
        )
        .execute(pool)
        .await?;
    }
    Ok(entries + totals)
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
