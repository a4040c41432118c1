//! Access-token security: every forged, stale or misdirected token is a plain 401.

use base64::Engine;
use fitkart_functions::me;
use fitkart_tests::{TestApp, JWT_SECRET};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

fn claims(user: uuid::Uuid) -> Value {
    let now = fitkart_tests::now().timestamp();
    json!({"sub": user, "role": "user", "iss": "fitkart", "aud": "fitkart-app", "iat": now, "exp": now + 600})
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn status_with(t: &TestApp, token: &str) -> (u16, String) {
    let res = t.call(me::get, "GET", "/v1/me").bearer(token).send().await;
    (res.status, res.code().to_owned())
}

#[tokio::test]
async fn a_correctly_signed_token_is_accepted() {
    let t = TestApp::new().await;
    let user = t.register("valid@example.com").await;
    assert_eq!(
        status_with(&t, &sign(&claims(user.id), JWT_SECRET)).await.0,
        200
    );
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let t = TestApp::new().await;
    let user = t.register("victim@example.com").await;
    let now = fitkart_tests::now().timestamp();
    let mut expired = claims(user.id);
    expired["exp"] = json!(now - 120);
    let mut wrong_aud = claims(user.id);
    wrong_aud["aud"] = json!("another-app");
    let mut wrong_iss = claims(user.id);
    wrong_iss["iss"] = json!("https://evil.example");
    let mut no_exp = claims(user.id);
    no_exp.as_object_mut().unwrap().remove("exp");
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims(user.id))
    );
    let valid = sign(&claims(user.id), JWT_SECRET);
    let (header, payload) = valid.rsplit_once('.').unwrap().0.split_once('.').unwrap();
    let tampered = {
        let mut admin = claims(user.id);
        admin["role"] = json!("admin");
        format!(
            "{header}.{}.{}",
            b64(&admin),
            valid.rsplit_once('.').unwrap().1
        )
    };
    // Algorithm confusion: the same secret, but the header claims another algorithm.
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &claims(user.id),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let rs256_header = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "RS256", "typ": "JWT"})),
        payload,
        "c2ln"
    );

    let cases = [
        ("expired", sign(&expired, JWT_SECRET)),
        ("wrong audience", sign(&wrong_aud, JWT_SECRET)),
        ("wrong issuer", sign(&wrong_iss, JWT_SECRET)),
        ("no expiry", sign(&no_exp, JWT_SECRET)),
        (
            "another secret",
            sign(&claims(user.id), "another-secret-another-secret-0000"),
        ),
        ("alg none", unsigned),
        ("tampered payload", tampered),
        ("HS512 instead of HS256", hs512),
        ("RS256 header", rs256_header),
        ("garbage", "not.a.token".into()),
    ];
    for (case, token) in cases {
        assert_eq!(
            status_with(&t, &token).await,
            (401, "unauthorized".into()),
            "{case}"
        );
    }
}

#[tokio::test]
async fn malformed_authorization_headers_are_refused() {
    let t = TestApp::new().await;
    let user = t.register("header@example.com").await;
    for header in [
        format!("Token {}", user.access_token),
        "Bearer".into(),
        "Bearer ".into(),
        user.access_token.clone(),
    ] {
        let res = t
            .call(me::get, "GET", "/v1/me")
            .header("authorization", &header)
            .send()
            .await;
        assert_eq!(res.status, 401, "{header}");
    }
    let res = t
        .call(me::get, "GET", "/v1/me")
        .header("authorization", &format!("bearer {}", user.access_token))
        .send()
        .await;
    assert_eq!(res.status, 200, "the scheme is case-insensitive");
}

#[tokio::test]
async fn a_deleted_or_deactivated_accounts_token_is_refused() {
    let t = TestApp::new().await;
    let user = t.register("soon-gone@example.com").await;
    let res = t
        .call(me::delete, "DELETE", "/v1/me")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(res.status, 204);
    assert_eq!(status_with(&t, &user.access_token).await.0, 401);

    let user = t.register("paused@example.com").await;
    t.deactivate(user.id).await;
    assert_eq!(status_with(&t, &user.access_token).await.0, 401);
}

/// A rotation of the signing key in Secrets Manager signs nobody out: tokens signed with
/// the previous version (`AWSPREVIOUS`) stay valid for their few minutes, new tokens are
/// signed with the current one, and a key that was never ours is refused.
#[tokio::test]
async fn a_key_rotation_keeps_tokens_of_the_previous_key_valid() {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let old_key = "the-key-before-rotation-0123456789abcdef";
    let new_key = "the-key-after-the-rotation-0123456789abcd";
    let secret = secrets
        .create_secret()
        .name(format!("jwt-{}", uuid::Uuid::new_v4()))
        .secret_string(old_key)
        .send()
        .await
        .unwrap();
    let arn = secret.arn().unwrap().to_owned();
    // Secrets Manager's rotation: the new value becomes AWSCURRENT, the old AWSPREVIOUS.
    secrets
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(new_key)
        .send()
        .await
        .unwrap();
    let mut config = fitkart_tests::test_config();
    config.jwt_secret = fitkart::config::SecretSource::SecretsManager { arn };
    let t = TestApp::with_config(config).await;
    let user = t.register("rotated@example.com").await;

    assert_eq!(
        status_with(&t, &sign(&claims(user.id), old_key)).await.0,
        200
    );
    assert_eq!(status_with(&t, &user.access_token).await.0, 200);
    let with_new_key = jsonwebtoken::decode::<Value>(
        &user.access_token,
        &jsonwebtoken::DecodingKey::from_secret(new_key.as_bytes()),
        &{
            let mut v = jsonwebtoken::Validation::new(Algorithm::HS256);
            v.set_audience(&["fitkart-app"]);
            v
        },
    );
    assert!(
        with_new_key.is_ok(),
        "new tokens are signed with the current key"
    );
    let stranger = sign(&claims(user.id), "a-key-that-was-never-ours-0123456789");
    assert_eq!(status_with(&t, &stranger).await.0, 401);
}

/// The caller check travels in one message with the request's BEGIN (`auth::begin_as`): a
/// refused token must leave its connection outside any transaction, ready for whoever
/// comes next on it (here the pool's only connection).
#[tokio::test]
async fn a_refused_token_leaves_its_connection_ready_for_the_next_request() {
    let t = TestApp::with_pool_size(fitkart_tests::test_config(), 1).await;
    let walker = t.register("steady@example.com").await;
    let paused = t.register("paused-walker@example.com").await;
    t.deactivate(paused.id).await;
    for _ in 0..3 {
        assert_eq!(
            status_with(&t, &paused.access_token).await,
            (401, "unauthorized".into())
        );
        assert_eq!(status_with(&t, &walker.access_token).await.0, 200);
    }
}
