//! Anti-cheat scoring: explainable rules, each adding to a 0..100 anomaly score with a
//! reason a user can read. Pure functions over the record and its context, so every rule
//! is tested on realistic days without a database. Thresholds come from settings.
//!
//! Reference numbers: brisk walking is ~100-130 steps/min, running 150-190, sprinting
//! tops out near 220-240, so a whole hour above 250/min is not human; US adults average
//! ~5,000 steps a day and extreme days reach ~50,000.

use rust_decimal::Decimal;

use crate::settings::Settings;

/// What the rules look at for one day's record.
#[derive(Debug, Clone, Default)]
pub struct DayFacts {
    pub steps: i64,
    pub distance_km: Option<Decimal>,
    pub calories: Option<Decimal>,
    pub source: String,
    pub manual_steps: i64,
    pub hourly_steps: Option<Vec<i32>>,
    /// How many days after the day itself the record was first reported.
    pub reported_days_late: i64,
    /// Other accounts that synced from the same device in the last 30 days.
    pub other_accounts_on_device: i64,
    /// The user's recent verified days (most recent first), for their personal baseline.
    pub recent_verified_days: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub score: u32,
    pub reasons: Vec<String>,
    pub suspicious: bool,
    /// Steps that may earn coins now: 0 while held for review.
    pub verified_steps: i64,
    /// The user's typical day (median of recent verified days), when known.
    pub expected_steps: Option<i64>,
}

/// Fewer verified days than this and a personal baseline means little.
const MIN_BASELINE_DAYS: usize = 7;
/// Hours 02:00-05:00 local: heavy walking then is rare and typical of cradles left running.
const NIGHT_HOURS: std::ops::Range<usize> = 2..5;
const NIGHT_STEPS: i64 = 3_000;
/// Phones on a swinger or cradle produce near-identical counts hour after hour.
const FLAT_RUN_HOURS: usize = 5;
const FLAT_MIN_STEPS: i32 = 1_000;
/// Phones record distance with steps; tens of thousands of steps without any is odd.
const DISTANCE_FREE_STEPS: i64 = 25_000;

fn fmt(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

pub fn median(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) as f64 / 2.0
    } else {
        sorted[mid] as f64
    })
}

