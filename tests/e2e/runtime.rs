//! The runner's Runtime API under failure: a function that dies in init, one that
//! overruns its timeout, one that returns an error — the gateway answers and keeps serving;
//! and a FitKart function whose database never answers, which answers 503 in time.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use fitkart_local::gateway::{CompiledRoute, Gateway};
use fitkart_local::lambda::{FunctionSpec, Outcome, Pool};
use fitkart_local::template::Route;
use serde_json::json;

fn env(database_url: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
        (
            "JWT_SECRET".to_owned(),
            fitkart_tests::JWT_SECRET.to_owned(),
        ),
        ("DB_ACQUIRE_TIMEOUT_MS".to_owned(), "30000".to_owned()),
    ])
}

fn pool(id: &str, binary: &str, env: BTreeMap<String, String>, timeout: Duration) -> Arc<Pool> {
    Pool::new(FunctionSpec {
        logical_id: id.into(),
        binary: crate::binary(binary),
        env,
        timeout,
        memory_mb: 128,
        quiet: false,
    })
}

fn health_event() -> Bytes {
    let route = CompiledRoute::new(
        Route {
            method: "GET".into(),
            path: "/v1/health".into(),
        },
        "Health".into(),
    );
    let (parts, ()) = axum::http::Request::get("/v1/health")
        .body(())
        .unwrap()
        .into_parts();
    Bytes::from(
        fitkart_local::gateway::event(&route, &BTreeMap::new(), &parts, &[], "127.0.0.1")
            .to_string(),
    )
}

#[tokio::test]
async fn a_function_that_fails_its_init_reports_the_error_every_time() {
    // No DATABASE_URL: the configuration error ends the init.
    let mut broken = env("unused");
    broken.remove("DATABASE_URL");
    let health = pool(
        "BrokenHealth",
        "health-check",
        broken,
        Duration::from_secs(5),
    );
    for _ in 0..2 {
        match health.invoke(health_event()).await {
            Outcome::Error { message, .. } => {
                assert!(message.contains("DATABASE_URL"), "{message}")
            }
            Outcome::Crashed(_) => {}
            other => panic!("expected an init failure, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_function_past_its_timeout_is_killed_and_replaced() {
    let sleeper = pool(
        "Sleeper",
        "hello-lambda",
        BTreeMap::new(),
        Duration::from_secs(1),
    );
    for _ in 0..2 {
        let started = Instant::now();
        let outcome = sleeper
            .invoke(Bytes::from(json!({"sleep_ms": 5_000}).to_string()))
            .await;
        assert!(matches!(outcome, Outcome::TimedOut), "{outcome:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
    assert_eq!(
        sleeper.cold_starts().len(),
        2,
        "each timeout costs a fresh process"
    );
}

#[tokio::test]
async fn a_database_that_never_answers_is_a_503_before_the_timeout_not_a_timeout() {
    // A "database" that accepts connections and never answers, as a proxy waiting for a
    // database that is down: the real health function gives up before its deadline.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let health = pool(
        "SlowHealth",
        "health-check",
        env(&format!("postgres://x@127.0.0.1:{port}/db")),
        Duration::from_secs(3),
    );
    for _ in 0..2 {
        let Outcome::Response(body) = health.invoke(health_event()).await else {
            panic!("the function did not answer in time");
        };
        let response: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(response["statusCode"], 503, "{response}");
        assert_eq!(response["headers"]["retry-after"], "2", "{response}");
    }
    assert_eq!(health.cold_starts().len(), 1, "the environment lives on");
}

#[tokio::test]
async fn a_failing_function_is_a_500_problem_and_the_gateway_keeps_serving() {
    let database = crate::database().await;
    let database_url = database.app_url();
    // The migrate function against an unreachable database returns an invocation error.
    let mut unreachable = env("postgres://x@127.0.0.1:1/none");
    unreachable.insert("DB_ACQUIRE_TIMEOUT_MS".into(), "300".into());
    let failing = pool(
        "Failing",
        "ops-migrate",
        unreachable,
        Duration::from_secs(10),
    );
    let health = pool(
        "HealthFunction",
        "health-check",
        env(&database_url),
        Duration::from_secs(10),
    );
    let gateway = Arc::new(Gateway {
        routes: vec![
            CompiledRoute::new(
                Route {
                    method: "GET".into(),
                    path: "/boom".into(),
                },
                "Failing".into(),
            ),
            CompiledRoute::new(
                Route {
                    method: "GET".into(),
                    path: "/v1/health".into(),
                },
                "HealthFunction".into(),
            ),
        ],
        pools: BTreeMap::from([
            ("Failing".to_owned(), failing),
            ("HealthFunction".to_owned(), health),
        ]),
        default_events: BTreeMap::new(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(fitkart_local::gateway::handle)
        .with_state(gateway);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let http = fitkart_local::http_client();
    let res = http.get(format!("{base}/boom")).send().await.unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "internal");
    let res = http.get(format!("{base}/v1/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok", "database": "ok"})
    );
}
