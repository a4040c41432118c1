//! Achievements: evaluated for a set of users in one statement when coins are credited or
//! an order ships (redemptions count goods that went out: shipped or delivered orders). Unlocking is idempotent (a unique key per user and achievement);
//! each new unlock pays its `reward_coins` as a `bonus` through the ledger, in the
//! caller's transaction.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::{self, Posting, Reference, TxType};
use crate::notifications::{self, Kind, Notice};
use crate::Result;

#[derive(Debug, Clone, Serialize)]
pub struct Unlock {
    pub user_id: Uuid,
    pub achievement_id: Uuid,
    pub name: String,
    /// The catalog names it (`achievement-<code>`) in the walker's language.
    pub code: String,
    pub reward_coins: i64,
}

/// How many days back an evaluation looks. Every evaluation runs when a day is credited,
/// so a criterion met by older days was met, and unlocked, when those days were credited;
/// the window only has to hold the longest run of days one criterion needs (streak_100).
/// Lifetime steps come from the user's running total instead of their days. The window
/// keeps each evaluation to a few months of the partitioned step history however long a
/// user has walked (`every_criterion_fits_the_window` keeps the seeded criteria inside).
pub const WINDOW_DAYS: i32 = 120;

/// Unlocks every achievement the users now meet, pays the bonuses and tells the owners.
/// Reads each user's whole window of days: for a change that is not a credited day (an
/// order shipped). `user_ids` must be sorted: wallets are locked in that order.
pub async fn evaluate(conn: &mut PgConnection, user_ids: &[Uuid]) -> Result<Vec<Unlock>> {
    let goal = crate::settings::load(&mut *conn).await?.daily_step_goal;
    let unlocks = unlock(&mut *conn, user_ids, None, goal).await?;
    ledger::post_many(&mut *conn, &bonuses(&unlocks)).await?;
    announce(conn, &unlocks).await?;
    Ok(unlocks)
}

/// What a crediting is adding, for an evaluation that reads only what it can change.
pub struct Crediting<'a> {
    /// Per user of the evaluation (same order): steps being credited in this transaction,
    /// not yet added to the user's lifetime total.
    pub steps: &'a [i64],
    /// The records being credited, by key (id, day).
    pub records: &'a [(Uuid, NaiveDate)],
}

