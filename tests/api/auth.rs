//! Register, login, refresh, logout: the `auth` operations of openapi.yaml.

use fitkart_functions::auth::{login, logout, refresh, register};
use fitkart_tests::{TestApp, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn registering_creates_the_account_its_wallet_and_the_welcome_bonus() {
    let t = TestApp::new().await;
    let res = t
        .call(register, "POST", "/v1/auth/register")
        .json(json!({
            "email": "  Ann@Example.com ", "password": PASSWORD, "full_name": "Ann Walker",
            "phone": "+14155550100", "country_code": "us", "timezone": "Europe/Berlin"
        }))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let user = &res.body["user"];
    assert_eq!(user["email"], "Ann@Example.com");
    assert_eq!(user["country_code"], "US");
    assert_eq!(user["timezone"], "Europe/Berlin");
    assert_eq!(user["role"], "user");
    assert_eq!(user["auth_provider"], "email");
    assert_eq!(user["referral_code"].as_str().unwrap().len(), 8);
    assert!(user.get("password_hash").is_none());
    let tokens = &res.body["tokens"];
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(tokens["access_token"].as_str().unwrap().split('.').count() == 3);

    let id: uuid::Uuid = user["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(t.balance(id).await, 100);
    let (tx_type, amount, reference): (String, i64, String) = sqlx::query_as(
        "SELECT transaction_type, amount, reference_type FROM coin_transactions WHERE user_id = $1",
    )
    .bind(id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        (tx_type.as_str(), amount, reference.as_str()),
        ("bonus", 100, "registration")
    );
    // The password is stored as a bcrypt hash, the refresh token only as a digest.
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$2"));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens WHERE token = $1")
        .bind(tokens["refresh_token"].as_str().unwrap())
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "the raw refresh token must not be stored");
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn the_welcome_bonus_follows_its_setting() {
    let t = TestApp::new().await;
    t.set_setting("new_user_bonus_coins", "250").await;
    let user = t.register("bonus@example.com").await;
    assert_eq!(t.balance(user.id).await, 250);
    t.set_setting("new_user_bonus_coins", "0").await;
    let user = t.register("nobonus@example.com").await;
    assert_eq!(t.balance(user.id).await, 0);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn an_email_registers_once_whatever_its_case() {
    let t = TestApp::new().await;
    t.register("dup@example.com").await;
    let res = t
        .call(register, "POST", "/v1/auth/register")
        .json(json!({"email": " DUP@example.COM", "password": PASSWORD, "full_name": "Again"}))
        .send()
        .await;
    assert_eq!(res.status, 409);
    assert_eq!(res.code(), "email_taken");
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_create_one_account() {
    let t = TestApp::new().await;
    let attempts = (0..8).map(|_| {
        t.call(register, "POST", "/v1/auth/register")
            .json(json!({"email": "race@example.com", "password": PASSWORD, "full_name": "Racer"}))
            .send()
    });
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    // The others are refused: the address is taken, or its mail limit (5 an hour) spent.
    assert!(
        statuses.iter().all(|s| matches!(s, 201 | 409 | 429)),
        "{statuses:?}"
    );
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn registration_reports_every_bad_field_at_once_and_creates_nothing() {
    let t = TestApp::new().await;
    let res = t
        .call(register, "POST", "/v1/auth/register")
        .json(json!({
            "email": "not-an-email", "password": "short", "full_name": " ",
            "country_code": "XX", "timezone": "Mars/Base", "phone": "call me"
        }))
        .send()
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.code(), "validation_failed");
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "country_code",
            "email",
            "full_name",
            "password",
            "phone",
            "timezone"
        ]
    );
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn passwords_over_72_bytes_are_refused_not_truncated() {
    let t = TestApp::new().await;
    let long = "a".repeat(73);
    let res = t
        .call(register, "POST", "/v1/auth/register")
        .json(json!({"email": "long@example.com", "password": long, "full_name": "Long"}))
        .send()
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.error_fields(), ["password"]);
    // Exactly 72 bytes is fine, and the 73rd byte is not silently dropped at login.
    let exact = "a".repeat(72);
    let res = t
        .call(register, "POST", "/v1/auth/register")
        .json(json!({"email": "long@example.com", "password": exact, "full_name": "Long"}))
        .send()
        .await;
    assert_eq!(res.status, 201);
    let res = t
        .call(login, "POST", "/v1/auth/login")
        .json(json!({"email": "long@example.com", "password": format!("{exact}b")}))
        .send()
        .await;
    assert_eq!(res.status, 401);
}

#[tokio::test]
async fn a_referral_code_links_the_referrer_and_an_unknown_one_is_refused() {
    let t = TestApp::new().await;
    let referrer = t.register("referrer@example.com").await;
    let code: String = sqlx::query_scalar("SELECT referral_code FROM users WHERE id = $1")
        .bind(referrer.id)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let res = t
        .call(register, "POST", "/v1/auth/register")
        .json(
            json!({"email": "friend@example.com", "password": PASSWORD, "full_name": "Friend",
                     "referral_code": code.to_lowercase()}),
        )
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let linked: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT referred_by_user_id FROM users WHERE email = $1")
            .bind("friend@example.com")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(linked, Some(referrer.id));

    let res = t
        .call(register, "POST", "/v1/auth/register")
        .json(
            json!({"email": "stranger@example.com", "password": PASSWORD, "full_name": "Stranger",
                     "referral_code": "NOSUCHCODE"}),
        )
        .send()
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.error_fields(), ["referral_code"]);
}

