//! The reward catalog users spend coins on: reads for the app, and the admin's edits.
//! Products come from Shopify (`shopify::sync`); their coin price derives from the
//! retail price unless an admin pinned it.

use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::{pagination, Error, Result};

/// Stock never goes below zero.
pub const CONSTRAINTS: &[crate::error::Constraint] = &[crate::error::Constraint {
    name: "reward_products_stock_quantity_check",
    refusal: || Error::conflict("out_of_stock", Text::new("problem-out-of-stock")),
}];

/// A product as users see it (`Product` in openapi.yaml).
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub coin_price: i64,
    #[serde(with = "rust_decimal::serde::float_option")]
    pub retail_price: Option<Decimal>,
    pub image_url: Option<String>,
    pub category: Option<String>,
    pub stock_quantity: i32,
    pub in_stock: bool,
}

/// A product as admins see it: with what the catalog sync and the admin control.
#[derive(Debug, Clone, Serialize)]
pub struct AdminProduct {
    #[serde(flatten)]
    pub product: Product,
    pub is_active: bool,
    pub admin_hidden: bool,
    pub coin_price_pinned: bool,
    pub popularity_rank: i32,
    pub shopify_product_id: Option<String>,
    pub shopify_variant_id: Option<String>,
    pub synced_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One page of active products, by `popularity_rank` (1 is the most popular), then id.
pub async fn list(
    conn: &mut PgConnection,
    category: Option<&str>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<Product>, Option<String>)> {
    let (rank, id): (i32, Uuid) = match cursor {
        Some(c) => pagination::decode(c)?,
        None => (i32::MIN, Uuid::nil()),
    };
    let rows = crate::db_query!(
        r#"SELECT id, name, description, coin_price, retail_price, image_url, category, stock_quantity,
                  stock_quantity > 0 AS "in_stock!", popularity_rank
           FROM reward_products
           WHERE is_active AND ($1::text IS NULL OR category = $1)
             AND (popularity_rank, id) > ($2, $3)
           ORDER BY popularity_rank, id
           LIMIT $4"#,
        category,
        rank,
        id,
        limit + 1
    )
    .fetch_all(conn)
    .await?;
    let (rows, next) = pagination::finish(rows, limit, |r| (r.popularity_rank, r.id));
    let items = rows
        .into_iter()
        .map(|r| Product {
            id: r.id,
            name: r.name,
            description: r.description,
            coin_price: r.coin_price,
            retail_price: r.retail_price,
            image_url: r.image_url,
            category: r.category,
            stock_quantity: r.stock_quantity,
            in_stock: r.in_stock,
        })
        .collect();
    Ok((items, next))
}

/// An active product; inactive and unknown products are `404` alike.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Product> {
    crate::db_query_as!(
        Product,
        r#"SELECT id, name, description, coin_price, retail_price, image_url, category, stock_quantity,
                  stock_quantity > 0 AS "in_stock!"
           FROM reward_products WHERE id = $1 AND is_active"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// What an admin may change on a product (openapi.yaml: `adminUpdateReward`, `PATCH /v1/admin/rewards/{id}`).
#[derive(Debug, Default)]
pub struct ProductChanges {
    /// Pins the coin price: the Shopify sync stops deriving it from the retail price.
    pub coin_price: Option<i64>,
    /// `false` hides the product from users, and the sync will not show it again.
    pub is_active: Option<bool>,
    pub popularity_rank: Option<i32>,
}

/// Applies an admin's changes; returns the product before and after, for the audit trail.
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    changes: &ProductChanges,
) -> Result<(AdminProduct, AdminProduct)> {
    let before = lock(conn, id).await?;
    crate::db_query!(
        r#"UPDATE reward_products SET
               coin_price = COALESCE($2, coin_price),
               coin_price_pinned = coin_price_pinned OR $2::int8 IS NOT NULL,
               is_active = COALESCE($3, is_active),
               admin_hidden = COALESCE(NOT $3, admin_hidden),
               popularity_rank = COALESCE($4, popularity_rank),
               updated_at = now()
           WHERE id = $1"#,
        id,
        changes.coin_price,
        changes.is_active,
        changes.popularity_rank
    )
    .execute(&mut *conn)
    .await?;
    let after = lock(conn, id).await?;
    Ok((before, after))
}

/// The price the catalog sync gives a product with this retail price: the retail price at
/// `coins_per_usd`, rounded up, at least 1 coin. `None` without a retail price.
pub fn catalog_price(retail_price: Option<Decimal>, coins_per_usd: i64) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    retail_price
        .and_then(|p| (p * Decimal::from(coins_per_usd)).ceil().to_i64())
        .map(|p| p.max(1))
}

