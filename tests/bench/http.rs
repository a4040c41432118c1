//! `scripts/bench http`: what the hot routes cost. The whole function set comes up as in
//! `scripts/dev`; each hot route is driven warm through its function's Runtime API with
//! the demo walker's token, and the `REPORT` of every invocation gives its duration,
//! billed duration and peak memory. The step pipeline behind `POST /v1/steps/sync` is
//! measured the same way, from the reports of `steps-validate` and `steps-credit` while
//! they drain what the syncs queued. A hello-world function measured in the same run is
//! the baseline. Durations become a monthly bill at 1M daily walkers from the template's
//! memory sizes, an assumed daily use per walker, and published arm64 prices.
//!
//! `PROFILE` picks the build (bench by default, release for the deployment profile),
//! `BENCH_SAMPLES` the invocations per route (200). With `BENCH_TINY=1` (the test
//! command) it runs the debug build with a few samples: the numbers are not judged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use serde_json::json;

use fitkart_local::gateway::{self, CompiledRoute};
use fitkart_local::lambda::{FunctionSpec, Outcome, Pool, Report};
use fitkart_local::{seed, up, Options};
use fitkart_tests::bench;

/// US East (N. Virginia) list prices, arm64, without free tiers (as published for 2025-26).
const LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;
const LAMBDA_PER_REQUEST: f64 = 0.20 / 1e6;
/// API Gateway HTTP APIs, the first 300 million requests a month.
const HTTP_API_PER_REQUEST: f64 = 1.00 / 1e6;
/// SQS standard queues, per request (a batch of up to 10 messages is one request).
const SQS_PER_REQUEST: f64 = 0.40 / 1e6;
const DAILY_WALKERS: f64 = 1e6;
const DAYS_PER_MONTH: f64 = 30.4;

/// A hot route and how often one daily walker calls it a day (the app syncs in the
/// background a few times a day and on each open; opens read the home screen).
struct HotRoute {
    method: &'static str,
    path: &'static str,
    query: &'static str,
    per_walker_day: f64,
}

const HOT_ROUTES: &[HotRoute] = &[
    // Each app open syncs and reads its home screen in one call; the app also syncs once
    // in the background. The profile, wallet, history, boards and rewards have screens of
    // their own, visited now and then; `GET /v1/home` refreshes a home without new steps.
    HotRoute {
        method: "POST",
        path: "/v1/steps/sync",
        query: "include=home",
        per_walker_day: APP_OPENS_PER_DAY,
    },
    HotRoute {
        method: "POST",
        path: "/v1/steps/sync",
        query: "",
        per_walker_day: 1.0,
    },
    HotRoute {
        method: "GET",
        path: "/v1/home",
        query: "",
        per_walker_day: 0.0,
    },
    HotRoute {
        method: "GET",
        path: "/v1/me",
        query: "",
        per_walker_day: 0.5,
    },
    HotRoute {
        method: "GET",
        path: "/v1/wallet",
        query: "",
        per_walker_day: 1.0,
    },
    HotRoute {
        method: "GET",
        path: "/v1/wallet/transactions",
        query: "limit=20",
        per_walker_day: 1.0,
    },
    HotRoute {
        method: "GET",
        path: "/v1/leaderboard",
        query: "period=weekly",
        per_walker_day: 1.0,
    },
    HotRoute {
        method: "GET",
        path: "/v1/rewards",
        query: "",
        per_walker_day: 1.0,
    },
    HotRoute {
        method: "GET",
        path: "/v1/health",
        query: "",
        per_walker_day: 0.0,
    },
];

impl HotRoute {
    /// How the route is named in the tables: method, path and query.
    fn label(&self) -> String {
        match self.query {
            "" => format!("{} {}", self.method, self.path),
            query => format!("{} {}?{query}", self.method, self.path),
        }
    }
}

/// App opens per daily walker and day.
const APP_OPENS_PER_DAY: f64 = 3.0;

/// What an app open read before `GET /v1/home`: the home screen's parts, a route each.
const HOME_SCREEN_BEFORE: &[(&str, &str)] = &[
    ("/v1/me", ""),
    ("/v1/wallet", ""),
    ("/v1/steps", ""),
    ("/v1/me/stats", ""),
    ("/v1/boards/friends", ""),
    ("/v1/challenges", ""),
    ("/v1/friend-requests", ""),
];

