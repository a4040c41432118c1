//! A simulated population of honest walkers and cheaters, five weeks of their syncs, with
//! who is who. Two users:
//!
//! - the fraud benchmark (`tests/bench/fraud.rs`) sends a world through the real sync,
//!   validation and crediting code against Postgres and counts what was paid;
//! - the model's training (`steps::anomaly`) replays a world of its own seed in memory
//!   (`labelled`) into labelled days: in a fresh deployment no admin has decided anything
//!   yet, and the scripted cheats are the examples of fraud it learns from beside the
//!   admins' decisions.
//!
//! Honest walkers: daily totals log-normal around each person's own median (itself
//! log-normal around ~7,000), a weekly rhythm, occasional 20-30k hikes; hourly counts over
//! waking hours; one device each; syncing every evening (today's partial count, completed
//! the next time) or every two or three days; 10% of phones without distance. Established
//! accounts joined months ago; new ones join during the run, and their app backfills the
//! week before sign-up (recorded, never paid, counted neither way).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rust_decimal::Decimal;

use super::{features, DayFacts, RecentDay};
use crate::settings::Settings;
use crate::steps::provenance::{DeviceType, RecordingMethod, SourceShare};
use crate::steps::sync::DayEntry;
use crate::steps::Source;

/// Simulated days; day `DAYS - 1` is the last.
pub const DAYS: i64 = 35;
/// Fraud days start after this many days of honest-looking syncs.
const WARM_UP: i64 = 3;
/// Accounts that joined before the run bring this many days of verified history.
const HISTORY_DAYS: i64 = 30;
/// Sync hour (every account's local time): today's count is partial.
pub const SYNC_HOUR: usize = 21;

/// The scripted cheats. Each account's fraud days are counted; warm-up days that look
/// honest are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// A fresh account backfilling a week of 49,999-step, 37 km days before sign-up, then
    /// farming the same after it: no hours, no device.
    Backfill,
    /// Five accounts on one phone syncing the phone's days; the first is the phone's owner
    /// (their days are real and not counted), the other four are the fraud.
    DeviceRing,
    /// A leader invites ten accounts that sync plausible goal days from the leader's
    /// phone to collect both referral bonuses.
    ReferralRing,
    /// A phone on a swinger: ten machine-flat hours a day.
    FlatShaker,
    /// A phone in a cradle at night: 7,500 steps between 02:00 and 05:00 on top of a day.
    NightCradle,
    /// Days just under one threshold each: 24,999 on a new account, 49,999 with hours,
    /// 14,999 without hours, 19,950 with hours, four flat hours, 2,990 night steps.
    JustUnder,
    /// 18,000 steps a day claiming 30 km.
    InventedDistance,
    /// 15,000 steps a day typed in by hand.
    Manual,
    /// A day typed in by hand, then re-sent as phone data.
    SourceSwitch,
    /// A day synced at 9,000, lowered to 1,000, raised to 24,000.
    LowerRaise,
    /// A phone on a swing sold for the purpose: 18 hours at about 1,100 steps, every hour
    /// ±5% (no two alike, none fast), just under the high-day limit, day after day.
    Swing,
    /// The swing with more noise: 13 to 16 hours at about 1,350 ±25%, starting at a
    /// different hour each day.
    NoisySwing,
    /// A real walker's day synced on time (about 6,000, paid), then re-synced five days
    /// later as 19,000 with a fresh hourly shape.
    LateInflation,
    /// A step-faker app writing plausible days (11-16k, hours of a day's rhythm) into the
    /// phone's health store under its own app id.
    FakerApp,
    /// A bridge app re-writing 15,000 typed-in steps a day as its own automatic records,
    /// without the manual flag (and without hours).
    BridgeApp,
    /// One operator's eight accounts on eight emulated phones, each fed the same generated
    /// day under the platform's own origin (`android`, spoofed on a rooted device).
    FakerFarm,
    /// A walker whose phone counted their days, then a watch on a swing: 18 hours at about
    /// 1,100 ±5% recorded by the watch's app.
    WatchSwing,
}

pub const STRATEGIES: [Strategy; 17] = [
    Strategy::Backfill,
    Strategy::DeviceRing,
    Strategy::ReferralRing,
    Strategy::FlatShaker,
    Strategy::NightCradle,
    Strategy::JustUnder,
    Strategy::InventedDistance,
    Strategy::Manual,
    Strategy::SourceSwitch,
    Strategy::LowerRaise,
    Strategy::Swing,
    Strategy::NoisySwing,
    Strategy::LateInflation,
    Strategy::FakerApp,
    Strategy::BridgeApp,
    Strategy::FakerFarm,
    Strategy::WatchSwing,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cohort {
    Established,
    New,
    /// A device or referral ring's leader: real steps, counted nowhere.
    RingOwner,
    /// Established walkers who use a wheelchair and count pushes.
    Pusher,
    Fraud(Strategy),
}

/// One simulated account and everything it will send.
pub struct Account {
    pub cohort: Cohort,
    /// Sim day of sign-up (negative: before the run).
    pub signup: i64,
    pub device: Option<String>,
    pub referred_by: Option<usize>,
    pub email_verified: bool,
    /// (sim day of the sync, entries); a date appears at most once per sync.
    pub syncs: Vec<(i64, Vec<DayEntry>)>,
    /// Verified days before the run (accounts that joined before it).
    pub history: Vec<DayEntry>,
    /// Dates whose records count for this account's cohort (fraud days, or honest days
    /// after sign-up).
    pub counted: Vec<NaiveDate>,
    /// Steps of a counted day that were really walked (a late inflation's on-time count):
    /// not fraud, so neither attempted nor paid fraud.
    pub walked: HashMap<NaiveDate, i64>,
    /// A wheelchair user who counts pushes (`steps::provenance`).
    pub counts_pushes: bool,
}

pub struct World {
    /// The date of sim day 0.
    pub base: NaiveDate,
    pub accounts: Vec<Account>,
}

impl World {
    /// A population of `established` honest walkers who joined months ago, half as many
    /// new ones, and `per_strategy` units of every cheat, drawn from `seed`; day `DAYS - 1`
    /// is `last_day`.
    pub fn generate(
        seed: u64,
        last_day: NaiveDate,
        established: usize,
        per_strategy: usize,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut world = World {
            base: last_day - Days::new(DAYS as u64 - 1),
            accounts: Vec::new(),
        };
        honest(&mut world, &mut rng, established, established / 2);
        fraud(&mut world, &mut rng, per_strategy);
        world
    }

    pub fn date(&self, day: i64) -> NaiveDate {
        if day >= 0 {
            self.base + Days::new(day as u64)
        } else {
            self.base - Days::new((-day) as u64)
        }
    }

    /// The sim day of a date.
    pub fn day(&self, date: NaiveDate) -> i64 {
        (date - self.base).num_days()
    }

    fn push(&mut self, account: Account) -> usize {
        self.accounts.push(account);
        self.accounts.len() - 1
    }
}

/// A person's walking: their median day, weekend habit, stride and hourly rhythm.
struct Walker {
    median: f64,
    weekend: f64,
    stride_m: f64,
    kcal_per_step: f64,
    has_distance: bool,
    hour_weights: [f64; 24],
}

const BASE_RHYTHM: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 1.0, 3.0, 4.0, 2.0, 2.0, 3.0, 5.0, 3.0, 2.0, 2.0, 3.0, 5.0, 6.0,
    4.0, 2.0, 1.0, 0.3, 0.0,
];

