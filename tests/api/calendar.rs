//! The calendar sweep: every rule that depends on the date, run at every instant of
//! `fitkart::clock::edge_instants` (each weekday, the first of a month, the turn of the
//! year, a leap day, the daylight-saving switches of New York, Berlin, Sydney and
//! Santiago, the hours when Kiribati and Baker Island are a day apart) and, where a rule
//! reads a walker's own day, in every zone of `EDGE_ZONES`. Rules that are pure functions
//! are called directly; the ones that live in SQL run against a database with the app's
//! clock (or the job's instant) set to the edge.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc, Weekday};
use fitkart::challenges::{settles_after, Template};
use fitkart::clock::{edge_instants, local_date, local_day_start, month_start, EDGE_ZONES};
use fitkart::leaderboard::{boards_for, Period};
use fitkart::ratelimit::{self, Limit};
use fitkart::streaks;
use fitkart_tests::TestApp;
use serde_json::json;

fn zones() -> Vec<(&'static str, chrono_tz::Tz)> {
    EDGE_ZONES
        .iter()
        .map(|z| (*z, z.parse().unwrap()))
        .collect()
}

#[test]
fn board_periods_hold_each_day_in_exactly_one_week_and_one_month() {
    for at in edge_instants() {
        let today = at.date_naive();
        let yesterday = today - Days::new(1);
        let boards = boards_for(at);
        for day in [yesterday, today] {
            for period in [Period::Weekly, Period::Monthly, Period::AllTime] {
                let start = period.start(day);
                assert!(
                    boards.contains(&(period, start)),
                    "{at}: {period:?} of {day}"
                );
                assert!(start <= day && day < period.end(start), "{at}: {period:?}");
            }
            assert_eq!(Period::Weekly.start(day).weekday(), Weekday::Mon, "{at}");
            assert_eq!(Period::Monthly.start(day).day(), 1, "{at}");
            let month =
                Period::Monthly.end(Period::Monthly.start(day)) - Period::Monthly.start(day);
            assert!((28..=31).contains(&month.num_days()), "{at}");
        }
        // The period that ended yesterday is ranked once more, and only then.
        let ended = [Period::Weekly, Period::Monthly]
            .iter()
            .filter(|p| p.start(today) != p.start(yesterday))
            .count();
        assert_eq!(boards.len(), 3 + ended, "{at}: {boards:?}");
        assert_eq!(
            ended > 0,
            today.weekday() == Weekday::Mon || today.day() == 1,
            "{at}"
        );
    }
}

#[test]
fn challenge_templates_start_on_their_local_day_and_settle_after_it_is_over_everywhere() {
    for at in edge_instants() {
        for (zone, tz) in zones() {
            let today = local_date(at, tz);
            for template in [
                Template::DailyShowdown,
                Template::WeekendWarrior,
                Template::WorkweekHustle,
                Template::OneOnOne,
            ] {
                let start = template.start_date(today);
                let ahead = (start - today).num_days();
                assert!(
                    (1..=7).contains(&ahead),
                    "{at} {zone} {template:?}: {start}"
                );
                match template {
                    Template::WeekendWarrior => assert_eq!(start.weekday(), Weekday::Sat),
                    Template::WorkweekHustle => assert_eq!(start.weekday(), Weekday::Mon),
                    _ => assert_eq!(ahead, 1, "{at} {zone} {template:?}"),
                }
                // It starts at the creator's next local midnight (or the first moment of
                // that day), never in the past.
                let starts_at = local_day_start(start, tz);
                assert!(starts_at > at, "{at} {zone} {template:?}: {starts_at}");
                assert_eq!(local_date(starts_at, tz), start, "{at} {zone}");
                // Settled only once its last day is over on all of Earth (UTC-12), a day on.
                let end = start + Days::new(template.days().unwrap() as u64 - 1);
                let last_day_over_everywhere = local_day_start(
                    end + Days::new(1),
                    "Etc/GMT+12".parse::<chrono_tz::Tz>().unwrap(),
                );
                assert_eq!(
                    settles_after(end),
                    last_day_over_everywhere + Duration::hours(24),
                    "{at} {zone} {template:?}"
                );
            }
        }
    }
}

