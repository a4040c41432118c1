//! Giving, through the handlers and the gifts job on real Postgres: a gift pending for a
//! week then settled once, every rule and refusal, reversals (an admin, a fraud hold, an
//! account leaving), the flags; donations racing for the last cents of a purse, the caps
//! and dates, and the payout report against the ledger. Each money test ends with the
//! ledger check.
//!
//! Gifts need accounts and friendships of some age: tests date them back in SQL, as
//! `joined_days_ago` does (a test cannot wait weeks).

use chrono::{DateTime, Duration, Months, Utc};
use fitkart::jobs::ScheduledEvent;
use fitkart_functions::{giving, me};
use fitkart_tests::{days_ago, phone_day, TestApp, TestResponse, User};
use serde_json::{json, Value};
use uuid::Uuid;

/// A sender of good standing: 60 days old, 14 verified days, 20,000 coins.
async fn established(t: &TestApp, email: &str) -> User {
    let user = t.verified(email).await;
    t.joined_days_ago(user.id, 60).await;
    t.walked_two_weeks(user.id).await;
    let bonus = t.balance(user.id).await;
    t.grant(user.id, 20_000 - bonus).await;
    user
}

/// `a` and `b` are friends, as of `days` ago.
async fn friends_for(t: &TestApp, a: &User, b: &User, days: i32) {
    t.friends_for(a, b, days).await;
}

async fn gift(
    t: &TestApp,
    from: &User,
    to: &User,
    coins: i64,
    message: Option<&str>,
) -> TestResponse {
    let mut body = json!({ "recipient_id": to.id, "coins": coins });
    if let Some(m) = message {
        body["message"] = json!(m);
    }
    t.call(giving::send_gift, "POST", "/v1/gifts")
        .bearer(&from.access_token)
        .json(body)
        .send()
        .await
}

async fn settle_at(t: &TestApp, at: DateTime<Utc>) -> i64 {
    giving::settle(
        t.app,
        ScheduledEvent {
            scheduled_time: Some(at),
        },
    )
    .await
    .unwrap()["settled"]
        .as_i64()
        .unwrap()
}

async fn wallet_of(t: &TestApp, user: &User) -> Value {
    t.call(fitkart_functions::wallet::get, "GET", "/v1/wallet")
        .bearer(&user.access_token)
        .send()
        .await
        .body
}

