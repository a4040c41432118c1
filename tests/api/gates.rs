//! The three gates, tried as an attacker would, each attack next to an honest twin that
//! still works: coins between people (`transfers`), what one person sees of another
//! (`visibility`), and what one admin may do alone (`approvals`). Each money test ends
//! with the ledger check.

use chrono::Duration;
use fitkart::jobs::ScheduledEvent;
use fitkart_functions::{admin, challenges, leaderboard, me, social};
use fitkart_tests::{days_ago, phone_day, Pipeline, TestApp, TestResponse, User};
use serde_json::{json, Value};
use uuid::Uuid;

async fn world() -> (TestApp, Pipeline) {
    let (t, pipeline) = TestApp::with_pipeline().await;
    t.set_setting("challenge_stake_countries", "US").await;
    (t, pipeline)
}

/// A walker in the US since two months, with two weeks of verified days and 10,000 coins,
/// and `phone` on their profile when given.
async fn established(t: &TestApp, email: &str, phone: Option<&str>) -> User {
    let user = t.verified(email).await;
    let mut profile = json!({ "country_code": "US" });
    if let Some(phone) = phone {
        profile["phone"] = json!(phone);
    }
    let res = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&user.access_token)
        .json(profile)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    t.joined_days_ago(user.id, 60).await;
    t.walked_two_weeks(user.id).await;
    let bonus = t.balance(user.id).await;
    t.grant(user.id, 10_000 - bonus).await;
    user
}

async fn showdown(t: &TestApp, creator: &User, stake: i64, invitees: &[&User]) -> Uuid {
    let res = t
        .call(challenges::create, "POST", "/v1/challenges")
        .bearer(&creator.access_token)
        .json(json!({ "template": "daily_showdown", "stake_coins": stake,
                      "invitees": invitees.iter().map(|u| u.id).collect::<Vec<_>>() }))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().parse().unwrap()
}

async fn accept(t: &TestApp, who: &User, id: Uuid) -> TestResponse {
    t.call(challenges::accept, "POST", "/v1/challenges/{id}/accept")
        .bearer(&who.access_token)
        .param("id", id)
        .send()
        .await
}

