//! What the learned model sees of a day: numbers computed from the same facts the rules
//! read, in the same pass, stored with the verdict. The first twelve describe the day
//! alone; the rest describe the *walker* across recent weeks, because a cheat that looks
//! ordinary on one day rarely looks ordinary every day (a phone on a swing is flat within
//! a day and the same every day; people are bursty and vary).
//!
//! A value the day does not have (no distance, no hourly counts, no history yet) is
//! `MISSING`, a value no real day takes, so "missing" is a pattern the model can learn.

use super::{usual_day, DayFacts, RecentDay};
use crate::settings::Settings;

pub const N: usize = 20;

/// A value the day does not have.
pub const MISSING: f64 = -1.0;

/// The features, in order, with how a person reads an unusually high or low value.
pub const FEATURES: [(&str, &str, &str); N] = [
    ("log_steps", "very many steps", "very few steps"),
    (
        "stride_m",
        "an unusually long stride",
        "an unusually short stride",
    ),
    (
        "kcal_per_step",
        "unusually many calories per step",
        "unusually few calories per step",
    ),
    (
        "hour_entropy",
        "very even hours",
        "steps bunched into few hours",
    ),
    (
        "night_share",
        "much walking at night",
        "no walking at night",
    ),
    (
        "peak_steps_per_minute",
        "a very fast busiest hour",
        "a very slow busiest hour",
    ),
    (
        "flat_hours",
        "identical counts hour after hour",
        "no repeated hourly counts",
    ),
    (
        "ratio_to_usual",
        "far above your usual day",
        "far below your usual day",
    ),
    (
        "log_days_since_signup",
        "an old account",
        "a brand-new account",
    ),
    (
        "days_late",
        "a day reported long after",
        "a day reported at once",
    ),
    (
        "manual_source",
        "steps typed in by hand",
        "steps from a phone",
    ),
    (
        "earlier_accounts_on_device",
        "a phone other accounts used first",
        "a phone of its own",
    ),
    // The walker across weeks.
    (
        "active_hours_variation",
        "very uneven hours",
        "a machine-steady pace hour after hour",
    ),
    (
        "hour_to_hour_change",
        "abrupt changes from hour to hour",
        "hours that glide into each other without the bursts of walking",
    ),
    (
        "same_hours_as_recent_days",
        "the same hours as your recent days, almost exactly",
        "hours unlike your recent days",
    ),
    (
        "recent_days_variation",
        "days that vary a lot",
        "recent days that hardly vary from one to the next",
    ),
    (
        "deviation_from_your_history",
        "far above what your own history makes likely",
        "far below what your own history makes likely",
    ),
    (
        "share_just_under_a_limit",
        "many recent days just under a limit",
        "no days just under a limit",
    ),
    (
        "share_grown_late",
        "recent days that grew long after they were reported",
        "days that never grew late",
    ),
    (
        "late_increase_thousands",
        "a large increase reported long after the day",
        "no late increase",
    ),
];

/// How many of the walker's recent days the walker features read (at most).
const RECENT: usize = 14;
/// A day within this share under a limit sits "just under" it.
pub const JUST_UNDER: f64 = 0.04;
/// Steps without any distance above which a day is held (`steps_without_distance`).
pub const DISTANCE_FREE_STEPS: i64 = 25_000;

/// Whether `steps` sits within `JUST_UNDER` below a limit that would have held the day
/// above it: the review limit and the high-day limit always, the probation limit while the
/// account is new, the hourly-counts limit for a day without them, the distance limit for
/// a day without distance. (A limit that would not have applied is no reason to aim under
/// it, and an honest 14,900-step day with hours is just a good day.)
pub fn just_under(
    steps: i64,
    settings: &Settings,
    has_hours: bool,
    has_distance: bool,
    days_since_signup: i64,
) -> bool {
    let on_probation = (0..settings.new_account_days).contains(&days_since_signup);
    [
        Some(settings.anti_cheat_review_steps),
        Some(settings.high_day_steps),
        on_probation.then_some(settings.new_account_review_steps),
        (!has_hours).then_some(settings.hourly_required_steps),
        (!has_distance).then_some(DISTANCE_FREE_STEPS),
    ]
    .into_iter()
    .flatten()
    .any(|l| steps <= l && steps as f64 >= l as f64 * (1.0 - JUST_UNDER))
}

