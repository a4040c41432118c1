//! Push notifications through the handlers, the real step pipeline, the dispatch and the
//! queue consumer, against SNS on the emulator (what each endpoint received is read from
//! the emulator, as `GET /_local/push` reads it).

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use fitkart::notifications::delivery;
use fitkart_functions::{me, notifications as functions};
use fitkart_tests::sqs::{self, TestQueue};
use fitkart_tests::{Pipeline, TestApp, TestResponse, User};
use serde_json::{json, Value};
use uuid::Uuid;

struct World {
    t: TestApp,
    pipeline: Pipeline,
    queue: TestQueue,
    sqs: aws_sdk_sqs::Client,
}

fn apns_token() -> String {
    Uuid::new_v4().simple().to_string().repeat(2)
}

fn fcm_token() -> String {
    format!("fcm:{}", Uuid::new_v4().simple().to_string().repeat(3))
}

/// The step pipeline's queues, a notification queue, and platform applications on the
/// emulator for this test.
async fn world() -> World {
    let (mut config, pipeline) = Pipeline::create().await;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sns = aws_sdk_sns::Client::new(&aws);
    let unique = Uuid::new_v4().simple().to_string();
    let app = |name: String, platform: &'static str| {
        let sns = sns.clone();
        async move {
            sns.create_platform_application()
                .name(name)
                .platform(platform)
                .attributes("PlatformCredential", "test")
                .attributes("PlatformPrincipal", "test")
                .send()
                .await
                .unwrap()
                .platform_application_arn
                .unwrap()
        }
    };
    config.push.apns_application_arn = Some(app(format!("ios-{unique}"), "APNS").await);
    config.push.fcm_application_arn = Some(app(format!("android-{unique}"), "GCM").await);
    let sqs = sqs::client().await;
    let queue = TestQueue::create(&sqs, "notifications", 1, 5).await;
    config.notification_queue_url = Some(queue.url.clone());
    World {
        t: TestApp::with_config(config).await,
        pipeline,
        queue,
        sqs,
    }
}

impl World {
    async fn register(&self, user: &User, platform: &str, token: &str) -> TestResponse {
        self.t
            .call(functions::register_device, "POST", "/v1/me/devices")
            .bearer(&user.access_token)
            .json(json!({"platform": platform, "token": token, "app_version": "3.1.0"}))
            .send()
            .await
    }

    async fn walker_with_devices(&self, email: &str, devices: &[(&str, String)]) -> User {
        let user = self.t.verified(email).await;
        self.t.joined_days_ago(user.id, 60).await;
        for (platform, token) in devices {
            let res = self.register(&user, platform, token).await;
            assert_eq!(res.status, 201, "{}", res.body);
        }
        user
    }

    async fn set_time_zone(&self, user: Uuid, tz: &str) {
        sqlx::query("UPDATE users SET timezone = $2 WHERE id = $1")
            .bind(user)
            .bind(tz)
            .execute(&self.t.pool)
            .await
            .unwrap();
    }

    async fn endpoints(&self, user: Uuid) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT endpoint_arn FROM push_devices WHERE user_id = $1 ORDER BY platform",
        )
        .bind(user)
        .fetch_all(&self.t.pool)
        .await
        .unwrap()
    }

    /// Pushes each of `endpoints` received, as (title, body, notification key).
    async fn pushes(&self, endpoint: &str) -> Vec<(String, String, String)> {
        fitkart_local::push::sent()
            .await
            .unwrap()
            .into_iter()
            .filter(|p| p.endpoint == endpoint)
            .map(|p| (p.title, p.body, p.key))
            .collect()
    }

    /// Dispatches at `now`, then delivers every queued message twice (at-least-once in).
    async fn dispatch_and_deliver_twice(&self, now: DateTime<Utc>) -> delivery::Dispatched {
        let dispatched = delivery::dispatch(self.t.app, now).await.unwrap();
        loop {
            let event = sqs::receive(&self.sqs, &self.queue).await;
            if event.records.is_empty() {
                break;
            }
            for _ in 0..2 {
                let response =
                    fitkart::lambda::dispatch_sqs(self.t.app, event.clone(), None, functions::send)
                        .await;
                assert!(response.batch_item_failures.is_empty());
            }
            sqs::delete_succeeded(&self.sqs, &self.queue, &event, &[]).await;
        }
        dispatched
    }

    async fn outcome(&self, key: &str) -> Option<String> {
        sqlx::query_scalar("SELECT outcome FROM notifications WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.t.pool)
            .await
            .unwrap()
            .flatten()
    }
}

