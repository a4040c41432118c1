//! Sessions: the token pair a sign-in returns (a short-lived JWT access token and an
//! opaque refresh token). Refresh tokens are random, stored only as a SHA-256 digest and
//! single-use: every refresh rotates the token within its family, and presenting a token
//! that was already rotated means it was copied, so the whole family is revoked.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::jwt::Grant;
use crate::secret_token::{self, digest};
use crate::users::{self, User};
use crate::{App, Result};

/// `Tokens` of openapi.yaml.
#[derive(Debug, Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

/// `{user, tokens}`: what signing in or signing up answers.
#[derive(Debug, Serialize)]
pub struct Session {
    pub user: User,
    pub tokens: Tokens,
}

/// Issues the token pair of a new session (a new refresh-token family) proven by `amr`
/// (`jwt::amr`), and reads the user.
pub async fn start(
    app: &App,
    conn: &mut PgConnection,
    user_id: Uuid,
    amr: &[&str],
) -> Result<Session> {
    let user = users::get(&mut *conn, user_id).await?;
    let amr: Vec<String> = amr.iter().map(|m| (*m).to_owned()).collect();
    let tokens = pair(app, conn, &user, Uuid::new_v4(), &amr).await?;
    Ok(Session { user, tokens })
}

/// A new access token and a new refresh token in `family`, for a session proven by `amr`.
/// The access token carries the account's current credential version: a later credential
/// change makes it stale.
pub async fn pair(
    app: &App,
    conn: &mut PgConnection,
    user: &User,
    family: Uuid,
    amr: &[String],
) -> Result<Tokens> {
    let now = app.now();
    let expires_at = now + app.config.refresh_token_ttl;
    let refresh_token = issue(conn, user.id, family, expires_at, amr).await?;
    let grant = Grant {
        role: user.role,
        credential_version: user.credential_version,
        amr: amr.to_vec(),
        locale: user.locale.clone(),
    };
    let (access_token, expires_in) = app.jwt().await?.issue(user.id, &grant, now)?;
    Ok(Tokens {
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in,
    })
}

/// Stores a new refresh token for `user_id` in `family` and returns the token itself.
pub async fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    family: Uuid,
    expires_at: DateTime<Utc>,
    amr: &[String],
) -> Result<String> {
    let token = secret_token::generate();
    crate::db_query!(
        "INSERT INTO refresh_tokens (user_id, token, family_id, expires_at, amr) VALUES ($1, $2, $3, $4, $5)",
        user_id,
        digest(&token),
        family,
        expires_at,
        amr
    )
    .execute(conn)
    .await?;
    Ok(token)
}

/// The outcome of presenting a refresh token.
pub enum Rotation {
    /// The token was live; it is now used up. Issue a new one in `family`, proven as the
    /// session was (`amr`).
    Rotated {
        user_id: Uuid,
        family: Uuid,
        amr: Vec<String>,
    },
    /// The token was already rotated: its family has just been revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Marks a live token as used. A rotated token presented again revokes its family; the
/// caller must commit that revocation even though the request fails.
pub async fn rotate(conn: &mut PgConnection, token: &str) -> Result<Rotation> {
    let hash = digest(token);
    let used = crate::db_query!(
        r#"UPDATE refresh_tokens SET rotated_at = now()
           WHERE token = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
           RETURNING user_id, family_id, amr"#,
        hash
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = used {
        return Ok(Rotation::Rotated {
            user_id: row.user_id,
            family: row.family_id,
            amr: row.amr,
        });
    }
    let reused = crate::db_query_scalar!(
        "SELECT family_id FROM refresh_tokens WHERE token = $1 AND rotated_at IS NOT NULL",
        hash
    )
    .fetch_optional(&mut *conn)
    .await?;
    match reused {
        Some(family) => {
            crate::db_query!(
                "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
                family
            )
            .execute(&mut *conn)
            .await?;
            tracing::warn!(%family, "refresh token reused; token family revoked");
            Ok(Rotation::Reused)
        }
        None => Ok(Rotation::Invalid),
    }
}

/// Revokes one token (logout). Unknown tokens are ignored: logout always succeeds.
pub async fn revoke(conn: &mut PgConnection, token: &str) -> Result<()> {
    crate::db_query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE token = $1 AND revoked_at IS NULL",
        digest(token)
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn revoke_all(conn: &mut PgConnection, user_id: Uuid) -> Result<()> {
    crate::db_query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Housekeeping: deletes up to `limit` refresh tokens expired over a day ago (a day of
/// grace keeps reuse detection for clocks that disagree) or revoked over 30 days ago.
pub async fn delete_old(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<u64> {
    Ok(crate::db_query!(
        "DELETE FROM refresh_tokens WHERE id IN (
             SELECT id FROM refresh_tokens
             WHERE expires_at < $2::timestamptz - interval '1 day' OR revoked_at < $2::timestamptz - interval '30 days'
             LIMIT $1)",
        limit,
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}
