//! The fraud benchmark: a simulated population syncing five weeks of days through the
//! real code (accounts::create, steps::sync::record_days, the validation and crediting
//! consumers' domain calls, referrals) against a throwaway Postgres, then the share of
//! fraudulent coins that were paid and of honest days that were held.
//!
//! - Honest walkers: daily totals log-normal around each person's own median (itself
//!   log-normal around ~7,000), a weekly rhythm, occasional 20-30k hikes; hourly counts
//!   over waking hours; one device each; syncing every evening (today's partial count,
//!   completed the next time) or every two or three days; 10% of phones without distance.
//!   Established accounts joined months ago; new ones join during the run, and their app
//!   backfills the week before sign-up (recorded, never paid: not counted either way).
//! - Fraud strategies (each account's fraud days; warm-up days that look honest are not
//!   counted): see `Strategy`. Attempted coins are what the fraud days would pay at the
//!   last reported count (capped per day) plus the referral bonuses sought; paid coins
//!   are what was credited for them and the bonuses actually paid.
//!
//! Held days count as not paid (a reviewer would see the reasons). The world runs twice:
//! with the rules alone, then (after the weekly training job learned from the first run's
//! verified days) with rules + the anomaly model at `BENCH_MODEL_WEIGHT` points (60),
//! flagging `BENCH_MODEL_FLAG_PERMILLE` of its training days (5, as the job trains it). Run
//! with `scripts/bench fraud`; `BENCH_SEED`, `BENCH_HONEST`, `BENCH_FRAUD` change the world.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use fitkart::accounts::{self, NewAccount};
use fitkart::settings::Settings;
use fitkart::steps::sync::{record_days, DayEntry};
use fitkart::steps::validation;
use fitkart::steps::{anomaly, crediting};
use fitkart::steps::{Source, ValidateRecord};
use fitkart::App;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

/// Simulated days; day `DAYS - 1` is today.
const DAYS: i64 = 35;
/// Fraud days start after this many days of honest-looking syncs.
const WARM_UP: i64 = 3;
/// Accounts that joined before the run bring this many days of verified history (their
/// personal baseline), written straight into the database.
const HISTORY_DAYS: i64 = 30;
/// Sync hour (UTC, every account's time zone here): today's count is partial.
const SYNC_HOUR: usize = 21;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Strategy {
    /// A fresh account backfilling a week of 49,999-step, 37 km days before sign-up (the
    /// v1 finding), then farming the same after it: no hours, no device.
    Backfill,
    /// Five accounts on one phone syncing the phone's days; the first is the phone's
    /// owner (their days are real and not counted), the other four are the fraud.
    DeviceRing,
    /// A leader invites ten accounts that sync plausible goal days from the leader's
    /// phone to collect both referral bonuses.
    ReferralRing,
    /// A phone on a swinger: ten machine-flat hours a day.
    FlatShaker,
    /// A phone in a cradle at night: 7,500 steps between 02:00 and 05:00 on top of a day.
    NightCradle,
    /// Days just under one threshold each: 24,999 on a new account, 49,999 with hours,
    /// 14,999 without hours, four flat hours, 2,990 night steps.
    JustUnder,
    /// 18,000 steps a day claiming 30 km.
    InventedDistance,
    /// 15,000 steps a day typed in by hand.
    Manual,
    /// A day typed in by hand, then re-sent as phone data.
    SourceSwitch,
    /// A day synced at 9,000, lowered to 1,000, raised to 24,000.
    LowerRaise,
}

