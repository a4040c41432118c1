//! Through a transaction pooler, as in AWS: many clients (Lambda environments, each with
//! its connection) share the few backends PgBouncer keeps, with no error, because no
//! statement leaves anything in a session.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fitkart_functions::me;
use fitkart_tests::{db, phone_day, Pipeline, TestApp};
use futures::future::join_all;
use futures::stream::{self, StreamExt};
use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Row};

/// The most each side of the pooler showed while the load ran.
#[derive(Debug, Default, Clone, Copy)]
struct Peak {
    /// Client connections PgBouncer served or queued at once (`SHOW POOLS`).
    clients: i64,
    /// Server connections PgBouncer held (`SHOW POOLS`).
    servers: i64,
    /// Backends Postgres had for the database, not counting the test's own.
    backends: i64,
}

fn column(row: &sqlx::postgres::PgRow, name: &str) -> i64 {
    // The admin console answers in text over the simple protocol; the numbers are read
    // as text rather than trusting the types it declares.
    row.try_get_unchecked::<String, _>(name)
        .unwrap_or_else(|e| panic!("SHOW POOLS has no {name}: {e}"))
        .parse()
        .unwrap()
}

/// Samples both sides until `stop`, every few milliseconds. `direct` is the test's own
/// pool, idle meanwhile: its connections are not the pooler's.
async fn watch(database: String, direct: PgPool, stop: Arc<AtomicBool>) -> Peak {
    let pooler = db::pooler_url()
        .expect("FITKART_TEST_POOLER_URL is not set: run the suite with scripts/test, which starts PgBouncer");
    let console = fitkart::db::startup(PgConnectOptions::from_str(&pooler).unwrap())
        .database("pgbouncer")
        .disable_statement_logging();
    let mut console = PgConnection::connect_with(&console).await.unwrap();
    let mut peak = Peak::default();
    while !stop.load(Ordering::Relaxed) {
        for row in sqlx::raw_sql("SHOW POOLS")
            .fetch_all(&mut console)
            .await
            .unwrap()
        {
            if row.try_get_unchecked::<String, _>("database").unwrap() != database {
                continue;
            }
            let clients = column(&row, "cl_active") + column(&row, "cl_waiting");
            let servers = ["sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login"]
                .iter()
                .map(|c| column(&row, c))
                .sum();
            peak.clients = peak.clients.max(clients);
            peak.servers = peak.servers.max(servers);
        }
        // Every backend but the test's own direct connections (named apart).
        let served: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name <> $1",
        )
        .bind(fitkart_tests::db::TEST_APPLICATION_NAME)
        .fetch_one(&direct)
        .await
        .unwrap();
        peak.backends = peak.backends.max(served);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    peak
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_clients_share_four_backends_through_the_pooler_without_an_error() {
    const CLIENTS: usize = 40;
    // scripts/test gives each database 4 server connections.
    const BACKENDS: i64 = 4;
    let (config, pipeline) = Pipeline::create().await;
    let t = TestApp::with_pool_size(config, CLIENTS as u32).await;
    let emails: Vec<String> = (0..CLIENTS)
        .map(|i| format!("walker{i}@example.com"))
        .collect();
    // The accounts are the setting, not the load: made as many at a time as there are
    // backends, so that no sign-up (a password hash each, slow in a debug build on a busy
    // machine) waits past the borrow timeout before the load begins.
    let users: Vec<_> = stream::iter(emails.iter().map(|email| t.verified(email)))
        .buffered(BACKENDS as usize)
        .collect()
        .await;

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch(t.database.name().to_owned(), t.pool.clone(), stop.clone());
    let today = fitkart_tests::now().date_naive();
    let load = join_all(users.iter().enumerate().map(|(i, user)| {
        let t = &t;
        async move {
            let mut statuses = Vec::new();
            for round in 0..3i64 {
                let day = today - chrono::Days::new(round as u64 + 1);
                let sync = t
                    .sync(
                        user,
                        json!({ "entries": [phone_day(day, 4_000 + 10 * i as i64)] }),
                    )
                    .await;
                statuses.push(("sync", sync.status, sync.body.to_string()));
                let profile = t
                    .call(me::get, "GET", "/v1/me")
                    .bearer(&user.access_token)
                    .send()
                    .await;
                statuses.push(("me", profile.status, profile.body.to_string()));
                let stats = t
                    .call(me::stats, "GET", "/v1/me/stats")
                    .bearer(&user.access_token)
                    .send()
                    .await;
                statuses.push(("stats", stats.status, stats.body.to_string()));
            }
            statuses
        }
    }));
    let load = async {
        let statuses = load.await;
        stop.store(true, Ordering::Relaxed);
        statuses
    };
    let (peak, statuses) = tokio::join!(watcher, load);

    let failed: Vec<_> = statuses
        .iter()
        .flatten()
        .filter(|(_, status, _)| !(200..300).contains(status))
        .collect();
    assert!(
        failed.is_empty(),
        "{} requests failed: {failed:#?}",
        failed.len()
    );
    assert_eq!(statuses.iter().flatten().count(), CLIENTS * 9);
    assert!(
        peak.clients > BACKENDS * 2,
        "the load never had more clients than backends: {peak:?}"
    );
    assert!(
        peak.servers <= BACKENDS,
        "PgBouncer held more than its pool: {peak:?}"
    );
    assert!(
        peak.backends <= BACKENDS,
        "Postgres served more backends than the pool: {peak:?}"
    );
    eprintln!("peak through the pooler: {peak:?}");

    // The money path through the same pooler: every walker is paid, the ledger adds up.
    pipeline.run(t.app).await;
    for user in &users {
        assert!(t.balance(user.id).await > 0, "{} was not paid", user.email);
    }
    t.assert_ledger_invariants().await;
}