#[tokio::test]
async fn registering_is_idempotent_per_token_and_a_token_moves_with_its_phone() {
    let w = world().await;
    let ada = w.t.verified("ada@example.com").await;
    let bob = w.t.verified("bob@example.com").await;
    let token = apns_token();
    let first = w.register(&ada, "ios", &token).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["platform"], "ios");
    let again = w.register(&ada, "ios", &token).await;
    assert_eq!(again.body["id"], first.body["id"], "the same device");
    let list =
        w.t.call(functions::list_devices, "GET", "/v1/me/devices")
            .bearer(&ada.access_token)
            .send()
            .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["app_version"], "3.1.0");

    // The phone changes hands: the token is Bob's now, and Ada's list is empty.
    let moved = w.register(&bob, "ios", &token).await;
    assert_eq!(moved.body["id"], first.body["id"]);
    assert_eq!(w.endpoints(ada.id).await.len(), 0);
    assert_eq!(w.endpoints(bob.id).await.len(), 1);

    // Tokens of the wrong shape are refused and change nothing.
    for (platform, token) in [
        ("ios", "not-hex".to_owned()),
        ("android", "short".into()),
        ("web", apns_token()),
    ] {
        let res = w.register(&ada, platform, &token).await;
        assert_eq!(res.status, 422, "{platform} {token}");
    }
    let devices: i64 = sqlx::query_scalar("SELECT count(*) FROM push_devices")
        .fetch_one(&w.t.pool)
        .await
        .unwrap();
    assert_eq!(devices, 1);

    // The export holds the device and the choices.
    w.t.call(
        functions::update_preferences,
        "PATCH",
        "/v1/me/notifications",
    )
    .bearer(&bob.access_token)
    .json(json!({"kinds": {"streak_at_risk": false}}))
    .send()
    .await;
    let export =
        w.t.call(me::export, "GET", "/v1/me/export")
            .bearer(&bob.access_token)
            .send()
            .await;
    assert_eq!(export.body["push_devices"][0]["token"], token.as_str());
    assert_eq!(
        export.body["notification_preferences"]["muted"],
        json!(["streak_at_risk"])
    );

    // Someone else's device is not yours to delete; your own is.
    let id = first.body["id"].as_str().unwrap();
    let delete = |user: &User| {
        w.t.call(functions::delete_device, "DELETE", "/v1/me/devices/{id}")
            .bearer(&user.access_token)
            .param("id", id)
            .send()
    };
    assert_eq!(delete(&ada).await.status, 404);
    assert_eq!(delete(&bob).await.status, 204);
    assert!(w.endpoints(bob.id).await.is_empty());
}