/// The database work of a set of requests, from `pg_stat_statements` (which counts every
/// statement as it finishes, whichever connection ran it).
#[derive(Clone, Copy, Default)]
struct DbWork {
    /// Statements other than BEGIN, COMMIT and ROLLBACK.
    statements: f64,
    /// Explicit transactions (BEGINs); a statement outside one is a transaction of its own.
    transactions: f64,
    /// Statements sent in one message with a BEGIN (the caller check that begins a
    /// request's transaction, `auth::begin_as`): they ride on the BEGIN's round trip.
    with_begin: f64,
}

impl DbWork {
    /// All of it in this database so far.
    async fn so_far(db: &sqlx::PgPool) -> Result<Self, String> {
        let (statements, transactions, with_begin): (f64, f64, f64) = sqlx::query_as(
            r"SELECT COALESCE(sum(calls) FILTER (WHERE query !~* '^\s*(begin|commit|rollback)'), 0)::float8,
                     COALESCE(sum(calls) FILTER (WHERE query ~* '^\s*begin'), 0)::float8,
                     COALESCE(sum(calls) FILTER (WHERE query ~ '^SELECT FROM live_caller\('), 0)::float8
              FROM pg_stat_statements
              WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND query NOT ILIKE '%pg_stat_statements%'",
        )
        .fetch_one(db)
        .await
        .map_err(|e| e.to_string())?;
        Ok(DbWork {
            statements,
            transactions,
            with_begin,
        })
    }

    /// The work since `before`, per request of `requests`.
    fn per_request(self, before: DbWork, requests: usize) -> Self {
        let n = requests.max(1) as f64;
        DbWork {
            statements: (self.statements - before.statements) / n,
            transactions: (self.transactions - before.transactions) / n,
            with_begin: (self.with_begin - before.with_begin) / n,
        }
    }

    /// Round trips to the database: an unnamed statement takes two (parse and describe,
    /// then bind and execute), BEGIN and COMMIT one each, and a statement sent with its
    /// BEGIN none of its own. A statement outside a transaction is counted as one of its
    /// own, so at least one transaction per request.
    fn round_trips(self) -> f64 {
        2.0 * (self.statements - self.with_begin) + 2.0 * self.transactions
    }
}

/// Percentile (0-100) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// What a set of invocations cost.
#[derive(Clone)]
struct Measured {
    invocations: usize,
    p50_ms: f64,
    p99_ms: f64,
    mean_billed_ms: f64,
    peak_mb: u64,
    memory_size_mb: u64,
}

impl Measured {
    fn of(reports: &[Report]) -> Self {
        let mut durations: Vec<f64> = reports
            .iter()
            .map(|r| r.duration.as_secs_f64() * 1000.0)
            .collect();
        durations.sort_by(f64::total_cmp);
        let billed: u64 = reports.iter().map(Report::billed_ms).sum();
        Measured {
            invocations: reports.len(),
            p50_ms: percentile(&durations, 50.0),
            p99_ms: percentile(&durations, 99.0),
            mean_billed_ms: billed as f64 / reports.len().max(1) as f64,
            peak_mb: reports
                .iter()
                .filter_map(|r| r.max_memory_used_mb)
                .max()
                .unwrap_or(0),
            memory_size_mb: reports.first().map_or(0, |r| r.memory_size_mb),
        }
    }

    /// Lambda's charge for one invocation, in dollars.
    fn lambda_cost(&self) -> f64 {
        LAMBDA_PER_REQUEST
            + LAMBDA_GB_SECOND
                * (self.memory_size_mb as f64 / 1024.0)
                * (self.mean_billed_ms / 1000.0)
    }
}

/// Runs `samples` warm invocations on `pool` (after five to warm it), the `i`th with
/// `event(first + i)`, and returns their reports.
async fn measure(
    pool: &Arc<Pool>,
    event: &impl Fn(usize) -> Bytes,
    first: usize,
    samples: usize,
) -> Result<Vec<Report>, String> {
    for i in first..first + 5 {
        check(pool, pool.invoke(event(i)).await)?;
    }
    pool.take_reports();
    for i in first + 5..first + 5 + samples {
        check(pool, pool.invoke(event(i)).await)?;
    }
    Ok(pool.take_reports())
}

/// Runs `samples` warm invocations of `event` on `pool` (after a few to warm it) and
/// returns their reports.
async fn drive(pool: &Arc<Pool>, event: &Bytes, samples: usize) -> Result<Vec<Report>, String> {
    measure(pool, &|_| event.clone(), 0, samples).await
}

