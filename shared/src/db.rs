//! Postgres for Lambda behind RDS Proxy: a tiny pool per execution environment, created
//! lazily (no connection at init, so cold starts stay fast), a short acquire timeout (a
//! proxy that cannot be reached becomes a quick 503, not a stuck invocation; a saturated
//! one answers with its own borrow timeout), and a liveness check before a checkout after
//! idling, because a thawed environment may hold connections the proxy has already closed
//! while it was frozen.
//!
//! Multiplexing: RDS Proxy shares backends between execution environments at transaction
//! boundaries, so nothing lives in a session: every statement is unnamed and runs inside a
//! transaction (`Stmt`, below), the startup parameters are the ones a pooler forwards
//! (`startup`), and there is no `SET`, no session advisory lock, no temp table, no
//! `currval`. A backend is busy only while a transaction runs. Locally PgBouncer in
//! transaction mode plays the proxy (`scripts/dev`, `scripts/test`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::config::Config;
use crate::db_token;
use crate::{Error, Result};

/// Builds the lazy pool. `password`, when given, replaces any password in the URL.
pub fn lazy_pool(config: &Config, password: Option<&str>) -> Result<PgPool> {
    let mut options = startup(
        PgConnectOptions::from_str(&config.database_url)
            .map_err(|e| Error::internal(format!("DATABASE_URL is invalid: {e}")))?,
    )
    .application_name(&application_name());
    if let Some(password) = password {
        options = options.password(password);
    }
    Ok(pool_options(config).connect_lazy_with(options))
}

/// The startup parameters a pooler forwards and nothing else: sqlx's `DateStyle`,
/// `client_encoding`, `TimeZone` and `application_name`, which PgBouncer and RDS Proxy
/// track per client, but not `extra_float_digits` (PgBouncer refuses it; a session that
/// sets it is one RDS Proxy cannot share). Values travel in binary, so it changes nothing.
pub fn startup(options: PgConnectOptions) -> PgConnectOptions {
    options.extra_float_digits(None)
}

pub fn pool_options(config: &Config) -> PgPoolOptions {
    checked_after_idle(PgPoolOptions::new())
        .max_connections(config.db_pool_max)
        .min_connections(0)
        .acquire_timeout(config.db_acquire_timeout)
        .idle_timeout(Some(Duration::from_secs(60)))
        .max_lifetime(Some(Duration::from_secs(30 * 60)))
}

/// A pooled connection idle this long is pinged before use: long enough that a warm
/// environment's back-to-back transactions skip it, short enough that any environment
/// thawed after a pause checks first.
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

/// The liveness check at checkout, only for a connection that sat idle (see
/// `PING_AFTER_IDLE`). Through a transaction pooler a ping needs a backend like any
/// transaction, so pinging every checkout would double the backend borrows of a busy
/// function, and a ping queued behind a saturated pool spends the acquire timeout
/// before the work has begun.
pub fn checked_after_idle(options: PgPoolOptions) -> PgPoolOptions {
    options
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
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

// ------------------------------------------------------------------ statements
//
// Multiplexed connections. RDS Proxy (and PgBouncer in transaction mode, locally) hands
// a client's next transaction to whichever backend is free, so nothing may live in a
// session between transactions. Two things of sqlx's would:
//
// - named prepared statements (`sqlx_s_1`, ...), which live in the backend's session:
//   on another backend they don't exist, and another client's `sqlx_s_1` collides with
//   them. The query macros' results (`Map`) are always named when they have arguments;
//   `.persistent(false)` is not even offered for them.
// - the prepare and the execution of a statement are two round trips with a `Sync`
//   between them; outside a transaction a pooler may send the second to another
//   backend.
//
// So every statement runs through `Stmt` (the `db_query!` macros wrap the compile-checked
// ones): as an unnamed statement, through `Unnamed`, and only on a connection inside a
// transaction (anything else is refused as a bug). `tests/api/architecture.rs` keeps
// `sqlx::query` out of the rest of the code.

use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::postgres::{PgArguments, PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Connection, Either, Execute, Executor, IntoArguments, PgConnection, Postgres};

static NAMED_STATEMENTS: AtomicBool = AtomicBool::new(false);

/// Whether statements are named and kept per connection (sqlx's default) instead of
/// unnamed and parsed with each execution. Only the benchmarks turn this on, to measure
/// what parsing every time costs; nothing in production does.
pub fn named_statements() -> bool {
    NAMED_STATEMENTS.load(Ordering::Relaxed)
}

/// For the benchmarks' baseline: statements named and cached, as sqlx does by default.
pub fn use_named_statements(named: bool) {
    NAMED_STATEMENTS.store(named, Ordering::Relaxed);
}

/// A compile-checked statement: `db_query!`, `db_query_as!` and `db_query_scalar!`
/// (sqlx's macros, wrapped), or `Stmt(sqlx::query_as(..))` for the few built at run time.
/// Its methods take a connection inside a transaction.
#[must_use = "a statement does nothing until it is run"]
pub struct Stmt<Q>(pub Q);

/// `sqlx::query!`, run as an unnamed statement in the caller's transaction.
#[macro_export]
macro_rules! db_query {
    ($($t:tt)*) => { $crate::db::Stmt(::sqlx::query!($($t)*)) };
}

/// `sqlx::query_as!`, run as an unnamed statement in the caller's transaction.
#[macro_export]
macro_rules! db_query_as {
    ($($t:tt)*) => { $crate::db::Stmt(::sqlx::query_as!($($t)*)) };
}

/// `sqlx::query_scalar!`, run as an unnamed statement in the caller's transaction.
#[macro_export]
macro_rules! db_query_scalar {
    ($($t:tt)*) => { $crate::db::Stmt(::sqlx::query_scalar!($($t)*)) };
}

fn in_transaction(conn: &PgConnection) -> std::result::Result<(), sqlx::Error> {
    if conn.is_in_transaction() {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            "a statement ran outside a transaction: through a transaction pooler its prepare and its execution could reach two backends".into(),
        ))
    }
}

