//! Walking together, through the handlers on real Postgres: friends by invite link (both
//! agree), their limits, expiry and revocation, blocking both ways with the same answer as
//! any bad link, privacy on the friend and global boards, teams scored by average with the
//! day cap, team limits, reports, and what deletion and export do.

use fitkart::jobs::ScheduledEvent;
use fitkart_functions::{leaderboard, me, social};
use fitkart_tests::{days_ago, phone_day, TestApp, TestResponse, User};
use serde_json::{json, Value};
use uuid::Uuid;

async fn invite(t: &TestApp, owner: &User, team: Option<Uuid>) -> TestResponse {
    let body = match team {
        Some(team) => json!({ "team_id": team }),
        None => json!({}),
    };
    t.call(social::create_invite, "POST", "/v1/invites")
        .bearer(&owner.access_token)
        .json(body)
        .send()
        .await
}

/// A new friend link of `owner`: its code.
async fn code_of(t: &TestApp, owner: &User) -> String {
    let res = invite(t, owner, None).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["code"].as_str().unwrap().to_owned()
}

async fn redeem(t: &TestApp, user: &User, code: &str) -> TestResponse {
    t.call(social::redeem_invite, "POST", "/v1/redemptions")
        .bearer(&user.access_token)
        .json(json!({ "code": code }))
        .send()
        .await
}

async fn requests(t: &TestApp, user: &User) -> Value {
    t.call(social::list_friend_requests, "GET", "/v1/friend-requests")
        .bearer(&user.access_token)
        .send()
        .await
        .body
}

async fn accept(t: &TestApp, user: &User, request: &Value) -> TestResponse {
    t.call(
        social::accept_friend_request,
        "POST",
        "/v1/friend-requests/{id}/accept",
    )
    .bearer(&user.access_token)
    .param("id", request["id"].as_str().unwrap())
    .send()
    .await
}

async fn friends_of(t: &TestApp, user: &User) -> Vec<Value> {
    let res = t
        .call(social::list_friends, "GET", "/v1/friends")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body["items"].as_array().unwrap().clone()
}

