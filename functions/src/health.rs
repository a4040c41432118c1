//! `GET /v1/health`: liveness of the function and its database.

use std::time::Duration;

use fitkart::http::{ok, Request, Response};
use fitkart::{App, Error, Result};
use serde_json::json;

pub async fn check(app: &App, _req: Request) -> Result<Response> {
    let ping = async {
        fitkart::db_query_scalar!("SELECT 1")
            .fetch_one(app.db().await?)
            .await
            .map_err(Error::from)
    };
    match tokio::time::timeout(Duration::from_secs(3), ping).await {
        Ok(Ok(_)) => ok(&json!({"status": "ok", "database": "ok"})),
        Ok(Err(e)) => Err(Error::Unavailable(format!("database: {e}"))),
        Err(_) => Err(Error::Unavailable("database: timed out".into())),
    }
}
