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
use crate::rewards::SyncedVariant;
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

async fn fetch_catalog(client: &Client<'_>) -> Result<(Vec<SyncedVariant>, u32)> {
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

fn rewards_of(product: ShopifyProduct) -> Vec<SyncedVariant> {
    let active = product.status == "ACTIVE";
    let product_image = product.featured_image.map(|i| i.url);
    product
        .variants
        .nodes
        .into_iter()
        .map(|variant| SyncedVariant {
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
    rewards: &[SyncedVariant],
    coins_per_usd: i64,
    pages: u32,
) -> Result<SyncReport> {
    let mut tx = app.db().await?.begin().await?;
    let applied = crate::rewards::apply_catalog(&mut tx, rewards, coins_per_usd).await?;
    tx.commit().await?;
    Ok(SyncReport {
        pages,
        fetched: rewards.len(),
        created: applied.created,
        updated: applied.updated,
        deactivated: applied.deactivated,
    })
}