/// Unlocks every achievement the users now meet, without paying: the caller posts
/// `bonuses` (crediting posts them with the day's coins, one ledger statement for both)
/// and then `announce`s them. The criteria are the `unlock_criteria` JSON of each
/// achievement (see the seed migration), over verified days only; streaks and
/// consistency count days meeting `daily_step_goal`.
///
/// With `crediting`, only what the credited days can change is read: a day-based
/// criterion can only come true through a day credited now, by that day's own steps and
/// hours (best day, hourly windows) or, for a day at the goal, by the run of goal days
/// around it (streaks, goal days in a window). So each credited day is read, and a user's
/// whole window only when one of their credited days meets the goal: a walker with four
/// months of history costs a few rows on most days instead of 120.
pub async fn unlock(
    conn: &mut PgConnection,
    user_ids: &[Uuid],
    crediting: Option<&Crediting<'_>>,
    goal: i64,
) -> Result<Vec<Unlock>> {
    let no_steps = vec![0; user_ids.len()];
    let (steps, everything) = match crediting {
        Some(c) => (c.steps, false),
        None => (&no_steps[..], true),
    };
    let (credited_records, credited_days): (Vec<Uuid>, Vec<NaiveDate>) =
        crediting.map_or_else(Default::default, |c| c.records.iter().copied().unzip());
    Ok(crate::db_query_as!(
        Unlock,
        r#"WITH goal AS (SELECT $7::int8 AS steps),
           -- Each active achievement's criterion as columns, read from its JSON once (not
           -- once per member).
           criteria AS MATERIALIZED (
               SELECT id, unlock_criteria->>'type' AS kind,
                      (unlock_criteria->>'min_steps')::bigint AS min_steps,
                      (unlock_criteria->>'days')::bigint AS days,
                      (unlock_criteria->>'window_days')::int AS window_days,
                      (unlock_criteria->>'from_hour')::int AS from_hour,
                      (unlock_criteria->>'to_hour')::int AS to_hour,
                      (unlock_criteria->>'min_orders')::bigint AS min_orders,
                      (unlock_criteria->>'min_products')::bigint AS min_products
               FROM achievements WHERE is_active
           ),
           members AS (
               SELECT u.id, (now() AT TIME ZONE user_timezone(u.*))::date AS today, u.total_steps + q.steps AS total_steps
               FROM users u JOIN UNNEST($1::uuid[], $3::int8[]) AS q(id, steps) ON q.id = u.id
               WHERE u.id = ANY($1)
           ),
           credited AS MATERIALIZED (
               SELECT r.user_id, r.recorded_date, r.verified_steps, r.hourly_steps
               FROM step_records r
               -- By their keys, in the credited days' months: no join for the planner to
               -- misjudge (a join with the keys as a list scanned the list once per row).
               WHERE r.id = ANY($5) AND r.recorded_date = ANY($6)
                 AND r.status = 'verified' AND r.recorded_date BETWEEN current_date - $2::int AND current_date + 1
           ),
           -- Users whose runs of goal days may have changed: every member when evaluating
           -- everything, else those with a credited day at the goal.
           runs AS MATERIALIZED (
               SELECT id AS user_id FROM members WHERE $4::bool
               UNION
               SELECT c.user_id FROM credited c, goal WHERE c.verified_steps >= goal.steps
           ),
           days AS (
               SELECT r.user_id, r.recorded_date, r.verified_steps, r.hourly_steps
               FROM step_records r
               WHERE r.user_id IN (SELECT user_id FROM runs) AND r.status = 'verified'
                 AND r.recorded_date BETWEEN current_date - $2::int AND current_date + 1
               UNION ALL
               SELECT c.user_id, c.recorded_date, c.verified_steps, c.hourly_steps
               FROM credited c WHERE c.user_id NOT IN (SELECT user_id FROM runs)
           ),
           totals AS (
               SELECT user_id, max(verified_steps) AS best_day FROM days GROUP BY user_id
           ),
           streaks AS (
               SELECT user_id, max(len) AS best FROM (
                   SELECT user_id, count(*) AS len FROM (
                       SELECT d.user_id,
                              d.recorded_date - (row_number() OVER (PARTITION BY d.user_id ORDER BY d.recorded_date))::int AS island
                       FROM days d, goal WHERE d.verified_steps >= goal.steps
                   ) g GROUP BY user_id, island
               ) s GROUP BY user_id
           ),
           -- Criteria that look at single days, checked in one pass over the days.
           met_by_day AS (
               SELECT d.user_id, c.id AS achievement_id
               FROM days d JOIN criteria c ON c.kind = 'hourly_window' AND d.hourly_steps IS NOT NULL
               WHERE (SELECT COALESCE(sum(h), 0) FROM unnest(d.hourly_steps[c.from_hour + 1 : c.to_hour]) h) >= c.min_steps
               UNION
               SELECT d.user_id, c.id
               FROM days d JOIN members m ON m.id = d.user_id CROSS JOIN goal
               JOIN criteria c ON c.kind = 'goal_days'
               WHERE d.verified_steps >= goal.steps AND d.recorded_date > m.today - c.window_days
               GROUP BY d.user_id, c.id
               HAVING count(*) >= max(c.days)
           ),
           facts AS (
               SELECT m.id AS user_id,
                      COALESCE(t.best_day, 0) AS best_day,
                      m.total_steps AS lifetime,
                      COALESCE(s.best, 0) AS best_streak,
                      (SELECT count(*) FROM orders o WHERE o.user_id = m.id
                         AND o.status IN ('shipped', 'delivered')) AS orders,
                      (SELECT count(DISTINCT oi.product_id) FROM orders o JOIN order_items oi ON oi.order_id = o.id
                       WHERE o.user_id = m.id AND o.status IN ('shipped', 'delivered')) AS distinct_products
               FROM members m LEFT JOIN totals t ON t.user_id = m.id LEFT JOIN streaks s ON s.user_id = m.id
           ),
           unlocked AS (
               INSERT INTO user_achievements (user_id, achievement_id)
               SELECT f.user_id, c.id
               FROM facts f JOIN criteria c ON CASE c.kind
                   WHEN 'daily_steps' THEN f.best_day >= c.min_steps
                   WHEN 'lifetime_steps' THEN f.lifetime >= c.min_steps
                   WHEN 'streak' THEN f.best_streak >= c.days
                   WHEN 'orders' THEN f.orders >= c.min_orders
                   WHEN 'distinct_products' THEN f.distinct_products >= c.min_products
                   ELSE EXISTS (SELECT 1 FROM met_by_day x WHERE x.user_id = f.user_id AND x.achievement_id = c.id)
                   END
               ON CONFLICT (user_id, achievement_id) DO NOTHING
               RETURNING user_id, achievement_id
           )
           SELECT unlocked.user_id AS "user_id!", unlocked.achievement_id AS "achievement_id!", a.name AS "name!",
                  a.code AS "code!", a.reward_coins AS "reward_coins!"
           FROM unlocked JOIN achievements a ON a.id = unlocked.achievement_id
           ORDER BY unlocked.user_id, a.display_order"#,
        user_ids,
        WINDOW_DAYS,
        steps,
        everything,
        &credited_records,
        &credited_days,
        goal
    )
    .fetch_all(conn)
    .await?)
}

