//! The rules, one function each, in the order their reasons are shown. Each looks at one
//! day (and what the validator knows around it) and either finds nothing or returns its
//! finding with a reason the user reads. Points: 100 always holds a day for a person,
//! 60 holds it alone (the default threshold), smaller findings only hold together.

use rust_decimal::Decimal;

use super::{fmt, median, usual_day, DayFacts, Finding, Rule, MIN_BASELINE_DAYS};
use crate::settings::Settings;
use crate::steps::Source;

pub const RULES: &[Rule] = &[
    Rule::policy("manual_entry", manual_entry),
    Rule::policy("relabelled_day", relabelled_day),
    Rule::policy("before_signup", before_signup),
    Rule::policy("day_never_began", day_never_began),
    Rule::detection("daily_limit", daily_limit),
    Rule::detection("new_account_probation", new_account_probation),
    Rule::detection("hours_missing", hours_missing),
    Rule::detection("hours_stopped", hours_stopped),
    Rule::detection("shared_device", shared_device),
    Rule::detection("personal_spike", personal_spike),
    Rule::detection("sustained_high_days", sustained_high_days),
    Rule::detection("implausible_stride", implausible_stride),
    Rule::detection("steps_without_distance", steps_without_distance),
    Rule::detection("calories_per_step", calories_per_step),
    Rule::detection("impossible_cadence", impossible_cadence),
    Rule::detection("machine_flat_hours", machine_flat_hours),
    Rule::detection("night_walking", night_walking),
    Rule::detection("lowered_then_raised", lowered_then_raised),
    Rule::detection("late_backfill", late_backfill),
    Rule::detection("late_increase", late_increase),
    Rule::detection("steady_hours", steady_hours),
    Rule::detection("hovering_under_limits", hovering_under_limits),
    Rule::detection("unlisted_writer", unlisted_writer),
    Rule::detection("provenance_shift", provenance_shift),
    Rule::detection("same_hours_as_other_accounts", same_hours_as_other_accounts),
    Rule::detection("implausible_pushes", implausible_pushes),
];

/// Recent days with hourly counts that make a day without them stand out.
const RECENT_HOURLY_DAYS: i64 = 3;
/// Beyond this many steps a spike of five times the user's usual day holds alone: honest
/// hikes reach 20-30k, a made-up day claims more.
const SPIKE_HELD_STEPS: i64 = 35_000;
/// Hours 02:00-05:00 local: heavy walking then is rare and typical of cradles left running.
const NIGHT_HOURS: std::ops::Range<usize> = 2..5;
const NIGHT_STEPS: i64 = 3_000;
const NIGHT_STEPS_HELD: i64 = 6_000;
/// Phones on a swinger or cradle produce near-identical counts hour after hour.
const FLAT_RUN_HOURS: usize = 5;
const FLAT_MIN_STEPS: i32 = 1_000;
// Phones record distance with steps; tens of thousands of steps without any is odd.
use super::features::DISTANCE_FREE_STEPS;
/// A phone on a swing keeps one pace for many hours: people walk in bursts. An active span
/// this long whose hours vary this little is a machine's.
const STEADY_SPAN_HOURS: usize = 10;
const STEADY_VARIATION: f64 = 0.15;
/// Recent days (before this one) that also sat just under a limit, for a day just under
/// one to be held: once is chance, three times in two weeks is aim.
const HOVERING_DAYS: usize = 2;

/// Steps from apps outside the allow-list below this share of the day (and this many)
/// pass: a small app's few steps are noise, a faker app's are the day.
const UNLISTED_SHARE: f64 = 0.1;
const UNLISTED_MIN_STEPS: i64 = 1_000;
/// A new main writer counts against a day this far above the walker's usual day.
const SHIFT_SPIKE: f64 = 2.0;
const SHIFT_MIN_STEPS: i64 = 12_000;
/// Other accounts with a day's exact hours for it to be one script's output.
const SAME_HOURS_OTHER_ACCOUNTS: i64 = 2;
/// Recent days with a known main writer before a new one means anything.
const SHIFT_RECENT_DAYS: usize = 5;

/// Manual entries (`source = manual`, or most of a day from sources that recorded by
/// hand) never earn without an admin's approval.
fn manual_entry(day: &DayFacts, _: &Settings) -> Option<Finding> {
    day.is_manual().then_some(())?;
    Finding::points(
        100,
        "Manually entered steps need an admin's approval before they earn coins.".into(),
    )
}

/// A day first reported from one source and re-sent from another: a typed-in day
/// re-labelled as a phone's is held; any other switch counts against the day.
fn relabelled_day(day: &DayFacts, _: &Settings) -> Option<Finding> {
    if day.first_source == day.source {
        return None;
    }
    if day.first_source == Source::Manual {
        return Finding::points(
            100,
            "This day was first entered by hand and later sent as phone data; an admin will check it."
                .into(),
        );
    }
    Finding::points(
        40,
        format!(
            "This day was first reported from {} and later from {}.",
            day.first_source, day.source
        ),
    )
}