const STRATEGIES: [Strategy; 10] = [
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
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Cohort {
    Established,
    New,
    /// A device or referral ring's leader: real steps, counted nowhere.
    RingOwner,
    Fraud(Strategy),
}

/// One simulated account and everything it will send.
struct Account {
    cohort: Cohort,
    /// Sim day of sign-up (negative: before the run).
    signup: i64,
    device: Option<String>,
    referred_by: Option<usize>,
    email_verified: bool,
    /// (sim day of the sync, entries).
    syncs: Vec<(i64, Vec<DayEntry>)>,
    /// Verified days before the run (accounts that joined before it).
    history: Vec<DayEntry>,
    /// Dates whose records count for this account's cohort (fraud days, or honest days
    /// after sign-up).
    counted: Vec<NaiveDate>,
}

struct World {
    base: NaiveDate,
    accounts: Vec<Account>,
}

impl World {
    fn date(&self, day: i64) -> NaiveDate {
        if day >= 0 {
            self.base + Days::new(day as u64)
        } else {
            self.base - Days::new((-day) as u64)
        }
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

impl Walker {
    fn draw(rng: &mut StdRng) -> Self {
        let median = LogNormal::new(7_000f64.ln(), 0.4).unwrap().sample(rng);
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
        use chrono::Datelike;
        if rng.random_bool(0.02) {
            return rng.random_range(20_000..30_000);
        }
        let weekend = matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun);
        let rhythm = if weekend { self.weekend } else { 1.0 };
        let noise = LogNormal::new(0.0, 0.3).unwrap().sample(rng);
        ((self.median * rhythm * noise) as i64).clamp(300, 40_000)
    }

    fn hours(&self, rng: &mut StdRng, steps: i64) -> Vec<i32> {
        let noise = LogNormal::new(0.0, 0.3).unwrap();
        let weights: Vec<f64> = self
            .hour_weights
            .iter()
            .map(|w| w * noise.sample(rng))
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

fn phone_entry(
    date: NaiveDate,
    steps: i64,
    hours: Option<Vec<i32>>,
    stride_m: Option<f64>,
    kcal_per_step: f64,
) -> DayEntry {
    DayEntry {
        date,
        steps,
        source: Source::HealthConnect,
        distance_km: stride_m.map(|s| {
            Decimal::try_from(steps as f64 * s / 1000.0)
                .unwrap()
                .round_dp(3)
        }),
        calories: Some(
            Decimal::try_from(steps as f64 * kcal_per_step)
                .unwrap()
                .round_dp(2),
        ),
        heart_points: None,
        hourly_steps: hours,
        manual_steps: 0,
        sync_token: None,
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
        out.steps = steps;
        out.distance_km = entry
            .distance_km
            .map(|d| (d * Decimal::try_from(scale).unwrap()).round_dp(3));
        out.calories = entry
            .calories
            .map(|c| (c * Decimal::try_from(scale).unwrap()).round_dp(2));
    }
    out
}

/// An honest account's syncs: every `period` days in the evening, the days since the last
/// complete report (at most a week back) and today's partial count.
fn honest_syncs(
    world: &World,
    rng: &mut StdRng,
    walker: &Walker,
    first_sync: i64,
    period: i64,
    backfill_from: i64,
) -> Vec<(i64, Vec<DayEntry>)> {
    let days: BTreeMap<i64, DayEntry> = (backfill_from..DAYS)
        .map(|d| {
            let date = world.date(d);
            let steps = walker.day_total(rng, date);
            let hours = walker.hours(rng, steps);
            (d, walker.entry(date, steps, Some(hours)))
        })
        .collect();
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
        let syncs = honest_syncs(world, rng, &walker, first_sync, period, backfill_from);
        let counted = (signup.max(0)..DAYS).map(|d| world.date(d)).collect();
        let history = if is_new {
            Vec::new()
        } else {
            history(world, rng, &walker)
        };
        world.push(Account {
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
        });
    }
}

/// The walker's verified days before the run.
fn history(world: &World, rng: &mut StdRng, walker: &Walker) -> Vec<DayEntry> {
    (-HISTORY_DAYS..0)
        .map(|d| {
            let date = world.date(d);
            let steps = walker.day_total(rng, date);
            let hours = walker.hours(rng, steps);
            walker.entry(date, steps, Some(hours))
        })
        .collect()
}

/// Daily syncs of `day_of(d)` for sim days `from..to` (plus, for warm-up, honest days
/// before `from`), full counts each evening.
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
    fraud: impl FnMut(NaiveDate) -> Vec<DayEntry>,
) {
    let walker = Walker::draw(rng);
    let mut syncs = honest_syncs(world, rng, &walker, 0, 1, 0);
    syncs.retain(|(d, _)| *d < WARM_UP);
    let (mut farmed, counted) = farm(world, WARM_UP, DAYS, fraud);
    syncs.append(&mut farmed);
    let history = history(world, rng, &walker);
    world.push(Account {
        cohort: Cohort::Fraud(strategy),
        signup: -60,
        device: Some(device),
        referred_by: None,
        email_verified: true,
        syncs,
        history,
        counted,
    });
}

/// `rest` steps over a normal day, with `flat_hours` from 09:00 replaced by a swinger's
/// `per_hour` (within 1% hour to hour).
fn flat_day(date: NaiveDate, flat_hours: usize, per_hour: i32, rest: i64) -> DayEntry {
    let mut hours = spread(rest, &BASE_RHYTHM);
    for (i, h) in hours.iter_mut().enumerate().skip(9).take(flat_hours) {
        *h = per_hour + (i as i32 % 3) * (per_hour / 200);
    }
    let steps = hours.iter().map(|h| i64::from(*h)).sum();
    phone_entry(date, steps, Some(hours), Some(0.72), 0.04)
}

fn night_day(date: NaiveDate, per_night_hour: i32, day_steps: i64) -> DayEntry {
    let mut hours = spread(day_steps, &BASE_RHYTHM);
    for h in &mut hours[2..5] {
        *h += per_night_hour;
    }
    let steps = hours.iter().map(|h| i64::from(*h)).sum();
    phone_entry(date, steps, Some(hours), Some(0.72), 0.04)
}

fn fraud(world: &mut World, rng: &mut StdRng, per_strategy: usize) {
    for unit in 0..per_strategy {
        let device = |s: &str| format!("{s}-{unit}");
        // Backfill: joins mid-run, a week before sign-up, then a week after.
        let signup = rng.random_range(8..DAYS - 8);
        let big = |date| DayEntry {
            hourly_steps: None,
            distance_km: Some(Decimal::from(37)),
            source: Source::HealthKit,
            ..phone_entry(date, 49_999, None, None, 0.04)
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
        });

        // Device ring: the owner's real days, synced into four more accounts.
        let owner = Walker::draw(rng);
        let owner_syncs = honest_syncs(world, rng, &owner, 0, 1, 0);
        let owner_history = history(world, rng, &owner);
        for member in 0..5 {
            world.push(Account {
                cohort: if member == 0 {
                    Cohort::RingOwner
                } else {
                    Cohort::Fraud(Strategy::DeviceRing)
                },
                signup: -60,
                device: Some(device("ring-phone")),
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
            });
        }

        // Referral ring: ten invitees on the leader's phone, each walking five goal days.
        let leader_walker = Walker::draw(rng);
        let leader = world.push(Account {
            cohort: Cohort::RingOwner,
            signup: -60,
            device: Some(device("leader-phone")),
            referred_by: None,
            email_verified: true,
            syncs: honest_syncs(world, rng, &leader_walker, 0, 1, 0),
            history: history(world, rng, &leader_walker),
            counted: Vec::new(),
        });
        for _ in 0..10 {
            let joined = rng.random_range(5..DAYS - 6);
            let (syncs, counted) = farm(world, joined, joined + 5, |date| {
                vec![leader_walker.entry(date, 10_500, Some(spread(10_500, &BASE_RHYTHM)))]
            });
            world.push(Account {
                cohort: Cohort::Fraud(Strategy::ReferralRing),
                signup: joined,
                device: Some(device("leader-phone")),
                referred_by: Some(leader),
                email_verified: true,
                syncs,
                history: Vec::new(),
                counted,
            });
        }

        established_fraud(world, rng, Strategy::FlatShaker, device("shaker"), |date| {
            vec![flat_day(date, 10, 2_400, 2_000)]
        });
        established_fraud(
            world,
            rng,
            Strategy::NightCradle,
            device("cradle"),
            |date| vec![night_day(date, 2_500, 8_000)],
        );

        // Just under: one threshold per account.
        let variant = unit % 5;
        if variant == 0 {
            let joined = rng.random_range(3..DAYS - 12);
            let (syncs, counted) = farm(world, joined, joined + 10, |date| {
                vec![phone_entry(
                    date,
                    24_999,
                    Some(spread(24_999, &BASE_RHYTHM)),
                    Some(0.72),
                    0.04,
                )]
            });
            world.push(Account {
                cohort: Cohort::Fraud(Strategy::JustUnder),
                signup: joined,
                device: Some(device("under")),
                referred_by: None,
                email_verified: true,
                syncs,
                history: Vec::new(),
                counted,
            });
        } else {
            established_fraud(
                world,
                rng,
                Strategy::JustUnder,
                device("under"),
                move |date| {
                    vec![match variant {
                        1 => phone_entry(
                            date,
                            49_999,
                            Some(spread(49_999, &BASE_RHYTHM)),
                            Some(0.72),
                            0.04,
                        ),
                        2 => phone_entry(date, 14_999, None, Some(0.72), 0.04),
                        3 => flat_day(date, 4, 3_000, 9_000),
                        _ => night_day(date, 996, 9_000),
                    }]
                },
            );
        }

        established_fraud(
            world,
            rng,
            Strategy::InventedDistance,
            device("distance"),
            |date| {
                let mut day =
                    phone_entry(date, 18_000, Some(spread(18_000, &BASE_RHYTHM)), None, 0.04);
                day.distance_km = Some(Decimal::from(30));
                vec![day]
            },
        );
        established_fraud(world, rng, Strategy::Manual, device("typed"), |date| {
            vec![DayEntry {
                source: Source::Manual,
                manual_steps: 15_000,
                ..phone_entry(date, 15_000, None, None, 0.04)
            }]
        });
        established_fraud(
            world,
            rng,
            Strategy::SourceSwitch,
            device("switch"),
            |date| {
                let typed = DayEntry {
                    source: Source::Manual,
                    ..phone_entry(date, 20_000, None, None, 0.04)
                };
                let relabelled = phone_entry(
                    date,
                    20_000,
                    Some(spread(20_000, &BASE_RHYTHM)),
                    Some(0.72),
                    0.04,
                );
                vec![typed, relabelled]
            },
        );
        established_fraud(world, rng, Strategy::LowerRaise, device("editor"), |date| {
            let day = |steps| {
                phone_entry(
                    date,
                    steps,
                    Some(spread(steps, &BASE_RHYTHM)),
                    Some(0.72),
                    0.04,
                )
            };
            vec![day(9_000), day(1_000), day(24_000)]
        });
    }
}

/// Several entries for one date in one farm day are separate syncs, in order (a sync
/// holds each date once).
fn split_syncs(syncs: &[(i64, Vec<DayEntry>)]) -> Vec<(i64, Vec<DayEntry>)> {
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

fn sync_time(world: &World, day: i64, nth: usize) -> DateTime<Utc> {
    let date = world.date(day);
    Utc.from_utc_datetime(&date.and_hms_opt(SYNC_HOUR as u32, 0, 0).unwrap())
        + chrono::Duration::seconds(nth as i64)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seed = fitkart_tests::bench::number("BENCH_SEED", 42, 42) as u64;
    let honest_established = fitkart_tests::bench::number("BENCH_HONEST", 1_200, 12) as usize;
    let honest_new = honest_established / 2;
    let per_strategy = fitkart_tests::bench::number("BENCH_FRAUD", 20, 1) as usize;
    let weight = fitkart_tests::bench::number("BENCH_MODEL_WEIGHT", 60, 60);
    // The share of training days the model flags, in tenths of a percent (5: the job's 0.5%).
    let flag_rate = fitkart_tests::bench::number("BENCH_MODEL_FLAG_PERMILLE", 5, 5) as f64 / 1000.0;
    let mut rng = StdRng::seed_from_u64(seed);
    let today = Utc::now().date_naive();
    let mut world = World {
        base: today - Days::new(DAYS as u64 - 1),
        accounts: Vec::new(),
    };
    honest(&mut world, &mut rng, honest_established, honest_new);
    fraud(&mut world, &mut rng, per_strategy);

    // Run 1: the rules alone. Then the weekly job trains a model on what that run
    // verified (fraud the rules let through included, as it would be in production).
    // The first run's database stays (its guard `_first`) while the model trains on it.
    let (rules, pool, _first) = simulate(&world, None).await;
    let (version, summary) = anomaly::train(&pool, Utc::now(), seed, flag_rate)
        .await
        .unwrap()
        .expect("the run verified days to learn from");
    let model: serde_json::Value =
        sqlx::query_scalar("SELECT model FROM anomaly_models WHERE version = $1")
            .bind(version)
            .fetch_one(&pool)
            .await
            .unwrap();
    // Run 2: the same world, with that model and its weight from the first day.
    let (with_model, _, _second) = simulate(&world, Some((&model, &summary, weight))).await;
    print(&world, seed, &rules, &with_model, weight, &summary);
}

/// What one run of the world produced, per cohort.
struct Results {
    tallies: BTreeMap<Cohort, Tally>,
    new_first_week: Tally,
    elapsed: std::time::Duration,
}

/// One run of the world through the real code on a fresh database; with a model (its
/// JSON, summary and weight), that model is stored and used by validation throughout.
async fn simulate(
    world: &World,
    model: Option<(&serde_json::Value, &serde_json::Value, i64)>,
) -> (Results, PgPool, fitkart_tests::db::TestDatabase) {
    let (pool, db) = fitkart_tests::db::fresh_database().await;
    if let Some((model, summary, weight)) = model {
        sqlx::query("INSERT INTO anomaly_models (model, summary) VALUES ($1, $2)")
            .bind(model)
            .bind(summary)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE settings SET value = $1 WHERE key = 'anomaly_model_weight'")
            .bind(weight.to_string())
            .execute(&pool)
            .await
            .unwrap();
    }
    let app: &'static App = Box::leak(Box::new(App::with_pool(
        fitkart_tests::test_config(),
        pool.clone(),
    )));
    let settings = Arc::new(app.settings().await.unwrap());
    let ids = create_accounts(&pool, world, &settings).await;

    let started = std::time::Instant::now();
    // Per sim day: every sync of the day in account order, then the consumers.
    let mut by_day: BTreeMap<i64, Vec<(usize, Vec<DayEntry>)>> = BTreeMap::new();
    for (i, account) in world.accounts.iter().enumerate() {
        for (day, entries) in split_syncs(&account.syncs) {
            by_day.entry(day).or_default().push((i, entries));
        }
    }
    for (day, syncs) in by_day {
        let mut queued = Vec::new();
        for (nth, (i, entries)) in syncs.iter().enumerate() {
            let mut tx = pool.begin().await.unwrap();
            let rows = record_days(
                &mut tx,
                &settings,
                ids[*i],
                world.date(day),
                sync_time(world, day, nth),
                world.accounts[*i].device.as_deref(),
                entries,
            )
            .await
            .unwrap_or_else(|e| panic!("sync on day {day}: {e:?}"));
            tx.commit().await.unwrap();
            queued.extend(rows.iter().filter(|r| r.unqueued).map(|r| ValidateRecord {
                record_id: r.id,
                version: r.version,
                recorded_date: Some(r.date),
            }));
            // A device ring syncs one after another: validate each sync before the next,
            // as the queue would within seconds.
            if queued.len() >= 100 || world.accounts[*i].device.is_none() {
                run_consumers(&pool, &settings, &mut queued).await;
            }
        }
        run_consumers(&pool, &settings, &mut queued).await;
    }
    let elapsed = started.elapsed();
    let results = tally(&pool, world, &ids, &settings, elapsed).await;
    fitkart_tests::ledger::assert_invariants(&pool).await;
    (results, pool, db)
}

