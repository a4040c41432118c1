//! The account attacks of v1.2's accounts issue, each refused end to end, each beside its
//! honest twin: a credential change ends everything issued before it (sessions, access
//! tokens, pending mailed links), the "this wasn't me" link of the notice, mail that
//! cannot be sprayed, per-source limits on the routes nobody signs in for, days fixed in
//! time across time-zone changes, and outages answered as outages.

use fitkart_functions::auth::{
    forgot_password, login, reset_password, secure_account, verify_email,
};
use fitkart_functions::me::{change_email, change_password};
use fitkart_tests::mail;
use fitkart_tests::{days_ago, phone_day, TestApp, TestResponse, User, PASSWORD};
use serde_json::json;

async fn me(t: &TestApp, user: &User) -> TestResponse {
    t.call(fitkart_functions::me::get, "GET", "/v1/me")
        .bearer(&user.access_token)
        .send()
        .await
}

async fn verify(t: &TestApp, token: &str) -> TestResponse {
    t.call(verify_email, "POST", "/v1/auth/email/verify")
        .json(json!({ "token": token }))
        .send()
        .await
}

async fn ask_email_change(t: &TestApp, user: &User, to: &str) -> TestResponse {
    t.call(change_email, "POST", "/v1/me/email")
        .bearer(&user.access_token)
        .json(json!({ "email": to, "password": PASSWORD }))
        .send()
        .await
}

async fn new_password(t: &TestApp, user: &User, password: &str) -> TestResponse {
    t.call(change_password, "POST", "/v1/me/password")
        .bearer(&user.access_token)
        .json(json!({ "current_password": PASSWORD, "new_password": password }))
        .send()
        .await
}

