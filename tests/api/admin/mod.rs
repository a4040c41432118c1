//! The admin API: the guard on every route, the audit row of every mutation (and none for
//! a refused one), the review queue crediting exactly once, typed settings that take
//! effect at once, orders through the state machine, and making the first admin. This
//! file holds the route table, the helpers, the guard and the first admin; each area has
//! its own file beside it.

mod audit;
mod catalog;
mod review;
mod settings;
mod users;

use chrono::Days;
use fitkart::http::{Request, Response};
use fitkart::App;
use fitkart_functions::admin::{self, BootstrapEvent};
use fitkart_functions::steps;
use fitkart_tests::{Pipeline, TestApp, TestResponse, User};
use futures::future::join_all;
use serde_json::{json, Value};
use uuid::Uuid;

pub type Handler =
    fn(&'static App, Request) -> futures::future::BoxFuture<'static, fitkart::Result<Response>>;

/// One admin route with arguments an admin call succeeds with.
pub struct Route {
    pub name: &'static str,
    pub handler: Handler,
    pub method: &'static str,
    pub path: &'static str,
    pub params: Vec<(&'static str, String)>,
    pub body: Option<Value>,
}

/// Every admin route, with arguments an admin call succeeds with.
pub fn routes(user: Uuid, order: Uuid, product: Uuid, validation: Uuid) -> Vec<Route> {
    macro_rules! h {
        ($f:path) => {
            (|app, req| Box::pin($f(app, req))) as Handler
        };
    }
    vec![
        Route {
            name: "validations",
            handler: h!(admin::list_validations),
            method: "GET",
            path: "/v1/admin/validations",
            params: vec![],
            body: None,
        },
        Route {
            name: "review",
            handler: h!(admin::review_validation),
            method: "POST",
            path: "/v1/admin/validations/{id}/review",
            params: vec![("id", validation.to_string())],
            body: Some(json!({"decision": "reject", "note": "guard check"})),
        },
        Route {
            name: "users",
            handler: h!(admin::list_users),
            method: "GET",
            path: "/v1/admin/users",
            params: vec![],
            body: None,
        },
        Route {
            name: "user",
            handler: h!(admin::get_user),
            method: "GET",
            path: "/v1/admin/users/{id}",
            params: vec![("id", user.to_string())],
            body: None,
        },
        Route {
            name: "update user",
            handler: h!(admin::update_user),
            method: "PATCH",
            path: "/v1/admin/users/{id}",
            params: vec![("id", user.to_string())],
            body: Some(json!({"is_active": true})),
        },
        Route {
            name: "coins",
            handler: h!(admin::adjust_coins),
            method: "POST",
            path: "/v1/admin/users/{id}/coins",
            params: vec![("id", user.to_string())],
            body: Some(json!({"amount": 5, "reason": "guard check"})),
        },
        Route {
            name: "orders",
            handler: h!(admin::list_orders),
            method: "GET",
            path: "/v1/admin/orders",
            params: vec![],
            body: None,
        },
        Route {
            name: "update order",
            handler: h!(admin::update_order),
            method: "PATCH",
            path: "/v1/admin/orders/{id}",
            params: vec![("id", order.to_string())],
            body: Some(json!({"status": "confirmed"})),
        },
        Route {
            name: "update reward",
            handler: h!(admin::update_reward),
            method: "PATCH",
            path: "/v1/admin/rewards/{id}",
            params: vec![("id", product.to_string())],
            body: Some(json!({"popularity_rank": 3})),
        },
        Route {
            name: "settings",
            handler: h!(admin::list_settings),
            method: "GET",
            path: "/v1/admin/settings",
            params: vec![],
            body: None,
        },
        Route {
            name: "update setting",
            handler: h!(admin::update_setting),
            method: "PUT",
            path: "/v1/admin/settings/{key}",
            params: vec![("key", "daily_step_goal".to_owned())],
            body: Some(json!({"value": 9000, "reason": "A lower goal for the winter"})),
        },
        Route {
            name: "logs",
            handler: h!(admin::list_logs),
            method: "GET",
            path: "/v1/admin/logs",
            params: vec![],
            body: None,
        },
        Route {
            name: "anomaly models",
            handler: h!(admin::list_anomaly_models),
            method: "GET",
            path: "/v1/admin/anomaly-models",
            params: vec![],
            body: None,
        },
        Route {
            name: "stats",
            handler: h!(admin::daily_stats),
            method: "GET",
            path: "/v1/admin/stats/daily",
            params: vec![],
            body: None,
        },
        Route {
            name: "challenges",
            handler: h!(fitkart_functions::challenges::admin_list),
            method: "GET",
            path: "/v1/admin/challenges",
            params: vec![],
            body: None,
        },
        Route {
            name: "gifts",
            handler: h!(fitkart_functions::giving::admin_list_gifts),
            method: "GET",
            path: "/v1/admin/gifts",
            params: vec![],
            body: None,
        },
        Route {
            name: "campaigns",
            handler: h!(fitkart_functions::giving::admin_list_campaigns),
            method: "GET",
            path: "/v1/admin/campaigns",
            params: vec![],
            body: None,
        },
    ]
}

pub async fn call_route(t: &TestApp, route: &Route, token: Option<&str>) -> TestResponse {
    let mut call = t.call(route.handler, route.method, route.path);
    for (name, value) in &route.params {
        call = call.param(name, value);
    }
    if let Some(token) = token {
        call = call.bearer(token);
    }
    if let Some(body) = &route.body {
        call = call.json(body.clone());
    }
    call.send().await
}

pub async fn audit_rows(t: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM admin_logs")
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

pub async fn last_audit(
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
pub async fn held_record(t: &TestApp, pipeline: &Pipeline, user: &User, days_ago: u64) -> Uuid {
    let date = fitkart_tests::now().date_naive() - Days::new(days_ago);
    t.sync_days(
        user,
        None,
        vec![
            json!({"date": date, "steps": 60_000, "source": "health_connect",
                    "distance_km": 45.0, "calories": 2400.0}),
        ],
    )
    .await;
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
    assert_eq!(routes.len(), 17);
    for route in &routes {
        let before = audit_rows(&t).await;
        let anonymous = call_route(&t, route, None).await;
        assert_eq!(
            (anonymous.status, anonymous.code()),
            (401, "unauthorized"),
            "{}",
            route.name
        );
        let user = call_route(&t, route, Some(&walker.access_token)).await;
        assert_eq!(
            (user.status, user.code()),
            (403, "forbidden"),
            "{}",
            route.name
        );
        assert_eq!(
            audit_rows(&t).await,
            before,
            "{}: refused calls leave no audit row",
            route.name
        );
        let admin = call_route(&t, route, Some(&boss.access_token)).await;
        assert!(
            // A money setting answers with the change request a second admin approves.
            (200..=202).contains(&admin.status),
            "{}: {} {}",
            route.name,
            admin.status,
            admin.body
        );
        let mutation = route.method != "GET";
        assert_eq!(
            audit_rows(&t).await,
            before + i64::from(mutation),
            "{}",
            route.name
        );
        if mutation {
            let (_, _, _, _, ip, agent, admin_id) = last_audit(&t).await;
            assert_eq!(ip.as_deref(), Some("203.0.113.7"), "{}", route.name);
            assert_eq!(agent.as_deref(), Some("fitkart-tests"), "{}", route.name);
            assert_eq!(admin_id, boss.id);
        }
    }
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_demoted_admins_still_valid_token_is_refused() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
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
        .json(json!({"role": "user", "reason": "Left the support team"}))
        .send()
        .await;
    assert_eq!(
        demote.status, 202,
        "a second admin applies it: {}",
        demote.body
    );
    assert_eq!(settings(deputy.access_token.clone()).await.status, 200);
    let request: Uuid = demote.body["id"].as_str().unwrap().parse().unwrap();
    let approved = t
        .call(
            admin::approve_change_request,
            "POST",
            "/v1/admin/change-requests/{id}/approve",
        )
        .bearer(&ops.access_token)
        .param("id", request)
        .json(json!({ "code": t.fresh_code(&ops).await }))
        .send()
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    // The deputy's access token has not expired, but it was issued before a role change.
    let refused = settings(deputy.access_token.clone()).await;
    assert_eq!((refused.status, refused.code()), (401, "unauthorized"));
    let (action, entity, id, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str(), id),
        ("user.update", "user", Some(deputy.id))
    );
    assert_eq!(changes["before"]["role"], "admin");
    assert_eq!(changes["after"]["role"], "user");

    let rows = audit_rows(&t).await;
    let bad = t
        .call(admin::update_user, "PATCH", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", deputy.id)
        .json(json!({"role": "superuser", "reason": "x"}))
        .send()
        .await;
    assert_eq!(
        (bad.status, bad.error_fields()),
        (422, vec!["role".to_owned()])
    );
    assert_eq!(audit_rows(&t).await, rows);
}

#[tokio::test]
async fn admins_cannot_switch_themselves_off_and_never_all_at_once() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    let deactivate = |by: &User, who: Uuid| {
        let token = by.access_token.clone();
        let t = &t;
        async move {
            t.call(admin::update_user, "PATCH", "/v1/admin/users/{id}")
                .bearer(&token)
                .param("id", who)
                .json(json!({"is_active": false}))
                .send()
                .await
        }
    };
    let rows = audit_rows(&t).await;
    let own = deactivate(&boss, boss.id).await;
    assert_eq!((own.status, own.code()), (403, "own_account"));
    assert_eq!(audit_rows(&t).await, rows, "a refusal leaves no audit row");
    // Two admins deactivating each other at the same moment: one of them stays.
    let (a, b) = tokio::join!(deactivate(&boss, ops.id), deactivate(&ops, boss.id));
    let statuses = [
        (a.status, a.code().to_owned()),
        (b.status, b.code().to_owned()),
    ];
    assert!(
        statuses.contains(&(200, String::new()))
            && statuses
                .iter()
                .any(|(s, c)| (*s, c.as_str()) == (409, "last_admin") || *s == 401),
        "{statuses:?}"
    );
    let active: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin' AND is_active")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(active, 1);
}

#[tokio::test]
async fn the_first_admins_are_made_by_the_bootstrap_function_twice_at_most() {
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
    let (action, entity, id, changes, actor) =
        sqlx::query_as::<_, (String, String, Option<Uuid>, Value, String)>(
            "SELECT action, entity_type, entity_id, changes, actor FROM admin_logs ORDER BY created_at DESC LIMIT 1",
        )
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(
        actor, "system",
        "the operator's function, not an admin's click"
    );
    assert_eq!(
        (action.as_str(), entity.as_str(), id),
        ("user.bootstrap_admin", "user", Some(founder.id))
    );
    assert_eq!(changes["after"]["role"], "admin");
    // The session from before the role does not carry it: sign in again, with the second
    // factor, and the admin API answers.
    let stale = t
        .call(admin::list_settings, "GET", "/v1/admin/settings")
        .bearer(&founder.access_token)
        .send()
        .await;
    assert_eq!(stale.status, 401);
    let founder = t.login("founder@example.com").await;
    let no_factor = t
        .call(admin::list_settings, "GET", "/v1/admin/settings")
        .bearer(&founder.access_token)
        .send()
        .await;
    assert_eq!((no_factor.status, no_factor.code()), (403, "mfa_required"));
    let founder = t.enrol_authenticator(&founder).await;
    let settings = t
        .call(admin::list_settings, "GET", "/v1/admin/settings")
        .bearer(&founder.access_token)
        .send()
        .await;
    assert_eq!(settings.status, 200);
    // A second admin, so that there is someone to approve the first one's requests.
    t.register("second@example.com").await;
    admin::bootstrap(t.app, event("second@example.com"))
        .await
        .unwrap();
    let third = t.register("third@example.com").await;
    let refused = admin::bootstrap(t.app, event("third@example.com"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "admin_exists");
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(third.id)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(role, "user");
}