fn log_normal(rng: &mut StdRng, median: f64, sigma: f64) -> f64 {
    LogNormal::new(median.ln(), sigma)
        .expect("a finite median and a positive sigma")
        .sample(rng)
}

impl Walker {
    fn draw(rng: &mut StdRng) -> Self {
        let median = log_normal(rng, 7_000.0, 0.4);
        let mut hour_weights = BASE_RHYTHM;
        for w in &mut hour_weights {
            *w *= rng.random_range(0.5..1.5);
        }
        Walker {
            median,
            weekend: rng.random_range(0.75..1.25),
            stride_m: rng.random_range(0.65..0.8),
            kcal_per_step: rng.random_range(0.035..0.05),
            has_distance: rng.random_bool(0.9),
            hour_weights,
        }
    }

    fn day_total(&self, rng: &mut StdRng, date: NaiveDate) -> i64 {
        if rng.random_bool(0.02) {
            return rng.random_range(20_000..30_000);
        }
        let weekend = matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun);
        let rhythm = if weekend { self.weekend } else { 1.0 };
        ((self.median * rhythm * log_normal(rng, 1.0, 0.3)) as i64).clamp(300, 40_000)
    }

    fn hours(&self, rng: &mut StdRng, steps: i64) -> Vec<i32> {
        let weights: Vec<f64> = self
            .hour_weights
            .iter()
            .map(|w| w * log_normal(rng, 1.0, 0.3))
            .collect();
        spread(steps, &weights)
    }

    fn entry(&self, date: NaiveDate, steps: i64, hours: Option<Vec<i32>>) -> DayEntry {
        phone_entry(
            date,
            steps,
            hours,
            self.has_distance.then_some(self.stride_m),
            self.kcal_per_step,
        )
    }

    fn day(&self, rng: &mut StdRng, date: NaiveDate) -> DayEntry {
        let steps = self.day_total(rng, date);
        let hours = self.hours(rng, steps);
        self.entry(date, steps, Some(hours))
    }
}

/// `steps` over 24 hours in proportion to `weights`, summing exactly.
fn spread(steps: i64, weights: &[f64]) -> Vec<i32> {
    let total: f64 = weights.iter().sum();
    let mut hours: Vec<i32> = weights
        .iter()
        .map(|w| (steps as f64 * w / total).floor() as i32)
        .collect();
    let rest = steps - hours.iter().map(|h| i64::from(*h)).sum::<i64>();
    let busiest = (0..24)
        .max_by(|a, b| weights[*a].total_cmp(&weights[*b]))
        .unwrap_or(12);
    hours[busiest] += rest as i32;
    hours
}

fn decimal(value: f64, places: u32) -> Decimal {
    Decimal::try_from(value)
        .unwrap_or_default()
        .round_dp(places)
}

fn phone_entry(
    date: NaiveDate,
    steps: i64,
    hours: Option<Vec<i32>>,
    stride_m: Option<f64>,
    kcal_per_step: f64,
) -> DayEntry {
    DayEntry {
        distance_km: stride_m.map(|s| decimal(steps as f64 * s / 1000.0, 3)),
        calories: Some(decimal(steps as f64 * kcal_per_step, 2)),
        heart_points: None,
        hourly_steps: hours,
        ..DayEntry::new(date, steps, Source::HealthConnect)
    }
}

/// One source of a simulated day.
fn source(app: &str, device: DeviceType, steps: i64, pushes: Option<i64>) -> SourceShare {
    SourceShare {
        app_id: app.to_owned(),
        device_type: device,
        recording_method: RecordingMethod::Automatic,
        steps,
        pushes,
        hourly_steps: None,
    }
}

/// Where an honest walker's steps come from: their phone's app (a new phone's from the
/// day they switch), and a watch for some, whose records overlap the phone's (the
/// platform's total removes the overlap; the sources add up to more).
struct Kit {
    phone: &'static str,
    watch: Option<&'static str>,
    /// (first sim day, the new phone's app).
    new_phone: Option<(i64, &'static str)>,
    /// An app that sends no breakdown (an older release).
    sends_sources: bool,
}

const PHONE_APPS: [&str; 3] = [
    "android",
    "com.google.android.apps.fitness",
    "com.sec.android.app.shealth",
];
const WATCH_APPS: [&str; 3] = [
    "com.garmin.android.apps.connectmobile",
    "com.fitbit.FitbitMobile",
    "com.sec.android.app.shealth",
];

impl Kit {
    fn draw(rng: &mut StdRng) -> Self {
        let phone = PHONE_APPS[rng.random_range(0..PHONE_APPS.len())];
        let watch = rng
            .random_bool(0.3)
            .then(|| WATCH_APPS[rng.random_range(0..WATCH_APPS.len())]);
        let new_phone = rng.random_bool(0.1).then(|| {
            let other = PHONE_APPS
                .iter()
                .copied()
                .find(|a| *a != phone)
                .unwrap_or("android");
            (rng.random_range(5..DAYS - 5), other)
        });
        Self {
            phone,
            watch,
            new_phone,
            sends_sources: rng.random_bool(0.8),
        }
    }

