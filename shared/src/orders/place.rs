//! Placing an order, in the caller's transaction: the products locked in id order and
//! their stock reserved, the lines priced as the products are now, the coins taken with
//! a `spent` ledger row and held as frozen until the order ships or comes back.

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

use super::{load, NewOrder, Order};
use crate::i18n::Text;
use crate::ledger::{self, Posting, Reference, TxType};
use crate::{Error, FieldError, Result};

/// Places an order for `user_id` in the caller's transaction (the caller makes it
/// idempotent with `idempotency::once`, in the same transaction): stock reserved under
/// the products' row locks, the coins moved from available to frozen with a `spent` row.
pub async fn place(conn: &mut PgConnection, user_id: Uuid, order: &NewOrder) -> Result<Order> {
    let order_id = Uuid::new_v4();
    let total = reserve_stock(conn, order).await?;
    let code = crate::db_query_scalar!(
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
    ledger::move_held_coins(conn, user_id, total, 0).await?;
    Ok(load(conn, &[order_id]).await?.remove(0).order)
}

/// Locks the ordered products in id order, checks them, takes the units off their stock
/// and returns the order's total in coins.
async fn reserve_stock(conn: &mut PgConnection, order: &NewOrder) -> Result<i64> {
    let ids: Vec<Uuid> = order.items.iter().map(|l| l.product_id).collect();
    let products: HashMap<Uuid, (String, i64, i32)> = crate::db_query!(
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
                Text::new("problem-out-of-stock-left")
                    .arg("left", *stock)
                    .arg("product", name.as_str()),
            ));
        }
        total += price * line.quantity as i64;
    }
    let quantities: Vec<i32> = order.items.iter().map(|l| l.quantity).collect();
    crate::rewards::take_stock(conn, &ids, &quantities).await?;
    Ok(total)
}

/// The order lines, priced and named as the products are now (both are kept: later
/// price changes and renames never alter a placed order).
async fn insert_lines(conn: &mut PgConnection, order_id: Uuid, order: &NewOrder) -> Result<()> {
    let ids: Vec<Uuid> = order.items.iter().map(|l| l.product_id).collect();
    let quantities: Vec<i32> = order.items.iter().map(|l| l.quantity).collect();
    crate::db_query!(
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
