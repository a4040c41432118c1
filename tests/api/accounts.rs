//! The account lifecycle (openapi.yaml, docs/design.md), end to end through the handlers with real mail:
//! every mail goes through SES v2 on the emulator and its link is read back from it.
//! Email verification, resend, password forgot/reset, password change, email change,
//! login throttling per source, redemption needing a confirmed email, and deletion.

use fitkart::audit::ActorKind;
use fitkart::orders::{workflow, Change, Status};
use fitkart_functions::auth::{
    forgot_password, login, refresh, resend_verification, reset_password, verify_email,
};
use fitkart_functions::me::{change_email, change_password};
use fitkart_tests::mail::{self, SENDER};
use fitkart_tests::{test_config, TestApp, TestResponse, User, PASSWORD};
use serde_json::json;

async fn verify(t: &TestApp, token: &str) -> TestResponse {
    t.call(verify_email, "POST", "/v1/auth/email/verify")
        .json(json!({ "token": token }))
        .send()
        .await
}

async fn forgot(t: &TestApp, email: &str) -> TestResponse {
    t.call(forgot_password, "POST", "/v1/auth/password/forgot")
        .json(json!({ "email": email }))
        .send()
        .await
}

async fn reset(t: &TestApp, token: &str, password: &str) -> TestResponse {
    t.call(reset_password, "POST", "/v1/auth/password/reset")
        .json(json!({ "token": token, "password": password }))
        .send()
        .await
}

async fn login_as(t: &TestApp, email: &str, password: &str, ip: &str) -> TestResponse {
    t.call(login, "POST", "/v1/auth/login")
        .source_ip(ip)
        .json(json!({ "email": email, "password": password }))
        .send()
        .await
}

async fn me(t: &TestApp, user: &User) -> TestResponse {
    t.call(fitkart_functions::me::get, "GET", "/v1/me")
        .bearer(&user.access_token)
        .send()
        .await
}

#[tokio::test]
async fn registration_mails_a_link_that_confirms_the_email_once() {
    let t = TestApp::new().await;
    let ann = t.register("Ann@Example.com").await;
    assert_eq!(me(&t, &ann).await.body["email_verified"], false);

    let mails = mail::sent_to("Ann@Example.com").await;
    let mail = mails
        .iter()
        .find(|m| m.token(&t.link_base, "verify-email").is_some())
        .expect("a verification mail");
    assert_eq!(mail.subject, "Confirm your email for FitKart");
    assert_eq!(mail.from, SENDER);
    assert!(
        mail.html.contains("Test Walker"),
        "the mail greets the person"
    );
    let token = mail.token(&t.link_base, "verify-email").unwrap();
    assert!(token.len() >= 43, "at least 256 bits, base64url");

    let verified = verify(&t, &token).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.body["email_verified"], true);
    assert_eq!(verified.body["id"], ann.id.to_string());
    assert_eq!(me(&t, &ann).await.body["email_verified"], true);

    let again = verify(&t, &token).await;
    assert_eq!((again.status, again.code()), (422, "invalid_token"));
    let unknown = verify(&t, "not-a-token-anyone-was-sent").await;
    assert_eq!((unknown.status, unknown.code()), (422, "invalid_token"));
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM account_tokens WHERE token_hash = $1 OR token_hash = $2",
    )
    .bind(&token)
    .bind(fitkart::secret_token::digest(&token))
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(stored, 1, "only the digest is stored, never the token");
}