pub fn score(day: &DayFacts, settings: &Settings) -> Verdict {
    let mut score = 0u32;
    let mut reasons = Vec::new();
    let mut add = |points: u32, reason: String| {
        score += points;
        reasons.push(reason);
    };
    let baseline = median(&day.recent_verified_days);
    let expected_steps = baseline.map(|m| m.round() as i64);

    if day.source == "manual" {
        add(
            100,
            "Manually entered steps need an admin's approval before they earn coins.".into(),
        );
    }

    if settings.anti_cheat_enabled {
        let steps = day.steps;
        if steps > settings.anti_cheat_max_auto_steps {
            add(
                100,
                format!(
                    "{} steps in one day is more than we credit automatically ({}); an admin will review it.",
                    fmt(steps),
                    fmt(settings.anti_cheat_max_auto_steps)
                ),
            );
        } else if steps > settings.anti_cheat_review_steps {
            add(
                60,
                format!(
                    "{} steps in one day is far above even very active days (over {}).",
                    fmt(steps),
                    fmt(settings.anti_cheat_review_steps)
                ),
            );
        }

        // A spike against the user's own robust baseline (median and MAD).
        if day.recent_verified_days.len() >= MIN_BASELINE_DAYS {
            let m = baseline.unwrap_or(0.0);
            let deviations: Vec<i64> = day
                .recent_verified_days
                .iter()
                .map(|d| (*d as f64 - m).abs() as i64)
                .collect();
            let mad = median(&deviations).unwrap_or(0.0);
            // Scaled MAD estimates a standard deviation; floors keep a very regular walker
            // from being flagged for a modestly better day.
            let spread = (1.4826 * mad).max(0.25 * m).max(1_000.0);
            let z = (steps as f64 - m) / spread;
            if z > 6.0 && steps as f64 > 2.5 * m && steps > 15_000 {
                add(
                    35,
                    format!(
                        "{} steps is {:.1} times your usual {} a day.",
                        fmt(steps),
                        steps as f64 / m.max(1.0),
                        fmt(m.round() as i64)
                    ),
                );
            }
        }

        // Stride implied by distance, or many steps with no distance at all.
        match day.distance_km.filter(|d| *d > Decimal::ZERO) {
            Some(km) if steps >= 1_000 => {
                let stride = km * Decimal::from(1000) / Decimal::from(steps);
                if stride < settings.anti_cheat_min_stride_m
                    || stride > settings.anti_cheat_max_stride_m
                {
                    add(
                        40,
                        format!(
                            "{} km for {} steps means {} m per step; people step {}-{} m.",
                            km.round_dp(2).normalize(),
                            fmt(steps),
                            stride.round_dp(2).normalize(),
                            settings.anti_cheat_min_stride_m,
                            settings.anti_cheat_max_stride_m
                        ),
                    );
                }
            }
            Some(_) => {}
            None => {
                if steps >= DISTANCE_FREE_STEPS && day.source != "manual" {
                    add(
                        60,
                        format!("{} steps were recorded without any distance.", fmt(steps)),
                    );
                }
            }
        }

        if let Some(kcal) = day.calories.filter(|c| *c > Decimal::ZERO) {
            if steps >= 1_000 {
                let per_step = kcal / Decimal::from(steps);
                if per_step < settings.anti_cheat_min_kcal_per_step
                    || per_step > settings.anti_cheat_max_kcal_per_step
                {
                    add(
                        25,
                        format!(
                            "{} kcal for {} steps is outside the usual {}-{} kcal per step.",
                            kcal.round_dp(0),
                            fmt(steps),
                            settings.anti_cheat_min_kcal_per_step,
                            settings.anti_cheat_max_kcal_per_step
                        ),
                    );
                }
            }
        }

        if let Some(hours) = &day.hourly_steps {
            hourly_rules(hours, settings, &mut add);
        }

        if day.other_accounts_on_device > 0 {
            add(
                40,
                format!(
                    "This device also synced steps for {} other account{} recently.",
                    day.other_accounts_on_device,
                    if day.other_accounts_on_device == 1 {
                        ""
                    } else {
                        "s"
                    }
                ),
            );
        }

        if day.reported_days_late > settings.anti_cheat_late_backfill_days {
            add(
                15,
                format!(
                    "These steps were first reported {} days after the day.",
                    day.reported_days_late
                ),
            );
        }
    }

    let score = score.min(100);
    let suspicious = score as i64 >= settings.anti_cheat_threshold || day.source == "manual";
    let mut verified_steps = if suspicious {
        0
    } else {
        day.steps - day.manual_steps
    };
    if !suspicious && day.manual_steps > 0 {
        reasons.push(format!(
            "{} manually entered steps don't earn coins without an admin's approval.",
            fmt(day.manual_steps)
        ));
    }
    verified_steps = verified_steps.max(0);
    Verdict {
        score,
        reasons,
        suspicious,
        verified_steps,
        expected_steps,
    }
}

fn hourly_rules(hours: &[i32], settings: &Settings, add: &mut impl FnMut(u32, String)) {
    let hour_limit = settings.anti_cheat_max_steps_per_minute * 60;
    if let Some((hour, steps)) = hours
        .iter()
        .enumerate()
        .find(|(_, s)| i64::from(**s) > hour_limit)
    {
        add(
            100,
            format!(
                "{} steps between {:02}:00 and {:02}:00 is more than {} steps a minute for a whole hour.",
                fmt(i64::from(*steps)),
                hour,
                hour + 1,
                settings.anti_cheat_max_steps_per_minute
            ),
        );
    }

    // The longest run of consecutive active hours whose counts stay within 2% of each other.
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
    if longest >= FLAT_RUN_HOURS {
        add(
            60,
            format!("{longest} hours in a row with nearly identical step counts look like a phone swinger or cradle."),
        );
    }

    let night: i64 = hours[NIGHT_HOURS].iter().map(|s| i64::from(*s)).sum();
    if night > NIGHT_STEPS {
        add(25, format!("{} steps between 02:00 and 05:00.", fmt(night)));
    }
}
