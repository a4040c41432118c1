//! What the anomaly model sees of a day: numbers computed from the same facts the rules
//! read, in the same pass. A value the day does not have (no distance, no hourly counts,
//! no baseline yet) is `MISSING`, a value no real day takes, so "missing" is a pattern the
//! model can learn like any other.

use super::{usual_day, DayFacts};

pub const N: usize = 12;

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
];

/// The day's features (see `FEATURES`).
pub fn of(day: &DayFacts) -> [f64; N] {
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
    let usual = usual_day(&day.recent_verified_days);
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

    #[test]
    fn known_days_give_known_features() {
        let walker = DayFacts {
            steps: 8_000,
            distance_km: Some(Decimal::from(6)),
            calories: Some(Decimal::from(320)),
            hourly_steps: hours(&[(8, 2_000), (12, 3_000), (18, 3_000)]),
            recent_verified_days: vec![8_000; 10],
            ..DayFacts::default()
        };
        let f = of(&walker);
        assert!((f[0] - 8_001f64.ln()).abs() < 1e-9);
        assert!((f[1] - 0.75).abs() < 1e-9, "stride {}", f[1]);
        assert!((f[2] - 0.04).abs() < 1e-9);
        assert!(f[3] > 0.3 && f[3] < 0.4, "three busy hours of 24: {}", f[3]);
        assert_eq!(f[4], 0.0, "no night steps");
        assert_eq!(f[5], 50.0, "3,000 in the busiest hour");
        assert_eq!(f[6], 0.0, "the two 3,000-step hours are not adjacent");
        assert_eq!(f[7], 1.0, "a usual day");
        assert_eq!(f[10], 0.0);

        // A shaker: ten identical hours, no distance, no baseline, typed in, late.
        let shaker = DayFacts {
            steps: 20_000,
            hourly_steps: hours(&(8..18).map(|h| (h, 2_000)).collect::<Vec<_>>()),
            source: crate::steps::Source::Manual,
            reported_days_late: 4,
            earlier_accounts_on_device: 2,
            ..DayFacts::default()
        };
        let f = of(&shaker);
        assert_eq!(f[1], MISSING, "no distance");
        assert_eq!(f[6], 10.0, "ten flat hours");
        assert_eq!(f[7], MISSING, "no baseline yet");
        assert_eq!((f[9], f[10], f[11]), (4.0, 1.0, 2.0));
        assert_eq!(
            of(&DayFacts {
                hourly_steps: None,
                ..shaker
            })[3],
            MISSING
        );
    }
}
