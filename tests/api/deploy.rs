//! The deploy's own migration step: CloudFormation runs `ops-migrate` as a custom
//! resource that every function depends on, and waits for its answer at a pre-signed URL
//! (played here by a local server, as CloudFormation's S3 bucket cannot be reached).

use std::sync::{Arc, Mutex};

use fitkart::App;
use fitkart_functions::ops;
use fitkart_tests::{test_config, TestApp};
use serde_json::{json, Value};

/// A stand-in for the response URL: records every document PUT to it.
async fn response_url() -> (String, Arc<Mutex<Vec<Value>>>) {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/response",
        axum::routing::put(move |body: String| {
            let store = store.clone();
            async move {
                store
                    .lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/response", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

fn request(kind: &str, url: &str) -> Value {
    json!({"RequestType": kind, "ResponseURL": url, "StackId": "arn:aws:cloudformation:us-east-1:1:stack/fitkart/x",
           "RequestId": "r-1", "LogicalResourceId": "Migrations", "ResourceType": "Custom::Migrations",
           "ResourceProperties": {"ServiceToken": "arn", "Revision": "7"}})
}

#[tokio::test]
async fn the_deploy_runs_migrations_and_hears_back_success() {
    // Directly, as the local runner migrates: sqlx's migrator keeps its statements in its
    // session, which RDS Proxy pins for it (the alarm allows that one pinned session) but
    // PgBouncer in transaction mode cannot carry (another client's `sqlx_s_1` collides).
    let t = TestApp::direct(test_config()).await;
    let (url, received) = response_url().await;
    for kind in ["Create", "Update", "Delete"] {
        ops::migrate(t.app, request(kind, &url)).await.unwrap();
    }
    let documents = received.lock().unwrap().clone();
    assert_eq!(documents.len(), 3);
    for document in &documents {
        assert_eq!(document["Status"], "SUCCESS", "{document}");
        assert_eq!(document["RequestId"], "r-1");
        assert_eq!(document["PhysicalResourceId"], "fitkart-migrations");
    }
    assert!(documents[0]["Data"]["migrations_applied"].as_i64().unwrap() > 10);
    // Deleting the stack keeps the data.
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM settings")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert!(users > 0);
}

#[tokio::test]
async fn a_migration_that_cannot_run_fails_the_deploy_with_the_reason() {
    let mut config = test_config();
    config.database_url = "postgres://nobody@127.0.0.1:1/nothing".into();
    config.db_acquire_timeout = std::time::Duration::from_millis(500);
    let app: &'static App = Box::leak(Box::new(App::new(config)));
    let (url, received) = response_url().await;
    assert!(ops::migrate(app, request("Create", &url)).await.is_err());
    let documents = received.lock().unwrap().clone();
    assert_eq!(
        documents.len(),
        1,
        "CloudFormation is answered even when it failed"
    );
    assert_eq!(documents[0]["Status"], "FAILED");
    assert!(!documents[0]["Reason"].as_str().unwrap().is_empty());
}
