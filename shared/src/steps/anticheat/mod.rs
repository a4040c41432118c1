//! Anti-cheat and fraud scoring: explainable rules, each a named function over one day
//! and its context that returns its finding (points towards a 0..100 anomaly score, or
//! "earns nothing"), with a reason the user can read. `score` folds the list; a new rule
//! is one function in `rules.rs` and one line in `RULES`. Thresholds are settings.
//!
//! Reference numbers: brisk walking is ~100-130 steps/min, running 150-190, sprinting
//! tops out near 220-240, so a whole hour above 250/min is not human; US adults average
//! ~5,000 steps a day and extreme days reach ~50,000.

pub mod features;
pub mod model;
mod rules;
pub mod synthetic;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::provenance::SourceShare;
use super::Source;
use crate::settings::Settings;
pub use rules::RULES;

/// What the rules look at for one day's record.
#[derive(Debug, Clone)]
pub struct DayFacts {
    /// The user's local calendar day the record is for.
    pub date: NaiveDate,
    /// The user's local date of sign-up (in the zone given then): earning starts there.
    pub signup_date: NaiveDate,
    /// Whether the date began for the account in the time zones it had. A change to a
    /// zone far ahead skips dates; they never began for it and earn nothing.
    pub day_began: bool,
    pub steps: i64,
    pub distance_km: Option<Decimal>,
    pub calories: Option<Decimal>,
    pub source: Source,
    /// The source the day was first reported from (a re-labelled day differs).
    pub first_source: Source,
    pub manual_steps: i64,
    pub hourly_steps: Option<Vec<i32>>,
    /// Set when a sync lowered the day's count: (from, to).
    pub lowered: Option<(i64, i64)>,
    /// How many days after the day itself the record was first reported.
    pub reported_days_late: i64,
    /// Accounts that synced from the same device before this one did, within
    /// `shared_device_days`: the device's first account keeps earning, later ones are held.
    pub earlier_accounts_on_device: i64,
    /// Other days within a week either side of this one reported above `high_day_steps`.
    pub other_high_days_nearby: i64,
    /// The user's recent verified days (most recent first), for their personal baseline.
    pub recent_verified_days: Vec<i64>,
    /// How many of those came with hourly counts.
    pub recent_days_with_hours: i64,
    /// The walker's recent days whatever their verdict (most recent first, the 30 before
    /// this one within 120 days): what the walker does across weeks.
    pub recent_days: Vec<RecentDay>,
    /// The highest count reported for the day while it was not late yet (within
    /// `anti_cheat_late_backfill_days` of it); `None` for days synced before this was kept.
    pub on_time_steps: Option<i64>,
    /// The steps verified for the day before this version (what an earlier verdict, or an
    /// admin's approval, let earn).
    pub verified_before: i64,
    /// The day's version: 1 for its first report, one more for each change.
    pub version: i32,
    /// The day's breakdown by source, when the app sent one (`steps::provenance`).
    pub sources: Option<Vec<SourceShare>>,
    /// Wheelchair pushes the day counts (0 for a walker who does not count them) and
    /// their hours.
    pub pushes: i64,
    pub hourly_pushes: Option<Vec<i32>>,
    /// Other accounts whose same day has exactly these hourly counts (days of 2,000 steps
    /// or more): one script's output, or one phone's data, sent to several accounts.
    pub accounts_with_same_hours: i64,
}

/// One of the walker's recent days, as the walker features read it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentDay {
    pub date: NaiveDate,
    pub steps: i64,
    pub verified: bool,
    pub hourly_steps: Option<Vec<i32>>,
    pub has_distance: bool,
    /// Steps the day gained from syncs after it was late (0 when none, or not known).
    pub late_growth: i64,
    /// The app that recorded most of the day, when its sync said (`provenance::main_writer`).
    pub main_writer: Option<String>,
}

impl Default for RecentDay {
    fn default() -> Self {
        Self {
            date: DayFacts::default().date - chrono::Days::new(1),
            steps: 0,
            verified: true,
            hourly_steps: None,
            has_distance: true,
            late_growth: 0,
            main_writer: None,
        }
    }
}

impl DayFacts {
    /// Whether the day sits just under a limit that would have held it (see
    /// `features::just_under`).
    pub fn just_under_a_limit(&self, settings: &Settings) -> bool {
        features::just_under(
            self.steps,
            settings,
            self.hourly_steps.is_some(),
            self.distance_km.is_some_and(|d| d > Decimal::ZERO),
            self.days_since_signup(),
        )
    }

    /// How many of the walker's last `days` recent days sat just under a limit.
    pub fn recent_days_just_under(&self, settings: &Settings, days: usize) -> usize {
        self.recent_days
            .iter()
            .take(days)
            .filter(|d| {
                features::just_under(
                    d.steps,
                    settings,
                    d.hourly_steps.is_some(),
                    d.has_distance,
                    (d.date - self.signup_date).num_days(),
                )
            })
            .count()
    }

