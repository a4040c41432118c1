//! Nobody moves value alone: the admin changes that can pay someone (a role grant, a
//! large coin adjustment, a money or defence setting, a price pinned below the catalog)
//! wait for a second admin, who approves with a fresh authenticator code; and admins
//! prove that second factor before any admin route answers them.

use fitkart_functions::admin;
use fitkart_functions::auth::second_factor;
use fitkart_tests::{TestApp, TestResponse, User};
use serde_json::{json, Value};
use uuid::Uuid;

async fn promote(t: &TestApp, by: &User, who: Uuid) -> TestResponse {
    t.call(admin::update_user, "PATCH", "/v1/admin/users/{id}")
        .bearer(&by.access_token)
        .param("id", who)
        .json(json!({"role": "admin", "reason": "Joins the support rota"}))
        .send()
        .await
}

async fn grant(t: &TestApp, by: &User, who: Uuid, amount: i64) -> TestResponse {
    t.call(admin::adjust_coins, "POST", "/v1/admin/users/{id}/coins")
        .bearer(&by.access_token)
        .param("id", who)
        .json(json!({"amount": amount, "reason": "Prize for the November challenge"}))
        .send()
        .await
}

async fn put_setting(t: &TestApp, by: &User, key: &str, value: Value) -> TestResponse {
    t.call(admin::update_setting, "PUT", "/v1/admin/settings/{key}")
        .bearer(&by.access_token)
        .param("key", key)
        .json(json!({"value": value, "reason": "More coins for everyone"}))
        .send()
        .await
}

async fn approve_with(t: &TestApp, by: &User, request: &TestResponse, code: &str) -> TestResponse {
    t.call(
        admin::approve_change_request,
        "POST",
        "/v1/admin/change-requests/{id}/approve",
    )
    .bearer(&by.access_token)
    .param("id", request.body["id"].as_str().unwrap())
    .json(json!({ "code": code }))
    .send()
    .await
}

async fn role_of(t: &TestApp, who: Uuid) -> String {
    sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(who)
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn one_admin_cannot_promote_a_second_account_of_their_own() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let alt = t.verified("alt@example.com").await;
    let asked = promote(&t, &boss, alt.id).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert_eq!(asked.body["status"], "pending");
    assert_eq!(asked.body["kind"], "role");
    assert_eq!(asked.body["before"]["role"], "user");
    assert_eq!(asked.body["after"]["role"], "admin");
    assert_eq!(asked.body["requested_by_email"], "boss@example.com");
    assert_eq!(asked.body["reason"], "Joins the support rota");
    // With one admin only, the request waits for a second one.
    assert_eq!(asked.body["approvers_available"], 0);
    assert_eq!(role_of(&t, alt.id).await, "user");
    // The requester cannot approve it, whatever code they show.
    let own = t.approve(&boss, &asked).await;
    assert_eq!((own.status, own.code()), (403, "own_request"));
    assert_eq!(role_of(&t, alt.id).await, "user");
}

#[tokio::test]
async fn a_second_admin_approves_a_role_grant_and_it_applies_once() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    let newcomer = t.verified("newcomer@example.com").await;
    let asked = promote(&t, &boss, newcomer.id).await;
    assert_eq!(asked.body["approvers_available"], 1);
    let approved = t.approve(&ops, &asked).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["decided_by_email"], "ops@example.com");
    assert_eq!(role_of(&t, newcomer.id).await, "admin");
    // The audit entry of the change names both admins.
    let (action, admin_id, requested_by, request): (String, Uuid, Uuid, Uuid) = sqlx::query_as(
        "SELECT action, admin_id, requested_by_admin_id, change_request_id FROM admin_logs
         WHERE change_request_id IS NOT NULL",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        (action.as_str(), admin_id, requested_by),
        ("user.update", ops.id, boss.id)
    );
    assert_eq!(request.to_string(), asked.body["id"].as_str().unwrap());
    // Approving again changes nothing.
    let twice = t.approve(&ops, &asked).await;
    assert_eq!((twice.status, twice.code()), (409, "already_decided"));

    // The newcomer is an admin now, but not one who may approve for 7 days.
    let newcomer = t.login("newcomer@example.com").await;
    let newcomer = t.enrol_authenticator(&newcomer).await;
    let walker = t.verified("walker@example.com").await;
    let grant_asked = grant(&t, &boss, walker.id, 50_000).await;
    let early = t.approve(&newcomer, &grant_asked).await;
    assert_eq!((early.status, early.code()), (403, "recently_promoted"));
    assert_eq!(t.balance(walker.id).await, 100, "only the welcome bonus");
}