/// Earning starts at sign-up: earlier days are recorded but earn nothing.
fn before_signup(day: &DayFacts, _: &Settings) -> Option<Finding> {
    (day.days_since_signup() < 0).then_some(())?;
    Finding::earns_nothing(format!(
        "{} is before you joined FitKart on {}: these steps count in your history but don't earn coins.",
        day.date, day.signup_date
    ))
}

/// A date a time-zone change jumped over never began for the account: an account is
/// never paid for more local days than have begun since it signed up.
fn day_never_began(day: &DayFacts, _: &Settings) -> Option<Finding> {
    (day.days_since_signup() >= 0 && !day.day_began).then_some(())?;
    Finding::earns_nothing(format!(
        "{} never began for your account: your time zone changed overnight from one where it had not started yet to one where it was already over, so its steps count in your history but don't earn coins.",
        day.date
    ))
}

/// Above `anti_cheat_review_steps` a person looks; above `anti_cheat_max_auto_steps` a
/// day is never paid automatically.
fn daily_limit(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    if day.steps > settings.anti_cheat_max_auto_steps {
        Finding::points(
            100,
            format!(
                "{} steps in one day is more than we credit automatically ({}); an admin will review it.",
                fmt(day.steps),
                fmt(settings.anti_cheat_max_auto_steps)
            ),
        )
    } else if day.steps > settings.anti_cheat_review_steps {
        Finding::points(
            60,
            format!(
                "{} steps in one day is far above even very active days (over {}).",
                fmt(day.steps),
                fmt(settings.anti_cheat_review_steps)
            ),
        )
    } else {
        None
    }
}

/// New accounts on probation: a big day is checked by a person before it earns.
fn new_account_probation(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    let on_probation = (0..settings.new_account_days).contains(&day.days_since_signup());
    (on_probation && day.steps > settings.new_account_review_steps).then_some(())?;
    Finding::points(
        100,
        format!(
            "During an account's first {} days, a day above {} steps is checked by a person before it earns coins.",
            settings.new_account_days,
            fmt(settings.new_account_review_steps)
        ),
    )
}

/// HealthKit and Health Connect always have hourly buckets: a big day without them did
/// not come from a phone's own count.
fn hours_missing(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    let big = day.steps > settings.hourly_required_steps;
    (big && day.hourly_steps.is_none() && !day.is_manual()).then_some(())?;
    Finding::points(
        100,
        format!(
            "Phones report steps hour by hour; a day above {} steps without hourly counts is checked by a person.",
            fmt(settings.hourly_required_steps)
        ),
    )
}

/// A phone that sent hourly counts for the user's recent days and none for a day above
/// their goal: the numbers no longer come from the phone's own count.
fn hours_stopped(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    let stopped = day.hourly_steps.is_none() && day.recent_days_with_hours >= RECENT_HOURLY_DAYS;
    (stopped && day.steps > settings.daily_step_goal && !day.is_manual()).then_some(())?;
    Finding::points(
        60,
        format!(
            "Your phone sent hourly counts for your recent days but not for this one ({} steps); a person will check it.",
            fmt(day.steps)
        ),
    )
}

/// One device, one earner: a device another account used first holds this account's days.
fn shared_device(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    (day.earlier_accounts_on_device > 0).then_some(())?;
    Finding::points(
        100,
        format!(
            "This device synced steps for another FitKart account in the last {} days; its days for a second account are checked by a person.",
            settings.shared_device_days
        ),
    )
}

/// A spike against the user's own robust baseline (median and MAD of recent verified days).
fn personal_spike(day: &DayFacts, _: &Settings) -> Option<Finding> {
    if day.recent_verified_days.len() < MIN_BASELINE_DAYS {
        return None;
    }
    let m = median(&day.recent_verified_days)?;
    let deviations: Vec<i64> = day
        .recent_verified_days
        .iter()
        .map(|d| (*d as f64 - m).abs() as i64)
        .collect();
    let mad = median(&deviations).unwrap_or(0.0);
    // Scaled MAD estimates a standard deviation; floors keep a very regular walker from
    // being flagged for a modestly better day.
    let spread = (1.4826 * mad).max(0.25 * m).max(1_000.0);
    let steps = day.steps as f64;
    let z = (steps - m) / spread;
    if !(z > 6.0 && steps > 2.5 * m && day.steps > 15_000) {
        return None;
    }
    let ratio = steps / m.max(1.0);
    // An honest hike is 3-5 times a usual day and rarely above 30k; five times and more
    // on a bigger day is rarely a walk.
    let points = if ratio >= 5.0 && day.steps > SPIKE_HELD_STEPS {
        60
    } else {
        35
    };
    Finding::points(
        points,
        format!(
            "{} steps is {ratio:.1} times your usual {} a day.",
            fmt(day.steps),
            fmt(m.round() as i64)
        ),
    )
}

/// Very high days are occasional (a hike); several in one week are rarely walked. For a
/// user with a baseline, a very high day is also at least twice their usual (a very
/// active walker's 20k days are ordinary days); the validator counts the other days the
/// same way.
fn sustained_high_days(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    let usual = usual_day(&day.recent_verified_days);
    let high = day.steps >= settings.high_day_steps && day.steps as f64 >= 2.0 * usual;
    let in_week = day.other_high_days_nearby + 1;
    (high && in_week >= settings.high_days_per_week).then_some(())?;
    Finding::points(
        60,
        format!(
            "{in_week} days above {} steps within a week is rare; a person will check them.",
            fmt(settings.high_day_steps)
        ),
    )
}

