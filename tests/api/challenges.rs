//! Challenges through the handlers, the step pipeline and the challenges job, on real
//! Postgres: races and goal challenges with stakes from creation to settlement, the
//! written split (ties, the odd coin, nobody meeting a goal, a disqualification), late
//! syncs and reviews inside the provisional window, settlement run twice and at once,
//! cancellations, the stake rules, and the ledger check after each money test.
//!
//! A challenge starts at its creator's next midnight; tests move it into the past
//! (`challenge_moved_back`) to sync its days, and run the job at the time they need.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fitkart::jobs::ScheduledEvent;
use fitkart_functions::{challenges, me};
use fitkart_tests::{days_ago, phone_day, Pipeline, TestApp, TestResponse, User};
use serde_json::{json, Value};
use uuid::Uuid;

struct World {
    t: TestApp,
    pipeline: Pipeline,
}

async fn world() -> World {
    let (t, pipeline) = TestApp::with_pipeline().await;
    t.set_setting("challenge_stake_countries", "DE,US").await;
    // Refunds by an admin here are the subject, not who may give them alone (gates.rs).
    t.lift_admin_budgets().await;
    World { t, pipeline }
}

impl World {
    /// A walker of two months' standing in the US with 10,000 coins (the sign-up bonus
    /// topped up) and two weeks of verified days.
    async fn walker(&self, email: &str) -> User {
        let user = self.t.verified(email).await;
        let res = self
            .t
            .call(me::update, "PATCH", "/v1/me")
            .bearer(&user.access_token)
            .json(json!({ "country_code": "US" }))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        // Two months in the US, with the verified days coins between people need.
        self.t.joined_days_ago(user.id, 60).await;
        self.t.walked_two_weeks(user.id).await;
        let bonus = self.t.balance(user.id).await;
        self.t.grant(user.id, 10_000 - bonus).await;
        user
    }

    /// `a` and `b` became friends a month ago.
    async fn friends(&self, a: &User, b: &User) {
        self.t.friends_for(a, b, 30).await;
    }

    async fn create(&self, creator: &User, body: Value) -> TestResponse {
        self.t
            .call(challenges::create, "POST", "/v1/challenges")
            .bearer(&creator.access_token)
            .json(body)
            .send()
            .await
    }

    /// Creates a challenge that must be accepted: its id.
    async fn created(&self, creator: &User, body: Value) -> Uuid {
        let res = self.create(creator, body).await;
        assert_eq!(res.status, 201, "{}", res.body);
        res.body["id"].as_str().unwrap().parse().unwrap()
    }

    /// `POST /v1/challenges/{id}/<action>` as `user`.
    async fn act(&self, user: &User, id: Uuid, action: &str) -> TestResponse {
        let path = format!("/v1/challenges/{{id}}/{action}");
        match action {
            "accept" => {
                self.t
                    .call(challenges::accept, "POST", &path)
                    .bearer(&user.access_token)
                    .param("id", id)
                    .send()
                    .await
            }
            "decline" => {
                self.t
                    .call(challenges::decline, "POST", &path)
                    .bearer(&user.access_token)
                    .param("id", id)
                    .send()
                    .await
            }
            _ => {
                self.t
                    .call(challenges::cancel, "POST", &path)
                    .bearer(&user.access_token)
                    .param("id", id)
                    .send()
                    .await
            }
        }
    }

    async fn accepted(&self, user: &User, id: Uuid) {
        let res = self.act(user, id, "accept").await;
        assert_eq!(res.status, 200, "{}", res.body);
    }

    async fn challenge(&self, user: &User, id: Uuid) -> Value {
        let res = self
            .t
            .call(challenges::get, "GET", "/v1/challenges/{id}")
            .bearer(&user.access_token)
            .param("id", id)
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        res.body
    }

    /// The challenges job, run as at `at`.
    async fn job(&self, at: DateTime<Utc>) -> Value {
        challenges::run(
            self.t.app,
            ScheduledEvent {
                scheduled_time: Some(at),
            },
        )
        .await
        .unwrap()
    }