#[test]
fn streaks_and_the_freeze_count_across_months_years_and_leap_days() {
    for at in edge_instants() {
        let today = at.date_naive();
        let days = |from: u64, to: u64| -> Vec<NaiveDate> {
            (from..=to).map(|n| today - Days::new(n)).collect()
        };
        // Seven goal days up to yesterday: a streak of seven and a freeze earned.
        let week = streaks::walk(&days(1, 7), today);
        assert_eq!((week.current_days, week.freeze_held), (7, true), "{at}");
        // A missed day two days ago, covered by the freeze earned before it.
        let mut bridged = days(3, 9);
        bridged.push(today - Days::new(1));
        let covered = streaks::walk(&bridged, today);
        assert_eq!(covered.current_days, 8, "{at}");
        assert_eq!(covered.frozen_days, [today - Days::new(2)], "{at}");
        assert!(!covered.freeze_held, "{at}");
        // Two missed days: the streak is over whatever the calendar does.
        let broken = streaks::walk(&days(3, 9), today);
        assert_eq!(broken.current_days, 0, "{at}");
        assert_eq!(broken.longest_days, 7, "{at}");
    }
}

#[test]
fn monthly_caps_start_on_the_first_at_midnight_utc() {
    for at in edge_instants() {
        let start = month_start(at);
        assert_eq!(
            start.date_naive(),
            Period::Monthly.start(at.date_naive()),
            "{at}"
        );
        assert!(start <= at, "{at}");
        // The instant before the month began counts for the month before.
        let before = start - Duration::microseconds(1);
        assert_eq!(
            month_start(before).date_naive(),
            Period::Monthly.start(before.date_naive())
        );
        assert_ne!(month_start(before), start, "{at}");
    }
}

#[tokio::test]
async fn rolling_windows_reopen_exactly_one_window_after_the_oldest_hit() {
    let t = TestApp::new().await;
    let pool = t.app.db().await.unwrap();
    let limit = Limit::per_hour("calendar_sweep", 2);
    for (n, at) in edge_instants().into_iter().enumerate() {
        let subject = format!("walker-{n}");
        ratelimit::hit(pool, limit, &subject, at).await.unwrap();
        ratelimit::hit(pool, limit, &subject, at + Duration::minutes(10))
            .await
            .unwrap();
        let refused = ratelimit::hit(pool, limit, &subject, at + Duration::minutes(59))
            .await
            .unwrap_err();
        assert_eq!(refused.status(), 429, "{at}");
        // An hour after the first hit, one place is free again (whatever day it is now).
        ratelimit::hit(pool, limit, &subject, at + Duration::minutes(61))
            .await
            .unwrap();
        let full = ratelimit::hit(pool, limit, &subject, at + Duration::minutes(62)).await;
        assert!(full.is_err(), "{at}");
    }
}

#[tokio::test]
async fn the_coming_months_partitions_exist_at_every_edge() {
    let t = TestApp::new().await;
    let walker = t.register("walker@example.com").await;
    let mut edges = edge_instants();
    edges.sort();
    for at in edges {
        let today = at.date_naive();
        fitkart::housekeeping::maintain(&t.pool, today)
            .await
            .unwrap();
        // Every day from today to the margin ahead has a partition to go to: its first
        // and last day of each month take a record (rolled back).
        let until = today + Days::new(fitkart::housekeeping::PARTITION_DAYS_AHEAD as u64);
        let mut month = Period::Monthly.start(today);
        while month <= until {
            let next = Period::Monthly.end(month);
            for day in [month.max(today), next.pred_opt().unwrap().min(until)] {
                let mut tx = t.pool.begin().await.unwrap();
                let stored = sqlx::query(
                    "INSERT INTO step_records (user_id, recorded_date, steps, source) VALUES ($1, $2, 1, 'manual')",
                )
                .bind(walker.id)
                .bind(day)
                .execute(&mut *tx)
                .await;
                assert!(stored.is_ok(), "{at}: {day} has no partition: {stored:?}");
                tx.rollback().await.unwrap();
            }
            month = next;
        }
    }
}

