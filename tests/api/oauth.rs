//! Sign in with Google and Apple against a local JWKS server started by the test, with
//! RSA keys generated in the test: every way an ID token can be wrong, key rotation,
//! linking, creation, and the provider being unreachable.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use axum::response::IntoResponse;
use base64::Engine;
use fitkart_functions::auth::{oauth_apple, oauth_google};
use fitkart_tests::{test_config, TestApp};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// An RSA key as a provider holds it: the private half signs, the public half is published.
struct Key {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
    public_der: Vec<u8>,
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn key(kid: &str) -> Key {
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let pkcs8: Pkcs8V1Der = pair.as_der().unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let public: PublicKeyComponents<Vec<u8>> = pair.public_key().into();
    Key {
        kid: kid.into(),
        encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        jwk: json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64url(&public.n), "e": b64url(&public.e)}),
        public_der: pair.public_key().as_ref().to_vec(),
    }
}

/// The provider's key endpoint: serves the current keys, counts fetches, can go down.
#[derive(Clone, Default)]
struct Jwks {
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
}

impl Jwks {
    async fn serve(&self) -> String {
        let state = self.clone();
        let handler = move || {
            let state = state.clone();
            async move {
                state.fetches.fetch_add(1, Ordering::SeqCst);
                if state.down.load(Ordering::SeqCst) {
                    return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
                }
                let keys = state.keys.lock().unwrap().clone();
                (
                    [("cache-control", "public, max-age=21600")],
                    axum::Json(json!({ "keys": keys })),
                )
                    .into_response()
            }
        };
        let app = axum::Router::new().route("/keys", axum::routing::get(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/keys", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    fn publish(&self, key: &Key) {
        self.keys.lock().unwrap().push(key.jwk.clone());
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn google_claims(sub: &str, email: &str, verified: bool) -> Value {
    let now = fitkart_tests::now().timestamp();
    json!({"iss": "https://accounts.google.com", "aud": "google-android", "sub": sub, "email": email,
           "email_verified": verified, "name": "Gina Google", "iat": now, "exp": now + 600})
}

fn sign(key: &Key, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    encode(&header, claims, &key.encoding).unwrap()
}

async fn world(refetch_secs: u64) -> (TestApp, Jwks, Jwks) {
    let (google, apple) = (Jwks::default(), Jwks::default());
    let mut config = test_config();
    config.google_jwks_url = google.serve().await;
    config.apple_jwks_url = apple.serve().await;
    config.jwks_refetch_interval = std::time::Duration::from_secs(refetch_secs);
    (TestApp::with_config(config).await, google, apple)
}

async fn google(t: &TestApp, body: Value) -> fitkart_tests::TestResponse {
    t.call(oauth_google, "POST", "/v1/auth/oauth/google")
        .json(body)
        .send()
        .await
}

#[tokio::test]
async fn a_first_google_sign_in_creates_the_account_and_the_next_finds_it() {
    let (t, jwks, _) = world(10).await;
    let k = key("g1");
    jwks.publish(&k);
    let token = sign(&k, &google_claims("g-123", "gina@gmail.com", true));
    // From a phone set to Spanish: the new account reads Spanish.
    let res = t
        .call(oauth_google, "POST", "/v1/auth/oauth/google")
        .header("accept-language", "es-MX,es;q=0.9")
        .json(json!({ "id_token": token }))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["user"]["locale"], "es");
    assert_eq!(res.header("content-language"), Some("es"));
    assert_eq!(res.body["user"]["auth_provider"], "google");
    assert_eq!(res.body["user"]["email_verified"], true);
    assert_eq!(res.body["user"]["full_name"], "Gina Google");
    assert_eq!(res.body["tokens"]["token_type"], "Bearer");
    let id: uuid::Uuid = res.body["user"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        t.balance(id).await,
        100,
        "the new-user bonus, as for registration"
    );

    let again = google(
        &t,
        json!({ "id_token": sign(&k, &google_claims("g-123", "gina@gmail.com", true)) }),
    )
    .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["user"]["id"], id.to_string());
    // A later sign-in (from any phone) keeps the account's language.
    assert_eq!(again.body["user"]["locale"], "es");
    assert_eq!(
        jwks.fetches(),
        1,
        "keys are fetched once and cached for their max-age"
    );
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn forged_misdirected_and_stale_id_tokens_are_refused() {
    let (t, jwks, _) = world(10).await;
    let k = key("g1");
    jwks.publish(&k);
    let impostor = Key {
        kid: "g1".into(),
        ..key("other")
    };
    let now = fitkart_tests::now().timestamp();
    let with = |field: &str, value: Value| {
        let mut claims = google_claims("g-1", "x@gmail.com", true);
        claims[field] = value;
        claims
    };
    // The public key used as an HMAC secret: algorithm confusion.
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some("g1".into());
    let confused = encode(
        &hs_header,
        &google_claims("g-1", "x@gmail.com", true),
        &EncodingKey::from_secret(&k.public_der),
    )
    .unwrap();
    let none = format!(
        "{}.{}.",
        b64url(json!({"alg": "none", "kid": "g1"}).to_string().as_bytes()),
        b64url(
            google_claims("g-1", "x@gmail.com", true)
                .to_string()
                .as_bytes()
        )
    );
    let cases = [
        (
            "wrong signature",
            sign(&impostor, &google_claims("g-1", "x@gmail.com", true)),
        ),
        (
            "wrong audience",
            sign(&k, &with("aud", json!("someone-elses-app"))),
        ),
        (
            "wrong issuer",
            sign(&k, &with("iss", json!("https://evil.example"))),
        ),
        ("expired", sign(&k, &with("exp", json!(now - 3_600)))),
        (
            "issued an hour from now",
            sign(&k, &with("iat", json!(now + 3_600))),
        ),
        ("HS256 with the public key as secret", confused),
        ("alg none", none),
        ("garbage", "not-a-jwt".into()),
    ];
    for (case, token) in cases {
        let res = google(&t, json!({ "id_token": token })).await;
        assert_eq!(
            (res.status, res.code()),
            (401, "invalid_id_token"),
            "{case}: {}",
            res.body
        );
    }
    let res = google(
        &t,
        json!({"id_token": sign(&k, &with("nonce", json!("n-1"))), "nonce": "n-2"}),
    )
    .await;
    assert_eq!(
        (res.status, res.code()),
        (401, "invalid_id_token"),
        "nonce mismatch"
    );
    let res = google(
        &t,
        json!({"id_token": sign(&k, &with("nonce", json!("n-1"))), "nonce": "n-1"}),
    )
    .await;
    assert_eq!(res.status, 201, "matching nonce");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(users, 1, "no refused token created an account");
}

#[tokio::test]
async fn an_unknown_kid_triggers_one_refetch_which_picks_up_a_rotation() {
    let (t, jwks, _) = world(0).await;
    let old = key("2025");
    jwks.publish(&old);
    assert_eq!(
        google(
            &t,
            json!({"id_token": sign(&old, &google_claims("r-1", "r@gmail.com", true))})
        )
        .await
        .status,
        201
    );
    // The provider rotates: tokens now carry a kid the cache has never seen.
    let new = key("2026");
    jwks.publish(&new);
    let res = google(
        &t,
        json!({"id_token": sign(&new, &google_claims("r-1", "r@gmail.com", true))}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(jwks.fetches(), 2);
}

#[tokio::test]
async fn unknown_kids_never_cause_a_fetch_per_request() {
    let (t, jwks, _) = world(10).await;
    let k = key("g1");
    jwks.publish(&k);
    google(
        &t,
        json!({"id_token": sign(&k, &google_claims("u-1", "u@gmail.com", true))}),
    )
    .await;
    let stranger = key("never-published");
    for _ in 0..5 {
        let res = google(
            &t,
            json!({"id_token": sign(&stranger, &google_claims("u-1", "u@gmail.com", true))}),
        )
        .await;
        assert_eq!(res.status, 401);
    }
    assert_eq!(
        jwks.fetches(),
        1,
        "within the refetch interval the cached keys answer"
    );
}

#[tokio::test]
async fn a_provider_verified_email_links_to_an_account_that_confirmed_it_too() {
    let (t, jwks, _) = world(10).await;
    let k = key("g1");
    jwks.publish(&k);
    let walker = t.verified("walker@example.com").await;
    let res = google(
        &t,
        json!({"id_token": sign(&k, &google_claims("g-9", "Walker@Example.com", true))}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["id"], walker.id.to_string());
    assert_eq!(
        res.body["user"]["auth_provider"], "email",
        "the account keeps how it was created"
    );
    let identities: i64 =
        sqlx::query_scalar("SELECT count(*) FROM user_identities WHERE user_id = $1")
            .bind(walker.id)
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(identities, 1);
    // The password still works.
    t.login("walker@example.com").await;
}

#[tokio::test]
async fn an_unverified_email_is_not_linked_to_an_existing_account() {
    let (t, jwks, _) = world(10).await;
    let k = key("g1");
    jwks.publish(&k);
    t.register("victim@example.com").await;
    let res = google(
        &t,
        json!({"id_token": sign(&k, &google_claims("attacker", "victim@example.com", false))}),
    )
    .await;
    assert_eq!((res.status, res.code()), (409, "email_taken"));
    let identities: i64 = sqlx::query_scalar("SELECT count(*) FROM user_identities")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(identities, 0);
}

#[tokio::test]
async fn apple_sends_the_name_once_and_a_deactivated_account_is_refused() {
    let (t, _, jwks) = world(10).await;
    let k = key("apple-1");
    jwks.publish(&k);
    let now = fitkart_tests::now().timestamp();
    let claims = json!({"iss": "https://appleid.apple.com", "aud": "com.fitkart.app", "sub": "001234.abcd",
                        "email": "x7k2@privaterelay.appleid.com", "email_verified": "true", "iat": now, "exp": now + 600});
    let res = t
        .call(oauth_apple, "POST", "/v1/auth/oauth/apple")
        .json(json!({"id_token": sign(&k, &claims), "full_name": "Anna Apple"}))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["user"]["full_name"], "Anna Apple");
    assert_eq!(res.body["user"]["auth_provider"], "apple");
    let id = res.body["user"]["id"].clone();
    let res = t
        .call(oauth_apple, "POST", "/v1/auth/oauth/apple")
        .json(json!({"id_token": sign(&k, &claims)}))
        .send()
        .await;
    assert_eq!(
        (res.status, res.body["user"]["id"].clone()),
        (200, id.clone())
    );
    assert_eq!(
        res.body["user"]["full_name"], "Anna Apple",
        "the name given once is kept"
    );
    // A Google-audience token is not an Apple token.
    let mut wrong = claims.clone();
    wrong["aud"] = json!("google-web");
    let res = t
        .call(oauth_apple, "POST", "/v1/auth/oauth/apple")
        .json(json!({"id_token": sign(&k, &wrong)}))
        .send()
        .await;
    assert_eq!(res.status, 401);

    t.deactivate(id.as_str().unwrap().parse().unwrap()).await;
    let res = t
        .call(oauth_apple, "POST", "/v1/auth/oauth/apple")
        .json(json!({"id_token": sign(&k, &claims)}))
        .send()
        .await;
    assert_eq!((res.status, res.code()), (401, "invalid_credentials"));
}

#[tokio::test]
async fn an_unreachable_key_endpoint_is_a_503_not_a_panic() {
    let (t, jwks, _) = world(10).await;
    let k = key("g1");
    jwks.publish(&k);
    jwks.down.store(true, Ordering::SeqCst);
    let res = google(
        &t,
        json!({"id_token": sign(&k, &google_claims("d-1", "d@gmail.com", true))}),
    )
    .await;
    assert_eq!((res.status, res.code()), (503, "service_unavailable"));
    jwks.down.store(false, Ordering::SeqCst);
    let res = google(
        &t,
        json!({"id_token": sign(&k, &google_claims("d-1", "d@gmail.com", true))}),
    )
    .await;
    assert_eq!(res.status, 201, "recovers once the provider answers");
}

#[tokio::test]
async fn oauth_bodies_are_checked_like_every_other() {
    let (t, _, _) = world(10).await;
    let res = google(&t, json!({"id_token": 5})).await;
    assert_eq!(
        (res.status, res.error_fields()),
        (422, vec!["id_token".to_owned()])
    );
    let res = google(&t, json!({"id_token": "x", "extra": true})).await;
    assert_eq!(res.status, 422);
    let res = t
        .call(oauth_google, "POST", "/v1/auth/oauth/google")
        .raw_body("{")
        .send()
        .await;
    assert_eq!(res.status, 400);
}

/// The takeover found when the code was read as an outsider would: a squatter registers
/// the victim's address with their own password; the victim later signs in with Google.
#[tokio::test]
async fn the_addresss_proven_owner_takes_over_an_account_a_squatter_registered() {
    let (t, jwks, _) = world(10).await;
    let k = key("g1");
    jwks.publish(&k);
    let squatter = t.register("victim@gmail.com").await;

    let res = google(
        &t,
        json!({"id_token": sign(&k, &google_claims("victim-sub", "victim@gmail.com", true))}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["id"], squatter.id.to_string());
    assert_eq!(res.body["user"]["email_verified"], true);
    assert_eq!(res.body["user"]["auth_provider"], "google");

    // The squatter's password, refresh token and access token are all dead.
    let login = t
        .call(fitkart_functions::auth::login, "POST", "/v1/auth/login")
        .json(json!({"email": "victim@gmail.com", "password": fitkart_tests::PASSWORD}))
        .send()
        .await;
    assert_eq!((login.status, login.code()), (401, "invalid_credentials"));
    let refresh = t
        .call(fitkart_functions::auth::refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": squatter.refresh_token}))
        .send()
        .await;
    assert_eq!(refresh.status, 401);
    // Their pending verification link no longer proves anything either.
    let stale = t
        .call(
            fitkart_functions::auth::verify_email,
            "POST",
            "/v1/auth/email/verify",
        )
        .json(json!({"token": t.mailed_token("victim@gmail.com", "verify-email").await}))
        .send()
        .await;
    assert_eq!((stale.status, stale.code()), (422, "invalid_token"));

    // The owner signs in with Google from now on.
    let again = google(
        &t,
        json!({"id_token": sign(&k, &google_claims("victim-sub", "victim@gmail.com", true))}),
    )
    .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["user"]["id"], squatter.id.to_string());
}

#[tokio::test]
async fn an_unverified_provider_email_makes_an_unverified_account_that_cannot_redeem() {
    let (t, jwks, _) = world(10).await;
    let k = key("g1");
    jwks.publish(&k);
    let res = google(
        &t,
        json!({"id_token": sign(&k, &google_claims("g-unv", "someone@corp.example", false))}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["user"]["email_verified"], false);
    let token = res.body["tokens"]["access_token"].as_str().unwrap();
    let order = t
        .call(fitkart_functions::orders::create, "POST", "/v1/orders")
        .bearer(token)
        .header("Idempotency-Key", "k")
        .json(fitkart_tests::order_body(&[(uuid::Uuid::new_v4(), 1)]))
        .send()
        .await;
    assert_eq!((order.status, order.code()), (403, "email_unverified"));
}

#[tokio::test]
async fn a_deleted_google_account_can_sign_up_again_with_the_same_google_account() {
    let (t, jwks, _) = world(10).await;
    let k = key("g1");
    jwks.publish(&k);
    let claims = google_claims("g-again", "again@gmail.com", true);
    let first = google(&t, json!({"id_token": sign(&k, &claims)})).await;
    assert_eq!(first.status, 201);
    let deleted = t
        .call(fitkart_functions::me::delete, "DELETE", "/v1/me")
        .bearer(first.body["tokens"]["access_token"].as_str().unwrap())
        .send()
        .await;
    assert_eq!(deleted.status, 204);

    let second = google(&t, json!({"id_token": sign(&k, &claims)})).await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_ne!(second.body["user"]["id"], first.body["user"]["id"]);
    let identities: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM user_identities WHERE provider = 'google' AND subject = 'g-again'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(identities, 1, "only the new account holds the identity");
}