#[tokio::test]
async fn login_returns_a_session_and_records_the_time() {
    let t = TestApp::new().await;
    let user = t.register("walker@example.com").await;
    let res = t
        .call(login, "POST", "/v1/auth/login")
        .json(json!({"email": "WALKER@example.com ", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["id"], user.id.to_string());
    assert!(res.body["user"]["last_login_at"].is_string());
    assert_ne!(
        res.body["tokens"]["refresh_token"],
        user.refresh_token.as_str()
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_identical_answers() {
    let t = TestApp::new().await;
    t.register("known@example.com").await;
    let wrong_password = t
        .call(login, "POST", "/v1/auth/login")
        .json(json!({"email": "known@example.com", "password": "wrong password"}))
        .send()
        .await;
    let unknown_email = t
        .call(login, "POST", "/v1/auth/login")
        .json(json!({"email": "unknown@example.com", "password": "wrong password"}))
        .send()
        .await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.code(), "invalid_credentials");
    assert_eq!(wrong_password.status, unknown_email.status);
    assert_eq!(wrong_password.raw, unknown_email.raw);
}

#[tokio::test]
async fn deleted_and_deactivated_accounts_cannot_log_in() {
    let t = TestApp::new().await;
    let user = t.register("inactive@example.com").await;
    t.deactivate(user.id).await;
    let res = t
        .call(login, "POST", "/v1/auth/login")
        .json(json!({"email": "inactive@example.com", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (401, "invalid_credentials"));

    let user = t.register("gone@example.com").await;
    let res = t
        .call(fitkart_functions::me::delete, "DELETE", "/v1/me")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(res.status, 204);
    let res = t
        .call(login, "POST", "/v1/auth/login")
        .json(json!({"email": "gone@example.com", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (401, "invalid_credentials"));
}

#[tokio::test]
async fn five_failed_logins_lock_the_email_for_the_window() {
    let t = TestApp::new().await;
    t.register("locked@example.com").await;
    for _ in 0..5 {
        let res = t
            .call(login, "POST", "/v1/auth/login")
            .json(json!({"email": "locked@example.com", "password": "wrong password"}))
            .send()
            .await;
        assert_eq!(res.status, 401);
    }
    // Even the right password is refused while locked, with a Retry-After.
    let res = t
        .call(login, "POST", "/v1/auth/login")
        .json(json!({"email": "Locked@example.com", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (429, "too_many_requests"));
    let retry_after: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (800..=900).contains(&retry_after),
        "retry-after {retry_after}"
    );
    // Other emails are unaffected.
    t.register("other@example.com").await;
    t.login("other@example.com").await;
    // When the window has passed, the right password works again and resets the count.
    sqlx::query("UPDATE login_attempts SET attempted_at = attempted_at - interval '16 minutes'")
        .execute(&t.pool)
        .await
        .unwrap();
    t.login("locked@example.com").await;
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM login_attempts WHERE email = 'locked@example.com'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn concurrent_guessing_gets_at_most_five_password_checks() {
    let t = TestApp::new().await;
    t.register("target@example.com").await;
    let guesses = (0..20).map(|i| {
        t.call(login, "POST", "/v1/auth/login")
            .json(json!({"email": "target@example.com", "password": format!("guess number {i}")}))
            .send()
    });
    let statuses: Vec<u16> = futures::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        checked <= 5,
        "{checked} guesses reached the password check: {statuses:?}"
    );
    assert_eq!(checked + refused, 20, "{statuses:?}");
}

#[tokio::test]
async fn refresh_rotates_the_token_pair() {
    let t = TestApp::new().await;
    let user = t.register("rotate@example.com").await;
    let res = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh_token}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let tokens = &res.body["tokens"];
    assert_ne!(tokens["refresh_token"], user.refresh_token.as_str());
    let me = t
        .call(fitkart_functions::me::get, "GET", "/v1/me")
        .bearer(tokens["access_token"].as_str().unwrap())
        .send()
        .await;
    assert_eq!(me.status, 200);
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_whole_family() {
    let t = TestApp::new().await;
    let user = t.register("theft@example.com").await;
    let first = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh_token}))
        .send()
        .await;
    assert_eq!(first.status, 200);
    let successor = first.body["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Someone replays the old token: refused, and the legitimate successor dies with it.
    let replay = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh_token}))
        .send()
        .await;
    assert_eq!(
        (replay.status, replay.code()),
        (401, "invalid_refresh_token")
    );
    let res = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": successor}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (401, "invalid_refresh_token"));
    // Another login's family is untouched.
    let other = t.login("theft@example.com").await;
    let res = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": other.refresh_token}))
        .send()
        .await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn unknown_and_expired_refresh_tokens_are_refused() {
    let t = TestApp::new().await;
    let user = t.register("expired@example.com").await;
    let res = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": "nope"}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (401, "invalid_refresh_token"));
    sqlx::query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
        .execute(&t.pool)
        .await
        .unwrap();
    let res = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh_token}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (401, "invalid_refresh_token"));
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_always_answers_204() {
    let t = TestApp::new().await;
    let user = t.register("bye@example.com").await;
    let res = t
        .call(logout, "POST", "/v1/auth/logout")
        .json(json!({"refresh_token": user.refresh_token}))
        .send()
        .await;
    assert_eq!(res.status, 204);
    assert!(res.raw.is_empty());
    let res = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh_token}))
        .send()
        .await;
    assert_eq!(res.status, 401);
    let res = t
        .call(logout, "POST", "/v1/auth/logout")
        .json(json!({"refresh_token": "unknown"}))
        .send()
        .await;
    assert_eq!(res.status, 204);
    let res = t
        .call(logout, "POST", "/v1/auth/logout")
        .raw_body("{")
        .send()
        .await;
    assert_eq!(res.status, 400);
}

#[tokio::test]
async fn a_refresh_token_of_a_deleted_account_is_refused() {
    let t = TestApp::new().await;
    let user = t.register("deleted@example.com").await;
    t.deactivate(user.id).await;
    let res = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh_token}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (401, "invalid_refresh_token"));
}