#[tokio::test]
async fn a_large_coin_grant_waits_for_another_admin_and_nobody_pays_themselves() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    let walker = t.verified("walker@example.com").await;
    // Small adjustments stay one admin's call.
    let small = grant(&t, &boss, walker.id, 1_000).await;
    assert_eq!(small.status, 201, "{}", small.body);
    // Large ones wait, and a requester who asks for themselves is refused at once.
    let own = grant(&t, &boss, boss.id, 1_000_000).await;
    assert_eq!((own.status, own.code()), (403, "own_account"));
    let asked = grant(&t, &boss, walker.id, 1_000_000).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert_eq!(t.balance(walker.id).await, 1_100);
    // Nor does anyone approve a grant to themselves.
    let to_ops = grant(&t, &boss, ops.id, 5_000).await;
    let self_paid = t.approve(&ops, &to_ops).await;
    assert_eq!((self_paid.status, self_paid.code()), (403, "own_account"));
    // A wrong or reused code approves nothing.
    let wrong = approve_with(&t, &ops, &asked, "000000").await;
    assert_eq!((wrong.status, wrong.code()), (422, "invalid_mfa_code"));
    let approved = t.approve(&ops, &asked).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(t.balance(walker.id).await, 1_001_100);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn money_settings_and_price_pins_below_the_catalog_wait_for_a_second_admin() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    for (key, value) in [
        ("coins_per_step", json!("100")),
        ("max_daily_coins", json!(100_000_000)),
        ("anti_cheat_enabled", json!(false)),
        ("anomaly_model_weight", json!(0)),
    ] {
        let asked = put_setting(&t, &boss, key, value).await;
        assert_eq!(asked.status, 202, "{key}: {}", asked.body);
        assert_eq!(asked.body["setting_key"], key);
    }
    let settings = t.app.settings().await.unwrap();
    assert_eq!(settings.coins_per_step.to_string(), "1");
    assert!(settings.anti_cheat_enabled);
    let asked = put_setting(&t, &boss, "coins_per_step", json!("2")).await;
    assert_eq!(asked.body["before"]["value"], "1");
    assert_eq!(asked.body["after"]["value"], "2");
    assert_eq!(t.approve(&ops, &asked).await.status, 200);
    assert_eq!(
        t.app.settings().await.unwrap().coins_per_step.to_string(),
        "2"
    );

    // A reward pinned at 1 coin (its catalog price is 25,000) waits too.
    let product = t.product("Headphones", 25_000, 5).await;
    let pin = |price: i64| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::update_reward, "PATCH", "/v1/admin/rewards/{id}")
                .bearer(&token)
                .param("id", product)
                .json(json!({"coin_price": price, "reason": "Clearance"}))
                .send()
                .await
        }
    };
    let cheap = pin(1).await;
    assert_eq!(cheap.status, 202, "{}", cheap.body);
    let price: i64 = sqlx::query_scalar("SELECT coin_price FROM reward_products WHERE id = $1")
        .bind(product)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(price, 25_000);
    // Dearer than the catalog is one admin's call.
    assert_eq!(pin(30_000).await.status, 200);
    // The requester withdraws the cheap one; it cannot be approved after that.
    let withdrawn = t
        .call(
            admin::reject_change_request,
            "POST",
            "/v1/admin/change-requests/{id}/reject",
        )
        .bearer(&boss.access_token)
        .param("id", cheap.body["id"].as_str().unwrap())
        .json(json!({"note": "Changed my mind"}))
        .send()
        .await;
    assert_eq!(withdrawn.body["status"], "withdrawn");
    let late = t.approve(&ops, &cheap).await;
    assert_eq!((late.status, late.code()), (409, "already_decided"));
}

