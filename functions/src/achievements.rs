//! `/v1/achievements`: every achievement with the caller's progress.

use fitkart::http::{caller_tx, ok, Request, Response};
use fitkart::{achievements, App, Result};
use serde_json::json;

pub async fn list(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = json!({ "items": achievements::list_for(&mut tx, me.user_id, fitkart::http::locale(&req)).await? });
    tx.commit().await?;
    ok(&out)
}
