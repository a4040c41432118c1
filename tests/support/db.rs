//! Throwaway databases. The suite's script starts a private Postgres cluster and exports
//! `FITKART_TEST_DATABASE_URL`; the first test to get here migrates a template database
//! (once per migration set, guarded by an advisory lock because nextest runs every test
//! in its own process), and each test gets a cheap file-copy clone of it, dropped again
//! when the test is done with it.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::hash::{DefaultHasher, Hash, Hasher};
use uuid::Uuid;

/// PgBouncer in transaction mode in front of the test cluster (`scripts/test` starts
/// it): the functions' pools go through it, as they go through RDS Proxy in AWS, so a
/// statement that relied on its session would fail here. Tests' own setup and checks
/// connect directly.
pub fn pooler_url() -> Option<String> {
    std::env::var("FITKART_TEST_POOLER_URL").ok()
}

pub fn admin_url() -> String {
    std::env::var("FITKART_TEST_DATABASE_URL").expect(
        "FITKART_TEST_DATABASE_URL is not set: run the suite with scripts/test, which starts Postgres",
    )
}

/// The test's own direct connections, named so that a test can tell them from the
/// functions' (which come through the pooler).
pub const TEST_APPLICATION_NAME: &str = "fitkart-tests";

fn options(database: &str) -> PgConnectOptions {
    PgConnectOptions::from_str(&admin_url())
        .unwrap()
        .database(database)
        .application_name(TEST_APPLICATION_NAME)
        .disable_statement_logging()
}

/// The name of the migrated template for the current migrations.
async fn template(admin: &mut PgConnection) -> String {
    let name = format!("fitkart_template_{}", hash_migrations());
    // Session-level advisory lock: only on the private test cluster, never in the product.
    sqlx::query("SELECT pg_advisory_lock(7212)")
        .execute(&mut *admin)
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut *admin)
            .await
            .unwrap();
    if !exists {
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut *admin)
            .await
            .unwrap();
        let mut conn = PgConnection::connect_with(&options(&name)).await.unwrap();
        fitkart::db::MIGRATOR
            .run(&mut conn)
            .await
            .expect("migrations apply to an empty database");
        conn.close().await.unwrap();
    }
    sqlx::query("SELECT pg_advisory_unlock(7212)")
        .execute(&mut *admin)
        .await
        .unwrap();
    name
}

/// A test's own database. Dropped when the test is done with it, so that a whole run
/// holds a few databases at a time rather than one per test (about 12 MB each; 250 tests
/// filled gigabytes of a CI machine's disk). A test that fails keeps its database, named
/// in its output, to be looked at.
pub struct TestDatabase {
    name: String,
}

impl TestDatabase {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The direct connection URL of this database.
    pub fn url(&self) -> String {
        let admin = admin_url();
        let base = admin.rsplit_once('/').expect("a database URL has a path").0;
        format!("{base}/{}", self.name)
    }

    /// The URL the functions use: through the pooler when there is one.
    pub fn app_url(&self) -> String {
        match pooler_url() {
            Some(pooler) => {
                let base = pooler
                    .trim_end_matches('/')
                    .rsplit_once('/')
                    .map_or(pooler.as_str(), |(b, _)| b)
                    .to_owned();
                format!("{base}/{}", self.name)
            }
            None => self.url(),
        }
    }

    /// A pool for the functions (`app_url`), with the startup parameters they send.
    pub async fn app_pool(&self, pool: PgPoolOptions) -> PgPool {
        let options = fitkart::db::startup(PgConnectOptions::from_str(&self.app_url()).unwrap())
            .disable_statement_logging();
        fitkart::db::checked_after_idle(pool)
            .connect_with(options)
            .await
            .unwrap()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the failed test's database is kept: {}", self.name);
            return;
        }
        let name = std::mem::take(&mut self.name);
        // Drop runs inside the test's runtime, which must not block on itself: the drop
        // gets a thread and a runtime of its own. FORCE ends the connections the test's
        // pools still hold (the App a test builds is leaked, and so is its pool).
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut admin = PgConnection::connect_with(&options("postgres"))
                    .await
                    .unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                admin.close().await.unwrap();
            })
        })
        .join()
        .expect("the test's database is dropped");
    }
}

/// A new database with every migration applied, and a pool over it.
pub async fn fresh_database() -> (PgPool, TestDatabase) {
    fresh_database_with(PgPoolOptions::new().max_connections(10)).await
}

/// `fresh_database` with the pool built from `pool` (a smaller pool, say).
pub async fn fresh_database_with(pool: PgPoolOptions) -> (PgPool, TestDatabase) {
    let mut admin = PgConnection::connect_with(&options("postgres"))
        .await
        .unwrap();
    let template = template(&mut admin).await;
    let database = TestDatabase {
        name: format!("t_{}", Uuid::new_v4().simple()),
    };
    sqlx::query(&format!(
        "CREATE DATABASE \"{}\" TEMPLATE \"{template}\" STRATEGY FILE_COPY",
        database.name
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    let pool = pool.connect_with(options(&database.name)).await.unwrap();
    (pool, database)
}

/// A new database with no schema at all (for tests of the migrations themselves).
pub async fn empty_database() -> (PgPool, TestDatabase) {
    let mut admin = PgConnection::connect_with(&options("postgres"))
        .await
        .unwrap();
    let database = TestDatabase {
        name: format!("t_{}", Uuid::new_v4().simple()),
    };
    sqlx::query(&format!("CREATE DATABASE \"{}\"", database.name))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options(&database.name))
        .await
        .unwrap();
    (pool, database)
}

/// A small pool over an existing database (one a test made).
pub async fn connect(database: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options(database))
        .await
        .unwrap()
}

/// Identifies the migration set: a changed or added migration gets a new template.
fn hash_migrations() -> String {
    let mut hasher = DefaultHasher::new();
    for m in fitkart::db::MIGRATOR.iter() {
        m.version.hash(&mut hasher);
        m.checksum.hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}