/// Where a statement runs: on a connection inside the caller's transaction, or on the
/// pool, in a short transaction of its own (committed before the call returns).
pub enum Target<'c> {
    Conn(&'c mut PgConnection),
    Pool(&'c PgPool),
}

impl<'c> From<&'c mut PgConnection> for Target<'c> {
    fn from(conn: &'c mut PgConnection) -> Self {
        Target::Conn(conn)
    }
}

impl<'c, 't> From<&'c mut sqlx::Transaction<'t, Postgres>> for Target<'c> {
    fn from(tx: &'c mut sqlx::Transaction<'t, Postgres>) -> Self {
        Target::Conn(tx)
    }
}

impl<'c> From<&'c PgPool> for Target<'c> {
    fn from(pool: &'c PgPool) -> Self {
        Target::Pool(pool)
    }
}

/// Runs the statement's `$method` through `Unnamed`, where `$target` says.
macro_rules! on_target {
    ($stmt:expr, $target:expr, $method:ident) => {
        match $target.into() {
            Target::Conn(conn) => {
                in_transaction(conn)?;
                $stmt.$method(Unnamed(conn)).await
            }
            Target::Pool(pool) => {
                let mut tx = pool.begin().await?;
                let out = $stmt.$method(Unnamed(&mut *tx)).await?;
                tx.commit().await?;
                Ok(out)
            }
        }
    };
}

type SqlxResult<T> = std::result::Result<T, sqlx::Error>;

impl<'q, F, O, A> Stmt<sqlx::query::Map<'q, Postgres, F, A>>
where
    F: FnMut(PgRow) -> SqlxResult<O> + Send,
    O: Send + Unpin,
    A: 'q + Send + IntoArguments<'q, Postgres>,
{
    pub async fn fetch_one(self, on: impl Into<Target<'_>>) -> SqlxResult<O> {
        on_target!(self.0, on, fetch_one)
    }

    pub async fn fetch_optional(self, on: impl Into<Target<'_>>) -> SqlxResult<Option<O>> {
        on_target!(self.0, on, fetch_optional)
    }

    pub async fn fetch_all(self, on: impl Into<Target<'_>>) -> SqlxResult<Vec<O>> {
        on_target!(self.0, on, fetch_all)
    }
}

impl<'q, A> Stmt<sqlx::query::Query<'q, Postgres, A>>
where
    A: 'q + Send + IntoArguments<'q, Postgres>,
{
    pub async fn execute(self, on: impl Into<Target<'_>>) -> SqlxResult<PgQueryResult> {
        on_target!(self.0, on, execute)
    }
}

impl<'q, O, A> Stmt<sqlx::query::QueryScalar<'q, Postgres, O, A>>
where
    O: Send + Unpin,
    (O,): Send + Unpin + for<'r> sqlx::FromRow<'r, PgRow>,
    A: 'q + Send + IntoArguments<'q, Postgres>,
{
    pub async fn fetch_one(self, on: impl Into<Target<'_>>) -> SqlxResult<O> {
        on_target!(self.0, on, fetch_one)
    }

    pub async fn fetch_optional(self, on: impl Into<Target<'_>>) -> SqlxResult<Option<O>> {
        on_target!(self.0, on, fetch_optional)
    }

    pub async fn fetch_all(self, on: impl Into<Target<'_>>) -> SqlxResult<Vec<O>> {
        on_target!(self.0, on, fetch_all)
    }
}

impl<'q, O, A> Stmt<sqlx::query::QueryAs<'q, Postgres, O, A>>
where
    O: Send + Unpin + for<'r> sqlx::FromRow<'r, PgRow>,
    A: 'q + Send + IntoArguments<'q, Postgres>,
{
    pub async fn fetch_all(self, on: impl Into<Target<'_>>) -> SqlxResult<Vec<O>> {
        on_target!(self.0, on, fetch_all)
    }
}

/// A connection whose statements are prepared unnamed (unless the benchmarks asked for
/// named ones): everything else is the connection's own.
#[derive(Debug)]
pub struct Unnamed<'c>(pub &'c mut PgConnection);

/// A statement that says it should not be kept (see `named_statements`).
struct Unkept<E>(E);

impl<'q, E: Execute<'q, Postgres>> Execute<'q, Postgres> for Unkept<E> {
    fn sql(&self) -> &'q str {
        self.0.sql()
    }

    fn statement(&self) -> Option<&PgStatement<'q>> {
        self.0.statement()
    }

    fn take_arguments(
        &mut self,
    ) -> std::result::Result<Option<PgArguments>, sqlx::error::BoxDynError> {
        self.0.take_arguments()
    }

    fn persistent(&self) -> bool {
        named_statements() && self.0.persistent()
    }
}

impl<'c> Executor<'c> for Unnamed<'c> {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, std::result::Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        self.0.fetch_many(Unkept(query))
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, std::result::Result<Option<PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        self.0.fetch_optional(Unkept(query))
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, std::result::Result<PgStatement<'q>, sqlx::Error>>
    where
        'c: 'e,
    {
        self.0.prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, std::result::Result<sqlx::Describe<Postgres>, sqlx::Error>>
    where
        'c: 'e,
    {
        self.0.describe(sql)
    }
}
