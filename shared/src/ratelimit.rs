//! Rate limits kept in Postgres (functions keep no state between invocations), each a
//! sliding window over recorded hits.
//!
//! A limit's window is one row per (bucket, subject) holding the instants of the hits let
//! through; one upsert prunes the instants that fell out of the window, decides, and
//! records the hit when it is let through, under the row's lock: however many arrive at
//! once, they are counted in turn and at most `max` pass, and no reader ever sees a hit
//! recorded but not yet counted. A refused hit is not recorded, so hammering on a closed
//! limit does not keep it closed forever.
//!
//! Failed logins have their own table (`login_attempts`): they are counted per (email,
//! source IP) first, so a stranger guessing passwords locks out only the stranger, with a
//! higher per-email ceiling behind it against guesses spread over many addresses.

use std::time::Duration;

use chrono::{DateTime, Utc};

use sqlx::{PgConnection, PgPool};

use crate::settings::Settings;
use crate::{Error, Result};

/// A limit: at most `max` hits per `window` for one subject of `bucket`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub bucket: &'static str,
    pub max: i64,
    pub window: Duration,
}

impl Limit {
    pub const fn per_hour(bucket: &'static str, max: i64) -> Self {
        Self {
            bucket,
            max,
            window: Duration::from_secs(3_600),
        }
    }

    pub const fn per_minute(bucket: &'static str, max: i64) -> Self {
        Self {
            bucket,
            max,
            window: Duration::from_secs(60),
        }
    }
}

/// Mail FitKart sends on someone's request, whatever kind: at most this many an hour per
/// account that asked, per recipient address and per source IP. A sender whose mails
/// bounce or are marked spam gets paused by SES for everyone, and a mail in our voice to
/// an address nobody asked about is phishing material: each route that mails counts here
/// too, on top of its own limit of its kind.
pub const MAIL_PER_ACCOUNT: Limit = Limit::per_hour("mail_account", 10);
pub const MAIL_PER_RECIPIENT: Limit = Limit::per_hour("mail_recipient", 5);
pub const MAIL_PER_SOURCE: Limit = Limit::per_hour("mail_source", 30);

/// Who a mail is for and who asked for it, for the mail limits.
#[derive(Debug, Clone, Copy)]
pub struct MailRequest<'a> {
    /// The signed-in account that asked (none for sign-up and forgotten passwords).
    pub account: Option<uuid::Uuid>,
    /// The address the mail goes to.
    pub recipient: &'a str,
    pub source_ip: Option<&'a str>,
}

/// Counts one mail against the three mail limits; `429` when any is spent.
pub async fn mail(pool: &PgPool, request: MailRequest<'_>, now: DateTime<Utc>) -> Result<()> {
    if let Some(account) = request.account {
        hit(pool, MAIL_PER_ACCOUNT, &account.to_string(), now).await?;
    }
    hit(
        pool,
        MAIL_PER_RECIPIENT,
        &request.recipient.to_lowercase(),
        now,
    )
    .await?;
    if let Some(ip) = request.source_ip {
        hit(pool, MAIL_PER_SOURCE, ip, now).await?;
    }
    Ok(())
}

/// Unauthenticated routes are limited per source IP, so one client cannot spend a
/// route's shared API Gateway throttle (or our bcrypt time) for everyone. Generous for
/// a household or an office behind one address; a script is stopped within a minute.
pub const PER_SOURCE_PER_MINUTE: i64 = 60;

/// Counts a request to the unauthenticated route `route` from `source_ip` (`429` past
/// `PER_SOURCE_PER_MINUTE` a minute). Requests without a source address (direct
/// invocations) are not counted.
pub async fn source(
    pool: &PgPool,
    route: &'static str,
    source_ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    match source_ip {
        Some(ip) => {
            hit(
                pool,
                Limit::per_minute(route, PER_SOURCE_PER_MINUTE),
                ip,
                now,
            )
            .await
        }
        None => Ok(()),
    }
}

/// Forgets the hits of `subject` in `bucket` (a success that should not count, such as a
/// correct one-time code).
pub async fn forget(pool: &PgPool, bucket: &str, subject: &str) -> Result<()> {
    crate::db_query!(
        "DELETE FROM rate_limit_windows WHERE bucket = $1 AND subject = $2",
        bucket,
        subject
    )
    .execute(pool)
    .await?;
    Ok(())
}

fn refused(retry_after_secs: f64) -> Error {
    Error::TooManyRequests {
        retry_after: Duration::from_secs(retry_after_secs.ceil().clamp(1.0, 86_400.0) as u64),
    }
}

