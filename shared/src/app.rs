//! The state of one execution environment: built once per cold start with no I/O, and
//! every expensive part (database pool, AWS clients, secrets) created on first use.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::{Mutex, OnceCell};

use crate::config::{Config, ConfigError, MIN_JWT_KEY_BYTES};
use crate::jwks::KeyCache;
use crate::jwt::JwtKeys;
use crate::settings::{self, Settings};
use crate::{db, secrets, Error, Result};

pub struct App {
    pub config: Config,
    pool: OnceCell<PgPool>,
    aws: OnceCell<aws_config::SdkConfig>,
    sqs: OnceCell<aws_sdk_sqs::Client>,
    ses: OnceCell<aws_sdk_sesv2::Client>,
    jwt: OnceCell<JwtKeys>,
    http: std::sync::OnceLock<reqwest::Client>,
    google_keys: KeyCache,
    apple_keys: KeyCache,
    settings: Mutex<Option<(Instant, Arc<Settings>)>>,
    settings_ttl: Duration,
}

/// How long a function may act on settings an admin has since changed.
const SETTINGS_TTL: Duration = Duration::from_secs(5);

impl App {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(Config::from_env()?))
    }

    pub fn new(config: Config) -> Self {
        let google_keys =
            KeyCache::new(config.google_jwks_url.clone(), config.jwks_refetch_interval);
        let apple_keys = KeyCache::new(config.apple_jwks_url.clone(), config.jwks_refetch_interval);
        Self {
            config,
            pool: OnceCell::new(),
            aws: OnceCell::new(),
            sqs: OnceCell::new(),
            ses: OnceCell::new(),
            jwt: OnceCell::new(),
            http: std::sync::OnceLock::new(),
            google_keys,
            apple_keys,
            settings: Mutex::new(None),
            settings_ttl: SETTINGS_TTL,
        }
    }

    /// For tests and tools that already hold a pool: settings are never cached, so a
    /// change is visible to the very next call.
    pub fn with_pool(config: Config, pool: PgPool) -> Self {
        let mut app = Self::new(config);
        app.pool = OnceCell::new_with(Some(pool));
        app.settings_ttl = Duration::ZERO;
        app
    }

    /// The pool, created on first use (fetching the database password if it is a secret).
    pub async fn db(&self) -> Result<&PgPool> {
        self.pool
            .get_or_try_init(|| async {
                let password = match &self.config.db_password {
                    Some(source) => Some(secrets::resolve(self.aws().await, source).await?),
                    None => None,
                };
                db::lazy_pool(&self.config, password.as_deref())
            })
            .await
    }

    /// AWS configuration from the environment (credentials, region, `AWS_ENDPOINT_URL`).
    pub async fn aws(&self) -> &aws_config::SdkConfig {
        self.aws
            .get_or_init(|| aws_config::load_defaults(aws_config::BehaviorVersion::latest()))
            .await
    }

    pub async fn sqs(&self) -> &aws_sdk_sqs::Client {
        let aws = self.aws().await;
        self.sqs
            .get_or_init(|| async { aws_sdk_sqs::Client::new(aws) })
            .await
    }

    /// SES v2 for outgoing mail (the emulator's when `AWS_ENDPOINT_URL` is set).
    pub async fn ses(&self) -> &aws_sdk_sesv2::Client {
        let aws = self.aws().await;
        self.ses
            .get_or_init(|| async { aws_sdk_sesv2::Client::new(aws) })
            .await
    }

    pub async fn jwt(&self) -> Result<&JwtKeys> {
        self.jwt
            .get_or_try_init(|| async {
                let secret = secrets::resolve(self.aws().await, &self.config.jwt_secret).await?;
                // JWT_SECRET is checked with the rest of the configuration; a key from
                // Secrets Manager can only be checked once fetched.
                if secret.len() < MIN_JWT_KEY_BYTES {
                    let message = format!(
                        "the JWT signing key from {:?} is {} bytes; HS256 needs at least {MIN_JWT_KEY_BYTES}",
                        self.config.jwt_secret,
                        secret.len()
                    );
                    tracing::error!(%message, "configuration error");
                    return Err(Error::internal(message));
                }
                Ok::<_, Error>(JwtKeys::new(&self.config, secret.as_bytes()))
            })
            .await
    }

    /// An HTTP client for third parties (the identity providers' keys), created on first use.
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            // rustls with the aws-lc-rs provider the rest of the binary already carries.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("a client with static settings builds")
        })
    }

    pub fn google_keys(&self) -> &KeyCache {
        &self.google_keys
    }

    pub fn apple_keys(&self) -> &KeyCache {
        &self.apple_keys
    }

    /// The current settings, read at most every few seconds per execution environment.
    pub async fn settings(&self) -> Result<Arc<Settings>> {
        let mut cached = self.settings.lock().await;
        if let Some((at, settings)) = cached.as_ref() {
            if at.elapsed() < self.settings_ttl {
                return Ok(settings.clone());
            }
        }
        let mut conn = self.db().await?.acquire().await?;
        let settings = Arc::new(settings::load(&mut conn).await?);
        *cached = Some((Instant::now(), settings.clone()));
        Ok(settings)
    }
}
