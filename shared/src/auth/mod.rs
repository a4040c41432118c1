//! Accounts and sessions: registration, login with throttling, refresh-token rotation,
//! logout, and resolving the caller of an authenticated request.

pub mod jwt;
pub mod oauth;
pub mod password;
pub mod sessions;
pub mod throttle;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::{self, Posting, Reference, TxType};
use crate::users::{self, User};
use crate::{App, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "varchar", rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            _ => Err("must be user or admin".into()),
        }
    }
}

/// The authenticated caller of a request: a live, active account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
}

/// `tokens` of API.md.
#[derive(Debug, Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

#[derive(Debug, Serialize)]
pub struct Session {
    pub user: User,
    pub tokens: Tokens,
}

pub struct Registration {
    pub email: String,
    pub password: String,
    pub full_name: String,
    pub phone: Option<String>,
    pub country_code: Option<String>,
    pub timezone: Option<String>,
    pub referral_code: Option<String>,
}

/// Creates an account with its wallet, the new-user bonus and a first session, in one
/// transaction: an account never exists without its wallet and bonus.
pub async fn register(app: &App, input: Registration) -> Result<Session> {
    let settings = app.settings().await?;
    let password_hash = password::hash(input.password, app.config.bcrypt_cost).await?;
    let mut tx = app.db().await?.begin().await?;

    let referrer = match &input.referral_code {
        None => None,
        Some(code) => Some(
            sqlx::query_scalar!(
                "SELECT id FROM users WHERE referral_code = $1 AND deleted_at IS NULL",
                code.to_ascii_uppercase()
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::invalid("referral_code", "is not a known referral code"))?,
        ),
    };
    let user_id = create_account(
        &mut tx,
        &NewAccount {
            email: &input.email,
            password_hash: Some(&password_hash),
            full_name: &input.full_name,
            phone: input.phone.as_deref(),
            country_code: input.country_code.as_deref(),
            timezone: input.timezone.as_deref().unwrap_or("UTC"),
            referred_by: referrer,
            provider: None,
        },
        settings.new_user_bonus_coins,
    )
    .await?;
    let session = start_session(app, &mut tx, user_id).await?;
    tx.commit().await?;
    Ok(session)
}

/// What a new account starts from, by registration or by a first OAuth sign-in.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub full_name: &'a str,
    pub phone: Option<&'a str>,
    pub country_code: Option<&'a str>,
    pub timezone: &'a str,
    pub referred_by: Option<Uuid>,
    /// (`google` | `apple`, the provider's subject) for OAuth accounts; the email is then
    /// verified by the provider.
    pub provider: Option<(&'a str, &'a str)>,
}

/// Inserts the account, its wallet and the new-user bonus: an account never exists
/// without its wallet. Call it inside a transaction.
pub async fn create_account(
    conn: &mut PgConnection,
    account: &NewAccount<'_>,
    bonus: i64,
) -> Result<Uuid> {
    let (auth_provider, provider_id) = match account.provider {
        Some((provider, subject)) => (provider, Some(subject)),
        None => ("email", None),
    };
    // A referral code that is already taken (one chance in ~10^11) just draws another.
    let mut user_id = None;
    for _ in 0..3 {
        user_id = sqlx::query_scalar!(
            r#"INSERT INTO users (email, password_hash, full_name, phone, country_code, timezone,
                                  referral_code, referred_by_user_id, last_login_at, auth_provider,
                                  provider_id, email_verified)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9, $10, $11)
               ON CONFLICT (referral_code) DO NOTHING
               RETURNING id"#,
            account.email,
            account.password_hash,
            account.full_name,
            account.phone,
            account.country_code,
            account.timezone,
            users::new_referral_code(),
            account.referred_by,
            auth_provider,
            provider_id,
            account.provider.is_some(),
        )
        .fetch_optional(&mut *conn)
        .await?;
        if user_id.is_some() {
            break;
        }
    }
    let user_id = user_id.ok_or_else(|| Error::internal("no free referral code after 3 draws"))?;
    ledger::open_wallet(&mut *conn, user_id).await?;
    if bonus > 0 {
        ledger::post(
            conn,
            &Posting {
                user_id,
                amount: bonus,
                tx_type: TxType::Bonus,
                reference: Some((Reference::Registration, user_id)),
                description: "Welcome bonus".into(),
                coins_per_step: None,
            },
        )
        .await?;
    }
    Ok(user_id)
}

