//! The second factor admins prove: a TOTP authenticator (RFC 6238: SHA-1, 6 digits, 30 s
//! steps, one step of clock skew either way) and ten single-use recovery codes for a lost
//! phone. Enrolment hands out the secret (as an `otpauth://` URI and its QR code) and is
//! confirmed by a first code, which returns the recovery codes once.
//!
//! Every check is throttled per account (`ATTEMPTS`, counted before the code is looked at,
//! so parallel guesses count too) and a code's time step is accepted once only (RFC 6238
//! 5.2): a code read over an admin's shoulder is useless once they have used it.

use rand::RngCore;
use serde::Serialize;
use sqlx::PgPool;
use totp_rs::{Algorithm, Secret, Totp};
use uuid::Uuid;

use crate::i18n::Text;
use crate::ratelimit::{self, Limit};
use crate::secret_token;
use crate::{Error, Result};

/// Failed or not, at most this many codes per account per 15 minutes: 5 guesses at a
/// one-in-a-million code (three steps valid at a time) is a 1 in 66,000 chance a window.
pub const ATTEMPTS: Limit = Limit {
    bucket: "mfa_attempt",
    max: 5,
    window: std::time::Duration::from_secs(15 * 60),
};

/// How many recovery codes an enrolment hands out.
pub const RECOVERY_CODES: usize = 10;

/// The name authenticator apps show above the code.
const ISSUER: &str = "FitKart";

fn totp(secret: &str, account: &str) -> Result<Totp> {
    let bytes = Secret::try_from_base32(secret).map_err(Error::internal)?;
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(bytes)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(Error::internal)
}

/// What an authenticator app needs to be set up.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    /// The shared secret, base32 (for typing into an app by hand).
    pub secret: String,
    /// `otpauth://totp/FitKart:<email>?secret=...&issuer=FitKart`.
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// Starts (or restarts) enrolling an authenticator for the account: a new 160-bit secret,
/// waiting for its first code. An account whose authenticator is confirmed already is
/// `409 mfa_already_enrolled` (a stolen password must not replace an admin's phone).
pub async fn begin(pool: &PgPool, user_id: Uuid, email: &str) -> Result<Enrolment> {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    let secret = Secret::from(bytes).to_base32();
    let stored = crate::db_query_scalar!(
        r#"INSERT INTO mfa_totp (user_id, secret) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = now(), last_used_step = NULL
           WHERE mfa_totp.confirmed_at IS NULL
           RETURNING user_id"#,
        user_id,
        secret
    )
    .fetch_optional(pool)
    .await?;
    if stored.is_none() {
        return Err(Error::conflict(
            "mfa_already_enrolled",
            Text::new("problem-mfa-already-enrolled"),
        ));
    }
    enrolment(&secret, email)
}

/// The enrolment view of a secret (also what the local runner prints for its demo admin).
pub fn enrolment(secret: &str, email: &str) -> Result<Enrolment> {
    let otpauth_uri = totp(secret, email)?.to_url().map_err(Error::internal)?;
    Ok(Enrolment {
        secret: secret.to_owned(),
        qr_svg: qr_svg(&otpauth_uri)?,
        otpauth_uri,
    })
}

