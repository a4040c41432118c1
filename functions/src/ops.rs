//! Operator functions: schema migrations (invoked directly after a deploy) and the
//! scheduled housekeeping jobs (token cleanup, reconciliation, database maintenance).

use fitkart::custom_resource::{self, RequestType};
use fitkart::jobs::{self, ScheduledEvent};
use fitkart::{db, housekeeping, metrics, reconcile, App, Result};
use serde_json::{json, Value};

/// ops-migrate: applies pending migrations. The deploy runs it as a custom resource that
/// every function depends on, so new code never serves before its schema exists (the
/// stack rolls back if a migration fails); it can also be invoked directly. Safe to run
/// again: applied migrations are skipped, and a changed one fails loudly. Deleting the
/// stack changes nothing in the database.
pub async fn migrate(app: &App, event: Value) -> Result<Value> {
    let Some(request) = custom_resource::Request::from_event(&event) else {
        return apply_migrations(app).await;
    };
    let outcome = match request.request_type {
        RequestType::Create | RequestType::Update => apply_migrations(app).await,
        RequestType::Delete => Ok(json!({ "status": "kept" })),
    };
    if let Err(e) = &outcome {
        e.log();
    }
    request
        .respond(app.http(), "fitkart-migrations", &outcome)
        .await?;
    outcome
}

async fn apply_migrations(app: &App) -> Result<Value> {
    let pool = app.db().await?;
    db::MIGRATOR.run(pool).await?;
    // A run that returns has applied every embedded migration (a missing or changed one
    // fails it).
    let applied = db::MIGRATOR.iter().count();
    tracing::info!(applied, "migrations up to date");
    Ok(json!({ "status": "ok", "migrations_applied": applied }))
}

/// ops-cleanup (daily): expired sessions, stale login attempts, old idempotency
/// keys and job runs, deleted in bounded batches.
pub async fn cleanup(app: &App, event: ScheduledEvent) -> Result<Value> {
    jobs::run_once(app, "ops-cleanup", event, |now| async move {
        let deleted = housekeeping::cleanup(app.db().await?, now, housekeeping::BATCH).await?;
        metrics::emit(
            &[("Job", "ops-cleanup")],
            &[
                (
                    "RefreshTokensDeleted",
                    "Count",
                    deleted.refresh_tokens as f64,
                ),
                (
                    "LoginAttemptsDeleted",
                    "Count",
                    deleted.login_attempts as f64,
                ),
            ],
            json!({}),
        );
        Ok(json!({ "deleted": deleted }))
    })
    .await
}

/// ops-reconcile (daily): every ledger invariant; each drift is logged as an error
/// with the user and both values, and counted in a metric per check. Nothing is changed.
pub async fn reconcile(app: &App, event: ScheduledEvent) -> Result<Value> {
    jobs::run_once(app, "ops-reconcile", event, |_| async {
        let mut tx = app.db().await?.begin().await?;
        let drifts = reconcile::run(&mut tx).await?;
        tx.commit().await?;
        for drift in &drifts {
            tracing::error!(
                check = %drift.check,
                id = %drift.id,
                expected = drift.expected,
                actual = drift.actual,
                "ledger drift"
            );
        }
        metrics::emit(
            &[("Job", "ops-reconcile")],
            &[("LedgerDriftTotal", "Count", drifts.len() as f64)],
            json!({}),
        );
        for (check, _, _) in reconcile::CHECKS {
            let found = drifts.iter().filter(|d| d.check == *check).count();
            metrics::emit(
                &[("Check", check)],
                &[("LedgerDrift", "Count", found as f64)],
                json!({"job": "ops-reconcile"}),
            );
        }
        Ok(json!({ "checks": reconcile::CHECKS.len(), "drifts": drifts }))
    })
    .await
}

/// ops-maintain (weekly): ANALYZE, bloat, unused indexes, connections (see housekeeping).
pub async fn maintain(app: &App, event: ScheduledEvent) -> Result<Value> {
    jobs::run_once(app, "ops-maintain", event, |now| async move {
        let report = housekeeping::maintain(app.db().await?, now.date_naive()).await?;
        serde_json::to_value(report).map_err(fitkart::Error::internal)
    })
    .await
}
