//! A stand-in for the Shopify store, so the catalog sync, the order push and the webhooks
//! run locally the way they run in AWS. It answers the GraphQL Admin API calls FitKart
//! makes (the catalog query, `orders(query:)` and `orderCreate`), keeps the orders it
//! received, and sends signed webhooks back to FitKart when one is fulfilled or
//! cancelled, as a store's staff would in Shopify's admin. Tests use it too (with an
//! outage switch); Shopify itself is never reached.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

pub const LOCAL_TOKEN: &str = "local-shopify-token";
/// The app secret the stand-in signs webhooks with (`SHOPIFY_WEBHOOK_SECRET` locally).
pub const LOCAL_WEBHOOK_SECRET: &str = "local-shopify-webhook-secret";

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

/// An order as the stand-in keeps it: what `orderCreate` received, plus its id.
#[derive(Debug, Clone)]
pub struct StoreOrder {
    /// The numeric id (`gid://shopify/Order/<id>`).
    pub id: u64,
    /// Shopify's order name, e.g. `#1001`.
    pub name: String,
    /// What FitKart sent as `OrderCreateOrderInput`.
    pub input: Value,
    pub fulfilled: bool,
    pub cancelled: bool,
}

impl StoreOrder {
    pub fn gid(&self) -> String {
        format!("gid://shopify/Order/{}", self.id)
    }

    pub fn tags(&self) -> Vec<String> {
        self.input["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect()
    }

    fn node(&self) -> Value {
        json!({ "id": self.gid(), "name": self.name, "tags": self.tags() })
    }
}

#[derive(Default)]
struct Store {
    orders: Vec<StoreOrder>,
    /// While set, every request is answered 503 (an outage).
    down: bool,
    requests: usize,
}

/// The running stand-in: its GraphQL URL and the orders it holds.
#[derive(Clone)]
pub struct StandIn {
    pub graphql_url: String,
    store: Arc<Mutex<Store>>,
}

impl StandIn {
    /// Serves the stand-in on an ephemeral port.
    pub async fn start() -> crate::Result<StandIn> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| crate::Error::StandIn(format!("fake Shopify: {e}")))?;
        let port = listener.local_addr()?.port();
        let store = Arc::new(Mutex::new(Store::default()));
        let app = axum::Router::new()
            .route(
                "/admin/api/2025-01/graphql.json",
                axum::routing::post(graphql),
            )
            .with_state(store.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(StandIn {
            graphql_url: format!("http://127.0.0.1:{port}/admin/api/2025-01/graphql.json"),
            store,
        })
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn orders(&self) -> Vec<StoreOrder> {
        self.store().orders.clone()
    }

    /// The order tagged with a FitKart order code.
    pub fn order(&self, code: &str) -> Option<StoreOrder> {
        self.orders()
            .into_iter()
            .find(|o| o.tags().iter().any(|t| t == code))
    }

    /// Starts or ends an outage: every request is a 503 meanwhile.
    pub fn set_down(&self, down: bool) {
        self.store().down = down;
    }

    /// How many GraphQL requests reached the stand-in.
    pub fn requests(&self) -> usize {
        self.store().requests
    }

    /// Marks the order fulfilled and returns the `orders/fulfilled` webhook body Shopify
    /// would send, or `None` if no order carries the code.
    pub fn fulfil(&self, code: &str, carrier: &str, tracking: &str) -> Option<Value> {
        let mut store = self.store();
        let order = store
            .orders
            .iter_mut()
            .find(|o| o.tags().iter().any(|t| t == code))?;
        order.fulfilled = true;
        let mut payload = order_payload(order);
        payload["fulfillment_status"] = json!("fulfilled");
        payload["fulfillments"] = json!([{
            "id": order.id * 10,
            "order_id": order.id,
            "status": "success",
            "tracking_company": carrier,
            "tracking_number": tracking,
            "tracking_numbers": [tracking],
            "shipment_status": null,
        }]);
        Some(payload)
    }

    /// Marks the order cancelled and returns the `orders/cancelled` webhook body.
    pub fn cancel(&self, code: &str) -> Option<Value> {
        let mut store = self.store();
        let order = store
            .orders
            .iter_mut()
            .find(|o| o.tags().iter().any(|t| t == code))?;
        order.cancelled = true;
        let mut payload = order_payload(order);
        payload["cancelled_at"] = json!(crate::clock::now().to_rfc3339());
        payload["cancel_reason"] = json!("other");
        Some(payload)
    }
}

/// The REST shape of an order, as webhooks carry it.
fn order_payload(order: &StoreOrder) -> Value {
    json!({
        "id": order.id,
        "admin_graphql_api_id": order.gid(),
        "name": order.name,
        "email": order.input["email"],
        "tags": order.tags().join(", "),
        "financial_status": "paid",
        "fulfillments": [],
    })
}

/// The `X-Shopify-Hmac-Sha256` of `body` under `secret`: base64 of its HMAC-SHA256.
pub fn sign(secret: &str, body: &[u8]) -> String {
    use base64::Engine;
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Sends a webhook to `url` as Shopify does: the signature, topic and a fresh webhook id
/// in headers. Returns the HTTP status and body FitKart answered with.
pub async fn send_webhook(url: &str, topic: &str, payload: &Value) -> crate::Result<(u16, String)> {
    let body = serde_json::to_vec(payload).map_err(|e| crate::Error::StandIn(e.to_string()))?;
    let response = crate::http_client()
        .post(url)
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-hmac-sha256", sign(LOCAL_WEBHOOK_SECRET, &body))
        .header("x-shopify-webhook-id", uuid::Uuid::new_v4().to_string())
        .header("x-shopify-shop-domain", "fitkart-local.myshopify.com")
        .body(body)
        .send()
        .await
        .map_err(|e| crate::Error::StandIn(format!("webhook to {url}: {e}")))?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.unwrap_or_default()))
}

