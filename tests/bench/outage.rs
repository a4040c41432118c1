//! `scripts/bench outage`: the whole function set under load through the local runner,
//! behind PgBouncer waiting for a backend as RDS Proxy does (its borrow timeout), while
//! Postgres restarts. Clients keep calling the hot routes (reads, syncs, the leaderboard)
//! through the gateway; every answer is counted by status. What a walker must see during
//! an outage is a `503` with `retry-after`, never a `504` (the function's timeout) or a
//! `500`; the queue consumers must hand failed batches back, never time out; and once the
//! database is back the ledger must reconcile without a drift.
//!
//! `BENCH_SECONDS` (60) of load by `BENCH_CLIENTS` (16) clients; `BENCH_PG_RESTART`, a
//! shell command scripts/bench passes, stops Postgres, waits and starts it again, a third
//! of the way in. With `BENCH_TINY=1` (the test command): a few seconds, no restart (the
//! shared test cluster stays up): the numbers are not judged.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fitkart_local::{seed, up, Options};
use fitkart_tests::bench;
use serde_json::json;

const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/wallet"),
    ("GET", "/v1/wallet/transactions?limit=20"),
    ("GET", "/v1/me"),
    ("POST", "/v1/steps/sync"),
    ("GET", "/v1/leaderboard?period=weekly"),
];

/// What the clients saw: (status, with retry-after) -> count, per route.
type Seen = BTreeMap<(u16, bool), u64>;

async fn token(base: &str) -> Result<String, String> {
    let http = fitkart_local::http_client();
    let session: serde_json::Value = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": seed::DEMO_EMAIL, "password": seed::DEMO_PASSWORD}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    session["tokens"]["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no token: {session}"))
}