#[tokio::test]
async fn verification_links_expire_after_a_day_and_a_resend_replaces_the_old_one() {
    let t = TestApp::new().await;
    let bea = t.register("bea@example.com").await;
    let first = t.mailed_token("bea@example.com", "verify-email").await;

    let resend = || async {
        t.call(resend_verification, "POST", "/v1/auth/email/resend")
            .bearer(&bea.access_token)
            .send()
            .await
    };
    assert_eq!(resend().await.status, 202);
    let second = t.mailed_token("bea@example.com", "verify-email").await;
    assert_ne!(first, second);
    assert_eq!(verify(&t, &first).await.code(), "invalid_token");

    // The newest link, a day and a minute later, has expired too.
    sqlx::query("UPDATE account_tokens SET expires_at = now() - interval '1 minute'")
        .execute(&t.pool)
        .await
        .unwrap();
    assert_eq!(verify(&t, &second).await.code(), "invalid_token");

    // Three mails an hour: two more resends, then 429 with Retry-After.
    assert_eq!(resend().await.status, 202);
    assert_eq!(resend().await.status, 202);
    let limited = resend().await;
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
    let token = t.mailed_token("bea@example.com", "verify-email").await;
    assert_eq!(verify(&t, &token).await.status, 200);
    let done = t
        .call(resend_verification, "POST", "/v1/auth/email/resend")
        .bearer(&bea.access_token)
        .send()
        .await;
    assert_eq!((done.status, done.code()), (409, "already_verified"));
}

#[tokio::test]
async fn a_mail_that_cannot_be_sent_is_a_503_and_leaves_no_account_behind() {
    // A sender that is not an identity on SES: every send is refused.
    let mut config = test_config();
    config.mail.as_mut().unwrap().from = "FitKart <nobody@unverified.example>".into();
    let t = TestApp::with_config(config).await;
    let res = t
        .call(
            fitkart_functions::auth::register,
            "POST",
            "/v1/auth/register",
        )
        .json(json!({"email": "cara@example.com", "password": PASSWORD, "full_name": "Cara"}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (503, "service_unavailable"));
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 0, "registering again will work");
}

#[tokio::test]
async fn forgot_answers_the_same_for_any_email_and_mails_only_real_accounts() {
    let t = TestApp::new().await;
    t.register("dan@example.com").await;
    let known = forgot(&t, "DAN@example.com").await;
    let unknown = forgot(&t, "nobody-here@example.com").await;
    assert_eq!((known.status, known.raw.as_str()), (202, ""));
    assert_eq!((unknown.status, unknown.raw.as_str()), (202, ""));
    assert!(mail::sent_to("nobody-here@example.com").await.is_empty());
    let reset_mail = mail::sent_to("dan@example.com")
        .await
        .into_iter()
        .find(|m| m.token(&t.link_base, "reset-password").is_some())
        .expect("a reset mail");
    assert_eq!(reset_mail.subject, "Reset your FitKart password");

    // Three an hour per address, whether or not it has an account.
    for _ in 0..2 {
        assert_eq!(forgot(&t, "nobody-here@example.com").await.status, 202);
    }
    let limited = forgot(&t, "nobody-here@example.com").await;
    assert_eq!(limited.status, 429);
    assert_eq!(forgot(&t, "bad address").await.status, 422);
}

#[tokio::test]
async fn one_source_cannot_ask_for_resets_of_every_address() {
    let t = TestApp::new().await;
    for i in 0..20 {
        assert_eq!(forgot(&t, &format!("p{i}@example.com")).await.status, 202);
    }
    let limited = forgot(&t, "p20@example.com").await;
    assert_eq!(limited.status, 429);
    let elsewhere = t
        .call(forgot_password, "POST", "/v1/auth/password/forgot")
        .source_ip("198.51.100.9")
        .json(json!({ "email": "p20@example.com" }))
        .send()
        .await;
    assert_eq!(elsewhere.status, 202, "another source is not limited");
}

