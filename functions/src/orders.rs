//! `/v1/orders`: placing an order with an `Idempotency-Key`, reading one's own orders,
//! and cancelling one through the shared order state machine.

use fitkart::http::{
    caller, header, json, json_body, ok, page_request, parse_query, path_id, Page, Request,
    Response, StatusCode,
};
use fitkart::orders::{self, Actor, Address, Change, NewOrder, Status};
use fitkart::{App, Error, Result};
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

/// Keys are the client's: any 1 to 255 visible ASCII characters (a UUID is typical).
fn idempotency_key(req: &Request) -> Result<&str> {
    match header(req, "idempotency-key").map(str::trim) {
        Some(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => Ok(k),
        Some(_) => Err(Error::invalid(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        )),
        None => Err(Error::invalid(
            "Idempotency-Key",
            "this header is required; send a fresh unique value (e.g. a UUID) per order",
        )),
    }
}

pub async fn create(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    me.require_verified_email()?;
    let key = idempotency_key(&req)?;
    let body: OrderBody = json_body(&req)?;
    let lines = body
        .items
        .into_iter()
        .map(|l| (l.product_id, l.quantity))
        .collect();
    let order = NewOrder::check(lines, body.shipping_address)?;
    let mut tx = app.db().await?.begin().await?;
    let placed = orders::place(&mut tx, me.user_id, key, &order).await?;
    tx.commit().await?;
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
    let me = caller(app, &req).await?;
    let page = page_request(&req)?;
    let status = parse_query(&req, "status", Status::parse)?;
    let mut conn = app.db().await?.acquire().await?;
    let (orders, next_cursor) = orders::list(
        &mut conn,
        Some(me.user_id),
        status,
        page.limit,
        page.cursor.as_deref(),
    )
    .await?;
    let items = orders.into_iter().map(|o| o.order).collect();
    ok(&Page { items, next_cursor })
}

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let id = path_id(&req, "id")?;
    let mut conn = app.db().await?.acquire().await?;
    ok(&orders::get(&mut conn, Some(me.user_id), id).await?.order)
}

pub async fn cancel(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let id = path_id(&req, "id")?;
    let change = Change {
        to: Some(Status::Cancelled),
        ..Change::default()
    };
    let mut tx = app.db().await?.begin().await?;
    let (_, after) = orders::transition(&mut tx, id, Actor::User(me.user_id), &change).await?;
    tx.commit().await?;
    ok(&after.order)
}
