//! Configuration from the environment, read once per cold start. Every error names the
//! variable, so a misconfigured function fails its init with a message an operator can act on.

use std::time::Duration;

/// The shortest HS256 key accepted (RFC 7518: at least as long as the hash output).
pub const MIN_JWT_KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Where a secret comes from: the value itself (local runs, tests) or a Secrets Manager
/// ARN resolved on first use (AWS; nothing secret sits in the template or the environment).
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    Value(String),
    SecretsManager { arn: String },
}

impl std::fmt::Debug for SecretSource {
    // Never print a secret, not even in a panic message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Value(_) => f.write_str("SecretSource::Value(<redacted>)"),
            SecretSource::SecretsManager { arn } => {
                write!(f, "SecretSource::SecretsManager({arn})")
            }
        }
    }
}

/// How the functions log in to Postgres.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbAuth {
    /// The password in `DATABASE_URL`, if any (local runs, tests).
    Url,
    /// A Secrets Manager secret's `password` (a database without IAM authentication).
    Secret(SecretSource),
    /// IAM authentication to RDS Proxy: a 15-minute token signed in process with the
    /// function's own credentials; no password exists anywhere in the function.
    Iam,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `postgres://user@host:port/db?sslmode=...`; the password comes from here or from
    /// `db_auth`.
    pub database_url: String,
    pub db_auth: DbAuth,
    pub db_pool_max: u32,
    pub db_acquire_timeout: Duration,
    pub jwt_secret: SecretSource,
    /// A key that still verifies (never signs) during a rotation, given directly; with a
    /// Secrets Manager key, its `AWSPREVIOUS` version plays this part.
    pub jwt_previous_secret: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub bcrypt_cost: u32,
    pub step_validation_queue_url: Option<String>,
    pub coin_credit_queue_url: Option<String>,
    /// Where Google's and Apple's signing keys are published (configurable for tests).
    pub google_jwks_url: String,
    pub apple_jwks_url: String,
    /// The app's OAuth client ids (iOS, Android, web), the accepted `aud` of ID tokens.
    pub google_client_ids: Vec<String>,
    pub apple_client_ids: Vec<String>,
    /// The shortest time between two key fetches caused by an unknown `kid` (a rotation).
    pub jwks_refetch_interval: Duration,
    /// The Shopify Admin API the catalog sync reads and orders are pushed to.
    pub shopify: Option<ShopifyConfig>,
    /// Where confirmed orders wait for their push to Shopify (`shopify-process` consumes it;
    /// webhooks are queued there too).
    pub shopify_orders_queue_url: Option<String>,
    /// The key Shopify signs webhooks with (the app's API secret); only the webhook
    /// function needs it.
    pub shopify_webhook_secret: Option<SecretSource>,
    /// Outgoing mail (SES); only the functions that send mail need it.
    pub mail: Option<MailConfig>,
    /// SNS platform applications for mobile push (registering devices needs them).
    pub push: PushConfig,
    /// Where due notifications wait for `notifications-send`.
    pub notification_queue_url: Option<String>,
}