/// Issues the token pair of a new session (a new refresh-token family) and reads the user.
pub async fn start_session(app: &App, conn: &mut PgConnection, user_id: Uuid) -> Result<Session> {
    let user = users::get(&mut *conn, user_id).await?;
    let tokens = issue_tokens(app, conn, &user, Uuid::new_v4()).await?;
    Ok(Session { user, tokens })
}

async fn issue_tokens(
    app: &App,
    conn: &mut PgConnection,
    user: &User,
    family: Uuid,
) -> Result<Tokens> {
    let expires_at = Utc::now() + app.config.refresh_token_ttl;
    let refresh_token = sessions::issue(conn, user.id, family, expires_at).await?;
    let (access_token, expires_in) = app.jwt().await?.issue(user.id, user.role)?;
    Ok(Tokens {
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in,
    })
}

/// Email and password login. Unknown email, wrong password, deleted or deactivated
/// account: all the same `invalid_credentials`, after the same bcrypt work.
pub async fn login(app: &App, email: &str, password: &str) -> Result<Session> {
    let settings = app.settings().await?;
    let pool = app.db().await?;
    let key = email.trim().to_lowercase();
    throttle::begin(
        pool,
        &key,
        settings.login_max_failures,
        settings.login_window_minutes,
    )
    .await?;

    let account = sqlx::query!(
        r#"SELECT id, password_hash, is_active FROM users
           WHERE lower(email) = $1 AND deleted_at IS NULL"#,
        key
    )
    .fetch_optional(pool)
    .await?;
    let (hash, active) = match &account {
        Some(a) => (a.password_hash.clone(), a.is_active),
        None => (None, false),
    };
    let matches = password::verify(password.to_owned(), hash, app.config.bcrypt_cost).await?;
    let account = match account {
        Some(a) if matches && active => a,
        _ => return Err(Error::InvalidCredentials),
    };

    throttle::clear(pool, &key).await?;
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE users SET last_login_at = now() WHERE id = $1",
        account.id
    )
    .execute(&mut *tx)
    .await?;
    let session = start_session(app, &mut tx, account.id).await?;
    tx.commit().await?;
    Ok(session)
}

/// Rotates a refresh token: the presented one is used up and a new pair is returned.
pub async fn refresh(app: &App, refresh_token: &str) -> Result<Tokens> {
    let mut tx = app.db().await?.begin().await?;
    let (user_id, family) = match sessions::rotate(&mut tx, refresh_token).await? {
        sessions::Rotation::Rotated { user_id, family } => (user_id, family),
        sessions::Rotation::Reused => {
            // The family's revocation must stick even though this request fails.
            tx.commit().await?;
            return Err(Error::InvalidRefreshToken);
        }
        sessions::Rotation::Invalid => return Err(Error::InvalidRefreshToken),
    };
    let user = match users::get(&mut tx, user_id).await {
        Ok(user) if user.is_active => user,
        Ok(_) | Err(Error::NotFound) => return Err(Error::InvalidRefreshToken),
        Err(e) => return Err(e),
    };
    let tokens = issue_tokens(app, &mut tx, &user, family).await?;
    tx.commit().await?;
    Ok(tokens)
}

pub async fn logout(app: &App, refresh_token: &str) -> Result<()> {
    let mut conn = app.db().await?.acquire().await?;
    sessions::revoke(&mut conn, refresh_token).await
}

/// Resolves a bearer token to a live, active account. The role comes from the database,
/// so a demotion takes effect at once, whatever the token says.
pub async fn authenticate(app: &App, bearer: &str) -> Result<(Caller, jwt::Claims)> {
    let claims = app.jwt().await?.verify(bearer)?;
    let role = sqlx::query_scalar!(
        r#"SELECT role AS "role: Role" FROM users WHERE id = $1 AND deleted_at IS NULL AND is_active"#,
        claims.sub
    )
    .fetch_optional(app.db().await?)
    .await?
    .ok_or(Error::Unauthorized)?;
    Ok((
        Caller {
            user_id: claims.sub,
            role,
        },
        claims,
    ))
}

/// An admin route's guard: the token must say admin *and* the account must still be one.
pub async fn authenticate_admin(app: &App, bearer: &str) -> Result<Caller> {
    let (caller, claims) = authenticate(app, bearer).await?;
    if claims.role == Role::Admin && caller.role == Role::Admin {
        Ok(caller)
    } else {
        Err(Error::Forbidden)
    }
}