async fn run_consumers(pool: &PgPool, settings: &Settings, queued: &mut Vec<ValidateRecord>) {
    for batch in queued.chunks(100) {
        let (_, creditable) = validation::validate(pool, settings, batch).await.unwrap();
        let mut tx = pool.begin().await.unwrap();
        crediting::credit(&mut tx, settings, &creditable)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    queued.clear();
}

async fn create_accounts(pool: &PgPool, world: &World, settings: &Settings) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = Vec::with_capacity(world.accounts.len());
    for (i, account) in world.accounts.iter().enumerate() {
        let mut tx = pool.begin().await.unwrap();
        let email = format!("walker{i}@bench.example");
        let id = accounts::create(
            &mut tx,
            &NewAccount {
                email: &email,
                password_hash: Some("x"),
                full_name: "Bench Walker",
                phone: None,
                country_code: None,
                timezone: "UTC",
                referred_by: account.referred_by.map(|r| ids[r]),
                provider: None,
                email_verified: account.email_verified,
            },
            settings.new_user_bonus_coins,
        )
        .await
        .unwrap();
        // The account joined on its sign-up day (a run cannot wait five weeks).
        sqlx::query("UPDATE users SET created_at = $2 WHERE id = $1")
            .bind(id)
            .bind(sync_time(world, account.signup, 0) - chrono::Duration::hours(1))
            .execute(&mut *tx)
            .await
            .unwrap();
        // Its verified past: what earlier runs of the pipeline left (credited long ago;
        // only the baseline matters here, so no coins are posted for it).
        let dates: Vec<NaiveDate> = account.history.iter().map(|d| d.date).collect();
        let steps: Vec<i64> = account.history.iter().map(|d| d.steps).collect();
        let hours: Vec<String> = account
            .history
            .iter()
            .map(|d| {
                let hours = d.hourly_steps.as_deref().unwrap_or_default();
                format!(
                    "{{{}}}",
                    hours
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        sqlx::query(
            "INSERT INTO step_records (user_id, recorded_date, steps, hourly_steps, source, first_source, status,
                                       is_verified, verified_steps, version, validated_version, device_id, created_at)
             SELECT $1, d, s, h::int[], 'health_connect', 'health_connect', 'verified', true, s, 1, 1, $5,
                    d + time '21:00'
             FROM UNNEST($2::date[], $3::int8[], $4::text[]) AS h(d, s, h)",
        )
        .bind(id)
        .bind(&dates)
        .bind(&steps)
        .bind(&hours)
        .bind(&account.device)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        ids.push(id);
    }
    ids
}

fn coins(steps: i64, settings: &Settings) -> i64 {
    crediting::coins_for(
        0,
        steps,
        0,
        settings.coins_per_step,
        settings.max_daily_coins,
    )
}

/// A step record as the run left it.
#[derive(sqlx::FromRow)]
struct Outcome {
    user_id: Uuid,
    recorded_date: NaiveDate,
    steps: i64,
    status: String,
    coins_credited: i64,
    rules: Vec<String>,
}

#[derive(Default, Clone)]
struct Tally {
    accounts: usize,
    days: i64,
    held: i64,
    attempted: i64,
    paid: i64,
    delayed: i64,
    rules: HashMap<String, i64>,
}

async fn tally(
    pool: &PgPool,
    world: &World,
    ids: &[Uuid],
    settings: &Settings,
    elapsed: std::time::Duration,
) -> Results {
    let records: HashMap<(Uuid, NaiveDate), Outcome> = sqlx::query_as::<_, Outcome>(
        "SELECT r.user_id, r.recorded_date, r.steps, r.status, r.coins_credited,
                COALESCE((SELECT v.rules FROM step_validations v WHERE v.step_record_id = r.id
                          ORDER BY v.record_version DESC LIMIT 1), '{}') AS rules
         FROM step_records r",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|o| ((o.user_id, o.recorded_date), o))
    .collect();
    let referral_paid: HashMap<Uuid, i64> = sqlx::query_as::<_, (Uuid, i64)>(
        "SELECT user_id, sum(amount)::int8 FROM coin_transactions WHERE reference_type = 'referral' GROUP BY user_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();

    let mut tallies: BTreeMap<Cohort, Tally> = BTreeMap::new();
    let mut new_first_week = Tally::default();
    for (i, account) in world.accounts.iter().enumerate() {
        if account.cohort == Cohort::RingOwner {
            continue;
        }
        let tally = tallies.entry(account.cohort).or_default();
        tally.accounts += 1;
        for date in &account.counted {
            let Some(day) = records.get(&(ids[i], *date)) else {
                continue;
            };
            let would = coins(day.steps, settings);
            let held = day.status == "suspicious";
            tally.days += 1;
            tally.attempted += would;
            tally.paid += day.coins_credited;
            if held {
                tally.held += 1;
                tally.delayed += would;
                for rule in &day.rules {
                    *tally.rules.entry(rule.clone()).or_default() += 1;
                }
            }
            if account.cohort == Cohort::New && (*date - world.date(account.signup)).num_days() < 7
            {
                new_first_week.days += 1;
                new_first_week.attempted += would;
                if held {
                    new_first_week.held += 1;
                    new_first_week.delayed += would;
                }
            }
        }
        if account.cohort == Cohort::Fraud(Strategy::ReferralRing) {
            // The bonuses sought: the invitee's and the leader's, per invitee.
            tally.attempted += 2 * settings.referral_bonus_coins;
            tally.paid += referral_paid.get(&ids[i]).copied().unwrap_or(0);
        }
    }
    // The leaders' referral bonuses are the ring's too.
    for (i, _) in world
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.cohort == Cohort::RingOwner)
    {
        if let Some(paid) = referral_paid.get(&ids[i]) {
            tallies
                .entry(Cohort::Fraud(Strategy::ReferralRing))
                .or_default()
                .paid += paid;
        }
    }
    Results {
        tallies,
        new_first_week,
        elapsed,
    }
}

/// Both runs side by side: per fraud strategy the coins paid with the rules alone and with
/// rules + model, and the honest days held each way.
fn print(
    world: &World,
    seed: u64,
    rules: &Results,
    with_model: &Results,
    weight: i64,
    summary: &serde_json::Value,
) {
    let pct = |part: i64, whole: i64| 100.0 * part as f64 / whole.max(1) as f64;
    let empty = Tally::default();
    let of =
        |r: &'_ Results, c: Cohort| -> Tally { r.tallies.get(&c).cloned().unwrap_or_default() };
    println!();
    println!(
        "fraud benchmark, seed {seed}: {} simulated days, {} accounts ({:.1} s rules alone, {:.1} s with the model; each through record_days, validation and crediting)",
        DAYS,
        world.accounts.len(),
        rules.elapsed.as_secs_f64(),
        with_model.elapsed.as_secs_f64()
    );
    println!(
        "model: trained on the first run's verified days ({} rows, {} .. {}), threshold {:.3} (flags {:.1}% of them), weight {weight} points (held alone at 60)",
        summary["rows"], summary["date_from"], summary["date_to"],
        summary["threshold"].as_f64().unwrap_or_default(),
        100.0 * summary["flag_rate"].as_f64().unwrap_or_default()
    );
    println!();
    println!(
        "{:<18} {:>8} {:>6} {:>16} {:>12} {:>7} {:>12} {:>7}   rules that held its days (with the model)",
        "fraud strategy", "accounts", "days", "attempted coins", "paid: rules", "paid %", "+ model", "paid %"
    );
    let (mut attempted, mut paid, mut paid_model) = (0, 0, 0);
    for strategy in STRATEGIES {
        let (t, m) = (
            of(rules, Cohort::Fraud(strategy)),
            of(with_model, Cohort::Fraud(strategy)),
        );
        attempted += t.attempted;
        paid += t.paid;
        paid_model += m.paid;
        println!(
            "{:<18} {:>8} {:>6} {:>16} {:>12} {:>6.1}% {:>12} {:>6.1}%   {}",
            format!("{strategy:?}"),
            t.accounts,
            t.days,
            t.attempted,
            t.paid,
            pct(t.paid, t.attempted),
            m.paid,
            pct(m.paid, m.attempted),
            top_rules(&m.rules)
        );
    }
    println!(
        "{:<18} {:>8} {:>6} {:>16} {:>12} {:>6.1}% {:>12} {:>6.1}%   goal <= 5%; the model should stop half of what the rules let through",
        "all fraud", "", "", attempted, paid, pct(paid, attempted), paid_model, pct(paid_model, attempted)
    );
    let stopped = pct(paid - paid_model, paid);
    println!("the model stopped {stopped:.1}% of the fraudulent coins the rules alone paid");
    println!();
    println!(
        "{:<24} {:>8} {:>7} {:>10} {:>8} {:>10} {:>8}   rules that held them (with the model)",
        "honest cohort", "accounts", "days", "held: rules", "held %", "+ model", "held %"
    );
    let (mut all, mut all_model) = (Tally::default(), Tally::default());
    for (label, cohort) in [
        ("established", Cohort::Established),
        ("new (since sign-up)", Cohort::New),
    ] {
        let (t, m) = (of(rules, cohort), of(with_model, cohort));
        println!(
            "{:<24} {:>8} {:>7} {:>10} {:>7.2}% {:>10} {:>7.2}%   {}",
            label,
            t.accounts,
            t.days,
            t.held,
            pct(t.held, t.days),
            m.held,
            pct(m.held, m.days),
            top_rules(&m.rules)
        );
        all.days += t.days;
        all.held += t.held;
        all_model.days += m.days;
        all_model.held += m.held;
    }
    let (w, wm) = (&rules.new_first_week, &with_model.new_first_week);
    println!(
        "{:<24} {:>8} {:>7} {:>10} {:>7.2}% {:>10} {:>7.2}%   goal <= 3%",
        "new, first week",
        "",
        w.days,
        w.held,
        pct(w.held, w.days),
        wm.held,
        pct(wm.held, wm.days)
    );
    println!(
        "{:<24} {:>8} {:>7} {:>10} {:>7.2}% {:>10} {:>7.2}%   goal <= 1%; the model may add at most 0.5 points",
        "all honest", "", all.days, all.held, pct(all.held, all.days), all_model.held, pct(all_model.held, all_model.days)
    );
    let _ = empty;
}

fn top_rules(rules: &HashMap<String, i64>) -> String {
    let mut sorted: Vec<(&String, &i64)> = rules.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    sorted
        .iter()
        .take(3)
        .map(|(r, n)| format!("{r} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
