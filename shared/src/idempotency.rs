//! Idempotent requests: a client names a request with an `Idempotency-Key`; the first
//! attempt runs and its response is stored with the key, in the same transaction as the
//! work itself; a repeat of the same request gets the stored response (and nothing runs
//! again); the same key with a different request is `422 idempotency_key_reused`.
//!
//! Race-free by a row lock: the key's row is inserted first (`ON CONFLICT DO NOTHING`),
//! so a concurrent twin blocks on the uncommitted row until the first attempt commits,
//! then reads its stored response. A failed attempt rolls back its key with its work and
//! may be retried with the same key. Keys are per user and kept 30 days (housekeeping).

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::{Error, Result};

/// A client's key: 1 to 255 visible ASCII characters (a UUID is typical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// The `Idempotency-Key` header, required: a `422` naming it when absent or malformed.
    pub fn parse(header: Option<&str>) -> Result<Self> {
        match header.map(str::trim) {
            Some(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => {
                Ok(Key(k.to_owned()))
            }
            Some(_) => Err(Error::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )),
            None => Err(Error::invalid(
                "Idempotency-Key",
                "this header is required; send a fresh unique value (e.g. a UUID) per request",
            )),
        }
    }
}

/// What the request answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: Value,
    /// True when this is the stored response of an earlier attempt.
    pub replayed: bool,
}

/// The request's fingerprint: what a key is bound to. Its JSON form, hashed, so a body
/// whose keys are reordered or spaced differently is the same request.
fn fingerprint<T: Serialize>(request: &T) -> Result<String> {
    let json = serde_json::to_vec(request).map_err(Error::internal)?;
    Ok(Sha256::digest(json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Runs `work` once per (user, key), in the caller's transaction, and answers `status`
/// with what it returns; a repeat of the same `request` answers the stored response.
pub async fn once<T: Serialize>(
    conn: &mut PgConnection,
    user_id: Uuid,
    key: &Key,
    request: &T,
    status: u16,
    work: impl AsyncFnOnce(&mut PgConnection) -> Result<Value>,
) -> Result<Response> {
    let fingerprint = fingerprint(request)?;
    let fresh = crate::db_query_scalar!(
        r#"INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, key) DO NOTHING RETURNING true AS "fresh!""#,
        user_id,
        key.0,
        fingerprint
    )
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if !fresh {
        return replay(conn, user_id, key, &fingerprint).await;
    }
    let body = work(&mut *conn).await?;
    crate::db_query!(
        "UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE user_id = $1 AND key = $2",
        user_id,
        key.0,
        status as i16,
        body
    )
    .execute(&mut *conn)
    .await?;
    Ok(Response {
        status,
        body,
        replayed: false,
    })
}

async fn replay(
    conn: &mut PgConnection,
    user_id: Uuid,
    key: &Key,
    fingerprint: &str,
) -> Result<Response> {
    let stored = crate::db_query!(
        "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        user_id,
        key.0
    )
    .fetch_one(&mut *conn)
    .await?;
    if stored.request_hash != fingerprint {
        return Err(Error::Unprocessable {
            code: "idempotency_key_reused",
            detail: Text::new("problem-idempotency-key-reused"),
        });
    }
    let (Some(status), Some(body)) = (stored.status_code, stored.response_body) else {
        return Err(Error::internal("an idempotency key without its response"));
    };
    Ok(Response {
        status: status as u16,
        body,
        replayed: true,
    })
}

/// Housekeeping: deletes up to `limit` stored responses older than 30 days (a client
/// retries within minutes, not weeks).
pub async fn delete_old(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<u64> {
    Ok(crate::db_query!(
        "DELETE FROM idempotency_keys WHERE (user_id, key) IN (
             SELECT user_id, key FROM idempotency_keys WHERE created_at < $2::timestamptz - interval '30 days' LIMIT $1)",
        limit,
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Forgets every stored response of a deleted account (they may hold its address).
pub async fn forget_user(conn: &mut sqlx::PgConnection, user_id: uuid::Uuid) -> Result<()> {
    crate::db_query!("DELETE FROM idempotency_keys WHERE user_id = $1", user_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_and_required() {
        assert!(Key::parse(Some(" 6f1c-order ")).is_ok());
        for bad in [
            None,
            Some(""),
            Some("with space"),
            Some("é"),
            Some(&*"k".repeat(256)),
        ] {
            assert_eq!(Key::parse(bad).unwrap_err().status(), 422, "{bad:?}");
        }
    }

    #[test]
    fn a_request_is_its_json_form() {
        #[derive(Serialize)]
        struct R {
            a: u8,
            b: &'static str,
        }
        let one = fingerprint(&R { a: 1, b: "x" }).unwrap();
        assert_eq!(one, fingerprint(&R { a: 1, b: "x" }).unwrap());
        assert_ne!(one, fingerprint(&R { a: 2, b: "x" }).unwrap());
        assert_eq!(one.len(), 64);
    }
}