fn cost() -> Value {
    json!({ "cost": { "requestedQueryCost": 12, "throttleStatus":
        { "maximumAvailable": 2000.0, "currentlyAvailable": 1988.0, "restoreRate": 100.0 } } })
}

async fn graphql(
    State(store): State<Arc<Mutex<Store>>>,
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
    let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
    store.requests += 1;
    if store.down {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"errors": "Service unavailable"})),
        );
    }
    let query = body["query"].as_str().unwrap_or_default();
    let variables = &body["variables"];
    let data = if query.contains("orderCreate(") {
        let id = 5_000_000_000 + store.orders.len() as u64 + 1;
        let order = StoreOrder {
            id,
            name: format!("#{}", 1001 + store.orders.len()),
            input: variables["order"].clone(),
            fulfilled: false,
            cancelled: false,
        };
        let node = order.node();
        println!(
            "[shopify] order {} received: {}",
            order.name,
            order.tags().join(", ")
        );
        store.orders.push(order);
        json!({ "orderCreate": { "order": node, "userErrors": [] } })
    } else if query.contains("orders(") {
        // FitKart searches `tag:'<code>'`; the stand-in matches the tag exactly.
        let wanted = variables["query"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("tag:")
            .trim_matches('\'')
            .to_owned();
        let nodes: Vec<Value> = store
            .orders
            .iter()
            .filter(|o| o.tags().contains(&wanted))
            .map(StoreOrder::node)
            .collect();
        json!({ "orders": { "nodes": nodes } })
    } else {
        return (StatusCode::OK, Json(page(variables["after"].as_str())));
    };
    let mut answer = json!({ "data": data });
    answer["extensions"] = cost();
    (StatusCode::OK, Json(answer))
}

/// `POST /_local/shopify/fulfil/<order_code>` and `/_local/shopify/cancel/<order_code>`:
/// what store staff do in Shopify's admin, sent to FitKart as signed webhooks; and
/// `GET /_local/shopify/orders`: the orders the stand-in received.
pub fn routes<S: Clone + Send + Sync + 'static>(
    standin: StandIn,
    base_url: String,
) -> axum::Router<S> {
    let webhook_url = format!("{base_url}/v1/webhooks/shopify");
    let fulfil_standin = standin.clone();
    let fulfil_url = webhook_url.clone();
    let cancel_standin = standin.clone();
    axum::Router::new()
        .route(
            "/_local/shopify/orders",
            axum::routing::get(move || {
                let standin = standin.clone();
                async move {
                    let orders: Vec<Value> = standin
                        .orders()
                        .iter()
                        .map(|o| {
                            json!({ "id": o.gid(), "name": o.name, "tags": o.tags(),
                                    "email": o.input["email"], "line_items": o.input["lineItems"],
                                    "shipping_address": o.input["shippingAddress"],
                                    "fulfilled": o.fulfilled, "cancelled": o.cancelled })
                        })
                        .collect();
                    Json(json!({ "orders": orders }))
                }
            }),
        )
        .route(
            "/_local/shopify/fulfil/{code}",
            axum::routing::post(move |Path(code): Path<String>| {
                let standin = fulfil_standin.clone();
                let url = fulfil_url.clone();
                async move {
                    let tracking = format!("1ZLOCAL{:08}", rand_suffix());
                    let payload = standin.fulfil(&code, "UPS", &tracking);
                    deliver(&url, "orders/fulfilled", payload, &code).await
                }
            }),
        )
        .route(
            "/_local/shopify/cancel/{code}",
            axum::routing::post(move |Path(code): Path<String>| {
                let standin = cancel_standin.clone();
                let url = webhook_url.clone();
                async move {
                    let payload = standin.cancel(&code);
                    deliver(&url, "orders/cancelled", payload, &code).await
                }
            }),
        )
}

fn rand_suffix() -> u32 {
    uuid::Uuid::new_v4().as_u128() as u32 % 100_000_000
}

async fn deliver(
    url: &str,
    topic: &str,
    payload: Option<Value>,
    code: &str,
) -> (StatusCode, Json<Value>) {
    let Some(payload) = payload else {
        return (
            StatusCode::NOT_FOUND,
            Json(
                json!({ "error": format!("the stand-in has no order tagged {code}; confirm it in the console first") }),
            ),
        );
    };
    println!("[shopify] {topic} for {code}");
    match send_webhook(url, topic, &payload).await {
        Ok((status, answer)) => (
            StatusCode::OK,
            Json(
                json!({ "sent": topic, "payload": payload, "fitkart_status": status, "fitkart_answer": answer }),
            ),
        ),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({ "error": e.to_string() })),
        ),
    }
}
