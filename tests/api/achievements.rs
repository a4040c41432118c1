//! The 13 seeded achievements: each unlocked by a realistic history and not by a near miss,
//! each bonus paid once however often evaluation runs; and the caller's view of them.

use chrono::Days;
use fitkart::orders::Status;
use fitkart_functions::{achievements, orders};
use fitkart_tests::TestApp;
use serde_json::json;
use uuid::Uuid;

/// Days (days ago, verified steps, hourly counts or none).
type History = Vec<(u64, i64, Option<Vec<i32>>)>;

fn days(range: std::ops::Range<u64>, steps: i64) -> History {
    range.map(|d| (d, steps, None)).collect()
}

/// Counts in local hours; the rest of the day's steps spread over 09:00-17:00.
fn hours(early: &[(usize, i32)], total: i32) -> Vec<i32> {
    let mut h = vec![0; 24];
    let mut rest = total;
    for (hour, n) in early {
        h[*hour] += n;
        rest -= n;
    }
    for count in &mut h[9..17] {
        *count += rest / 8;
    }
    h[9] += rest % 8;
    h
}

async fn walk(t: &TestApp, user: Uuid, history: &History) {
    let today = fitkart_tests::now().date_naive();
    for (ago, steps, hourly) in history {
        t.walked_hourly(user, today - Days::new(*ago), *steps, hourly.clone())
            .await;
    }
}