#[tokio::test]
async fn a_reset_sets_the_password_ends_every_session_and_lifts_the_login_lock() {
    let t = TestApp::new().await;
    let eve = t.register("eve@example.com").await;
    let other_session = t.login("eve@example.com").await;
    // Lock the email from this source: five wrong passwords, then even the right one is 429.
    for _ in 0..5 {
        let res = login_as(&t, "eve@example.com", "wrong password!", "203.0.113.7").await;
        assert_eq!(res.status, 401);
    }
    assert_eq!(
        login_as(&t, "eve@example.com", PASSWORD, "203.0.113.7")
            .await
            .status,
        429
    );

    assert_eq!(forgot(&t, "eve@example.com").await.status, 202);
    let token = t.mailed_token("eve@example.com", "reset-password").await;
    let weak = reset(&t, &token, "short").await;
    assert_eq!(
        (weak.status, weak.error_fields()),
        (422, vec!["password".to_owned()])
    );
    assert_eq!(reset(&t, &token, "a brand new password").await.status, 204);
    assert_eq!(
        reset(&t, &token, "another new password").await.code(),
        "invalid_token"
    );

    for session in [&eve, &other_session] {
        let res = t
            .call(refresh, "POST", "/v1/auth/refresh")
            .json(json!({ "refresh_token": session.refresh_token }))
            .send()
            .await;
        assert_eq!(res.status, 401, "every session ended");
    }
    assert_eq!(
        login_as(&t, "eve@example.com", PASSWORD, "203.0.113.7")
            .await
            .status,
        401,
        "the old password is gone and the lock was lifted"
    );
    let fresh = login_as(&t, "eve@example.com", "a brand new password", "203.0.113.7").await;
    assert_eq!(fresh.status, 200);
    assert_eq!(
        fresh.body["user"]["email_verified"], true,
        "the reset mail proved the inbox"
    );
}

#[tokio::test]
async fn reset_links_last_thirty_minutes() {
    let t = TestApp::new().await;
    t.register("fay@example.com").await;
    forgot(&t, "fay@example.com").await;
    let token = t.mailed_token("fay@example.com", "reset-password").await;
    let lifetime: f64 = sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM expires_at - created_at)::float8 FROM account_tokens WHERE purpose = 'reset_password'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(lifetime, 1_800.0);
    sqlx::query("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
        .execute(&t.pool)
        .await
        .unwrap();
    assert_eq!(
        reset(&t, &token, "too late for this").await.code(),
        "invalid_token"
    );
    t.login("fay@example.com").await;
}

