//! Login throttling in Postgres (functions keep no state between invocations): after
//! `login_max_failures` failed logins for one email within `login_window_minutes`,
//! further attempts get `429` until the window has passed.
//!
//! Race-free without locks: an attempt first records itself (autocommit), then counts the
//! attempts in the window. The k-th attempt to commit sees at least k rows, so however
//! many arrive at once, at most `max` of them ever reach the password check.

use std::time::Duration;

use sqlx::PgPool;

use crate::{Error, Result};

/// Records an attempt for `email` (lower-cased) and refuses it when over the limit.
/// Returns the attempt's id; a successful login calls `clear`.
pub async fn begin(pool: &PgPool, email: &str, max: i64, window_minutes: i64) -> Result<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO login_attempts (email) VALUES ($1) RETURNING id",
        email
    )
    .fetch_one(pool)
    .await?;
    let window = sqlx::query!(
        r#"SELECT count(*) AS "attempts!",
                  EXTRACT(EPOCH FROM min(attempted_at) + make_interval(mins => $2::int) - now())::float8 AS "retry_after_secs!"
           FROM login_attempts
           WHERE email = $1 AND attempted_at > now() - make_interval(mins => $2::int)"#,
        email,
        window_minutes as i32
    )
    .fetch_one(pool)
    .await?;
    if window.attempts > max {
        // A refused attempt is not a password check: forget it, so that hammering on a
        // locked account does not extend the lock forever.
        sqlx::query!("DELETE FROM login_attempts WHERE id = $1", id)
            .execute(pool)
            .await?;
        let secs = window.retry_after_secs.ceil().max(1.0) as u64;
        return Err(Error::TooManyRequests {
            retry_after: Duration::from_secs(secs),
        });
    }
    Ok(id)
}

/// A successful login resets the count for its email.
pub async fn clear(pool: &PgPool, email: &str) -> Result<()> {
    sqlx::query!("DELETE FROM login_attempts WHERE email = $1", email)
        .execute(pool)
        .await?;
    Ok(())
}