async fn evaluate(t: &TestApp, users: &mut [Uuid]) {
    users.sort();
    let mut tx = t.pool.begin().await.unwrap();
    fitkart::achievements::evaluate(&mut tx, users)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn every_step_achievement_unlocks_for_a_real_history_and_not_for_a_near_miss() {
    let t = TestApp::new().await;
    let goal_day = 10_000;
    let cases: Vec<(&str, History, History)> = vec![
        ("steps_1k", days(0..1, 1_000), days(0..1, 999)),
        ("steps_5k", days(0..1, 5_000), days(0..1, 4_999)),
        ("steps_10k", days(0..1, 10_000), days(0..1, 9_999)),
        ("steps_50k", days(0..10, 5_000), {
            let mut h = days(1..10, 5_000);
            h.push((0, 4_999, None));
            h
        }),
        ("steps_100k", days(0..20, 5_000), {
            let mut h = days(1..20, 5_000);
            h.push((0, 4_999, None));
            h
        }),
        ("streak_7", days(0..7, goal_day), {
            // Six days, one day just short of the goal, six more.
            let mut h = days(0..6, goal_day);
            h.push((6, goal_day - 1, None));
            h.extend(days(7..13, goal_day));
            h
        }),
        ("streak_30", days(0..30, goal_day), {
            let mut h = days(0..29, goal_day);
            h.extend(days(30..45, goal_day));
            h
        }),
        ("streak_100", days(0..100, goal_day), {
            let mut h = days(0..50, goal_day);
            h.push((50, 0, None));
            h.extend(days(51..101, goal_day));
            h
        }),
        (
            "early_bird",
            vec![(0, 6_000, Some(hours(&[(5, 1_200), (6, 800)], 6_000)))],
            vec![(0, 6_000, Some(hours(&[(6, 1_999), (7, 2_500)], 6_000)))],
        ),
        (
            "night_owl",
            vec![(0, 6_000, Some(hours(&[(22, 1_500), (23, 500)], 6_000)))],
            vec![(0, 6_000, Some(hours(&[(21, 2_500), (22, 1_999)], 6_000)))],
        ),
        (
            "consistency_month",
            // 25 of the last 30 days (every sixth day missed: no 7-day streak either way).
            (0..30)
                .filter(|d| d % 6 != 5)
                .map(|d| (d, goal_day, None))
                .collect(),
            // 24 of the last 30, plus goal days older than the window.
            (0..40)
                .filter(|d| (*d >= 30) || (d % 5 != 4))
                .map(|d| (d, goal_day, None))
                .collect(),
        ),
    ];
    let mut users = Vec::new();
    for (code, hit, miss) in &cases {
        let winner = t.register(&format!("{code}-hit@example.com")).await;
        let near = t.register(&format!("{code}-miss@example.com")).await;
        walk(&t, winner.id, hit).await;
        walk(&t, near.id, miss).await;
        users.push((code, winner.id, near.id));
    }
    let mut ids: Vec<Uuid> = users.iter().flat_map(|(_, a, b)| [*a, *b]).collect();
    evaluate(&t, &mut ids).await;
    evaluate(&t, &mut ids).await; // again: nothing new, nothing paid twice
    for (code, winner, near) in &users {
        let won = t.unlocked_achievements(*winner).await;
        assert!(
            won.contains(&code.to_string()),
            "{code}: a real history unlocks it ({won:?})"
        );
        let missed = t.unlocked_achievements(*near).await;
        assert!(
            !missed.contains(&code.to_string()),
            "{code}: a near miss does not ({missed:?})"
        );
    }
    // Each unlock paid its reward once.
    let paid: Vec<(Uuid, Uuid, i64, i64)> = sqlx::query_as(
        "SELECT ua.user_id, ua.achievement_id, count(t.id), COALESCE(sum(t.amount), 0)::int8
         FROM user_achievements ua
         JOIN achievements a ON a.id = ua.achievement_id
         LEFT JOIN coin_transactions t ON t.user_id = ua.user_id AND t.reference_type = 'achievement'
                                      AND t.reference_id = ua.achievement_id
         GROUP BY ua.user_id, ua.achievement_id, a.reward_coins
         HAVING count(t.id) <> 1 OR COALESCE(sum(t.amount), 0) <> a.reward_coins",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert!(paid.is_empty(), "bonuses not paid exactly once: {paid:?}");
    t.assert_ledger_invariants().await;
}

/// One unit of each product.
fn lines(products: &[Uuid]) -> Vec<(Uuid, i64)> {
    products.iter().map(|p| (*p, 1)).collect()
}

#[tokio::test]
async fn redemption_achievements_count_orders_that_stand() {
    let t = TestApp::new().await;
    let mut products = Vec::new();
    for i in 0..5 {
        products.push(t.product(&format!("Product {i}"), 100, 50).await);
    }
    let collector = t.verified("collector@example.com").await;
    let near = t.verified("near@example.com").await;
    let cancelled = t.verified("cancelled@example.com").await;
    for user in [&collector, &near, &cancelled] {
        t.grant(user.id, 10_000).await;
    }
    // Five distinct products over two shipped orders.
    for order in [
        t.order(&collector, "c1", &lines(&products[..3])).await,
        t.order(&collector, "c2", &lines(&products[2..])).await,
    ] {
        t.advance_order(order, Status::Shipped).await;
    }
    // Four distinct products, one of them twice; and a fifth that never shipped.
    for order in [
        t.order(&near, "n1", &lines(&products[..4])).await,
        t.order(&near, "n2", &lines(&products[..1])).await,
    ] {
        t.advance_order(order, Status::Delivered).await;
    }
    t.order(&near, "n3", &lines(&products[4..])).await;
    // An order that was cancelled is not a redemption.
    let id = t.order(&cancelled, "x1", &lines(&products[..1])).await;
    let res = t
        .call(orders::cancel, "POST", "/v1/orders/{id}/cancel")
        .bearer(&cancelled.access_token)
        .param("id", id)
        .send()
        .await;
    assert_eq!(res.status, 200);

    assert_eq!(
        t.unlocked_achievements(collector.id).await,
        ["first_redemption", "collector"]
    );
    assert_eq!(t.unlocked_achievements(near.id).await, ["first_redemption"]);
    // Redemptions unlock when goods ship: a cancelled order unlocks nothing.
    assert!(t.unlocked_achievements(cancelled.id).await.is_empty());
    let fresh = t.register("fresh@example.com").await;
    assert!(t.unlocked_achievements(fresh.id).await.is_empty());

    let mine = t
        .call(achievements::list, "GET", "/v1/achievements")
        .bearer(&collector.access_token)
        .send()
        .await;
    assert_eq!(mine.status, 200);
    let items = mine.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 13);
    assert_eq!(items[0]["code"], "steps_1k");
    let collector_badge = items.iter().find(|a| a["code"] == "collector").unwrap();
    assert_eq!(collector_badge["unlocked"], true);
    assert!(collector_badge["unlocked_at"].is_string());
    assert_eq!(collector_badge["reward_coins"], 200);
    let streak = items.iter().find(|a| a["code"] == "streak_7").unwrap();
    assert_eq!(
        (streak["unlocked"].clone(), streak["unlocked_at"].clone()),
        (json!(false), json!(null))
    );
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn every_criterion_fits_the_window_an_evaluation_reads() {
    // An evaluation reads the last WINDOW_DAYS of a user's days (a few months of the
    // partitioned history): every run of days a criterion needs must fit inside, with
    // room for the users' time zones.
    let t = TestApp::new().await;
    let longest: i32 = sqlx::query_scalar(
        "SELECT max(GREATEST(COALESCE((unlock_criteria->>'days')::int, 0),
                             COALESCE((unlock_criteria->>'window_days')::int, 0)))
         FROM achievements",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert!(longest >= 100, "streak_100 is seeded");
    assert!(
        longest + 2 <= fitkart::achievements::WINDOW_DAYS,
        "a criterion needs {longest} days; the window holds {}",
        fitkart::achievements::WINDOW_DAYS
    );
}