#[tokio::test]
async fn a_password_change_voids_a_pending_email_change_and_every_token() {
    let t = TestApp::new().await;
    let owner = t.verified("owner@example.com").await;
    // The attacker signed in with the stolen password and asked for their own address.
    let attacker = t.login("owner@example.com").await;
    let asked = ask_email_change(&t, &attacker, "thief@example.net").await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let stolen_link = t.mailed_token("thief@example.net", "verify-email").await;
    // The owner's inbox heard of it at once, with the way to stop it.
    let notice = mail::sent_to("owner@example.com").await;
    assert!(notice[0].subject.contains("change your FitKart email"));
    assert!(notice[0].token(&t.link_base, "secure-account").is_some());

    // The owner changes the password and keeps using the app with the new pair.
    let changed = new_password(&t, &owner, "a much better password").await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let fresh = User {
        access_token: changed.body["tokens"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
        ..owner.clone()
    };
    assert_eq!(me(&t, &fresh).await.status, 200, "the new session works");

    // Every token issued before is dead: the attacker's access token, and the link.
    assert_eq!(me(&t, &attacker).await.status, 401);
    assert_eq!(
        me(&t, &owner).await.status,
        401,
        "the owner's old token too"
    );
    let late = verify(&t, &stolen_link).await;
    assert_eq!((late.status, late.code()), (422, "invalid_token"));
    assert_eq!(me(&t, &fresh).await.body["email"], "owner@example.com");
    // The password change itself was announced to the account's address.
    let mails = mail::sent_to("owner@example.com").await;
    assert!(
        mails[0].subject.contains("password was changed"),
        "{:?}",
        mails[0].subject
    );
}

#[tokio::test]
async fn a_password_reset_voids_a_pending_email_change_and_every_access_token() {
    let t = TestApp::new().await;
    let owner = t.verified("reset@example.com").await;
    let attacker = t.login("reset@example.com").await;
    assert_eq!(
        ask_email_change(&t, &attacker, "thief2@example.net")
            .await
            .status,
        202
    );
    let stolen_link = t.mailed_token("thief2@example.net", "verify-email").await;
    let forgot = t
        .call(forgot_password, "POST", "/v1/auth/password/forgot")
        .json(json!({ "email": "reset@example.com" }))
        .send()
        .await;
    assert_eq!(forgot.status, 202);
    let reset_token = t.mailed_token("reset@example.com", "reset-password").await;
    let reset = t
        .call(reset_password, "POST", "/v1/auth/password/reset")
        .json(json!({ "token": reset_token, "password": "reset and safe again" }))
        .send()
        .await;
    assert_eq!(reset.status, 204, "{}", reset.body);
    // Access tokens from before the reset stop at once, not when they expire.
    assert_eq!(me(&t, &attacker).await.status, 401);
    assert_eq!(me(&t, &owner).await.status, 401);
    let late = verify(&t, &stolen_link).await;
    assert_eq!((late.status, late.code()), (422, "invalid_token"));
    // The honest twin: the owner signs in with the new password.
    let back = t
        .call(login, "POST", "/v1/auth/login")
        .json(json!({ "email": "reset@example.com", "password": "reset and safe again" }))
        .send()
        .await;
    assert_eq!(back.status, 200);
    assert_eq!(back.body["user"]["email"], "reset@example.com");
}

#[tokio::test]
async fn the_notice_link_cancels_a_pending_email_change_and_signs_every_device_out() {
    let t = TestApp::new().await;
    let owner = t.verified("notice@example.com").await;
    let attacker = t.login("notice@example.com").await;
    assert_eq!(
        ask_email_change(&t, &attacker, "thief3@example.net")
            .await
            .status,
        202
    );
    let stolen_link = t.mailed_token("thief3@example.net", "verify-email").await;
    let wasnt_me = t.mailed_token("notice@example.com", "secure-account").await;
    let secured = t
        .call(secure_account, "POST", "/v1/auth/secure-account")
        .json(json!({ "token": wasnt_me }))
        .send()
        .await;
    assert_eq!(secured.status, 204, "{}", secured.body);
    assert_eq!(me(&t, &attacker).await.status, 401);
    assert_eq!(me(&t, &owner).await.status, 401);
    let late = verify(&t, &stolen_link).await;
    assert_eq!((late.status, late.code()), (422, "invalid_token"));
    let again = t
        .call(secure_account, "POST", "/v1/auth/secure-account")
        .json(json!({ "token": wasnt_me }))
        .send()
        .await;
    assert_eq!((again.status, again.code()), (422, "invalid_token"));
}

#[tokio::test]
async fn a_confirmed_email_change_applies_and_ends_the_sessions_from_before() {
    let t = TestApp::new().await;
    let owner = t.verified("mover@example.com").await;
    assert_eq!(
        ask_email_change(&t, &owner, "moved@example.com")
            .await
            .status,
        202
    );
    let link = t.mailed_token("moved@example.com", "verify-email").await;
    let confirmed = verify(&t, &link).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(confirmed.body["email"], "moved@example.com");
    assert_eq!(
        me(&t, &owner).await.status,
        401,
        "sign in again with the new address"
    );
    let back = t.login("moved@example.com").await;
    assert_eq!(me(&t, &back).await.body["email"], "moved@example.com");
}

#[tokio::test]
async fn email_change_mails_cannot_be_sprayed_from_one_account() {
    let t = TestApp::new().await;
    let sprayer = t.verified("sprayer@example.com").await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let victim = |i: usize| format!("victim{i}-{run}@example.org");
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(ask_email_change(&t, &sprayer, &victim(i)).await.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        3,
        "{statuses:?}"
    );
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    assert!(mail::sent_to(&victim(3)).await.is_empty());
}

#[tokio::test]
async fn a_recipient_gets_few_mails_however_many_accounts_ask() {
    let t = TestApp::new().await;
    // An address of this test's own: the emulator keeps every mail it was ever sent.
    let popular = format!("popular-{}@example.org", uuid::Uuid::new_v4().simple());
    let mut statuses = Vec::new();
    for i in 0..8 {
        let sender = t.verified(&format!("asker{i}@example.com")).await;
        statuses.push(ask_email_change(&t, &sender, &popular).await.status);
    }
    // Five an hour per recipient, whoever asks.
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(mail::sent_to(&popular).await.len(), 5);
}

#[tokio::test]
async fn a_name_with_line_breaks_never_reaches_a_mail() {
    let t = TestApp::new().await;
    let forged = "Ann\n\nYour account is locked. Verify at https://evil.example";
    let res = t
        .call(
            fitkart_functions::auth::register,
            "POST",
            "/v1/auth/register",
        )
        .json(json!({"email": "phish@example.com", "password": PASSWORD, "full_name": forged}))
        .send()
        .await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["full_name".to_owned()])
    );
    assert!(mail::sent_to("phish@example.com").await.is_empty());
    let user = t.verified("named@example.com").await;
    let patch = t
        .call(fitkart_functions::me::update, "PATCH", "/v1/me")
        .bearer(&user.access_token)
        .json(json!({ "full_name": forged }))
        .send()
        .await;
    assert_eq!(patch.status, 422);
    assert_eq!(me(&t, &user).await.body["full_name"], "Test Walker");
}

#[tokio::test]
async fn one_source_cannot_spend_an_unauthenticated_routes_budget_for_everyone() {
    let t = TestApp::new().await;
    t.verified("shared@example.com").await;
    // One client tries a password on many addresses (each stays under its own lockout).
    let attempt = |ip: &'static str, n: usize| {
        let t = &t;
        async move {
            t.call(login, "POST", "/v1/auth/login")
                .source_ip(ip)
                .json(json!({ "email": format!("guess{n}@example.com"), "password": "wrong password" }))
                .send()
                .await
        }
    };
    let mut statuses = Vec::new();
    for n in 0..60 {
        statuses.push(attempt("198.51.100.9", n).await.status);
    }
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let refused = attempt("198.51.100.9", 60).await;
    assert_eq!(refused.status, 429);
    assert!(refused.header("retry-after").is_some());
    // Anyone else signs in as usual.
    let other = t
        .call(login, "POST", "/v1/auth/login")
        .source_ip("198.51.100.200")
        .json(json!({ "email": "shared@example.com", "password": PASSWORD }))
        .send()
        .await;
    assert_eq!(other.status, 200);
}

