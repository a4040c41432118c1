//! Postgres for Lambda behind RDS Proxy: a tiny pool per execution environment, created
//! lazily (no connection at init, so cold starts stay fast), a short acquire timeout (a
//! saturated proxy becomes a quick 503, not a stuck invocation), and a liveness check
//! before each checkout because a thawed environment may hold connections the proxy has
//! already closed while it was frozen.
//!
//! Pinning: sqlx's compile-checked macros use named prepared statements, which RDS Proxy
//! answers by pinning the client connection to one backend. FitKart accepts that and sizes
//! for it: at most `DB_POOL_MAX` (2) connections per environment, idle ones closed after a
//! minute, and queue consumers bounded by `MaximumConcurrency` in the template. Nothing
//! else pins: no `SET`, no session advisory locks, no temp tables, no `currval`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::config::Config;
use crate::db_token;
use crate::{Error, Result};

/// Builds the lazy pool. `password`, when given, replaces any password in the URL.
pub fn lazy_pool(config: &Config, password: Option<&str>) -> Result<PgPool> {
    let mut options = PgConnectOptions::from_str(&config.database_url)
        .map_err(|e| Error::internal(format!("DATABASE_URL is invalid: {e}")))?
        .application_name(&application_name());
    if let Some(password) = password {
        options = options.password(password);
    }
    Ok(pool_options(config).connect_lazy_with(options))
}

pub fn pool_options(config: &Config) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(config.db_pool_max)
        .min_connections(0)
        .acquire_timeout(config.db_acquire_timeout)
        .idle_timeout(Some(Duration::from_secs(60)))
        .max_lifetime(Some(Duration::from_secs(30 * 60)))
        .test_before_acquire(true)
}

/// Where an IAM token signs in: host, port and user of `DATABASE_URL`, and the region.
pub fn token_target(config: &Config, aws: &aws_config::SdkConfig) -> Result<db_token::Target> {
    let options = PgConnectOptions::from_str(&config.database_url)
        .map_err(|e| Error::internal(format!("DATABASE_URL is invalid: {e}")))?;
    Ok(db_token::Target {
        host: options.get_host().to_owned(),
        port: options.get_port(),
        user: options.get_username().to_owned(),
        region: aws
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| Error::internal("AWS_REGION is not set"))?,
    })
}

/// The function's name shows in `pg_stat_activity`, which makes connection counts per
/// function visible to operators.
fn application_name() -> String {
    std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "fitkart".into())
}

/// The embedded migrations, run by the `ops-migrate` function and by the test harness.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");
