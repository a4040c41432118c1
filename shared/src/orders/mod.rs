//! Coin orders: the request (`input`), placing one (`place`: stock reserved, coins
//! frozen, a `spent` ledger row, all in one transaction, once per `Idempotency-Key`),
//! reading them (here), and the workflow (`workflow`), the only code that changes an
//! order's status: the owner's cancel, the admin's steps, Shopify's push and webhooks and
//! the automatic confirmation all go through it, and it audits each change.
//!
//! Race-freedom comes from row locks under READ COMMITTED, taken in one global order —
//! orders → reward_products (by id) → wallets (by user id) → users — so transactions
//! queue behind each other instead of deadlocking, and every check is made on the row it
//! guards after its lock is held: stock by `stock_quantity >= quantity` under the
//! product's lock, coins by the ledger's `available_coins + amount >= 0` under the
//! wallet's lock, transitions by the status read under the order's lock. CHECK
//! constraints (`stock_quantity >= 0`, `available_coins >= 0`, `frozen_coins >= 0`)
//! back each one up.

pub mod input;
mod place;
pub mod workflow;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{pagination, Error, Result};

pub use input::{Address, NewLine, NewOrder, MAX_LINES, MAX_QUANTITY};
pub use place::place;
pub use workflow::{Change, Moved};

crate::text_enum! {
    /// Where an order is in its workflow.
    pub enum Status {
        Pending = "pending",
        Confirmed = "confirmed",
        Processing = "processing",
        Shipped = "shipped",
        Delivered = "delivered",
        Cancelled = "cancelled",
        Refunded = "refunded",
    }
}

/// Who moves an order: its owner (cancelling), an admin (the workflow), the Shopify
/// integration (the push to the store, the store's webhooks) or the system (automatic
/// confirmation).
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    User(Uuid),
    Admin(Uuid),
    Shopify,
    System,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderItem {
    pub product_id: Uuid,
    pub name: String,
    pub quantity: i32,
    pub coin_price_at_purchase: i64,
    pub total_coins: i64,
}

/// An order as its owner sees it (`Order` in openapi.yaml).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: Uuid,
    pub order_code: String,
    pub status: Status,
    pub total_coins: i64,
    pub items: Vec<OrderItem>,
    pub shipping_address: Value,
    pub tracking_number: Option<String>,
    /// The carrier of `tracking_number`, when the store named one.
    pub carrier: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub refunded_at: Option<DateTime<Utc>>,
}

/// An order as admins see it: with its owner and the staff notes.
#[derive(Debug, Clone, Serialize)]
pub struct AdminOrder {
    #[serde(flatten)]
    pub order: Order,
    pub user_id: Uuid,
    pub user_email: String,
    pub notes: Option<String>,
    /// The order in Shopify (a GraphQL id), once it was pushed there.
    pub shopify_order_id: Option<String>,
    /// The statuses the workflow allows next (the admin console offers exactly these).
    pub next_statuses: Vec<Status>,
}

/// Orders with their lines, in the order of `ids`.
async fn load(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<AdminOrder>> {
    let mut items: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
    for row in crate::db_query!(
        "SELECT order_id, product_id, product_name, quantity, coin_price_at_purchase, total_coins
         FROM order_items WHERE order_id = ANY($1) ORDER BY order_id, line_no",
        ids
    )
    .fetch_all(&mut *conn)
    .await?
    {
        items.entry(row.order_id).or_default().push(OrderItem {
            product_id: row.product_id,
            name: row.product_name,
            quantity: row.quantity,
            coin_price_at_purchase: row.coin_price_at_purchase,
            total_coins: row.total_coins,
        });
    }
    let mut orders: HashMap<Uuid, AdminOrder> = HashMap::new();
    for r in crate::db_query!(
        "SELECT o.id, o.user_id, u.email, o.order_code, o.status, o.total_coins, o.shipping_address,
                o.tracking_number, o.carrier, o.notes, o.shopify_order_id, o.created_at, o.updated_at, o.shipped_at, o.delivered_at,
                o.cancelled_at, o.refunded_at
         FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = ANY($1)",
        ids
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let status = Status::parse(&r.status).map_err(Error::internal)?;
        orders.insert(
            r.id,
            AdminOrder {
                order: Order {
                    id: r.id,
                    order_code: r.order_code,
                    status,
                    total_coins: r.total_coins,
                    items: items.remove(&r.id).unwrap_or_default(),
                    shipping_address: r.shipping_address,
                    tracking_number: r.tracking_number,
                    carrier: r.carrier,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                    shipped_at: r.shipped_at,
                    delivered_at: r.delivered_at,
                    cancelled_at: r.cancelled_at,
                    refunded_at: r.refunded_at,
                },
                user_id: r.user_id,
                user_email: r.email,
                notes: r.notes,
                shopify_order_id: r.shopify_order_id,
                next_statuses: status.next(),
            },
        );
    }
    Ok(ids.iter().filter_map(|id| orders.remove(id)).collect())
}

/// One order; `owner` restricts it to that user's orders (others are `404`).
pub async fn get(conn: &mut PgConnection, owner: Option<Uuid>, id: Uuid) -> Result<AdminOrder> {
    let order = load(conn, &[id]).await?.pop().ok_or(Error::NotFound)?;
    match owner {
        Some(user) if user != order.user_id => Err(Error::NotFound),
        _ => Ok(order),
    }
}

/// A page of orders, newest first: one user's (`owner`) or everyone's, optionally by status.
pub async fn list(
    conn: &mut PgConnection,
    owner: Option<Uuid>,
    status: Option<Status>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<AdminOrder>, Option<String>)> {
    let (before_at, before_id): (DateTime<Utc>, Uuid) = match cursor {
        Some(c) => pagination::decode(c)?,
        None => (DateTime::<Utc>::MAX_UTC, Uuid::max()),
    };
    let rows = crate::db_query!(
        "SELECT id, created_at FROM orders
         WHERE ($1::uuid IS NULL OR user_id = $1) AND ($2::text IS NULL OR status = $2)
           AND (created_at, id) < ($3, $4)
         ORDER BY created_at DESC, id DESC LIMIT $5",
        owner,
        status.map(Status::as_str),
        before_at,
        before_id,
        limit + 1
    )
    .fetch_all(&mut *conn)
    .await?;
    let (rows, next) = pagination::finish(rows, limit, |r| (r.created_at, r.id));
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    Ok((load(conn, &ids).await?, next))
}

/// A deleted account's settled orders keep only the country of their address (orders
/// still on their way keep it: the goods must arrive).
pub async fn redact_settled_addresses(conn: &mut PgConnection, user_id: Uuid) -> Result<()> {
    crate::db_query!(
        "UPDATE orders SET shipping_address = jsonb_build_object(
                 'name', 'Deleted user', 'line1', 'redacted', 'city', 'redacted',
                 'postal_code', 'redacted', 'country', shipping_address->'country'),
             updated_at = now()
         WHERE user_id = $1 AND status NOT IN ('pending', 'confirmed', 'processing')",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}