/// Stride implied by distance outside what people step (phones estimate distance from
/// steps and height, so a real day is always inside it).
fn implausible_stride(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    let km = day.distance_km.filter(|d| *d > Decimal::ZERO)?;
    if day.steps < 1_000 {
        return None;
    }
    let stride = km * Decimal::from(1000) / Decimal::from(day.steps);
    if stride >= settings.anti_cheat_min_stride_m && stride <= settings.anti_cheat_max_stride_m {
        return None;
    }
    Finding::points(
        60,
        format!(
            "{} km for {} steps means {} m per step; people step {}-{} m.",
            km.round_dp(2).normalize(),
            fmt(day.steps),
            stride.round_dp(2).normalize(),
            settings.anti_cheat_min_stride_m,
            settings.anti_cheat_max_stride_m
        ),
    )
}

fn steps_without_distance(day: &DayFacts, _: &Settings) -> Option<Finding> {
    let none = day.distance_km.is_none_or(|d| d <= Decimal::ZERO);
    (none && day.steps >= DISTANCE_FREE_STEPS && !day.is_manual()).then_some(())?;
    Finding::points(
        60,
        format!(
            "{} steps were recorded without any distance.",
            fmt(day.steps)
        ),
    )
}

fn calories_per_step(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    let kcal = day.calories.filter(|c| *c > Decimal::ZERO)?;
    if day.steps < 1_000 {
        return None;
    }
    let per_step = kcal / Decimal::from(day.steps);
    if per_step >= settings.anti_cheat_min_kcal_per_step
        && per_step <= settings.anti_cheat_max_kcal_per_step
    {
        return None;
    }
    Finding::points(
        25,
        format!(
            "{} kcal for {} steps is outside the usual {}-{} kcal per step.",
            kcal.round_dp(0),
            fmt(day.steps),
            settings.anti_cheat_min_kcal_per_step,
            settings.anti_cheat_max_kcal_per_step
        ),
    )
}

/// Any hour above the human cadence limit.
fn impossible_cadence(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    let hours = day.hourly_steps.as_ref()?;
    let hour_limit = settings.anti_cheat_max_steps_per_minute * 60;
    let (hour, steps) = hours
        .iter()
        .enumerate()
        .find(|(_, s)| i64::from(**s) > hour_limit)?;
    Finding::points(
        100,
        format!(
            "{} steps between {:02}:00 and {:02}:00 is more than {} steps a minute for a whole hour.",
            fmt(i64::from(*steps)),
            hour,
            hour + 1,
            settings.anti_cheat_max_steps_per_minute
        ),
    )
}

/// The longest run of consecutive active hours whose counts stay within 2% of each other:
/// phones on a swinger or cradle.
fn machine_flat_hours(day: &DayFacts, _: &Settings) -> Option<Finding> {
    let hours = day.hourly_steps.as_ref()?;
    let mut longest = 0;
    for start in 0..hours.len() {
        let (mut lo, mut hi) = (i32::MAX, i32::MIN);
        for (end, &steps) in hours.iter().enumerate().skip(start) {
            lo = lo.min(steps);
            hi = hi.max(steps);
            if lo < FLAT_MIN_STEPS || f64::from(hi - lo) > 0.02 * f64::from(hi) {
                break;
            }
            longest = longest.max(end + 1 - start);
        }
    }
    (longest >= FLAT_RUN_HOURS).then_some(())?;
    Finding::points(
        60,
        format!("{longest} hours in a row with nearly identical step counts look like a phone swinger or cradle."),
    )
}

/// Heavy activity between 02:00 and 05:00 local.
fn night_walking(day: &DayFacts, _: &Settings) -> Option<Finding> {
    let hours = day.hourly_steps.as_ref()?;
    let night: i64 = hours.get(NIGHT_HOURS)?.iter().map(|s| i64::from(*s)).sum();
    let points = match night {
        n if n > NIGHT_STEPS_HELD => 60,
        n if n > NIGHT_STEPS => 30,
        _ => return None,
    };
    Finding::points(
        points,
        format!("{} steps between 02:00 and 05:00.", fmt(night)),
    )
}

/// A phone's count for a day only grows: one lowered and then raised past where it was
/// is being edited. (The sync records a lowering only when the count drops by more than
/// 10%: less is a platform merging a watch's and a phone's counts.)
fn lowered_then_raised(day: &DayFacts, _: &Settings) -> Option<Finding> {
    let (from, to) = day.lowered?;
    (day.steps > from).then_some(())?;
    Finding::points(
        60,
        format!(
            "This day's count went down from {} to {} and then up to {}; a phone's count only grows during a day.",
            fmt(from),
            fmt(to),
            fmt(day.steps)
        ),
    )
}

fn late_backfill(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    (day.reported_days_late > settings.anti_cheat_late_backfill_days).then_some(())?;
    Finding::points(
        15,
        format!(
            "These steps were first reported {} days after the day.",
            day.reported_days_late
        ),
    )
}

