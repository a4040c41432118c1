//! The fraud defences of docs/pipeline-and-ledger.md end to end: real syncs through the handler, the
//! validation and credit consumers on the SQS emulator, and what the user then sees.
//! (Each rule's own table of days that trip it and days that don't is a unit test next to
//! the rule, in shared/src/steps/anticheat/rules.rs.)

use chrono::NaiveDate;
use fitkart::orders::Status;
use fitkart_functions::{admin, steps};
use fitkart_tests::{days_ago, phone_day, Pipeline, TestApp, User, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

async fn synced(
    t: &TestApp,
    pipeline: &Pipeline,
    user: &User,
    device: Option<&str>,
    entries: Vec<Value>,
) {
    t.sync_days(user, device, entries).await;
    pipeline.run(t.app).await;
}

/// The user's record of `date` as `GET /v1/steps` shows it.
async fn record(t: &TestApp, user: &User, date: NaiveDate) -> Value {
    let res = t
        .call(steps::list, "GET", "/v1/steps")
        .bearer(&user.access_token)
        .query("from", date)
        .query("to", date)
        .send()
        .await;
    res.body["items"][0].clone()
}

async fn earned(t: &TestApp, user: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::int8 FROM coin_transactions WHERE user_id = $1 AND transaction_type = 'earned'",
    )
    .bind(user)
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

async fn referral_bonuses(t: &TestApp, user: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM coin_transactions WHERE user_id = $1 AND reference_type = 'referral'",
    )
    .bind(user)
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

fn reasons(record: &Value) -> String {
    record["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|v| v.as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_backfilled_week_before_sign_up_is_recorded_but_earns_nothing() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let fresh = t.register("fresh@example.com").await;
    // The v1 hole: a week of 49,999-step days, 37 km each, no hours, no device.
    let week: Vec<Value> = (1..=7)
        .map(|d| json!({"date": days_ago(d), "steps": 49_999, "source": "health_kit", "distance_km": 37.0}))
        .collect();
    synced(&t, &pipeline, &fresh, None, week).await;
    assert_eq!(earned(&t, fresh.id).await, 0);
    assert_eq!(t.balance(fresh.id).await, 100, "only the welcome bonus");
    let day = record(&t, &fresh, days_ago(3)).await;
    assert_eq!(
        day["status"], "verified",
        "recorded, not waiting for anyone"
    );
    assert_eq!(
        (day["steps"].clone(), day["verified_steps"].clone()),
        (json!(49_999), json!(0))
    );
    assert!(reasons(&day).contains("before you joined FitKart"), "{day}");

    // From sign-up on, a phone's day earns.
    synced(
        &t,
        &pipeline,
        &fresh,
        None,
        vec![phone_day(days_ago(0), 8_000)],
    )
    .await;
    assert_eq!(earned(&t, fresh.id).await, 8_000);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn one_device_one_earner() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let owner = t.register("owner@example.com").await;
    t.joined_days_ago(owner.id, 30).await;
    synced(
        &t,
        &pipeline,
        &owner,
        Some("phone-1"),
        vec![phone_day(days_ago(2), 8_000)],
    )
    .await;
    let mut ring = Vec::new();
    for i in 0..3 {
        let member = t.register(&format!("ring{i}@example.com")).await;
        t.joined_days_ago(member.id, 30).await;
        synced(
            &t,
            &pipeline,
            &member,
            Some("phone-1"),
            vec![phone_day(days_ago(1), 9_000)],
        )
        .await;
        ring.push(member);
    }
    for member in &ring {
        let day = record(&t, member, days_ago(1)).await;
        assert_eq!(day["status"], "suspicious", "{day}");
        assert!(reasons(&day).contains("synced steps for another FitKart account"));
        assert_eq!(earned(&t, member.id).await, 0);
    }
    // The device's first account keeps earning.
    synced(
        &t,
        &pipeline,
        &owner,
        Some("phone-1"),
        vec![phone_day(days_ago(0), 7_000)],
    )
    .await;
    assert_eq!(earned(&t, owner.id).await, 15_000);
}

#[tokio::test]
async fn new_accounts_big_days_and_big_days_without_hours_wait_for_a_person() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let new = t.register("new@example.com").await;
    t.joined_days_ago(new.id, 3).await;
    synced(
        &t,
        &pipeline,
        &new,
        Some("n"),
        vec![
            phone_day(days_ago(1), 25_001),
            phone_day(days_ago(0), 24_000),
        ],
    )
    .await;
    let big = record(&t, &new, days_ago(1)).await;
    assert_eq!(big["status"], "suspicious");
    assert!(reasons(&big).contains("first 14 days, a day above 25,000 steps"));
    assert_eq!(record(&t, &new, days_ago(0)).await["status"], "verified");

    let settled = t.register("settled@example.com").await;
    t.joined_days_ago(settled.id, 60).await;
    let no_hours = json!({"date": days_ago(0), "steps": 15_001, "source": "health_connect",
                          "distance_km": 11.2, "calories": 600});
    synced(&t, &pipeline, &settled, Some("s"), vec![no_hours]).await;
    let day = record(&t, &settled, days_ago(0)).await;
    assert_eq!(day["status"], "suspicious");
    assert!(reasons(&day).contains("without hourly counts"));
}

#[tokio::test]
async fn a_typed_in_day_resent_as_phone_data_and_a_lowered_then_raised_day_are_held() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("editor@example.com").await;
    t.joined_days_ago(user.id, 30).await;
    let typed = json!({"date": days_ago(2), "steps": 12_000, "source": "manual"});
    synced(&t, &pipeline, &user, Some("e"), vec![typed]).await;
    assert_eq!(record(&t, &user, days_ago(2)).await["status"], "suspicious");
    synced(
        &t,
        &pipeline,
        &user,
        Some("e"),
        vec![phone_day(days_ago(2), 12_000)],
    )
    .await;
    let relabelled = record(&t, &user, days_ago(2)).await;
    assert_eq!(relabelled["status"], "suspicious");
    assert!(reasons(&relabelled).contains("first entered by hand"));

    synced(
        &t,
        &pipeline,
        &user,
        Some("e"),
        vec![phone_day(days_ago(1), 9_000)],
    )
    .await;
    synced(
        &t,
        &pipeline,
        &user,
        Some("e"),
        vec![phone_day(days_ago(1), 1_000)],
    )
    .await;
    synced(
        &t,
        &pipeline,
        &user,
        Some("e"),
        vec![phone_day(days_ago(1), 9_000)],
    )
    .await;
    assert_eq!(
        record(&t, &user, days_ago(1)).await["status"],
        "verified",
        "back where it was is no gain"
    );
    synced(
        &t,
        &pipeline,
        &user,
        Some("e"),
        vec![phone_day(days_ago(1), 19_000)],
    )
    .await;
    let raised = record(&t, &user, days_ago(1)).await;
    assert_eq!(raised["status"], "suspicious");
    assert!(reasons(&raised).contains("went down from 9,000 to 1,000 and then up to 19,000"));
    assert_eq!(
        earned(&t, user.id).await,
        9_000,
        "only the first, untouched count"
    );
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_third_very_high_day_in_a_week_waits_for_a_person() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let user = t.register("hiker@example.com").await;
    t.joined_days_ago(user.id, 60).await;
    synced(
        &t,
        &pipeline,
        &user,
        Some("h"),
        vec![
            phone_day(days_ago(5), 22_000),
            phone_day(days_ago(3), 21_000),
        ],
    )
    .await;
    assert_eq!(
        earned(&t, user.id).await,
        40_000,
        "two hikes in a week are paid (each at the 20,000-coin daily cap)"
    );
    synced(
        &t,
        &pipeline,
        &user,
        Some("h"),
        vec![phone_day(days_ago(1), 20_500)],
    )
    .await;
    let third = record(&t, &user, days_ago(1)).await;
    assert_eq!(third["status"], "suspicious");
    assert!(reasons(&third).contains("3 days above 20,000 steps within a week"));
}