async fn client(
    base: String,
    token: String,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    n: usize,
) {
    let http = fitkart_local::http_client();
    let mut i = n;
    while !stop.load(Ordering::SeqCst) {
        let (method, path) = ROUTES[i % ROUTES.len()];
        i += 1;
        let url = format!("{base}{path}");
        let request = match method {
            "POST" => http.post(url).json(&json!({"entries": [{
                "date": fitkart_tests::now().date_naive(), "steps": 4_000 + (i % 50) as i64,
                "source": "health_kit"}]})),
            _ => http.get(url),
        }
        .bearer_auth(&token)
        .timeout(Duration::from_secs(40));
        let key = match request.send().await {
            Ok(res) => (
                res.status().as_u16(),
                res.headers().contains_key("retry-after"),
            ),
            // The gateway itself unreachable: counted apart (never seen so far).
            Err(_) => (0, false),
        };
        *seen.lock().unwrap().entry(key).or_default() += 1;
        if key.0 == 503 {
            // A client that honours retry-after waits a little before the next call.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn outage(options: &Options, seconds: u64, clients: usize) -> Result<(), String> {
    let running = up(options).await.map_err(|e| e.to_string())?;
    let base = running.base_url.clone();
    let token = token(&base).await?;
    // Syncs are limited per walker and hour; every client here is the demo walker: the
    // setting's highest allowed value (a value outside its range is refused when read,
    // and every sync would be a 500 of the bench's making).
    let db = sqlx::PgPool::connect(&options.direct_database_url)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("UPDATE settings SET value = '10000' WHERE key = 'syncs_per_user_hour'")
        .execute(&db)
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|n| {
            tokio::spawn(client(
                base.clone(),
                token.clone(),
                stop.clone(),
                seen.clone(),
                n,
            ))
        })
        .collect();
    let restart = std::env::var("BENCH_PG_RESTART")
        .ok()
        .filter(|c| !c.is_empty());
    let mut restart_took = None;
    if let Some(command) = &restart {
        tokio::time::sleep(Duration::from_secs(seconds / 3)).await;
        println!(
            "restarting Postgres ({:.0} s in)...",
            started.elapsed().as_secs_f64()
        );
        let at = Instant::now();
        let status = tokio::process::Command::new("bash")
            .arg("-c")
            .arg(command)
            .status()
            .await
            .map_err(|e| e.to_string())?;
        restart_took = Some(at.elapsed());
        println!(
            "Postgres is back ({status}) after {:.1} s",
            at.elapsed().as_secs_f64()
        );
    }
    let left = Duration::from_secs(seconds).saturating_sub(started.elapsed());
    tokio::time::sleep(left).await;
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.await;
    }

    // The consumers drain what the syncs queued, then the ledger is checked.
    tokio::time::sleep(Duration::from_secs(if bench::tiny() { 2 } else { 15 })).await;
    let reconciled = running.pools["WalletReconcileFunction"]
        .invoke(axum::body::Bytes::from_static(b"{}"))
        .await;
    let consumer_timeouts: Vec<(String, u32)> = running
        .pools
        .iter()
        .filter(|(id, _)| {
            [
                "ValidateStepsFunction",
                "CreditCoinsFunction",
                "NotificationsSendFunction",
            ]
            .contains(&id.as_str())
        })
        .map(|(id, pool)| (id.clone(), pool.timeouts()))
        .collect();
    let http_timeouts: u32 = running
        .pools
        .iter()
        .filter(|(id, _)| !id.contains("Steps") && !id.contains("Coins"))
        .map(|(_, pool)| pool.timeouts())
        .sum();
    running.stop();

    let seen = seen.lock().unwrap().clone();
    let total: u64 = seen.values().sum();
    println!(
        "{total} requests by {clients} clients in {seconds} s{}:",
        match restart_took {
            Some(t) => format!(
                ", Postgres stopped and restarted for {:.1} s",
                t.as_secs_f64()
            ),
            None => ", no restart".into(),
        }
    );
    for ((status, retry_after), count) in &seen {
        let label = match (status, retry_after) {
            (0, _) => "no answer".to_owned(),
            (503, true) => "503 with retry-after".to_owned(),
            (s, true) => format!("{s} with retry-after"),
            (s, false) => s.to_string(),
        };
        println!("  {label:<24} {count}");
    }
    let server_errors: u64 = seen
        .iter()
        .filter(|((s, _), _)| *s >= 500 || *s == 0)
        .map(|(_, n)| n)
        .sum();
    let clean_503: u64 = seen
        .iter()
        .filter(|((s, r), _)| *s == 503 && *r)
        .map(|(_, n)| n)
        .sum();
    println!(
        "5xx: {server_errors}, of which 503 with retry-after: {clean_503}; any other: {}",
        server_errors - clean_503
    );
    println!("functions past their timeout: HTTP {http_timeouts}; consumers {consumer_timeouts:?}");
    match reconciled {
        fitkart_local::lambda::Outcome::Response(body) => {
            let report: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            println!(
                "reconciliation after: {} checks, {} drifts",
                report["checks"],
                report["drifts"].as_array().map_or(0, Vec::len)
            );
        }
        other => println!("reconciliation after: {other:?}"),
    }
    Ok(())
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a database URL has a path");
    format!("{base}/{name}")
}

#[tokio::main]
async fn main() {
    let Ok(database_url) = std::env::var("DATABASE_URL") else {
        eprintln!("DATABASE_URL is required (scripts/bench sets it)");
        std::process::exit(2);
    };
    let direct = std::env::var("DIRECT_DATABASE_URL").unwrap_or_else(|_| database_url.clone());
    // A database of its own on the same server (the other benchmarks seed theirs).
    let name = format!("outage_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&direct)
        .await
        .expect("the bench database");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("a database for the outage bench");
    admin.close().await;
    let (database_url, direct) = (
        with_database(&database_url, &name),
        with_database(&direct, &name),
    );
    let options = Options {
        root: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        port: bench::free_port(),
        profile: if bench::tiny() {
            "debug".to_owned()
        } else {
            std::env::var("PROFILE").unwrap_or_else(|_| "bench".into())
        },
        queue_prefix: format!("outage-{}", std::process::id()),
        seed: true,
        direct_database_url: direct,
        database_url,
        quiet: std::env::var_os("FITKART_LOGS").is_none(),
    };
    let seconds = bench::number("BENCH_SECONDS", 60, 4) as u64;
    let clients = bench::number("BENCH_CLIENTS", 16, 2) as usize;
    if let Err(e) = outage(&options, seconds, clients).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    std::process::exit(0);
}