#[tokio::test]
async fn each_moment_reaches_each_device_once_even_when_delivered_twice() {
    let w = world().await;
    let walker = w
        .walker_with_devices(
            "walker@example.com",
            &[("ios", apns_token()), ("android", fcm_token())],
        )
        .await;
    let boss = w.t.admin("boss@example.com").await;
    let today = fitkart_tests::now().date_naive();
    // A good day (coins, and the 10k achievement) and an implausible one (held).
    let sync = w
        .t.sync(&walker, json!({"entries": [
            {"date": today - Duration::days(1), "steps": 12_000, "source": "health_kit", "distance_km": 9.0},
            {"date": today, "steps": 60_000, "source": "health_kit", "distance_km": 45.0},
        ]})).await;
    assert_eq!(sync.status, 202, "{}", sync.body);
    w.pipeline.run(w.t.app).await;
    // The held day is approved by a person; an order ships.
    let held: Uuid = sqlx::query_scalar("SELECT id FROM step_validations WHERE status = 'pending'")
        .fetch_one(&w.t.pool)
        .await
        .unwrap();
    // Worth 20,000 coins: a second admin approves it.
    let review =
        w.t.review_day(&boss, held, "approve", "Marathon day, confirmed.")
            .await;
    assert_eq!(review.status, 200, "{}", review.body);
    let product = w.t.product("Trail Cap", 2_000, 5).await;
    let order = w.t.order(&walker, "k1", &[(product, 1)]).await;
    w.t.advance_order(order, fitkart::orders::Status::Shipped)
        .await;

    let dispatched = w.dispatch_and_deliver_twice(fitkart_tests::now()).await;
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT kind FROM notifications ORDER BY kind")
            .fetch_all(&w.t.pool)
            .await
            .unwrap();
    assert_eq!(
        kinds,
        [
            "achievement_unlocked",
            "coins_credited",
            "day_held",
            "order_updated",
            "review_decided"
        ]
    );
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM notifications ORDER BY key")
        .fetch_all(&w.t.pool)
        .await
        .unwrap();
    assert_eq!(dispatched.queued, keys.len());
    for endpoint in w.endpoints(walker.id).await {
        let mut received: Vec<String> =
            w.pushes(&endpoint).await.into_iter().map(|p| p.2).collect();
        received.sort();
        assert_eq!(received, keys, "every notification once on {endpoint}");
    }
    // Coins: one summary per day (the approved marathon day is its own day).
    let pushes = w.pushes(&w.endpoints(walker.id).await[0]).await;
    let coins: Vec<&String> = pushes
        .iter()
        .filter(|p| p.0 == "Coins earned")
        .map(|p| &p.1)
        .collect();
    assert_eq!(coins.len(), 2, "{pushes:?}");
    assert!(pushes.iter().any(|p| p.0 == "Your reward is on its way"));
    assert!(pushes.iter().any(|p| p.0 == "Review done: approved"));

    // A later dispatch sends nothing again.
    assert_eq!(
        w.dispatch_and_deliver_twice(fitkart_tests::now())
            .await
            .queued,
        0
    );
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn quiet_hours_and_mutes_are_kept_in_each_persons_own_time_zone() {
    let w = world().await;
    let now = fitkart_tests::now();
    let tokyo = w
        .walker_with_devices("tokyo@example.com", &[("ios", apns_token())])
        .await;
    let new_york = w
        .walker_with_devices("ny@example.com", &[("ios", apns_token())])
        .await;
    let muted = w
        .walker_with_devices("muted@example.com", &[("ios", apns_token())])
        .await;
    w.set_time_zone(tokyo.id, "Asia/Tokyo").await;
    w.set_time_zone(new_york.id, "America/New_York").await;
    // Quiet for the two hours around Tokyo's present hour: it is quiet time in Tokyo and
    // the middle of the day (or night, 14 hours earlier) but not quiet in New York.
    let tokyo_hour = now.with_timezone(&chrono_tz::Asia::Tokyo).hour();
    let quiet = json!({"start": format!("{:02}:00", tokyo_hour), "end": format!("{:02}:00", (tokyo_hour + 2) % 24)});
    for user in [&tokyo, &new_york] {
        let res =
            w.t.call(
                functions::update_preferences,
                "PATCH",
                "/v1/me/notifications",
            )
            .bearer(&user.access_token)
            .json(json!({"quiet_hours": quiet}))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.body["quiet_hours"], quiet);
    }
    let mute =
        w.t.call(
            functions::update_preferences,
            "PATCH",
            "/v1/me/notifications",
        )
        .bearer(&muted.access_token)
        .json(json!({"kinds": {"order_updated": false}}))
        .send()
        .await;
    assert_eq!(mute.body["kinds"]["order_updated"], false);
    assert_eq!(mute.body["kinds"]["coins_credited"], true);
    assert!(mute.body["quiet_hours"].is_null());

    let product = w.t.product("Trail Cap", 2_000, 10).await;
    let mut orders = Vec::new();
    for user in [&tokyo, &new_york, &muted] {
        w.t.grant(user.id, 10_000).await;
        let order = w.t.order(user, "k1", &[(product, 1)]).await;
        w.t.advance_order(order, fitkart::orders::Status::Confirmed)
            .await;
        orders.push(order);
    }
    let key = |order: Uuid| format!("order:{order}:confirmed");
    let first = w.dispatch_and_deliver_twice(now).await;
    assert_eq!((first.muted, first.queued), (1, 1), "{first:?}");
    assert_eq!(w.outcome(&key(orders[2])).await.as_deref(), Some("muted"));
    assert_eq!(w.pushes(&w.endpoints(new_york.id).await[0]).await.len(), 1);
    assert!(
        w.pushes(&w.endpoints(tokyo.id).await[0]).await.is_empty(),
        "quiet in Tokyo"
    );
    assert!(w.outcome(&key(orders[0])).await.is_none(), "waiting");

    // Three hours later Tokyo's quiet hours are over.
    let later = w.dispatch_and_deliver_twice(now + Duration::hours(3)).await;
    assert_eq!(later.queued, 1);
    let tokyo_pushes = w.pushes(&w.endpoints(tokyo.id).await[0]).await;
    assert_eq!(tokyo_pushes.len(), 1);
    assert_eq!(tokyo_pushes[0].0, "Order confirmed");
    assert!(w.pushes(&w.endpoints(muted.id).await[0]).await.is_empty());
    // Clearing quiet hours and unmuting answer with the full picture.
    let cleared =
        w.t.call(
            functions::update_preferences,
            "PATCH",
            "/v1/me/notifications",
        )
        .bearer(&muted.access_token)
        .json(json!({"kinds": {"order_updated": true}, "quiet_hours": null}))
        .send()
        .await;
    assert!(cleared.body["kinds"]
        .as_object()
        .unwrap()
        .values()
        .all(|on| on == true));
    let bad =
        w.t.call(
            functions::update_preferences,
            "PATCH",
            "/v1/me/notifications",
        )
        .bearer(&muted.access_token)
        .json(json!({"kinds": {"spam": true}, "quiet_hours": {"start": "25:00", "end": "07:00"}}))
        .send()
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.error_fields(), ["kinds.spam", "quiet_hours.start"]);
    // `kinds` may be left out, but `null` is not a set of kinds.
    let null_kinds =
        w.t.call(
            functions::update_preferences,
            "PATCH",
            "/v1/me/notifications",
        )
        .bearer(&muted.access_token)
        .json(json!({"kinds": null, "quiet_hours": {"start": "22:00", "end": "07:00"}}))
        .send()
        .await;
    assert_eq!(null_kinds.status, 422, "{}", null_kinds.raw);
    assert_eq!(null_kinds.error_fields(), ["kinds"]);
    let unchanged =
        w.t.call(functions::get_preferences, "GET", "/v1/me/notifications")
            .bearer(&muted.access_token)
            .send()
            .await;
    assert_eq!(unchanged.body["quiet_hours"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_disabled_endpoint_is_removed_and_a_deleted_account_hears_nothing() {
    let w = world().await;
    let gone_app = w
        .walker_with_devices("uninstalled@example.com", &[("android", fcm_token())])
        .await;
    let leaving = w
        .walker_with_devices("leaving@example.com", &[("ios", apns_token())])
        .await;
    let endpoint = w.endpoints(gone_app.id).await.remove(0);
    let leaving_endpoint = w.endpoints(leaving.id).await.remove(0);
    // FCM told SNS the app is gone.
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sns = aws_sdk_sns::Client::new(&aws);
    sns.set_endpoint_attributes()
        .endpoint_arn(&endpoint)
        .attributes("Enabled", "false")
        .send()
        .await
        .unwrap();
    let product = w.t.product("Trail Cap", 2_000, 10).await;
    let mut orders = Vec::new();
    for user in [&gone_app, &leaving] {
        w.t.grant(user.id, 10_000).await;
        let order = w.t.order(user, "k1", &[(product, 1)]).await;
        w.t.advance_order(order, fitkart::orders::Status::Confirmed)
            .await;
        orders.push(order);
    }
    // Queued for both, then the second account is deleted before delivery.
    let dispatched = delivery::dispatch(w.t.app, fitkart_tests::now())
        .await
        .unwrap();
    assert_eq!(dispatched.queued, 2);
    let deleted =
        w.t.call(me::delete, "DELETE", "/v1/me")
            .bearer(&leaving.access_token)
            .send()
            .await;
    assert_eq!(deleted.status, 204);
    let (count, failed) = sqs::poll_once(&w.sqs, &w.queue, w.t.app, functions::send).await;
    assert_eq!((count, failed.len()), (2, 0));

    assert!(
        w.endpoints(gone_app.id).await.is_empty(),
        "the disabled endpoint's device is removed"
    );
    assert_eq!(
        w.outcome(&format!("order:{}:confirmed", orders[0]))
            .await
            .as_deref(),
        Some("sent to 0 device(s), 1 disabled removed")
    );
    assert!(
        w.pushes(&leaving_endpoint).await.is_empty(),
        "nothing for a deleted account"
    );
    assert!(w.endpoints(leaving.id).await.is_empty());
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE user_id = $1")
        .bind(leaving.id)
        .fetch_one(&w.t.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    // The deleted account's SNS endpoint is gone too.
    let attributes = sns
        .get_endpoint_attributes()
        .endpoint_arn(&leaving_endpoint)
        .send()
        .await;
    assert!(attributes.is_err(), "{attributes:?}");
}

#[tokio::test]
async fn the_streak_reminder_comes_at_seven_in_the_evening_local_time_once_a_day() {
    let w = world().await;
    let berlin = w
        .walker_with_devices("berlin@example.com", &[("ios", apns_token())])
        .await;
    let new_york = w
        .walker_with_devices("ny@example.com", &[("ios", apns_token())])
        .await;
    let no_streak = w
        .walker_with_devices("casual@example.com", &[("ios", apns_token())])
        .await;
    w.set_time_zone(berlin.id, "Europe/Berlin").await;
    w.set_time_zone(new_york.id, "America/New_York").await;
    w.set_time_zone(no_streak.id, "Europe/Berlin").await;
    // A week's streak ending yesterday holds a freeze; one whose freeze covered yesterday
    // is alive but has none left.
    let keeper = w
        .walker_with_devices("keeper@example.com", &[("ios", apns_token())])
        .await;
    let bridged = w
        .walker_with_devices("bridged@example.com", &[("ios", apns_token())])
        .await;
    w.set_time_zone(keeper.id, "Europe/Berlin").await;
    w.set_time_zone(bridged.id, "Europe/Berlin").await;
    // 19:00 in Berlin today (CET in late November: 18:00 UTC).
    let today = fitkart_tests::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let seven_pm: DateTime<Utc> = today
        .and_hms_opt(19, 0, 0)
        .unwrap()
        .and_local_timezone(chrono_tz::Europe::Berlin)
        .unwrap()
        .with_timezone(&Utc);
    let day = |n: i64| -> NaiveDate { today - Duration::days(n) };
    for user in [&berlin, &new_york] {
        for n in 1..=3 {
            w.t.walked(user.id, day(n), 11_000).await;
        }
        w.t.walked(user.id, day(0), 4_000).await;
    }
    w.t.walked(no_streak.id, day(1), 11_000).await;
    w.t.walked(no_streak.id, day(2), 3_000).await;
    for n in 1..=7 {
        w.t.walked(keeper.id, day(n), 11_000).await;
        w.t.walked(bridged.id, day(n + 1), 11_000).await;
    }

    assert_eq!(delivery::streaks(w.t.app, seven_pm).await.unwrap(), 3);
    // The same hour again (a retried run) records nothing new.
    delivery::streaks(w.t.app, seven_pm).await.unwrap();
    let reminders: Vec<(Uuid, Value)> =
        sqlx::query_as("SELECT user_id, data FROM notifications WHERE kind = 'streak_at_risk'")
            .fetch_all(&w.t.pool)
            .await
            .unwrap();
    let reminder = |user: Uuid| reminders.iter().find(|r| r.0 == user).map(|r| r.1.clone());
    assert_eq!(reminders.len(), 3);
    assert_eq!(
        reminder(berlin.id),
        Some(json!({"streak_days": 3, "steps_today": 4000, "goal": 10000, "freeze_held": false}))
    );
    assert_eq!(
        reminder(keeper.id),
        Some(json!({"streak_days": 7, "steps_today": 0, "goal": 10000, "freeze_held": true}))
    );
    assert_eq!(
        reminder(bridged.id),
        Some(json!({"streak_days": 7, "steps_today": 0, "goal": 10000, "freeze_held": false}))
    );
    // An hour earlier nobody is due; New York's evening comes six hours later.
    assert_eq!(
        delivery::streaks(w.t.app, seven_pm - Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    // Delivered that evening (before Berlin's midnight, when it expires), it reads as a
    // reminder.
    w.dispatch_and_deliver_twice(seven_pm + Duration::minutes(1))
        .await;
    let pushed = w.pushes(&w.endpoints(berlin.id).await[0]).await;
    assert_eq!(pushed.len(), 1);
    assert_eq!(
        pushed[0].1,
        "You're on a 3-day streak: 6,000 more steps today keep it alive."
    );
    let keeper_pushed = w.pushes(&w.endpoints(keeper.id).await[0]).await;
    assert_eq!(
        keeper_pushed[0].1,
        "Your streak freeze covers today if you miss it; 10,000 more steps keep the freeze for later."
    );
    // Past midnight an undelivered reminder is dropped, never sent late.
    let late = fitkart::notifications::Notice {
        key: "streak:late".into(),
        user_id: new_york.id,
        kind: fitkart::notifications::Kind::StreakAtRisk,
        data: json!({"streak_days": 2, "steps_today": 0, "goal": 10000}),
        expires_at: Some(seven_pm + Duration::hours(4)),
    };
    let mut tx = w.t.pool.begin().await.unwrap();
    fitkart::notifications::record(&mut tx, &[late])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let next_morning = w
        .dispatch_and_deliver_twice(seven_pm + Duration::hours(13))
        .await;
    assert_eq!((next_morning.expired, next_morning.queued), (1, 0));
    assert!(w
        .pushes(&w.endpoints(new_york.id).await[0])
        .await
        .is_empty());
}

#[tokio::test]
async fn friends_and_teams_push_their_moments_and_each_kind_can_be_muted() {
    let w = world().await;
    let ann = w
        .walker_with_devices("ann@example.com", &[("ios", apns_token())])
        .await;
    let bob = w
        .walker_with_devices("bob@example.com", &[("android", fcm_token())])
        .await;
    // Ann's link, used by Bob: Ann is asked; she accepts: Bob hears it.
    let link =
        w.t.call(
            fitkart_functions::social::create_invite,
            "POST",
            "/v1/invites",
        )
        .bearer(&ann.access_token)
        .json(json!({}))
        .send()
        .await;
    let code = link.body["code"].as_str().unwrap().to_owned();
    let asked =
        w.t.call(
            fitkart_functions::social::redeem_invite,
            "POST",
            "/v1/redemptions",
        )
        .bearer(&bob.access_token)
        .json(json!({ "code": code }))
        .send()
        .await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    let request = asked.body["request"]["id"].as_str().unwrap().to_owned();
    let accepted =
        w.t.call(
            fitkart_functions::social::accept_friend_request,
            "POST",
            "/v1/friend-requests/{id}/accept",
        )
        .bearer(&ann.access_token)
        .param("id", &request)
        .send()
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    // Bob mutes team news, then joins Ann's team: no push for that.
    let muted =
        w.t.call(
            functions::update_preferences,
            "PATCH",
            "/v1/me/notifications",
        )
        .bearer(&bob.access_token)
        .json(json!({ "kinds": { "team_joined": false } }))
        .send()
        .await;
    assert_eq!(muted.status, 200, "{}", muted.body);
    let team =
        w.t.call(fitkart_functions::social::create_team, "POST", "/v1/teams")
            .bearer(&ann.access_token)
            .json(json!({ "kind": "team", "name": "Tuesday Hikers" }))
            .send()
            .await;
    let team_link =
        w.t.call(
            fitkart_functions::social::create_invite,
            "POST",
            "/v1/invites",
        )
        .bearer(&ann.access_token)
        .json(json!({ "team_id": team.body["id"] }))
        .send()
        .await;
    let joined =
        w.t.call(
            fitkart_functions::social::redeem_invite,
            "POST",
            "/v1/redemptions",
        )
        .bearer(&bob.access_token)
        .json(json!({ "code": team_link.body["code"] }))
        .send()
        .await;
    assert_eq!(joined.body["result"], "joined", "{}", joined.body);

    w.dispatch_and_deliver_twice(fitkart_tests::now()).await;
    let anns = w.pushes(&w.endpoints(ann.id).await[0]).await;
    let bobs = w.pushes(&w.endpoints(bob.id).await[0]).await;
    assert_eq!(anns.len(), 1, "{anns:?}");
    assert_eq!(anns[0].0, "Someone wants to walk with you");
    assert!(
        anns[0].1.starts_with("Test W. used your invite link"),
        "{anns:?}"
    );
    assert_eq!(bobs.len(), 1, "the team news was muted: {bobs:?}");
    assert_eq!(bobs[0].0, "New friend");
    assert_eq!(
        w.outcome(&format!(
            "team_joined:{}:{}",
            team.body["id"].as_str().unwrap(),
            bob.id
        ))
        .await
        .as_deref(),
        Some("muted")
    );
}

#[tokio::test]
async fn pushes_speak_the_walkers_language_with_its_own_plural_forms() {
    let w = world().await;
    // A German walker's day is held: the push and its reason are German.
    let greta =
        w.t.verified_speaking("greta.push@example.com", "de-DE")
            .await;
    w.t.joined_days_ago(greta.id, 60).await;
    let registered = w.register(&greta, "ios", &apns_token()).await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    let today = fitkart_tests::now().date_naive();
    let sync = w
        .t
        .sync(
            &greta,
            json!({"entries": [{"date": today, "steps": 60_000, "source": "health_kit", "distance_km": 45.0}]}),
        )
        .await;
    assert_eq!(sync.status, 202, "{}", sync.body);
    w.pipeline.run(w.t.app).await;
    // Her record says why in German too; the reviewers' detailed words stay English.
    let records =
        w.t.call(fitkart_functions::steps::list, "GET", "/v1/steps")
            .bearer(&greta.access_token)
            .send()
            .await;
    let record = &records.body["items"][0];
    assert_eq!(record["status"], "suspicious", "{record}");
    assert_eq!(
        record["reasons_explained"],
        json!([
            "Dieser Tag hat mehr Schritte, als wir ohne Prüfung durch einen Menschen gutschreiben.",
            "Der Tag kam ohne seine stündlichen Werte, die dein Telefon sonst schickt."
        ])
    );
    assert!(
        record["reasons"][0]
            .as_str()
            .unwrap()
            .contains("steps in one day"),
        "{record}"
    );

    // A Polish walker makes five friends, one after another; each acceptance tells her
    // how many she has now.
    let ola =
        w.t.verified_speaking("ola.push@example.com", "pl-PL,pl;q=0.9")
            .await;
    let registered = w.register(&ola, "android", &fcm_token()).await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    for i in 0..5 {
        let friend = w.t.register(&format!("friend{i}.of.ola@example.com")).await;
        // Ola uses each friend's link; the friend accepts.
        w.t.befriend(&friend, &ola).await;
    }

    w.dispatch_and_deliver_twice(fitkart_tests::now()).await;
    let gretas = w.pushes(&w.endpoints(greta.id).await[0]).await;
    let held = gretas
        .iter()
        .find(|p| p.2.starts_with("day_held"))
        .unwrap_or_else(|| panic!("no held-day push: {gretas:?}"));
    assert_eq!(held.0, "Ein Tag wird geprüft");
    assert!(held.1.starts_with("Deine Schritte vom "), "{}", held.1);
    assert!(held.1.contains("werden kurz geprüft"), "{}", held.1);
    // The reason comes from the German catalog, not the English words of the rule.
    assert!(
        held.1.contains(
            "Dieser Tag hat mehr Schritte, als wir ohne Prüfung durch einen Menschen gutschreiben."
        ),
        "{}",
        held.1
    );

    let olas = w.pushes(&w.endpoints(ola.id).await[0]).await;
    let mut counts: Vec<&str> = olas
        .iter()
        .filter(|p| p.0 == "Nowy znajomy")
        .map(|p| p.1.split("liczy ").nth(1).unwrap_or_default())
        .collect();
    counts.sort();
    // Polish: one "osobę", few (2-4) "osoby", many (5+) "osób".
    assert_eq!(
        counts,
        ["1 osobę.", "2 osoby.", "3 osoby.", "4 osoby.", "5 osób."],
        "{olas:?}"
    );
}
