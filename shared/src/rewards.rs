//! The reward catalog users spend coins on: reads for the app, and the admin's edits.
//! Products come from Shopify (`shopify::sync`); their coin price derives from the
//! retail price unless an admin pinned it.

use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{pagination, Error, Result};

/// A product as API.md shows it to users.
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
    let rows = sqlx::query!(
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
    sqlx::query_as!(
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

/// What an admin may change on a product (API.md: `PATCH /v1/admin/rewards/{id}`).
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
    sqlx::query!(
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
    let r = sqlx::query!(
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
