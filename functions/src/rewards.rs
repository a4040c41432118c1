//! `/v1/rewards`: the catalog (the hourly Shopify sync that fills it is in `shopify`).

use fitkart::http::{caller, ok, page_request, parse_query, path_id, Page, Request, Response};
use fitkart::{input, rewards, App, Result};

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