async fn board(t: &TestApp, user: &User, period: &str) -> Value {
    let res = t
        .call(social::friend_board, "GET", "/v1/boards/friends")
        .bearer(&user.access_token)
        .query("period", period)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

#[tokio::test]
async fn a_friend_link_asks_its_owner_and_both_agreeing_makes_friends() {
    let t = TestApp::new().await;
    let ann = t.register("ann@example.com").await;
    let bob = t.register("bob@example.com").await;
    let created = invite(&t, &ann, None).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let code = created.body["code"].as_str().unwrap();
    assert_eq!(code.len(), 8);
    assert!(created.body["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/invite/{code}")));
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_digest FROM invite_codes")
        .fetch_all(&t.pool)
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|d| d.len() == 32 && !d.windows(8).any(|w| w == code.as_bytes())),
        "only a digest is kept"
    );

    // Bob uses it, typed the way people type (lower case, a dash): Ann is asked.
    let typed = format!("{}-{}", &code[..4], &code[4..]).to_lowercase();
    let asked = redeem(&t, &bob, &typed).await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    assert_eq!(asked.body["result"], "requested");
    assert!(
        friends_of(&t, &bob).await.is_empty(),
        "not friends until Ann agrees"
    );
    assert_eq!(
        requests(&t, &bob).await["outgoing"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let incoming = requests(&t, &ann).await["incoming"][0].clone();
    assert_eq!(incoming["person"]["id"], json!(bob.id));
    assert_eq!(
        incoming["person"]["alias"], "Test W.",
        "an alias, never the full name"
    );

    let accepted = accept(&t, &ann, &incoming).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let (anns, bobs) = (friends_of(&t, &ann).await, friends_of(&t, &bob).await);
    assert_eq!((anns.len(), bobs.len()), (1, 1));
    assert_eq!(anns[0]["id"], json!(bob.id));
    assert!(anns[0].get("email").is_none() && anns[0].get("full_name").is_none());
    assert!(requests(&t, &ann).await["incoming"]
        .as_array()
        .unwrap()
        .is_empty());
    // Using the link again is a conflict, not a second request.
    let again = redeem(&t, &bob, code).await;
    assert_eq!((again.status, again.code()), (409, "already_friends"));

    // A request both ways is a friendship at once: Carol asked Ann, Ann uses Carol's link.
    let carol = t.register("carol@example.com").await;
    assert_eq!(redeem(&t, &carol, code).await.status, 201);
    let mutual = redeem(&t, &ann, &code_of(&t, &carol).await).await;
    assert_eq!(mutual.body["result"], "friends", "{}", mutual.body);
    assert_eq!(friends_of(&t, &ann).await.len(), 2);

    // A friend removed is gone for both.
    let removed = t
        .call(social::remove_friend, "DELETE", "/v1/friends/{id}")
        .bearer(&bob.access_token)
        .param("id", ann.id)
        .send()
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(friends_of(&t, &ann).await.len(), 1);
}

#[tokio::test]
async fn links_expire_can_be_revoked_and_number_ten_at_most() {
    let t = TestApp::new().await;
    let ann = t.register("ann@example.com").await;
    let bob = t.register("bob@example.com").await;
    let mut ids = Vec::new();
    for _ in 0..10 {
        let made = invite(&t, &ann, None).await;
        assert_eq!(made.status, 201);
        ids.push((
            made.body["id"].as_str().unwrap().to_owned(),
            made.body["code"].as_str().unwrap().to_owned(),
        ));
    }
    let eleventh = invite(&t, &ann, None).await;
    assert_eq!(
        (eleventh.status, eleventh.code()),
        (409, "too_many_invites")
    );

    let bad = redeem(&t, &bob, "ZZZZZZZZ").await;
    assert_eq!((bad.status, bad.code()), (422, "invalid_code"));
    // Revoked: the same answer as a bad code, and room for a new link.
    let revoked = t
        .call(social::revoke_invite, "DELETE", "/v1/invites/{id}")
        .bearer(&ann.access_token)
        .param("id", &ids[0].0)
        .send()
        .await;
    assert_eq!(revoked.status, 204);
    let used = redeem(&t, &bob, &ids[0].1).await;
    assert_eq!(
        (used.status, used.body["detail"].clone()),
        (422, bad.body["detail"].clone())
    );
    assert_eq!(invite(&t, &ann, None).await.status, 201);
    // Expired (seven days on): the same again.
    sqlx::query(
        "UPDATE invite_codes SET expires_at = now() - interval '1 second' WHERE id = $1::uuid",
    )
    .bind(&ids[1].0)
    .execute(&t.pool)
    .await
    .unwrap();
    assert_eq!(redeem(&t, &bob, &ids[1].1).await.code(), "invalid_code");
    // Another person's link is not mine to revoke.
    let theirs = t
        .call(social::revoke_invite, "DELETE", "/v1/invites/{id}")
        .bearer(&bob.access_token)
        .param("id", &ids[2].0)
        .send()
        .await;
    assert_eq!(theirs.status, 404);
    // One's own link leads nowhere either.
    assert_eq!(redeem(&t, &ann, &ids[2].1).await.code(), "invalid_code");
}

#[tokio::test]
async fn nobody_has_more_than_two_hundred_friends() {
    let t = TestApp::new().await;
    let popular = t.register("popular@example.com").await;
    let newcomer = t.register("newcomer@example.com").await;
    // 200 friends already, made the way acceptance makes them.
    sqlx::query(
        "WITH others AS (
             INSERT INTO users (email, full_name, password_hash)
             SELECT 'friend' || n || '@example.com', 'Friend ' || n, 'x' FROM generate_series(1, 200) n
             RETURNING id)
         INSERT INTO friendships (user_a, user_b)
         SELECT LEAST(id, $1), GREATEST(id, $1) FROM others",
    )
    .bind(popular.id)
    .execute(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        redeem(&t, &newcomer, &code_of(&t, &popular).await)
            .await
            .status,
        201
    );
    let incoming = requests(&t, &popular).await["incoming"][0].clone();
    let refused = accept(&t, &popular, &incoming).await;
    assert_eq!((refused.status, refused.code()), (409, "friend_limit"));
    assert!(friends_of(&t, &newcomer).await.is_empty());
}

