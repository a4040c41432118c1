//! A stand-in for the Shopify Admin API, so the catalog sync runs locally the way it runs
//! in AWS: the `shopify-sync` binary pages through this demo catalog over GraphQL. Only
//! the one query the sync sends is answered; Shopify itself is never reached.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

pub const LOCAL_TOKEN: &str = "local-shopify-token";

/// (title, type, description, variants as (title, price, inventory))
type DemoProduct = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, i64)],
);

const CATALOG: &[DemoProduct] = &[
    (
        "FitKart Water Bottle",
        "gear",
        "Insulated steel, 750 ml.",
        &[("Default Title", "2.50", 40)],
    ),
    (
        "Running Socks (3 pairs)",
        "apparel",
        "Cushioned and breathable.",
        &[("S/M", "4.00", 25), ("L/XL", "4.00", 18)],
    ),
    (
        "Fitness Tracker Band",
        "gear",
        "Silicone strap in three colours.",
        &[("Default Title", "15.00", 5)],
    ),
    (
        "Trail Cap",
        "apparel",
        "Light, with a mesh back.",
        &[("Default Title", "6.50", 30)],
    ),
    (
        "Foam Roller",
        "recovery",
        "45 cm, medium density.",
        &[("Default Title", "9.99", 12)],
    ),
    (
        "Resistance Bands",
        "gear",
        "Set of five with a carry bag.",
        &[("Default Title", "7.25", 20)],
    ),
];

/// Two products per page, so local runs exercise the cursor paging too.
const PAGE: usize = 2;

fn page(after: Option<&str>) -> Value {
    let start: usize = after.and_then(|c| c.parse().ok()).unwrap_or(0);
    let end = (start + PAGE).min(CATALOG.len());
    let nodes: Vec<Value> = CATALOG[start..end]
        .iter()
        .enumerate()
        .map(|(i, (title, kind, description, variants))| {
            let product = start + i + 1;
            json!({
                "id": format!("gid://shopify/Product/{product}"),
                "title": title,
                "description": description,
                "productType": kind,
                "status": "ACTIVE",
                "featuredImage": null,
                "variants": { "nodes": variants.iter().enumerate().map(|(v, (name, price, stock))| json!({
                    "id": format!("gid://shopify/ProductVariant/{}", product * 100 + v),
                    "title": name,
                    "price": price,
                    "inventoryQuantity": stock,
                    "image": null,
                })).collect::<Vec<_>>() },
            })
        })
        .collect();
    json!({
        "data": { "products": {
            "pageInfo": { "hasNextPage": end < CATALOG.len(), "endCursor": end.to_string() },
            "nodes": nodes,
        }},
        "extensions": { "cost": { "requestedQueryCost": 12, "throttleStatus":
            { "maximumAvailable": 2000.0, "currentlyAvailable": 1988.0, "restoreRate": 100.0 } } },
    })
}

async fn graphql(
    State(()): State<()>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    if headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        != Some(LOCAL_TOKEN)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"errors": "[API] Invalid API key or access token"})),
        );
    }
    (
        StatusCode::OK,
        Json(page(body["variables"]["after"].as_str())),
    )
}

/// Serves the fake on an ephemeral port; returns the GraphQL URL to configure.
pub async fn serve() -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| format!("fake Shopify: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let app = axum::Router::new()
        .route(
            "/admin/api/2025-01/graphql.json",
            axum::routing::post(graphql),
        )
        .with_state(());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!(
        "http://127.0.0.1:{port}/admin/api/2025-01/graphql.json"
    ))
}
