//! Sign in with Google and Apple: the provider's ID token is verified against its
//! published JWKS (RS256 only, `kid` lookup, `aud` one of our client ids, the provider's
//! issuer, `exp`/`iat` with a minute of leeway, `nonce` when the client sent one), then
//! matched to an account by identity, linked by a provider-verified email, or created.
//!
//! Keys are fetched once per execution environment and kept for the provider's
//! `Cache-Control: max-age`; an unknown `kid` (a rotation) triggers one refetch, at most
//! every few seconds, never a fetch per request.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::{create_account, start_session, NewAccount, Session};
use crate::{App, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Google,
    Apple,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Apple => "apple",
        }
    }

    fn issuers(self) -> &'static [&'static str] {
        match self {
            Provider::Google => &["accounts.google.com", "https://accounts.google.com"],
            Provider::Apple => &["https://appleid.apple.com"],
        }
    }
}

/// The claims FitKart reads from an ID token.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub email: Option<String>,
    /// Google sends a boolean, Apple a boolean or the string "true".
    #[serde(default)]
    pub email_verified: Option<serde_json::Value>,
    pub name: Option<String>,
    pub nonce: Option<String>,
}

impl IdClaims {
    fn email_verified(&self) -> bool {
        matches!(&self.email_verified, Some(serde_json::Value::Bool(true)))
            || matches!(&self.email_verified, Some(serde_json::Value::String(s)) if s == "true")
    }
}

struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    fetched_at: Instant,
    max_age: Duration,
}

/// A provider's signing keys, cached per execution environment.
pub struct KeyCache {
    url: String,
    refetch_interval: Duration,
    keys: Mutex<Option<Keys>>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
}

impl KeyCache {
    pub fn new(url: String, refetch_interval: Duration) -> Self {
        Self {
            url,
            refetch_interval,
            keys: Mutex::new(None),
        }
    }

    async fn key(&self, http: &reqwest::Client, kid: &str) -> Result<DecodingKey> {
        let mut keys = self.keys.lock().await;
        let fresh = keys
            .as_ref()
            .is_some_and(|k| k.fetched_at.elapsed() < k.max_age);
        if fresh {
            if let Some(key) = keys.as_ref().and_then(|k| k.by_kid.get(kid)) {
                return Ok(key.clone());
            }
        }
        let may_refetch = !fresh
            || keys
                .as_ref()
                .is_none_or(|k| k.fetched_at.elapsed() >= self.refetch_interval);
        if may_refetch {
            *keys = Some(self.fetch(http).await?);
        }
        keys.as_ref()
            .and_then(|k| k.by_kid.get(kid))
            .cloned()
            .ok_or(Error::InvalidIdToken)
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<Keys> {
        let unavailable =
            |e: &dyn std::fmt::Display| Error::Unavailable(format!("identity provider keys: {e}"));
        let response = http
            .get(&self.url)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        if !response.status().is_success() {
            return Err(unavailable(&response.status()));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|d| d.trim().strip_prefix("max-age=")?.parse::<u64>().ok())
            })
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(3_600));
        let jwks: Jwks = response.json().await.map_err(|e| unavailable(&e))?;
        let by_kid = jwks
            .keys
            .into_iter()
            .filter(|k| k.kty == "RSA")
            .filter_map(|k| Some((k.kid?, DecodingKey::from_rsa_components(&k.n?, &k.e?).ok()?)))
            .collect();
        tracing::info!(url = %self.url, ?max_age, "identity provider keys fetched");
        Ok(Keys {
            by_kid,
            fetched_at: Instant::now(),
            max_age,
        })
    }
}

