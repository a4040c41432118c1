//! The state of one execution environment: built once per cold start with no I/O, and
//! every expensive part (database pool, AWS clients, secrets) created on first use.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::{Mutex, OnceCell};

use crate::clock::Clock;
use crate::config::{Config, ConfigError, DbAuth, MIN_JWT_KEY_BYTES};
use crate::jwks::KeyCache;
use crate::jwt::JwtKeys;
use crate::settings::{self, Settings};
use crate::{db, db_token, secrets, Error, Result};

pub struct App {
    pub config: Config,
    /// What "now" is for every rule this environment applies (`clock`).
    pub clock: Clock,
    pool: OnceCell<PgPool>,
    /// When the pool's IAM token was minted (IAM authentication only).
    db_token_minted: Mutex<Option<Instant>>,
    aws: OnceCell<aws_config::SdkConfig>,
    sqs: OnceCell<aws_sdk_sqs::Client>,
    ses: OnceCell<aws_sdk_sesv2::Client>,
    sns: OnceCell<aws_sdk_sns::Client>,
    jwt: OnceCell<JwtKeys>,
    shopify_webhook_key: OnceCell<String>,
    http: std::sync::OnceLock<reqwest::Client>,
    google_keys: KeyCache,
    apple_keys: KeyCache,
    settings: Mutex<Option<(Instant, Arc<Settings>)>>,
    settings_ttl: Duration,
}

/// A database token is replaced after this long (it is valid 15 minutes).
const DB_TOKEN_REFRESH: Duration = Duration::from_secs(10 * 60);

/// How long a function may act on settings an admin has since changed.
const SETTINGS_TTL: Duration = Duration::from_secs(5);

impl App {
    /// The current instant by this environment's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        // The baseline of `scripts/bench http` only: statements named and kept per
        // connection, as sqlx does by default, over a direct connection (a transaction
        // pooler cannot carry them; see `db::named_statements`).
        if std::env::var("FITKART_BENCH_NAMED_STATEMENTS").as_deref() == Ok("1") {
            db::use_named_statements(true);
        }
        Ok(Self::new(Config::from_env()?))
    }

    pub fn new(config: Config) -> Self {
        let google_keys =
            KeyCache::new(config.google_jwks_url.clone(), config.jwks_refetch_interval);
        let apple_keys = KeyCache::new(config.apple_jwks_url.clone(), config.jwks_refetch_interval);
        Self {
            config,
            clock: Clock::from_env(),
            pool: OnceCell::new(),
            db_token_minted: Mutex::new(None),
            aws: OnceCell::new(),
            sqs: OnceCell::new(),
            ses: OnceCell::new(),
            sns: OnceCell::new(),
            jwt: OnceCell::new(),
            shopify_webhook_key: OnceCell::new(),
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

    /// The pool, created on first use (with the database password from its secret, or
    /// an IAM token). With IAM authentication a fresh token is minted well before the
    /// current one expires, for the connections the pool opens from then on.
    pub async fn db(&self) -> Result<&PgPool> {
        let pool = self
            .pool
            .get_or_try_init(|| async {
                let password = match &self.config.db_auth {
                    DbAuth::Url => None,
                    DbAuth::Secret(source) => {
                        Some(secrets::resolve(self.aws().await, source).await?)
                    }
                    DbAuth::Iam => Some(self.db_token().await?),
                };
                db::lazy_pool(&self.config, password.as_deref())
            })
            .await?;
        if self.config.db_auth == DbAuth::Iam {
            let mut minted = self.db_token_minted.lock().await;
            if minted.is_none_or(|at| at.elapsed() > DB_TOKEN_REFRESH) {
                let token = self.db_token().await?;
                pool.set_connect_options((*pool.connect_options()).clone().password(&token));
                *minted = Some(Instant::now());
            }
        }
        Ok(pool)
    }

    async fn db_token(&self) -> Result<String> {
        let aws = self.aws().await;
        let target = db::token_target(&self.config, aws)?;
        db_token::mint(aws, &target).await
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

    /// SNS for mobile push (the emulator's when `AWS_ENDPOINT_URL` is set).
    pub async fn sns(&self) -> &aws_sdk_sns::Client {
        let aws = self.aws().await;
        self.sns
            .get_or_init(|| async { aws_sdk_sns::Client::new(aws) })
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
                // During a rotation the previous key still verifies (never signs).
                let previous = match &self.config.jwt_previous_secret {
                    Some(value) => Some(value.clone()),
                    None => secrets::resolve_previous(self.aws().await, &self.config.jwt_secret).await?,
                };
                let previous = previous.filter(|p| p.len() >= MIN_JWT_KEY_BYTES);
                Ok::<_, Error>(JwtKeys::new(
                    &self.config,
                    secret.as_bytes(),
                    previous.as_deref().map(str::as_bytes),
                ))
            })
            .await
    }

    /// The key Shopify signs webhooks with, fetched once per execution environment.
    pub async fn shopify_webhook_key(&self) -> Result<&str> {
        let source = self.config.shopify_webhook_secret.as_ref().ok_or_else(|| {
            Error::internal("Shopify webhooks are not configured: set SHOPIFY_WEBHOOK_SECRET_ARN")
        })?;
        let key = self
            .shopify_webhook_key
            .get_or_try_init(|| async { secrets::resolve(self.aws().await, source).await })
            .await?;
        Ok(key)
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
        let mut tx = self.db().await?.begin().await?;
        let settings = Arc::new(settings::load(&mut tx).await?);
        tx.commit().await?;
        *cached = Some((Instant::now(), settings.clone()));
        Ok(settings)
    }
}