#[tokio::test]
async fn a_block_ends_the_friendship_and_reads_like_any_bad_link_both_ways() {
    let t = TestApp::new().await;
    let ann = t.register("ann@example.com").await;
    let bob = t.register("bob@example.com").await;
    t.befriend(&ann, &bob).await;
    let anns_link = code_of(&t, &ann).await;
    let bobs_link = code_of(&t, &bob).await;
    let blocked = t
        .call(social::block, "POST", "/v1/blocks")
        .bearer(&ann.access_token)
        .json(json!({ "user_id": bob.id }))
        .send()
        .await;
    assert_eq!(blocked.status, 201, "{}", blocked.body);
    assert!(friends_of(&t, &ann).await.is_empty() && friends_of(&t, &bob).await.is_empty());

    let nonsense = redeem(&t, &bob, "ZZZZZZZZ").await;
    for (who, code) in [(&bob, &anns_link), (&ann, &bobs_link)] {
        let refused = redeem(&t, who, code).await;
        assert_eq!(refused.status, nonsense.status);
        assert_eq!(refused.body["code"], nonsense.body["code"]);
        assert_eq!(
            refused.body["detail"], nonsense.body["detail"],
            "no way to tell a block"
        );
    }
    assert!(requests(&t, &ann).await["incoming"]
        .as_array()
        .unwrap()
        .is_empty());
    let list = t
        .call(social::list_blocks, "GET", "/v1/blocks")
        .bearer(&ann.access_token)
        .send()
        .await;
    assert_eq!(list.body["items"][0]["id"], json!(bob.id));
    // Unblocked, the link works again.
    let unblocked = t
        .call(social::unblock, "DELETE", "/v1/blocks/{id}")
        .bearer(&ann.access_token)
        .param("id", bob.id)
        .send()
        .await;
    assert_eq!(unblocked.status, 204);
    assert_eq!(redeem(&t, &bob, &anns_link).await.status, 201);
}