/// A day paid on time and raised long after: the increase waits for a person like a late
/// day (what was paid stays paid). Small late corrections, a watch syncing the evening,
/// pass.
fn late_increase(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    let increase = day.late_increase();
    (increase > settings.anti_cheat_late_increase_steps).then_some(())?;
    Finding::points(
        60,
        format!(
            "This day grew by {} steps more than {} days after it; a person will check the increase (what was already paid stays paid).",
            fmt(increase),
            settings.anti_cheat_late_backfill_days
        ),
    )
}

/// Many hours in a row at an almost steady pace: a phone on a swing or a cradle, even
/// with a little noise added to every hour.
fn steady_hours(day: &DayFacts, _: &Settings) -> Option<Finding> {
    let span = super::features::active_span(day.hourly_steps.as_deref()?);
    (span.len() >= STEADY_SPAN_HOURS).then_some(())?;
    let variation = super::features::span_variation(span)?;
    (variation < STEADY_VARIATION).then_some(())?;
    Finding::points(
        60,
        format!(
            "{} hours in a row at an almost steady pace (within about {:.0}% of each other) look like a phone on a swing; people walk in bursts.",
            span.len(),
            (variation * 200.0).max(1.0)
        ),
    )
}

/// A day just under a limit, when the walker's recent days keep landing there too.
fn hovering_under_limits(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    day.just_under_a_limit(settings).then_some(())?;
    let others = day.recent_days_just_under(settings, 14);
    (others >= HOVERING_DAYS).then_some(())?;
    Finding::points(
        60,
        format!(
            "{} steps is just under one of our limits, as were {others} of your last two weeks' days; a person will check them.",
            fmt(day.steps)
        ),
    )
}

/// Steps written by an app FitKart does not know (`step_writers_allowed`): step-faker
/// apps write plausible hours under their own id, bridge apps re-write typed-in steps
/// without the manual flag. Held for a person, who can add a real app to the list.
fn unlisted_writer(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    let sources = day.sources.as_deref()?;
    let (steps, apps) = crate::steps::provenance::unlisted(sources, &settings.step_writers_allowed);
    let share = steps as f64 / day.steps.max(1) as f64;
    (steps >= UNLISTED_MIN_STEPS && share >= UNLISTED_SHARE).then_some(())?;
    Finding::points(
        60,
        format!(
            "{} of the day's steps came from an app we don't know yet ({}); an admin will check it.",
            fmt(steps.min(day.steps)),
            apps.join(", ")
        ),
    )
}

/// The day's main writer is an app the walker did not use on any of their recent days,
/// and the day is far above their usual one: a new phone or watch at the walker's usual
/// level is just a new device.
fn provenance_shift(day: &DayFacts, _: &Settings) -> Option<Finding> {
    let writer = crate::steps::provenance::main_writer(day.sources.as_deref()?)?;
    let known: Vec<&str> = day
        .recent_days
        .iter()
        .take(super::WRITER_DAYS)
        .filter_map(|d| d.main_writer.as_deref())
        .collect();
    (known.len() >= SHIFT_RECENT_DAYS && !known.contains(&writer)).then_some(())?;
    let usual = usual_day(&day.recent_verified_days);
    (usual > 0.0 && day.steps as f64 >= SHIFT_SPIKE * usual && day.steps >= SHIFT_MIN_STEPS)
        .then_some(())?;
    Finding::points(
        40,
        format!(
            "{} steps came mostly from {}, which none of your recent days came from, at over twice your usual {}.",
            fmt(day.steps),
            writer,
            fmt(usual.round() as i64)
        ),
    )
}

/// The same 24 hourly counts on two or more other accounts' same day: people's hours never
/// match to the step, a script's always do. (One other account is a phone two people
/// share, which `shared_device` judges by the device.)
fn same_hours_as_other_accounts(day: &DayFacts, _: &Settings) -> Option<Finding> {
    (day.accounts_with_same_hours >= SAME_HOURS_OTHER_ACCOUNTS).then_some(())?;
    Finding::points(
        60,
        format!(
            "This day's hourly counts are exactly those of {} other account{} on the same day; an admin will check it.",
            day.accounts_with_same_hours,
            if day.accounts_with_same_hours == 1 { "" } else { "s" }
        ),
    )
}