async fn challenge(t: &TestApp, who: &User, id: Uuid) -> Value {
    let res = t
        .call(challenges::get, "GET", "/v1/challenges/{id}")
        .bearer(&who.access_token)
        .param("id", id)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

async fn run_job_at_settlement(t: &TestApp, who: &User, id: Uuid) -> Value {
    let at: chrono::DateTime<chrono::Utc> = challenge(t, who, id).await["settles_after"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    challenges::run(
        t.app,
        ScheduledEvent {
            scheduled_time: Some(at + Duration::minutes(1)),
        },
    )
    .await
    .unwrap()
}

async fn payout(t: &TestApp, user: &User, id: Uuid) -> i64 {
    let coins: Option<i64> = sqlx::query_scalar(
        "SELECT sum(amount)::int8 FROM coin_transactions
         WHERE user_id = $1 AND transaction_type = 'payout' AND reference_id = $2",
    )
    .bind(user.id)
    .bind(id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    coins.unwrap_or(0)
}

#[tokio::test]
async fn laundering_through_a_race_is_refused_at_entry_and_a_real_friend_races_and_is_paid() {
    let (t, pipeline) = world().await;
    let main = established(&t, "main@example.com", Some("+1 (555) 010-7777")).await;
    // Throwaway accounts a minute old, emails unconfirmed, friends for minutes.
    let fresh = t.register("fresh@example.com").await;
    t.befriend(&main, &fresh).await;
    // Accounts of good standing, but friends for minutes, or one person's: the same
    // phone typed another way.
    let newfriend = established(&t, "newfriend@example.com", None).await;
    t.befriend(&main, &newfriend).await;
    let twin = established(&t, "twin@example.com", Some("555-010-7777")).await;
    t.friends_for(&main, &twin, 40).await;
    // And a real friend of 30 days.
    let friend = established(&t, "friend@example.com", None).await;
    t.friends_for(&main, &friend, 30).await;

    // The main account cannot even invite its twin into a pot.
    let linked = t
        .call(challenges::create, "POST", "/v1/challenges")
        .bearer(&main.access_token)
        .json(json!({ "template": "daily_showdown", "stake_coins": 1_000, "invitees": [twin.id] }))
        .send()
        .await;
    assert_eq!(
        (linked.status, linked.code()),
        (409, "shared_account"),
        "{}",
        linked.body
    );
    let id = showdown(&t, &main, 1_000, &[&fresh, &newfriend, &friend]).await;
    let before: Vec<i64> = [t.balance(fresh.id).await, t.balance(newfriend.id).await].to_vec();
    let refused = accept(&t, &fresh, id).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        [
            "stakes_not_available",
            "email_unverified",
            "account_too_new"
        ]
        .contains(&refused.code()),
        "{}",
        refused.body
    );
    let refused = accept(&t, &newfriend, id).await;
    assert_eq!(
        (refused.status, refused.code()),
        (409, "friendship_too_new"),
        "{}",
        refused.body
    );
    // Nothing of theirs moved.
    let after: Vec<i64> = [t.balance(fresh.id).await, t.balance(newfriend.id).await].to_vec();
    assert_eq!(before, after);

    // The real friend races; the main account walks more and is paid the pot.
    let joined = accept(&t, &friend, id).await;
    assert_eq!(joined.status, 200, "{}", joined.body);
    t.challenge_moved_back(id, 2).await;
    let day = challenge(&t, &main, id).await["start_date"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    t.sync_days(&main, None, vec![phone_day(day, 12_000)]).await;
    t.sync_days(&friend, None, vec![phone_day(day, 7_000)])
        .await;
    pipeline.run(t.app).await;
    let run = run_job_at_settlement(&t, &main, id).await;
    assert_eq!(run["settled"], 1, "{run}");
    assert_eq!(payout(&t, &main, id).await, 2_000);
    assert_eq!(payout(&t, &friend, id).await, 0);
    // The pot is recorded as what it was: the loser's stake moved to the winner.
    let moved: (Uuid, Uuid, i64) = sqlx::query_as(
        "SELECT from_user, to_user, coins FROM transfers WHERE channel = 'payout' AND reference_id = $1",
    )
    .bind(id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(moved, (friend.id, main.id, 1_000));
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_payout_between_accounts_linked_after_entry_is_held_until_an_admin_decides() {
    let (t, pipeline) = world().await;
    let boss = t.admin("boss@example.com").await;
    let ann = established(&t, "ann@example.com", None).await;
    let bob = established(&t, "bob@example.com", None).await;
    t.friends_for(&ann, &bob, 30).await;
    let id = showdown(&t, &ann, 1_000, &[&bob]).await;
    assert_eq!(accept(&t, &bob, id).await.status, 200);
    t.challenge_moved_back(id, 2).await;
    let day = challenge(&t, &ann, id).await["start_date"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // During the race both sync from one phone: one person's two accounts after all.
    t.sync_days(&ann, Some("phone-of-ann"), vec![phone_day(day, 12_000)])
        .await;
    t.sync_days(&bob, Some("phone-of-ann"), vec![phone_day(day, 3_000)])
        .await;
    pipeline.run(t.app).await;
    // The shared device holds bob's day for review; decide it (rejected: bob is out).
    let held: Uuid = sqlx::query_scalar(
        "SELECT v.id FROM step_validations v JOIN step_records r ON r.id = v.step_record_id
         WHERE r.user_id = $1 AND v.status = 'pending'",
    )
    .bind(bob.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    let decided = t
        .call(
            admin::review_validation,
            "POST",
            "/v1/admin/validations/{id}/review",
        )
        .bearer(&boss.access_token)
        .param("id", held)
        .json(json!({ "decision": "reject", "note": "Same phone as the winner." }))
        .send()
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);

    let run = run_job_at_settlement(&t, &ann, id).await;
    assert_eq!(run["payout_held"], 1, "{run}");
    let held = challenge(&t, &ann, id).await;
    assert_eq!(held["status"], "running");
    assert!(
        held["payout_held_reason"]
            .as_str()
            .unwrap()
            .contains("share a device"),
        "{held}"
    );
    assert_eq!(payout(&t, &ann, id).await, 0);
    // Later runs leave it to the admin.
    assert_eq!(run_job_at_settlement(&t, &ann, id).await["settled"], 0);

    // The admin cancels it: every stake back (a refund of 2,000, within one admin's power).
    let cancelled = t
        .call(
            challenges::admin_cancel,
            "POST",
            "/v1/admin/challenges/{id}/cancel",
        )
        .bearer(&boss.access_token)
        .param("id", id)
        .json(json!({ "reason": "Two accounts of one person." }))
        .send()
        .await;
    assert_eq!(cancelled.status, 202, "{}", cancelled.body);
    assert!(cancelled.body["waits_because"]
        .as_str()
        .unwrap()
        .contains("2000 coins"));
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn one_admin_cannot_mint_through_review_or_split_adjustments_and_small_ones_apply_at_once() {
    let (t, pipeline) = world().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    t.joined_days_ago(ops.id, 30).await;
    sqlx::query("UPDATE users SET admin_granted_at = now() - interval '30 days' WHERE id = $1")
        .bind(ops.id)
        .execute(&t.pool)
        .await
        .unwrap();
    let walker = t.verified("walker@example.com").await;
    // Five days old: its days count, and it is still on probation.
    t.joined_days_ago(walker.id, 5).await;
    // An invented 45,000-step day, held (a new account's probation).
    t.sync_days(
        &walker,
        None,
        vec![
            json!({"date": days_ago(1), "steps": 45_000, "source": "health_connect",
                    "distance_km": 33.0, "calories": 1800.0}),
        ],
    )
    .await;
    // And a typed-in 800 (manual entries are never paid without a person's look).
    t.sync_days(
        &walker,
        None,
        vec![json!({"date": days_ago(2), "steps": 800, "source": "manual"})],
    )
    .await;
    pipeline.run(t.app).await;
    let held = |steps: i64| {
        let pool = t.pool.clone();
        let user = walker.id;
        async move {
            sqlx::query_scalar::<_, Uuid>(
                "SELECT v.id FROM step_validations v JOIN step_records r ON r.id = v.step_record_id
                 WHERE r.user_id = $1 AND r.steps = $2 AND v.status = 'pending'",
            )
            .bind(user)
            .bind(steps)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let review = |validation: Uuid| {
        t.call(
            admin::review_validation,
            "POST",
            "/v1/admin/validations/{id}/review",
        )
        .bearer(&boss.access_token)
        .param("id", validation)
        .json(json!({ "decision": "approve", "note": "Looks right." }))
    };
    let before = t.balance(walker.id).await;
    // The big day: worth its coins (20,000, the daily cap), far over one admin's reach.
    let asked = review(held(45_000).await).send().await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert!(
        asked.body["waits_because"]
            .as_str()
            .unwrap()
            .contains("20000 coins"),
        "{}",
        asked.body
    );
    assert_eq!(t.balance(walker.id).await, before, "nothing paid yet");
    // The honest twin: a day worth 800 coins applies at once.
    let small = review(held(800).await).send().await;
    assert_eq!(small.status, 200, "{}", small.body);
    assert_eq!(t.balance(walker.id).await, before + 800);
    // The second admin approves the big one: paid then, once.
    let approved = t.approve(&ops, &asked).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let earned: i64 = sqlx::query_scalar(
        "SELECT sum(amount)::int8 FROM coin_transactions WHERE user_id = $1 AND transaction_type = 'earned'",
    )
    .bind(walker.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(earned, 800 + 20_000);

    // Five adjustments of 1,000 to one account: splitting does not help. The 800 of the
    // approval counted against this account's budget (2,000 a day), so the second waits.
    let adjust = |user: &User| {
        t.call(admin::adjust_coins, "POST", "/v1/admin/users/{id}/coins")
            .bearer(&boss.access_token)
            .param("id", user.id)
            .json(json!({ "amount": 1_000, "reason": "Goodwill" }))
    };
    let first = adjust(&walker).send().await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = adjust(&walker).send().await;
    assert_eq!(second.status, 202, "{}", second.body);
    assert!(second.body["waits_because"]
        .as_str()
        .unwrap()
        .contains("this account"));
    // Other accounts, until the admin's own day's budget (5,000) is spent: 800 + 1,000
    // so far, three more of 1,000 apply, the fourth waits.
    for n in 0..3 {
        let other = t.register(&format!("other{n}@example.com")).await;
        assert_eq!(adjust(&other).send().await.status, 201);
    }
    let last = t.register("last@example.com").await;
    let waits = adjust(&last).send().await;
    assert_eq!(waits.status, 202, "{}", waits.body);
    assert!(waits.body["waits_because"]
        .as_str()
        .unwrap()
        .contains("you moved"));
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn hidden_steps_stay_hidden_in_standings_and_on_the_global_board() {
    let (t, pipeline) = world().await;
    let viewer = established(&t, "viewer@example.com", None).await;
    let hidden = established(&t, "hidden@example.com", None).await;
    let open = established(&t, "open@example.com", None).await;
    t.friends_for(&viewer, &hidden, 30).await;
    t.friends_for(&viewer, &open, 30).await;
    let privacy = t
        .privacy(&hidden, json!({ "steps_visibility": "nobody" }))
        .await;
    assert_eq!(privacy.status, 200, "{}", privacy.body);

    // A race the hidden walker never answers; the open one joins.
    let id = showdown(&t, &viewer, 0, &[&hidden, &open]).await;
    assert_eq!(accept(&t, &open, id).await.status, 200);
    t.challenge_moved_back(id, 2).await;
    let day = challenge(&t, &viewer, id).await["start_date"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    for (who, steps) in [(&viewer, 9_000), (&hidden, 23_456), (&open, 6_000)] {
        t.sync_days(who, None, vec![phone_day(day, steps)]).await;
    }
    pipeline.run(t.app).await;
    let standings = |c: &Value, who: &User| {
        c["standings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == who.id.to_string())
            .cloned()
            .unwrap()
    };
    let seen = challenge(&t, &viewer, id).await;
    assert_eq!(standings(&seen, &hidden)["steps"], Value::Null);
    assert_eq!(standings(&seen, &hidden)["status"], "invited");
    // The honest twin: a friend who shares and races shows their day.
    assert_eq!(standings(&seen, &open)["steps"], 6_000);
    // After blocking the viewer, not even their alias.
    let blocked = t
        .call(social::block, "POST", "/v1/blocks")
        .bearer(&hidden.access_token)
        .json(json!({ "user_id": viewer.id }))
        .send()
        .await;
    assert!(blocked.status < 300, "{}", blocked.body);
    let seen = challenge(&t, &viewer, id).await;
    assert_eq!(standings(&seen, &hidden)["alias"], "A walker");
    assert!(!seen.to_string().contains("23456"));

    // The global board: a stranger sees the open walker's week, never the hidden one's.
    let stranger = t.register("stranger@example.com").await;
    leaderboard::rank(t.app, ScheduledEvent::default())
        .await
        .unwrap();
    let board = t
        .call(leaderboard::get, "GET", "/v1/leaderboard")
        .bearer(&stranger.access_token)
        .query("period", "all_time")
        .send()
        .await;
    assert_eq!(board.status, 200, "{}", board.body);
    let on_board: Vec<String> = board.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(on_board.contains(&open.id.to_string()), "{}", board.body);
    assert!(!on_board.contains(&hidden.id.to_string()), "{}", board.body);
    // Their own rank is still theirs to see.
    let own = t
        .call(leaderboard::get, "GET", "/v1/leaderboard")
        .bearer(&hidden.access_token)
        .query("period", "all_time")
        .send()
        .await;
    assert!(own.body["me"]["rank"].is_number(), "{}", own.body);
}
