//! Sign in with Google and Apple: the provider's ID token is verified against its
//! published JWKS (RS256 only, `kid` lookup, `aud` one of our client ids, the provider's
//! issuer, `exp`/`iat` with a minute of leeway, `nonce` when the client sent one), then
//! matched to an account by identity, linked by an email both sides have proven (or the
//! unproven account taken over by the address's owner), or created.
//! The providers' keys are cached by `jwks::KeyCache`.

use jsonwebtoken::{decode, decode_header, Algorithm, Validation};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::accounts::{self, NewAccount};
use crate::i18n::Text;
use crate::sessions::{self, Session};
use crate::{App, Error, Result};

crate::text_enum! {
    /// An identity provider FitKart accepts sign-ins from.
    pub enum Provider { Google = "google", Apple = "apple" }
}

impl Provider {
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
    /// Seconds since the epoch after which the token is no longer accepted.
    pub exp: i64,
    /// Seconds since the epoch when the provider issued it.
    pub iat: i64,
}

impl IdClaims {
    fn email_verified(&self) -> bool {
        matches!(&self.email_verified, Some(serde_json::Value::Bool(true)))
            || matches!(&self.email_verified, Some(serde_json::Value::String(s)) if s == "true")
    }
}

/// Seconds of disagreement allowed between the provider's clock and ours.
const ID_TOKEN_LEEWAY_SECONDS: i64 = 60;

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
    // Time is checked below against the app's clock (the library reads the system's).
    validation.validate_exp = false;
    let claims = decode::<IdClaims>(token, &key, &validation)
        .map_err(|_| Error::InvalidIdToken)?
        .claims;
    let now = app.now().timestamp();
    if claims.exp + ID_TOKEN_LEEWAY_SECONDS < now || claims.iat - ID_TOKEN_LEEWAY_SECONDS > now {
        return Err(Error::InvalidIdToken);
    }
    if let Some(expected) = nonce {
        if claims.nonce.as_deref() != Some(expected) {
            return Err(Error::InvalidIdToken);
        }
    }
    Ok(claims)
}

/// Signs in with verified claims: the account holding this identity, else (a first
/// sign-in) the account with the same email, else a new account with its wallet and
/// bonus. Returns the session and whether the account was created.
pub async fn sign_in(
    app: &App,
    provider: Provider,
    claims: &IdClaims,
    full_name: Option<&str>,
    locale: crate::i18n::Locale,
) -> Result<(Session, bool)> {
    let settings = app.settings().await?;
    let mut tx = app.db().await?.begin().await?;
    let known = crate::db_query!(
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
            first_sign_in(
                &mut tx,
                settings.new_user_bonus_coins,
                provider,
                claims,
                full_name,
                app.now(),
                locale,
            )
            .await?
        }
    };
    crate::users::touch_login(&mut tx, user_id).await?;
    let session = sessions::start(app, &mut tx, user_id, &[crate::jwt::amr::PROVIDER]).await?;
    tx.commit().await?;
    Ok((session, created))
}

/// The first sign-in of an identity. An email the provider has verified links to the
/// account holding it when that account has proven it too, and takes over an account
/// that never did (its registrant could not prove the address; they lose access). An
/// unverified provider email proves nothing: it is never matched, and a new account made
/// from it starts unverified.
async fn first_sign_in(
    conn: &mut PgConnection,
    bonus: i64,
    provider: Provider,
    claims: &IdClaims,
    full_name: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
    locale: crate::i18n::Locale,
) -> Result<(Uuid, bool)> {
    let email = claims
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| Error::invalid("id_token", "carries no email address"))?;
    let verified = claims.email_verified();
    let same_email = crate::db_query!(
        r#"SELECT id, is_active, email_verified FROM users
           WHERE lower(email) = lower($1) AND deleted_at IS NULL FOR UPDATE"#,
        email
    )
    .fetch_optional(&mut *conn)
    .await?;
    let (user_id, created) = match same_email {
        Some(_) if !verified => {
            return Err(Error::conflict(
                "email_taken",
                Text::new("problem-email-taken-link-sign-in"),
            ))
        }
        Some(user) if !user.is_active => return Err(Error::InvalidCredentials),
        Some(user) if user.email_verified => (user.id, false),
        Some(user) => {
            accounts::take_over(conn, user.id, provider.as_str(), &claims.sub).await?;
            (user.id, false)
        }
        None => {
            // A provider's name is someone else's input: it must pass as ours would.
            let provider_name = claims
                .name
                .as_deref()
                .and_then(|n| crate::input::full_name(n).ok());
            let local_part = crate::input::full_name(email.split('@').next().unwrap_or(""))
                .unwrap_or_else(|_| "Walker".into());
            let name = full_name
                .map(str::to_owned)
                .or(provider_name)
                .unwrap_or(local_part);
            let name = name.as_str();
            let account = NewAccount {
                email,
                password_hash: None,
                full_name: name,
                phone: None,
                country_code: None,
                timezone: "UTC",
                referred_by: None,
                provider: Some((provider.as_str(), &claims.sub)),
                email_verified: verified,
                now,
                locale,
            };
            (accounts::create(conn, &account, bonus).await?, true)
        }
    };
    link(conn, user_id, provider, claims).await?;
    Ok((user_id, created))
}

async fn link(
    conn: &mut PgConnection,
    user_id: Uuid,
    provider: Provider,
    claims: &IdClaims,
) -> Result<()> {
    accounts::link_identity(
        conn,
        user_id,
        provider.as_str(),
        &claims.sub,
        claims.email.as_deref(),
    )
    .await
}
