//! The hourly catalog sync from Shopify's GraphQL Admin API into `reward_products`.
//!
//! The whole catalog is read first (cursor pages, honouring Shopify's rate limits), then
//! applied in one transaction: a page that fails or does not parse leaves the table as it
//! was. Each Shopify variant is one reward. Coin prices derive from the retail price and
//! the `coins_per_usd` setting unless an admin pinned them; stock is Shopify's inventory
//! less the units our open orders hold that Shopify does not have yet (once an order is
//! pushed to Shopify, Shopify's inventory already counts it);
//! products that vanished or are not ACTIVE in Shopify are deactivated, never deleted
//! (order lines point at them).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Client;
use crate::{App, Error, Result};

const PAGE_SIZE: u32 = 50;
/// Attempts per page before the run gives up (and EventBridge retries it later).
const ATTEMPTS: u32 = 6;

const CATALOG_QUERY: &str = r#"query Catalog($first: Int!, $after: String) {
  products(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id title description productType status
      featuredImage { url }
      variants(first: 100) {
        nodes { id title price inventoryQuantity image { url } }
      }
    }
  }
}"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    page_info: PageInfo,
    nodes: Vec<ShopifyProduct>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShopifyProduct {
    id: String,
    title: String,
    description: Option<String>,
    product_type: Option<String>,
    status: String,
    featured_image: Option<Image>,
    variants: Connection<Variant>,
}

#[derive(Debug, Deserialize)]
struct Connection<T> {
    nodes: Vec<T>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Variant {
    id: String,
    title: String,
    /// Shopify's `Money` scalar: a decimal string such as "24.99".
    price: Decimal,
    inventory_quantity: Option<i64>,
    image: Option<Image>,
}

#[derive(Debug, Deserialize)]
struct Image {
    url: String,
}

/// One reward row as the sync will write it.
#[derive(Debug)]
struct Reward {
    product_id: String,
    variant_id: String,
    name: String,
    description: Option<String>,
    retail_price: Decimal,
    stock: i32,
    image_url: Option<String>,
    category: Option<String>,
    active: bool,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SyncReport {
    pub pages: u32,
    pub fetched: usize,
    pub created: i64,
    pub updated: i64,
    pub deactivated: i64,
}

/// Reads the whole catalog and applies it in one transaction.
pub async fn sync(app: &App) -> Result<SyncReport> {
    let client = Client::new(app).await?;
    let (rewards, pages) = fetch_catalog(&client).await?;
    let coins_per_usd = app.settings().await?.coins_per_usd;
    apply(app, &rewards, coins_per_usd, pages).await
}

async fn fetch_catalog(client: &Client<'_>) -> Result<(Vec<Reward>, u32)> {
    let mut rewards = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let variables = json!({ "first": PAGE_SIZE, "after": after });
        let data = client.graphql(CATALOG_QUERY, variables, ATTEMPTS).await?;
        let page: Page = serde_json::from_value(data["products"].clone()).map_err(|e| {
            Error::internal(format!("Shopify page {} is malformed: {e}", pages + 1))
        })?;
        pages += 1;
        for product in page.nodes {
            rewards.extend(rewards_of(product));
        }
        match (page.page_info.has_next_page, page.page_info.end_cursor) {
            (true, Some(cursor)) => after = Some(cursor),
            (true, None) => {
                return Err(Error::internal(format!(
                    "Shopify page {pages} says there is a next page but gives no cursor"
                )))
            }
            (false, _) => return Ok((rewards, pages)),
        }
    }
}

fn rewards_of(product: ShopifyProduct) -> Vec<Reward> {
    let active = product.status == "ACTIVE";
    let product_image = product.featured_image.map(|i| i.url);
    product
        .variants
        .nodes
        .into_iter()
        .map(|variant| Reward {
            product_id: product.id.clone(),
            variant_id: variant.id,
            // "Default Title" is Shopify's name for the only variant of a simple product.
            name: if variant.title == "Default Title" {
                product.title.clone()
            } else {
                format!("{} – {}", product.title, variant.title)
            },
            description: product.description.clone().filter(|d| !d.trim().is_empty()),
            retail_price: variant.price,
            stock: variant
                .inventory_quantity
                .unwrap_or(0)
                .clamp(0, i32::MAX as i64) as i32,
            image_url: variant
                .image
                .map(|i| i.url)
                .or_else(|| product_image.clone()),
            category: product
                .product_type
                .clone()
                .filter(|t| !t.trim().is_empty()),
            active,
        })
        .collect()
}

async fn apply(
    app: &App,
    rewards: &[Reward],
    coins_per_usd: i64,
    pages: u32,
) -> Result<SyncReport> {
    let mut tx = app.db().await?.begin().await?;
    // A misconfigured token or scope can answer with an empty catalog; taking that at its
    // word would hide every reward. Refuse, loudly, and change nothing.
    if rewards.is_empty() {
        let listed = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM reward_products WHERE shopify_variant_id IS NOT NULL AND is_active"#
        )
        .fetch_one(&mut *tx)
        .await?;
        if listed > 0 {
            return Err(Error::internal(format!(
                "Shopify returned no products while {listed} synced rewards are active; nothing changed"
            )));
        }
    }
    // Lock the synced catalog in id order, the order orders lock products in, so a sync
    // and a multi-product order cannot deadlock.
    sqlx::query!(
        "SELECT 1 AS locked FROM reward_products WHERE shopify_variant_id IS NOT NULL ORDER BY id FOR UPDATE"
    )
    .fetch_all(&mut *tx)
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
    let upserted = sqlx::query!(
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
    .fetch_one(&mut *tx)
    .await?;
    let deactivated = sqlx::query!(
        "UPDATE reward_products SET is_active = false, synced_at = now(), updated_at = now()
         WHERE shopify_variant_id IS NOT NULL AND is_active AND NOT (shopify_variant_id = ANY($1))",
        &variant_ids as &[&str]
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(SyncReport {
        pages,
        fetched: rewards.len(),
        created: upserted.created,
        updated: upserted.updated,
        deactivated: deactivated as i64,
    })
}
