//! `/v1/orders`: placing an order with an `Idempotency-Key`, reading one's own orders,
//! and cancelling one through the shared order state machine.

use fitkart::http::{
    caller, caller_tx, header, json, json_body, ok, page_request, parse_query, path_id, Page,
    Request, Response, StatusCode,
};
use fitkart::orders::{self, workflow, Address, NewOrder, Status};
use fitkart::shopify::fulfilment;
use fitkart::{idempotency, App, Error, Result};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderBody {
    items: Vec<LineBody>,
    shipping_address: Address,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineBody {
    product_id: Uuid,
    quantity: i64,
}

/// `POST /v1/orders`: a confirmed email first (`403 email_unverified` before anything
/// else), then the `Idempotency-Key`, the body, and the order placed once per key.
pub async fn create(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    me.require_verified_email()?;
    let key = idempotency::Key::parse(header(&req, "idempotency-key"))?;
    let body: OrderBody = json_body(&req)?;
    let lines = body
        .items
        .into_iter()
        .map(|l| (l.product_id, l.quantity))
        .collect();
    let order = NewOrder::check(lines, body.shipping_address)?;
    let auto_confirm = app.settings().await?.auto_confirm_orders;
    let mut tx = app.db().await?.begin().await?;
    let placed = idempotency::once(&mut tx, me.user_id, &key, &order, 201, async |conn| {
        let mut placed = orders::place(conn, me.user_id, &order).await?;
        if auto_confirm {
            placed = workflow::confirm_automatically(conn, placed.id)
                .await?
                .after
                .order;
        }
        serde_json::to_value(placed).map_err(Error::internal)
    })
    .await?;
    tx.commit().await?;
    let status_now = placed.body["status"]
        .as_str()
        .and_then(|s| Status::parse(s).ok());
    if !placed.replayed && status_now.is_some_and(|s| workflow::push_due(None, s)) {
        if let Some(id) = placed.body["id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
        {
            fulfilment::request_push(app, id).await;
        }
    }
    let status = StatusCode::from_u16(placed.status).map_err(Error::internal)?;
    let mut response = json(status, &placed.body)?;
    if placed.replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            lambda_http::http::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

pub async fn list(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let page = page_request(&req)?;
    let status = parse_query(&req, "status", Status::parse)?;
    let (orders, next_cursor) = orders::list(
        &mut tx,
        Some(me.user_id),
        status,
        page.limit,
        page.cursor.as_deref(),
    )
    .await?;
    let items = orders.into_iter().map(|o| o.order).collect();
    let out = Page { items, next_cursor };
    tx.commit().await?;
    ok(&out)
}

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    let out = orders::get(&mut tx, Some(me.user_id), id).await?.order;
    tx.commit().await?;
    ok(&out)
}

pub async fn cancel(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    let moved = workflow::cancel_by_owner(&mut tx, me.user_id, id).await?;
    tx.commit().await?;
    ok(&moved.after.order)
}