#[tokio::test]
async fn syncs_and_registrations_are_rate_limited() {
    let (t, _pipeline) = TestApp::with_pipeline().await;
    t.set_setting("syncs_per_user_hour", "3").await;
    let user = t.register("busy@example.com").await;
    for steps in [1_000, 2_000, 3_000] {
        let res = t
            .sync(&user, json!({"entries": [phone_day(days_ago(0), steps)]}))
            .await;
        assert_eq!(res.status, 202);
    }
    let limited = t
        .sync(&user, json!({"entries": [phone_day(days_ago(0), 4_000)]}))
        .await;
    assert_eq!((limited.status, limited.code()), (429, "too_many_requests"));
    assert!(limited.header("retry-after").is_some());
    assert_eq!(
        record(&t, &user, days_ago(0)).await["steps"],
        3_000,
        "nothing changed"
    );

    t.set_setting("registrations_per_ip_hour", "2").await;
    let register = |email: &str, ip: &str| {
        t.call(
            fitkart_functions::auth::register,
            "POST",
            "/v1/auth/register",
        )
        .source_ip(ip)
        .json(json!({"email": email, "password": PASSWORD, "full_name": "Farm"}))
        .send()
    };
    assert_eq!(register("f1@example.com", "192.0.2.50").await.status, 201);
    assert_eq!(register("f2@example.com", "192.0.2.50").await.status, 201);
    let refused = register("f3@example.com", "192.0.2.50").await;
    assert_eq!(refused.status, 429);
    assert_eq!(register("f3@example.com", "192.0.2.51").await.status, 201);
}

