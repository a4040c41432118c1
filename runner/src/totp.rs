//! The seeded admins' phones: each has a real TOTP authenticator, enrolled through the
//! real routes by the seed, and this module plays the app that shows its codes, as the
//! mail and push stand-ins play the inbox and the phone:
//!
//!   GET /_local/totp/<email>   {"code": "123456", "secret": "...", "otpauth_uri": "..."}
//!
//! A code is accepted once (RFC 6238 5.2), so the code served is one the account has not
//! used yet: when this window's code is spent, the next window's (accepted early, within
//! the one step of skew) or, failing that, a short wait for it.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use serde_json::json;
use totp_rs::{Algorithm, Secret, Totp};

/// The code an authenticator app with `secret` (base32) shows at `unix_time`.
pub fn code_at(secret: &str, unix_time: u64) -> crate::Result<String> {
    Ok(totp(secret)?.generate(unix_time).to_string())
}

fn totp(secret: &str) -> crate::Result<Totp> {
    let bytes = Secret::try_from_base32(secret)
        .map_err(|e| crate::Error::Authenticator(format!("{e:?}")))?;
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(bytes)
        .build()
        .map_err(|e| crate::Error::Authenticator(format!("{e:?}")))
}

/// A code `email`'s authenticator shows that its account has not used yet.
pub async fn unused_code(pool: &sqlx::PgPool, email: &str) -> crate::Result<(String, String)> {
    let row: Option<(String, Option<i64>)> = sqlx::query_as(
        "SELECT t.secret, t.last_used_step FROM mfa_totp t JOIN users u ON u.id = t.user_id
         WHERE lower(u.email) = lower($1) AND u.deleted_at IS NULL",
    )
    .bind(email)
    .fetch_optional(pool)
    .await?;
    let (secret, last_used) = row.ok_or(crate::Error::Authenticator(format!(
        "{email} has no authenticator"
    )))?;
    let now = || crate::clock::now().timestamp() as u64;
    let step = (now() / 30).max(last_used.map_or(0, |s| s as u64 + 1));
    // The next window's code is accepted from now on; one further ahead needs a wait.
    while step > now() / 30 + 1 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    Ok((code_at(&secret, step * 30)?, secret))
}

pub fn routes<S: Clone + Send + Sync + 'static>(pool: sqlx::PgPool) -> axum::Router<S> {
    axum::Router::new()
        .route("/_local/totp/{email}", get(show))
        .with_state(pool)
}

async fn show(State(pool): State<sqlx::PgPool>, Path(email): Path<String>) -> Response {
    match unused_code(&pool, &email).await {
        Ok((code, secret)) => Json(json!({
            "email": email,
            "code": code,
            "secret": secret,
            "otpauth_uri": format!("otpauth://totp/FitKart:{}?secret={secret}&issuer=FitKart", email.replace('@', "%40")),
        }))
        .into_response(),
        Err(e) => (axum::http::StatusCode::NOT_FOUND, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_rfc_6238() {
        // RFC 6238 appendix B (SHA-1), truncated to 6 digits.
        let secret = totp_rs::Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(super::code_at(&secret, 59).unwrap(), "287082");
    }
}
