//! The hourly catalog sync against a local fake of Shopify's GraphQL Admin API: creates,
//! updates, vanished products, pinned prices, rate limits, a malformed page, and one
//! run per scheduled time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fitkart::config::{SecretSource, ShopifyConfig};
use fitkart::jobs::ScheduledEvent;
use fitkart_functions::shopify::sync;
use fitkart_tests::{test_config, TestApp};
use serde_json::{json, Value};

const TOKEN: &str = "shpat_test_token";

/// What the fake answers, in order: a scripted reply per request, then the catalog.
#[derive(Clone, Default)]
struct FakeShopify {
    catalog: Arc<Mutex<Vec<Value>>>,
    scripted: Arc<Mutex<VecDeque<Response>>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

/// A product node as Shopify's GraphQL Admin API returns it.
fn product(n: u32, title: &str, kind: &str, variants: &[(&str, &str, i64)]) -> Value {
    json!({
        "id": format!("gid://shopify/Product/{n}"),
        "title": title,
        "description": format!("{title}, described."),
        "productType": kind,
        "status": "ACTIVE",
        "featuredImage": {"url": format!("https://cdn.shopify.com/{n}.jpg")},
        "variants": {"nodes": variants.iter().enumerate().map(|(i, (name, price, stock))| json!({
            "id": format!("gid://shopify/ProductVariant/{}", n * 100 + i as u32),
            "title": name,
            "price": price,
            "inventoryQuantity": stock,
            "image": null,
        })).collect::<Vec<_>>()},
    })
}

impl FakeShopify {
    fn set_catalog(&self, products: Vec<Value>) {
        *self.catalog.lock().unwrap() = products;
    }

    fn script(&self, response: Response) {
        self.scripted.lock().unwrap().push_back(response);
    }

    fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// Two products per page, cursors are offsets.
    fn page(&self, after: Option<&str>) -> Value {
        let catalog = self.catalog.lock().unwrap();
        let start: usize = after.map(|a| a.parse().unwrap()).unwrap_or(0);
        let end = (start + 2).min(catalog.len());
        json!({
            "data": {"products": {
                "pageInfo": {"hasNextPage": end < catalog.len(), "endCursor": end.to_string()},
                "nodes": catalog[start..end],
            }},
            "extensions": {"cost": {"requestedQueryCost": 52, "throttleStatus":
                {"maximumAvailable": 2000.0, "currentlyAvailable": 1948.0, "restoreRate": 100.0}}},
        })
    }

