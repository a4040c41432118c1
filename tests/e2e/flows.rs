//! A person's day against the whole local stack, as README's `scripts/dev` runs it.

use std::time::{Duration, Instant};

use fitkart_local::{up, Options};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_sync_and_see_coins_through_the_runner() {
    let database = crate::database().await;
    let options = Options {
        root: crate::root(),
        port: 0,
        profile: "debug".into(),
        queue_prefix: format!("e2e-{}", uuid::Uuid::new_v4().simple()),
        seed: true,
        database_url: database.app_url(),
        direct_database_url: database.url(),
        quiet: false,
    };
    let running = up(&options).await.expect("the runner comes up");
    let base = running.base_url.clone();
    let http = fitkart_local::http_client();

    let health: Value = http
        .get(format!("{base}/v1/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"status": "ok", "database": "ok"}));
    // Every invocation leaves a REPORT, as Lambda's: the first with its init duration.
    let reports = running.pools["HealthFunction"].take_reports();
    let first = reports.first().expect("the health check's report");
    assert!(first.init.is_some(), "a cold start reports its init");
    assert_eq!(
        first.memory_size_mb,
        running
            .template
            .functions
            .iter()
            .find(|f| f.logical_id == "HealthFunction")
            .unwrap()
            .memory_mb
    );
    assert!(
        first.billed_ms() as f64 >= (first.duration + first.init.unwrap()).as_secs_f64() * 1000.0
    );
    let line = first.to_string();
    assert!(
        line.starts_with("REPORT RequestId: ") && line.contains("\tBilled Duration: "),
        "{line}"
    );
    if cfg!(target_os = "linux") {
        assert!(first.max_memory_used_mb.is_some_and(|mb| mb > 0));
    }

    // What no route matches reaches the `$default` function: a documented path asked
    // with another method names the methods it has, any other path is a 404 problem.
    let res = http
        .delete(format!("{base}/v1/wallet"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET, OPTIONS");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "method_not_allowed");
    let res = http
        .get(format!("{base}/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    let res = http
        .post(format!("{base}/v1/auth/register"))
        .json(&json!({"email": "e2e@example.com", "password": "e2e-password-1", "full_name": "End To End"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert!(res.headers().contains_key("x-request-id"));
    let res = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": "e2e@example.com", "password": "e2e-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let session: Value = res.json().await.unwrap();
    let token = session["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: Value = http
        .get(format!("{base}/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "e2e@example.com");
    assert_eq!(me["email_verified"], false);

    // The confirmation mail, as a person finds it locally: listed at /_local/mail, its
    // link opening the runner's stand-in for the app's screen.
    let mails: Value = http
        .get(format!("{base}/_local/mail"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mail = mails
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to"][0] == "e2e@example.com")
        .expect("a mail to the new account");
    assert_eq!(mail["subject"], "Confirm your email for FitKart");
    let link = mail["link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{base}/_local/app/verify-email?token=")),
        "{link}"
    );
    let page = http.get(link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Email confirmed"), "{page}");
    let me: Value = http
        .get(format!("{base}/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true);

    let today = fitkart_tests::now().date_naive();
    let res = http
        .post(format!("{base}/v1/steps/sync"))
        .bearer_auth(&token)
        .json(&json!({"entries": [{"date": today, "steps": 6_500, "source": "health_kit", "distance_km": 4.9}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);

    // Validation and crediting run through the queues; poll like the app does.
    let started = Instant::now();
    let wallet = loop {
        let wallet: Value = http
            .get(format!("{base}/v1/wallet"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if wallet["available_coins"].as_i64() > Some(100)
            || started.elapsed() > Duration::from_secs(60)
        {
            break wallet;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // Welcome bonus, 6,500 steps, steps_1k and steps_5k bonuses.
    assert_eq!(wallet["available_coins"], 100 + 6_500 + 10 + 25, "{wallet}");

    // The seeded demo account got its week of steps through the same pipeline.
    let demo: Value = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": fitkart_local::seed::DEMO_EMAIL, "password": fitkart_local::seed::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(demo["user"]["email"], fitkart_local::seed::DEMO_EMAIL);

    // The admin console, its docs page and the spec are served next to the API (the
    // console is built by scripts/test before the suite runs).
    for (path, needle) in [
        ("/admin/", "FitKart Admin"),
        ("/docs/", "FitKart API"),
        ("/openapi.yaml", "openapi: 3.1.0"),
    ] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.text().await.unwrap().contains(needle), "{path}");
    }

    // API Gateway's answer for an unknown route, and an on-demand invocation.
    let res = http.get(format!("{base}/v1/nowhere")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = http
        .post(format!("{base}/_local/invoke/StepsRequeueFunction"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert!(out["queued"].is_number());

    a_staked_race_with_the_demo_walker_settles_on_demand(&base, &token).await;
    the_demo_walker_donates_and_gives_a_friend_coins(&base).await;
    a_redeemed_order_goes_to_the_store_and_comes_back_shipped(&base).await;
    running.stop();
}

/// docs/local.md's race, as a new walker tries it: befriend the demo walker, challenge
/// them to a one-day race for 1,000 coins each, travel back a day so that today (6,500
/// steps against the demo walker's 5,120) is the race day, run the challenges job on
/// demand as at the settlement time, and find the pot in the wallet.
async fn a_staked_race_with_the_demo_walker_settles_on_demand(base: &str, token: &str) {
    let call = |method, path: String, bearer: String, body| api(base, method, path, bearer, body);
    use reqwest::Method;
    let me = token.to_owned();
    let (_, demo) = call(
        Method::POST,
        "/v1/auth/login".into(),
        String::new(),
        Some(json!({"email": fitkart_local::seed::DEMO_EMAIL, "password": fitkart_local::seed::DEMO_PASSWORD})),
    )
    .await;
    let demo_token = demo["tokens"]["access_token"].as_str().unwrap().to_owned();
    let (_, link) = call(
        Method::POST,
        "/v1/invites".into(),
        me.clone(),
        Some(json!({})),
    )
    .await;
    let (status, _) = call(
        Method::POST,
        "/v1/redemptions".into(),
        demo_token.clone(),
        Some(json!({"code": link["code"]})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, asked) = call(Method::GET, "/v1/friend-requests".into(), me.clone(), None).await;
    let request = asked["incoming"][0]["id"].as_str().unwrap();
    let (status, _) = call(
        Method::POST,
        format!("/v1/friend-requests/{request}/accept"),
        me.clone(),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        Method::PATCH,
        "/v1/me".into(),
        me.clone(),
        Some(json!({"country_code": "US"})),
    )
    .await;
    assert_eq!(status, 200);
    // Coins in a pot move between people: an account of minutes may not stake (the
    // transfer policy wants 30 days, a confirmed history and a country held a month).
    let (status, refused) = call(
        Method::POST,
        "/v1/challenges".into(),
        me.clone(),
        Some(json!({"template": "daily_showdown", "stake_coins": 1_000, "invitees": [demo["user"]["id"]]})),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    let (status, race) = call(
        Method::POST,
        "/v1/challenges".into(),
        me.clone(),
        Some(json!({"template": "daily_showdown", "invitees": [demo["user"]["id"]]})),
    )
    .await;
    assert_eq!(status, 201, "{race}");
    let id = race["id"].as_str().unwrap().to_owned();
    let (status, accepted) = call(
        Method::POST,
        format!("/v1/challenges/{id}/accept"),
        demo_token,
        None,
    )
    .await;
    assert_eq!((status, accepted["pot_coins"].clone()), (200, json!(0)));
    let (_, moved) = call(
        Method::POST,
        format!("/_local/challenges/{id}/rewind?days=1"),
        String::new(),
        None,
    )
    .await;
    assert_eq!(
        moved["start_date"],
        fitkart_tests::now().date_naive().to_string()
    );
    // The job starts it (the schedule, every 15 minutes, may have done so already).
    call(
        Method::POST,
        "/_local/invoke/ChallengesRunFunction".into(),
        String::new(),
        None,
    )
    .await;
    let (_, live) = call(
        Method::GET,
        format!("/v1/challenges/{id}"),
        me.clone(),
        None,
    )
    .await;
    assert_eq!(live["status"], "running", "{live}");
    let first = live["standings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["place"] == 1)
        .unwrap();
    assert_eq!(first["steps"], 6_500, "{live}");
    let (_, settled) = call(
        Method::POST,
        "/_local/invoke/ChallengesRunFunction".into(),
        String::new(),
        Some(json!({"scheduled_time": live["settles_after"]})),
    )
    .await;
    assert_eq!(settled["settled"], 1, "{settled}");
    let (_, result) = call(Method::GET, format!("/v1/challenges/{id}"), me, None).await;
    assert_eq!(result["status"], "settled", "{result}");
}

/// One request to the runner: (status, JSON body or null). An empty `bearer` sends none.
async fn api(
    base: &str,
    method: reqwest::Method,
    path: String,
    bearer: String,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = fitkart_local::http_client().request(method, format!("{base}{path}"));
    if !bearer.is_empty() {
        request = request.bearer_auth(bearer);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json::<Value>().await.unwrap_or(Value::Null))
}

/// docs/local.md's giving, as the demo walker: a donation to the seeded campaign, and a
/// gift to Sam, the seeded friend of two weeks.
async fn the_demo_walker_donates_and_gives_a_friend_coins(base: &str) {
    use reqwest::Method;
    let call = |method, path: String, bearer: String, body| api(base, method, path, bearer, body);
    let (_, demo) = call(
        Method::POST,
        "/v1/auth/login".into(),
        String::new(),
        Some(json!({"email": fitkart_local::seed::DEMO_EMAIL, "password": fitkart_local::seed::DEMO_PASSWORD})),
    )
    .await;
    let demo = demo["tokens"]["access_token"].as_str().unwrap().to_owned();
    let (_, campaigns) = call(Method::GET, "/v1/campaigns".into(), demo.clone(), None).await;
    let campaign = campaigns["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["charity_registration"] == fitkart_local::seed::CHARITY_REGISTRATION)
        .unwrap_or_else(|| panic!("the seeded campaign: {campaigns}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, donation) = call(
        Method::POST,
        format!("/v1/campaigns/{campaign}/donations"),
        demo.clone(),
        Some(json!({"coins": 4_000})),
    )
    .await;
    assert_eq!(
        (status, donation["cents"].clone()),
        (201, json!(100)),
        "{donation}"
    );
    let (_, friends) = call(Method::GET, "/v1/friends".into(), demo.clone(), None).await;
    let sam = friends["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["alias"].as_str().is_some_and(|a| a.starts_with("Sam")))
        .unwrap_or_else(|| panic!("Sam among the demo walker's friends: {friends}"))["id"]
        .clone();
    let (status, gift) = call(
        Method::POST,
        "/v1/gifts".into(),
        demo.clone(),
        Some(json!({"recipient_id": sam, "coins": 500, "message": "Thanks for the walk!"})),
    )
    .await;
    assert_eq!(
        (status, gift["status"].clone()),
        (201, json!("pending")),
        "{gift}"
    );
}

/// The code the runner's stand-in for `email`'s authenticator app shows.
async fn fitkart_local_code(http: &reqwest::Client, base: &str, email: &str) -> String {
    let shown: Value = http
        .get(format!("{base}/_local/totp/{email}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    shown["code"].as_str().unwrap().to_owned()
}

/// The round trip of orders through the store, as `scripts/dev` shows it: redeem in the
/// app, confirm in the console, the order appears in the Shopify stand-in, staff fulfil it
/// there, and the app shows it shipped with its tracking number. (Part of the flow above:
/// the seeded accounts come from one runner's mail.)
async fn a_redeemed_order_goes_to_the_store_and_comes_back_shipped(base: &str) {
    let http = fitkart_local::http_client();
    let login = |email: &'static str, password: &'static str| {
        let http = http.clone();
        let base = base.to_owned();
        async move {
            let session: Value = http
                .post(format!("{base}/v1/auth/login"))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (
                session["user"]["id"].as_str().unwrap().to_owned(),
                session["tokens"]["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        }
    };
    let (demo_id, demo) = login(
        fitkart_local::seed::DEMO_EMAIL,
        fitkart_local::seed::DEMO_PASSWORD,
    )
    .await;
    // The admins sign in as the console does: password, then their authenticator's code
    // (the runner plays their phones).
    let admin_session = |email: &'static str, password: &'static str| {
        let http = http.clone();
        let base = base.to_owned();
        async move {
            let (_, token) = login(email, password).await;
            let code = fitkart_local_code(&http, &base, email).await;
            let session: Value = http
                .post(format!("{base}/v1/auth/mfa"))
                .bearer_auth(&token)
                .json(&json!({ "code": code }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            session["tokens"]["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("{email}: no second factor: {session}"))
                .to_owned()
        }
    };
    let admin = admin_session(
        fitkart_local::seed::ADMIN_EMAIL,
        fitkart_local::seed::ADMIN_PASSWORD,
    )
    .await;
    let ops = admin_session(
        fitkart_local::seed::SECOND_ADMIN_EMAIL,
        fitkart_local::seed::SECOND_ADMIN_PASSWORD,
    )
    .await;

    // Coins to spend, granted by one admin and approved by the other (the demo's steps
    // may still be crediting).
    let res = http
        .post(format!("{base}/v1/admin/users/{demo_id}/coins"))
        .bearer_auth(&admin)
        .json(&json!({"amount": 100_000, "reason": "e2e: coins for a reward"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202, "a change request");
    let request: Value = res.json().await.unwrap();
    let code = fitkart_local_code(&http, base, fitkart_local::seed::SECOND_ADMIN_EMAIL).await;
    let res = http
        .post(format!(
            "{base}/v1/admin/change-requests/{}/approve",
            request["id"].as_str().unwrap()
        ))
        .bearer_auth(&ops)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let rewards: Value = http
        .get(format!("{base}/v1/rewards"))
        .bearer_auth(&demo)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The cheapest reward: the grant covers it whatever the catalog's order.
    let product = rewards["items"]
        .as_array()
        .unwrap()
        .iter()
        .min_by_key(|r| r["coin_price"].as_i64().unwrap())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = http
        .post(format!("{base}/v1/orders"))
        .bearer_auth(&demo)
        .header("Idempotency-Key", "e2e-order-1")
        .json(&json!({"items": [{"product_id": product, "quantity": 1}],
                      "shipping_address": {"name": "Demo Walker", "line1": "1 Local Way", "city": "Springfield",
                                           "postal_code": "62701", "country": "US"}}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
    let order: Value = serde_json::from_str(&text).unwrap();
    let (id, code) = (
        order["id"].as_str().unwrap().to_owned(),
        order["order_code"].as_str().unwrap().to_owned(),
    );
    let res = http
        .patch(format!("{base}/v1/admin/orders/{id}"))
        .bearer_auth(&admin)
        .json(&json!({"status": "confirmed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The shopify-process consumer pushes it to the store through the queue.
    let started = Instant::now();
    let in_store = loop {
        let store: Value = http
            .get(format!("{base}/_local/shopify/orders"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let found = store["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| {
                o["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == code.as_str())
            })
            .cloned();
        if let Some(found) = found {
            break found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the order never reached the store"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(in_store["shipping_address"]["zip"], "62701");

    // Staff fulfil it in the store: a signed webhook, queued and applied.
    let res = http
        .post(format!("{base}/_local/shopify/fulfil/{code}"))
        .send()
        .await
        .unwrap();
    let sent: Value = res.json().await.unwrap();
    assert_eq!(sent["fitkart_status"], 200, "{sent}");
    let started = Instant::now();
    let shipped = loop {
        let order: Value = http
            .get(format!("{base}/v1/orders/{id}"))
            .bearer_auth(&demo)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if order["status"] == "shipped" {
            break order;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never shipped: {order}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(shipped["carrier"], "UPS");
    assert!(shipped["tracking_number"]
        .as_str()
        .unwrap()
        .starts_with("1ZLOCAL"));

    // The demo walker's phone (registered by the seed) hears of it: the dispatch, run now
    // instead of at the next minute, queues it and notifications-send pushes it via SNS.
    let res = http
        .post(format!(
            "{base}/_local/invoke/NotificationsDispatchFunction"
        ))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let started = Instant::now();
    loop {
        let pushes: Value = http
            .get(format!("{base}/_local/push"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let shipped_push = pushes.as_array().unwrap().iter().find(|p| {
            p["token"] == fitkart_local::seed::DEMO_PUSH_TOKEN
                && p["body"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(code.as_str())
                && p["title"] == "Your reward is on its way"
        });
        if let Some(push) = shipped_push {
            assert!(
                push["body"]
                    .as_str()
                    .unwrap()
                    .contains("with UPS, tracking 1ZLOCAL"),
                "{push}"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no push: {pushes}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