#[tokio::test]
async fn retention_keeps_what_is_inside_its_window_at_every_edge() {
    let t = TestApp::new().await;
    for at in edge_instants() {
        // Job runs are kept 90 days: one a minute inside that, one a minute outside.
        sqlx::query(
            "INSERT INTO job_runs (job, scheduled_for, started_at, finished_at)
             VALUES ('calendar', $1, $1, $1), ('calendar', $2, $2, $2)",
        )
        .bind(at - Duration::days(90) + Duration::minutes(1))
        .bind(at - Duration::days(90) - Duration::minutes(1))
        .execute(&t.pool)
        .await
        .unwrap();
        let deleted = fitkart::jobs::delete_old_runs(&t.pool, at).await.unwrap();
        assert_eq!(deleted, 1, "{at}");
        let kept: i64 = sqlx::query("DELETE FROM job_runs WHERE job = 'calendar'")
            .execute(&t.pool)
            .await
            .unwrap()
            .rows_affected() as i64;
        assert_eq!(kept, 1, "{at}");
    }
}

/// A walker's own today is theirs to sync and their tomorrow is not, at UTC+14 and UTC-12
/// and across every switch, with the app's clock at the edge: the sync route's day rule
/// (the database is given the months it needs first, as the weekly job would have).
#[tokio::test]
async fn a_walker_syncs_their_own_today_and_not_their_tomorrow_in_every_zone() {
    let (t, _pipeline) = TestApp::with_pipeline().await;
    let mut walkers = Vec::new();
    for (n, (zone, _)) in zones().into_iter().enumerate() {
        let email = format!("w{n}@example.com");
        t.register_in(&email, zone).await;
        walkers.push(email);
    }
    let mut edges = edge_instants();
    edges.sort();
    for at in edges {
        t.app.clock.set(at);
        fitkart::housekeeping::maintain(&t.pool, at.date_naive() - Days::new(40))
            .await
            .unwrap();
        for (email, (zone, tz)) in walkers.iter().zip(zones()) {
            // Sign-ins and syncs are limited per hour; each edge is a fresh hour for them.
            sqlx::query("DELETE FROM rate_limit_windows")
                .execute(&t.pool)
                .await
                .unwrap();
            // Tokens are issued by the clock too: sign in at the edge.
            let walker = t.login(email).await;
            let today = local_date(t.now(), tz);
            let sync = |date: NaiveDate| {
                t.call(fitkart_functions::steps::sync, "POST", "/v1/steps/sync")
                    .bearer(&walker.access_token)
                    .json(json!({"entries": [{"date": date, "steps": 3_000, "source": "health_kit"}]}))
            };
            let res = sync(today).send().await;
            assert_eq!(res.status, 202, "{at} {zone}: {}", res.body);
            let res = sync(today + Days::new(1)).send().await;
            assert_eq!(res.status, 422, "{at} {zone}: {}", res.body);
            assert_eq!(res.error_fields(), ["entries[0].date"]);
        }
    }
}

#[test]
fn edge_instants_are_real_switches() {
    // The sweep's instants sit on both sides of what they claim to straddle.
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let offset = |zone: chrono_tz::Tz, s: &str| {
        use chrono::Offset;
        at(s).with_timezone(&zone).offset().fix().local_minus_utc()
    };
    let ny = chrono_tz::America::New_York;
    assert_ne!(
        offset(ny, "2027-03-14T06:30:00Z"),
        offset(ny, "2027-03-14T07:30:00Z")
    );
    let berlin = chrono_tz::Europe::Berlin;
    assert_ne!(
        offset(berlin, "2027-10-31T00:30:00Z"),
        offset(berlin, "2027-10-31T01:30:00Z")
    );
    let sydney = chrono_tz::Australia::Sydney;
    assert_ne!(
        offset(sydney, "2027-04-03T15:30:00Z"),
        offset(sydney, "2027-04-03T16:30:00Z")
    );
    let santiago = chrono_tz::America::Santiago;
    assert_ne!(
        offset(santiago, "2027-09-05T03:30:00Z"),
        offset(santiago, "2027-09-05T04:30:00Z")
    );
    let noon = at("2027-06-15T11:30:00Z");
    let kiritimati = local_date(noon, chrono_tz::Pacific::Kiritimati);
    let baker = local_date(noon, "Etc/GMT+12".parse().unwrap());
    assert_eq!((kiritimati - baker).num_days(), 2);
}