    async fn serve(&self) -> String {
        let fake = self.clone();
        let handler = move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
            let fake = fake.clone();
            async move {
                fake.requests.lock().unwrap().push(body.clone());
                if headers
                    .get("x-shopify-access-token")
                    .and_then(|v| v.to_str().ok())
                    != Some(TOKEN)
                {
                    return (StatusCode::UNAUTHORIZED, "bad token").into_response();
                }
                if let Some(scripted) = fake.scripted.lock().unwrap().pop_front() {
                    return scripted;
                }
                axum::Json(fake.page(body["variables"]["after"].as_str())).into_response()
            }
        };
        let app = axum::Router::new().route(
            "/admin/api/2025-01/graphql.json",
            axum::routing::post(handler),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://127.0.0.1:{port}/admin/api/2025-01/graphql.json")
    }
}

async fn world() -> (TestApp, FakeShopify) {
    let fake = FakeShopify::default();
    let mut config = test_config();
    config.shopify = Some(ShopifyConfig {
        graphql_url: fake.serve().await,
        access_token: SecretSource::Value(TOKEN.into()),
    });
    (TestApp::with_config(config).await, fake)
}

fn at(time: &str) -> ScheduledEvent {
    ScheduledEvent {
        scheduled_time: Some(time.parse().unwrap()),
    }
}

/// (variant id, name, coin_price, retail price as text, stock, active, category)
type Row = (String, String, i64, String, i32, bool, Option<String>);

async fn catalog(t: &TestApp) -> Vec<Row> {
    sqlx::query_as(
        "SELECT shopify_variant_id, name, coin_price, retail_price::text, stock_quantity, is_active, category
         FROM reward_products ORDER BY shopify_variant_id",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap()
}

fn row(
    variant: &str,
    name: &str,
    coins: i64,
    price: &str,
    stock: i32,
    active: bool,
) -> (String, String, i64, String, i32, bool) {
    (
        variant.into(),
        name.into(),
        coins,
        price.into(),
        stock,
        active,
    )
}

fn without_category(rows: Vec<Row>) -> Vec<(String, String, i64, String, i32, bool)> {
    rows.into_iter()
        .map(|(v, n, c, p, s, a, _)| (v, n, c, p, s, a))
        .collect()
}

fn starter_catalog() -> Vec<Value> {
    vec![
        product(1, "Water Bottle", "gear", &[("Default Title", "2.50", 40)]),
        product(
            2,
            "Running Socks",
            "apparel",
            &[("S/M", "4.00", 25), ("L/XL", "4.10", 0)],
        ),
        product(3, "Tracker Band", "gear", &[("Default Title", "15.00", 5)]),
    ]
}

#[tokio::test]
async fn a_first_sync_creates_every_variant_with_derived_coin_prices() {
    let (t, fake) = world().await;
    fake.set_catalog(starter_catalog());
    let report = sync(t.app, at("2026-11-25T10:00:00Z")).await.unwrap();
    assert_eq!(report["pages"], 2);
    assert_eq!(report["created"], 4);
    // coins_per_usd is 10000 in the seeded settings.
    assert_eq!(
        without_category(catalog(&t).await),
        vec![
            row(
                "gid://shopify/ProductVariant/100",
                "Water Bottle",
                25_000,
                "2.50",
                40,
                true
            ),
            row(
                "gid://shopify/ProductVariant/200",
                "Running Socks – S/M",
                40_000,
                "4.00",
                25,
                true
            ),
            row(
                "gid://shopify/ProductVariant/201",
                "Running Socks – L/XL",
                41_000,
                "4.10",
                0,
                true
            ),
            row(
                "gid://shopify/ProductVariant/300",
                "Tracker Band",
                150_000,
                "15.00",
                5,
                true
            ),
        ]
    );
    let (category, image, synced): (Option<String>, Option<String>, bool) = sqlx::query_as(
        "SELECT category, image_url, synced_at IS NOT NULL FROM reward_products
         WHERE shopify_variant_id = 'gid://shopify/ProductVariant/300'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(category.as_deref(), Some("gear"));
    assert_eq!(image.as_deref(), Some("https://cdn.shopify.com/3.jpg"));
    assert!(synced);
    // The query pages with Shopify's cursor.
    let requests = fake.requests.lock().unwrap().clone();
    assert_eq!(requests[0]["variables"]["after"], Value::Null);
    assert_eq!(requests[1]["variables"]["after"], "2");
}

#[tokio::test]
async fn later_syncs_update_deactivate_and_respect_pinned_prices_hidden_products_and_open_orders() {
    let (t, fake) = world().await;
    fake.set_catalog(starter_catalog());
    sync(t.app, at("2026-11-25T10:00:00Z")).await.unwrap();

    // An admin pins the band's price and hides the bottle; a user holds 2 socks in an open order.
    sqlx::query(
        "UPDATE reward_products SET coin_price = 99000, coin_price_pinned = true
         WHERE shopify_variant_id = 'gid://shopify/ProductVariant/300'",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE reward_products SET is_active = false, admin_hidden = true
         WHERE shopify_variant_id = 'gid://shopify/ProductVariant/100'",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    let user = t.verified("holder@example.com").await;
    t.grant(user.id, 100_000).await;
    let socks: uuid::Uuid = sqlx::query_scalar(
        "SELECT id FROM reward_products WHERE shopify_variant_id = 'gid://shopify/ProductVariant/200'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    t.order(&user, "socks", &[(socks, 2)]).await;

    // Shopify now: bottle still there, socks repriced and restocked with one variant gone,
    // the band's price changed, and a new draft product.
    let mut draft = product(
        4,
        "Foam Roller",
        "recovery",
        &[("Default Title", "9.99", 12)],
    );
    draft["status"] = json!("DRAFT");
    fake.set_catalog(vec![
        product(1, "Water Bottle", "gear", &[("Default Title", "2.50", 40)]),
        product(2, "Running Socks", "apparel", &[("S/M", "5.00", 30)]),
        product(3, "Tracker Band", "gear", &[("Default Title", "20.00", 4)]),
        draft,
    ]);
    let report = sync(t.app, at("2026-11-25T11:00:00Z")).await.unwrap();
    assert_eq!(
        (
            report["created"].clone(),
            report["updated"].clone(),
            report["deactivated"].clone()
        ),
        (json!(1), json!(3), json!(1))
    );
    assert_eq!(
        without_category(catalog(&t).await),
        vec![
            // Hidden by the admin: stays hidden.
            row(
                "gid://shopify/ProductVariant/100",
                "Water Bottle",
                25_000,
                "2.50",
                40,
                false
            ),
            // 30 in Shopify, 2 held by the open order.
            row(
                "gid://shopify/ProductVariant/200",
                "Running Socks – S/M",
                50_000,
                "5.00",
                28,
                true
            ),
            // Vanished from Shopify: deactivated, kept for the orders that point at it.
            row(
                "gid://shopify/ProductVariant/201",
                "Running Socks – L/XL",
                41_000,
                "4.10",
                0,
                false
            ),
            // Pinned: the coin price stays, the retail price follows Shopify.
            row(
                "gid://shopify/ProductVariant/300",
                "Tracker Band",
                99_000,
                "20.00",
                4,
                true
            ),
            row(
                "gid://shopify/ProductVariant/400",
                "Foam Roller",
                99_900,
                "9.99",
                12,
                false
            ),
        ]
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_the_sync_completes() {
    let (t, fake) = world().await;
    fake.set_catalog(starter_catalog());
    fake.script(
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "Exceeded 2 calls per second",
        )
            .into_response(),
    );
    fake.script(
        axum::Json(json!({
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": {"requestedQueryCost": 52, "throttleStatus":
                {"maximumAvailable": 2000.0, "currentlyAvailable": 2.0, "restoreRate": 100.0}}},
        }))
        .into_response(),
    );
    fake.script((StatusCode::BAD_GATEWAY, "upstream hiccup").into_response());
    let started = std::time::Instant::now();
    let report = sync(t.app, at("2026-11-25T10:00:00Z")).await.unwrap();
    assert_eq!(report["created"], 4);
    // Three refusals, then the two pages.
    assert_eq!(fake.request_count(), 5);
    // Retry-After said one second; the throttle wait is (52 - 2) / 100 s.
    assert!(started.elapsed() >= std::time::Duration::from_millis(1_500));
}

#[tokio::test]
async fn a_malformed_page_or_an_empty_catalog_changes_nothing() {
    let (t, fake) = world().await;
    fake.set_catalog(starter_catalog());
    sync(t.app, at("2026-11-25T10:00:00Z")).await.unwrap();
    let before = catalog(&t).await;

    // Page one is fine and would change prices; page two lacks a variant's price.
    fake.set_catalog(vec![
        product(1, "Water Bottle", "gear", &[("Default Title", "3.50", 10)]),
        product(2, "Running Socks", "apparel", &[("S/M", "4.00", 25)]),
        json!({"id": "gid://shopify/Product/3", "title": "Tracker Band", "status": "ACTIVE",
               "variants": {"nodes": [{"id": "gid://shopify/ProductVariant/300", "title": "Default Title"}]}}),
    ]);
    let err = sync(t.app, at("2026-11-25T11:00:00Z")).await.unwrap_err();
    assert_eq!(err.code(), "internal");
    assert_eq!(catalog(&t).await, before);

    // A GraphQL error (e.g. a missing scope) fails the run the same way.
    fake.script(
        axum::Json(json!({"errors": [{"message": "Access denied for products field."}]}))
            .into_response(),
    );
    assert!(sync(t.app, at("2026-11-25T12:00:00Z")).await.is_err());
    assert_eq!(catalog(&t).await, before);

    // An empty answer while synced products are listed would hide the whole catalog.
    fake.set_catalog(Vec::new());
    assert!(sync(t.app, at("2026-11-25T13:00:00Z")).await.is_err());
    assert_eq!(catalog(&t).await, before);

    // A failed run is released: its retry does the work.
    fake.set_catalog(starter_catalog());
    let retried = sync(t.app, at("2026-11-25T11:00:00Z")).await.unwrap();
    assert_eq!(retried["updated"], 4);
}

#[tokio::test]
async fn a_scheduled_run_delivered_twice_syncs_once() {
    let (t, fake) = world().await;
    fake.set_catalog(starter_catalog());
    let first = sync(t.app, at("2026-11-25T10:00:00Z")).await.unwrap();
    let requests = fake.request_count();
    let duplicate = sync(t.app, at("2026-11-25T10:00:00Z")).await.unwrap();
    assert_eq!(duplicate["skipped"], true);
    assert_eq!(duplicate["previous"], first);
    assert_eq!(fake.request_count(), requests);
    // Concurrent deliveries of a new run: one does the work.
    let (a, b) = tokio::join!(
        sync(t.app, at("2026-11-25T11:00:00Z")),
        sync(t.app, at("2026-11-25T11:00:00Z"))
    );
    let skipped = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|o| o["skipped"] == true)
        .count();
    assert_eq!(skipped, 1);
    assert_eq!(fake.request_count(), requests * 2);
}