#[tokio::test]
async fn a_change_request_expires_after_72_hours() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let ops = t.admin("ops@example.com").await;
    let walker = t.verified("walker@example.com").await;
    let asked = grant(&t, &boss, walker.id, 5_000).await;
    let expires_at: chrono::DateTime<chrono::Utc> =
        asked.body["expires_at"].as_str().unwrap().parse().unwrap();
    let requested_at: chrono::DateTime<chrono::Utc> = asked.body["requested_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires_at - requested_at, chrono::Duration::hours(72));
    sqlx::query("UPDATE change_requests SET expires_at = now() - interval '1 second'")
        .execute(&t.pool)
        .await
        .unwrap();
    let late = t.approve(&ops, &asked).await;
    assert_eq!((late.status, late.code()), (409, "change_request_expired"));
    let listed = t
        .call(
            admin::list_change_requests,
            "GET",
            "/v1/admin/change-requests",
        )
        .bearer(&ops.access_token)
        .query("status", "expired")
        .send()
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(t.balance(walker.id).await, 100);
}

#[tokio::test]
async fn admin_routes_need_the_second_factor_and_guesses_are_throttled() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let password_only = t.login("boss@example.com").await;
    let list = |user: &User| {
        let token = user.access_token.clone();
        let t = &t;
        async move {
            t.call(admin::list_settings, "GET", "/v1/admin/settings")
                .bearer(&token)
                .send()
                .await
        }
    };
    let refused = list(&password_only).await;
    assert_eq!((refused.status, refused.code()), (403, "mfa_required"));
    assert_eq!(list(&boss).await.status, 200);
    // The same code twice is refused the second time (a code read over a shoulder).
    let mut password_only = password_only;
    password_only.totp_secret = boss.totp_secret.clone();
    let code = t.fresh_code(&password_only).await;
    let step = |code: &str| {
        let token = password_only.access_token.clone();
        let code = code.to_owned();
        let t = &t;
        async move {
            t.call(second_factor, "POST", "/v1/auth/mfa")
                .bearer(&token)
                .json(json!({ "code": code }))
                .send()
                .await
        }
    };
    let first = step(&code).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let proven = User::from_session(&first.body);
    assert_eq!(list(&proven).await.status, 200);
    // The refreshed session keeps its second factor.
    let refreshed = t
        .call(fitkart_functions::auth::refresh, "POST", "/v1/auth/refresh")
        .json(json!({ "refresh_token": proven.refresh_token }))
        .send()
        .await;
    let refreshed = User {
        access_token: refreshed.body["tokens"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
        ..proven.clone()
    };
    assert_eq!(list(&refreshed).await.status, 200);
    let replay = step(&code).await;
    assert_eq!((replay.status, replay.code()), (422, "invalid_mfa_code"));
    // A recovery code works once.
    let recovery = &boss.recovery_codes[0];
    assert_eq!(step(recovery).await.status, 200);
    assert_eq!(step(recovery).await.code(), "invalid_mfa_code");
    // Guesses: five a quarter of an hour, then 429 even for the right code.
    for _ in 0..5 {
        step("123456").await;
    }
    let blocked = step(&t.fresh_code(&password_only).await).await;
    assert_eq!(blocked.status, 429, "{}", blocked.body);
}

#[tokio::test]
async fn an_authenticator_is_set_up_once_with_ten_recovery_codes() {
    let t = TestApp::new().await;
    let user = t.verified("careful@example.com").await;
    let enrolled = t.enrol_authenticator(&user).await;
    assert_eq!(enrolled.recovery_codes.len(), 10);
    let status = t
        .call(fitkart_functions::me::mfa_status, "GET", "/v1/me/mfa")
        .bearer(&enrolled.access_token)
        .send()
        .await;
    assert_eq!(status.body["totp_enrolled"], true);
    assert_eq!(status.body["recovery_codes_left"], 10);
    // A stolen password cannot replace the phone.
    let again = t
        .call(
            fitkart_functions::me::enrol_authenticator,
            "POST",
            "/v1/me/mfa/totp",
        )
        .bearer(&enrolled.access_token)
        .send()
        .await;
    assert_eq!((again.status, again.code()), (409, "mfa_already_enrolled"));
    // Only digests are kept.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1")
            .bind(user.id)
            .fetch_all(&t.pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(stored
        .iter()
        .all(|h| !enrolled.recovery_codes.contains(h) && h.len() == 64));
}