#[tokio::test]
async fn the_friend_board_ranks_verified_steps_and_a_private_walker_shows_no_numbers() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let ann = t.verified("ann@example.com").await;
    let bob = t.verified("bob@example.com").await;
    let cat = t.verified("cat@example.com").await;
    for user in [&ann, &bob, &cat] {
        t.joined_days_ago(user.id, 60).await;
    }
    t.befriend(&ann, &bob).await;
    t.befriend(&ann, &cat).await;
    // Today through the real pipeline: live on the board once credited.
    t.sync_days(&ann, None, vec![phone_day(days_ago(0), 9_000)])
        .await;
    t.sync_days(&bob, None, vec![phone_day(days_ago(0), 9_000)])
        .await;
    t.sync_days(&cat, None, vec![phone_day(days_ago(0), 12_000)])
        .await;
    pipeline.run(t.app).await;
    let today = board(&t, &ann, "today").await;
    let rows: Vec<(i64, i64, bool)> = today["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["rank"].as_i64().unwrap(),
                m["steps"].as_i64().unwrap(),
                m["me"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], (1, 12_000, false));
    assert_eq!((rows[1].0, rows[2].0), (2, 2), "ties share a rank");

    // Yesterday counts in the last 7 days, and in the week unless today is a Monday.
    t.walked(bob.id, days_ago(1), 5_000).await;
    let week = board(&t, &ann, "last_7_days").await;
    let bobs = week["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == json!(bob.id))
        .unwrap()
        .clone();
    assert_eq!(bobs["steps"], 14_000);

    // Cat shows her steps to nobody: on Ann's board without numbers, last.
    assert_eq!(
        t.privacy(&cat, json!({ "steps_visibility": "nobody" }))
            .await
            .status,
        200
    );
    let hidden = board(&t, &ann, "today").await;
    let last = hidden["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["id"], json!(cat.id));
    assert!(last["steps"].is_null() && last["rank"].is_null(), "{last}");
    let listed = friends_of(&t, &ann).await;
    let cat_listed = listed.iter().find(|f| f["id"] == json!(cat.id)).unwrap();
    assert!(cat_listed["week_steps"].is_null());
    // Her own board still shows her own steps.
    let own = board(&t, &cat, "today").await;
    let me_row = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["me"] == true)
        .unwrap()
        .clone();
    assert_eq!(me_row["steps"], 12_000);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn the_global_board_shows_aliases_and_never_a_hidden_walker() {
    let t = TestApp::new().await;
    let ann = t.register("ann@example.com").await;
    let bob = t.register("bob@example.com").await;
    let cat = t.register("cat@example.com").await;
    for (user, steps) in [(&ann, 9_000), (&bob, 8_000), (&cat, 7_000)] {
        t.walked(user.id, days_ago(0), steps).await;
    }
    assert_eq!(
        t.privacy(&ann, json!({ "alias": "Trail Ann" }))
            .await
            .status,
        200
    );
    assert_eq!(
        t.privacy(&bob, json!({ "leaderboard_visibility": "hidden" }))
            .await
            .status,
        200
    );
    assert_eq!(
        t.privacy(&cat, json!({ "leaderboard_visibility": "friends" }))
            .await
            .status,
        200
    );
    leaderboard::rank(t.app, ScheduledEvent::default())
        .await
        .unwrap();
    let read = |user: &User| {
        t.call(leaderboard::get, "GET", "/v1/leaderboard")
            .bearer(&user.access_token)
            .query("period", "all_time")
            .send()
    };
    let seen_by_cat = read(&cat).await;
    let items = seen_by_cat.body["items"].as_array().unwrap().clone();
    let names: Vec<&str> = items.iter().map(|e| e["alias"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Trail Ann", "Test W."],
        "Bob is hidden; Cat sees herself"
    );
    assert!(
        items.iter().all(|e| e["full_name"] == e["alias"]),
        "no full names"
    );
    assert_eq!(items[1]["rank"], 3, "ranks count everyone");
    // Ann is not Cat's friend: Cat (friends only) is not on Ann's board, nor Bob.
    let seen_by_ann = read(&ann).await;
    assert_eq!(seen_by_ann.body["items"].as_array().unwrap().len(), 1);
    // Bob still sees his own rank.
    assert_eq!(read(&bob).await.body["me"]["rank"], 2);
    // Friends see a friends-only walker.
    t.befriend(&ann, &cat).await;
    assert_eq!(read(&ann).await.body["items"].as_array().unwrap().len(), 2);
}

async fn create_team(t: &TestApp, owner: &User, kind: &str, name: &str) -> TestResponse {
    t.call(social::create_team, "POST", "/v1/teams")
        .bearer(&owner.access_token)
        .json(json!({ "kind": kind, "name": name }))
        .send()
        .await
}

async fn join(t: &TestApp, owner: &User, team: &str, who: &User) -> TestResponse {
    let link = invite(t, owner, Some(team.parse().unwrap())).await;
    assert_eq!(link.status, 201, "{}", link.body);
    redeem(t, who, link.body["code"].as_str().unwrap()).await
}

#[tokio::test]
async fn a_team_scores_the_average_of_its_active_members_each_day_capped() {
    let t = TestApp::new().await;
    let owner = t.register("owner@example.com").await;
    let walker = t.register("walker@example.com").await;
    let idle = t.register("idle@example.com").await;
    let team = create_team(&t, &owner, "team", "Early Birds").await;
    assert_eq!(team.status, 201, "{}", team.body);
    let id = team.body["id"].as_str().unwrap().to_owned();
    for who in [&walker, &idle] {
        let joined = join(&t, &owner, &id, who).await;
        assert_eq!(joined.body["result"], "joined", "{}", joined.body);
    }
    // The owner's 45,000-step day counts 30,000; the walker's 10,000 whole; the idle member
    // has no verified day and is not active. (45,000 + 10,000 would be 27,500 each.)
    let today = fitkart_tests::now().date_naive();
    t.walked(owner.id, today, 45_000).await;
    t.walked(walker.id, today, 10_000).await;
    leaderboard::rank(t.app, ScheduledEvent::default())
        .await
        .unwrap();
    let page = t
        .call(social::get_team, "GET", "/v1/teams/{id}")
        .bearer(&walker.access_token)
        .param("id", &id)
        .query("period", "monthly")
        .send()
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        (
            page.body["score"].clone(),
            page.body["active_members"].clone()
        ),
        (json!(20_000), json!(2))
    );
    let steps: Vec<Value> = page.body["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["steps"].clone())
        .collect();
    assert_eq!(steps, [json!(30_000), json!(10_000), json!(0)]);
    // A non-member sees nothing of it.
    let stranger = t.register("stranger@example.com").await;
    let hidden = t
        .call(social::get_team, "GET", "/v1/teams/{id}")
        .bearer(&stranger.access_token)
        .param("id", &id)
        .send()
        .await;
    assert_eq!(hidden.status, 404);

    // On the board, beside a bigger team whose average is lower.
    let big = create_team(&t, &stranger, "team", "Many Feet").await;
    let big_id = big.body["id"].as_str().unwrap().to_owned();
    for n in 0..4 {
        let member = t.register(&format!("feet{n}@example.com")).await;
        join(&t, &stranger, &big_id, &member).await;
        t.walked(member.id, today, 15_000).await;
    }
    leaderboard::rank(
        t.app,
        ScheduledEvent {
            scheduled_time: Some(fitkart_tests::now()),
        },
    )
    .await
    .unwrap();
    let boards = t
        .call(social::team_board, "GET", "/v1/boards/teams")
        .bearer(&walker.access_token)
        .query("period", "monthly")
        .send()
        .await;
    assert_eq!(boards.status, 200, "{}", boards.body);
    let names: Vec<&str> = boards.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Early Birds", "Many Feet"]);
    assert_eq!(boards.body["mine"][0]["rank"], 1);
    let reconciled = fitkart::reconcile::run(&mut t.pool.begin().await.unwrap())
        .await
        .unwrap();
    assert!(reconciled.is_empty(), "{reconciled:?}");
}

#[tokio::test]
async fn a_teams_sums_are_withheld_wherever_they_would_give_away_one_hidden_walker() {
    let t = TestApp::new().await;
    let owner = t.register("owner@example.com").await;
    let shy = t.register("shy@example.com").await;
    let team = create_team(&t, &owner, "team", "Two Feet").await;
    let id = team.body["id"].as_str().unwrap().to_owned();
    join(&t, &owner, &id, &shy).await;
    assert_eq!(
        t.privacy(&shy, json!({ "steps_visibility": "nobody" }))
            .await
            .status,
        200
    );
    let today = fitkart_tests::now().date_naive();
    t.walked(owner.id, today, 10_000).await;
    t.walked(shy.id, today, 4_000).await;
    let rank = || async {
        leaderboard::rank(
            t.app,
            ScheduledEvent {
                scheduled_time: Some(fitkart_tests::now()),
            },
        )
        .await
        .unwrap()
    };
    rank().await;
    let page = |who: &User| {
        t.call(social::get_team, "GET", "/v1/teams/{id}")
            .bearer(&who.access_token)
            .param("id", &id)
            .send()
    };
    let board = |who: &User| {
        t.call(social::team_board, "GET", "/v1/boards/teams")
            .bearer(&who.access_token)
            .send()
    };
    // The owner sees their own 10,000 and the team's average of 7,000: the shy member's
    // 4,000 would be 2 x 7,000 - 10,000. Neither the page nor the board tells it.
    let seen = page(&owner).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(
        (
            seen.body["totals_withheld"].clone(),
            seen.body["score"].clone(),
            seen.body["total_steps"].clone()
        ),
        (json!(true), Value::Null, Value::Null)
    );
    let on_board = board(&owner).await;
    assert_eq!(on_board.status, 200, "{}", on_board.body);
    assert_eq!(
        (
            on_board.body["mine"][0]["rank"].clone(),
            on_board.body["mine"][0]["score"].clone()
        ),
        (json!(1), Value::Null),
        "{}",
        on_board.body
    );
    // A stranger sees the owner's week on the global board: the same subtraction.
    let stranger = t.register("stranger@example.com").await;
    let from_outside = board(&stranger).await;
    assert_eq!(from_outside.body["items"][0]["name"], "Two Feet");
    assert_eq!(from_outside.body["items"][0]["score"], Value::Null);
    // The shy member sees everything of their own team: only the owner is someone else,
    // and the owner shares.
    assert_eq!(page(&shy).await.body["score"], 7_000);
    assert_eq!(board(&shy).await.body["mine"][0]["score"], 7_000);

    // A second hidden walker: no one's steps follow from the sum any more.
    let quiet = t.register("quiet@example.com").await;
    join(&t, &owner, &id, &quiet).await;
    t.privacy(&quiet, json!({ "steps_visibility": "nobody" }))
        .await;
    t.walked(quiet.id, today, 7_000).await;
    rank().await;
    let seen = page(&owner).await;
    assert_eq!(
        (
            seen.body["totals_withheld"].clone(),
            seen.body["score"].clone()
        ),
        (json!(false), json!(7_000))
    );
    assert_eq!(board(&owner).await.body["mine"][0]["score"], 7_000);
    assert_eq!(board(&stranger).await.body["items"][0]["score"], 7_000);
}

#[tokio::test]
async fn teams_hold_fifty_people_and_a_person_three_teams() {
    let t = TestApp::new().await;
    let owner = t.register("owner@example.com").await;
    for n in 0..3 {
        assert_eq!(
            create_team(&t, &owner, "team", &format!("Team {n}"))
                .await
                .status,
            201
        );
    }
    let fourth = create_team(&t, &owner, "team", "Team 3").await;
    assert_eq!((fourth.status, fourth.code()), (409, "team_limit"));
    assert_eq!(
        create_team(&t, &owner, "club", "A Club").await.status,
        201,
        "clubs count apart"
    );

    let teams = t
        .call(social::list_teams, "GET", "/v1/teams")
        .bearer(&owner.access_token)
        .send()
        .await;
    let id = teams.body["items"][0]["id"].as_str().unwrap().to_owned();
    sqlx::query(
        "WITH others AS (
             INSERT INTO users (email, full_name, password_hash)
             SELECT 'member' || n || '@example.com', 'Member ' || n, 'x' FROM generate_series(1, 49) n
             RETURNING id)
         INSERT INTO team_members (team_id, user_id) SELECT $1::uuid, id FROM others",
    )
    .bind(&id)
    .execute(&t.pool)
    .await
    .unwrap();
    let late = t.register("late@example.com").await;
    let full = join(&t, &owner, &id, &late).await;
    assert_eq!((full.status, full.code()), (409, "team_full"));

    // The owner leaves a team: its longest member owns it. The last to leave archives it.
    let small = create_team(&t, &late, "team", "Pair").await;
    let small_id = small.body["id"].as_str().unwrap().to_owned();
    let second = t.register("second@example.com").await;
    join(&t, &late, &small_id, &second).await;
    let leave = |who: &User| {
        t.call(social::leave_team, "POST", "/v1/teams/{id}/leave")
            .bearer(&who.access_token)
            .param("id", &small_id)
            .send()
    };
    assert_eq!(leave(&late).await.status, 204);
    let page = t
        .call(social::get_team, "GET", "/v1/teams/{id}")
        .bearer(&second.access_token)
        .param("id", &small_id)
        .send()
        .await;
    assert_eq!(page.body["my_role"], "owner");
    assert_eq!(leave(&second).await.status, 204);
    let archived: bool =
        sqlx::query_scalar("SELECT archived_at IS NOT NULL FROM teams WHERE id = $1::uuid")
            .bind(&small_id)
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert!(archived);
}

#[tokio::test]
async fn reports_reach_the_admins_with_a_snapshot_and_their_action_is_audited() {
    let t = TestApp::new().await;
    let reporter = t.register("reporter@example.com").await;
    let troll = t.register("troll@example.com").await;
    assert_eq!(
        t.privacy(&troll, json!({ "alias": "Rude Name" }))
            .await
            .status,
        200
    );
    let filed = t
        .call(social::report, "POST", "/v1/reports")
        .bearer(&reporter.access_token)
        .json(json!({ "target_type": "user", "target_id": troll.id, "reason": "offensive_name", "note": "see alias" }))
        .send()
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    assert_eq!(filed.body["snapshot_name"], "Rude Name");
    // The alias changes; the report keeps what was seen.
    t.privacy(&troll, json!({ "alias": "Nice Name" })).await;

    let boss = t.admin("boss@example.com").await;
    let queue = t
        .call(social::admin_list_reports, "GET", "/v1/admin/reports")
        .bearer(&boss.access_token)
        .send()
        .await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_eq!(queue.body["items"][0]["snapshot_name"], "Rude Name");
    let resolve = |action: &str| {
        t.call(
            social::admin_resolve_report,
            "POST",
            "/v1/admin/reports/{id}/resolve",
        )
        .bearer(&boss.access_token)
        .param("id", filed.body["id"].as_str().unwrap())
        .json(json!({ "action": action, "note": "alias hidden" }))
        .send()
    };
    let wrong = resolve("hide_team_name").await;
    assert_eq!(wrong.status, 422, "a person has no team name");
    let done = resolve("hide_alias").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["status"], "actioned");
    assert_eq!(resolve("dismiss").await.code(), "already_handled");
    let shown = t
        .call(social::get_privacy, "GET", "/v1/me/privacy")
        .bearer(&troll.access_token)
        .send()
        .await;
    assert_eq!(
        (
            shown.body["alias"].clone(),
            shown.body["alias_chosen"].clone()
        ),
        (json!("Test W."), json!(false))
    );
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM admin_logs WHERE action = 'report.resolve' AND entity_type = 'report'")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    // A user can't use the queue; ten reports an hour at most.
    let denied = t
        .call(social::admin_list_reports, "GET", "/v1/admin/reports")
        .bearer(&reporter.access_token)
        .send()
        .await;
    assert_eq!(denied.status, 403);
    for n in 1..=10 {
        let res = t
            .call(social::report, "POST", "/v1/reports")
            .bearer(&reporter.access_token)
            .json(json!({ "target_type": "user", "target_id": troll.id, "reason": "spam" }))
            .send()
            .await;
        let expected = if n < 10 { 201 } else { 429 };
        assert_eq!(res.status, expected, "report {}", n + 1);
    }
}