    /// The job as at the challenge's settlement time (a minute past it).
    async fn settle(&self, user: &User, id: Uuid) -> Value {
        let at: DateTime<Utc> = self.challenge(user, id).await["settles_after"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        self.job(at + Duration::minutes(1)).await
    }

    /// `user`'s phone syncs `steps` for `date`, and the pipeline validates and credits.
    async fn walk(&self, user: &User, date: NaiveDate, steps: i64) {
        self.t
            .sync_days(user, None, vec![phone_day(date, steps)])
            .await;
        self.pipeline.run(self.t.app).await;
    }

    /// The coins paid out of challenge `id` to each of `people` (their `payout` rows).
    async fn paid(&self, id: Uuid, people: &[&User]) -> Vec<i64> {
        let mut out = Vec::new();
        for user in people {
            let coins: Option<i64> = sqlx::query_scalar(
                "SELECT sum(amount)::int8 FROM coin_transactions
                 WHERE user_id = $1 AND transaction_type = 'payout' AND reference_id = $2",
            )
            .bind(user.id)
            .bind(id)
            .fetch_one(&self.t.pool)
            .await
            .unwrap();
            out.push(coins.unwrap_or(0));
        }
        out
    }

    fn standing<'a>(challenge: &'a Value, user: &User) -> &'a Value {
        challenge["standings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == user.id.to_string())
            .unwrap()
    }
}

/// A one-day race from the next day, `stake` each, inviting `invitees`.
fn showdown(stake: i64, invitees: &[&User]) -> Value {
    json!({ "template": "daily_showdown", "stake_coins": stake,
            "invitees": invitees.iter().map(|u| u.id).collect::<Vec<_>>() })
}

