//! `/v1/wallet` and its transaction history.

use fitkart::http::{caller_tx, ok, page_request, parse_query, Page, Request, Response};
use fitkart::ledger::TxType;
use fitkart::{wallet, App, Result};

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = wallet::get(&mut tx, me.user_id).await?;
    tx.commit().await?;
    ok(&out)
}

pub async fn transactions(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let page = page_request(&req)?;
    let tx_type = parse_query(&req, "type", TxType::parse)?;
    let (items, next_cursor) = wallet::transactions(
        &mut tx,
        me.user_id,
        tx_type,
        page.limit,
        page.cursor.as_deref(),
    )
    .await?;
    let out = Page { items, next_cursor };
    tx.commit().await?;
    ok(&out)
}