/// Confirms the enrolment with the authenticator's first code and returns the recovery
/// codes (shown once; only their digests are kept). `422 invalid_mfa_code` for a wrong
/// code, `409 mfa_not_started` without an enrolment under way.
pub async fn confirm(
    pool: &PgPool,
    user_id: Uuid,
    code: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>> {
    ratelimit::hit(pool, ATTEMPTS, &user_id.to_string(), now).await?;
    let pending = crate::db_query!(
        r#"SELECT t.secret, u.email FROM mfa_totp t JOIN users u ON u.id = t.user_id
           WHERE t.user_id = $1 AND t.confirmed_at IS NULL"#,
        user_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::conflict("mfa_not_started", Text::new("problem-mfa-not-started")))?;
    let step = totp(&pending.secret, &pending.email)?
        .check(&normalise_digits(code), unix_seconds(now))
        .ok_or_else(invalid_code)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let digests: Vec<String> = codes
        .iter()
        .map(|c| secret_token::digest(&normalise_recovery(c)))
        .collect();
    let mut tx = pool.begin().await?;
    let confirmed = crate::db_query!(
        "UPDATE mfa_totp SET confirmed_at = now(), last_used_step = $2
         WHERE user_id = $1 AND confirmed_at IS NULL AND secret = $3",
        user_id,
        step as i64,
        pending.secret
    )
    .execute(&mut *tx)
    .await?;
    if confirmed.rows_affected() == 0 {
        // Restarted or confirmed by a concurrent request meanwhile.
        return Err(invalid_code());
    }
    crate::db_query!("DELETE FROM mfa_recovery_codes WHERE user_id = $1", user_id)
        .execute(&mut *tx)
        .await?;
    crate::db_query!(
        "INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, UNNEST($2::text[])",
        user_id,
        &digests
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    ratelimit::forget(pool, ATTEMPTS.bucket, &user_id.to_string()).await?;
    Ok(codes)
}

/// Where an account's second factor stands (`GET /v1/me/mfa`).
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub totp_enrolled: bool,
    pub totp_enrolled_at: Option<chrono::DateTime<chrono::Utc>>,
    pub recovery_codes_left: i64,
}

pub async fn status(pool: &PgPool, user_id: Uuid) -> Result<Status> {
    let row = crate::db_query!(
        r#"SELECT (SELECT confirmed_at FROM mfa_totp WHERE user_id = $1) AS enrolled_at,
                  (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS "left!""#,
        user_id
    )
    .fetch_one(pool)
    .await?;
    Ok(Status {
        totp_enrolled: row.enrolled_at.is_some(),
        totp_enrolled_at: row.enrolled_at,
        recovery_codes_left: row.left,
    })
}

/// Whether the account has a confirmed authenticator.
pub async fn enrolled(pool: &PgPool, user_id: Uuid) -> Result<bool> {
    Ok(crate::db_query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS "enrolled!""#,
        user_id
    )
    .fetch_one(pool)
    .await?)
}

/// Checks a code of the account's confirmed authenticator, or one of its unused recovery
/// codes (which is then used up): a sign-in's second factor, or the fresh proof an
/// approval needs. Throttled; a code of a step already used is refused like a wrong one.
/// Runs on the pool (autocommit), so that a counted attempt and a used-up step stay
/// recorded whatever the caller's transaction does next.
pub async fn verify(
    pool: &PgPool,
    user_id: Uuid,
    code: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    ratelimit::hit(pool, ATTEMPTS, &user_id.to_string(), now).await?;
    let digits = normalise_digits(code);
    let accepted = if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let Some(row) = crate::db_query!(
            r#"SELECT t.secret, u.email FROM mfa_totp t JOIN users u ON u.id = t.user_id
               WHERE t.user_id = $1 AND t.confirmed_at IS NOT NULL"#,
            user_id
        )
        .fetch_optional(pool)
        .await?
        else {
            return Err(not_enrolled());
        };
        match totp(&row.secret, &row.email)?.check(&digits, unix_seconds(now)) {
            // The step moves forward only: the same code (or an older one) never passes twice.
            Some(step) => {
                crate::db_query!(
                    "UPDATE mfa_totp SET last_used_step = $2
                 WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)",
                    user_id,
                    step as i64
                )
                .execute(pool)
                .await?
                .rows_affected()
                    == 1
            }
            None => false,
        }
    } else {
        if !enrolled(pool, user_id).await? {
            return Err(not_enrolled());
        }
        crate::db_query!(
            "UPDATE mfa_recovery_codes SET used_at = now()
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            user_id,
            secret_token::digest(&normalise_recovery(code))
        )
        .execute(pool)
        .await?
        .rows_affected()
            == 1
    };
    if !accepted {
        return Err(invalid_code());
    }
    ratelimit::forget(pool, ATTEMPTS.bucket, &user_id.to_string()).await
}

