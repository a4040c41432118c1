//! The connection budget (docs/operations.md): HTTP functions run with `DB_POOL_MAX=1`,
//! so no request may hold one pooled connection while it asks for another (with a pool of
//! one that waits for itself until the acquire timeout, a 503). Every user route and
//! every admin route, run here over a pool of exactly one connection.

use fitkart_functions::{achievements, auth, leaderboard, me, orders, rewards, steps, wallet};
use fitkart_tests::{order_body, Pipeline, TestApp, PASSWORD};
use serde_json::json;

use crate::admin::{call_route, routes};

#[tokio::test]
async fn every_user_route_needs_only_one_connection() {
    let (config, _queues) = Pipeline::create().await;
    let t = TestApp::with_pool_size(config, 1).await;
    let ann = t.verified("ann@example.com").await;
    let ok = |status: u16, what: &str| assert!(status < 500, "{what}: {status}");

    let login = t
        .call(auth::login, "POST", "/v1/auth/login")
        .json(json!({"email": "ann@example.com", "password": PASSWORD}))
        .send()
        .await;
    ok(login.status, "login");
    let refresh = t
        .call(auth::refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": ann.refresh_token}))
        .send()
        .await;
    ok(refresh.status, "refresh");
    let today = fitkart_tests::now().date_naive();
    let sync = t
        .sync(
            &ann,
            json!({"entries": [{"date": today, "steps": 900, "source": "manual"}]}),
        )
        .await;
    ok(sync.status, "sync");
    let product = t.product("Bottle", 50, 5).await;
    let order = t
        .place_order(&ann, "one-connection", order_body(&[(product, 1)]))
        .await;
    assert_eq!(order.status, 201, "{}", order.body);
    let order_id = order.body["id"].as_str().unwrap().to_owned();

    macro_rules! read {
        ($handler:path, $path:literal) => {
            let res = t
                .call($handler, "GET", $path)
                .bearer(&ann.access_token)
                .send()
                .await;
            ok(res.status, $path);
        };
    }
    read!(me::get, "/v1/me");
    read!(me::stats, "/v1/me/stats");
    read!(me::export, "/v1/me/export");
    read!(steps::list, "/v1/steps");
    read!(wallet::get, "/v1/wallet");
    read!(wallet::transactions, "/v1/wallet/transactions");
    read!(rewards::list, "/v1/rewards");
    read!(orders::list, "/v1/orders");
    read!(achievements::list, "/v1/achievements");
    read!(leaderboard::get, "/v1/leaderboard");
    let order = t
        .call(orders::get, "GET", "/v1/orders/{id}")
        .param("id", &order_id)
        .bearer(&ann.access_token)
        .send()
        .await;
    ok(order.status, "order");
    let cancel = t
        .call(orders::cancel, "POST", "/v1/orders/{id}/cancel")
        .param("id", &order_id)
        .bearer(&ann.access_token)
        .send()
        .await;
    ok(cancel.status, "cancel");
    let patch = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&ann.access_token)
        .json(json!({"timezone": "Europe/Berlin"}))
        .send()
        .await;
    ok(patch.status, "profile");
    let email = t
        .call(me::change_email, "POST", "/v1/me/email")
        .bearer(&ann.access_token)
        .json(json!({"email": "ann.new@example.com", "password": PASSWORD}))
        .send()
        .await;
    ok(email.status, "email change");
    let forgot = t
        .call(auth::forgot_password, "POST", "/v1/auth/password/forgot")
        .json(json!({"email": "ann@example.com"}))
        .send()
        .await;
    ok(forgot.status, "forgot");
    let token = t.mailed_token("ann@example.com", "reset-password").await;
    let reset = t
        .call(auth::reset_password, "POST", "/v1/auth/password/reset")
        .json(json!({"token": token, "password": "another good one"}))
        .send()
        .await;
    ok(reset.status, "reset");
    let login = t
        .call(auth::login, "POST", "/v1/auth/login")
        .json(json!({"email": "ann@example.com", "password": "another good one"}))
        .send()
        .await;
    assert_eq!(login.status, 200);
    let session = fitkart_tests::User::from_session(&login.body);
    let change = t
        .call(me::change_password, "POST", "/v1/me/password")
        .bearer(&session.access_token)
        .json(json!({"current_password": "another good one", "new_password": "and one more"}))
        .send()
        .await;
    ok(change.status, "password change");
    let resend = t
        .call(auth::resend_verification, "POST", "/v1/auth/email/resend")
        .bearer(&session.access_token)
        .send()
        .await;
    ok(resend.status, "resend");
    let delete = t
        .call(me::delete, "DELETE", "/v1/me")
        .bearer(&session.access_token)
        .send()
        .await;
    ok(delete.status, "delete");
}

#[tokio::test]
async fn every_admin_route_needs_only_one_connection() {
    let t = TestApp::with_pool_size(fitkart_tests::test_config(), 1).await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.verified("walker@example.com").await;
    t.grant(walker.id, 1_000).await;
    let product = t.product("Cap", 100, 3).await;
    let order = t.order(&walker, "k", &[(product, 1)]).await;
    for route in routes(walker.id, order, product, uuid::Uuid::new_v4()) {
        let res = call_route(&t, &route, Some(&boss.access_token)).await;
        assert!(
            res.status < 500,
            "{}: {} {}",
            route.name,
            res.status,
            res.body
        );
    }
}

/// The step pipeline's consumers run with `DB_POOL_MAX=1` too: a validation batch reads
/// and writes on one connection, a crediting batch is one transaction, and neither asks
/// for a second (with a pool of one it would wait for itself and fail the batch). Days
/// that pass, one held for review and an achievement's bonus, all through one connection.
#[tokio::test]
async fn the_step_pipelines_consumers_need_only_one_connection() {
    let (config, pipeline) = Pipeline::create().await;
    let t = TestApp::with_pool_size(config, 1).await;
    let walker = t.verified("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let day = |ago: u64, steps: i64| {
        json!({"date": fitkart_tests::now().date_naive() - chrono::Days::new(ago), "steps": steps,
               "source": "health_connect", "distance_km": steps as f64 * 0.00075,
               "calories": steps as f64 * 0.04})
    };
    let sync = t
        .sync(
            &walker,
            json!({"entries": [day(2, 8_000), day(1, 12_000), day(0, 60_000)]}),
        )
        .await;
    assert_eq!(sync.status, 202, "{}", sync.body);

    pipeline.run(t.app).await;

    let states: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, coins_credited FROM step_records WHERE user_id = $1 ORDER BY recorded_date",
    )
    .bind(walker.id)
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        states,
        [
            ("verified".to_string(), 8_000),
            ("verified".to_string(), 12_000),
            ("suspicious".to_string(), 0)
        ]
    );
    let bonuses: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM coin_transactions WHERE user_id = $1 AND reference_type = 'achievement'",
    )
    .bind(walker.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert!(bonuses > 0, "the days' achievements were paid");
    t.assert_ledger_invariants().await;
}