/// The active span of a day: the hours from the first to the last with at least 100 steps
/// (a phone's count ticks over a little at night; walking is what matters).
pub fn active_span(hours: &[i32]) -> &[i32] {
    let first = hours.iter().position(|h| *h >= 100);
    let last = hours.iter().rposition(|h| *h >= 100);
    match (first, last) {
        (Some(a), Some(b)) => &hours[a..=b],
        _ => &[],
    }
}

/// The coefficient of variation of the hours in the active span (their standard deviation
/// over their mean): a swing at ±5% is about 0.03; a person's day is above 0.5.
pub fn span_variation(span: &[i32]) -> Option<f64> {
    if span.len() < 3 {
        return None;
    }
    let values: Vec<f64> = span.iter().map(|h| f64::from(*h)).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
    (mean > 0.0).then(|| var.sqrt() / mean)
}

/// The mean change from one active hour to the next, over the mean hour.
fn hour_to_hour_change(span: &[i32]) -> Option<f64> {
    if span.len() < 3 {
        return None;
    }
    let mean = span.iter().map(|h| f64::from(*h)).sum::<f64>() / span.len() as f64;
    let change = span
        .windows(2)
        .map(|w| f64::from((w[1] - w[0]).abs()))
        .sum::<f64>()
        / (span.len() - 1) as f64;
    (mean > 0.0).then(|| change / mean)
}