/// Verifies an ID token from `provider`. Any failure of the token itself is
/// `401 invalid_id_token`; an unreachable key endpoint is a `503`.
pub async fn verify(
    app: &App,
    provider: Provider,
    token: &str,
    nonce: Option<&str>,
) -> Result<IdClaims> {
    let header = decode_header(token).map_err(|_| Error::InvalidIdToken)?;
    if header.alg != Algorithm::RS256 {
        return Err(Error::InvalidIdToken);
    }
    let kid = header.kid.ok_or(Error::InvalidIdToken)?;
    let (cache, audiences) = match provider {
        Provider::Google => (app.google_keys(), &app.config.google_client_ids),
        Provider::Apple => (app.apple_keys(), &app.config.apple_client_ids),
    };
    if audiences.is_empty() {
        tracing::warn!(
            provider = provider.as_str(),
            "no client ids configured: every ID token is refused"
        );
        return Err(Error::InvalidIdToken);
    }
    let key = cache.key(app.http(), &kid).await?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(audiences);
    validation.set_issuer(provider.issuers());
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    validation.leeway = 60;
    let claims = decode::<IdClaims>(token, &key, &validation)
        .map_err(|_| Error::InvalidIdToken)?
        .claims;
    if let Some(expected) = nonce {
        if claims.nonce.as_deref() != Some(expected) {
            return Err(Error::InvalidIdToken);
        }
    }
    Ok(claims)
}

/// Signs in with verified claims: the account holding this identity, else the live
/// account with the same provider-verified email (linked now), else a new account with
/// its wallet and bonus. Returns the session and whether the account was created.
pub async fn sign_in(
    app: &App,
    provider: Provider,
    claims: &IdClaims,
    full_name: Option<&str>,
) -> Result<(Session, bool)> {
    let settings = app.settings().await?;
    let mut tx = app.db().await?.begin().await?;
    let known = sqlx::query!(
        r#"SELECT u.id, u.is_active FROM user_identities i JOIN users u ON u.id = i.user_id
           WHERE i.provider = $1 AND i.subject = $2 AND u.deleted_at IS NULL"#,
        provider.as_str(),
        claims.sub
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (user_id, created) = match known {
        Some(user) if user.is_active => (user.id, false),
        Some(_) => return Err(Error::InvalidCredentials),
        None => {
            let email = claims
                .email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty());
            let same_email = match email {
                Some(email) => sqlx::query!(
                    "SELECT id, is_active FROM users WHERE lower(email) = lower($1) AND deleted_at IS NULL",
                    email
                )
                .fetch_optional(&mut *tx)
                .await?,
                None => None,
            };
            match same_email {
                Some(user) if claims.email_verified() => {
                    if !user.is_active {
                        return Err(Error::InvalidCredentials);
                    }
                    link(&mut tx, user.id, provider, claims).await?;
                    sqlx::query!("UPDATE users SET email_verified = TRUE WHERE id = $1", user.id)
                        .execute(&mut *tx)
                        .await?;
                    (user.id, false)
                }
                // An unverified email proves nothing about the existing account.
                Some(_) => {
                    return Err(Error::conflict(
                        "email_taken",
                        "An account with this email exists; sign in with its password to link this sign-in.",
                    ))
                }
                None => {
                    let email = email.ok_or_else(|| Error::invalid("id_token", "carries no email address"))?;
                    let name = full_name
                        .or(claims.name.as_deref())
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| email.split('@').next().unwrap_or("Walker"));
                    let user_id = create_account(
                        &mut tx,
                        &NewAccount {
                            email,
                            password_hash: None,
                            full_name: name,
                            phone: None,
                            country_code: None,
                            timezone: "UTC",
                            referred_by: None,
                            provider: Some((provider.as_str(), &claims.sub)),
                        },
                        settings.new_user_bonus_coins,
                    )
                    .await?;
                    link(&mut tx, user_id, provider, claims).await?;
                    (user_id, true)
                }
            }
        }
    };
    sqlx::query!(
        "UPDATE users SET last_login_at = now() WHERE id = $1",
        user_id
    )
    .execute(&mut *tx)
    .await?;
    let session = start_session(app, &mut tx, user_id).await?;
    tx.commit().await?;
    Ok((session, created))
}

async fn link(
    conn: &mut sqlx::PgConnection,
    user_id: uuid::Uuid,
    provider: Provider,
    claims: &IdClaims,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO user_identities (user_id, provider, subject, email) VALUES ($1, $2, $3, $4)",
        user_id,
        provider.as_str(),
        claims.sub,
        claims.email
    )
    .execute(conn)
    .await?;
    Ok(())
}
