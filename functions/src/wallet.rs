//! `/v1/wallet` and its transaction history.

use fitkart::http::{caller, ok, page_request, parse_query, Page, Request, Response};
use fitkart::ledger::TxType;
use fitkart::{wallet, App, Result};

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let mut conn = app.db().await?.acquire().await?;
    ok(&wallet::get(&mut conn, me.user_id).await?)
}

pub async fn transactions(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let page = page_request(&req)?;
    let tx_type = parse_query(&req, "type", TxType::parse)?;
    let mut conn = app.db().await?.acquire().await?;
    let (items, next_cursor) = wallet::transactions(
        &mut conn,
        me.user_id,
        tx_type,
        page.limit,
        page.cursor.as_deref(),
    )
    .await?;
    ok(&Page { items, next_cursor })
}
