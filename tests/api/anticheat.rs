//! The anti-cheat rules on realistic and cheating days, with the seeded thresholds: the
//! verdict and the reasons a user would read.

use fitkart::steps::anticheat::{score, DayFacts};
use fitkart_tests::TestApp;
use rust_decimal::Decimal;

fn km(value: f64) -> Option<Decimal> {
    Some(Decimal::try_from(value).unwrap())
}

/// An active commuter: 24 hours summing to `steps`, mostly daytime, never flat.
fn daytime_hours(steps: i32) -> Vec<i32> {
    let weights = [
        0, 0, 0, 0, 0, 0, 2, 6, 9, 5, 4, 6, 10, 7, 4, 5, 6, 10, 12, 8, 4, 2, 0, 0,
    ];
    let total: i32 = weights.iter().sum();
    let mut hours: Vec<i32> = weights.iter().map(|w| steps * w / total).collect();
    hours[18] += steps - hours.iter().sum::<i32>();
    hours
}

fn walker_history() -> Vec<i64> {
    vec![
        7_800, 8_400, 6_900, 9_100, 8_000, 7_600, 8_800, 9_300, 7_200, 8_100,
    ]
}

#[tokio::test]
async fn realistic_and_cheating_days_get_the_expected_verdicts_and_reasons() {
    let t = TestApp::new().await;
    let settings = t.app.settings().await.unwrap();
    let normal = DayFacts {
        steps: 8_600,
        distance_km: km(6.4),
        calories: Some(Decimal::from(340)),
        source: "health_connect".into(),
        hourly_steps: Some(daytime_hours(8_600)),
        recent_verified_days: walker_history(),
        ..DayFacts::default()
    };
    let mut swinger_hours = vec![0; 24];
    for hour in swinger_hours.iter_mut().take(19).skip(9) {
        *hour = 4_000;
    }
    swinger_hours[10] = 4_020;
    swinger_hours[13] = 3_990;
    let cases: Vec<(&str, DayFacts, bool, Vec<&str>)> = vec![
        ("a normal walker", normal.clone(), false, vec![]),
        (
            "a marathon day",
            DayFacts {
                steps: 56_000,
                distance_km: km(48.0),
                calories: Some(Decimal::from(3_400)),
                hourly_steps: None,
                ..normal.clone()
            },
            true,
            vec![
                "56,000 steps in one day is far above",
                "56,000 steps is 7.0 times your usual 8,050 a day",
            ],
        ),
        (
            "a phone swinger",
            DayFacts {
                steps: 40_010,
                distance_km: km(30.0),
                calories: None,
                hourly_steps: Some(swinger_hours),
                recent_verified_days: vec![],
                ..normal.clone()
            },
            true,
            vec!["10 hours in a row with nearly identical step counts"],
        ),
        (
            "150,000 steps",
            DayFacts {
                steps: 150_000,
                distance_km: km(110.0),
                calories: None,
                hourly_steps: None,
                ..normal.clone()
            },
            true,
            vec![
                "150,000 steps in one day is more than we credit automatically",
                "150,000 steps is 18.6 times your usual",
            ],
        ),
        (
            "40,000 steps without distance",
            DayFacts {
                steps: 40_000,
                distance_km: None,
                calories: None,
                hourly_steps: None,
                recent_verified_days: vec![],
                ..normal.clone()
            },
            true,
            vec!["40,000 steps were recorded without any distance"],
        ),
        (
            "a manual entry",
            DayFacts {
                source: "manual".into(),
                distance_km: None,
                calories: None,
                hourly_steps: None,
                ..normal.clone()
            },
            true,
            vec!["Manually entered steps need an admin's approval"],
        ),
        (
            "a shared device",
            DayFacts {
                other_accounts_on_device: 3,
                steps: 26_000,
                distance_km: km(19.0),
                calories: None,
                hourly_steps: None,
                recent_verified_days: vec![],
                ..normal.clone()
            },
            false,
            vec!["This device also synced steps for 3 other accounts recently."],
        ),
        (
            "a shared device on a spiky day",
            DayFacts {
                other_accounts_on_device: 2,
                steps: 30_000,
                distance_km: km(22.0),
                calories: None,
                hourly_steps: None,
                ..normal.clone()
            },
            true,
            vec![
                "30,000 steps is 3.7 times your usual",
                "This device also synced steps for 2 other accounts recently.",
            ],
        ),
        (
            "an impossible hour",
            DayFacts {
                steps: 20_000,
                distance_km: km(15.0),
                calories: None,
                hourly_steps: Some({
                    let mut h = vec![0; 24];
                    h[14] = 16_000;
                    h[15] = 4_000;
                    h
                }),
                recent_verified_days: vec![],
                ..normal.clone()
            },
            true,
            vec!["16,000 steps between 14:00 and 15:00 is more than 250 steps a minute"],
        ),
        (
            "a night shift cradle",
            DayFacts {
                steps: 9_000,
                distance_km: km(6.8),
                calories: None,
                hourly_steps: Some({
                    let mut h = daytime_hours(4_000);
                    h[2] = 1_700;
                    h[3] = 1_650;
                    h[4] = 1_650;
                    h
                }),
                recent_verified_days: vec![],
                ..normal.clone()
            },
            false,
            vec!["5,000 steps between 02:00 and 05:00."],
        ),
        (
            "a stride no human takes",
            DayFacts {
                steps: 10_000,
                distance_km: km(25.0),
                calories: None,
                hourly_steps: None,
                ..normal.clone()
            },
            false,
            vec!["25 km for 10,000 steps means 2.5 m per step"],
        ),
        (
            "part of the day typed in by hand",
            DayFacts {
                manual_steps: 1_200,
                ..normal.clone()
            },
            false,
            vec!["1,200 manually entered steps don't earn coins"],
        ),
        (
            "a late backfill",
            DayFacts {
                reported_days_late: 6,
                ..normal.clone()
            },
            false,
            vec!["first reported 6 days after the day"],
        ),
    ];
    for (name, facts, held, reasons) in cases {
        let verdict = score(&facts, &settings);
        assert_eq!(verdict.suspicious, held, "{name}: {verdict:?}");
        assert_eq!(
            verdict.reasons.len(),
            reasons.len(),
            "{name}: {:?}",
            verdict.reasons
        );
        for (reason, expected) in verdict.reasons.iter().zip(&reasons) {
            assert!(
                reason.contains(expected),
                "{name}: {reason:?} should say {expected:?}"
            );
        }
        assert!(verdict.score <= 100);
        if held {
            assert_eq!(
                verdict.verified_steps, 0,
                "{name}: held steps earn nothing yet"
            );
        } else {
            assert_eq!(
                verdict.verified_steps,
                facts.steps - facts.manual_steps,
                "{name}"
            );
        }
    }
}

#[tokio::test]
async fn with_anti_cheat_disabled_every_device_record_is_verified() {
    let t = TestApp::new().await;
    t.set_setting("anti_cheat_enabled", "false").await;
    let settings = t.app.settings().await.unwrap();
    let verdict = score(
        &DayFacts {
            steps: 150_000,
            source: "health_kit".into(),
            ..DayFacts::default()
        },
        &settings,
    );
    assert!(!verdict.suspicious);
    assert_eq!((verdict.score, verdict.verified_steps), (0, 150_000));
    assert!(verdict.reasons.is_empty());
}
