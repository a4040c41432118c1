//! Operator functions, invoked directly (never routed): schema migrations.

use fitkart::{db, App, Result};
use serde_json::{json, Value};

/// Applies pending migrations. Run after every deploy (the README shows how); safe to
/// run again: applied migrations are skipped, and a changed one fails loudly.
pub async fn migrate(app: &App, _event: Value) -> Result<Value> {
    let pool = app.db().await?;
    db::MIGRATOR.run(pool).await?;
    let applied =
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
    tracing::info!(applied, "migrations up to date");
    Ok(json!({ "status": "ok", "migrations_applied": applied }))
}