/// Push cadence is not step cadence: everyday wheeling is 30-60 pushes a minute in
/// bouts; a whole hour above `anti_cheat_max_pushes_per_minute`, or a day above
/// `anti_cheat_review_pushes`, is a device on something else.
fn implausible_pushes(day: &DayFacts, settings: &Settings) -> Option<Finding> {
    if day.pushes == 0 {
        return None;
    }
    let hour_limit = settings.anti_cheat_max_pushes_per_minute * 60;
    if let Some((hour, pushes)) = day.hourly_pushes.as_ref().and_then(|h| {
        h.iter()
            .enumerate()
            .find(|(_, p)| i64::from(**p) > hour_limit)
    }) {
        return Finding::points(
            100,
            format!(
                "{} pushes between {:02}:00 and {:02}:00 is more than {} pushes a minute for a whole hour.",
                fmt(i64::from(*pushes)),
                hour,
                hour + 1,
                settings.anti_cheat_max_pushes_per_minute
            ),
        );
    }
    (day.pushes > settings.anti_cheat_review_pushes).then_some(())?;
    Finding::points(
        60,
        format!(
            "{} pushes in one day is more than we credit without a look ({}); an admin will review it.",
            fmt(day.pushes),
            fmt(settings.anti_cheat_review_pushes)
        ),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    //! One table per rule: days that trip it and the nearest days that don't, with the
    //! seeded thresholds.

    use super::*;
    use crate::steps::anticheat::RecentDay;
    use crate::steps::provenance::{DeviceType, RecordingMethod, SourceShare};

    /// An active commuter: 24 hours summing to `steps`, mostly daytime, never flat.
    pub fn daytime_hours(steps: i64) -> Vec<i32> {
        let weights = [
            0, 0, 0, 0, 0, 0, 2, 6, 9, 5, 4, 6, 10, 7, 4, 5, 6, 10, 12, 8, 4, 2, 0, 0,
        ];
        let total: i64 = weights.iter().sum();
        let mut hours: Vec<i32> = weights.iter().map(|w| (steps * w / total) as i32).collect();
        hours[18] += (steps - hours.iter().map(|h| i64::from(*h)).sum::<i64>()) as i32;
        hours
    }

    /// A plausible phone day of `steps`: hours, 0.75 m strides, 0.04 kcal a step.
    fn phone_day(steps: i64) -> DayFacts {
        DayFacts {
            steps,
            hourly_steps: Some(daytime_hours(steps)),
            distance_km: Some(Decimal::from(steps) * Decimal::new(75, 5)),
            calories: Some(Decimal::from(steps) * Decimal::new(4, 2)),
            recent_verified_days: vec![7_800, 8_400, 6_900, 9_100, 8_000, 7_600, 8_800, 9_300],
            ..DayFacts::default()
        }
    }

    /// Asserts each (label, day, expected points or None) against `rule`.
    fn table(rule: &str, cases: &[(&str, DayFacts, Option<u32>)]) {
        let rule = RULES.iter().find(|r| r.name == rule).expect("a known rule");
        let settings = Settings::defaults();
        for (label, day, expected) in cases {
            let finding = (rule.check)(day, &settings);
            assert_eq!(
                finding.as_ref().map(|f| f.points),
                *expected,
                "{}: {label}: {finding:?}",
                rule.name
            );
            if let Some(f) = finding {
                assert!(
                    f.reason.ends_with('.'),
                    "{}: a sentence: {}",
                    rule.name,
                    f.reason
                );
            }
        }
    }

    #[test]
    fn manual_entry() {
        table(
            "manual_entry",
            &[
                (
                    "typed in",
                    DayFacts {
                        source: Source::Manual,
                        ..phone_day(4_000)
                    },
                    Some(100),
                ),
                (
                    "most of it typed into Health, sent as phone data",
                    DayFacts {
                        manual_steps: 6_000,
                        ..phone_day(9_000)
                    },
                    Some(100),
                ),
                ("from a phone", phone_day(4_000), None),
                (
                    "a phone day with a short walk typed in",
                    DayFacts {
                        manual_steps: 1_200,
                        ..phone_day(9_000)
                    },
                    None,
                ),
            ],
        );
    }

    #[test]
    fn relabelled_day() {
        let first = |source: &str| DayFacts {
            first_source: Source::parse(source).unwrap(),
            ..phone_day(9_000)
        };
        table(
            "relabelled_day",
            &[
                ("typed, then sent as phone data", first("manual"), Some(100)),
                ("another phone platform", first("google_fit"), Some(40)),
                ("the same source", first("health_connect"), None),
            ],
        );
    }

    #[test]
    fn before_signup() {
        let joined = |days_before_day: i64| DayFacts {
            signup_date: DayFacts::default().date - chrono::Days::new(0)
                + chrono::Duration::days(-days_before_day),
            ..phone_day(9_000)
        };
        let settings = Settings::defaults();
        let before = super::before_signup(&joined(-1), &settings).unwrap();
        assert!(before.earns_nothing && before.reason.contains("before you joined"));
        assert!(
            super::before_signup(&joined(0), &settings).is_none(),
            "sign-up day earns"
        );
    }

    #[test]
    fn day_never_began() {
        let settings = Settings::defaults();
        let skipped = DayFacts {
            day_began: false,
            ..phone_day(9_000)
        };
        let finding = super::day_never_began(&skipped, &settings).unwrap();
        assert!(finding.earns_nothing && finding.reason.contains("never began"));
        assert!(super::day_never_began(&phone_day(9_000), &settings).is_none());
        // A date before sign-up says so instead (one reason per day).
        let before = DayFacts {
            signup_date: DayFacts::default().date + chrono::Days::new(1),
            ..skipped
        };
        assert!(super::day_never_began(&before, &settings).is_none());
    }

    #[test]
    fn daily_limit() {
        table(
            "daily_limit",
            &[
                ("over the automatic maximum", phone_day(100_001), Some(100)),
                ("at the automatic maximum", phone_day(100_000), Some(60)),
                ("over the review line", phone_day(50_001), Some(60)),
                ("at the review line", phone_day(50_000), None),
            ],
        );
    }

    #[test]
    fn new_account_probation() {
        let new = |days: i64, steps: i64| DayFacts {
            signup_date: DayFacts::default().date - chrono::Days::new(days as u64),
            ..phone_day(steps)
        };
        table(
            "new_account_probation",
            &[
                ("day 0, just over", new(0, 25_001), Some(100)),
                ("day 13, just over", new(13, 25_001), Some(100)),
                ("day 0, at the line", new(0, 25_000), None),
                ("day 14: probation over", new(14, 40_000), None),
            ],
        );
    }

    #[test]
    fn hours_missing() {
        let no_hours = |steps: i64| DayFacts {
            hourly_steps: None,
            ..phone_day(steps)
        };
        table(
            "hours_missing",
            &[
                ("a big day without hours", no_hours(15_001), Some(100)),
                ("at the line", no_hours(15_000), None),
                ("a big day with hours", phone_day(15_001), None),
                (
                    "typed in (held by manual_entry instead)",
                    DayFacts {
                        source: Source::Manual,
                        ..no_hours(20_000)
                    },
                    None,
                ),
            ],
        );
    }

    #[test]
    fn hours_stopped() {
        let without = |steps: i64, recent: i64| DayFacts {
            hourly_steps: None,
            recent_days_with_hours: recent,
            ..phone_day(steps)
        };
        table(
            "hours_stopped",
            &[
                (
                    "the phone stopped sending hours",
                    without(14_999, 7),
                    Some(60),
                ),
                ("at the goal", without(10_000, 7), None),
                ("never sent hours", without(14_999, 0), None),
                ("with hours", phone_day(14_999), None),
            ],
        );
    }

    #[test]
    fn shared_device() {
        table(
            "shared_device",
            &[
                (
                    "another account used the device first",
                    DayFacts {
                        earlier_accounts_on_device: 1,
                        ..phone_day(8_000)
                    },
                    Some(100),
                ),
                ("the device's first account", phone_day(8_000), None),
            ],
        );
    }

    #[test]
    fn personal_spike() {
        table(
            "personal_spike",
            &[
                ("seven times usual", phone_day(49_999), Some(60)),
                (
                    "a hike, three and a half times usual",
                    phone_day(28_000),
                    Some(35),
                ),
                ("twice usual", phone_day(17_000), None),
                (
                    "no baseline yet",
                    DayFacts {
                        recent_verified_days: vec![8_000; 6],
                        ..phone_day(49_999)
                    },
                    None,
                ),
            ],
        );
    }

    #[test]
    fn sustained_high_days() {
        let week = |others: i64, steps: i64| DayFacts {
            other_high_days_nearby: others,
            ..phone_day(steps)
        };
        table(
            "sustained_high_days",
            &[
                ("a third high day", week(2, 20_000), Some(60)),
                ("a second high day", week(1, 24_000), None),
                ("a normal day in a high week", week(3, 19_999), None),
                (
                    "an ordinary day for a very active walker",
                    DayFacts {
                        recent_verified_days: vec![14_000; 10],
                        ..week(3, 26_000)
                    },
                    None,
                ),
                (
                    "twice a very active walker's usual",
                    DayFacts {
                        recent_verified_days: vec![14_000; 10],
                        ..week(3, 28_000)
                    },
                    Some(60),
                ),
            ],
        );
    }

    #[test]
    fn implausible_stride() {
        let distance = |km: i64| DayFacts {
            distance_km: Some(Decimal::from(km)),
            ..phone_day(10_000)
        };
        table(
            "implausible_stride",
            &[
                ("2.5 m a step", distance(25), Some(60)),
                ("0.2 m a step", distance(2), Some(60)),
                ("1.6 m a step (a run)", distance(16), None),
                ("0.3 m a step", distance(3), None),
            ],
        );
    }

    #[test]
    fn steps_without_distance() {
        let bare = |steps: i64| DayFacts {
            distance_km: None,
            ..phone_day(steps)
        };
        table(
            "steps_without_distance",
            &[
                ("25,000 steps, no distance", bare(25_000), Some(60)),
                ("24,999 steps, no distance", bare(24_999), None),
                ("25,000 steps with distance", phone_day(25_000), None),
            ],
        );
    }

    #[test]
    fn calories_per_step() {
        let kcal = |kcal: i64| DayFacts {
            calories: Some(Decimal::from(kcal)),
            ..phone_day(10_000)
        };
        table(
            "calories_per_step",
            &[
                ("0.5 kcal a step", kcal(5_000), Some(25)),
                ("0.01 kcal a step", kcal(100), Some(25)),
                ("0.2 kcal a step", kcal(2_000), None),
                ("0.02 kcal a step", kcal(200), None),
            ],
        );
    }

    #[test]
    fn impossible_cadence() {
        let hour = |steps: i32| {
            let mut day = phone_day(20_000);
            let mut hours = vec![0; 24];
            hours[14] = steps;
            hours[15] = 20_000 - steps;
            day.hourly_steps = Some(hours);
            day
        };
        table(
            "impossible_cadence",
            &[
                ("251 steps a minute for an hour", hour(15_060), Some(100)),
                ("250 steps a minute for an hour", hour(15_000), None),
            ],
        );
    }

    #[test]
    fn machine_flat_hours() {
        let flat = |hours_flat: usize| {
            let mut hours = daytime_hours(8_000);
            for (i, h) in hours.iter_mut().enumerate().skip(9).take(hours_flat) {
                *h = 3_000 + (i as i32 % 2) * 30;
            }
            DayFacts {
                steps: hours.iter().map(|h| i64::from(*h)).sum(),
                hourly_steps: Some(hours),
                ..DayFacts::default()
            }
        };
        table(
            "machine_flat_hours",
            &[
                ("five flat hours", flat(5), Some(60)),
                ("four flat hours", flat(4), None),
                ("a commuter", phone_day(8_000), None),
            ],
        );
    }

    #[test]
    fn night_walking() {
        let night = |per_hour: i32| {
            let mut day = phone_day(8_000);
            let hours = day.hourly_steps.as_mut().unwrap();
            for hour in &mut hours[2..5] {
                *hour = per_hour;
            }
            day
        };
        table(
            "night_walking",
            &[
                ("6,003 steps at night", night(2_001), Some(60)),
                ("3,003 steps at night", night(1_001), Some(30)),
                ("3,000 steps at night", night(1_000), None),
            ],
        );
    }

    #[test]
    fn lowered_then_raised() {
        let edited = |lowered: Option<(i64, i64)>, steps: i64| DayFacts {
            lowered,
            ..phone_day(steps)
        };
        table(
            "lowered_then_raised",
            &[
                (
                    "down to 1,000, up past 9,000",
                    edited(Some((9_000, 1_000)), 24_000),
                    Some(60),
                ),
                (
                    "down, then back to where it was",
                    edited(Some((9_000, 1_000)), 9_000),
                    None,
                ),
                ("only ever grew", edited(None, 24_000), None),
            ],
        );
    }

    #[test]
    fn late_increase() {
        let raised = |version: i32, on_time: Option<i64>, verified: i64, steps: i64| DayFacts {
            version,
            on_time_steps: on_time,
            verified_before: verified,
            ..phone_day(steps)
        };
        table(
            "late_increase",
            &[
                (
                    "paid at 6,000, raised to 19,000 late",
                    raised(2, Some(6_000), 6_000, 19_000),
                    Some(60),
                ),
                (
                    "held at 6,000, raised to 19,000 late",
                    raised(2, Some(6_000), 0, 19_000),
                    Some(60),
                ),
                (
                    "a watch's evening, 1,500 more",
                    raised(3, Some(6_000), 6_000, 7_500),
                    None,
                ),
                ("1,501 more", raised(2, Some(6_000), 6_000, 7_501), Some(60)),
                (
                    "what an admin approved",
                    raised(3, Some(6_000), 19_000, 19_200),
                    None,
                ),
                (
                    "a late first report (late_backfill's)",
                    raised(1, None, 0, 19_000),
                    None,
                ),
                (
                    "a day from before on-time counts were kept",
                    raised(2, None, 8_000, 8_900),
                    None,
                ),
            ],
        );
    }

    #[test]
    fn steady_hours() {
        let steady = |hours: usize, wobble: i32| {
            let mut h = vec![0; 24];
            for (i, hour) in h.iter_mut().enumerate().skip(6).take(hours) {
                *hour = 1_300 + if i % 2 == 0 { wobble } else { -wobble };
            }
            DayFacts {
                steps: h.iter().map(|x| i64::from(*x)).sum(),
                hourly_steps: Some(h),
                ..DayFacts::default()
            }
        };
        table(
            "steady_hours",
            &[
                ("18 hours at 1,300 ±5%", steady(18, 65), Some(60)),
                ("10 hours at 1,300 ±10%", steady(10, 130), Some(60)),
                ("9 steady hours", steady(9, 65), None),
                ("18 hours at 1,300 ±20%", steady(18, 260), None),
                ("a commuter", phone_day(12_000), None),
            ],
        );
    }

    #[test]
    fn hovering_under_limits() {
        let day = |steps: i64, recent: &[i64]| DayFacts {
            recent_days: recent
                .iter()
                .map(|s| super::super::RecentDay {
                    steps: *s,
                    ..Default::default()
                })
                .collect(),
            ..phone_day(steps)
        };
        table(
            "hovering_under_limits",
            &[
                (
                    "third day at 19,950",
                    day(19_950, &[19_900, 8_000, 19_800]),
                    Some(60),
                ),
                (
                    "under 20k, 15k without hours and 50k",
                    day(49_990, &[14_990, 49_999]),
                    Some(60),
                ),
                ("once before", day(19_950, &[19_900, 8_000, 9_000]), None),
                (
                    "today is not under a limit",
                    day(21_000, &[19_990, 19_990]),
                    None,
                ),
                (
                    "just under 15k with hours is just a good day",
                    day(14_990, &[19_990, 19_990]),
                    None,
                ),
                (
                    "an ordinary walker",
                    day(8_000, &[7_000, 9_000, 6_500]),
                    None,
                ),
            ],
        );
    }

    #[test]
    fn late_backfill() {
        let late = |days: i64| DayFacts {
            reported_days_late: days,
            ..phone_day(8_000)
        };
        table(
            "late_backfill",
            &[
                ("four days late", late(4), Some(15)),
                ("three days late", late(3), None),
            ],
        );
    }

    fn source(app: &str, device: DeviceType, method: RecordingMethod, steps: i64) -> SourceShare {
        SourceShare {
            app_id: app.into(),
            device_type: device,
            recording_method: method,
            steps,
            pushes: None,
            hourly_steps: None,
        }
    }

    /// A phone day whose steps `app` recorded automatically on a phone.
    fn written_by(app: &str, steps: i64) -> DayFacts {
        DayFacts {
            sources: Some(vec![source(
                app,
                DeviceType::Phone,
                RecordingMethod::Automatic,
                steps,
            )]),
            ..phone_day(steps)
        }
    }

    #[test]
    fn unlisted_writer() {
        let watch_and_faker = DayFacts {
            sources: Some(vec![
                source(
                    "com.apple.health.W",
                    DeviceType::Watch,
                    RecordingMethod::Automatic,
                    3_000,
                ),
                source(
                    "com.fakesteps.pro",
                    DeviceType::Phone,
                    RecordingMethod::Active,
                    9_000,
                ),
            ]),
            ..phone_day(11_000)
        };
        let small_extra = DayFacts {
            sources: Some(vec![
                source(
                    "com.apple.health.W",
                    DeviceType::Watch,
                    RecordingMethod::Automatic,
                    9_000,
                ),
                source(
                    "com.tiny.app",
                    DeviceType::Phone,
                    RecordingMethod::Automatic,
                    800,
                ),
            ]),
            ..phone_day(9_000)
        };
        table(
            "unlisted_writer",
            &[
                (
                    "a faker app",
                    written_by("com.fakesteps.pro", 14_000),
                    Some(60),
                ),
                (
                    "a bridge app re-writing typed steps",
                    written_by("com.bridge.sync", 15_000),
                    Some(60),
                ),
                ("beside a watch", watch_and_faker, Some(60)),
                (
                    "the iPhone's own steps",
                    written_by("com.apple.health.8F2A-11", 14_000),
                    None,
                ),
                (
                    "Health Connect's own steps",
                    written_by("android", 14_000),
                    None,
                ),
                ("a few steps from a small app", small_extra, None),
                ("no breakdown (an older app)", phone_day(14_000), None),
            ],
        );
    }

    #[test]
    fn provenance_shift() {
        let with_history = |day: DayFacts, writer: &str| DayFacts {
            recent_days: (1..=10)
                .map(|d| RecentDay {
                    date: day.date - chrono::Days::new(d),
                    steps: 8_000,
                    main_writer: Some(writer.into()),
                    ..RecentDay::default()
                })
                .collect(),
            ..day
        };
        table(
            "provenance_shift",
            &[
                (
                    "a new writer at three times the usual day",
                    with_history(written_by("com.garmin.connect.mobile", 26_000), "android"),
                    Some(40),
                ),
                (
                    "a new watch at the usual level",
                    with_history(written_by("com.garmin.connect.mobile", 8_500), "android"),
                    None,
                ),
                (
                    "the usual writer on a big day",
                    with_history(written_by("android", 26_000), "android"),
                    None,
                ),
                (
                    "no recent provenance to compare with",
                    written_by("com.garmin.connect.mobile", 26_000),
                    None,
                ),
            ],
        );
    }

    #[test]
    fn same_hours_as_other_accounts() {
        let copied = DayFacts {
            accounts_with_same_hours: 3,
            ..phone_day(12_000)
        };
        table(
            "same_hours_as_other_accounts",
            &[
                ("three other accounts, the same hours", copied, Some(60)),
                (
                    "one other account (a shared phone: the device's rule)",
                    DayFacts {
                        accounts_with_same_hours: 1,
                        ..phone_day(12_000)
                    },
                    None,
                ),
                ("hours of its own", phone_day(12_000), None),
            ],
        );
    }

    #[test]
    fn implausible_pushes() {
        let pusher = |pushes: i64, busiest_hour: i32| {
            let mut hours = vec![0; 24];
            hours[10] = busiest_hour;
            hours[14] = (pushes - i64::from(busiest_hour)) as i32;
            DayFacts {
                pushes,
                hourly_pushes: Some(hours),
                ..phone_day(0)
            }
        };
        let untimed = DayFacts {
            pushes: 24_000,
            ..phone_day(0)
        };
        table(
            "implausible_pushes",
            &[
                (
                    "an hour at 120 pushes a minute",
                    pusher(9_000, 7_200),
                    Some(100),
                ),
                ("a day of 24,000 pushes", untimed, Some(60)),
                ("an active day of wheeling", pusher(6_000, 3_300), None),
                ("a walker's day", phone_day(9_000), None),
            ],
        );
    }

    #[test]
    fn every_rule_has_a_table_test_and_a_unique_name() {
        let source = include_str!("rules.rs");
        for rule in RULES {
            assert!(
                source.contains(&format!("    fn {}() {{", rule.name)),
                "{} has no table test",
                rule.name
            );
            assert_eq!(RULES.iter().filter(|r| r.name == rule.name).count(), 1);
        }
    }
}
