//! Accounts and sessions: registration, login with throttling, refresh-token rotation,
//! logout, and resolving the caller of an authenticated request.

pub mod oauth;

use uuid::Uuid;

use crate::accounts::{self, NewAccount};
use crate::jwt;
use crate::password;
use crate::ratelimit;
use crate::sessions::{self, Session, Tokens};
use crate::users::{self, Role};
use crate::{App, Error, Result};

/// The authenticated caller of a request: a live, active account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
}

/// A sign-up, already checked field by field.
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
    let user_id = accounts::create(
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
    let session = sessions::start(app, &mut tx, user_id).await?;
    tx.commit().await?;
    Ok(session)
}

/// Email and password login. Unknown email, wrong password, deleted or deactivated
/// account: all the same `invalid_credentials`, after the same bcrypt work.
pub async fn login(app: &App, email: &str, password: &str) -> Result<Session> {
    let settings = app.settings().await?;
    let pool = app.db().await?;
    let key = email.trim().to_lowercase();
    ratelimit::begin(
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

    ratelimit::clear(pool, &key).await?;
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE users SET last_login_at = now() WHERE id = $1",
        account.id
    )
    .execute(&mut *tx)
    .await?;
    let session = sessions::start(app, &mut tx, account.id).await?;
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
    let tokens = sessions::pair(app, &mut tx, &user, family).await?;
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
