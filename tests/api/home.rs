//! `GET /v1/home`: the app's home screen in one call, each part exactly what its own route
//! answers.

use std::future::Future;

use fitkart::http::{Request, Response};
use fitkart::App;
use fitkart_functions::{challenges, home, me, social, wallet};
use fitkart_tests::{TestApp, User};
use serde_json::{json, Value};

/// `GET path` as `user` through `handler`: the body of its `200`.
async fn get<H, Fut>(t: &TestApp, user: &User, handler: H, path: &str) -> Value
where
    H: Fn(&'static App, Request) -> Fut + Copy,
    Fut: Future<Output = fitkart::Result<Response>>,
{
    let res = t
        .call(handler, "GET", path)
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(res.status, 200, "{path}: {}", res.body);
    res.body
}

async fn challenge(t: &TestApp, creator: &User, invitee: &User, title: &str) -> Value {
    let res = t
        .call(challenges::create, "POST", "/v1/challenges")
        .bearer(&creator.access_token)
        .json(
            json!({ "template": "custom", "kind": "goal", "days": 2, "title": title,
                      "goal_steps": 5_000, "goal_days": 1, "invitees": [invitee.id] }),
        )
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].clone()
}

fn ids(list: &Value) -> Vec<Value> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect()
}

#[tokio::test]
async fn one_call_brings_what_six_routes_answer_and_nothing_more_of_other_people() {
    let t = TestApp::new().await;
    let ann = t.verified("ann@example.com").await;
    let bob = t.verified("bob@example.com").await;
    let cat = t.verified("cat@example.com").await;
    t.befriend(&ann, &bob).await;
    // Cat asks to be Ann's friend; Ann has not answered.
    t.friend_request(&ann, &cat).await;
    t.walked(ann.id, t.today(), 6_000).await;
    t.walked(bob.id, t.today(), 9_000).await;
    // Ann competes in her own challenge and is invited to Bob's.
    let hers = challenge(&t, &ann, &bob, "Ann's two days").await;
    let his = challenge(&t, &bob, &ann, "Bob's two days").await;

    let home = get(&t, &ann, home::get, "/v1/home").await;
    assert_eq!(home["me"], get(&t, &ann, me::get, "/v1/me").await);
    assert_eq!(
        home["wallet"],
        get(&t, &ann, wallet::get, "/v1/wallet").await
    );
    assert_eq!(home["today"]["date"], json!(t.today()));
    assert_eq!(home["today"]["record"]["steps"], 6_000);
    assert_eq!(home["today"]["record"]["status"], "verified");
    assert_eq!(
        home["streak"]["current_days"], 0,
        "6,000 is below the daily goal"
    );
    assert!(home["daily_step_goal"].as_i64().unwrap() > 6_000);
    let board = get(&t, &ann, social::friend_board, "/v1/boards/friends").await;
    assert_eq!(home["friends"]["items"], board["items"]);
    assert_eq!(home["friends"]["total"], 2);
    assert_eq!(home["friends"]["items"][0]["steps"], 9_000);
    assert_eq!(ids(&home["challenges"]), vec![hers]);
    assert_eq!(ids(&home["invitations"]), vec![his.clone()]);
    let listed = get(&t, &ann, challenges::list, "/v1/challenges").await;
    assert!(ids(&listed["items"]).contains(&his));
    let requests = get(
        &t,
        &ann,
        social::list_friend_requests,
        "/v1/friend-requests",
    )
    .await;
    assert_eq!(home["friend_requests"], requests["incoming"]);
    assert_eq!(home["friend_requests"].as_array().unwrap().len(), 1);

    // Bob hides his steps from everyone: the home screen's board hides them as the board does.
    let private = t
        .privacy(&bob, json!({ "steps_visibility": "nobody" }))
        .await;
    assert_eq!(private.status, 200, "{}", private.body);
    let home = get(&t, &ann, home::get, "/v1/home").await;
    let bob_row = home["friends"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["me"] == false)
        .unwrap()
        .clone();
    assert_eq!(bob_row["steps"], Value::Null);
    assert_eq!(
        home["friends"]["items"],
        get(&t, &ann, social::friend_board, "/v1/boards/friends").await["items"]
    );
    // A walker with nothing yet: an empty day, no one on the board but themselves.
    let dan = t.verified("dan@example.com").await;
    let home = get(&t, &dan, home::get, "/v1/home").await;
    assert_eq!(home["today"]["record"], Value::Null);
    assert_eq!(home["friends"]["total"], 1);
    assert_eq!(home["challenges"], json!([]));
    assert_eq!(home["invitations"], json!([]));
}

#[tokio::test]
async fn the_home_screen_is_the_callers_only() {
    let t = TestApp::new().await;
    let res = t.call(home::get, "GET", "/v1/home").send().await;
    assert_eq!(res.status, 401, "{}", res.body);
    assert_eq!(
        res.header("content-type").unwrap(),
        "application/problem+json"
    );
    let res = t
        .call(home::get, "GET", "/v1/home")
        .bearer("not-a-token")
        .send()
        .await;
    assert_eq!(res.status, 401, "{}", res.body);
}

/// An app that syncs when it opens asks for its home in the same call: the sync is stored
/// and queued as ever, and the answer carries the home as `GET /v1/home` gives it, today's
/// record as just synced. Anything else asked for is refused before the sync is stored.
#[tokio::test]
async fn a_sync_brings_the_home_screen_when_asked() {
    let (t, _pipeline) = TestApp::with_pipeline().await;
    let ann = t.verified("ann@example.com").await;
    let bob = t.verified("bob@example.com").await;
    t.befriend(&ann, &bob).await;
    t.walked(bob.id, t.today(), 9_000).await;
    let entry =
        json!({ "entries": [{ "date": t.today(), "steps": 4_321, "source": "health_connect" }] });

    let sync_asking = |include: &'static str| {
        t.call(fitkart_functions::steps::sync, "POST", "/v1/steps/sync")
            .bearer(&ann.access_token)
            .query("include", include)
            .json(entry.clone())
            .send()
    };
    let refused = sync_asking("wallet").await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.error_fields(), ["include"]);
    let home = get(&t, &ann, home::get, "/v1/home").await;
    assert_eq!(
        home["today"]["record"],
        Value::Null,
        "the refused sync stored nothing"
    );

    let res = sync_asking("home").await;
    assert_eq!(res.status, 202, "{}", res.body);
    assert_eq!(res.body["records"][0]["steps"], 4_321);
    let home = &res.body["home"];
    assert_eq!(home["today"]["record"]["steps"], 4_321);
    assert_eq!(home["today"]["record"]["id"], res.body["records"][0]["id"]);
    assert_eq!(home["friends"]["items"][0]["steps"], 9_000);
    // The same as the home route answers now, and the same sync without the option
    // answers the records alone.
    assert_eq!(*home, get(&t, &ann, home::get, "/v1/home").await);
    let plain = t.sync(&ann, entry).await;
    assert_eq!(plain.status, 202, "{}", plain.body);
    assert_eq!(plain.body.get("home"), None);
}
