//! FitKart's store: the hourly catalog sync (which also re-sends orders Shopify does not
//! have yet), the `shopify-process` consumer that pushes orders and applies webhooks, and
//! the public webhook route.

use fitkart::http::{header, ok, Request, Response};
use fitkart::jobs::{self, ScheduledEvent};
use fitkart::queue::Message;
use fitkart::shopify::{self, fulfilment, webhooks};
use fitkart::{App, Error, Result};
use serde_json::{json, Value};

/// shopify-sync (hourly): the catalog from Shopify, then the sweep of confirmed orders
/// still missing in Shopify; once per scheduled time.
pub async fn sync(app: &App, event: ScheduledEvent) -> Result<Value> {
    jobs::run_once(app, "shopify-sync", event, |_| async {
        let mut report =
            serde_json::to_value(shopify::sync(app).await?).map_err(Error::internal)?;
        report["orders_requeued"] = json!(fulfilment::requeue_unpushed(app).await?);
        Ok(report)
    })
    .await
}

/// shopify-process: pushes confirmed orders to Shopify and applies recorded webhooks.
pub async fn process(app: &App, messages: Vec<Message>) -> Vec<String> {
    shopify::process(app, messages).await
}

/// `POST /v1/webhooks/shopify` (no JWT: Shopify signs the body instead). The signature is
/// checked before anything else; the webhook is recorded once and queued, and Shopify
/// gets its answer at once.
pub async fn webhook(app: &App, req: Request) -> Result<Response> {
    let key = app.shopify_webhook_key().await?;
    let body: &[u8] = req.body().as_ref();
    if body.len() > webhooks::MAX_BODY_BYTES {
        return Err(Error::PayloadTooLarge);
    }
    webhooks::verify(key, header(&req, "x-shopify-hmac-sha256"), body)?;
    let received = webhooks::receive(
        app,
        header(&req, "x-shopify-webhook-id"),
        header(&req, "x-shopify-topic"),
        body,
    )
    .await?;
    ok(&json!({ "status": received }))
}