fn check(pool: &Pool, outcome: Outcome) -> Result<(), String> {
    match outcome {
        Outcome::Response(body) => {
            let status = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["statusCode"].as_u64())
                .unwrap_or(200);
            if status >= 400 {
                return Err(format!(
                    "{} answered {status}: {}",
                    pool.spec.logical_id,
                    String::from_utf8_lossy(&body)
                ));
            }
            Ok(())
        }
        other => Err(format!("{}: {other:?}", pool.spec.logical_id)),
    }
}

/// An API Gateway event for `route` as the gateway builds it, with the walker's token.
fn http_event(route: &CompiledRoute, query: &str, token: &str, body: &str) -> Bytes {
    let uri = if query.is_empty() {
        route.route.path.clone()
    } else {
        format!("{}?{query}", route.route.path)
    };
    let (parts, ()) = axum::http::Request::builder()
        .method(route.route.method.as_str())
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("user-agent", "fitkart-bench")
        .body(())
        .expect("a valid request")
        .into_parts();
    Bytes::from(
        gateway::event(
            route,
            &BTreeMap::new(),
            &parts,
            body.as_bytes(),
            "127.0.0.1",
        )
        .to_string(),
    )
}

async fn http_cost(options: &Options, samples: usize) -> Result<(), String> {
    let running = up(options).await.map_err(|e| e.to_string())?;
    let db = sqlx::PgPool::connect(&options.database_url)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&db)
        .await
        .map_err(|e| e.to_string())?;
    // The walker below syncs far more often than a person: lift the sync limit, and start
    // every function afresh so that none holds the old setting in its cache.
    sqlx::query("UPDATE settings SET value = '10000' WHERE key = 'syncs_per_user_hour'")
        .execute(&db)
        .await
        .map_err(|e| e.to_string())?;
    // The seed's own syncs are not this run's pipeline.
    wait_for_pipeline(&db).await;
    running.stop();
    for pool in running.pools.values() {
        pool.take_reports();
    }
    let session: serde_json::Value = fitkart_local::http_client()
        .post(format!("{}/v1/auth/login", running.base_url))
        .json(&json!({"email": seed::DEMO_EMAIL, "password": seed::DEMO_PASSWORD}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let token = session["tokens"]["access_token"]
        .as_str()
        .ok_or_else(|| format!("the demo walker could not sign in: {session}"))?
        .to_owned();

    let routes: Vec<CompiledRoute> = running
        .template
        .functions
        .iter()
        .flat_map(|f| {
            f.routes
                .iter()
                .map(|r| CompiledRoute::new(r.clone(), f.logical_id.clone()))
        })
        .collect();
    let today = fitkart_tests::now().date_naive();
    let mut rows: Vec<(String, f64, Measured)> = Vec::new();
    let mut named_rows: Vec<(String, Measured, Measured)> = Vec::new();
    let mut work_rows: Vec<(String, f64, DbWork)> = Vec::new();
    for hot in HOT_ROUTES {
        let route = routes
            .iter()
            .find(|r| r.route.method == hot.method && r.route.path == hot.path)
            .ok_or(format!("no route {} {}", hot.method, hot.path))?;
        let pool = &running.pools[&route.function];
        // Today's count growing sync by sync, as a phone reports it through the day
        // (above what the seed synced, with hourly counts): each sync makes a new version
        // for the pipeline. Other routes repeat one request.
        let fixed = http_event(route, hot.query, &token, "");
        let event = |i: usize| {
            if hot.path != "/v1/steps/sync" {
                return fixed.clone();
            }
            let steps = 13_000 + 10 * i as i64;
            let mut hourly = vec![0_i64; 24];
            for (hour, count) in hourly.iter_mut().enumerate().take(21).skip(7) {
                *count = steps / 14 + if hour == 20 { steps % 14 } else { 0 };
            }
            let body = json!({"entries": [{"date": today, "steps": steps, "source": "health_connect",
                                           "distance_km": steps as f64 * 0.00075,
                                           "calories": steps as f64 * 0.04, "hourly_steps": hourly}]});
            http_event(route, hot.query, &token, &body.to_string())
        };
        let before = DbWork::so_far(&db).await?;
        let unnamed = Measured::of(&measure(pool, &event, 0, samples).await?);
        if hot.path == "/v1/steps/sync" {
            // A sync's work includes the validation and crediting it queues.
            wait_for_pipeline(&db).await;
        }
        let work = DbWork::so_far(&db).await?.per_request(before, samples + 5);
        work_rows.push((hot.label(), unnamed.p50_ms, work));
        // The cost of unnamed statements: the same function with statements named and
        // kept per connection (sqlx's default), connected directly, in the same run.
        let spec = &pool.spec;
        let mut env = spec.env.clone();
        env.insert("FITKART_BENCH_NAMED_STATEMENTS".into(), "1".into());
        env.insert("DATABASE_URL".into(), options.direct_database_url.clone());
        let named_pool = Pool::new(FunctionSpec {
            logical_id: format!("{}-named", spec.logical_id),
            binary: spec.binary.clone(),
            env,
            timeout: spec.timeout,
            memory_mb: spec.memory_mb,
            quiet: true,
        });
        let named = Measured::of(&measure(&named_pool, &event, samples + 5, samples).await?);
        named_pool.kill_all();
        named_rows.push((hot.label(), unnamed.clone(), named));
        rows.push((hot.label(), hot.per_walker_day, unnamed));
    }

    // An app open as it was before `GET /v1/home`: the home screen's parts, a call each.
    let mut before_home: Vec<(String, Measured, DbWork)> = Vec::new();
    for (path, query) in HOME_SCREEN_BEFORE {
        let route = routes
            .iter()
            .find(|r| r.route.method == "GET" && r.route.path == *path)
            .ok_or(format!("no route GET {path}"))?;
        let pool = &running.pools[&route.function];
        let event = http_event(route, query, &token, "");
        let before = DbWork::so_far(&db).await?;
        let measured = Measured::of(&drive(pool, &event, samples).await?);
        let work = DbWork::so_far(&db).await?.per_request(before, samples + 5);
        before_home.push((format!("GET {path}"), measured, work));
    }

    // The pipeline behind the syncs. One walker's syncs re-version one record, which a
    // batch folds into a single validation; at a million walkers a batch holds 500
    // different people's days. So the pipeline is measured on `PIPELINE_WALKERS` walkers
    // with a synced day each, as the SQS pollers deliver them.
    wait_for_pipeline(&db).await;
    running.pools["ValidateStepsFunction"].take_reports();
    running.pools["CreditCoinsFunction"].take_reports();
    let records = pipeline_walkers(&db, &running).await?;
    let drained = wait_for_pipeline(&db).await;
    let validate = running.pools["ValidateStepsFunction"].take_reports();
    let credit = running.pools["CreditCoinsFunction"].take_reports();

    // The baseline: hello-world, warm, in the same run.
    let hello = Pool::new(FunctionSpec {
        logical_id: "hello-world".into(),
        binary: fitkart_local::binary_path(&options.root, &options.profile, "hello-lambda"),
        env: BTreeMap::new(),
        timeout: Duration::from_secs(10),
        memory_mb: 128,
        quiet: true,
    });
    let baseline = Measured::of(&drive(&hello, &Bytes::from_static(b"{}"), samples).await?);
    hello.kill_all();
    running.stop();
    let sqs_ms = local_sqs_latency(samples).await?;

    print_table(&rows, &baseline, (&validate, &credit, records), drained);
    print_round_trips(&work_rows, &baseline);
    let measured = |label: &str| {
        rows.iter()
            .zip(&work_rows)
            .find(|((name, _, _), _)| name == label)
            .map(|((_, _, m), (_, _, w))| (label.to_owned(), m.clone(), *w))
            .ok_or(format!("{label} was not measured"))
    };
    // Before: the open's sync, then the home screen's parts a call each.
    let mut before_open = vec![measured("POST /v1/steps/sync")?];
    before_open.extend(before_home);
    print_app_open(&before_open, &measured("POST /v1/steps/sync?include=home")?);
    println!("unnamed statements (every statement parsed with its execution, as a transaction pooler needs) against named ones kept per connection (sqlx's default), same functions, same run:");
    for (route, unnamed, named) in &named_rows {
        println!(
            "  {route:<40} p50 {:>6.2} ms vs {:>6.2} ms named: {:.2}x",
            unnamed.p50_ms,
            named.p50_ms,
            unnamed.p50_ms / named.p50_ms
        );
    }
    println!(
        "the local SQS emulator (moto, busy with the runner's pollers) answered a SendMessageBatch of ten in {sqs_ms:.1} ms (p50);\n\
         sync's duration includes one SendMessage, a validation batch's one SendMessageBatch per ten records (ten at a time)"
    );
    Ok(())
}

/// Each hot route's database work per request, beside its p50.
fn print_round_trips(rows: &[(String, f64, DbWork)], baseline: &Measured) {
    println!();
    println!("database work per request (pg_stat_statements; round trips = 2 per unnamed statement + BEGIN + COMMIT, the caller check riding with the BEGIN):");
    println!(
        "  {:<40} {:>8} {:>8} {:>11} {:>12} {:>12}",
        "route", "p50 ms", "x hello", "statements", "transactions", "round trips"
    );
    for (route, p50, work) in rows {
        println!(
            "  {route:<40} {p50:>8.2} {:>8.1} {:>11.1} {:>12.1} {:>12.1}",
            p50 / baseline.p50_ms,
            work.statements,
            work.transactions,
            work.round_trips()
        );
    }
    println!("  (POST /v1/steps/sync counts the validation and crediting it queues, per sync)");
}

/// What an app open costs: its sync and the home screen's parts a call each, as before,
/// against one sync that brings the home, at `APP_OPENS_PER_DAY` opens per daily walker.
fn print_app_open(before: &[(String, Measured, DbWork)], now: &(String, Measured, DbWork)) {
    let opens = APP_OPENS_PER_DAY * DAILY_WALKERS * DAYS_PER_MONTH;
    let cost = |m: &Measured| opens * (m.lambda_cost() + HTTP_API_PER_REQUEST);
    let calls = before.len();
    let p50: f64 = before.iter().map(|(_, m, _)| m.p50_ms).sum();
    let dollars: f64 = before.iter().map(|(_, m, _)| cost(m)).sum();
    let trips: f64 = before.iter().map(|(_, _, w)| w.round_trips()).sum();
    println!();
    println!("an app open ({APP_OPENS_PER_DAY} a day per walker), monthly at {DAILY_WALKERS} daily walkers:");
    println!(
        "  before: {calls} calls ({}), p50s adding up to {p50:.2} ms, {trips:.0} database round trips: ${dollars:.0} a month (API Gateway ${:.0})",
        before.iter().map(|(r, _, _)| r.as_str()).collect::<Vec<_>>().join(", "),
        opens * calls as f64 * HTTP_API_PER_REQUEST
    );
    println!(
        "  now: 1 call ({}), p50 {:.2} ms, {:.0} database round trips: ${:.0} a month (API Gateway ${:.0})",
        now.0,
        now.1.p50_ms,
        now.2.round_trips(),
        cost(&now.1),
        opens * HTTP_API_PER_REQUEST
    );
}

/// The local SQS emulator's latency for a `SendMessageBatch` of ten, p50 over `samples`:
/// the sync and validation durations include such calls, and the emulator is no SQS.
async fn local_sqs_latency(samples: usize) -> Result<f64, String> {
    let sqs = fitkart_local::local_sqs().await;
    let queue = sqs
        .create_queue()
        .queue_name(format!("http-cost-probe-{}", std::process::id()))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let url = queue.queue_url().unwrap_or_default().to_owned();
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let mut request = sqs.send_message_batch().queue_url(&url);
        for i in 0..10 {
            request = request.entries(
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(
                        r#"{"record_id":"00000000-0000-0000-0000-000000000000","version":1}"#,
                    )
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        let started = std::time::Instant::now();
        request.send().await.map_err(|e| format!("{e:?}"))?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = sqs.delete_queue().queue_url(&url).send().await;
    times.sort_by(f64::total_cmp);
    Ok(percentile(&times, 50.0))
}

/// Walkers for the pipeline's measurement: past probation, each with today's synced day
/// (hourly counts, their own device) waiting for validation.
const PIPELINE_WALKERS: i64 = 500;

/// Creates the walkers and their days as a sync leaves them when its send failed,
/// then runs the requeue schedule (as EventBridge would) until every day is on the queue:
/// the consumers take it from there. Returns how many records were queued.
async fn pipeline_walkers(
    db: &sqlx::PgPool,
    running: &fitkart_local::Running,
) -> Result<usize, String> {
    let err = |e: sqlx::Error| e.to_string();
    sqlx::query(
        "INSERT INTO users (email, full_name, password_hash, referral_code, email_verified, created_at)
         SELECT 'walker' || g || '@example.com', 'Walker ' || g, 'x', 'WALK' || g, true, now() - interval '60 days'
         FROM generate_series(1, $1) g",
    )
    .bind(PIPELINE_WALKERS)
    .execute(db)
    .await
    .map_err(err)?;
    sqlx::query(
        "INSERT INTO wallets (user_id) SELECT id FROM users u WHERE email LIKE 'walker%@example.com'
         AND NOT EXISTS (SELECT 1 FROM wallets w WHERE w.user_id = u.id)",
    )
    .execute(db)
    .await
    .map_err(err)?;
    sqlx::query(
        "INSERT INTO step_records (user_id, recorded_date, steps, distance, calories, source, device_id,
                                   hourly_steps, updated_at)
         SELECT u.id, current_date, d.total, round(d.total * 0.00075, 3), round(d.total * 0.04, 2),
                'health_connect', 'phone-' || u.id, d.hours, now() - interval '2 minutes'
         -- Bursty waking hours, as people walk (fourteen equal hours would be a phone on a
         -- swing, which validation holds); referencing u draws new numbers per walker.
         FROM users u CROSS JOIN LATERAL (
             SELECT array_agg(x ORDER BY hour) AS hours, sum(x)::int AS total
             FROM (SELECT hour, CASE WHEN hour BETWEEN 7 AND 20
                                     THEN (random() * 1200)::int + (u.id IS NULL)::int ELSE 0 END AS x
                   FROM generate_series(0, 23) hour) h
         ) d
         WHERE u.email LIKE 'walker%@example.com'",
    )
    .execute(db)
    .await
    .map_err(err)?;
    // As the sync leaves them: waiting in the validation queue, their message not sent.
    sqlx::query(
        "INSERT INTO validation_queue (step_record_id, recorded_date, user_id, version, queued_at)
         SELECT r.id, r.recorded_date, r.user_id, r.version, now() - interval '2 minutes'
         FROM step_records r JOIN users u ON u.id = r.user_id WHERE u.email LIKE 'walker%@example.com'",
    )
    .execute(db)
    .await
    .map_err(err)?;
    let function = running
        .template
        .functions
        .iter()
        .find(|f| f.logical_id == "StepsRequeueFunction")
        .ok_or("no StepsRequeueFunction in the template")?;
    let schedule = function
        .schedules
        .first()
        .ok_or("StepsRequeueFunction has no schedule")?;
    let pool = &running.pools["StepsRequeueFunction"];
    for _ in 0..20 {
        let unqueued: i64 =
            sqlx::query_scalar("SELECT count(*) FROM validation_queue WHERE sent_at IS NULL")
                .fetch_one(db)
                .await
                .map_err(err)?;
        if unqueued == 0 {
            return Ok(PIPELINE_WALKERS as usize);
        }
        let event =
            fitkart_local::schedule::event(&schedule.input.to_string(), fitkart_tests::now());
        check(pool, pool.invoke(Bytes::from(event)).await)?;
    }
    Err("the requeue schedule did not queue the walkers' days".into())
}

/// Waits (up to three minutes) until nothing is pending validation or crediting.
async fn wait_for_pipeline(db: &sqlx::PgPool) -> bool {
    for _ in 0..360 {
        let busy: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM step_records
             WHERE status = 'pending' OR (status = 'verified' AND verified_steps > credited_steps)",
        )
        .fetch_one(db)
        .await
        .unwrap_or(1);
        if busy == 0 {
            // The last credit's report lands after its commit.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

fn print_table(
    rows: &[(String, f64, Measured)],
    baseline: &Measured,
    (validate, credit, records): (&[Report], &[Report], usize),
    drained: bool,
) {
    let monthly = |per_walker_day: f64| per_walker_day * DAILY_WALKERS * DAYS_PER_MONTH;
    println!();
    println!(
        "hot routes, warm, {} invocations each; monthly cost at {} daily walkers ({} days), arm64 list prices",
        baseline.invocations, DAILY_WALKERS, DAYS_PER_MONTH
    );
    println!(
        "{:<40} {:>8} {:>8} {:>8} {:>7} {:>7} {:>6} {:>10} {:>12} {:>12} {:>12}",
        "route",
        "p50 ms",
        "p99 ms",
        "x hello",
        "peak MB",
        "mem MB",
        "/day",
        "calls/mo",
        "Lambda $",
        "API GW $",
        "total $"
    );
    let mut total = 0.0;
    for (name, per_day, m) in rows {
        let calls = monthly(*per_day);
        let lambda = calls * m.lambda_cost();
        let api = calls * HTTP_API_PER_REQUEST;
        total += lambda + api;
        println!(
            "{name:<40} {:>8.2} {:>8.2} {:>8.1} {:>7} {:>7} {:>6.1} {:>10.3e} {:>12.0} {:>12.0} {:>12.0}",
            m.p50_ms,
            m.p99_ms,
            m.p50_ms / baseline.p50_ms,
            m.peak_mb,
            m.memory_size_mb,
            per_day,
            calls,
            lambda,
            api,
            lambda + api
        );
    }
    // The pipeline: its invocations and SQS requests per sync, at the syncs' rate.
    let sync_rate: f64 = rows
        .iter()
        .filter(|(name, _, _)| name.starts_with("POST /v1/steps/sync"))
        .map(|(_, per_day, _)| *per_day)
        .sum();
    for (name, reports) in [
        ("steps-validate (batches)", validate),
        ("steps-credit (batches)", credit),
    ] {
        let m = Measured::of(reports);
        // Each sync makes one record version to validate and credit.
        let per_sync = reports.len() as f64 / records as f64;
        let lambda = monthly(sync_rate) * per_sync * m.lambda_cost();
        total += lambda;
        println!(
            "{name:<40} {:>8.2} {:>8.2} {:>8.1} {:>7} {:>7} {:>6.2} {:>10.3e} {:>12.0} {:>12} {:>12.0}",
            m.p50_ms,
            m.p99_ms,
            m.p50_ms / baseline.p50_ms,
            m.peak_mb,
            m.memory_size_mb,
            sync_rate * per_sync,
            monthly(sync_rate) * per_sync,
            lambda,
            "-",
            lambda
        );
    }
    // A sync sends one message. The event source mappings receive and delete at most ten
    // messages per request, and validation sends its credits ten per SendMessageBatch: per
    // step, a tenth of a request per record, at least one per batch (a lower bound: a
    // batch's last request may be partly empty).
    let requests = |batches: usize| (records as f64 / 10.0).ceil().max(batches as f64);
    let sqs_per_sync =
        1.0 + (3.0 * requests(validate.len()) + 2.0 * requests(credit.len())) / records as f64;
    let sqs = monthly(sync_rate) * sqs_per_sync * SQS_PER_REQUEST;
    total += sqs;
    println!(
        "{:<40} {:>76} {:>12.0}",
        format!("SQS ({sqs_per_sync:.2} requests per sync)"),
        "",
        sqs
    );
    println!(
        "{:<40} {:>8.2} {:>8.2} {:>8.1} {:>7} {:>7}",
        "hello-world (baseline)",
        baseline.p50_ms,
        baseline.p99_ms,
        1.0,
        baseline.peak_mb,
        baseline.memory_size_mb
    );
    println!("total per month: ${total:.0}");
    println!(
        "pipeline: {records} walkers' days in {} validation and {} crediting batches ({:.0} and {:.0} records per batch)",
        validate.len(),
        credit.len(),
        records as f64 / validate.len().max(1) as f64,
        records as f64 / credit.len().max(1) as f64
    );
    if !drained {
        println!(
            "(the pipeline had not drained after three minutes: its rows count what was done)"
        );
    }
}

#[tokio::main]
async fn main() {
    let Ok(database_url) = std::env::var("DATABASE_URL") else {
        eprintln!("DATABASE_URL is required (scripts/bench sets it)");
        std::process::exit(2);
    };
    let profile = if bench::tiny() {
        "debug".to_owned()
    } else {
        std::env::var("PROFILE").unwrap_or_else(|_| "bench".into())
    };
    let options = Options {
        root: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        port: bench::free_port(),
        profile,
        queue_prefix: format!("http-cost-{}", std::process::id()),
        seed: true,
        direct_database_url: database_url.clone(),
        database_url,
        quiet: std::env::var_os("FITKART_LOGS").is_none(),
    };
    let samples = bench::number("BENCH_SAMPLES", 200, 3) as usize;
    if let Err(e) = http_cost(&options, samples).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    std::process::exit(0);
}