    /// The phone's own app only, always sending sources: a cheat's warm-up.
    fn phone_only() -> Self {
        Self {
            phone: "android",
            watch: None,
            new_phone: None,
            sends_sources: true,
        }
    }

    /// `entry` with its sources, as the walker's app reports them.
    fn dress(&self, world: &World, mut entry: DayEntry) -> DayEntry {
        if !self.sends_sources {
            return entry;
        }
        let phone = match self.new_phone {
            Some((from, app)) if world.day(entry.date) >= from => app,
            _ => self.phone,
        };
        let steps = entry.steps;
        entry.sources = Some(match self.watch {
            Some(watch) => vec![
                source(
                    watch,
                    DeviceType::Watch,
                    (steps as f64 * 0.9).round() as i64,
                    None,
                ),
                source(
                    phone,
                    DeviceType::Phone,
                    (steps as f64 * 0.6).round() as i64,
                    None,
                ),
            ],
            None => vec![source(phone, DeviceType::Phone, steps, None)],
        });
        entry
    }

    fn dress_all(&self, world: &World, account: &mut Account) {
        for (_, entries) in &mut account.syncs {
            for entry in entries.iter_mut() {
                *entry = self.dress(world, entry.clone());
            }
        }
        for entry in &mut account.history {
            *entry = self.dress(world, entry.clone());
        }
    }
}

/// A cheat's phone: its own stride and calories per step, as a real phone estimates them
/// from the owner's height and weight.
#[derive(Clone, Copy)]
struct Phone {
    stride_m: f64,
    kcal_per_step: f64,
}

impl Phone {
    fn draw(rng: &mut StdRng) -> Self {
        Self {
            stride_m: rng.random_range(0.65..0.8),
            kcal_per_step: rng.random_range(0.035..0.05),
        }
    }

    fn day(
        &self,
        date: NaiveDate,
        steps: i64,
        hours: Option<Vec<i32>>,
        distance: bool,
    ) -> DayEntry {
        phone_entry(
            date,
            steps,
            hours,
            distance.then_some(self.stride_m),
            self.kcal_per_step,
        )
    }