#[tokio::test]
async fn a_gift_waits_a_week_then_reaches_the_friend_once() {
    let t = TestApp::new().await;
    let ann = established(&t, "ann@example.com").await;
    let bob = t.verified("bob@example.com").await;
    friends_for(&t, &ann, &bob, 10).await;
    let bob_before = t.balance(bob.id).await;

    let sent = gift(&t, &ann, &bob, 1_500, Some("For the hike!")).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body["status"], "pending");
    assert_eq!(sent.body["message"], "For the hike!");
    // Held like an order's coins on the sender's side; seen, not spendable, on the other.
    assert_eq!(t.wallet(ann.id).await, (18_500, 1_500, 0));
    assert_eq!(wallet_of(&t, &bob).await["incoming_gift_coins"], 1_500);
    assert_eq!(t.balance(bob.id).await, bob_before);
    let theirs = t
        .call(giving::list_gifts, "GET", "/v1/gifts")
        .bearer(&bob.access_token)
        .send()
        .await;
    assert_eq!(theirs.body["items"][0]["sender"]["id"], ann.id.to_string());

    // Not before the week is over; then once, however often the job runs.
    assert_eq!(settle_at(&t, fitkart_tests::now()).await, 0);
    let week = fitkart_tests::now() + Duration::days(7) + Duration::minutes(1);
    let (first, second) = tokio::join!(settle_at(&t, week), settle_at(&t, week));
    assert_eq!(first + second, 1);
    assert_eq!(settle_at(&t, week).await, 0);
    assert_eq!(t.balance(bob.id).await, bob_before + 1_500);
    assert_eq!(t.wallet(ann.id).await, (18_500, 0, 0));
    assert_eq!(wallet_of(&t, &bob).await["incoming_gift_coins"], 0);
    let types: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT user_id, transaction_type, amount FROM coin_transactions
         WHERE reference_type = 'gift' ORDER BY created_at, user_seq",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        types,
        [
            (ann.id, "gift_sent".to_owned(), -1_500),
            (bob.id, "gift_received".to_owned(), 1_500)
        ]
    );
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn gifts_keep_to_every_rule_and_a_refusal_changes_nothing() {
    let (t, _pipeline) = TestApp::with_pipeline().await;
    let ann = established(&t, "ann@example.com").await;
    let bob = t.verified("bob@example.com").await;
    let stranger = t.verified("stranger@example.com").await;
    friends_for(&t, &ann, &bob, 10).await;

    // Bad fields, all at once.
    let res = gift(&t, &ann, &bob, 20_001, Some("see www.example.com")).await;
    assert_eq!(res.error_fields(), ["coins", "message"]);
    assert_eq!(
        gift(&t, &ann, &stranger, 100, None).await.error_fields(),
        ["recipient_id"]
    );
    // A friend of two days.
    let cat = t.verified("cat@example.com").await;
    friends_for(&t, &ann, &cat, 2).await;
    assert_eq!(
        gift(&t, &ann, &cat, 100, None).await.code(),
        "friendship_too_new"
    );
    // Young senders: a new account, one without 14 verified days, an unconfirmed email.
    let young = t.verified("young@example.com").await;
    friends_for(&t, &young, &bob, 10).await;
    assert_eq!(
        gift(&t, &young, &bob, 100, None).await.code(),
        "account_too_new"
    );
    t.joined_days_ago(young.id, 60).await;
    let latest = days_ago(10);
    for n in 0..5 {
        t.walked(young.id, latest - chrono::Days::new(n), 8_000)
            .await;
    }
    assert_eq!(
        gift(&t, &young, &bob, 100, None).await.code(),
        "account_too_new"
    );
    let unconfirmed = t.register("unconfirmed@example.com").await;
    t.joined_days_ago(unconfirmed.id, 60).await;
    friends_for(&t, &unconfirmed, &bob, 10).await;
    assert_eq!(
        gift(&t, &unconfirmed, &bob, 100, None).await.code(),
        "email_unverified"
    );

    // Accounts that share a phone, or a shipping address.
    let dev = established(&t, "dev@example.com").await;
    friends_for(&t, &dev, &bob, 10).await;
    t.sync_days(&dev, Some("phone-7"), vec![phone_day(days_ago(1), 4_000)])
        .await;
    t.sync_days(&bob, Some("phone-7"), vec![phone_day(days_ago(2), 4_000)])
        .await;
    assert_eq!(
        gift(&t, &dev, &bob, 100, None).await.code(),
        "shared_account"
    );
    let product = t.product("Cap", 10, 100).await;
    let eve = established(&t, "eve@example.com").await;
    let fay = t.verified("fay@example.com").await;
    t.grant(fay.id, 100).await;
    friends_for(&t, &eve, &fay, 10).await;
    t.order(&eve, "e", &[(product, 1)]).await;
    t.order(&fay, "f", &[(product, 1)]).await;
    assert_eq!(
        gift(&t, &eve, &fay, 100, None).await.code(),
        "shared_account"
    );

    // Three a day from one sender; five a day to one recipient.
    for _ in 0..3 {
        assert_eq!(gift(&t, &ann, &bob, 100, None).await.status, 201);
    }
    assert_eq!(
        gift(&t, &ann, &bob, 100, None).await.code(),
        "gift_limit_reached"
    );
    for i in 0..3 {
        let other = established(&t, &format!("giver{i}@example.com")).await;
        friends_for(&t, &other, &bob, 10).await;
        let res = gift(&t, &other, &bob, 100, None).await;
        let expected = if i < 2 { 201 } else { 409 };
        assert_eq!(res.status, expected, "{}", res.body);
        if i == 2 {
            assert_eq!(res.code(), "recipient_gift_limit_reached");
        }
    }
    // A month's total.
    t.set_setting("gift_max_coins_month", "1000").await;
    let gus = established(&t, "gus@example.com").await;
    friends_for(&t, &gus, &cat, 10).await;
    assert_eq!(gift(&t, &gus, &cat, 800, None).await.status, 201);
    assert_eq!(
        gift(&t, &gus, &cat, 201, None).await.code(),
        "monthly_gift_limit_reached"
    );
    // Nothing refused moved a coin: Ann gave three gifts of 100, Gus one of 800.
    assert_eq!(t.wallet(ann.id).await, (19_700, 300, 0));
    assert_eq!(t.wallet(gus.id).await, (19_200, 800, 0));
    assert_eq!(t.wallet(dev.id).await.1, 0);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn pending_gifts_go_back_on_an_admins_reversal_a_fraud_hold_or_an_account_leaving() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let boss = t.admin("boss@example.com").await;
    let ann = established(&t, "ann@example.com").await;
    let bob = t.verified("bob@example.com").await;
    friends_for(&t, &ann, &bob, 10).await;

    // An admin reverses a pending gift, audited; a settled one cannot be.
    let first = gift(&t, &ann, &bob, 400, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reverse = |id: String| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(
                giving::admin_reverse_gift,
                "POST",
                "/v1/admin/gifts/{id}/reverse",
            )
            .bearer(&token)
            .param("id", id)
            .json(json!({ "reason": "Looks like one person's two accounts." }))
            .send()
            .await
        }
    };
    let reversed = reverse(first.clone()).await;
    assert_eq!(reversed.status, 200, "{}", reversed.body);
    assert_eq!(reversed.body["reversed_reason"], "admin");
    assert_eq!(reverse(first).await.code(), "gift_not_pending");
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM admin_logs WHERE action = 'gift.reverse'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
    assert_eq!(t.wallet(ann.id).await, (20_000, 0, 0));

    // A day of the sender's held for review freezes what they send: a new gift is
    // refused, the pending one waits past its week; a rejection sends it back.
    gift(&t, &ann, &bob, 300, None).await;
    t.sync_days(&ann, None, vec![phone_day(days_ago(1), 60_000)])
        .await;
    pipeline.run(t.app).await;
    let frozen = gift(&t, &ann, &bob, 100, None).await;
    assert_eq!((frozen.status, frozen.code()), (409, "transfers_frozen"));
    assert_eq!(
        settle_at(&t, fitkart_tests::now() + Duration::days(8)).await,
        0
    );
    let held_day: Uuid = sqlx::query_scalar(
        "SELECT v.id FROM step_validations v JOIN step_records r ON r.id = v.step_record_id
         WHERE r.user_id = $1 AND v.status = 'pending'",
    )
    .bind(ann.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    let rejected = t
        .review_day(&boss, held_day, "reject", "A phone on a swing.")
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    let held: Vec<String> = sqlx::query_scalar(
        "SELECT reversed_reason FROM gifts WHERE status = 'reversed' ORDER BY finished_at",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(held, ["admin", "fraud_hold"]);

    // Leaving: a pending gift to the leaver goes back to its sender.
    let cat = established(&t, "cat@example.com").await;
    friends_for(&t, &cat, &bob, 10).await;
    gift(&t, &cat, &bob, 250, None).await;
    let export = t
        .call(me::export, "GET", "/v1/me/export")
        .bearer(&bob.access_token)
        .send()
        .await;
    assert_eq!(export.body["giving"]["gifts"].as_array().unwrap().len(), 3);
    let left = t
        .call(me::delete, "DELETE", "/v1/me")
        .bearer(&bob.access_token)
        .send()
        .await;
    assert_eq!(left.status, 204, "{}", left.body);
    assert_eq!(t.wallet(cat.id).await, (20_000, 0, 0));
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn gifts_gathering_coins_in_one_account_are_flagged_with_the_numbers() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let ann = established(&t, "ann@example.com").await;
    let walker = t.verified("walker@example.com").await;
    t.joined_days_ago(walker.id, 60).await;
    let idle = t.verified("idle@example.com").await;
    friends_for(&t, &ann, &walker, 10).await;
    friends_for(&t, &ann, &idle, 10).await;
    // The walker earned 24,000 coins this month; the idle account nothing.
    t.sync_days(
        &walker,
        None,
        vec![
            phone_day(days_ago(2), 12_000),
            phone_day(days_ago(1), 12_000),
        ],
    )
    .await;
    pipeline.run(t.app).await;

    assert_eq!(gift(&t, &ann, &walker, 500, None).await.status, 201);
    assert_eq!(gift(&t, &ann, &idle, 500, None).await.status, 201);
    let flags: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT target_user_id, note FROM reports WHERE reason = 'gift_pattern' AND reporter_id IS NULL
         ORDER BY created_at",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    let flagged: Vec<Uuid> = flags.iter().map(|f| f.0).collect();
    // Ann gives all of it (she earned nothing from steps this month); the idle account
    // gets gifts and earns nothing. The walker, who earns far more, is not flagged.
    assert_eq!(flagged, [ann.id, idle.id]);
    assert!(
        flags[0].1.contains("Gave 500 coins in 30 days"),
        "{}",
        flags[0].1
    );
    assert!(
        flags[1]
            .1
            .contains("Received 500 coins in gifts in 30 days against 0"),
        "{}",
        flags[1].1
    );
    // One open flag per person.
    gift(&t, &ann, &idle, 100, None).await;
    let open: i64 =
        sqlx::query_scalar("SELECT count(*) FROM reports WHERE reason = 'gift_pattern'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(open, 2);
    // Walkers cannot file such a report themselves.
    let res = t
        .call(fitkart_functions::social::report, "POST", "/v1/reports")
        .bearer(&walker.access_token)
        .json(json!({ "target_type": "user", "target_id": idle.id, "reason": "gift_pattern" }))
        .send()
        .await;
    assert_eq!(res.error_fields(), ["reason"]);
    t.assert_ledger_invariants().await;
}

/// A campaign set up by one admin and opened by another: its id.
async fn campaign(t: &TestApp, boss: &User, ops: &User, body: Value) -> Uuid {
    let created = t
        .call(giving::admin_create_campaign, "POST", "/v1/admin/campaigns")
        .bearer(&boss.access_token)
        .json(body)
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let asked = t
        .call(
            giving::admin_open_campaign,
            "POST",
            "/v1/admin/campaigns/{id}/open",
        )
        .bearer(&boss.access_token)
        .param("id", &id)
        .json(json!({ "reason": "Sponsor contract signed" }))
        .send()
        .await;
    // Its creator cannot open it alone.
    assert_eq!(t.approve(boss, &asked).await.code(), "own_request");
    let approved = t.approve(ops, &asked).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    id.parse().unwrap()
}

fn campaign_body(registration: &str, purse_cents: i64, cap_cents: i64) -> Value {
    json!({ "charity_name": format!("Charity {registration}"), "charity_registration": registration,
            "charity_website": "https://charity.example.org", "title": "Steps for clean water",
            "description": "Every 1,000 coins buys clean water for a day.",
            "starts_at": fitkart_tests::now() - Duration::hours(1), "ends_at": fitkart_tests::now() + Duration::days(30),
            "purse_cents": purse_cents, "cents_per_1000_coins": 100, "monthly_cap_cents": cap_cents })
}

async fn donate(t: &TestApp, user: &User, campaign: Uuid, coins: i64) -> TestResponse {
    t.call(giving::donate, "POST", "/v1/campaigns/{id}/donations")
        .bearer(&user.access_token)
        .param("id", campaign)
        .json(json!({ "coins": coins }))
        .send()
        .await
}

#[tokio::test]
async fn donations_racing_for_the_last_cents_of_a_purse_never_overspend_it() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    // 800 cents at 100 cents per 1,000 coins: eight donations of 1,000 coins fill it.
    let id = campaign(&t, &boss, &ops, campaign_body("CH-1", 800, 100_000)).await;
    let mut donors = Vec::new();
    for i in 0..12 {
        let donor = t.verified(&format!("d{i}@example.com")).await;
        t.grant(donor.id, 2_000).await;
        donors.push(donor);
    }
    let results = futures::future::join_all(donors.iter().map(|d| donate(&t, d, id, 1_000))).await;
    let ok = results.iter().filter(|r| r.status == 201).count();
    let exhausted = results
        .iter()
        .filter(|r| r.code() == "purse_exhausted")
        .count();
    assert_eq!(
        (ok, exhausted),
        (8, 4),
        "{:?}",
        results.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let page = t
        .call(giving::get_campaign, "GET", "/v1/campaigns/{id}")
        .bearer(&donors[0].access_token)
        .param("id", id)
        .send()
        .await;
    assert_eq!(page.body["raised_cents"], 800);
    assert_eq!(page.body["donors"], 8);
    assert!(page.body["goal_reached_at"].is_string());
    // The refused kept their coins.
    let kept = futures::future::join_all(donors.iter().map(|d| t.balance(d.id))).await;
    assert_eq!(kept.iter().filter(|&&b| b == 2_100).count(), 4);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn donations_keep_to_the_monthly_cap_the_dates_and_who_may_give() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    let id = campaign(&t, &boss, &ops, campaign_body("CH-2", 1_000_000, 300)).await;
    let ann = t.verified("ann@example.com").await;
    t.grant(ann.id, 10_000).await;
    assert_eq!(donate(&t, &ann, id, 2_000).await.status, 201);
    let over = donate(&t, &ann, id, 1_010).await;
    assert_eq!(over.code(), "monthly_cap_reached", "{}", over.body);
    assert_eq!(donate(&t, &ann, id, 1_000).await.status, 201);
    // Too few coins to raise a cent; more than the wallet holds.
    assert_eq!(donate(&t, &ann, id, 9).await.error_fields(), ["coins"]);
    let poor = t.verified("poor@example.com").await;
    assert_eq!(
        donate(&t, &poor, id, 2_000).await.code(),
        "insufficient_coins"
    );
    // A draft is not found; a campaign past its end is closed.
    let draft = t
        .call(giving::admin_create_campaign, "POST", "/v1/admin/campaigns")
        .bearer(&boss.access_token)
        .json(campaign_body("CH-3", 1_000, 1_000))
        .send()
        .await;
    let draft_id: Uuid = draft.body["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(donate(&t, &ann, draft_id, 1_000).await.status, 404);
    sqlx::query("UPDATE campaigns SET ends_at = now() - interval '1 minute', starts_at = now() - interval '2 days' WHERE id = $1")
        .bind(id)
        .execute(&t.pool)
        .await
        .unwrap();
    assert_eq!(donate(&t, &ann, id, 1_000).await.code(), "campaign_closed");
    let mine = t
        .call(giving::my_donations, "GET", "/v1/me/donations")
        .bearer(&ann.access_token)
        .send()
        .await;
    let cents: Vec<i64> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["cents"].as_i64().unwrap())
        .collect();
    assert_eq!(cents, [100, 200]);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn the_payout_report_adds_up_to_the_ledger_and_carries_what_is_below_the_minimum() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    t.set_setting("charity_min_payout_cents", "500").await;
    let big = campaign(
        &t,
        &boss,
        &ops,
        campaign_body("BIG-1", 1_000_000, 1_000_000),
    )
    .await;
    let small = campaign(
        &t,
        &boss,
        &ops,
        campaign_body("SMALL-1", 1_000_000, 1_000_000),
    )
    .await;
    let ann = t.verified("ann@example.com").await;
    t.grant(ann.id, 100_000).await;
    for coins in [3_333, 4_444] {
        assert_eq!(donate(&t, &ann, big, coins).await.status, 201);
    }
    assert_eq!(donate(&t, &ann, small, 2_000).await.status, 201);
    // They were given last month (a test cannot wait for a month to end).
    sqlx::query("UPDATE donations SET created_at = created_at - interval '32 days'")
        .execute(&t.pool)
        .await
        .unwrap();
    let last_month = (fitkart_tests::now() - Duration::days(32)).date_naive();
    let month = format!("{}", last_month.format("%Y-%m"));
    let report = |month: String| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(giving::admin_payout_report, "GET", "/v1/admin/payouts")
                .bearer(&token)
                .query("month", month)
                .send()
                .await
                .body
        }
    };
    let lines = report(month.clone()).await;
    let line = |registration: &str| {
        lines["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["charity_registration"] == registration)
            .unwrap()
            .clone()
    };
    // 3,333 and 4,444 coins at 100 cents per 1,000: 333 + 444 cents, each rounded down.
    assert_eq!(line("BIG-1")["donations"], 2);
    assert_eq!(line("BIG-1")["owed_cents"], 777);
    assert_eq!(line("BIG-1")["payable"], true);
    assert_eq!(line("SMALL-1")["owed_cents"], 200);
    assert_eq!(line("SMALL-1")["payable"], false);
    // The same numbers from the ledger: the coins that left for each campaign.
    let ledger: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT reference_id, -sum(amount)::int8 FROM coin_transactions
         WHERE transaction_type = 'donation' GROUP BY reference_id",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert!(ledger.contains(&(big, 7_777)) && ledger.contains(&(small, 2_000)));

    let pay = |registration: &str| {
        let t = &t;
        let token = boss.access_token.clone();
        let body =
            json!({ "charity_registration": registration, "month": month, "reference": "SEPA 42" });
        async move {
            t.call(giving::admin_mark_paid, "POST", "/v1/admin/payouts")
                .bearer(&token)
                .json(body)
                .send()
                .await
        }
    };
    let paid = pay("BIG-1").await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(paid.body["paid"]["cents"], 777);
    assert_eq!(pay("BIG-1").await.code(), "already_paid");
    assert_eq!(pay("SMALL-1").await.code(), "below_minimum_payout");
    // This month: the big charity starts from nothing, the small one's 200 carry in.
    let this_month = format!("{}", fitkart_tests::now().format("%Y-%m"));
    let now = report(this_month.clone()).await;
    let items = now["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{now}");
    assert_eq!(items[0]["charity_registration"], "SMALL-1");
    assert_eq!(items[0]["carried_in_cents"], 200);
    // A month not over yet is not paid: the month the app's clock is in as it is asked
    // (read afresh, so that a month turning during the test cannot move it).
    let current = format!("{}", t.now().format("%Y-%m"));
    let res = t
        .call(giving::admin_mark_paid, "POST", "/v1/admin/payouts")
        .bearer(&boss.access_token)
        .json(json!({ "charity_registration": "SMALL-1", "month": current }))
        .send()
        .await;
    assert_eq!(res.code(), "month_not_over");
    let next = (fitkart_tests::now().date_naive() + Months::new(1))
        .format("%Y-%m")
        .to_string();
    assert_eq!(report(next).await["items"][0]["carried_in_cents"], 200);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM admin_logs WHERE action = 'payout.paid'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
    t.assert_ledger_invariants().await;
}