/// Sets `user`'s pending time-zone change due now, as the clock would at the next local
/// midnight (a test cannot wait for one).
async fn make_zone_change_due(t: &TestApp, user: &User) {
    let moved = sqlx::query(
        "WITH due AS (
             UPDATE users SET next_timezone_from = now() - interval '1 second', timezone_changed_at = now() - interval '25 hours'
             WHERE id = $1 AND next_timezone IS NOT NULL RETURNING id
         )
         UPDATE timezone_periods SET effective_from = now() - interval '1 second'
         WHERE user_id = $1 AND effective_from > now()",
    )
    .bind(user.id)
    .execute(&t.pool)
    .await
    .unwrap();
    assert_eq!(moved.rows_affected(), 1, "a pending change");
}

async fn credited(t: &TestApp, user: &User) -> Vec<(chrono::NaiveDate, i64)> {
    sqlx::query_as(
        "SELECT recorded_date, coins_credited FROM step_records WHERE user_id = $1 ORDER BY recorded_date",
    )
    .bind(user.id)
    .fetch_all(&t.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_new_time_zone_waits_for_the_next_local_day_and_changes_once_a_day() {
    let (t, _pipeline) = TestApp::with_pipeline().await;
    let walker = t.register_in("jumper@example.com", "Etc/GMT+12").await;
    let here = fitkart_tests::now()
        .with_timezone(&chrono_tz::Etc::GMTPlus12)
        .date_naive();
    let ahead = fitkart_tests::now()
        .with_timezone(&chrono_tz::Pacific::Kiritimati)
        .date_naive();
    assert_eq!(
        t.sync(&walker, json!({"entries": [phone_day(here, 9_000)]}))
            .await
            .status,
        202
    );
    // The new zone waits for the next local midnight: "today" over there is still the
    // future here.
    let patched = t
        .call(fitkart_functions::me::update, "PATCH", "/v1/me")
        .bearer(&walker.access_token)
        .json(json!({"timezone": "Pacific/Kiritimati"}))
        .send()
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["timezone"], "Etc/GMT+12");
    assert_eq!(patched.body["next_timezone"], "Pacific/Kiritimati");
    let early = t
        .sync(&walker, json!({"entries": [phone_day(ahead, 9_000)]}))
        .await;
    assert_eq!(early.status, 422, "{}", early.body);
    // Another change within 24 hours is refused and changes nothing.
    let again = t
        .call(fitkart_functions::me::update, "PATCH", "/v1/me")
        .bearer(&walker.access_token)
        .json(json!({"timezone": "Europe/Berlin", "bio": "walking"}))
        .send()
        .await;
    assert_eq!(
        (again.status, again.code()),
        (409, "timezone_change_too_soon")
    );
    assert!(me(&t, &walker).await.body["bio"].is_null());
}

#[tokio::test]
async fn after_a_jump_across_the_date_line_the_skipped_date_earns_nothing() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let walker = t.register_in("skipper@example.com", "Etc/GMT+12").await;
    t.joined_days_ago(walker.id, 2).await;
    let here = fitkart_tests::now()
        .with_timezone(&chrono_tz::Etc::GMTPlus12)
        .date_naive();
    // The account asked for Kiritimati yesterday; the change took effect at the last
    // midnight here (26 hours ahead, it was 02:00 of the day after there). The date of
    // today here never began for this account.
    sqlx::query(
        "WITH periods AS (
             UPDATE timezone_periods SET effective_from = now() - interval '2 days' WHERE user_id = $1
         ), switch AS (
             INSERT INTO timezone_periods (user_id, effective_from, timezone)
             VALUES ($1, $2::date::timestamp AT TIME ZONE 'Etc/GMT+12', 'Pacific/Kiritimati')
         )
         UPDATE users SET timezone = 'Pacific/Kiritimati', timezone_changed_at = now() - interval '1 day'
         WHERE id = $1",
    )
    .bind(walker.id)
    .bind(here)
    .execute(&t.pool)
    .await
    .unwrap();
    let there = fitkart_tests::now()
        .with_timezone(&chrono_tz::Pacific::Kiritimati)
        .date_naive();
    let yesterday_here = here.pred_opt().unwrap();
    let mut days = vec![yesterday_here, here];
    let mut day = here.succ_opt().unwrap();
    while day <= there {
        days.push(day);
        day = day.succ_opt().unwrap();
    }
    let entries: Vec<_> = days.iter().map(|d| phone_day(*d, 9_000)).collect();
    let res = t.sync(&walker, json!({ "entries": entries })).await;
    assert_eq!(res.status, 202, "{}", res.body);
    pipeline.run(t.app).await;
    for (date, coins) in credited(&t, &walker).await {
        if date == here {
            assert_eq!(coins, 0, "{date} never began for the account");
        } else {
            assert_eq!(coins, 9_000, "{date} began and is paid");
        }
    }
    let reason: String = sqlx::query_scalar(
        "SELECT reasons[1] FROM step_records WHERE user_id = $1 AND recorded_date = $2",
    )
    .bind(walker.id)
    .bind(here)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert!(reason.contains("never began"), "{reason}");
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_traveller_who_changes_zone_once_is_paid_for_each_real_day() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    let traveller = t.register_in("traveller@example.com", "Asia/Tokyo").await;
    t.joined_days_ago(traveller.id, 30).await;
    let patched = t
        .call(fitkart_functions::me::update, "PATCH", "/v1/me")
        .bearer(&traveller.access_token)
        .json(json!({"timezone": "America/Los_Angeles"}))
        .send()
        .await;
    assert_eq!(patched.status, 200);
    make_zone_change_due(&t, &traveller).await;
    // Flying west, the days repeat rather than skip: every one of the week's days began.
    let entries: Vec<_> = (1..=6).map(|n| phone_day(days_ago(n), 8_000)).collect();
    assert_eq!(
        t.sync(&traveller, json!({ "entries": entries }))
            .await
            .status,
        202
    );
    pipeline.run(t.app).await;
    let paid = credited(&t, &traveller).await;
    assert_eq!(paid.len(), 6);
    assert!(paid.iter().all(|(_, coins)| *coins == 8_000), "{paid:?}");
}