    /// A day from its hours.
    fn hours(&self, date: NaiveDate, hours: Vec<i32>) -> DayEntry {
        let steps = hours.iter().map(|h| i64::from(*h)).sum();
        self.day(date, steps, Some(hours), true)
    }
}

/// Today's count as of the evening sync: the hours before `SYNC_HOUR`.
fn partial(entry: &DayEntry) -> DayEntry {
    let mut out = entry.clone();
    if let Some(hours) = &mut out.hourly_steps {
        for h in hours.iter_mut().skip(SYNC_HOUR) {
            *h = 0;
        }
        let steps: i64 = hours.iter().map(|h| i64::from(*h)).sum();
        let scale = if entry.steps > 0 {
            steps as f64 / entry.steps as f64
        } else {
            0.0
        };
        let scale = decimal(scale, 6);
        out.steps = steps;
        out.distance_km = entry.distance_km.map(|d| (d * scale).round_dp(3));
        out.calories = entry.calories.map(|c| (c * scale).round_dp(2));
    }
    if let Some(hours) = &mut out.hourly_pushes {
        for h in hours.iter_mut().skip(SYNC_HOUR) {
            *h = 0;
        }
        let pushes: i64 = hours.iter().map(|h| i64::from(*h)).sum();
        out.pushes = Some(pushes);
        if let Some(sources) = &mut out.sources {
            for s in sources.iter_mut() {
                s.steps = out.steps;
                s.pushes = Some(pushes);
            }
        }
    }
    out
}

/// An honest account's syncs: every `period` days in the evening, the days since the last
/// complete report (at most a week back) and today's partial count.
fn honest_syncs(
    rng: &mut StdRng,
    world: &World,
    walker: &Walker,
    first_sync: i64,
    period: i64,
    backfill_from: i64,
) -> Vec<(i64, Vec<DayEntry>)> {
    let days: BTreeMap<i64, DayEntry> = (backfill_from..DAYS)
        .map(|d| (d, walker.day(rng, world.date(d))))
        .collect();
    evening_syncs(&days, first_sync, period, backfill_from)
}

/// Syncs of `days` every `period` days from `first_sync` in the evening: the days since
/// the last complete report (at most a week back) and today's partial count.
fn evening_syncs(
    days: &BTreeMap<i64, DayEntry>,
    first_sync: i64,
    period: i64,
    backfill_from: i64,
) -> Vec<(i64, Vec<DayEntry>)> {
    let mut syncs = Vec::new();
    let mut next_unreported = backfill_from;
    let mut day = first_sync;
    while day < DAYS {
        let mut entries: Vec<DayEntry> = (next_unreported.max(day - 7)..day)
            .map(|d| days[&d].clone())
            .collect();
        entries.push(partial(&days[&day]));
        syncs.push((day, entries));
        next_unreported = day;
        day += period;
    }
    syncs
}

fn honest(world: &mut World, rng: &mut StdRng, established: usize, new: usize) {
    for i in 0..established + new {
        let walker = Walker::draw(rng);
        let is_new = i >= established;
        let signup = if is_new {
            rng.random_range(3..DAYS - 8)
        } else {
            -120
        };
        let period = match rng.random_range(0..100) {
            0..60 => 1,
            60..85 => 2,
            _ => 3,
        };
        let (first_sync, backfill_from) = if is_new {
            (signup, signup - 7)
        } else {
            (rng.random_range(0..period), 0)
        };
        let syncs = honest_syncs(rng, world, &walker, first_sync, period, backfill_from);
        let counted = (signup.max(0)..DAYS).map(|d| world.date(d)).collect();
        let history = if is_new {
            Vec::new()
        } else {
            history(world, rng, &walker)
        };
        let mut account = Account {
            cohort: if is_new {
                Cohort::New
            } else {
                Cohort::Established
            },
            signup,
            device: Some(format!("phone-{i}")),
            referred_by: None,
            email_verified: true,
            syncs,
            history,
            counted,
            walked: HashMap::new(),
            counts_pushes: false,
        };
        Kit::draw(rng).dress_all(world, &mut account);
        world.push(account);
    }
    pushers(world, rng, established / 20);
}

/// Wheelchair users who count pushes: a few steps a day (transfers, a standing frame), and
/// pushes log-normal around their own median (itself around 2,800) over waking hours in
/// bouts, recorded by a watch; syncing every evening. Their history before the run is
/// as the records keep it: the pushes' step equivalents inside the steps.
fn pushers(world: &mut World, rng: &mut StdRng, count: usize) {
    let rate = Settings::defaults().push_step_equivalents;
    for i in 0..count {
        let median = log_normal(rng, 2_800.0, 0.35);
        let mut weights = BASE_RHYTHM;
        for w in &mut weights {
            *w *= rng.random_range(0.5..1.5);
        }
        let watch = format!("com.apple.health.{:08X}", rng.random::<u32>());
        let day_of = |rng: &mut StdRng, date: NaiveDate| {
            let pushes = ((median * log_normal(rng, 1.0, 0.3)) as i64).clamp(300, 12_000);
            let noisy: Vec<f64> = weights
                .iter()
                .map(|w| w * log_normal(rng, 1.0, 0.4))
                .collect();
            let hourly_pushes = spread(pushes, &noisy);
            let steps = rng.random_range(0..200);
            let mut hourly_steps = vec![0; 24];
            hourly_steps[8] = steps as i32;
            DayEntry {
                source: Source::HealthKit,
                distance_km: Some(decimal(pushes as f64 * 1.1 / 1000.0, 3)),
                calories: Some(decimal(pushes as f64 * 0.06, 2)),
                hourly_steps: Some(hourly_steps),
                pushes: Some(pushes),
                hourly_pushes: Some(hourly_pushes),
                sources: Some(vec![source(&watch, DeviceType::Watch, steps, Some(pushes))]),
                ..DayEntry::new(date, steps, Source::HealthKit)
            }
        };
        let days: BTreeMap<i64, DayEntry> =
            (0..DAYS).map(|d| (d, day_of(rng, world.date(d)))).collect();
        let syncs = evening_syncs(&days, 0, 1, 0);
        let history = (-HISTORY_DAYS..0)
            .map(|d| recorded(&day_of(rng, world.date(d)), Some(rate)))
            .collect();
        world.push(Account {
            cohort: Cohort::Pusher,
            signup: -120,
            device: Some(format!("pusher-phone-{i}")),
            referred_by: None,
            email_verified: true,
            syncs,
            history,
            counted: (0..DAYS).map(|d| world.date(d)).collect(),
            walked: HashMap::new(),
            counts_pushes: true,
        });
    }
}

/// A day as its record keeps it once counted (`sync::record_days`): pushes in the steps at
/// `push_rate` (for a walker who counts them), hand-typed sources in the manual steps.
pub fn recorded(entry: &DayEntry, push_rate: Option<Decimal>) -> DayEntry {
    let counted = crate::steps::sync::CountedDay::of(entry, push_rate);
    DayEntry {
        steps: counted.steps,
        hourly_steps: counted.hourly_steps,
        manual_steps: counted.manual_steps,
        ..entry.clone()
    }
}

/// The walker's verified days before the run.
fn history(world: &World, rng: &mut StdRng, walker: &Walker) -> Vec<DayEntry> {
    (-HISTORY_DAYS..0)
        .map(|d| walker.day(rng, world.date(d)))
        .collect()
}

/// Daily syncs of `day_of(d)` for sim days `from..to`, full counts each evening.
fn farm(
    world: &World,
    from: i64,
    to: i64,
    mut day_of: impl FnMut(NaiveDate) -> Vec<DayEntry>,
) -> (Vec<(i64, Vec<DayEntry>)>, Vec<NaiveDate>) {
    let syncs = (from..to).map(|d| (d, day_of(world.date(d)))).collect();
    let counted = (from..to).map(|d| world.date(d)).collect();
    (syncs, counted)
}

/// An established fraud account: honest warm-up days (a baseline), then `fraud` days.
fn established_fraud(
    world: &mut World,
    rng: &mut StdRng,
    strategy: Strategy,
    device: String,
    mut fraud: impl FnMut(&mut StdRng, &Phone, NaiveDate) -> Vec<DayEntry>,
) {
    let walker = Walker::draw(rng);
    let phone = Phone {
        stride_m: walker.stride_m,
        kcal_per_step: walker.kcal_per_step,
    };
    let kit = Kit::phone_only();
    let mut syncs = honest_syncs(rng, world, &walker, 0, 1, 0);
    syncs.retain(|(d, _)| *d < WARM_UP);
    for (_, entries) in &mut syncs {
        for entry in entries.iter_mut() {
            *entry = kit.dress(world, entry.clone());
        }
    }
    let farmed: Vec<(i64, Vec<DayEntry>)> = (WARM_UP..DAYS)
        .map(|d| (d, fraud(rng, &phone, world.date(d))))
        .collect();
    syncs.extend(farmed);
    let counted = (WARM_UP..DAYS).map(|d| world.date(d)).collect();
    let history = history(world, rng, &walker)
        .into_iter()
        .map(|e| kit.dress(world, e))
        .collect();
    world.push(Account {
        cohort: Cohort::Fraud(strategy),
        signup: -60,
        device: Some(device),
        referred_by: None,
        email_verified: true,
        syncs,
        history,
        counted,
        walked: HashMap::new(),
        counts_pushes: false,
    });
}

/// `rest` steps over a normal day, with `flat_hours` from 09:00 replaced by a swinger's
/// `per_hour` (within 1% hour to hour).
fn flat_day(
    phone: &Phone,
    date: NaiveDate,
    flat_hours: usize,
    per_hour: i32,
    rest: i64,
) -> DayEntry {
    let mut hours = spread(rest, &BASE_RHYTHM);
    for (i, h) in hours.iter_mut().enumerate().skip(9).take(flat_hours) {
        *h = per_hour + (i as i32 % 3) * (per_hour / 200);
    }
    phone.hours(date, hours)
}

fn night_day(phone: &Phone, date: NaiveDate, per_night_hour: i32, day_steps: i64) -> DayEntry {
    let mut hours = spread(day_steps, &BASE_RHYTHM);
    for h in &mut hours[2..5] {
        *h += per_night_hour;
    }
    phone.hours(date, hours)
}

/// A swing's day: `hours` hours from `start` at `pace` steps, each ±`noise`.
fn swing_day(
    rng: &mut StdRng,
    phone: &Phone,
    date: NaiveDate,
    start: usize,
    hours: usize,
    pace: f64,
    noise: f64,
) -> DayEntry {
    let mut h = vec![0; 24];
    for hour in h.iter_mut().skip(start).take(hours) {
        *hour = (pace * rng.random_range(1.0 - noise..1.0 + noise)) as i32;
    }
    phone.hours(date, h)
}

fn fraud(world: &mut World, rng: &mut StdRng, per_strategy: usize) {
    for unit in 0..per_strategy {
        let device = |s: &str| format!("{s}-{unit}");
        backfill(world, rng);
        device_ring(world, rng, device("ring-phone"));
        referral_ring(world, rng, device("leader-phone"));
        established_fraud(
            world,
            rng,
            Strategy::FlatShaker,
            device("shaker"),
            |_, phone, date| vec![flat_day(phone, date, 10, 2_400, 2_000)],
        );
        established_fraud(
            world,
            rng,
            Strategy::NightCradle,
            device("cradle"),
            |_, phone, date| vec![night_day(phone, date, 2_500, 8_000)],
        );
        just_under(world, rng, unit % 6, device("under"));
        established_fraud(
            world,
            rng,
            Strategy::InventedDistance,
            device("distance"),
            |_, phone, date| {
                let mut day = phone.hours(date, spread(18_000, &BASE_RHYTHM));
                day.distance_km = Some(Decimal::from(30));
                vec![day]
            },
        );
        established_fraud(
            world,
            rng,
            Strategy::Manual,
            device("typed"),
            |_, phone, date| {
                vec![DayEntry {
                    source: Source::Manual,
                    manual_steps: 15_000,
                    ..phone.day(date, 15_000, None, false)
                }]
            },
        );
        established_fraud(
            world,
            rng,
            Strategy::SourceSwitch,
            device("switch"),
            |_, phone, date| {
                let typed = DayEntry {
                    source: Source::Manual,
                    ..phone.day(date, 20_000, None, false)
                };
                let relabelled = phone.hours(date, spread(20_000, &BASE_RHYTHM));
                vec![typed, relabelled]
            },
        );
        established_fraud(
            world,
            rng,
            Strategy::LowerRaise,
            device("editor"),
            |_, phone, date| {
                let day = |steps| phone.hours(date, spread(steps, &BASE_RHYTHM));
                vec![day(9_000), day(1_000), day(24_000)]
            },
        );
        established_fraud(
            world,
            rng,
            Strategy::Swing,
            device("swing"),
            |rng, phone, date| vec![swing_day(rng, phone, date, 5, 18, 1_100.0, 0.05)],
        );
        established_fraud(
            world,
            rng,
            Strategy::NoisySwing,
            device("noisy-swing"),
            |rng, phone, date| {
                let (start, hours) = (rng.random_range(5..9), rng.random_range(13..17));
                vec![swing_day(rng, phone, date, start, hours, 1_350.0, 0.25)]
            },
        );
        late_inflation(world, rng, device("inflater"));
        established_fraud(
            world,
            rng,
            Strategy::FakerApp,
            device("faker"),
            |rng, phone, date| {
                let steps = rng.random_range(11_000..16_000);
                let weights: Vec<f64> = BASE_RHYTHM
                    .iter()
                    .map(|w| w * log_normal(rng, 1.0, 0.3))
                    .collect();
                let mut day = phone.hours(date, spread(steps, &weights));
                day.sources = Some(vec![source(
                    "com.stepcounter.fakewalk",
                    DeviceType::Phone,
                    steps,
                    None,
                )]);
                vec![day]
            },
        );
        established_fraud(
            world,
            rng,
            Strategy::BridgeApp,
            device("bridge"),
            |_, phone, date| {
                let mut day = phone.day(date, 15_000, None, true);
                day.source = Source::HealthKit;
                day.sources = Some(vec![source(
                    "com.healthsync.bridge",
                    DeviceType::Phone,
                    15_000,
                    None,
                )]);
                vec![day]
            },
        );
        faker_farm(world, rng, &device("farm"));
        established_fraud(
            world,
            rng,
            Strategy::WatchSwing,
            device("watch-swing"),
            |rng, phone, date| {
                let mut day = swing_day(rng, phone, date, 5, 18, 1_100.0, 0.05);
                day.sources = Some(vec![source(
                    "com.garmin.android.apps.connectmobile",
                    DeviceType::Watch,
                    day.steps,
                    None,
                )]);
                vec![day]
            },
        );
    }
}

/// Eight accounts on eight emulated phones, each given the same generated day, written
/// under the platform's own origin: no app id gives it away, the identical hours do.
fn faker_farm(world: &mut World, rng: &mut StdRng, device: &str) {
    let phone = Phone::draw(rng);
    let days: Vec<DayEntry> = (0..DAYS)
        .map(|d| {
            let steps = rng.random_range(10_000..14_000);
            let weights: Vec<f64> = BASE_RHYTHM
                .iter()
                .map(|w| w * log_normal(rng, 1.0, 0.3))
                .collect();
            let mut day = phone.hours(world.date(d), spread(steps, &weights));
            day.sources = Some(vec![source("android", DeviceType::Phone, steps, None)]);
            day
        })
        .collect();
    for member in 0..8 {
        let walker = Walker::draw(rng);
        let kit = Kit::phone_only();
        let history = history(world, rng, &walker)
            .into_iter()
            .map(|e| kit.dress(world, e))
            .collect();
        let syncs = (WARM_UP..DAYS)
            .map(|d| (d, vec![days[d as usize].clone()]))
            .collect();
        world.push(Account {
            cohort: Cohort::Fraud(Strategy::FakerFarm),
            signup: -60,
            device: Some(format!("{device}-{member}")),
            referred_by: None,
            email_verified: true,
            syncs,
            history,
            counted: (WARM_UP..DAYS).map(|d| world.date(d)).collect(),
            walked: HashMap::new(),
            counts_pushes: false,
        });
    }
}

/// Joins mid-run, a week before sign-up, then a week after.
fn backfill(world: &mut World, rng: &mut StdRng) {
    let signup = rng.random_range(8..DAYS - 8);
    let phone = Phone::draw(rng);
    let big = |date| DayEntry {
        hourly_steps: None,
        distance_km: Some(Decimal::from(37)),
        source: Source::HealthKit,
        ..phone.day(date, 49_999, None, false)
    };
    let mut syncs = vec![(
        signup,
        (signup - 7..=signup).map(|d| big(world.date(d))).collect(),
    )];
    syncs.extend((signup + 1..(signup + 8).min(DAYS)).map(|d| (d, vec![big(world.date(d))])));
    let counted = (signup - 7..(signup + 8).min(DAYS))
        .map(|d| world.date(d))
        .collect();
    world.push(Account {
        cohort: Cohort::Fraud(Strategy::Backfill),
        signup,
        device: None,
        referred_by: None,
        email_verified: true,
        syncs,
        history: Vec::new(),
        counted,
        walked: HashMap::new(),
        counts_pushes: false,
    });
}

/// The owner's real days, synced into four more accounts.
fn device_ring(world: &mut World, rng: &mut StdRng, phone: String) {
    let owner = Walker::draw(rng);
    let owner_syncs = honest_syncs(rng, world, &owner, 0, 1, 0);
    let owner_history = history(world, rng, &owner);
    for member in 0..5 {
        world.push(Account {
            cohort: if member == 0 {
                Cohort::RingOwner
            } else {
                Cohort::Fraud(Strategy::DeviceRing)
            },
            signup: -60,
            device: Some(phone.clone()),
            referred_by: None,
            email_verified: true,
            syncs: owner_syncs.clone(),
            history: if member == 0 {
                owner_history.clone()
            } else {
                Vec::new()
            },
            counted: if member == 0 {
                Vec::new()
            } else {
                (0..DAYS).map(|d| world.date(d)).collect()
            },
            walked: HashMap::new(),
            counts_pushes: false,
        });
    }
}

/// Ten invitees on the leader's phone, each walking five goal days.
fn referral_ring(world: &mut World, rng: &mut StdRng, phone: String) {
    let leader_walker = Walker::draw(rng);
    let syncs = honest_syncs(rng, world, &leader_walker, 0, 1, 0);
    let history = history(world, rng, &leader_walker);
    let leader = world.push(Account {
        cohort: Cohort::RingOwner,
        signup: -60,
        device: Some(phone.clone()),
        referred_by: None,
        email_verified: true,
        syncs,
        history,
        counted: Vec::new(),
        walked: HashMap::new(),
        counts_pushes: false,
    });
    for _ in 0..10 {
        let joined = rng.random_range(5..DAYS - 6);
        let (syncs, counted) = farm(world, joined, joined + 5, |date| {
            vec![leader_walker.entry(date, 10_500, Some(spread(10_500, &BASE_RHYTHM)))]
        });
        world.push(Account {
            cohort: Cohort::Fraud(Strategy::ReferralRing),
            signup: joined,
            device: Some(phone.clone()),
            referred_by: Some(leader),
            email_verified: true,
            syncs,
            history: Vec::new(),
            counted,
            walked: HashMap::new(),
            counts_pushes: false,
        });
    }
}

/// One threshold per account.
fn just_under(world: &mut World, rng: &mut StdRng, variant: usize, device: String) {
    if variant == 0 {
        let joined = rng.random_range(3..DAYS - 12);
        let phone = Phone::draw(rng);
        let (syncs, counted) = farm(world, joined, joined + 10, |date| {
            vec![phone.hours(date, spread(24_999, &BASE_RHYTHM))]
        });
        world.push(Account {
            cohort: Cohort::Fraud(Strategy::JustUnder),
            signup: joined,
            device: Some(device),
            referred_by: None,
            email_verified: true,
            syncs,
            history: Vec::new(),
            counted,
            walked: HashMap::new(),
            counts_pushes: false,
        });
        return;
    }
    established_fraud(
        world,
        rng,
        Strategy::JustUnder,
        device,
        move |_, phone, date| {
            vec![match variant {
                1 => phone.hours(date, spread(49_999, &BASE_RHYTHM)),
                2 => phone.day(date, 14_999, None, true),
                3 => flat_day(phone, date, 4, 3_000, 9_000),
                4 => night_day(phone, date, 996, 9_000),
                _ => phone.hours(date, spread(19_950, &BASE_RHYTHM)),
            }]
        },
    );
}

/// A real walker who syncs every evening, then re-sends each day five days later as
/// 19,000 steps.
fn late_inflation(world: &mut World, rng: &mut StdRng, device: String) {
    let walker = Walker::draw(rng);
    let mut syncs: Vec<(i64, Vec<DayEntry>)> = Vec::new();
    let mut walked = HashMap::new();
    let mut counted = Vec::new();
    for d in 0..DAYS {
        let date = world.date(d);
        let real = walker.day(rng, date);
        let mut entries = vec![real.clone()];
        if d >= WARM_UP + 5 {
            let inflated = world.date(d - 5);
            entries.push(walker.entry(inflated, 19_000, Some(walker.hours(rng, 19_000))));
        }
        if (WARM_UP..DAYS - 5).contains(&d) {
            walked.insert(date, real.steps);
            counted.push(date);
        }
        syncs.push((d, entries));
    }
    let history = history(world, rng, &walker);
    world.push(Account {
        cohort: Cohort::Fraud(Strategy::LateInflation),
        signup: -60,
        device: Some(device),
        referred_by: None,
        email_verified: true,
        syncs,
        history,
        counted,
        walked,
        counts_pushes: false,
    });
}

/// Several entries for one date in one sync day become separate syncs, in order (a sync
/// holds each date once).
pub fn split_syncs(syncs: &[(i64, Vec<DayEntry>)]) -> Vec<(i64, Vec<DayEntry>)> {
    let mut out = Vec::new();
    for (day, entries) in syncs {
        let mut batch: Vec<DayEntry> = Vec::new();
        for entry in entries {
            if batch.iter().any(|e| e.date == entry.date) {
                out.push((*day, std::mem::take(&mut batch)));
            }
            batch.push(entry.clone());
        }
        out.push((*day, batch));
    }
    out
}

/// One labelled day version of the replay.
pub struct Labelled {
    pub features: [f64; features::N],
    pub fraud: bool,
    /// Whether the rules alone let the day through (the days a model can add to).
    pub passed_the_rules: bool,
}

/// A record as the replay keeps it: what the sync's upsert and the verdicts leave.
#[derive(Clone)]
struct Record {
    entry: DayEntry,
    first_source: Source,
    first_day: i64,
    version: i32,
    lowered: Option<(i64, i64)>,
    on_time_steps: Option<i64>,
    verified: bool,
    verified_steps: i64,
}

/// Replays `world` in memory as the pipeline would see it, every account's syncs in time
/// order: each new version of a day is scored by the rules (as validation does, without a
/// model), a held day is decided as a careful admin would (approved if honest, rejected
/// if not), and each version becomes a labelled row of its features. The facts are built
/// as `steps::validation` builds them from the database; where this replay and the real
/// path could differ, the benchmark (which runs the real path) is the judge.
pub fn labelled(world: &World, settings: &Settings) -> Vec<Labelled> {
    let mut records: Vec<BTreeMap<NaiveDate, Record>> = world
        .accounts
        .iter()
        .map(|a| {
            a.history
                .iter()
                .map(|e| {
                    let day = world.day(e.date);
                    (
                        e.date,
                        Record {
                            entry: e.clone(),
                            first_source: e.source,
                            first_day: day,
                            version: 1,
                            lowered: None,
                            on_time_steps: Some(e.steps),
                            verified: true,
                            verified_steps: e.steps,
                        },
                    )
                })
                .collect()
        })
        .collect();
    // Device → (account, order of first use, last date synced).
    let mut devices: HashMap<&str, Vec<(usize, i64, NaiveDate)>> = HashMap::new();
    let mut uses = 0;
    let mut by_day: BTreeMap<i64, Vec<(usize, Vec<DayEntry>)>> = BTreeMap::new();
    for (i, account) in world.accounts.iter().enumerate() {
        for (day, entries) in split_syncs(&account.syncs) {
            by_day.entry(day).or_default().push((i, entries));
        }
    }
    let mut same_hours: HashMap<(NaiveDate, Vec<i32>), Vec<usize>> = HashMap::new();
    let mut out = Vec::new();
    for (day, syncs) in by_day {
        for (i, entries) in syncs {
            let account = &world.accounts[i];
            if let Some(device) = account.device.as_deref() {
                let last = entries
                    .iter()
                    .map(|e| e.date)
                    .max()
                    .unwrap_or(world.date(day));
                let users = devices.entry(device).or_default();
                match users.iter_mut().find(|(a, ..)| *a == i) {
                    Some(seen) => seen.2 = seen.2.max(last),
                    None => {
                        uses += 1;
                        users.push((i, uses, last));
                    }
                }
            }
            let push_rate = account
                .counts_pushes
                .then_some(settings.push_step_equivalents);
            for entry in entries {
                let entry = recorded(&entry, push_rate);
                let days = &mut records[i];
                let changed = upsert(days, &entry, day, world, settings);
                if !changed {
                    continue;
                }
                let mut facts = facts(world, i, &records[i], &devices, entry.date, settings);
                // Accounts whose day had these very hours (`same_hours_as_other_accounts`).
                if let Some(hours) = entry.hourly_steps.clone().filter(|_| entry.steps >= 2_000) {
                    let seen = same_hours.entry((entry.date, hours)).or_default();
                    if !seen.contains(&i) {
                        seen.push(i);
                    }
                    facts.accounts_with_same_hours = seen.len() as i64 - 1;
                }
                if push_rate.is_some() {
                    facts.pushes = entry.pushes.unwrap_or(0);
                    facts.hourly_pushes = entry.hourly_pushes.clone();
                }
                let verdict = super::score(&facts, settings, None);
                let fraud = matches!(account.cohort, Cohort::Fraud(_))
                    && account.counted.contains(&entry.date);
                let honest_counted = !matches!(account.cohort, Cohort::Fraud(_))
                    && (account.counted.contains(&entry.date)
                        || account.cohort == Cohort::RingOwner);
                let record = records[i].get_mut(&entry.date).expect("just upserted");
                if verdict.suspicious {
                    // A careful admin: approves what is real, rejects what is not.
                    if !fraud {
                        record.verified = true;
                        record.verified_steps = entry.steps - entry.manual_steps;
                    } else {
                        record.verified = false;
                    }
                } else {
                    record.verified = true;
                    record.verified_steps = verdict.verified_steps.max(record.verified_steps);
                }
                if fraud || honest_counted {
                    out.push(Labelled {
                        features: verdict.features,
                        fraud,
                        passed_the_rules: !verdict.suspicious && verdict.verified_steps > 0,
                    });
                }
            }
        }
    }
    out
}

/// The sync's upsert of one entry on sim day `day`: returns whether the day changed.
fn upsert(
    days: &mut BTreeMap<NaiveDate, Record>,
    entry: &DayEntry,
    day: i64,
    world: &World,
    settings: &Settings,
) -> bool {
    let on_time = day - world.day(entry.date) <= settings.anti_cheat_late_backfill_days;
    match days.get_mut(&entry.date) {
        None => {
            days.insert(
                entry.date,
                Record {
                    entry: entry.clone(),
                    first_source: entry.source,
                    first_day: day,
                    version: 1,
                    lowered: None,
                    on_time_steps: on_time.then_some(entry.steps),
                    verified: false,
                    verified_steps: 0,
                },
            );
            true
        }
        Some(r) => {
            let old = &r.entry;
            let same = (
                old.steps,
                old.distance_km,
                old.calories,
                old.source,
                &old.hourly_steps,
            ) == (
                entry.steps,
                entry.distance_km,
                entry.calories,
                entry.source,
                &entry.hourly_steps,
            );
            if same {
                return false;
            }
            if (entry.steps as f64) < old.steps as f64 * 0.9 {
                r.lowered = Some((
                    r.lowered.map_or(old.steps, |l| l.0),
                    r.lowered.map_or(entry.steps, |l| l.1.min(entry.steps)),
                ));
            }
            if on_time {
                r.on_time_steps = Some(r.on_time_steps.unwrap_or(0).max(entry.steps));
            }
            r.entry = entry.clone();
            r.version += 1;
            true
        }
    }
}

/// The facts of `date` for account `i`, as validation reads them from the database.
fn facts(
    world: &World,
    i: usize,
    days: &BTreeMap<NaiveDate, Record>,
    devices: &HashMap<&str, Vec<(usize, i64, NaiveDate)>>,
    date: NaiveDate,
    settings: &Settings,
) -> DayFacts {
    let account = &world.accounts[i];
    let r = &days[&date];
    let before: Vec<&Record> = days
        .range(date - Days::new(120)..date)
        .rev()
        .map(|(_, r)| r)
        .take(30)
        .collect();
    let recent_verified_days: Vec<i64> = before
        .iter()
        .filter(|d| d.verified)
        .map(|d| d.verified_steps)
        .collect();
    let usual = super::usual_day(&recent_verified_days);
    let high = settings.high_day_steps.max((2.0 * usual) as i64);
    let nearby = |after: bool| {
        days.range(date - Days::new(6)..=date + Days::new(6))
            .filter(|(d, x)| **d != date && (**d > date) == after && x.entry.steps >= high)
            .count() as i64
    };
    let earlier_accounts_on_device = account.device.as_deref().map_or(0, |device| {
        let users = &devices[device];
        let mine = users.iter().find(|(a, ..)| *a == i).map(|u| u.1);
        users
            .iter()
            .filter(|(a, first, last)| {
                *a != i
                    && mine.is_some_and(|m| *first < m)
                    && *last > date - Days::new(settings.shared_device_days as u64)
            })
            .count() as i64
    });
    DayFacts {
        date,
        signup_date: world.date(account.signup),
        day_began: true,
        steps: r.entry.steps,
        distance_km: r.entry.distance_km,
        calories: r.entry.calories,
        source: r.entry.source,
        first_source: r.first_source,
        manual_steps: r.entry.manual_steps,
        hourly_steps: r.entry.hourly_steps.clone(),
        lowered: r.lowered,
        reported_days_late: r.first_day - world.day(date),
        earlier_accounts_on_device,
        other_high_days_nearby: nearby(false).max(nearby(true)),
        recent_days_with_hours: before
            .iter()
            .filter(|d| d.verified && d.entry.hourly_steps.is_some())
            .count() as i64,
        recent_verified_days,
        recent_days: before
            .iter()
            .map(|d| RecentDay {
                date: d.entry.date,
                steps: d.entry.steps,
                verified: d.verified,
                hourly_steps: d.entry.hourly_steps.clone(),
                has_distance: d.entry.distance_km.is_some_and(|k| k > Decimal::ZERO),
                late_growth: d
                    .on_time_steps
                    .map_or(0, |on_time| (d.entry.steps - on_time).max(0)),
                main_writer: d
                    .entry
                    .sources
                    .as_deref()
                    .and_then(crate::steps::provenance::main_writer)
                    .map(str::to_owned),
            })
            .collect(),
        on_time_steps: r.on_time_steps,
        verified_before: r.verified_steps,
        version: r.version,
        sources: r.entry.sources.clone(),
        pushes: 0,
        hourly_pushes: None,
        accounts_with_same_hours: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_world_is_the_same_for_a_seed_and_holds_every_strategy() {
        let last = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let a = World::generate(7, last, 12, 1);
        let b = World::generate(7, last, 12, 1);
        let steps = |w: &World| -> Vec<i64> {
            w.accounts
                .iter()
                .flat_map(|a| a.syncs.iter().flat_map(|(_, e)| e.iter().map(|d| d.steps)))
                .collect()
        };
        assert_eq!(steps(&a), steps(&b));
        assert_ne!(steps(&a), steps(&World::generate(8, last, 12, 1)));
        for strategy in STRATEGIES {
            assert!(
                a.accounts
                    .iter()
                    .any(|x| x.cohort == Cohort::Fraud(strategy)),
                "{strategy:?}"
            );
        }
    }

    #[test]
    fn the_replay_labels_fraud_and_honest_days() {
        let last = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let world = World::generate(3, last, 20, 1);
        let rows = labelled(&world, &Settings::defaults());
        let fraud = rows.iter().filter(|r| r.fraud).count();
        assert!(
            fraud > 100 && rows.len() - fraud > 500,
            "{fraud} of {}",
            rows.len()
        );
        // A swing's days are steady: the feature the rules and the model read.
        let steady = rows
            .iter()
            .filter(|r| r.fraud && r.features[12] != features::MISSING && r.features[12] < 0.1)
            .count();
        assert!(steady >= 20, "{steady}");
    }
}
