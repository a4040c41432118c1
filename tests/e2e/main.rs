//! End to end through the local runner: the real function binaries behind the Runtime
//! API and the HTTP gateway, real Postgres, the SQS emulator, a real HTTP client.
//! The binaries must be built first (scripts/test does it).

mod flows;
mod runtime;

use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A fresh, migrated database for one test, for the processes it starts (`url()`).
pub async fn database() -> fitkart_tests::db::TestDatabase {
    let (pool, database) = fitkart_tests::db::fresh_database().await;
    pool.close().await;
    database
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
