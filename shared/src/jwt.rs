//! Access tokens: HS256 JWTs with `iss`, `aud`, `exp`, `iat`, `sub`, `role`, the account's
//! credential version `cv` (a token issued before the last credential change is stale) and
//! `amr`, how the session was proven (RFC 8176: `pwd`, `otp`; `oauth` for a provider's
//! sign-in). The algorithm is pinned on both sides, so `alg: none` and algorithm-confusion
//! tokens (an RS256/HS256 switch) are refused before any signature check.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Config;
use crate::users::Role;
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// The account's credential version when the token was issued. Tokens of the release
    /// before credential versions carry none, which counts as the first version.
    #[serde(default = "first_version")]
    pub cv: i32,
    /// How the session was proven; admin routes need `otp` in it.
    #[serde(default)]
    pub amr: Vec<String>,
    /// The account's language when the token was issued (`http::locale` reads it); a
    /// change applies from the next token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// The `amr` values FitKart issues.
pub mod amr {
    /// A password was checked.
    pub const PASSWORD: &str = "pwd";
    /// Google or Apple vouched for the person.
    pub const PROVIDER: &str = "oauth";
    /// A one-time code from the account's authenticator (or a recovery code) was checked.
    pub const OTP: &str = "otp";
}

fn first_version() -> i32 {
    1
}

/// What an access token says about its session, besides whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub credential_version: i32,
    pub amr: Vec<String>,
    /// The account's language, carried so a problem can be told in it without a query.
    pub locale: String,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The key before the last rotation: tokens it signed stay valid for their few
    /// remaining minutes, so a rotation signs nobody out.
    previous: Option<DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

pub const ALGORITHM: Algorithm = Algorithm::HS256;

/// Seconds a token is still accepted after its `exp`, for clocks that disagree a little.
const LEEWAY_SECONDS: u64 = 30;

impl JwtKeys {
    /// Keys that sign with `secret` and also accept tokens signed with `previous`.
    pub fn new(config: &Config, secret: &[u8], previous: Option<&[u8]>) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        // Expiry is checked in `verify`, against the clock.
        validation.validate_exp = false;
        validation.leeway = LEEWAY_SECONDS;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            previous: previous.map(DecodingKey::from_secret),
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl: config.access_token_ttl,
        }
    }

    /// A signed access token and its lifetime in seconds.
    pub fn issue(
        &self,
        user_id: Uuid,
        grant: &Grant,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(String, u64)> {
        let now = now.timestamp();
        let claims = Claims {
            sub: user_id,
            role: grant.role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            cv: grant.credential_version,
            amr: grant.amr.clone(),
            locale: Some(grant.locale.clone()),
        };
        let token =
            encode(&Header::new(ALGORITHM), &claims, &self.encoding).map_err(Error::internal)?;
        Ok((token, self.ttl.as_secs()))
    }

    /// Verifies signature, algorithm, issuer, audience and expiry (against `now`, the
    /// clock's time: the library's own check would read the system clock). Every failure
    /// is the same `401`: a client learns nothing about which check failed.
    pub fn verify(&self, token: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Claims> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .or_else(|e| match &self.previous {
                Some(previous) => decode::<Claims>(token, previous, &self.validation),
                None => Err(e),
            })
            .map(|data| data.claims)
            .ok()
            .filter(|claims| claims.exp + LEEWAY_SECONDS as i64 > now.timestamp())
            .ok_or(Error::Unauthorized)
    }
}
