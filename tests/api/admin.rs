//! The admin API: the guard on every route, the audit row of every mutation (and none for
//! a refused one), the review queue crediting exactly once, typed settings that take
//! effect at once, orders through the state machine, and making the first admin.

use chrono::{Days, Utc};
use fitkart::http::{Request, Response};
use fitkart::App;
use fitkart_functions::admin::{self, BootstrapEvent};
use fitkart_functions::steps;
use fitkart_tests::{Pipeline, TestApp, TestResponse, User};
use futures::future::join_all;
use serde_json::{json, Value};
use uuid::Uuid;

type Handler =
    fn(&'static App, Request) -> futures::future::BoxFuture<'static, fitkart::Result<Response>>;

/// One admin route: (name, handler, method, path, path params, body).
type Route = (
    &'static str,
    Handler,
    &'static str,
    &'static str,
    Vec<(&'static str, String)>,
    Option<Value>,
);

/// Every admin route, with arguments an admin call succeeds with.
fn routes(user: Uuid, order: Uuid, product: Uuid, validation: Uuid) -> Vec<Route> {
    macro_rules! h {
        ($f:path) => {
            (|app, req| Box::pin($f(app, req))) as Handler
        };
    }
    vec![
        (
            "validations",
            h!(admin::list_validations),
            "GET",
            "/v1/admin/validations",
            vec![],
            None,
        ),
        (
            "review",
            h!(admin::review_validation),
            "POST",
            "/v1/admin/validations/{id}/review",
            vec![("id", validation.to_string())],
            Some(json!({"decision": "reject", "note": "guard check"})),
        ),
        (
            "users",
            h!(admin::list_users),
            "GET",
            "/v1/admin/users",
            vec![],
            None,
        ),
        (
            "user",
            h!(admin::get_user),
            "GET",
            "/v1/admin/users/{id}",
            vec![("id", user.to_string())],
            None,
        ),
        (
            "update user",
            h!(admin::update_user),
            "PATCH",
            "/v1/admin/users/{id}",
            vec![("id", user.to_string())],
            Some(json!({"is_active": true})),
        ),
        (
            "coins",
            h!(admin::adjust_coins),
            "POST",
            "/v1/admin/users/{id}/coins",
            vec![("id", user.to_string())],
            Some(json!({"amount": 5, "reason": "guard check"})),
        ),
        (
            "orders",
            h!(admin::list_orders),
            "GET",
            "/v1/admin/orders",
            vec![],
            None,
        ),
        (
            "update order",
            h!(admin::update_order),
            "PATCH",
            "/v1/admin/orders/{id}",
            vec![("id", order.to_string())],
            Some(json!({"status": "confirmed"})),
        ),
        (
            "update reward",
            h!(admin::update_reward),
            "PATCH",
            "/v1/admin/rewards/{id}",
            vec![("id", product.to_string())],
            Some(json!({"popularity_rank": 3})),
        ),
        (
            "settings",
            h!(admin::list_settings),
            "GET",
            "/v1/admin/settings",
            vec![],
            None,
        ),
        (
            "update setting",
            h!(admin::update_setting),
            "PUT",
            "/v1/admin/settings/{key}",
            vec![("key", "daily_step_goal".to_owned())],
            Some(json!({"value": 9000})),
        ),
        (
            "logs",
            h!(admin::list_logs),
            "GET",
            "/v1/admin/logs",
            vec![],
            None,
        ),
        (
            "stats",
            h!(admin::daily_stats),
            "GET",
            "/v1/admin/stats/daily",
            vec![],
            None,
        ),
    ]
}

async fn call_route(t: &TestApp, route: &Route, token: Option<&str>) -> TestResponse {
    let (_, handler, method, path, params, body) = route;
    let mut call = t.call(*handler, method, path);
    for (name, value) in params {
        call = call.param(name, value);
    }
    if let Some(token) = token {
        call = call.bearer(token);
    }
    if let Some(body) = body {
        call = call.json(body.clone());
    }
    call.send().await
}

async fn audit_rows(t: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM admin_logs")
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

async fn last_audit(
    t: &TestApp,
) -> (
    String,
    String,
    Option<Uuid>,
    Value,
    Option<String>,
    Option<String>,
    Uuid,
) {
    sqlx::query_as(
        "SELECT action, entity_type, entity_id, changes, host(ip_address), user_agent, admin_id
         FROM admin_logs ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

/// A held record for `user`: 60,000 steps in a day is above the review threshold.
async fn held_record(t: &TestApp, pipeline: &Pipeline, user: &User, days_ago: u64) -> Uuid {
    let date = Utc::now().date_naive() - Days::new(days_ago);
    let res = t
        .call(steps::sync, "POST", "/v1/steps/sync")
        .bearer(&user.access_token)
        .json(
            json!({"entries": [{"date": date, "steps": 60_000, "source": "health_connect",
                                   "distance_km": 45.0, "calories": 2400.0}]}),
        )
        .send()
        .await;
    assert_eq!(res.status, 202, "{}", res.body);
    pipeline.run(t.app).await;
    sqlx::query_scalar(
        "SELECT v.id FROM step_validations v JOIN step_records r ON r.id = v.step_record_id
         WHERE r.user_id = $1 AND r.recorded_date = $2 AND v.status = 'pending'",
    )
    .bind(user.id)
    .bind(date)
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_admin_route_is_401_without_a_token_403_for_users_and_works_for_admins() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.verified("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let product = t.product("Cap", 1_000, 10).await;
    t.grant(walker.id, 10_000).await;
    let order = t.order(&walker, "guard", &[(product, 1)]).await;
    let validation = held_record(&t, &pipeline, &walker, 1).await;
    let routes = routes(walker.id, order, product, validation);
    assert_eq!(routes.len(), 13);
    for route in &routes {
        let before = audit_rows(&t).await;
        let anonymous = call_route(&t, route, None).await;
        assert_eq!(
            (anonymous.status, anonymous.code()),
            (401, "unauthorized"),
            "{}",
            route.0
        );
        let user = call_route(&t, route, Some(&walker.access_token)).await;
        assert_eq!(
            (user.status, user.code()),
            (403, "forbidden"),
            "{}",
            route.0
        );
        assert_eq!(
            audit_rows(&t).await,
            before,
            "{}: refused calls leave no audit row",
            route.0
        );
        let admin = call_route(&t, route, Some(&boss.access_token)).await;
        assert!(
            matches!(admin.status, 200 | 201),
            "{}: {} {}",
            route.0,
            admin.status,
            admin.body
        );
        let mutation = route.2 != "GET";
        assert_eq!(
            audit_rows(&t).await,
            before + i64::from(mutation),
            "{}",
            route.0
        );
        if mutation {
            let (_, _, _, _, ip, agent, admin_id) = last_audit(&t).await;
            assert_eq!(ip.as_deref(), Some("203.0.113.7"), "{}", route.0);
            assert_eq!(agent.as_deref(), Some("fitkart-tests"), "{}", route.0);
            assert_eq!(admin_id, boss.id);
        }
    }
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_demoted_admins_still_valid_token_is_refused() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let deputy = t.admin("deputy@example.com").await;
    let settings = |token: String| {
        let t = &t;
        async move {
            t.call(admin::list_settings, "GET", "/v1/admin/settings")
                .bearer(&token)
                .send()
                .await
        }
    };
    assert_eq!(settings(deputy.access_token.clone()).await.status, 200);
    let demote = t
        .call(admin::update_user, "PATCH", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", deputy.id)
        .json(json!({"role": "user"}))
        .send()
        .await;
    assert_eq!(demote.status, 200, "{}", demote.body);
    assert_eq!(demote.body["role"], "user");
    // The deputy's access token still says admin and has not expired; the database wins.
    assert_eq!(settings(deputy.access_token.clone()).await.status, 403);
    let (action, entity, id, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str(), id),
        ("user.update", "user", Some(deputy.id))
    );
    assert_eq!(changes["before"]["role"], "admin");
    assert_eq!(changes["after"]["role"], "user");

    // The last active admin cannot remove themselves; the refusal leaves no audit row.
    let rows = audit_rows(&t).await;
    let last = t
        .call(admin::update_user, "PATCH", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", boss.id)
        .json(json!({"is_active": false}))
        .send()
        .await;
    assert_eq!((last.status, last.code()), (409, "last_admin"));
    assert_eq!(audit_rows(&t).await, rows);
    let bad = t
        .call(admin::update_user, "PATCH", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", deputy.id)
        .json(json!({"role": "superuser"}))
        .send()
        .await;
    assert_eq!(
        (bad.status, bad.error_fields()),
        (422, vec!["role".to_owned()])
    );
    assert_eq!(audit_rows(&t).await, rows);
}

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions_and_is_audited() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let res = t
        .call(admin::update_user, "PATCH", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", walker.id)
        .json(json!({"is_active": false}))
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["is_active"], false);
    let me = t
        .call(fitkart_functions::me::get, "GET", "/v1/me")
        .bearer(&walker.access_token)
        .send()
        .await;
    assert_eq!(me.status, 401);
    let refresh = t
        .call(fitkart_functions::auth::refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": walker.refresh_token}))
        .send()
        .await;
    assert_eq!(refresh.status, 401);
    let (action, _, _, changes, ..) = last_audit(&t).await;
    assert_eq!(action, "user.update");
    assert_eq!(
        changes,
        json!({"before": {"is_active": true, "role": "user"}, "after": {"is_active": false, "role": "user"}})
    );
}

#[tokio::test]
async fn user_search_matches_email_and_name_prefixes_and_shows_wallets() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    for email in [
        "anna.k@example.com",
        "ANDY@example.com",
        "bob@example.com",
        "100%_real@example.com",
    ] {
        t.register(email).await;
    }
    sqlx::query("UPDATE users SET full_name = 'Annika Berg' WHERE email = 'bob@example.com'")
        .execute(&t.pool)
        .await
        .unwrap();
    let search = |q: &'static str| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            let res = t
                .call(admin::list_users, "GET", "/v1/admin/users")
                .bearer(&token)
                .query("q", q)
                .send()
                .await;
            assert_eq!(res.status, 200, "{}", res.body);
            let mut emails: Vec<String> = res.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned())
                .collect();
            emails.sort();
            (emails, res.body)
        }
    };
    let (found, body) = search("an").await;
    assert_eq!(
        found,
        ["ANDY@example.com", "anna.k@example.com", "bob@example.com"]
    );
    assert!(body["items"][0]["wallet"]["available_coins"].is_i64());
    // LIKE wildcards in the query are literal characters.
    assert_eq!(search("100%").await.0, ["100%_real@example.com"]);
    assert!(search("%").await.0.is_empty());
    assert!(search("_").await.0.is_empty());

    let walker: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'bob@example.com'")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let detail = t
        .call(admin::get_user, "GET", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", walker)
        .send()
        .await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.body["full_name"], "Annika Berg");
    assert!(detail.body["recent_transactions"].is_array());
    let missing = t
        .call(admin::get_user, "GET", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", Uuid::new_v4())
        .send()
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn coin_adjustments_are_ledger_rows_that_never_go_negative() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let (opening, ..) = t.wallet(walker.id).await;
    let adjust = |amount: i64, reason: &'static str| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::adjust_coins, "POST", "/v1/admin/users/{id}/coins")
                .bearer(&token)
                .param("id", walker.id)
                .json(json!({"amount": amount, "reason": reason}))
                .send()
                .await
        }
    };
    let bonus = adjust(500, "Marathon week winner").await;
    assert_eq!(bonus.status, 201, "{}", bonus.body);
    assert_eq!(bonus.body["transaction_type"], "bonus");
    assert_eq!(bonus.body["amount"], 500);
    assert_eq!(bonus.body["description"], "Marathon week winner");
    let (action, entity, id, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str(), id),
        ("user.coins", "user", Some(walker.id))
    );
    assert_eq!(changes["before"]["available_coins"], opening);
    assert_eq!(changes["after"]["available_coins"], opening + 500);

    let penalty = adjust(-200, "Shared device").await;
    assert_eq!(penalty.body["transaction_type"], "penalty");
    assert_eq!(t.balance(walker.id).await, opening + 300);

    let rows = audit_rows(&t).await;
    let too_much = adjust(-(opening + 301), "More than they have").await;
    assert_eq!(
        (too_much.status, too_much.code()),
        (409, "insufficient_coins")
    );
    let zero = adjust(0, "nothing").await;
    assert_eq!(
        (zero.status, zero.error_fields()),
        (422, vec!["amount".to_owned()])
    );
    let no_reason = adjust(10, " ").await;
    assert_eq!(
        (no_reason.status, no_reason.error_fields()),
        (422, vec!["reason".to_owned()])
    );
    assert_eq!(audit_rows(&t).await, rows);
    assert_eq!(t.balance(walker.id).await, opening + 300);

    // Concurrent penalties that together exceed the balance: never below zero.
    let balance = t.balance(walker.id).await;
    let results = join_all((0..10).map(|_| adjust(-(balance / 4), "race"))).await;
    let applied = results.iter().filter(|r| r.status == 201).count() as i64;
    assert_eq!(applied, 4);
    assert_eq!(t.balance(walker.id).await, balance - 4 * (balance / 4));
    assert_eq!(audit_rows(&t).await, rows + 4);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn approving_credits_exactly_once_rejecting_credits_nothing_and_users_see_the_note() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    t.set_setting("max_daily_coins", "1000000").await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let approve_me = held_record(&t, &pipeline, &walker, 1).await;
    let reject_me = held_record(&t, &pipeline, &walker, 2).await;

    let queue = t
        .call(admin::list_validations, "GET", "/v1/admin/validations")
        .bearer(&boss.access_token)
        .send()
        .await;
    let items = queue.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    // Oldest first, with the record, its reasons, the user and their history.
    assert_eq!(items[0]["id"], approve_me.to_string());
    assert_eq!(items[0]["record"]["steps"], 60_000);
    assert!(items[0]["reasons"][0].as_str().unwrap().contains("60,000"));
    assert_eq!(items[0]["user"]["email"], "walker@example.com");
    assert!(items[0]["history"].is_array());

    let before = t.balance(walker.id).await;
    // A changed coins_per_step is what the approval pays at.
    let rate = t
        .call(admin::update_setting, "PUT", "/v1/admin/settings/{key}")
        .bearer(&boss.access_token)
        .param("key", "coins_per_step")
        .json(json!({"value": "0.5"}))
        .send()
        .await;
    assert_eq!(rate.status, 200, "{}", rate.body);
    let review = |id: Uuid, decision: &'static str, note: &'static str| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(
                admin::review_validation,
                "POST",
                "/v1/admin/validations/{id}/review",
            )
            .bearer(&token)
            .param("id", id)
            .json(json!({"decision": decision, "note": note}))
            .send()
            .await
        }
    };
    let rows = audit_rows(&t).await;
    let (a, b) = tokio::join!(
        review(approve_me, "approve", "GPS track checks out"),
        review(approve_me, "approve", "GPS track checks out")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let conflict = if a.status == 409 { &a } else { &b };
    assert_eq!(conflict.code(), "already_reviewed");
    assert_eq!(audit_rows(&t).await, rows + 1);
    let earned: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::int8 FROM coin_transactions WHERE user_id = $1 AND transaction_type = 'earned'",
    )
    .bind(walker.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(earned, 30_000, "60,000 steps at 0.5 coins per step, once");
    assert!(t.balance(walker.id).await >= before + 30_000);

    let rejected = review(reject_me, "reject", "Steps recorded while driving").await;
    assert_eq!(rejected.status, 200);
    assert_eq!(rejected.body["status"], "rejected");
    let again = review(reject_me, "approve", "changed my mind").await;
    assert_eq!((again.status, again.code()), (409, "already_reviewed"));
    let (action, entity, id, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str(), id),
        ("validation.reject", "step_validation", Some(reject_me))
    );
    assert_eq!(changes["before"]["status"], "pending");
    assert_eq!(changes["after"]["status"], "rejected");

    let mine = t
        .call(steps::list, "GET", "/v1/steps")
        .bearer(&walker.access_token)
        .send()
        .await;
    let records = mine.body["items"].as_array().unwrap();
    let rejected_record = records.iter().find(|r| r["status"] == "rejected").unwrap();
    assert_eq!(
        rejected_record["review_note"],
        "Steps recorded while driving"
    );
    assert_eq!(rejected_record["coins_credited"], 0);
    let approved_record = records
        .iter()
        .find(|r| r["review_note"] == "GPS track checks out")
        .unwrap();
    assert_eq!(approved_record["status"], "verified");
    assert_eq!(approved_record["coins_credited"], 30_000);

    // Replaying the credit message (as SQS might) pays nothing more.
    let record_id: Uuid = approved_record["id"].as_str().unwrap().parse().unwrap();
    fitkart::steps::crediting::credit_batch(t.app, &[record_id])
        .await
        .unwrap();
    let earned_after: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::int8 FROM coin_transactions WHERE user_id = $1 AND transaction_type = 'earned'",
    )
    .bind(walker.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(earned_after, 30_000);
    let empty = t
        .call(admin::list_validations, "GET", "/v1/admin/validations")
        .bearer(&boss.access_token)
        .send()
        .await;
    assert_eq!(empty.body["items"].as_array().unwrap().len(), 0);
    let bad = review(Uuid::new_v4(), "maybe", "").await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.error_fields(), ["decision", "note"]);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn settings_are_typed_validated_and_audited() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let list = t
        .call(admin::list_settings, "GET", "/v1/admin/settings")
        .bearer(&boss.access_token)
        .send()
        .await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 30);
    let goal = items
        .iter()
        .find(|s| s["key"] == "daily_step_goal")
        .unwrap();
    assert_eq!(
        (goal["value"].clone(), goal["type"].clone()),
        (json!(10000), json!("integer"))
    );
    let flag = items
        .iter()
        .find(|s| s["key"] == "anti_cheat_enabled")
        .unwrap();
    assert_eq!(flag["value"], true);

    let put = |key: &'static str, value: Value| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::update_setting, "PUT", "/v1/admin/settings/{key}")
                .bearer(&token)
                .param("key", key)
                .json(json!({"value": value}))
                .send()
                .await
        }
    };
    let rows = audit_rows(&t).await;
    for (key, value) in [
        ("daily_step_goal", json!("lots")),
        ("daily_step_goal", json!(50)),
        ("daily_step_goal", json!(1.5)),
        ("anti_cheat_enabled", json!("yes")),
        ("coins_per_step", json!(-1)),
        ("coins_per_step", json!([1])),
    ] {
        let res = put(key, value.clone()).await;
        assert_eq!(
            (res.status, res.error_fields()),
            (422, vec!["value".to_owned()]),
            "{key} = {value}"
        );
    }
    let unknown = put("no_such_setting", json!(1)).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(audit_rows(&t).await, rows);
    let value: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'daily_step_goal'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(value, "10000");

    let ok = put("anti_cheat_enabled", json!(false)).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["value"], false);
    assert_eq!(ok.body["updated_by_admin_id"], boss.id.to_string());
    let (action, entity, _, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str()),
        ("setting.update", "setting")
    );
    assert_eq!(
        changes["before"],
        json!({"key": "anti_cheat_enabled", "value": true})
    );
    assert_eq!(
        changes["after"],
        json!({"key": "anti_cheat_enabled", "value": false})
    );
    assert!(!t.app.settings().await.unwrap().anti_cheat_enabled);
}

