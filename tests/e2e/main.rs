//! End to end through the local runner: the real function binaries behind the Runtime
//! API and the HTTP gateway, real Postgres, the SQS emulator, a real HTTP client.
//! The binaries must be built first (scripts/test does it).

mod flows;
mod runtime;

use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The URL of a fresh, migrated database for one test.
pub async fn database_url() -> String {
    let (pool, name) = fitkart_tests::db::fresh_database().await;
    pool.close().await;
    let admin = fitkart_tests::db::admin_url();
    let base = admin.rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}

pub fn binary(name: &str) -> PathBuf {
    let path = fitkart_local::binary_path(&root(), "debug", name);
    assert!(
        path.exists(),
        "{} is not built: run the suite with scripts/test",
        path.display()
    );
    path
}