    /// Steps this version adds on top of what the day had while it was on time (or what
    /// was verified for it, if more): an increase made late. 0 for a first report (a late
    /// first report is `late_backfill`'s) and when nothing grew.
    pub fn late_increase(&self) -> i64 {
        if self.version <= 1 {
            return 0;
        }
        let known = self.on_time_steps.unwrap_or(0).max(self.verified_before);
        (self.steps - known).max(0)
    }
}

impl Default for DayFacts {
    fn default() -> Self {
        let date = NaiveDate::from_ymd_opt(2026, 11, 20).expect("a valid date");
        Self {
            date,
            signup_date: date - chrono::Days::new(60),
            day_began: true,
            steps: 0,
            distance_km: None,
            calories: None,
            source: Source::HealthConnect,
            first_source: Source::HealthConnect,
            manual_steps: 0,
            hourly_steps: None,
            lowered: None,
            reported_days_late: 0,
            earlier_accounts_on_device: 0,
            other_high_days_nearby: 0,
            recent_verified_days: Vec::new(),
            recent_days_with_hours: 0,
            recent_days: Vec::new(),
            on_time_steps: None,
            verified_before: 0,
            version: 1,
            sources: None,
            pushes: 0,
            hourly_pushes: None,
            accounts_with_same_hours: 0,
        }
    }
}

impl DayFacts {
    /// Days between sign-up and this day (negative: before the account existed).
    pub fn days_since_signup(&self) -> i64 {
        (self.date - self.signup_date).num_days()
    }

    /// A day typed in by hand: its source says so, or most of it (at least 1,000 steps)
    /// came from sources that recorded by hand, however the day was labelled.
    pub fn is_manual(&self) -> bool {
        self.source == Source::Manual
            || (self.manual_steps >= 1_000 && self.manual_steps * 2 >= self.steps)
    }
}

/// What one rule found about a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Added to the anomaly score; at `anti_cheat_threshold` the day is held for review.
    pub points: u32,
    /// The day is recorded and counts for stats but earns no coins, without a review.
    pub earns_nothing: bool,
    /// Why, in words the user reads on their record.
    pub reason: String,
}

impl Finding {
    pub fn points(points: u32, reason: String) -> Option<Self> {
        Some(Self {
            points,
            earns_nothing: false,
            reason,
        })
    }

    pub fn earns_nothing(reason: String) -> Option<Self> {
        Some(Self {
            points: 0,
            earns_nothing: true,
            reason,
        })
    }
}

/// A named rule. `always` rules apply even with `anti_cheat_enabled = false`: they are
/// policy (manual entries need a person, earning starts at sign-up), not cheat detection.
pub struct Rule {
    pub name: &'static str,
    pub always: bool,
    pub check: fn(&DayFacts, &Settings) -> Option<Finding>,
}

impl Rule {
    /// A rule that applies whatever `anti_cheat_enabled` says.
    pub const fn policy(
        name: &'static str,
        check: fn(&DayFacts, &Settings) -> Option<Finding>,
    ) -> Self {
        Self {
            name,
            always: true,
            check,
        }
    }

    /// A cheat-detection rule, off with `anti_cheat_enabled = false`.
    pub const fn detection(
        name: &'static str,
        check: fn(&DayFacts, &Settings) -> Option<Finding>,
    ) -> Self {
        Self {
            name,
            always: false,
            check,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// What the anomaly model saw of the day (stored with the validation: the training
    /// rows of the next model).
    pub features: [f64; features::N],
    pub score: u32,
    pub reasons: Vec<String>,
    /// The names of the rules that found something, in `RULES` order.
    pub rules: Vec<&'static str>,
    pub suspicious: bool,
    /// Steps that may earn coins now: 0 while held for review or when the day earns nothing.
    pub verified_steps: i64,
    /// The user's typical day (median of recent verified days), when known.
    pub expected_steps: Option<i64>,
}

pub fn median(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) as f64 / 2.0
    } else {
        sorted[mid] as f64
    })
}

/// The walker's latest days whose main writer `provenance_shift` compares a day's with.
pub const WRITER_DAYS: usize = 14;

/// Fewer verified days than this and a personal baseline means little.
pub const MIN_BASELINE_DAYS: usize = 7;

/// The user's usual day: the median of their recent verified days once there are enough
/// of them to mean something, else 0 (unknown).
pub fn usual_day(recent_verified_days: &[i64]) -> f64 {
    if recent_verified_days.len() >= MIN_BASELINE_DAYS {
        median(recent_verified_days).unwrap_or(0.0)
    } else {
        0.0
    }
}