#[tokio::test]
async fn a_strangers_wrong_passwords_lock_out_only_the_stranger() {
    let t = TestApp::new().await;
    t.register("gus@example.com").await;
    for _ in 0..6 {
        login_as(&t, "gus@example.com", "guessing123", "198.51.100.66").await;
    }
    assert_eq!(
        login_as(&t, "gus@example.com", PASSWORD, "198.51.100.66")
            .await
            .status,
        429
    );
    assert_eq!(
        login_as(&t, "gus@example.com", PASSWORD, "203.0.113.7")
            .await
            .status,
        200,
        "the owner, from their own network, still gets in"
    );

    // Guesses spread over many sources still hit the per-email ceiling (20).
    for i in 0..16 {
        login_as(
            &t,
            "gus@example.com",
            "guessing123",
            &format!("192.0.2.{i}"),
        )
        .await;
    }
    let locked = login_as(&t, "gus@example.com", PASSWORD, "203.0.113.7").await;
    assert_eq!(locked.status, 429);
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_and_keeps_the_caller_signed_in() {
    let t = TestApp::new().await;
    let hal = t.register("hal@example.com").await;
    let laptop = t.login("hal@example.com").await;
    let change = |current: &str, new: &str| {
        let body = json!({"current_password": current, "new_password": new});
        t.call(change_password, "POST", "/v1/me/password")
            .bearer(&hal.access_token)
            .json(body)
            .send()
    };
    let wrong = change("not my password", "whatever works").await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"));
    let weak = change(PASSWORD, "short").await;
    assert_eq!(weak.error_fields(), vec!["new_password".to_owned()]);

    let changed = change(PASSWORD, "a much better password").await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let fresh_refresh = changed.body["tokens"]["refresh_token"].as_str().unwrap();
    for old in [&hal.refresh_token, &laptop.refresh_token] {
        let res = t
            .call(refresh, "POST", "/v1/auth/refresh")
            .json(json!({ "refresh_token": old }))
            .send()
            .await;
        assert_eq!(res.status, 401);
    }
    let res = t
        .call(refresh, "POST", "/v1/auth/refresh")
        .json(json!({ "refresh_token": fresh_refresh }))
        .send()
        .await;
    assert_eq!(res.status, 200, "the returned pair is live");
    assert_eq!(
        login_as(
            &t,
            "hal@example.com",
            "a much better password",
            "203.0.113.7"
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn an_email_change_applies_only_when_the_new_address_confirms_it() {
    let t = TestApp::new().await;
    let ida = t.verified("ida@example.com").await;
    t.register("taken@example.com").await;
    let ask = |email: &str, password: &str| {
        let body = json!({"email": email, "password": password});
        t.call(change_email, "POST", "/v1/me/email")
            .bearer(&ida.access_token)
            .json(body)
            .send()
    };
    assert_eq!(
        ask("new@example.com", "wrong password").await.code(),
        "invalid_credentials"
    );
    let taken = ask("Taken@example.com", PASSWORD).await;
    assert_eq!((taken.status, taken.code()), (409, "email_taken"));
    assert_eq!(ask("not an email", PASSWORD).await.status, 422);

    assert_eq!(ask("ida.new@example.com", PASSWORD).await.status, 202);
    let confirm = mail::sent_to("ida.new@example.com").await;
    assert_eq!(confirm[0].subject, "Confirm your new email for FitKart");
    assert_eq!(
        me(&t, &ida).await.body["email"],
        "ida@example.com",
        "nothing changes before the new address confirms"
    );

    let token = t.mailed_token("ida.new@example.com", "verify-email").await;
    let done = verify(&t, &token).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["email"], "ida.new@example.com");
    assert_eq!(done.body["email_verified"], true);
    let notice = mail::sent_to("ida@example.com").await;
    assert_eq!(notice[0].subject, "Your FitKart email was changed");
    assert!(notice[0].html.contains("ida.new@example.com"));
    assert_eq!(
        login_as(&t, "ida.new@example.com", PASSWORD, "203.0.113.7")
            .await
            .status,
        200
    );
    assert_eq!(
        login_as(&t, "ida@example.com", PASSWORD, "203.0.113.7")
            .await
            .status,
        401
    );
    // The old address is free again.
    t.register("ida@example.com").await;
}

#[tokio::test]
async fn redemption_needs_a_confirmed_email_checked_before_anything_else() {
    let t = TestApp::new().await;
    let jo = t.register("jo@example.com").await;
    // No Idempotency-Key, no body: the email comes first.
    let res = t
        .call(fitkart_functions::orders::create, "POST", "/v1/orders")
        .bearer(&jo.access_token)
        .send()
        .await;
    assert_eq!((res.status, res.code()), (403, "email_unverified"));
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    t.confirm_email("jo@example.com").await;
    let product = t.product("Bottle", 50, 5).await;
    t.order(&jo, "first", &[(product, 1)]).await;
}

#[tokio::test]
async fn deleting_an_account_forgets_its_tokens_responses_and_settled_addresses() {
    let t = TestApp::new().await;
    let kim = t.verified("kim@example.com").await;
    let product = t.product("Cap", 100, 5).await;
    t.grant(kim.id, 1_000).await;
    let shipped = t.order(&kim, "k1", &[(product, 1)]).await;
    let open = t.order(&kim, "k2", &[(product, 1)]).await;
    for status in [
        Status::Confirmed,
        Status::Processing,
        Status::Shipped,
        Status::Delivered,
    ] {
        let mut tx = t.pool.begin().await.unwrap();
        let change = Change {
            to: Some(status),
            tracking_number: None,
            notes: None,
            ..Change::default()
        };
        workflow::by_integration(&mut tx, ActorKind::System, shipped, &change, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    forgot(&t, "kim@example.com").await;

    let res = t
        .call(fitkart_functions::me::delete, "DELETE", "/v1/me")
        .bearer(&kim.access_token)
        .send()
        .await;
    assert_eq!(res.status, 204);
    let (tokens, keys): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM account_tokens), (SELECT count(*) FROM idempotency_keys)",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!((tokens, keys), (0, 0));
    let address = |id| {
        sqlx::query_scalar::<_, serde_json::Value>(
            "SELECT shipping_address FROM orders WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&t.pool)
    };
    let settled = address(shipped).await.unwrap();
    assert_eq!(settled["line1"], "redacted");
    assert_eq!(settled["name"], "Deleted user");
    assert_eq!(settled["country"], "US", "the country stays for statistics");
    assert_eq!(
        address(open).await.unwrap()["line1"],
        "1 Main St",
        "an order still to ship keeps its address"
    );
    t.assert_ledger_invariants().await;
}
