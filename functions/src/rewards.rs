//! `/v1/rewards`: the catalog (the hourly Shopify sync that fills it is in `shopify`).

use fitkart::http::{caller_tx, ok, page_request, parse_query, path_id, Page, Request, Response};
use fitkart::{input, rewards, App, Result};

pub async fn list(app: &App, req: Request) -> Result<Response> {
    let (_, mut tx) = caller_tx(app, &req).await?;
    let page = page_request(&req)?;
    let category = parse_query(&req, "category", |c| input::text(c, 64))?;
    let (items, next_cursor) = rewards::list(
        &mut tx,
        category.as_deref(),
        page.limit,
        page.cursor.as_deref(),
    )
    .await?;
    let out = Page { items, next_cursor };
    tx.commit().await?;
    ok(&out)
}

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let (_, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    let out = rewards::get(&mut tx, id).await?;
    tx.commit().await?;
    ok(&out)
}
