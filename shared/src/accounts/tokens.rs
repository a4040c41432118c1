//! One-time tokens sent by mail: 256 random bits, stored only as a digest, single use,
//! with a lifetime per purpose. A token also names the address it was sent to, and only
//! proves that address: once the account's email has changed it no longer counts.

use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::secret_token;
use crate::{Error, Result};

crate::text_enum! {
    /// What a mailed token is for.
    pub enum Purpose {
        VerifyEmail = "verify_email",
        ChangeEmail = "change_email",
        ResetPassword = "reset_password",
        /// "This wasn't me": sent to the account's address with the notice of a password or
        /// email change; signs every device out and cancels a pending email change.
        SecureAccount = "secure_account",
    }
}

impl Purpose {
    /// Verification 24 hours, reset 30 minutes (a reset link is a key to the account).
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail | Purpose::ChangeEmail => Duration::from_secs(24 * 3_600),
            Purpose::ResetPassword => Duration::from_secs(30 * 60),
            // Long enough for a person to read the notice after a weekend away.
            Purpose::SecureAccount => Duration::from_secs(7 * 86_400),
        }
    }
}

/// Stores a new token for `user_id` sent to `email` and returns it. Earlier unused tokens
/// of the same purpose stop working: only the newest mail's link counts. "This wasn't
/// me" links are the exception: each notice's link keeps working (a later change must
/// not take the owner's way out from an earlier notice).
pub async fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    email: &str,
) -> Result<String> {
    if purpose != Purpose::SecureAccount {
        crate::db_query!(
            "DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            user_id,
            purpose.as_str()
        )
        .execute(&mut *conn)
        .await?;
    }
    let token = secret_token::generate();
    crate::db_query!(
        r#"INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at)
           VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))"#,
        user_id,
        purpose.as_str(),
        secret_token::digest(&token),
        email,
        purpose.lifetime().as_secs_f64()
    )
    .execute(conn)
    .await?;
    Ok(token)
}

/// A token that was just used up.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub user_id: Uuid,
    pub purpose: Purpose,
    /// The address the token was sent to.
    pub email: String,
}

fn invalid() -> Error {
    Error::Unprocessable {
        code: "invalid_token",
        detail: Text::new("problem-invalid-token"),
    }
}

/// Uses up a live token of one of `purposes`: `422 invalid_token` when it is unknown,
/// used or expired. The caller's transaction decides whether it stays used.
pub async fn redeem(
    conn: &mut PgConnection,
    token: &str,
    purposes: &[Purpose],
) -> Result<Redeemed> {
    let purposes: Vec<&str> = purposes.iter().map(|p| p.as_str()).collect();
    let row = crate::db_query!(
        r#"UPDATE account_tokens SET used_at = now()
           WHERE token_hash = $1 AND purpose = ANY($2) AND used_at IS NULL AND expires_at > now()
           RETURNING user_id, purpose, email"#,
        secret_token::digest(token),
        &purposes as &[&str]
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(invalid)?;
    Ok(Redeemed {
        user_id: row.user_id,
        purpose: Purpose::parse(&row.purpose).map_err(Error::internal)?,
        email: row.email,
    })
}

/// A token that no longer proves anything (its address is not the account's any more).
pub fn stale() -> Error {
    invalid()
}

/// The live account a redeemed token belongs to, as its redemption needs it.
pub struct Owner {
    pub email: String,
    pub full_name: String,
    pub email_verified: bool,
}

impl Redeemed {
    /// Locks the token's account, wallet first (the order every writer locks them in:
    /// confirming an email may pay a referral bonus). A deleted account is `stale`.
    pub async fn owner(&self, conn: &mut PgConnection) -> Result<Owner> {
        crate::db_query!(
            "SELECT user_id FROM wallets WHERE user_id = $1 FOR UPDATE",
            self.user_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        crate::db_query_as!(
            Owner,
            "SELECT email, full_name, email_verified FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
            self.user_id
        )
        .fetch_optional(conn)
        .await?
        .ok_or_else(stale)
    }

    /// Whether the token was sent to the account's current address (it proves only that).
    pub fn proves(&self, owner: &Owner) -> bool {
        owner.email.to_lowercase() == self.email.to_lowercase()
    }
}

/// Voids every pending token that grants something (verification, email change, reset):
/// what a credential change does. "This wasn't me" tokens stay usable.
pub async fn void_pending(conn: &mut PgConnection, user_id: Uuid) -> Result<()> {
    crate::db_query!(
        "DELETE FROM account_tokens WHERE user_id = $1 AND used_at IS NULL AND purpose <> 'secure_account'",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets every token of the account (its deletion).
pub async fn forget_all(conn: &mut PgConnection, user_id: Uuid) -> Result<()> {
    crate::db_query!("DELETE FROM account_tokens WHERE user_id = $1", user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Housekeeping: deletes up to `limit` mailed tokens used or expired over a day ago.
pub async fn delete_old(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<u64> {
    Ok(crate::db_query!(
        "DELETE FROM account_tokens WHERE id IN (
             SELECT id FROM account_tokens
             WHERE expires_at < $2::timestamptz - interval '1 day' OR used_at < $2::timestamptz - interval '1 day'
             LIMIT $1)",
        limit,
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}
