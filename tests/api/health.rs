//! `GET /v1/health`.

use fitkart::App;
use fitkart_functions::health::check;
use fitkart_tests::{test_config, TestApp};

#[tokio::test]
async fn health_reports_the_database() {
    let t = TestApp::new().await;
    let res = t.call(check, "GET", "/v1/health").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.body,
        serde_json::json!({"status": "ok", "database": "ok"})
    );
}

#[tokio::test]
async fn health_is_503_when_postgres_is_unreachable() {
    // Nothing listens on port 1; the lazy pool fails fast instead of hanging.
    let mut config = test_config();
    config.database_url = "postgres://postgres@127.0.0.1:1/none".into();
    config.db_acquire_timeout = std::time::Duration::from_millis(500);
    let app: &'static App = Box::leak(Box::new(App::new(config)));
    let res = fitkart_tests::Call::new(app, check, "GET", "/v1/health")
        .send()
        .await;
    assert_eq!(res.status, 503);
    assert_eq!(res.code(), "service_unavailable");
    assert!(
        !res.raw.contains("127.0.0.1"),
        "leaks connection details: {}",
        res.raw
    );
}