#[tokio::test]
async fn admins_move_orders_through_the_workflow_with_audit_and_filters() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.verified("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let product = t.product("Band", 2_000, 10).await;
    t.grant(walker.id, 50_000).await;
    let first = t.order(&walker, "a", &[(product, 1)]).await;
    let second = t.order(&walker, "b", &[(product, 1)]).await;
    let patch = |id: Uuid, body: Value| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::update_order, "PATCH", "/v1/admin/orders/{id}")
                .bearer(&token)
                .param("id", id)
                .json(body)
                .send()
                .await
        }
    };
    for status in ["confirmed", "processing"] {
        assert_eq!(patch(first, json!({"status": status})).await.status, 200);
    }
    let (_, frozen, _) = t.wallet(walker.id).await;
    let shipped = patch(
        first,
        json!({"status": "shipped", "tracking_number": "1Z999AA10123456784", "notes": "DHL"}),
    )
    .await;
    assert_eq!(shipped.status, 200, "{}", shipped.body);
    assert_eq!(shipped.body["tracking_number"], "1Z999AA10123456784");
    assert_eq!(shipped.body["notes"], "DHL");
    assert_eq!(shipped.body["user_email"], "walker@example.com");
    assert!(shipped.body["shipped_at"].is_string());
    assert_eq!(t.wallet(walker.id).await.1, frozen - 2_000);
    assert_eq!(t.wallet(walker.id).await.2, 2_000);
    let (action, entity, id, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str(), id),
        ("order.update", "order", Some(first))
    );
    assert_eq!(changes["before"]["status"], "processing");
    assert_eq!(
        changes["after"],
        json!({"status": "shipped", "tracking_number": "1Z999AA10123456784", "notes": "DHL"})
    );

    let rows = audit_rows(&t).await;
    let skip = patch(second, json!({"status": "delivered"})).await;
    assert_eq!((skip.status, skip.code()), (409, "invalid_transition"));
    let nonsense = patch(second, json!({"status": "lost"})).await;
    assert_eq!(
        (nonsense.status, nonsense.error_fields()),
        (422, vec!["status".to_owned()])
    );
    assert_eq!(
        patch(Uuid::new_v4(), json!({"status": "confirmed"}))
            .await
            .status,
        404
    );
    assert_eq!(audit_rows(&t).await, rows);

    let list = |status: &'static str| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::list_orders, "GET", "/v1/admin/orders")
                .bearer(&token)
                .query("status", status)
                .send()
                .await
                .body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("shipped").await, [first.to_string()]);
    assert_eq!(list("pending").await, [second.to_string()]);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn reward_edits_pin_prices_hide_products_and_are_audited() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let product = t.product("Bottle", 25_000, 10).await;
    let patch = |body: Value| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::update_reward, "PATCH", "/v1/admin/rewards/{id}")
                .bearer(&token)
                .param("id", product)
                .json(body)
                .send()
                .await
        }
    };
    let pinned = patch(json!({"coin_price": 19_000, "popularity_rank": 1})).await;
    assert_eq!(pinned.status, 200, "{}", pinned.body);
    assert_eq!(pinned.body["coin_price"], 19_000);
    assert_eq!(pinned.body["coin_price_pinned"], true);
    let (action, _, _, changes, ..) = last_audit(&t).await;
    assert_eq!(action, "reward.update");
    assert_eq!(changes["before"]["coin_price"], 25_000);
    assert_eq!(changes["after"]["coin_price"], 19_000);

    let hidden = patch(json!({"is_active": false})).await;
    assert_eq!(hidden.body["admin_hidden"], true);
    let seen = t
        .call(fitkart_functions::rewards::get, "GET", "/v1/rewards/{id}")
        .bearer(&walker.access_token)
        .param("id", product)
        .send()
        .await;
    assert_eq!(seen.status, 404);
    let rows = audit_rows(&t).await;
    for body in [
        json!({}),
        json!({"coin_price": 0}),
        json!({"popularity_rank": -1}),
        json!({"name": "x"}),
    ] {
        assert_eq!(patch(body.clone()).await.status, 422, "{body}");
    }
    assert_eq!(audit_rows(&t).await, rows);
}