#[tokio::test]
async fn a_staked_race_pays_the_winner_the_pot_once_however_the_job_is_run() {
    let w = world().await;
    let ann = w.walker("ann@example.com").await;
    let bob = w.walker("bob@example.com").await;
    w.friends(&ann, &bob).await;

    let id = w.created(&ann, showdown(1_000, &[&bob])).await;
    // The creator's stake is in escrow at once: out of available, into frozen.
    assert_eq!(w.t.wallet(ann.id).await.0, 9_000);
    assert_eq!(w.t.wallet(ann.id).await.1, 1_000);
    let invited = w.challenge(&bob, id).await;
    assert_eq!(invited["my_status"], "invited");
    assert_eq!(invited["phase"], "upcoming");
    assert_eq!(
        invited["start_date"],
        (fitkart_tests::now().date_naive() + Duration::days(1)).to_string()
    );
    w.accepted(&bob, id).await;
    // Accepting twice takes one stake.
    w.accepted(&bob, id).await;
    assert_eq!(w.t.wallet(bob.id).await.1, 1_000);
    assert_eq!(w.challenge(&ann, id).await["pot_coins"], 2_000);

    // The day comes and goes: both walk it.
    w.t.challenge_moved_back(id, 2).await;
    let day = days_ago(1);
    w.walk(&ann, day, 12_000).await;
    w.walk(&bob, day, 9_000).await;
    let started = w.job(fitkart_tests::now()).await;
    assert_eq!(started["started"], 1, "{started}");
    let live = w.challenge(&bob, id).await;
    assert_eq!(live["phase"], "provisional");
    assert_eq!(World::standing(&live, &ann)["place"], 1);
    assert_eq!(World::standing(&live, &ann)["steps"], 12_000);
    assert_eq!(World::standing(&live, &bob)["place"], 2);

    // Two runs at once, then a retry: one settlement.
    let at: DateTime<Utc> = live["settles_after"].as_str().unwrap().parse().unwrap();
    let (first, second) = tokio::join!(
        w.job(at + Duration::minutes(1)),
        w.job(at + Duration::minutes(1))
    );
    assert_eq!(
        first["settled"].as_i64().unwrap() + second["settled"].as_i64().unwrap(),
        1,
        "{first} {second}"
    );
    assert_eq!(w.settle(&ann, id).await["settled"], 0);
    assert_eq!(w.paid(id, &[&ann, &bob]).await, [2_000, 0]);
    assert_eq!(w.t.wallet(ann.id).await.1, 0);
    assert_eq!(w.t.wallet(bob.id).await.1, 0);
    let settled = w.challenge(&ann, id).await;
    assert_eq!(settled["phase"], "settled");
    assert_eq!(settled["pot_coins"], 0);
    assert_eq!(World::standing(&settled, &ann)["payout_coins"], 2_000);
    // The stake and the winnings are on the winner's statement.
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT transaction_type, amount FROM coin_transactions
         WHERE user_id = $1 AND reference_type = 'challenge' ORDER BY user_seq",
    )
    .bind(ann.id)
    .fetch_all(&w.t.pool)
    .await
    .unwrap();
    assert_eq!(rows, [("stake".into(), -1_000), ("payout".into(), 2_000)]);
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn tied_winners_split_the_pot_and_the_odd_coin_goes_to_the_earliest_joiner() {
    let w = world().await;
    let ann = w.walker("ann@example.com").await;
    let bob = w.walker("bob@example.com").await;
    let cat = w.walker("cat@example.com").await;
    w.friends(&ann, &bob).await;
    w.friends(&ann, &cat).await;
    let id = w
        .created(
            &ann,
            json!({ "template": "custom", "kind": "race", "days": 2, "title": "Two-day dash",
                    "stake_coins": 101, "invitees": [bob.id, cat.id] }),
        )
        .await;
    // Cat joins before Bob.
    w.accepted(&cat, id).await;
    w.accepted(&bob, id).await;
    w.t.challenge_moved_back(id, 3).await;
    for (who, first, second) in [
        (&ann, 8_000, 6_000),
        (&bob, 4_000, 10_000),
        (&cat, 9_000, 4_000),
    ] {
        w.walk(who, days_ago(2), first).await;
        w.walk(who, days_ago(1), second).await;
    }
    w.job(fitkart_tests::now()).await;
    let report = w.settle(&ann, id).await;
    assert_eq!(report["settled"], 1, "{report}");
    // Ann and Bob tie on 14,000 for the 303-coin pot: 151 each and the odd coin to Ann,
    // who joined first (at creation); Cat, on 13,000, is third.
    assert_eq!(w.paid(id, &[&ann, &bob, &cat]).await, [152, 151, 0]);
    let settled = w.challenge(&cat, id).await;
    let places: Vec<Value> = [&ann, &bob, &cat]
        .iter()
        .map(|u| World::standing(&settled, u)["place"].clone())
        .collect();
    assert_eq!(places, [json!(1), json!(1), json!(3)]);
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_goal_is_shared_by_those_who_meet_it_and_when_nobody_does_every_stake_comes_back() {
    let w = world().await;
    w.t.set_setting("challenge_stakes_per_week", "5").await;
    let ann = w.walker("ann@example.com").await;
    let bob = w.walker("bob@example.com").await;
    let cat = w.walker("cat@example.com").await;
    w.friends(&ann, &bob).await;
    w.friends(&ann, &cat).await;
    let goal = |steps: i64| {
        json!({ "template": "custom", "kind": "goal", "days": 2, "goal_steps": steps, "goal_days": 2,
                "stake_coins": 300, "invitees": [bob.id, cat.id] })
    };
    let reachable = w.created(&ann, goal(10_000)).await;
    let too_far = w.created(&ann, goal(25_000)).await;
    for id in [reachable, too_far] {
        w.accepted(&bob, id).await;
        w.accepted(&cat, id).await;
        w.t.challenge_moved_back(id, 3).await;
    }
    // Ann and Cat walk 10,000 on both days, Bob on one (each their own walk: the same
    // hours on three accounts would be one script's, and held).
    for (who, first, second) in [
        (&ann, 11_000, 10_500),
        (&bob, 11_100, 4_000),
        (&cat, 11_200, 12_000),
    ] {
        w.walk(who, days_ago(2), first).await;
        w.walk(who, days_ago(1), second).await;
    }
    w.job(fitkart_tests::now()).await;
    let live = w.challenge(&bob, reachable).await;
    assert_eq!(World::standing(&live, &ann)["succeeded"], true);
    assert_eq!(World::standing(&live, &bob)["succeeded"], false);
    assert_eq!(World::standing(&live, &bob)["goal_days_met"], 1);
    assert_eq!(w.settle(&ann, reachable).await["settled"], 2);
    assert_eq!(w.paid(reachable, &[&ann, &bob, &cat]).await, [450, 0, 450]);
    assert_eq!(w.paid(too_far, &[&ann, &bob, &cat]).await, [300, 300, 300]);
    let refunded = w.challenge(&cat, too_far).await;
    assert_eq!(World::standing(&refunded, &cat)["succeeded"], false);
    assert_eq!(w.t.wallet(bob.id).await.1, 0);
    w.t.assert_ledger_invariants().await;
}

/// `user`'s day held for review (a 60,000-step day): the pending review's id.
async fn held_day(w: &World, user: &User, date: NaiveDate) -> Uuid {
    w.walk(user, date, 60_000).await;
    sqlx::query_scalar(
        "SELECT v.id FROM step_validations v JOIN step_records r ON r.id = v.step_record_id
         WHERE r.user_id = $1 AND v.status = 'pending'",
    )
    .bind(user.id)
    .fetch_one(&w.t.pool)
    .await
    .unwrap()
}

async fn review(w: &World, reviewer: &User, validation: Uuid, decision: &str) {
    let res =
        w.t.review_day(
            reviewer,
            validation,
            decision,
            "Checked against the phone's hours.",
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

#[tokio::test]
async fn a_held_day_approved_after_the_end_counts_before_the_challenge_settles() {
    let w = world().await;
    let boss = w.t.admin("boss@example.com").await;
    let ann = w.walker("ann@example.com").await;
    let bob = w.walker("bob@example.com").await;
    w.friends(&ann, &bob).await;
    let id = w.created(&ann, showdown(500, &[&bob])).await;
    w.accepted(&bob, id).await;
    w.t.challenge_moved_back(id, 2).await;
    w.walk(&ann, days_ago(1), 12_000).await;
    let held = held_day(&w, &bob, days_ago(1)).await;
    w.job(fitkart_tests::now()).await;
    // Due, but Bob's day is undecided: the challenge waits, provisional.
    let waiting = w.settle(&ann, id).await;
    assert_eq!(waiting["waiting_for_review"], 1, "{waiting}");
    assert_eq!(w.challenge(&ann, id).await["phase"], "provisional");
    assert_eq!(w.paid(id, &[&ann, &bob]).await, [0, 0]);
    // Approved after the end: 60,000 counts as 30,000 (the day cap) and Bob wins.
    review(&w, &boss, held, "approve").await;
    assert_eq!(w.settle(&ann, id).await["settled"], 1);
    let settled = w.challenge(&ann, id).await;
    assert_eq!(World::standing(&settled, &bob)["steps"], 30_000);
    assert_eq!(w.paid(id, &[&ann, &bob]).await, [0, 1_000]);
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_participant_whose_day_is_rejected_is_disqualified_and_their_stake_stays_in_the_pot() {
    let w = world().await;
    let boss = w.t.admin("boss@example.com").await;
    let ann = w.walker("ann@example.com").await;
    let bob = w.walker("bob@example.com").await;
    let cat = w.walker("cat@example.com").await;
    w.friends(&ann, &bob).await;
    w.friends(&ann, &cat).await;
    let id = w.created(&ann, showdown(400, &[&bob, &cat])).await;
    w.accepted(&bob, id).await;
    w.accepted(&cat, id).await;
    w.t.challenge_moved_back(id, 2).await;
    w.walk(&ann, days_ago(1), 9_000).await;
    w.walk(&cat, days_ago(1), 8_000).await;
    let held = held_day(&w, &bob, days_ago(1)).await;
    review(&w, &boss, held, "reject").await;
    w.job(fitkart_tests::now()).await;
    assert_eq!(w.settle(&ann, id).await["settled"], 1);
    assert_eq!(w.paid(id, &[&ann, &bob, &cat]).await, [1_200, 0, 0]);
    let settled = w.challenge(&bob, id).await;
    let bob_line = World::standing(&settled, &bob);
    assert_eq!(bob_line["status"], "disqualified");
    assert_eq!(bob_line["place"], Value::Null);
    assert_eq!(World::standing(&settled, &cat)["place"], 2);
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_late_sync_inside_the_provisional_window_changes_the_result() {
    let w = world().await;
    let ann = w.walker("ann@example.com").await;
    let bob = w.walker("bob@example.com").await;
    w.friends(&ann, &bob).await;
    let id = w.created(&ann, showdown(250, &[&bob])).await;
    w.accepted(&bob, id).await;
    w.t.challenge_moved_back(id, 2).await;
    w.walk(&ann, days_ago(1), 11_000).await;
    w.walk(&bob, days_ago(1), 7_000).await;
    w.job(fitkart_tests::now()).await;
    assert_eq!(
        World::standing(&w.challenge(&bob, id).await, &ann)["place"],
        1
    );
    // Bob's phone syncs the rest of the day after it ended, before the results are final.
    w.walk(&bob, days_ago(1), 13_000).await;
    let live = w.challenge(&bob, id).await;
    assert_eq!(World::standing(&live, &bob)["place"], 1);
    assert_eq!(World::standing(&live, &bob)["steps"], 13_000);
    assert_eq!(w.settle(&ann, id).await["settled"], 1);
    assert_eq!(w.paid(id, &[&ann, &bob]).await, [0, 500]);
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn cancelled_challenges_give_every_stake_back() {
    let w = world().await;
    w.t.set_setting("challenge_stakes_per_week", "5").await;
    let admin_user = w.t.admin("boss@example.com").await;
    let ann = w.walker("ann@example.com").await;
    let bob = w.walker("bob@example.com").await;
    w.friends(&ann, &bob).await;

    // By the creator, before the start; afterwards it cannot be.
    let by_creator = w.created(&ann, showdown(700, &[&bob])).await;
    w.accepted(&bob, by_creator).await;
    assert_eq!(w.act(&bob, by_creator, "cancel").await.status, 403);
    let cancelled = w.act(&ann, by_creator, "cancel").await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["cancel_reason"], "creator");
    assert_eq!(w.paid(by_creator, &[&ann, &bob]).await, [700, 700]);
    assert_eq!(
        w.act(&bob, by_creator, "decline").await.code(),
        "invitation_closed"
    );

    // Too few accepted at the start: the job cancels it.
    let alone = w.created(&ann, showdown(300, &[&bob])).await;
    assert_eq!(w.act(&bob, alone, "decline").await.status, 204);
    w.t.challenge_moved_back(alone, 2).await;
    assert_eq!(w.job(fitkart_tests::now()).await["cancelled_too_few"], 1);
    assert_eq!(w.challenge(&ann, alone).await["cancel_reason"], "too_few");
    assert_eq!(w.paid(alone, &[&ann]).await, [300]);

    // By an admin while it runs, audited with the reason.
    let running = w.created(&ann, showdown(200, &[&bob])).await;
    w.accepted(&bob, running).await;
    w.t.challenge_moved_back(running, 2).await;
    w.job(fitkart_tests::now()).await;
    assert_eq!(
        w.act(&ann, running, "cancel").await.code(),
        "challenge_started"
    );
    let res =
        w.t.call(
            challenges::admin_cancel,
            "POST",
            "/v1/admin/challenges/{id}/cancel",
        )
        .bearer(&admin_user.access_token)
        .param("id", running)
        .json(json!({ "reason": "Reported as a bet between shared accounts." }))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["pot_coins"], 0);
    assert_eq!(w.paid(running, &[&ann, &bob]).await, [200, 200]);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM admin_logs WHERE action = 'challenge.cancel' AND entity_id = $1",
    )
    .bind(running)
    .fetch_one(&w.t.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // Settled or cancelled is final.
    assert_eq!(w.settle(&ann, running).await["settled"], 0);
    for user in [&ann, &bob] {
        assert_eq!(w.t.wallet(user.id).await, (10_000, 0, 0));
    }
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn stakes_keep_to_the_country_size_weekly_and_shared_account_rules() {
    let w = world().await;
    let ann = w.walker("ann@example.com").await;
    let bob = w.walker("bob@example.com").await;
    let cat = w.walker("cat@example.com").await;
    let stranger = w.walker("stranger@example.com").await;
    w.friends(&ann, &bob).await;
    w.friends(&ann, &cat).await;

    // Not a friend, too big for the wallet, over the maximum: nothing is created.
    let res = w.create(&ann, showdown(100, &[&stranger])).await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["invitees[0]".to_owned()])
    );
    assert_eq!(
        w.create(&ann, showdown(2_501, &[&bob])).await.code(),
        "stake_too_large"
    );
    w.t.set_setting("challenge_max_stake", "2000").await;
    assert_eq!(
        w.create(&ann, showdown(2_001, &[&bob]))
            .await
            .error_fields(),
        ["stake_coins"]
    );
    // Where stakes are not offered, a challenge without one is.
    w.t.set_setting("challenge_stake_countries", "DE").await;
    let res = w.create(&ann, showdown(100, &[&bob])).await;
    assert_eq!((res.status, res.code()), (403, "stakes_not_available"));
    assert_eq!(w.create(&ann, showdown(0, &[&bob])).await.status, 201);
    w.t.set_setting("challenge_stake_countries", "US").await;
    assert_eq!(w.t.wallet(ann.id).await, (10_000, 0, 0));

    // Bob and Cat sync from the same phone: not in one staked challenge.
    w.t.sync_days(&bob, Some("phone-1"), vec![phone_day(days_ago(3), 5_000)])
        .await;
    w.t.sync_days(&cat, Some("phone-1"), vec![phone_day(days_ago(2), 5_000)])
        .await;
    let both = w.created(&ann, showdown(100, &[&bob, &cat])).await;
    w.accepted(&bob, both).await;
    assert_eq!(w.act(&cat, both, "accept").await.code(), "shared_account");
    assert_eq!(w.t.wallet(cat.id).await.1, 0);

    // Two staked challenges joined in a week at most (Ann has joined one: the creation).
    w.created(&ann, showdown(100, &[&bob])).await;
    assert_eq!(
        w.create(&ann, showdown(100, &[&bob])).await.code(),
        "stake_limit_reached"
    );
    // Five challenges at once at most.
    for _ in 0..2 {
        w.created(&ann, showdown(0, &[&cat])).await;
    }
    assert_eq!(
        w.create(&ann, showdown(0, &[&cat])).await.code(),
        "too_many_challenges"
    );

    // An invitation is open 48 hours.
    let late = w.created(&cat, showdown(0, &[&ann])).await;
    sqlx::query("UPDATE challenge_participants SET expires_at = now() - interval '1 minute' WHERE challenge_id = $1")
        .bind(late)
        .execute(&w.t.pool)
        .await
        .unwrap();
    assert_eq!(
        w.act(&ann, late, "accept").await.code(),
        "invitation_closed"
    );
    assert!(
        w.job(fitkart_tests::now()).await["invitations_expired"]
            .as_i64()
            .unwrap()
            >= 1
    );
    // Somebody else's challenge is not found.
    let res =
        w.t.call(challenges::get, "GET", "/v1/challenges/{id}")
            .bearer(&stranger.access_token)
            .param("id", both)
            .send()
            .await;
    assert_eq!(res.status, 404);
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn leaving_frees_a_stake_in_a_challenge_not_yet_started_and_the_export_lists_challenges() {
    let w = world().await;
    let ann = w.walker("ann@example.com").await;
    let bob = w.walker("bob@example.com").await;
    w.friends(&ann, &bob).await;
    let id = w.created(&ann, showdown(600, &[&bob])).await;
    w.accepted(&bob, id).await;
    let export =
        w.t.call(me::export, "GET", "/v1/me/export")
            .bearer(&bob.access_token)
            .send()
            .await;
    assert_eq!(export.body["challenges"][0]["stake_coins"], 600);
    let deleted =
        w.t.call(me::delete, "DELETE", "/v1/me")
            .bearer(&bob.access_token)
            .send()
            .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(w.paid(id, &[&bob]).await, [600]);
    let left = w.challenge(&ann, id).await;
    assert_eq!(World::standing(&left, &bob)["status"], "declined");
    assert_eq!(left["pot_coins"], 600);
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn the_streak_freeze_is_earned_at_seven_days_and_covers_one_missed_day() {
    let t = TestApp::new().await;
    let ann = t.verified("ann@example.com").await;
    let today = fitkart_tests::now().date_naive();
    // Seven goal days, a missed one, then today's walk.
    for n in 2..=8 {
        t.walked(ann.id, today - Duration::days(n), 11_000).await;
    }
    t.walked(ann.id, today, 10_500).await;
    let stats = t
        .call(me::stats, "GET", "/v1/me/stats")
        .bearer(&ann.access_token)
        .send()
        .await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    assert_eq!(
        stats.body["streak"],
        json!({ "current_days": 8, "longest_days": 8, "freeze_held": false,
                "frozen_days": [today - Duration::days(1)] })
    );
    // The strict streak (as the achievements count it) started again today.
    assert_eq!(stats.body["current_streak"], 1);
    assert_eq!(stats.body["best_streak"], 7);
}