/// Steps with thousands separators, as people write them.
pub(crate) fn fmt(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
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

/// Runs every rule over the day and folds the findings into a verdict: points add up
/// (at most 100) and hold the day at the threshold; a day that earns nothing is verified
/// with no steps to pay; manually entered steps within a device day never earn. With a
/// model and a non-zero `anomaly_model_weight`, a day the model finds unusual is one more
/// finding (`anomaly_model`) worth that many points, explained in words.
pub fn score(day: &DayFacts, settings: &Settings, model: Option<&model::Model>) -> Verdict {
    let mut findings: Vec<(&'static str, Finding)> = RULES
        .iter()
        .filter(|rule| rule.always || settings.anti_cheat_enabled)
        .filter_map(|rule| (rule.check)(day, settings).map(|f| (rule.name, f)))
        .collect();
    let features = features::of(day, settings);
    if let Some(model) =
        model.filter(|_| settings.anti_cheat_enabled && settings.anomaly_model_weight > 0)
    {
        if model.score(&features) >= model.threshold {
            findings.push((
                "anomaly_model",
                Finding {
                    points: settings.anomaly_model_weight as u32,
                    earns_nothing: false,
                    reason: model.explain(&features),
                },
            ));
        }
    }
    let score = findings.iter().map(|(_, f)| f.points).sum::<u32>().min(100);
    let earns_nothing = findings.iter().any(|(_, f)| f.earns_nothing);
    let suspicious = !earns_nothing && i64::from(score) >= settings.anti_cheat_threshold;
    let mut reasons: Vec<String> = findings.iter().map(|(_, f)| f.reason.clone()).collect();
    let verified_steps = if suspicious || earns_nothing {
        0
    } else {
        if day.manual_steps > 0 {
            reasons.push(format!(
                "{} manually entered steps don't earn coins without an admin's approval.",
                fmt(day.manual_steps)
            ));
        }
        (day.steps - day.manual_steps).max(0)
    };
    Verdict {
        features,
        score,
        reasons,
        rules: findings.iter().map(|(name, _)| *name).collect(),
        suspicious,
        verified_steps,
        expected_steps: median(&day.recent_verified_days).map(|m| m.round() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_add_up_and_hold_at_the_threshold() {
        let settings = Settings::defaults();
        let plain = DayFacts {
            steps: 8_000,
            hourly_steps: Some(rules::tests::daytime_hours(8_000)),
            distance_km: Some(Decimal::from(6)),
            ..DayFacts::default()
        };
        let verdict = score(&plain, &settings, None);
        assert_eq!((verdict.score, verdict.suspicious), (0, false));
        assert_eq!(verdict.verified_steps, 8_000);
        assert!(verdict.reasons.is_empty() && verdict.rules.is_empty());

        // Two findings under the threshold each add up to a hold.
        let odd = DayFacts {
            reported_days_late: 6,
            calories: Some(Decimal::from(20_000)),
            ..plain.clone()
        };
        let verdict = score(&odd, &settings, None);
        assert_eq!(verdict.rules, ["calories_per_step", "late_backfill"]);
        assert!(!verdict.suspicious, "{verdict:?}");
        let held = DayFacts {
            reported_days_late: 6,
            distance_km: Some(Decimal::from(30)),
            ..plain.clone()
        };
        let verdict = score(&held, &settings, None);
        assert!(verdict.suspicious);
        assert_eq!(verdict.verified_steps, 0);
    }

    #[test]
    fn a_day_before_sign_up_earns_nothing_and_is_not_held() {
        let settings = Settings::defaults();
        let day = DayFacts {
            steps: 60_000,
            signup_date: DayFacts::default().date + chrono::Days::new(2),
            ..DayFacts::default()
        };
        let verdict = score(&day, &settings, None);
        assert!(!verdict.suspicious);
        assert_eq!(verdict.verified_steps, 0);
        assert!(verdict.rules.contains(&"before_signup"));
    }

    #[test]
    fn with_anti_cheat_disabled_only_policy_rules_apply() {
        let mut settings = Settings::defaults();
        settings.anti_cheat_enabled = false;
        let wild = DayFacts {
            steps: 150_000,
            ..DayFacts::default()
        };
        let verdict = score(&wild, &settings, None);
        assert_eq!(
            (verdict.suspicious, verdict.verified_steps),
            (false, 150_000)
        );
        let typed = DayFacts {
            steps: 5_000,
            source: Source::Manual,
            first_source: Source::Manual,
            ..DayFacts::default()
        };
        assert!(score(&typed, &settings, None).suspicious);
    }

    #[test]
    fn manual_steps_inside_a_device_day_do_not_earn() {
        let settings = Settings::defaults();
        let day = DayFacts {
            steps: 9_000,
            manual_steps: 1_200,
            hourly_steps: Some(rules::tests::daytime_hours(9_000)),
            ..DayFacts::default()
        };
        let verdict = score(&day, &settings, None);
        assert_eq!(verdict.verified_steps, 7_800);
        assert!(verdict.reasons[0].contains("1,200 manually entered steps"));
    }
}
