//! `/v1/rewards` (the catalog) and the hourly Shopify sync that fills it.

use fitkart::http::{caller, ok, page_request, parse_query, path_id, Page, Request, Response};
use fitkart::jobs::{self, ScheduledEvent};
use fitkart::{input, rewards, shopify, App, Error, Result};
use serde_json::Value;

pub async fn list(app: &App, req: Request) -> Result<Response> {
    caller(app, &req).await?;
    let page = page_request(&req)?;
    let category = parse_query(&req, "category", |c| input::text(c, 64))?;
    let mut conn = app.db().await?.acquire().await?;
    let (items, next_cursor) = rewards::list(
        &mut conn,
        category.as_deref(),
        page.limit,
        page.cursor.as_deref(),
    )
    .await?;
    ok(&Page { items, next_cursor })
}

pub async fn get(app: &App, req: Request) -> Result<Response> {
    caller(app, &req).await?;
    let id = path_id(&req, "id")?;
    let mut conn = app.db().await?.acquire().await?;
    ok(&rewards::get(&mut conn, id).await?)
}

/// shopify-sync (hourly): the catalog from Shopify, once per scheduled time.
pub async fn sync(app: &App, event: ScheduledEvent) -> Result<Value> {
    jobs::run_once(app, "shopify-sync", event, || async {
        serde_json::to_value(shopify::sync(app).await?).map_err(Error::internal)
    })
    .await
}
