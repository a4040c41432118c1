//! `/v1/me`: read, update, and the anonymising soft delete.

use fitkart_functions::me;
use fitkart_tests::{TestApp, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn me_returns_the_callers_profile() {
    let t = TestApp::new().await;
    let user = t.register("me@example.com").await;
    let res = t
        .call(me::get, "GET", "/v1/me")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(res.status, 200);
    let body = res.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "auth_provider",
            "bio",
            "country_code",
            "counts_pushes",
            "created_at",
            "email",
            "email_verified",
            "full_name",
            "id",
            "last_login_at",
            "last_synced_at",
            "locale",
            "next_timezone",
            "next_timezone_from",
            "phone",
            "profile_picture_url",
            "referral_code",
            "role",
            "timezone",
            "total_steps"
        ]
    );
    assert_eq!(body["timezone"], "UTC");
    assert_eq!(body["email"], "me@example.com");
    // Signed up without Accept-Language: English.
    assert_eq!(body["locale"], "en");
}

#[tokio::test]
async fn patch_changes_given_fields_and_clears_nulled_ones() {
    let t = TestApp::new().await;
    let user = t.register("patch@example.com").await;
    // The next UTC midnight as the app's clock reads it around the request: whichever
    // side of a midnight the request fell, the change waits for the one after it.
    let next_midnight = |now: chrono::DateTime<chrono::Utc>| {
        (now.date_naive() + chrono::Days::new(1))
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    };
    let before = next_midnight(t.now());
    let res = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&user.access_token)
        .json(
            json!({"full_name": " New Name ", "phone": "+4930123456", "bio": "I walk.",
                     "country_code": "de", "timezone": "Asia/Tokyo",
                     "profile_picture_url": "https://cdn.example.com/me.png"}),
        )
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["full_name"], "New Name");
    assert_eq!(res.body["country_code"], "DE");
    // A new zone counts from the next local midnight in the old one.
    assert_eq!(res.body["timezone"], "UTC");
    assert_eq!(res.body["next_timezone"], "Asia/Tokyo");
    let after = next_midnight(t.now());
    let from = res.body["next_timezone_from"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    assert!(
        from == before || from == after,
        "{from} is not the next midnight"
    );
    let res = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&user.access_token)
        .json(json!({"phone": null, "bio": null}))
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert!(res.body["phone"].is_null());
    assert!(res.body["bio"].is_null());
    assert_eq!(res.body["full_name"], "New Name", "absent fields stay");
}

#[tokio::test]
async fn a_bad_patch_changes_nothing() {
    let t = TestApp::new().await;
    let user = t.register("badpatch@example.com").await;
    let res = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&user.access_token)
        .json(json!({"full_name": null, "timezone": "Nowhere/City", "bio": "ok", "profile_picture_url": "ftp://x"}))
        .send()
        .await;
    assert_eq!(res.status, 422);
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(fields, ["full_name", "profile_picture_url", "timezone"]);
    let res = t
        .call(me::get, "GET", "/v1/me")
        .bearer(&user.access_token)
        .send()
        .await;
    assert!(
        res.body["bio"].is_null(),
        "the valid field of a refused patch was applied"
    );
    assert_eq!(res.body["timezone"], "UTC");
}

#[tokio::test]
async fn deleting_the_account_anonymises_it_and_frees_the_email() {
    let t = TestApp::new().await;
    let user = t.register("delete-me@example.com").await;
    t.call(me::update, "PATCH", "/v1/me")
        .bearer(&user.access_token)
        .json(json!({"phone": "+14155550100", "bio": "personal"}))
        .send()
        .await;
    let res = t
        .call(me::delete, "DELETE", "/v1/me")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(res.status, 204);

    let row: (String, String, Option<String>, Option<String>, Option<String>, bool, bool) = sqlx::query_as(
        "SELECT email, full_name, phone, bio, password_hash, deleted_at IS NOT NULL, is_active FROM users WHERE id = $1",
    )
    .bind(user.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert!(!row.0.contains("delete-me"), "email kept: {}", row.0);
    assert_eq!(row.1, "Deleted user");
    assert_eq!((row.2, row.3, row.4), (None, None, None));
    assert!(row.5 && !row.6);
    let live_tokens: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(live_tokens, 0);
    // The same email can open a new, separate account.
    let again = t.register("delete-me@example.com").await;
    assert_ne!(again.id, user.id);
    let res = t
        .call(me::delete, "DELETE", "/v1/me")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(res.status, 401, "the deleted account's token is dead");
    let res = t
        .call(fitkart_functions::auth::login, "POST", "/v1/auth/login")
        .json(json!({"email": "delete-me@example.com", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(res.body["user"]["id"], again.id.to_string());
    t.assert_ledger_invariants().await;
}