/// The SNS platform applications devices are registered with, per platform. They hold the
/// APNs and FCM credentials, so they are created outside the stack (CloudFormation has no
/// resource for them) and passed in by ARN.
#[derive(Debug, Clone, Default)]
pub struct PushConfig {
    pub apns_application_arn: Option<String>,
    pub fcm_application_arn: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The `From` of every mail, e.g. `FitKart <no-reply@fitkart.app>`: an address (or a
    /// domain) verified as an SES identity.
    pub from: String,
    /// Where the app's deep links start: `<base>/verify-email?token=...`.
    pub link_base_url: String,
    /// An SES configuration set (bounce and complaint events, dedicated IPs), if any.
    pub configuration_set: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ShopifyConfig {
    /// `https://{shop}.myshopify.com/admin/api/{version}/graphql.json`, or a local fake.
    pub graphql_url: String,
    pub access_token: SecretSource,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| lookup(name).ok_or(ConfigError::Missing(name));
        let secret =
            |name: &'static str, arn_name: &'static str| -> Result<SecretSource, ConfigError> {
                match (lookup(name), lookup(arn_name)) {
                    (Some(v), _) => Ok(SecretSource::Value(v)),
                    (None, Some(arn)) => Ok(SecretSource::SecretsManager { arn }),
                    (None, None) => Err(ConfigError::Missing(arn_name)),
                }
            };
        let number =
            |name: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
                match lookup(name) {
                    None => Ok(default),
                    Some(v) => match v.parse::<u64>() {
                        Ok(n) if (min..=max).contains(&n) => Ok(n),
                        _ => Err(ConfigError::Invalid {
                            name,
                            reason: format!("expected an integer in {min}..={max}, got {v:?}"),
                        }),
                    },
                }
            };

        let jwt_secret = secret("JWT_SECRET", "JWT_SECRET_ARN")?;
        if let SecretSource::Value(v) = &jwt_secret {
            if v.len() < MIN_JWT_KEY_BYTES {
                return Err(ConfigError::Invalid {
                    name: "JWT_SECRET",
                    reason: "must be at least 32 bytes for HS256".into(),
                });
            }
        }
        Ok(Config {
            database_url: required("DATABASE_URL")?,
            db_auth: db_auth(&lookup)?,
            db_pool_max: number("DB_POOL_MAX", 2, 1, 50)? as u32,
            db_acquire_timeout: Duration::from_millis(number(
                "DB_ACQUIRE_TIMEOUT_MS",
                3000,
                100,
                60_000,
            )?),
            jwt_secret,
            jwt_previous_secret: lookup("JWT_PREVIOUS_SECRET"),
            jwt_issuer: lookup("JWT_ISSUER").unwrap_or_else(|| "fitkart".into()),
            jwt_audience: lookup("JWT_AUDIENCE").unwrap_or_else(|| "fitkart-app".into()),
            access_token_ttl: Duration::from_secs(number(
                "ACCESS_TOKEN_TTL_SECONDS",
                900,
                60,
                86_400,
            )?),
            refresh_token_ttl: Duration::from_secs(
                number("REFRESH_TOKEN_TTL_DAYS", 30, 1, 365)? * 86_400,
            ),
            bcrypt_cost: number("BCRYPT_COST", 12, 4, 16)? as u32,
            step_validation_queue_url: lookup("STEP_VALIDATION_QUEUE_URL"),
            coin_credit_queue_url: lookup("COIN_CREDIT_QUEUE_URL"),
            google_jwks_url: lookup("GOOGLE_JWKS_URL")
                .unwrap_or_else(|| "https://www.googleapis.com/oauth2/v3/certs".into()),
            apple_jwks_url: lookup("APPLE_JWKS_URL")
                .unwrap_or_else(|| "https://appleid.apple.com/auth/keys".into()),
            google_client_ids: list(lookup("GOOGLE_CLIENT_IDS")),
            apple_client_ids: list(lookup("APPLE_CLIENT_IDS")),
            jwks_refetch_interval: Duration::from_secs(number(
                "JWKS_REFETCH_SECONDS",
                10,
                0,
                3_600,
            )?),
            shopify: shopify(&lookup, &secret)?,
            shopify_orders_queue_url: lookup("SHOPIFY_ORDERS_QUEUE_URL"),
            shopify_webhook_secret: match (
                lookup("SHOPIFY_WEBHOOK_SECRET"),
                lookup("SHOPIFY_WEBHOOK_SECRET_ARN"),
            ) {
                (None, None) => None,
                _ => Some(secret(
                    "SHOPIFY_WEBHOOK_SECRET",
                    "SHOPIFY_WEBHOOK_SECRET_ARN",
                )?),
            },
            mail: mail(&lookup)?,
            push: PushConfig {
                apns_application_arn: lookup("SNS_APNS_APPLICATION_ARN"),
                fcm_application_arn: lookup("SNS_FCM_APPLICATION_ARN"),
            },
            notification_queue_url: lookup("NOTIFICATION_QUEUE_URL"),
        })
    }
}

/// How functions sign in to Postgres: IAM tokens (`DB_IAM_AUTH=true`, through RDS Proxy),
/// a password from Secrets Manager, or what `DATABASE_URL` holds.
fn db_auth(lookup: &impl Fn(&str) -> Option<String>) -> Result<DbAuth, ConfigError> {
    match (
        lookup("DB_IAM_AUTH").as_deref(),
        lookup("DB_PASSWORD_SECRET_ARN"),
    ) {
        (Some("true"), _) => Ok(DbAuth::Iam),
        (None | Some("false"), Some(arn)) => {
            Ok(DbAuth::Secret(SecretSource::SecretsManager { arn }))
        }
        (None | Some("false"), None) => Ok(DbAuth::Url),
        (Some(other), _) => Err(ConfigError::Invalid {
            name: "DB_IAM_AUTH",
            reason: format!("expected true or false, got {other:?}"),
        }),
    }
}