/// Any product, active or not, as admins see it (locked for the caller's transaction).
pub async fn admin_view(conn: &mut PgConnection, id: Uuid) -> Result<AdminProduct> {
    lock(conn, id).await
}

/// Any product, active or not, as admins see it, locked for the caller's transaction.
async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<AdminProduct> {
    let r = crate::db_query!(
        r#"SELECT id, name, description, coin_price, retail_price, image_url, category, stock_quantity,
                  is_active, admin_hidden, coin_price_pinned, popularity_rank, shopify_product_id,
                  shopify_variant_id, synced_at
           FROM reward_products WHERE id = $1
           FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(AdminProduct {
        product: Product {
            id: r.id,
            name: r.name,
            description: r.description,
            coin_price: r.coin_price,
            retail_price: r.retail_price,
            image_url: r.image_url,
            category: r.category,
            stock_quantity: r.stock_quantity,
            in_stock: r.stock_quantity > 0,
        },
        is_active: r.is_active,
        admin_hidden: r.admin_hidden,
        coin_price_pinned: r.coin_price_pinned,
        popularity_rank: r.popularity_rank,
        shopify_product_id: r.shopify_product_id,
        shopify_variant_id: r.shopify_variant_id,
        synced_at: r.synced_at,
    })
}

/// One Shopify variant as the catalog sync read it: one reward.
#[derive(Debug, Clone)]
pub struct SyncedVariant {
    pub product_id: String,
    pub variant_id: String,
    pub name: String,
    pub description: Option<String>,
    pub retail_price: Decimal,
    pub stock: i32,
    pub image_url: Option<String>,
    pub category: Option<String>,
    pub active: bool,
}

/// What applying a catalog changed.
#[derive(Debug, Clone, Copy, Default)]
pub struct CatalogChange {
    pub created: i64,
    pub updated: i64,
    pub deactivated: i64,
}

/// Applies the whole synced catalog in the caller's transaction: each variant one reward
/// (upserted by its variant id), prices from the retail price at `coins_per_usd` unless
/// an admin pinned them, stock as Shopify's minus the units of our open orders Shopify
/// does not have yet, hidden products staying hidden, vanished ones deactivated (never
/// deleted: orders point at them).
pub async fn apply_catalog(
    conn: &mut PgConnection,
    rewards: &[SyncedVariant],
    coins_per_usd: i64,
) -> Result<CatalogChange> {
    // A misconfigured token or scope can answer with an empty catalog; taking that at its
    // word would hide every reward. Refuse, loudly, and change nothing.
    if rewards.is_empty() {
        let listed = crate::db_query_scalar!(
            r#"SELECT count(*) AS "n!" FROM reward_products WHERE shopify_variant_id IS NOT NULL AND is_active"#
        )
        .fetch_one(&mut *conn)
        .await?;
        if listed > 0 {
            return Err(Error::internal(format!(
                "Shopify returned no products while {listed} synced rewards are active; nothing changed"
            )));
        }
    }
    // Lock the synced catalog in id order, the order orders lock products in, so a sync
    // and a multi-product order cannot deadlock.
    crate::db_query!(
        "SELECT 1 AS locked FROM reward_products WHERE shopify_variant_id IS NOT NULL ORDER BY id FOR UPDATE"
    )
    .fetch_all(&mut *conn)
    .await?;
    let product_ids: Vec<&str> = rewards.iter().map(|r| r.product_id.as_str()).collect();
    let variant_ids: Vec<&str> = rewards.iter().map(|r| r.variant_id.as_str()).collect();
    let names: Vec<&str> = rewards.iter().map(|r| r.name.as_str()).collect();
    let descriptions: Vec<Option<&str>> =
        rewards.iter().map(|r| r.description.as_deref()).collect();
    let prices: Vec<Decimal> = rewards.iter().map(|r| r.retail_price).collect();
    let stock: Vec<i32> = rewards.iter().map(|r| r.stock).collect();
    let images: Vec<Option<&str>> = rewards.iter().map(|r| r.image_url.as_deref()).collect();
    let categories: Vec<Option<&str>> = rewards.iter().map(|r| r.category.as_deref()).collect();
    let active: Vec<bool> = rewards.iter().map(|r| r.active).collect();
    let upserted = crate::db_query!(
        r#"WITH input AS (
               SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::int4[],
                                    $7::text[], $8::text[], $9::bool[])
                   AS i(product_id, variant_id, name, description, price, stock, image_url, category, active)
           ), upserted AS (
               INSERT INTO reward_products AS p (shopify_product_id, shopify_variant_id, name, description, coin_price,
                                                 retail_price, image_url, stock_quantity, category, is_active, synced_at)
               SELECT product_id, variant_id, name, description, GREATEST(1, ceil(price * $10))::int8, price, image_url,
                      stock, category, active, now()
               FROM input
               ON CONFLICT (shopify_variant_id) WHERE shopify_variant_id IS NOT NULL DO UPDATE SET
                   shopify_product_id = EXCLUDED.shopify_product_id,
                   name = EXCLUDED.name,
                   description = EXCLUDED.description,
                   retail_price = EXCLUDED.retail_price,
                   coin_price = CASE WHEN p.coin_price_pinned THEN p.coin_price ELSE EXCLUDED.coin_price END,
                   image_url = EXCLUDED.image_url,
                   category = EXCLUDED.category,
                   stock_quantity = GREATEST(0, EXCLUDED.stock_quantity - (
                       SELECT COALESCE(sum(oi.quantity), 0) FROM order_items oi JOIN orders o ON o.id = oi.order_id
                       WHERE oi.product_id = p.id AND o.status IN ('pending', 'confirmed', 'processing')
                         AND o.shopify_order_id IS NULL)),
                   is_active = EXCLUDED.is_active AND NOT p.admin_hidden,
                   synced_at = now(),
                   updated_at = now()
               RETURNING (xmax = 0) AS inserted
           )
           SELECT count(*) FILTER (WHERE inserted) AS "created!", count(*) FILTER (WHERE NOT inserted) AS "updated!"
           FROM upserted"#,
        &product_ids as &[&str],
        &variant_ids as &[&str],
        &names as &[&str],
        &descriptions as &[Option<&str>],
        &prices,
        &stock,
        &images as &[Option<&str>],
        &categories as &[Option<&str>],
        &active,
        Decimal::from(coins_per_usd),
    )
    .fetch_one(&mut *conn)
    .await?;
    let deactivated = crate::db_query!(
        "UPDATE reward_products SET is_active = false, synced_at = now(), updated_at = now()
         WHERE shopify_variant_id IS NOT NULL AND is_active AND NOT (shopify_variant_id = ANY($1))",
        &variant_ids as &[&str]
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(CatalogChange {
        created: upserted.created,
        updated: upserted.updated,
        deactivated: deactivated as i64,
    })
}

/// An order's units leave the stock, under the products' locks (the caller locked them in
/// id order); a stock that would go negative is `409 out_of_stock` (the CHECK backs the
/// caller's own check).
pub async fn take_stock(conn: &mut PgConnection, ids: &[Uuid], quantities: &[i32]) -> Result<()> {
    crate::db_query!(
        "UPDATE reward_products p SET stock_quantity = p.stock_quantity - l.quantity, updated_at = now()
         FROM UNNEST($1::uuid[], $2::int4[]) AS l(product_id, quantity) WHERE p.id = l.product_id",
        ids,
        quantities
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A cancelled order's units return to the stock, its products locked in id order first.
pub async fn return_stock(conn: &mut PgConnection, order_id: Uuid) -> Result<()> {
    crate::db_query!(
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