/// The ledger rows that pay `unlocks`' bonuses.
pub fn bonuses(unlocks: &[Unlock]) -> Vec<Posting> {
    unlocks
        .iter()
        .filter(|u| u.reward_coins > 0)
        .map(|unlock| Posting {
            user_id: unlock.user_id,
            amount: unlock.reward_coins,
            tx_type: TxType::Bonus,
            reference: Some((Reference::Achievement, unlock.achievement_id)),
            description: format!("Achievement unlocked: {}", unlock.name),
            coins_per_step: None,
        })
        .collect()
}

/// Tells each owner of `unlocks` what they unlocked.
pub async fn announce(conn: &mut PgConnection, unlocks: &[Unlock]) -> Result<()> {
    let notices: Vec<Notice> = unlocks
        .iter()
        .map(|u| {
            Notice::new(
                format!("achievement:{}:{}", u.user_id, u.achievement_id),
                u.user_id,
                Kind::AchievementUnlocked,
                serde_json::json!({ "code": u.code, "name": u.name, "bonus_coins": u.reward_coins }),
            )
        })
        .collect();
    notifications::record(conn, &notices).await
}

/// An achievement with the caller's progress, as `GET /v1/achievements` shows it.
#[derive(Debug, Serialize)]
pub struct AchievementState {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub icon_url: Option<String>,
    pub badge_color: Option<String>,
    pub reward_coins: i64,
    pub unlocked: bool,
    pub unlocked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every active achievement in display order, with whether `user_id` unlocked it, named
/// in `locale` (the catalog's `achievement-<code>`; one an admin added keeps its own words).
pub async fn list_for(
    conn: &mut PgConnection,
    user_id: Uuid,
    locale: crate::i18n::Locale,
) -> Result<Vec<AchievementState>> {
    let mut states = crate::db_query_as!(
        AchievementState,
        r#"SELECT a.code, a.name, a.description, a.icon_url, a.badge_color, a.reward_coins,
                  ua.unlocked_at IS NOT NULL AS "unlocked!", ua.unlocked_at AS "unlocked_at?"
           FROM achievements a
           LEFT JOIN user_achievements ua ON ua.achievement_id = a.id AND ua.user_id = $1
           WHERE a.is_active
           ORDER BY a.display_order, a.code"#,
        user_id
    )
    .fetch_all(conn)
    .await?;
    for state in &mut states {
        let id = format!("achievement-{}", state.code.replace('_', "-"));
        if crate::i18n::has(crate::i18n::Locale::En, &id) {
            let none = serde_json::Map::new();
            state.name = crate::i18n::render(locale, &id, None, &none);
            state.description = Some(crate::i18n::render(locale, &id, Some("description"), &none));
        }
    }
    Ok(states)
}
