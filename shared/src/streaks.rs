//! Streaks: consecutive local days on which a person's verified steps met
//! `daily_step_goal`, with a *streak freeze*. A person holds at most one freeze; it is
//! earned when a streak reaches 7, 14 or 30 days (while none is held) and spent by itself
//! on the first missed day after, which then keeps the streak alive without counting in
//! it. Today never breaks a streak: it is not over yet.
//!
//! The streak is worked out from the goal days each time (`walk`), never stored: a day
//! synced late or approved after review changes the streak as if it had come on time, and
//! there is no state to drift. The streak achievements keep their strict meaning (a run of
//! goal days, no freeze), as `current_streak` and `best_streak` in `/v1/me/stats` do.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Result;

/// Streak lengths at which a freeze is earned (when none is held).
pub const FREEZE_EARNED_AT: [i64; 3] = [7, 14, 30];

/// A person's streak with freezes, as `/v1/me/stats` shows it (`streak`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Streak {
    /// Goal days in the streak that is still alive (ending today or yesterday, or bridged
    /// by a freeze); frozen days are not counted.
    pub current_days: i64,
    /// The longest streak ever, counted the same way.
    pub longest_days: i64,
    /// A freeze is held and will cover the next missed day.
    pub freeze_held: bool,
    /// The missed days a freeze covered in the current streak.
    pub frozen_days: Vec<NaiveDate>,
}

/// The streak on `today` from the person's goal days (any order, repeats ignored).
pub fn walk(goal_days: &[NaiveDate], today: NaiveDate) -> Streak {
    let mut days: Vec<NaiveDate> = goal_days.iter().copied().filter(|d| *d <= today).collect();
    days.sort();
    days.dedup();
    let Some(&first) = days.first() else {
        return Streak::default();
    };
    let mut streak = Streak::default();
    let mut next_goal_day = days.iter().peekable();
    let mut day = first;
    while day <= today {
        let met = next_goal_day.next_if_eq(&&day).is_some();
        if met {
            streak.current_days += 1;
            if FREEZE_EARNED_AT.contains(&streak.current_days) {
                streak.freeze_held = true;
            }
        } else if day == today {
            // The day is still running.
        } else if streak.freeze_held && streak.current_days > 0 {
            streak.freeze_held = false;
            streak.frozen_days.push(day);
        } else {
            streak.current_days = 0;
            streak.frozen_days.clear();
        }
        streak.longest_days = streak.longest_days.max(streak.current_days);
        day = day.succ_opt().expect("a date before the end of time");
    }
    streak
}

/// The streaks of `people` (each with their own local today) at `goal` steps a day, in one
/// query over their goal days.
pub async fn of(
    conn: &mut PgConnection,
    people: &[(Uuid, NaiveDate)],
    goal: i64,
) -> Result<HashMap<Uuid, Streak>> {
    let ids: Vec<Uuid> = people.iter().map(|p| p.0).collect();
    let rows = crate::db_query!(
        "SELECT user_id, recorded_date FROM step_records
         WHERE user_id = ANY($1) AND verified_steps >= $2",
        &ids,
        goal
    )
    .fetch_all(conn)
    .await?;
    let mut goal_days: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
    for row in rows {
        goal_days
            .entry(row.user_id)
            .or_default()
            .push(row.recorded_date);
    }
    Ok(people
        .iter()
        .map(|&(id, today)| {
            let days = goal_days.get(&id).map_or(&[][..], Vec::as_slice);
            (id, walk(days, today))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(n as u64)
    }

    fn days(range: std::ops::Range<i64>) -> Vec<NaiveDate> {
        range.map(day).collect()
    }

    #[test]
    fn a_run_of_goal_days_is_the_streak_and_today_does_not_break_it() {
        let streak = walk(&days(0..5), day(5));
        assert_eq!((streak.current_days, streak.longest_days), (5, 5));
        assert!(!streak.freeze_held);
        assert_eq!(walk(&days(0..5), day(6)).current_days, 0);
        assert_eq!(walk(&days(0..5), day(6)).longest_days, 5);
    }

    #[test]
    fn seven_days_earn_a_freeze_that_covers_one_missed_day() {
        let earned = walk(&days(0..7), day(7));
        assert!(earned.freeze_held);
        // Day 7 missed, day 8 walked: the streak goes on at 8 days, the freeze spent.
        let mut walked = days(0..7);
        walked.push(day(8));
        let bridged = walk(&walked, day(9));
        assert_eq!(bridged.current_days, 8);
        assert!(!bridged.freeze_held);
        assert_eq!(bridged.frozen_days, vec![day(7)]);
        // Two missed days in a row: one freeze covers one of them only.
        let broken = walk(&days(0..7), day(9));
        assert_eq!(broken.current_days, 0);
        assert_eq!(broken.longest_days, 7);
        assert!(broken.frozen_days.is_empty());
    }

    #[test]
    fn at_most_one_freeze_is_held_and_the_next_is_earned_at_14_and_30() {
        // 14 days without a miss: still one freeze.
        let held = walk(&days(0..14), day(14));
        assert!(held.freeze_held);
        // Miss day 7 (freeze spent), then walk on: the streak reaches 14 counted days on
        // day 14 and earns the next freeze.
        let mut walked = days(0..7);
        walked.extend(days(8..15));
        let again = walk(&walked, day(15));
        assert_eq!(again.current_days, 14);
        assert!(again.freeze_held);
        // After 30 no more are earned: two misses past it break the streak.
        let mut long = days(0..40);
        long.extend(days(42..45));
        let after = walk(&long, day(45));
        assert_eq!(after.current_days, 3);
        assert_eq!(after.longest_days, 40);
        assert!(!after.freeze_held);
    }

    #[test]
    fn days_after_today_and_repeats_change_nothing() {
        let mut walked = days(0..3);
        walked.extend(days(0..3));
        walked.push(day(10));
        assert_eq!(walk(&walked, day(3)).current_days, 3);
        assert_eq!(walk(&[], day(3)), Streak::default());
    }
}
