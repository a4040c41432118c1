//! Bad input on every endpoint with a body: a clear 4xx problem, and nothing changed.

use fitkart::http::{Request, Response};
use fitkart::App;
use fitkart_functions::{auth, me};
use fitkart_tests::TestApp;
use serde_json::json;
use std::future::Future;

async fn row_counts(t: &TestApp) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM refresh_tokens), (SELECT count(*) FROM coin_transactions)",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

/// Sends each malformed body to `handler` and checks status, code and that nothing changed.
async fn refuses_bad_bodies<H, Fut>(
    t: &TestApp,
    handler: H,
    method: &str,
    path: &str,
    token: Option<&str>,
    wrong_type: serde_json::Value,
) where
    H: Fn(&'static App, Request) -> Fut + Copy,
    Fut: Future<Output = fitkart::Result<Response>>,
{
    let before = row_counts(t).await;
    let with_auth = |call: fitkart_tests::Call<H>| match token {
        Some(token) => call.bearer(token),
        None => call,
    };
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("malformed JSON", "{\"email\": ".into(), 400, "bad_request"),
        ("not JSON at all", "email=a@b.c".into(), 400, "bad_request"),
        ("empty body", String::new(), 400, "bad_request"),
        ("trailing garbage", "{} {}".into(), 400, "bad_request"),
        (
            "an array instead of an object",
            "[]".into(),
            422,
            "validation_failed",
        ),
        (
            "wrong types",
            wrong_type.to_string(),
            422,
            "validation_failed",
        ),
        (
            "an unknown field",
            json!({"is_admin": true}).to_string(),
            422,
            "validation_failed",
        ),
        (
            "over 64 KiB",
            format!("{{\"x\": \"{}\"}}", "a".repeat(70 * 1024)),
            413,
            "payload_too_large",
        ),
    ];
    for (case, body, status, code) in cases {
        let res = with_auth(t.call(handler, method, path))
            .raw_body(&body)
            .send()
            .await;
        assert_eq!(res.status, status, "{path} with {case}: {}", res.raw);
        assert_eq!(res.code(), code, "{path} with {case}");
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        assert!(res.header("x-request-id").is_some());
        assert!(
            !res.raw.to_lowercase().contains("sqlx"),
            "leaks internals: {}",
            res.raw
        );
    }
    assert_eq!(
        row_counts(t).await,
        before,
        "{path}: a refused request changed data"
    );
}

#[tokio::test]
async fn every_body_endpoint_refuses_malformed_and_oversized_bodies() {
    let t = TestApp::new().await;
    let user = t.register("input@example.com").await;
    refuses_bad_bodies(
        &t,
        auth::register,
        "POST",
        "/v1/auth/register",
        None,
        json!({"email": 1, "password": true, "full_name": []}),
    )
    .await;
    refuses_bad_bodies(
        &t,
        auth::login,
        "POST",
        "/v1/auth/login",
        None,
        json!({"email": "a@b.co", "password": 12345678}),
    )
    .await;
    refuses_bad_bodies(
        &t,
        auth::refresh,
        "POST",
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": 7}),
    )
    .await;
    refuses_bad_bodies(
        &t,
        auth::logout,
        "POST",
        "/v1/auth/logout",
        None,
        json!({"refresh_token": null}),
    )
    .await;
    refuses_bad_bodies(
        &t,
        me::update,
        "PATCH",
        "/v1/me",
        Some(&user.access_token),
        json!({"full_name": 3}),
    )
    .await;
}

#[tokio::test]
async fn validation_errors_name_the_json_path_of_the_field() {
    let t = TestApp::new().await;
    let res = t
        .call(auth::register, "POST", "/v1/auth/register")
        .json(json!({"email": "a@b.co", "password": 12345678, "full_name": "X"}))
        .send()
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.error_fields(), ["password"]);
    let res = t
        .call(auth::register, "POST", "/v1/auth/register")
        .json(json!({"email": "a@b.co", "full_name": "X"}))
        .send()
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{}",
        res.body
    );
    let res = t
        .call(auth::login, "POST", "/v1/auth/login")
        .json(json!({"email": "a@b.co", "password": "12345678", "role": "admin"}))
        .send()
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn authenticated_endpoints_refuse_requests_without_a_token() {
    let t = TestApp::new().await;
    let get = t.call(me::get, "GET", "/v1/me").send().await;
    let patch = t
        .call(me::update, "PATCH", "/v1/me")
        .json(json!({}))
        .send()
        .await;
    let delete = t.call(me::delete, "DELETE", "/v1/me").send().await;
    for res in [get, patch, delete] {
        assert_eq!((res.status, res.code()), (401, "unauthorized"));
    }
}

/// JSON may carry NUL in a string; Postgres text cannot. Whichever field brings it, the
/// answer is a 422 naming the character, and nothing is written.
#[tokio::test]
async fn text_carrying_a_nul_character_is_refused_and_changes_nothing() {
    use fitkart_functions::social;
    let t = TestApp::new().await;
    let user = t.verified("nul@example.com").await;

    let res = t
        .call(social::redeem_invite, "POST", "/v1/redemptions")
        .bearer(&user.access_token)
        .json(json!({ "code": "AB\u{0}CDEFG" }))
        .send()
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(
        res.body["code"], "invalid_code",
        "as any link that is not one"
    );

    // Any other field that reaches a statement unchecked meets the same answer: the
    // database's refusal of the character is the client's error, not ours.
    let refused = sqlx::query_scalar::<_, i32>("SELECT length($1)")
        .bind("Night\u{0}Owls")
        .fetch_one(&t.pool)
        .await
        .expect_err("Postgres refuses NUL in text");
    let error = fitkart::Error::from(refused);
    assert_eq!(error.status(), 422, "{error}");
    assert_eq!(error.code(), "validation_failed");
}
