//! Throwaway databases. The suite's script starts a private Postgres cluster and exports
//! `FITKART_TEST_DATABASE_URL`; the first test to get here migrates a template database
//! (once per migration set, guarded by an advisory lock because nextest runs every test
//! in its own process), and each test gets a cheap file-copy clone of it.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::hash::{DefaultHasher, Hash, Hasher};
use uuid::Uuid;

pub fn admin_url() -> String {
    std::env::var("FITKART_TEST_DATABASE_URL").expect(
        "FITKART_TEST_DATABASE_URL is not set: run the suite with scripts/test, which starts Postgres",
    )
}

fn options(database: &str) -> PgConnectOptions {
    PgConnectOptions::from_str(&admin_url())
        .unwrap()
        .database(database)
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

/// A new database with every migration applied, and a pool over it.
pub async fn fresh_database() -> (PgPool, String) {
    fresh_database_with(PgPoolOptions::new().max_connections(10)).await
}

/// `fresh_database` with the pool built from `pool` (a smaller pool, say).
pub async fn fresh_database_with(pool: PgPoolOptions) -> (PgPool, String) {
    let mut admin = PgConnection::connect_with(&options("postgres"))
        .await
        .unwrap();
    let template = template(&mut admin).await;
    let name = format!("t_{}", Uuid::new_v4().simple());
    sqlx::query(&format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" STRATEGY FILE_COPY"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    let pool = pool.connect_with(options(&name)).await.unwrap();
    (pool, name)
}

/// A new database with no schema at all (for tests of the migrations themselves).
pub async fn empty_database() -> (PgPool, String) {
    let mut admin = PgConnection::connect_with(&options("postgres"))
        .await
        .unwrap();
    let name = format!("t_{}", Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options(&name))
        .await
        .unwrap();
    (pool, name)
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