/// Shopify is configured by shop domain and API version (`SHOPIFY_GRAPHQL_URL` replaces
/// both for a local fake); the token comes from `SHOPIFY_ACCESS_TOKEN(_ARN)`.
fn shopify(
    lookup: &impl Fn(&str) -> Option<String>,
    secret: &impl Fn(&'static str, &'static str) -> Result<SecretSource, ConfigError>,
) -> Result<Option<ShopifyConfig>, ConfigError> {
    let graphql_url = match (lookup("SHOPIFY_GRAPHQL_URL"), lookup("SHOPIFY_SHOP_DOMAIN")) {
        (Some(url), _) => url,
        (None, Some(domain)) => {
            if !domain.ends_with(".myshopify.com") || domain.contains('/') {
                return Err(ConfigError::Invalid {
                    name: "SHOPIFY_SHOP_DOMAIN",
                    reason: format!("expected <shop>.myshopify.com, got {domain:?}"),
                });
            }
            let version = lookup("SHOPIFY_API_VERSION").unwrap_or_else(|| "2025-01".into());
            format!("https://{domain}/admin/api/{version}/graphql.json")
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(ShopifyConfig {
        graphql_url,
        access_token: secret("SHOPIFY_ACCESS_TOKEN", "SHOPIFY_ACCESS_TOKEN_ARN")?,
    }))
}

/// Mail needs a sender and the app's link base; with neither set, the function sends none.
fn mail(lookup: &impl Fn(&str) -> Option<String>) -> Result<Option<MailConfig>, ConfigError> {
    let (from, base) = match (lookup("MAIL_FROM"), lookup("APP_LINK_BASE_URL")) {
        (None, None) => return Ok(None),
        (None, Some(_)) => return Err(ConfigError::Missing("MAIL_FROM")),
        (Some(_), None) => return Err(ConfigError::Missing("APP_LINK_BASE_URL")),
        (Some(from), Some(base)) => (from, base),
    };
    if !from.contains('@') {
        return Err(ConfigError::Invalid {
            name: "MAIL_FROM",
            reason: format!(
                "expected an address such as FitKart <no-reply@example.com>, got {from:?}"
            ),
        });
    }
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(ConfigError::Invalid {
            name: "APP_LINK_BASE_URL",
            reason: format!("expected an http(s) URL, got {base:?}"),
        });
    }
    Ok(Some(MailConfig {
        from,
        link_base_url: base.trim_end_matches('/').to_owned(),
        configuration_set: lookup("SES_CONFIGURATION_SET"),
    }))
}

/// A comma-separated list, blanks dropped.
fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_missing_variable_is_named() {
        let err = Config::from_lookup(lookup(&[("JWT_SECRET", SECRET)])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("DATABASE_URL"));
        assert!(err.to_string().contains("DATABASE_URL"));
        let err = Config::from_lookup(lookup(&[("DATABASE_URL", "postgres://x")])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("JWT_SECRET_ARN"));
    }

    #[test]
    fn defaults_suit_lambda_and_bad_numbers_are_refused() {
        let config = Config::from_lookup(lookup(&[
            ("DATABASE_URL", "postgres://x"),
            ("JWT_SECRET", SECRET),
        ]))
        .unwrap();
        assert_eq!(config.db_pool_max, 2);
        assert_eq!(config.bcrypt_cost, 12);
        let err = Config::from_lookup(lookup(&[
            ("DATABASE_URL", "postgres://x"),
            ("JWT_SECRET", SECRET),
            ("BCRYPT_COST", "99"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "BCRYPT_COST",
                ..
            }
        ));
    }

    #[test]
    fn short_jwt_secrets_are_refused_and_never_printed() {
        let err = Config::from_lookup(lookup(&[
            ("DATABASE_URL", "postgres://x"),
            ("JWT_SECRET", "short"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "JWT_SECRET",
                ..
            }
        ));
        let config = Config::from_lookup(lookup(&[
            ("DATABASE_URL", "postgres://x"),
            ("JWT_SECRET", SECRET),
        ]))
        .unwrap();
        assert!(!format!("{config:?}").contains(SECRET));
    }
}