/// The cosine similarity of two days' hourly counts: 1 for the same shape.
fn similarity(a: &[i32], b: &[i32]) -> Option<f64> {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let norm = |v: &[i32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    (na > 0.0 && nb > 0.0).then(|| dot / (na * nb))
}

/// How alike the day's hours are to the walker's recent days' (their mean similarity).
fn same_hours(hours: &[i32], recent: &[RecentDay]) -> Option<f64> {
    let similar: Vec<f64> = recent
        .iter()
        .take(RECENT)
        .filter_map(|d| similarity(hours, d.hourly_steps.as_deref()?))
        .collect();
    (similar.len() >= 3).then(|| similar.iter().sum::<f64>() / similar.len() as f64)
}

/// The walker's recent daily totals' coefficient of variation.
fn recent_variation(recent: &[RecentDay]) -> Option<f64> {
    let days: Vec<f64> = recent
        .iter()
        .take(RECENT)
        .map(|d| d.steps as f64)
        .filter(|s| *s > 0.0)
        .collect();
    if days.len() < 5 {
        return None;
    }
    let mean = days.iter().sum::<f64>() / days.len() as f64;
    let var = days.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / days.len() as f64;
    Some(var.sqrt() / mean)
}

/// How far the day is from the walker's history, in robust standard deviations (median
/// and scaled MAD of the recent days, with floors so a very regular walker's better day is
/// not extreme), capped at ±10.
fn deviation(steps: i64, recent: &[RecentDay]) -> Option<f64> {
    let days: Vec<i64> = recent.iter().take(30).map(|d| d.steps).collect();
    if days.len() < super::MIN_BASELINE_DAYS {
        return None;
    }
    let m = super::median(&days)?;
    let deviations: Vec<i64> = days.iter().map(|d| (*d as f64 - m).abs() as i64).collect();
    let mad = super::median(&deviations).unwrap_or(0.0);
    let spread = (1.4826 * mad).max(0.1 * m).max(500.0);
    Some(((steps as f64 - m) / spread).clamp(-10.0, 10.0))
}

/// The day's features (see `FEATURES`).
pub fn of(day: &DayFacts, settings: &Settings) -> [f64; N] {
    let steps = day.steps.max(0) as f64;
    let per_step = |value: Option<rust_decimal::Decimal>, scale: f64| -> f64 {
        match value.and_then(|v| rust_decimal::prelude::ToPrimitive::to_f64(&v)) {
            Some(v) if steps > 0.0 => v * scale / steps,
            _ => MISSING,
        }
    };
    let hours = day
        .hourly_steps
        .as_ref()
        .filter(|h| h.iter().any(|s| *s > 0));
    let (entropy, night, peak, flat) = match hours {
        None => (MISSING, MISSING, MISSING, MISSING),
        Some(hours) => {
            let total: f64 = hours.iter().map(|s| f64::from((*s).max(0))).sum();
            let entropy = hours
                .iter()
                .map(|s| f64::from((*s).max(0)) / total)
                .filter(|p| *p > 0.0)
                .map(|p| -p * p.ln())
                .sum::<f64>()
                / (hours.len().max(2) as f64).ln();
            let night = hours
                .iter()
                .take(5)
                .map(|s| f64::from((*s).max(0)))
                .sum::<f64>()
                / total;
            let peak = f64::from(hours.iter().copied().max().unwrap_or(0)) / 60.0;
            (entropy, night, peak, longest_flat_run(hours) as f64)
        }
    };
    let span = hours.map(|h| active_span(h)).unwrap_or_default();
    let usual = usual_day(&day.recent_verified_days);
    let recent = &day.recent_days[..day.recent_days.len().min(RECENT)];
    let under = (day.just_under_a_limit(settings) as usize
        + day.recent_days_just_under(settings, RECENT)) as f64
        / (recent.len() + 1) as f64;
    let grown = if recent.len() >= 3 {
        recent.iter().filter(|d| d.late_growth > 500).count() as f64 / recent.len() as f64
    } else {
        MISSING
    };
    [
        (steps + 1.0).ln(),
        per_step(day.distance_km, 1000.0),
        per_step(day.calories, 1.0),
        entropy,
        night,
        peak,
        flat,
        if usual > 0.0 { steps / usual } else { MISSING },
        ((day.date - day.signup_date).num_days().max(0) as f64 + 1.0).ln(),
        day.reported_days_late.max(0) as f64,
        if day.is_manual() { 1.0 } else { 0.0 },
        day.earlier_accounts_on_device as f64,
        span_variation(span).unwrap_or(MISSING),
        hour_to_hour_change(span).unwrap_or(MISSING),
        hours
            .and_then(|h| same_hours(h, &day.recent_days))
            .unwrap_or(MISSING),
        recent_variation(&day.recent_days).unwrap_or(MISSING),
        deviation(day.steps, &day.recent_days).unwrap_or(MISSING),
        under,
        grown,
        day.late_increase() as f64 / 1000.0,
    ]
}

/// The longest run of consecutive hours with the same non-zero count (a machine's rhythm:
/// people never repeat an hour's count exactly for long).
fn longest_flat_run(hours: &[i32]) -> usize {
    let (mut best, mut run) = (0, 0);
    for (i, h) in hours.iter().enumerate() {
        run = if *h > 0 && i > 0 && hours[i - 1] == *h {
            run + 1
        } else {
            1
        };
        if *h > 0 {
            best = best.max(run);
        }
    }
    if best == 1 {
        0
    } else {
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn hours(pairs: &[(usize, i32)]) -> Option<Vec<i32>> {
        let mut h = vec![0; 24];
        for (hour, steps) in pairs {
            h[*hour] = *steps;
        }
        Some(h)
    }

    /// A person's day: a commute, lunch, an evening walk, quiet hours between.
    fn bursty(scale: i32) -> Vec<i32> {
        let mut h = vec![0; 24];
        for (hour, steps) in [
            (7, 900),
            (8, 1_600),
            (9, 300),
            (10, 250),
            (11, 400),
            (12, 1_200),
            (13, 500),
            (14, 200),
            (15, 300),
            (16, 350),
            (17, 1_400),
            (18, 900),
            (19, 1_500),
            (20, 300),
        ] {
            h[hour] = steps * scale / 100;
        }
        h
    }

    /// A phone on a swing: 18 hours of about 1,300 steps, every hour a little different.
    fn swing(shift: i32) -> Vec<i32> {
        let mut h = vec![0; 24];
        for (i, hour) in (5..23).enumerate() {
            h[hour] = 1_300 + ((i as i32 * 37 + shift) % 120) - 60;
        }
        h
    }

    fn recent(days: impl IntoIterator<Item = (i64, Option<Vec<i32>>)>) -> Vec<RecentDay> {
        days.into_iter()
            .map(|(steps, hourly_steps)| RecentDay {
                steps,
                hourly_steps,
                ..RecentDay::default()
            })
            .collect()
    }

    #[test]
    fn known_days_give_known_features() {
        let settings = Settings::defaults();
        let walker = DayFacts {
            steps: 8_000,
            distance_km: Some(Decimal::from(6)),
            calories: Some(Decimal::from(320)),
            hourly_steps: hours(&[(8, 2_000), (12, 3_000), (18, 3_000)]),
            recent_verified_days: vec![8_000; 10],
            ..DayFacts::default()
        };
        let f = of(&walker, &settings);
        assert!((f[0] - 8_001f64.ln()).abs() < 1e-9);
        assert!((f[1] - 0.75).abs() < 1e-9, "stride {}", f[1]);
        assert!((f[2] - 0.04).abs() < 1e-9);
        assert!(f[3] > 0.3 && f[3] < 0.4, "three busy hours of 24: {}", f[3]);
        assert_eq!(f[4], 0.0, "no night steps");
        assert_eq!(f[5], 50.0, "3,000 in the busiest hour");
        assert_eq!(f[6], 0.0, "the two 3,000-step hours are not adjacent");
        assert_eq!(f[7], 1.0, "a usual day");
        assert_eq!(f[10], 0.0);
        assert_eq!(f[14], MISSING, "no recent hours to compare with");
        assert_eq!(f[19], 0.0, "a first report grew nothing late");

        // A shaker: ten identical hours, no distance, no baseline, typed in, late.
        let shaker = DayFacts {
            steps: 20_000,
            hourly_steps: hours(&(8..18).map(|h| (h, 2_000)).collect::<Vec<_>>()),
            source: crate::steps::Source::Manual,
            reported_days_late: 4,
            earlier_accounts_on_device: 2,
            ..DayFacts::default()
        };
        let f = of(&shaker, &settings);
        assert_eq!(f[1], MISSING, "no distance");
        assert_eq!(f[6], 10.0, "ten flat hours");
        assert_eq!(f[7], MISSING, "no baseline yet");
        assert_eq!((f[9], f[10], f[11]), (4.0, 1.0, 2.0));
        assert_eq!((f[12], f[13]), (0.0, 0.0), "not a step of change");
        assert_eq!(
            of(
                &DayFacts {
                    hourly_steps: None,
                    ..shaker
                },
                &settings
            )[3],
            MISSING
        );
    }

    #[test]
    fn a_swing_is_steady_within_a_day_and_the_same_every_day_and_a_person_is_not() {
        let settings = Settings::defaults();
        let swinger = DayFacts {
            steps: swing(0).iter().map(|h| i64::from(*h)).sum(),
            hourly_steps: Some(swing(0)),
            recent_days: recent((1..=10).map(|d| (23_000 + d * 40, Some(swing(d as i32 * 11))))),
            ..DayFacts::default()
        };
        let person = DayFacts {
            steps: 8_000,
            hourly_steps: Some(bursty(100)),
            recent_days: recent([
                (7_400, Some(bursty(90))),
                (9_900, Some(bursty(120).into_iter().rev().collect())),
                (6_100, Some(bursty(70))),
                (
                    12_300,
                    Some(hours(&[(10, 6_000), (11, 5_000), (18, 1_300)]).unwrap()),
                ),
                (5_200, Some(bursty(60))),
                (8_800, Some(bursty(110))),
                (4_000, None),
                (7_700, Some(bursty(95))),
            ]),
            ..DayFacts::default()
        };
        let (s, p) = (of(&swinger, &settings), of(&person, &settings));
        assert!(s[12] < 0.05, "a swing's hours barely vary: {}", s[12]);
        assert!(p[12] > 0.5, "a person's hours do: {}", p[12]);
        assert!(s[13] < 0.1 && p[13] > 0.5, "{} vs {}", s[13], p[13]);
        assert!(s[14] > 0.99, "the same shape every day: {}", s[14]);
        assert!(p[14] < 0.9, "a person's days differ: {}", p[14]);
        assert!(s[15] < 0.01 && p[15] > 0.2, "{} vs {}", s[15], p[15]);
    }

    #[test]
    fn days_just_under_a_limit_and_days_grown_late_are_counted_across_weeks() {
        let settings = Settings::defaults();
        // Days without distance: the 25,000-step limit applies to them.
        let hoverer = DayFacts {
            steps: 24_990,
            recent_days: recent([
                (24_950, None),
                (14_990, None),
                (8_000, None),
                (49_800, None),
            ])
            .into_iter()
            .map(|d| RecentDay {
                has_distance: false,
                ..d
            })
            .collect(),
            ..DayFacts::default()
        };
        let f = of(&hoverer, &settings);
        assert_eq!(
            f[17],
            4.0 / 5.0,
            "four of five days just under 25k, 15k or 50k"
        );
        // A day 1,100 under a limit is not "just" under it (4%: 24,000 is the edge).
        let near = DayFacts {
            steps: 23_900,
            ..DayFacts::default()
        };
        assert_eq!(of(&near, &settings)[17], 0.0);
        // Just under 15,000 with hourly counts is just a good day: that limit is for days
        // without them.
        let good = DayFacts {
            steps: 14_900,
            hourly_steps: Some(bursty(200)),
            distance_km: Some(Decimal::from(11)),
            ..DayFacts::default()
        };
        assert_eq!(of(&good, &settings)[17], 0.0);

        let grower = DayFacts {
            steps: 19_000,
            version: 2,
            on_time_steps: Some(6_000),
            verified_before: 6_000,
            recent_days: vec![
                RecentDay {
                    steps: 18_000,
                    late_growth: 11_000,
                    ..RecentDay::default()
                },
                RecentDay {
                    steps: 7_000,
                    late_growth: 300,
                    ..RecentDay::default()
                },
                RecentDay {
                    steps: 17_500,
                    late_growth: 9_000,
                    ..RecentDay::default()
                },
                RecentDay {
                    steps: 8_000,
                    ..RecentDay::default()
                },
            ],
            ..DayFacts::default()
        };
        let f = of(&grower, &settings);
        assert_eq!(f[18], 0.5, "two of four days grew by more than 500 late");
        assert_eq!(f[19], 13.0, "13,000 steps more than it had on time");
        // A late report of a day never reported before is not an increase.
        let first = DayFacts {
            version: 1,
            ..grower.clone()
        };
        assert_eq!(of(&first, &settings)[19], 0.0);
        // What an admin approved counts as known: only growth beyond it is late.
        let approved = DayFacts {
            verified_before: 19_000,
            ..grower
        };
        assert_eq!(of(&approved, &settings)[19], 0.0);
    }

    #[test]
    fn a_day_far_from_the_walkers_own_history_deviates_and_a_usual_one_does_not() {
        let settings = Settings::defaults();
        let history = recent((0..20).map(|d| (7_000 + (d % 5) * 400, None)));
        let usual = DayFacts {
            steps: 7_500,
            recent_days: history.clone(),
            ..DayFacts::default()
        };
        let spike = DayFacts {
            steps: 23_000,
            recent_days: history,
            ..DayFacts::default()
        };
        let (u, s) = (of(&usual, &settings)[16], of(&spike, &settings)[16]);
        assert!(u.abs() < 1.0, "{u}");
        assert_eq!(s, 10.0, "capped");
        assert_eq!(of(&DayFacts::default(), &settings)[16], MISSING);
    }
}