/// Registers a referee with `referrer`'s code, joined `days` ago.
async fn referee_of(t: &TestApp, referrer: &User, email: &str) -> User {
    let code: String = sqlx::query_scalar("SELECT referral_code FROM users WHERE id = $1")
        .bind(referrer.id)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let res = t
        .call(fitkart_functions::auth::register, "POST", "/v1/auth/register")
        .source_ip(&format!("192.0.2.{}", email.len()))
        .json(json!({"email": email, "password": PASSWORD, "full_name": "Invitee", "referral_code": code}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let referee = User::from_session(&res.body);
    t.joined_days_ago(referee.id, 10).await;
    referee
}

#[tokio::test]
async fn referral_bonuses_wait_for_a_confirmed_email_and_three_goal_days_and_pay_once() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let referrer = t.register("inviter@example.com").await;
    let referee = referee_of(&t, &referrer, "invitee@example.com").await;
    // v1 paid both bonuses for this.
    synced(
        &t,
        &pipeline,
        &referee,
        Some("r"),
        vec![phone_day(days_ago(4), 300)],
    )
    .await;
    synced(
        &t,
        &pipeline,
        &referee,
        Some("r"),
        (1..=3).map(|d| phone_day(days_ago(d), 10_500)).collect(),
    )
    .await;
    assert_eq!(
        referral_bonuses(&t, referee.id).await,
        0,
        "no confirmed email yet"
    );
    t.confirm_email("invitee@example.com").await;
    assert_eq!(referral_bonuses(&t, referee.id).await, 1);
    assert_eq!(referral_bonuses(&t, referrer.id).await, 1);
    assert_eq!(t.balance(referrer.id).await, 100 + 250);

    synced(
        &t,
        &pipeline,
        &referee,
        Some("r"),
        vec![phone_day(days_ago(0), 11_000)],
    )
    .await;
    assert_eq!(referral_bonuses(&t, referee.id).await, 1, "once");
    assert_eq!(referral_bonuses(&t, referrer.id).await, 1, "once");
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_referrer_earns_at_most_the_monthly_cap_and_referees_still_get_theirs() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    t.set_setting("referrals_per_month", "2").await;
    let referrer = t.register("recruiter@example.com").await;
    for i in 0..3 {
        let email = format!("recruit{i}@example.com");
        let referee = referee_of(&t, &referrer, &email).await;
        t.confirm_email(&email).await;
        let device = format!("recruit-phone-{i}");
        synced(
            &t,
            &pipeline,
            &referee,
            Some(&device),
            // Three people, three walks of their own (the same hours on three accounts
            // would be one script's).
            (1..=3)
                .map(|d| phone_day(days_ago(d), 10_000 + 37 * i))
                .collect(),
        )
        .await;
        assert_eq!(referral_bonuses(&t, referee.id).await, 1, "{email}");
    }
    assert_eq!(referral_bonuses(&t, referrer.id).await, 2);
    t.assert_ledger_invariants().await;
}

async fn has_achievement(t: &TestApp, user: Uuid, code: &str) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM user_achievements ua JOIN achievements a ON a.id = ua.achievement_id
                        WHERE ua.user_id = $1 AND a.code = $2)",
    )
    .bind(user)
    .bind(code)
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn redemption_achievements_unlock_when_goods_ship_and_never_twice() {
    let t = TestApp::new().await;
    let shopper = t.verified("shopper@example.com").await;
    t.grant(shopper.id, 10_000).await;
    let mug = t.product("Mug", 1_000, 10).await;
    let cancelled = t.order(&shopper, "a", &[(mug, 1)]).await;
    assert!(
        !has_achievement(&t, shopper.id, "first_redemption").await,
        "placing unlocks nothing"
    );
    t.advance_order(cancelled, Status::Cancelled).await;
    assert!(!has_achievement(&t, shopper.id, "first_redemption").await);

    let shipped = t.order(&shopper, "b", &[(mug, 1)]).await;
    t.advance_order(shipped, Status::Processing).await;
    assert!(!has_achievement(&t, shopper.id, "first_redemption").await);
    t.advance_order(shipped, Status::Shipped).await;
    assert!(has_achievement(&t, shopper.id, "first_redemption").await);
    t.advance_order(shipped, Status::Refunded).await;
    let again = t.order(&shopper, "c", &[(mug, 1)]).await;
    t.advance_order(again, Status::Shipped).await;
    let bonuses: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM coin_transactions t JOIN achievements a ON a.id = t.reference_id
         WHERE t.user_id = $1 AND a.code = 'first_redemption'",
    )
    .bind(shopper.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(bonuses, 1, "undoing and redoing collects nothing twice");
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn admins_cannot_pay_themselves() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let boss = t.admin("boss@example.com").await;
    t.joined_days_ago(boss.id, 30).await;
    let audit_rows = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM admin_logs")
            .fetch_one(&t.pool)
            .await
            .unwrap()
    };
    let before = audit_rows().await;

    let coins = t
        .call(admin::adjust_coins, "POST", "/v1/admin/users/{id}/coins")
        .param("id", boss.id)
        .bearer(&boss.access_token)
        .json(json!({"amount": 50_000, "reason": "bonus for me"}))
        .send()
        .await;
    assert_eq!((coins.status, coins.code()), (403, "own_account"));

    synced(
        &t,
        &pipeline,
        &boss,
        Some("b"),
        vec![phone_day(days_ago(0), 60_000)],
    )
    .await;
    let validation: Uuid = sqlx::query_scalar("SELECT id FROM step_validations WHERE user_id = $1")
        .bind(boss.id)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let review = t
        .call(
            admin::review_validation,
            "POST",
            "/v1/admin/validations/{id}/review",
        )
        .param("id", validation)
        .bearer(&boss.access_token)
        .json(json!({"decision": "approve", "note": "looks fine to me"}))
        .send()
        .await;
    assert_eq!((review.status, review.code()), (403, "own_account"));

    t.grant(boss.id, 5_000).await;
    let product = t.product("Headphones", 1_000, 3).await;
    let order = t.order(&boss, "mine", &[(product, 1)]).await;
    let moved = t
        .call(admin::update_order, "PATCH", "/v1/admin/orders/{id}")
        .param("id", order)
        .bearer(&boss.access_token)
        .json(json!({"status": "confirmed"}))
        .send()
        .await;
    assert_eq!((moved.status, moved.code()), (403, "own_account"));

    assert_eq!(audit_rows().await, before, "refusals are not changes");
    assert_eq!(earned(&t, boss.id).await, 0);
    t.assert_ledger_invariants().await;
}