fn invalid_code() -> Error {
    Error::Unprocessable {
        code: "invalid_mfa_code",
        detail: Text::new("problem-invalid-mfa-code"),
    }
}

fn not_enrolled() -> Error {
    Error::conflict("mfa_not_enrolled", Text::new("problem-mfa-not-enrolled"))
}

/// "123 456" and "123-456" are how apps show a code; people type it either way.
fn normalise_digits(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// Recovery codes compare in Crockford's base32 (case, dashes, O/0 and I/L/1 forgiven).
fn normalise_recovery(code: &str) -> String {
    secret_token::crockford_normalise(code)
}

/// 16 Crockford base32 characters (80 bits), shown as four groups of four.
fn recovery_code() -> String {
    let raw = secret_token::crockford(16);
    format!(
        "{}-{}-{}-{}",
        &raw[0..4],
        &raw[4..8],
        &raw[8..12],
        &raw[12..16]
    )
}

/// `text` as a QR code in SVG (one path of dark modules, a quiet zone of four).
fn qr_svg(text: &str) -> Result<String> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).map_err(Error::internal)?;
    let border = 4;
    let size = qr.size() + 2 * border;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

/// The current code of `secret` (base32): what the authenticator app shows now. For the
/// local runner's demo admin and for tests, which play the admin's phone.
pub fn current_code(
    secret: &str,
    now: chrono::DateTime<chrono::Utc>,
    offset_steps: i64,
) -> Result<String> {
    code_at_step(secret, now.timestamp() / 30 + offset_steps)
}

/// Codes are checked against the clock's time (`crate::clock`), not the system's, so that
/// a shifted local run and its stand-in authenticator agree.
fn unix_seconds(now: chrono::DateTime<chrono::Utc>) -> u64 {
    now.timestamp().max(0) as u64
}

/// The code of `secret` for time step `step` (Unix time / 30).
pub fn code_at_step(secret: &str, step: i64) -> Result<String> {
    Ok(totp(secret, "x")?
        .generate((step.max(0) * 30) as u64)
        .to_string())
}

/// Forgets the account's authenticator and recovery codes (its deletion).
pub async fn forget(conn: &mut sqlx::PgConnection, user_id: Uuid) -> Result<()> {
    crate::db_query!("DELETE FROM mfa_totp WHERE user_id = $1", user_id)
        .execute(&mut *conn)
        .await?;
    crate::db_query!("DELETE FROM mfa_recovery_codes WHERE user_id = $1", user_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238 appendix B, SHA-1: the secret "12345678901234567890", 8 digits at
        // 59 s is 94287082, so its 6-digit truncation is 287082.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        let totp = totp(&secret, "ann@example.com").unwrap();
        assert_eq!(totp.generate(59).to_string(), "287082");
        assert_eq!(totp.generate(1_111_111_109).to_string(), "081804");
        // One step of skew either way, and no more.
        assert_eq!(totp.check("287082", 59 + 30), Some(1));
        assert_eq!(totp.check("287082", 59 + 60), None);
        assert!(totp
            .to_url()
            .unwrap()
            .starts_with("otpauth://totp/FitKart:ann%40example.com?"));
    }

    #[test]
    fn recovery_codes_are_80_random_bits_typed_forgivingly() {
        let code = recovery_code();
        assert_eq!(code.len(), 19);
        assert_ne!(code, recovery_code());
        let sloppy = code.to_lowercase().replace('-', " ");
        assert_eq!(normalise_recovery(&sloppy), normalise_recovery(&code));
        assert_eq!(normalise_digits("123 456"), "123456");
    }

    #[test]
    fn the_qr_code_is_an_svg_of_the_uri() {
        let svg = qr_svg("otpauth://totp/FitKart:a?secret=ABC").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<path d=\"M"));
    }
}