#[tokio::test]
async fn the_audit_log_filters_and_pages_and_stats_cover_a_range() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    for i in 0..5 {
        let res = t
            .call(admin::adjust_coins, "POST", "/v1/admin/users/{id}/coins")
            .bearer(&boss.access_token)
            .param("id", walker.id)
            .json(json!({"amount": 10 + i, "reason": format!("bonus {i}")}))
            .send()
            .await;
        assert_eq!(res.status, 201);
    }
    let put = t
        .call(admin::update_setting, "PUT", "/v1/admin/settings/{key}")
        .bearer(&boss.access_token)
        .param("key", "daily_step_goal")
        .json(json!({"value": 8000}))
        .send()
        .await;
    assert_eq!(put.status, 200);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = t
            .call(admin::list_logs, "GET", "/v1/admin/logs")
            .bearer(&boss.access_token)
            .query("entity_type", "user")
            .query("entity_id", walker.id)
            .query("limit", 2);
        if let Some(c) = &cursor {
            call = call.query("cursor", c);
        }
        let page = call.send().await;
        assert_eq!(page.status, 200, "{}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            assert_eq!(item["action"], "user.coins");
            assert_eq!(item["admin_email"], "boss@example.com");
            seen.push(
                item["changes"]["after"]["transaction"]["description"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["bonus 4", "bonus 3", "bonus 2", "bonus 1", "bonus 0"]
    );
    let by_action = t
        .call(admin::list_logs, "GET", "/v1/admin/logs")
        .bearer(&boss.access_token)
        .query("action", "setting.update")
        .query("admin_id", boss.id)
        .send()
        .await;
    assert_eq!(by_action.body["items"].as_array().unwrap().len(), 1);
    let future = t
        .call(admin::list_logs, "GET", "/v1/admin/logs")
        .bearer(&boss.access_token)
        .query("from", "2100-01-01T00:00:00Z")
        .send()
        .await;
    assert_eq!(future.body["items"].as_array().unwrap().len(), 0);
    let bad = t
        .call(admin::list_logs, "GET", "/v1/admin/logs")
        .bearer(&boss.access_token)
        .query("entity_id", "nope")
        .query("from", "yesterday")
        .send()
        .await;
    assert_eq!(
        (bad.status, bad.error_fields()),
        (422, vec!["entity_id".to_owned(), "from".to_owned()])
    );

    // Stats: two users walked yesterday, one today.
    let today = Utc::now().date_naive();
    let yesterday = today - Days::new(1);
    sqlx::query(
        "INSERT INTO step_records (user_id, steps, source, recorded_date, status, verified_steps)
         VALUES ($1, 8000, 'health_kit', $3, 'verified', 8000), ($2, 4000, 'health_kit', $3, 'verified', 4000),
                ($1, 6000, 'health_kit', $4, 'suspicious', 0)",
    )
    .bind(boss.id)
    .bind(walker.id)
    .bind(yesterday)
    .bind(today)
    .execute(&t.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE users SET last_synced_at = now()")
        .execute(&t.pool)
        .await
        .unwrap();
    let stats = t
        .call(admin::daily_stats, "GET", "/v1/admin/stats/daily")
        .bearer(&boss.access_token)
        .query("from", yesterday)
        .query("to", today)
        .send()
        .await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    let days = stats.body["items"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["date"], yesterday.to_string());
    assert_eq!(
        (
            days[0]["active_users"].clone(),
            days[0]["total_steps"].clone(),
            days[0]["avg_steps"].clone()
        ),
        (json!(2), json!(12_000), json!(6_000))
    );
    assert_eq!(days[1]["suspicious_records"], 1);
    assert_eq!(stats.body["active_users"]["total"], 2);
    assert_eq!(stats.body["active_users"]["synced_last_day"], 2);
    let backwards = t
        .call(admin::daily_stats, "GET", "/v1/admin/stats/daily")
        .bearer(&boss.access_token)
        .query("from", today)
        .query("to", yesterday)
        .send()
        .await;
    assert_eq!(backwards.status, 422);
}

#[tokio::test]
async fn the_first_admin_is_made_by_the_bootstrap_function_once() {
    let t = TestApp::new().await;
    let founder = t.register("Founder@Example.com").await;
    let event = |email: &str| BootstrapEvent {
        email: email.to_owned(),
    };
    let missing = admin::bootstrap(t.app, event("nobody@example.com"))
        .await
        .unwrap_err();
    assert_eq!(missing.status(), 404);
    let made = admin::bootstrap(t.app, event("founder@example.com"))
        .await
        .unwrap();
    assert_eq!(made["admin_id"], founder.id.to_string());
    let (action, _, id, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), id),
        ("user.bootstrap_admin", Some(founder.id))
    );
    // A fresh login carries the admin role; the admin API answers.
    let founder = t.login("founder@example.com").await;
    let settings = t
        .call(admin::list_settings, "GET", "/v1/admin/settings")
        .bearer(&founder.access_token)
        .send()
        .await;
    assert_eq!(settings.status, 200);
    let second = t.register("second@example.com").await;
    let refused = admin::bootstrap(t.app, event("second@example.com"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "admin_exists");
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(second.id)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(role, "user");
}