#[tokio::test]
async fn a_terminated_database_connection_is_a_503_with_retry_after_not_a_500() {
    let t = TestApp::new().await;
    let mut victim = t.pool.acquire().await.unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *victim)
        .await
        .unwrap();
    let query = tokio::spawn(async move {
        sqlx::query("SELECT pg_sleep(10)")
            .execute(&mut *victim)
            .await
            .map(|_| ())
    });
    // What a restart or failover does to a connection in the middle of a statement.
    fitkart_tests::until(|| async {
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%' AND state = 'active')",
        )
        .bind(pid)
        .fetch_one(&t.pool)
        .await
        .unwrap()
    })
    .await;
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(&t.pool)
        .await
        .unwrap();
    let err = fitkart::Error::from(query.await.unwrap().unwrap_err());
    assert_eq!(
        (err.status(), err.code()),
        (503, "service_unavailable"),
        "{err}"
    );
    assert!(err.is_transient());
    let response = fitkart::http::problem(&err, fitkart::i18n::Locale::En);
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers().get("retry-after").unwrap(),
        &fitkart::http::UNAVAILABLE_RETRY_AFTER_SECS.to_string()
    );
}

#[tokio::test]
async fn referrals_verifying_at_once_pay_the_referrer_exactly_the_monthly_cap() {
    let t = TestApp::new().await;
    t.set_setting("referrals_per_month", "2").await;
    t.set_setting("referral_min_verified_days", "0").await;
    let referrer = t.verified("referrer@example.com").await;
    let code: String = sqlx::query_scalar("SELECT referral_code FROM users WHERE id = $1")
        .bind(referrer.id)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let mut tokens = Vec::new();
    for i in 0..6 {
        let email = format!("referee{i}@example.com");
        let res = t
            .call(
                fitkart_functions::auth::register,
                "POST",
                "/v1/auth/register",
            )
            .source_ip(&format!("192.0.2.{}", i + 10))
            .json(json!({"email": email, "password": PASSWORD, "full_name": "Referee", "referral_code": code}))
            .send()
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        tokens.push(t.mailed_token(&email, "verify-email").await);
    }
    // All six confirm their email at the same moment: each confirmation pays a referral.
    let confirmations = tokens.iter().map(|token| verify(&t, token));
    for res in futures::future::join_all(confirmations).await {
        assert_eq!(res.status, 200, "{}", res.body);
    }
    let paid_to_referrer: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM coin_transactions WHERE user_id = $1 AND reference_type = 'referral'",
    )
    .bind(referrer.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(paid_to_referrer, 2);
    let paid_to_referees: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM coin_transactions WHERE user_id <> $1 AND reference_type = 'referral'",
    )
    .bind(referrer.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(paid_to_referees, 6, "every referee is paid their own bonus");
    t.assert_ledger_invariants().await;
}
