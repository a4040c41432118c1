//! Coin orders: placing one (stock reserved, coins frozen, a `spent` ledger row, all in
//! one transaction, once per `Idempotency-Key`), reading them, and the order state
//! machine that both the user's cancel and the admin's transitions go through.
//!
//! Race-freedom comes from row locks under READ COMMITTED, taken in one global order —
//! orders → reward_products (by id) → wallets (by user id) → users — so transactions
//! queue behind each other instead of deadlocking, and every check is made on the row it
//! guards after its lock is held: stock by `stock_quantity >= quantity` under the
//! product's lock, coins by the ledger's `available_coins + amount >= 0` under the
//! wallet's lock, transitions by the status read under the order's lock. CHECK
//! constraints (`stock_quantity >= 0`, `available_coins >= 0`, `frozen_coins >= 0`)
//! back each one up.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::{self, ActorKind, EntityType, Entry};
use crate::input::{self, Checks};
use crate::ledger::{self, Posting, Reference, TxType};
use crate::{achievements, notifications, pagination, Error, FieldError, Result};

/// API.md: 1 to 20 lines of 1 to 10 units each.
pub const MAX_LINES: usize = 20;
pub const MAX_QUANTITY: i32 = 10;

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

impl Status {
    /// The workflow of API.md.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Pending, Confirmed)
                | (Confirmed, Processing)
                | (Processing, Shipped)
                | (Shipped, Delivered)
                | (Pending | Confirmed | Processing, Cancelled)
                | (Shipped | Delivered, Refunded)
        )
    }

    /// The statuses an admin may move an order to from this one (what the console offers).
    pub fn next(self) -> Vec<Status> {
        Status::ALL
            .iter()
            .copied()
            .filter(|to| self.can_become(*to))
            .collect()
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Address {
    /// The address with every field trimmed and checked, or the reasons under `at`.
    pub fn check(self, at: &str, checks: &mut Checks) -> Option<Address> {
        let field = |name: &str| format!("{at}.{name}");
        let postal = |raw: String| {
            let p = input::text(&raw, 16)?;
            if p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
            {
                Ok(p)
            } else {
                Err("must be letters, digits, spaces or dashes".into())
            }
        };
        let name = checks.field(field("name"), input::text(&self.name, 200));
        let line1 = checks.field(field("line1"), input::text(&self.line1, 200));
        let line2 = checks.optional(field("line2"), self.line2, |l| input::text(&l, 200));
        let city = checks.field(field("city"), input::text(&self.city, 100));
        let region = checks.optional(field("region"), self.region, |r| input::text(&r, 100));
        let postal_code = checks.field(field("postal_code"), postal(self.postal_code));
        let country = checks.field(field("country"), input::country_code(&self.country));
        let phone = checks.optional(field("phone"), self.phone, |p| input::phone(&p));
        Some(Address {
            name: name?,
            line1: line1?,
            line2,
            city: city?,
            region,
            postal_code: postal_code?,
            country: country?,
            phone,
        })
    }
}

/// A checked order request. Its JSON form is what an `Idempotency-Key` is bound to.
#[derive(Debug, Clone, Serialize)]
pub struct NewOrder {
    pub items: Vec<NewLine>,
    pub shipping_address: Address,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct NewLine {
    pub product_id: Uuid,
    pub quantity: i32,
}

impl NewOrder {
    /// Checks the lines (1 to 20, quantities 1 to 10, each product once) and the address;
    /// every problem is reported at once.
    pub fn check(lines: Vec<(Uuid, i64)>, address: Address) -> Result<NewOrder> {
        let mut checks = Checks::default();
        if !(1..=MAX_LINES).contains(&lines.len()) {
            checks.fail(
                "items",
                format!("must have 1 to {MAX_LINES} lines, got {}", lines.len()),
            );
        }
        let mut seen = std::collections::HashSet::new();
        let mut items = Vec::new();
        for (i, (product_id, quantity)) in lines.into_iter().enumerate() {
            if !seen.insert(product_id) {
                checks.fail(
                    format!("items[{i}].product_id"),
                    "appears more than once; order several units in one line",
                );
            }
            match i32::try_from(quantity) {
                Ok(q) if (1..=MAX_QUANTITY).contains(&q) => items.push(NewLine {
                    product_id,
                    quantity: q,
                }),
                _ => checks.fail(
                    format!("items[{i}].quantity"),
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ),
            }
        }
        let shipping_address = address.check("shipping_address", &mut checks);
        checks.finish()?;
        Ok(NewOrder {
            items,
            shipping_address: input::checked(shipping_address)?,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderItem {
    pub product_id: Uuid,
    pub name: String,
    pub quantity: i32,
    pub coin_price_at_purchase: i64,
    pub total_coins: i64,
}

/// An order as API.md shows it to its owner.
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

/// Places an order for `user_id` in the caller's transaction (the caller makes it
/// idempotent with `idempotency::once`, in the same transaction): stock reserved under
/// the products' row locks, the coins moved from available to frozen with a `spent` row.
pub async fn place(conn: &mut PgConnection, user_id: Uuid, order: &NewOrder) -> Result<Order> {
    let order_id = Uuid::new_v4();
    let total = reserve_stock(conn, order).await?;
    let code = sqlx::query_scalar!(
        r#"INSERT INTO orders (id, user_id, order_code, total_coins, shipping_address)
           VALUES ($1, $2, 'FK-' || to_char(now() AT TIME ZONE 'UTC', 'YYYY') || '-'
                               || lpad(nextval('order_code_seq')::text, 5, '0'), $3, $4)
           RETURNING order_code"#,
        order_id,
        user_id,
        total,
        serde_json::to_value(&order.shipping_address).map_err(Error::internal)?
    )
    .fetch_one(&mut *conn)
    .await?;
    insert_lines(conn, order_id, order).await?;
    ledger::post(
        conn,
        &Posting {
            user_id,
            amount: -total,
            tx_type: TxType::Spent,
            reference: Some((Reference::Order, order_id)),
            description: format!("Order {code}"),
            coins_per_step: None,
        },
    )
    .await?;
    ledger::move_order_coins(conn, user_id, total, 0).await?;
    Ok(load(conn, &[order_id]).await?.remove(0).order)
}

/// `auto_confirm_orders`: a just-placed order (its stock is already reserved) is confirmed
/// at once, in the placing transaction, audited as the system's doing. The caller hands
/// it to Shopify once committed.
pub async fn confirm_automatically(conn: &mut PgConnection, order_id: Uuid) -> Result<Order> {
    let change = Change {
        to: Some(Status::Confirmed),
        ..Change::default()
    };
    let (before, after) = transition(conn, order_id, Actor::System, &change).await?;
    audit::record(
        conn,
        ActorKind::System,
        Entry {
            action: "order.update",
            entity_type: EntityType::Order,
            entity_id: Some(order_id),
            before: &before.audit_view(),
            after: &after.audit_view(),
        },
    )
    .await?;
    Ok(after.order)
}

/// Locks the ordered products in id order, checks them, takes the units off their stock
/// and returns the order's total in coins.
async fn reserve_stock(conn: &mut PgConnection, order: &NewOrder) -> Result<i64> {
    let ids: Vec<Uuid> = order.items.iter().map(|l| l.product_id).collect();
    let products: HashMap<Uuid, (String, i64, i32)> = sqlx::query!(
        "SELECT id, name, coin_price, stock_quantity FROM reward_products
         WHERE id = ANY($1) AND is_active ORDER BY id FOR UPDATE",
        &ids
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|p| (p.id, (p.name, p.coin_price, p.stock_quantity)))
    .collect();
    let unknown: Vec<FieldError> = order
        .items
        .iter()
        .enumerate()
        .filter(|(_, l)| !products.contains_key(&l.product_id))
        .map(|(i, _)| {
            FieldError::new(
                format!("items[{i}].product_id"),
                "is not an available reward",
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Validation(unknown));
    }
    let mut total: i64 = 0;
    for line in &order.items {
        let (name, price, stock) = &products[&line.product_id];
        if *stock < line.quantity {
            return Err(Error::conflict(
                "out_of_stock",
                format!("Only {stock} of {name} left in stock."),
            ));
        }
        total += price * line.quantity as i64;
    }
    let quantities: Vec<i32> = order.items.iter().map(|l| l.quantity).collect();
    sqlx::query!(
        "UPDATE reward_products p SET stock_quantity = p.stock_quantity - l.quantity, updated_at = now()
         FROM UNNEST($1::uuid[], $2::int4[]) AS l(product_id, quantity) WHERE p.id = l.product_id",
        &ids,
        &quantities
    )
    .execute(&mut *conn)
    .await?;
    Ok(total)
}

/// The order lines, priced and named as the products are now (both are kept: later
/// price changes and renames never alter a placed order).
async fn insert_lines(conn: &mut PgConnection, order_id: Uuid, order: &NewOrder) -> Result<()> {
    let ids: Vec<Uuid> = order.items.iter().map(|l| l.product_id).collect();
    let quantities: Vec<i32> = order.items.iter().map(|l| l.quantity).collect();
    sqlx::query!(
        "INSERT INTO order_items (order_id, line_no, product_id, product_name, quantity, coin_price_at_purchase,
                                  total_coins)
         SELECT $1, l.ord, p.id, p.name, l.quantity, p.coin_price, p.coin_price * l.quantity
         FROM UNNEST($2::uuid[], $3::int4[]) WITH ORDINALITY AS l(product_id, quantity, ord)
         JOIN reward_products p ON p.id = l.product_id
         ORDER BY l.ord",
        order_id,
        &ids,
        &quantities
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Orders with their lines, in the order of `ids`.
async fn load(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<AdminOrder>> {
    let mut items: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
    for row in sqlx::query!(
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
    for r in sqlx::query!(
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
    let rows = sqlx::query!(
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

impl AdminOrder {
    /// What the audit trail keeps of an order before and after a change.
    pub fn audit_view(&self) -> Value {
        serde_json::json!({
            "status": self.order.status,
            "tracking_number": self.order.tracking_number,
            "carrier": self.order.carrier,
            "notes": self.notes,
        })
    }
}

/// A requested change of an order's status (admins and the store may add tracking and
/// notes).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub to: Option<Status>,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub notes: Option<String>,
}

/// Moves an order through the workflow with its coin and stock effects, in the caller's
/// transaction; returns the order before and after (for the audit trail).
///
/// - `cancelled` (from pending, confirmed, processing): stock back, frozen coins back to
///   available with a `refund` row;
/// - `shipped`: the frozen coins are settled into `total_spent`, and redemption
///   achievements are evaluated (they unlock for goods that went out, not for orders
///   placed and cancelled);
/// - `refunded` (from shipped, delivered): the coins come back with a `refund` row and
///   leave `total_spent`; the goods went out, so stock stays as it is;
/// - `confirmed`: the order is due to go to Shopify (`shopify_push_requested_at`; the
///   caller hands it to the queue once committed, `shopify::fulfilment::request_push`);
/// - an admin may repeat the current status to correct tracking number or notes.
///
/// Anything else is `409 invalid_transition`; a user may only cancel their own pending
/// or confirmed order (someone else's is `404`); an admin may not move their own order
/// (`403 own_account`).
pub async fn transition(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Actor,
    change: &Change,
) -> Result<(AdminOrder, AdminOrder)> {
    let locked = sqlx::query_as!(
        Locked,
        "SELECT id, user_id, status, total_coins, order_code FROM orders WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let from = Status::parse(&locked.status).map_err(Error::internal)?;
    let to = change.to.unwrap_or(from);
    permit(actor, &locked, from, to, change)?;
    let before = get(conn, None, id).await?;
    if to != from {
        settle(conn, &locked, to).await?;
    }
    sqlx::query!(
        "UPDATE orders SET status = $2::text,
                tracking_number = COALESCE($3, tracking_number),
                notes = COALESCE($4, notes),
                carrier = COALESCE($5, carrier),
                shopify_push_requested_at = CASE WHEN $2 = 'confirmed' AND status <> $2 THEN now()
                                                 ELSE shopify_push_requested_at END,
                shipped_at = CASE WHEN $2 = 'shipped' AND status <> $2 THEN now() ELSE shipped_at END,
                delivered_at = CASE WHEN $2 = 'delivered' AND status <> $2 THEN now() ELSE delivered_at END,
                cancelled_at = CASE WHEN $2 = 'cancelled' AND status <> $2 THEN now() ELSE cancelled_at END,
                refunded_at = CASE WHEN $2 = 'refunded' AND status <> $2 THEN now() ELSE refunded_at END,
                updated_at = now()
         WHERE id = $1",
        id,
        to.as_str(),
        change.tracking_number,
        change.notes,
        change.carrier
    )
    .execute(&mut *conn)
    .await?;
    if to == Status::Shipped && from != Status::Shipped {
        // Redemption achievements follow the goods: they unlock when an order ships.
        achievements::evaluate(conn, &[locked.user_id]).await?;
    }
    let after = get(conn, None, id).await?;
    // The owner hears of what others did to their order (not of their own cancel).
    if to != from && !matches!(actor, Actor::User(_)) {
        let notice = notifications::order_notice(
            locked.user_id,
            id,
            &locked.order_code,
            to.as_str(),
            after.order.tracking_number.as_deref(),
            after.order.carrier.as_deref(),
        );
        notifications::record(conn, notice.as_slice()).await?;
    }
    Ok((before, after))
}

/// An order row as `transition` locks it.
struct Locked {
    id: Uuid,
    user_id: Uuid,
    status: String,
    total_coins: i64,
    order_code: String,
}

/// Who may move the order from `from` to `to`: its owner may cancel before processing
/// (someone else's order is `404`); an admin may follow the workflow or correct tracking
/// and notes, never on their own order; the integrations follow the workflow.
fn permit(actor: Actor, order: &Locked, from: Status, to: Status, change: &Change) -> Result<()> {
    let allowed = match actor {
        Actor::User(user) if user != order.user_id => return Err(Error::NotFound),
        Actor::User(_) => {
            to == Status::Cancelled && matches!(from, Status::Pending | Status::Confirmed)
        }
        // Admins can't pay themselves: no workflow step on their own orders.
        Actor::Admin(admin) if admin == order.user_id => {
            return Err(Error::denied(
                "own_account",
                "Admins can't change their own orders; ask another admin.",
            ))
        }
        Actor::Admin(_) | Actor::Shopify | Actor::System => {
            from.can_become(to)
                || (to == from
                    && (change.tracking_number.is_some()
                        || change.carrier.is_some()
                        || change.notes.is_some()))
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::conflict(
            "invalid_transition",
            format!("An order that is {from} cannot become {to}."),
        ))
    }
}

/// The coin and stock effects of reaching `to`: a cancellation returns the stock and the
/// frozen coins, shipping settles them into `total_spent`, a refund returns them.
async fn settle(conn: &mut PgConnection, order: &Locked, to: Status) -> Result<()> {
    let (user, total) = (order.user_id, order.total_coins);
    let refund = |description: String| Posting {
        user_id: user,
        amount: total,
        tx_type: TxType::Refund,
        reference: Some((Reference::Order, order.id)),
        description,
        coins_per_step: None,
    };
    match to {
        Status::Cancelled => {
            restore_stock(conn, order.id).await?;
            let description = format!("Order {} cancelled", order.order_code);
            ledger::post(conn, &refund(description)).await?;
            ledger::move_order_coins(conn, user, -total, 0).await
        }
        Status::Shipped => ledger::move_order_coins(conn, user, -total, total).await,
        Status::Refunded => {
            let description = format!("Order {} refunded", order.order_code);
            ledger::post(conn, &refund(description)).await?;
            ledger::move_order_coins(conn, user, 0, -total).await
        }
        Status::Pending | Status::Confirmed | Status::Processing | Status::Delivered => Ok(()),
    }
}

async fn restore_stock(conn: &mut PgConnection, order_id: Uuid) -> Result<()> {
    sqlx::query!(
        "WITH locked AS (
             SELECT p.id FROM reward_products p
             WHERE p.id IN (SELECT product_id FROM order_items WHERE order_id = $1)
             ORDER BY p.id FOR UPDATE
         )
         UPDATE reward_products p SET stock_quantity = p.stock_quantity + l.quantity, updated_at = now()
         FROM (SELECT product_id, sum(quantity)::int4 AS quantity FROM order_items WHERE order_id = $1
               GROUP BY product_id) l
         WHERE p.id = l.product_id AND p.id IN (SELECT id FROM locked)",
        order_id
    )
    .execute(conn)
    .await?;
    Ok(())
}