/// Records a hit for `subject` at `now` and refuses it with `429` when `limit` is spent:
/// one statement (see the module's comment).
pub async fn hit(pool: &PgPool, limit: Limit, subject: &str, now: DateTime<Utc>) -> Result<()> {
    let since = now - chrono::Duration::from_std(limit.window).map_err(Error::internal)?;
    let window = crate::db_query!(
        r#"INSERT INTO rate_limit_windows AS w (bucket, subject, hits, refused, last_hit_at)
           VALUES ($1, $2, CASE WHEN $5 > 0 THEN ARRAY[$3::timestamptz] ELSE '{}' END, $5 <= 0, $3)
           ON CONFLICT (bucket, subject) DO UPDATE SET
               refused = cardinality(rate_limit_pruned(w.hits, $4)) >= $5,
               hits = CASE WHEN cardinality(rate_limit_pruned(w.hits, $4)) >= $5
                           THEN rate_limit_pruned(w.hits, $4)
                           ELSE rate_limit_pruned(w.hits, $4) || $3::timestamptz END,
               last_hit_at = $3
           RETURNING refused, hits[1] AS oldest"#,
        limit.bucket,
        subject,
        now,
        since,
        limit.max as i32
    )
    .fetch_one(pool)
    .await?;
    if window.refused {
        // Open again when the oldest hit in the window leaves it.
        let reopens = window.oldest.map_or(limit.window.as_secs_f64(), |oldest| {
            (oldest - since).num_milliseconds() as f64 / 1000.0
        });
        return Err(refused(reopens));
    }
    Ok(())
}

/// Records a login attempt for `email` (lower-cased) from `source_ip` and refuses it when
/// that source, or everyone together, has failed too often within the window. A
/// successful login calls `login_succeeded`.
pub async fn login_attempt(
    pool: &PgPool,
    settings: &Settings,
    email: &str,
    source_ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = crate::db_query_scalar!(
        "INSERT INTO login_attempts (email, source_ip, attempted_at) VALUES ($1, $2::text::inet, $3) RETURNING id",
        email,
        source_ip,
        now
    )
    .fetch_one(pool)
    .await?;
    let window = crate::db_query!(
        r#"SELECT count(*) FILTER (WHERE source_ip IS NOT DISTINCT FROM $2::text::inet) AS "from_source!",
                  count(*) AS "from_all!",
                  -- A success may have forgotten them all in the meantime: then nothing waits.
                  EXTRACT(EPOCH FROM COALESCE(min(attempted_at) + make_interval(mins => $3::int), $4) - $4)::float8
                      AS "retry_after_secs!"
           FROM login_attempts
           WHERE email = $1 AND attempted_at > $4::timestamptz - make_interval(mins => $3::int)"#,
        email,
        source_ip,
        settings.login_window_minutes as i32,
        now
    )
    .fetch_one(pool)
    .await?;
    if window.from_source > settings.login_max_failures
        || window.from_all > settings.login_max_failures_per_email
    {
        crate::db_query!("DELETE FROM login_attempts WHERE id = $1", id)
            .execute(pool)
            .await?;
        return Err(refused(window.retry_after_secs));
    }
    Ok(())
}

/// A successful login forgets that source's failures for the email (a stranger's stay
/// counted against the per-email ceiling).
pub async fn login_succeeded(pool: &PgPool, email: &str, source_ip: Option<&str>) -> Result<()> {
    crate::db_query!(
        "DELETE FROM login_attempts WHERE email = $1 AND source_ip IS NOT DISTINCT FROM $2::text::inet",
        email,
        source_ip
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Proving the account's ownership again (a password reset or change) lifts every lock
/// on its email.
pub async fn forget_logins(conn: &mut PgConnection, email: &str) -> Result<()> {
    crate::db_query!("DELETE FROM login_attempts WHERE email = lower($1)", email)
        .execute(conn)
        .await?;
    Ok(())
}

/// Housekeeping: deletes up to `limit` login attempts older than a day (no window is longer).
pub async fn delete_old_attempts(pool: &PgPool, now: DateTime<Utc>, limit: i64) -> Result<u64> {
    Ok(crate::db_query!(
        "DELETE FROM login_attempts WHERE id IN (
             SELECT id FROM login_attempts WHERE attempted_at < $2::timestamptz - interval '1 day' LIMIT $1)",
        limit,
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Housekeeping: deletes up to `limit` rate-limit windows whose last hit is over a day old
/// (no window is longer).
pub async fn delete_old_hits(pool: &PgPool, now: DateTime<Utc>, limit: i64) -> Result<u64> {
    Ok(crate::db_query!(
        "DELETE FROM rate_limit_windows WHERE (bucket, subject) IN (
             SELECT bucket, subject FROM rate_limit_windows
             WHERE last_hit_at < $2::timestamptz - interval '1 day' LIMIT $1)",
        limit,
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}