#[tokio::test]
async fn leaving_for_good_takes_friends_teams_and_links_along_and_the_export_holds_them() {
    let t = TestApp::new().await;
    let ann = t.register("ann@example.com").await;
    let bob = t.register("bob@example.com").await;
    t.befriend(&ann, &bob).await;
    let team = create_team(&t, &ann, "club", "Walkers of Leeds").await;
    let id = team.body["id"].as_str().unwrap().to_owned();
    join(&t, &ann, &id, &bob).await;
    code_of(&t, &ann).await;

    let export = t
        .call(me::export, "GET", "/v1/me/export")
        .bearer(&ann.access_token)
        .send()
        .await;
    assert_eq!(export.status, 200);
    let social = &export.body["social"];
    assert_eq!(social["friends"][0]["id"], json!(bob.id));
    assert_eq!(social["teams"][0]["name"], "Walkers of Leeds");
    assert_eq!(
        social["invites"].as_array().unwrap().len(),
        3,
        "the friend links and the club's"
    );

    let deleted = t
        .call(me::delete, "DELETE", "/v1/me")
        .bearer(&ann.access_token)
        .send()
        .await;
    assert_eq!(deleted.status, 204);
    assert!(friends_of(&t, &bob).await.is_empty());
    let page = t
        .call(social::get_team, "GET", "/v1/teams/{id}")
        .bearer(&bob.access_token)
        .param("id", &id)
        .send()
        .await;
    assert_eq!(
        page.body["my_role"], "owner",
        "the club passed to its other member"
    );
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM invite_codes WHERE owner_id = $1) + (SELECT count(*) FROM team_members WHERE user_id = $1)",
    )
    .bind(ann.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
}
