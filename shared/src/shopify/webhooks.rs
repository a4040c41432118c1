//! Shopify tells us what happened to the orders we pushed: `orders/fulfilled`,
//! `fulfillments/create`, `fulfillments/update` and `orders/cancelled` webhooks.
//!
//! The public route verifies the signature (`X-Shopify-Hmac-Sha256`: HMAC-SHA256 of the
//! raw body with the app's secret, compared in constant time) before it parses anything,
//! records the webhook once per `X-Shopify-Webhook-Id` and queues it, and answers at once
//! (Shopify gives a webhook five seconds). The `shopify-process` consumer then applies it
//! through the order state machine, audited with Shopify as the actor:
//!
//! - fulfilled → `shipped` with carrier and tracking (coins settle as when an admin ships),
//!   walking through `processing` first if our order had not got there yet;
//! - a fulfilment Shopify reports delivered → `delivered`;
//! - cancelled in Shopify → `cancelled`, coins refunded, while the order has not shipped.
//!
//! What the state machine refuses (a cancel after shipping, a fulfilment of an order we
//! cancelled) changes nothing and is written to the audit log as `order.shopify_refused`
//! for a person to settle. A fulfilment webhook for an order whose push is still in flight
//! is retried until the push has recorded the Shopify id.

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Job;
use crate::audit::{self, ActorKind, EntityType, Entry};
use crate::orders::workflow::{self, Path};
use crate::orders::{Change, Status};
use crate::{queue, App, Error, Result};

/// Shopify's order webhooks are a few kilobytes; anything near this is not one of them.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

crate::text_enum! {
    /// The webhook topics FitKart subscribes to.
    pub enum Topic {
        OrdersFulfilled = "orders/fulfilled",
        OrdersCancelled = "orders/cancelled",
        FulfillmentsCreate = "fulfillments/create",
        FulfillmentsUpdate = "fulfillments/update",
    }
}

/// Checks `signature` (the `X-Shopify-Hmac-Sha256` header: base64 of HMAC-SHA256 over
/// the raw body) against `body`, in constant time. Nothing else is read before this.
pub fn verify(key: &str, signature: Option<&str>, body: &[u8]) -> Result<()> {
    use base64::Engine;
    let signature = signature
        .and_then(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .ok()
        })
        .ok_or(Error::InvalidSignature)?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).map_err(Error::internal)?;
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| Error::InvalidSignature)
}

/// What the route did with a verified webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Received {
    /// Recorded and queued for processing.
    Queued,
    /// Seen before (a redelivery or replay) and already processed: nothing happens.
    Duplicate,
    /// A topic FitKart does not act on.
    Ignored,
}

/// Records a verified webhook once and queues it. A redelivery of one not yet processed
/// is queued again (its first send may have failed); the consumer applies it once.
pub async fn receive(
    app: &App,
    webhook_id: Option<&str>,
    topic: Option<&str>,
    body: &[u8],
) -> Result<Received> {
    let webhook_id = webhook_id
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 128 && !id.chars().any(char::is_control))
        .ok_or_else(|| {
            Error::BadRequest("X-Shopify-Webhook-Id must name the webhook delivery.".into())
        })?;
    let topic = topic
        .ok_or_else(|| Error::BadRequest("X-Shopify-Topic must name the webhook topic.".into()))?;
    let Ok(topic) = Topic::parse(topic) else {
        tracing::info!(topic, "webhook topic not acted on");
        return Ok(Received::Ignored);
    };
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| Error::BadRequest(format!("The webhook body is not JSON: {e}")))?;
    if !payload.is_object() {
        return Err(Error::invalid(
            "body",
            "must be a JSON object (an order or a fulfilment)",
        ));
    }
    let first_seen = crate::db_query_scalar!(
        r#"INSERT INTO shopify_webhooks (webhook_id, topic, payload) VALUES ($1, $2, $3)
           ON CONFLICT (webhook_id) DO UPDATE SET webhook_id = EXCLUDED.webhook_id
           RETURNING processed_at IS NULL AS "pending!""#,
        webhook_id,
        topic.as_str(),
        payload
    )
    .fetch_one(app.db().await?)
    .await?;
    if !first_seen {
        return Ok(Received::Duplicate);
    }
    let url = queue::url(
        &app.config.shopify_orders_queue_url,
        "SHOPIFY_ORDERS_QUEUE_URL",
    )?;
    let job = Job::Webhook {
        webhook_id: webhook_id.to_owned(),
    };
    // A failed send is a 503: Shopify delivers again, and the redelivery queues it.
    queue::send(app.sqs().await, url, &[job]).await?;
    Ok(Received::Queued)
}

/// Where a webhook says the order is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Shipped,
    Delivered,
    Cancelled,
}

impl Target {
    fn status(self) -> Status {
        match self {
            Target::Shipped => Status::Shipped,
            Target::Delivered => Status::Delivered,
            Target::Cancelled => Status::Cancelled,
        }
    }
}

/// What a webhook says, read from its payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// `None`: nothing for our order (a fulfilment still pending, or cancelled).
    pub target: Option<Target>,
    /// The Shopify order, as a GraphQL id.
    pub shopify_order_id: Option<String>,
    /// Our order code, from the order's tags (order topics only).
    pub order_code: Option<String>,
    /// Whether the order is tagged `fitkart`; `None` when the payload has no tags
    /// (fulfilment topics).
    pub fitkart: Option<bool>,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
}

fn order_gid(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => n.as_u64().map(|n| format!("gid://shopify/Order/{n}")),
        Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => {
            Some(format!("gid://shopify/Order/{s}"))
        }
        _ => None,
    }
}

/// A short text field of a payload, or nothing.
fn text(value: &Value, max: usize) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control))
        .map(str::to_owned)
}

/// Reads a webhook's payload (REST shapes: an order for `orders/*`, a fulfilment for
/// `fulfillments/*`).
pub fn interpret(topic: Topic, payload: &Value) -> Result<Event, String> {
    match topic {
        Topic::OrdersFulfilled | Topic::OrdersCancelled => {
            let shopify_order_id = payload["admin_graphql_api_id"]
                .as_str()
                .filter(|id| id.starts_with("gid://shopify/Order/"))
                .map(str::to_owned)
                .or_else(|| order_gid(&payload["id"]))
                .ok_or("the order has no id")?;
            let tags: Vec<&str> = payload["tags"]
                .as_str()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .collect();
            let mut event = Event {
                shopify_order_id: Some(shopify_order_id),
                fitkart: Some(tags.contains(&"fitkart")),
                order_code: tags
                    .iter()
                    .find(|t| t.starts_with("FK-") && t.len() <= 32)
                    .map(|t| (*t).to_owned()),
                ..Event::default()
            };
            // The order's state is read from the signed body, never from the topic header
            // (the HMAC does not cover headers: a fulfilled order's body relabelled
            // `orders/cancelled` must not cancel anything). A cancelled order says so in
            // `cancelled_at`.
            if !payload["cancelled_at"].is_null() {
                event.target = Some(Target::Cancelled);
                return Ok(event);
            }
            let fulfillments: Vec<&Value> = payload["fulfillments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["status"] == "success")
                .collect();
            event.target = if fulfillments.is_empty() {
                // Neither cancelled nor fulfilled: nothing to do for our order.
                None
            } else if fulfillments
                .iter()
                .all(|f| f["shipment_status"] == "delivered")
            {
                Some(Target::Delivered)
            } else {
                Some(Target::Shipped)
            };
            if let Some(latest) = fulfillments
                .iter()
                .rev()
                .find(|f| text(&f["tracking_number"], 128).is_some())
            {
                event.tracking_number = text(&latest["tracking_number"], 128);
                event.carrier = text(&latest["tracking_company"], 64);
            }
            Ok(event)
        }
        Topic::FulfillmentsCreate | Topic::FulfillmentsUpdate => {
            let shopify_order_id =
                order_gid(&payload["order_id"]).ok_or("the fulfilment has no order_id")?;
            let target = match payload["status"].as_str() {
                Some("success") if payload["shipment_status"] == "delivered" => {
                    Some(Target::Delivered)
                }
                Some("success") => Some(Target::Shipped),
                _ => None,
            };
            Ok(Event {
                target,
                shopify_order_id: Some(shopify_order_id),
                tracking_number: text(&payload["tracking_number"], 128),
                carrier: text(&payload["tracking_company"], 64),
                ..Event::default()
            })
        }
    }
}

/// Applies a recorded webhook to its order, once. An error leaves the message to be
/// retried (the database, or an order whose push has not recorded its Shopify id yet).
pub async fn apply(app: &App, webhook_id: &str) -> Result<String> {
    let mut tx = app.db().await?.begin().await?;
    let Some(row) = crate::db_query!(
        "SELECT topic, payload, processed_at, outcome FROM shopify_webhooks WHERE webhook_id = $1 FOR UPDATE",
        webhook_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok("unknown webhook".into());
    };
    if row.processed_at.is_some() {
        return Ok(row.outcome.unwrap_or_default());
    }
    let topic = Topic::parse(&row.topic).map_err(Error::internal)?;
    let (order_id, outcome) = match interpret(topic, &row.payload) {
        Err(reason) => {
            tracing::error!(webhook_id, %reason, "webhook payload not understood");
            (None, format!("not understood: {reason}"))
        }
        Ok(event) => match find_order(&mut tx, &event).await? {
            Some(order) => (
                Some(order.id),
                move_order(&mut tx, &order, &event, webhook_id, topic).await?,
            ),
            None => (None, unmatched(&mut tx, &event).await?),
        },
    };
    crate::db_query!(
        "UPDATE shopify_webhooks SET processed_at = now(), order_id = $2, outcome = $3 WHERE webhook_id = $1",
        webhook_id,
        order_id,
        outcome
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

struct Found {
    id: Uuid,
    status: Status,
    shopify_order_id: Option<String>,
    tracking_number: Option<String>,
}

/// Our order for the event, locked: by the code in its tags, else by the Shopify id.
async fn find_order(conn: &mut PgConnection, event: &Event) -> Result<Option<Found>> {
    let row = crate::db_query!(
        "SELECT id, status, shopify_order_id, tracking_number FROM orders
         WHERE CASE WHEN $1::text IS NOT NULL THEN order_code = $1 ELSE shopify_order_id = $2 END
         FOR UPDATE",
        event.order_code,
        event.shopify_order_id
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(Found {
            id: r.id,
            status: Status::parse(&r.status).map_err(Error::internal)?,
            shopify_order_id: r.shopify_order_id,
            tracking_number: r.tracking_number,
        })
    })
    .transpose()
}

/// A webhook for no order of ours: the store's own orders are none of our business; a
/// fulfilment that may belong to a push still in flight is retried.
async fn unmatched(conn: &mut PgConnection, event: &Event) -> Result<String> {
    match (event.fitkart, &event.order_code) {
        (Some(false), _) => Ok("not a FitKart order".into()),
        (Some(true), Some(code)) => {
            tracing::error!(%code, "Shopify names a FitKart order code we do not have");
            Ok(format!("no FitKart order {code}"))
        }
        (Some(true), None) => Ok("tagged fitkart without an order code".into()),
        (None, _) => {
            let in_flight = crate::db_query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM orders WHERE shopify_push_requested_at IS NOT NULL
                                  AND shopify_order_id IS NULL AND status = 'processing') AS "any!""#
            )
            .fetch_one(conn)
            .await?;
            if in_flight {
                Err(Error::Unavailable(
                    "a fulfilment for an order not known yet while a push is in flight".into(),
                ))
            } else {
                Ok("not a FitKart order".into())
            }
        }
    }
}

async fn move_order(
    conn: &mut PgConnection,
    order: &Found,
    event: &Event,
    webhook_id: &str,
    topic: Topic,
) -> Result<String> {
    // An orders/* webhook before our push recorded the id teaches it to us.
    if order.shopify_order_id.is_none() {
        if let Some(id) = &event.shopify_order_id {
            workflow::record_shopify_id(conn, order.id, id).await?;
        }
    }
    let Some(target) = event.target else {
        return Ok(format!(
            "nothing to do: {topic} without a shipped fulfilment"
        ));
    };
    let webhook = json!({ "webhook_id": webhook_id, "topic": topic.as_str() });
    match workflow::path(order.status, target.status()) {
        Path::Steps(steps) => {
            for step in &steps {
                let change = Change {
                    to: Some(*step),
                    tracking_number: event.tracking_number.clone(),
                    carrier: event.carrier.clone(),
                    ..Change::default()
                };
                workflow::by_integration(
                    conn,
                    ActorKind::Shopify,
                    order.id,
                    &change,
                    Some(webhook.clone()),
                )
                .await?;
            }
            let path: Vec<&str> = steps.iter().map(|s| s.as_str()).collect();
            Ok(format!("{} -> {}", order.status, path.join(" -> ")))
        }
        Path::Already => {
            let new_tracking = event.tracking_number.is_some()
                && event.tracking_number != order.tracking_number
                && matches!(order.status, Status::Shipped | Status::Delivered);
            if new_tracking {
                let change = Change {
                    to: Some(order.status),
                    tracking_number: event.tracking_number.clone(),
                    carrier: event.carrier.clone(),
                    ..Change::default()
                };
                workflow::by_integration(
                    conn,
                    ActorKind::Shopify,
                    order.id,
                    &change,
                    Some(webhook),
                )
                .await?;
                Ok(format!("{}: tracking updated", order.status))
            } else {
                Ok(format!("already {}", order.status))
            }
        }
        Path::Refused(reason) => {
            let reason = format!("Shopify: {reason}");
            tracing::error!(order_id = %order.id, %reason, "Shopify webhook refused by the order workflow");
            audit::record(
                conn,
                ActorKind::Shopify,
                Entry {
                    action: "order.shopify_refused",
                    entity_type: EntityType::Order,
                    entity_id: Some(order.id),
                    before: &json!({ "status": order.status }),
                    after: &json!({ "reason": reason, "webhook": webhook }),
                },
            )
            .await?;
            Ok(format!("refused: {reason}"))
        }
    }
}

/// Housekeeping: deletes up to `limit` webhooks processed over 90 days ago (Shopify
/// redelivers for 48 hours; the rest is kept to answer questions about an order;
/// unprocessed ones always stay).
pub async fn delete_old(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<u64> {
    Ok(crate::db_query!(
        "DELETE FROM shopify_webhooks WHERE webhook_id IN (
             SELECT webhook_id FROM shopify_webhooks WHERE processed_at < $2::timestamptz - interval '90 days' LIMIT $1)",
        limit,
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(key: &str, body: &[u8]) -> String {
        use base64::Engine;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(body);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    #[test]
    fn only_the_body_signed_with_the_key_passes() {
        let body = br#"{"id":1}"#;
        let good = signed("secret", body);
        assert!(verify("secret", Some(&good), body).is_ok());
        assert!(matches!(
            verify("other", Some(&good), body),
            Err(Error::InvalidSignature)
        ));
        assert!(matches!(
            verify("secret", Some(&good), br#"{"id":2}"#),
            Err(Error::InvalidSignature)
        ));
        assert!(matches!(
            verify("secret", None, body),
            Err(Error::InvalidSignature)
        ));
        assert!(matches!(
            verify("secret", Some("not base64!"), body),
            Err(Error::InvalidSignature)
        ));
    }

    #[test]
    fn an_order_webhook_names_our_code_tracking_and_delivery() {
        let payload = json!({
            "id": 820982911946154508_u64,
            "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
            "tags": "fitkart, FK-2026-00042",
            "fulfillments": [
                {"status": "success", "tracking_number": "1Z999", "tracking_company": "UPS",
                 "shipment_status": "in_transit"}
            ],
        });
        let event = interpret(Topic::OrdersFulfilled, &payload).unwrap();
        assert_eq!(event.target, Some(Target::Shipped));
        assert_eq!(event.order_code.as_deref(), Some("FK-2026-00042"));
        assert_eq!(event.fitkart, Some(true));
        assert_eq!(event.tracking_number.as_deref(), Some("1Z999"));
        assert_eq!(event.carrier.as_deref(), Some("UPS"));
        assert_eq!(
            event.shopify_order_id.as_deref(),
            Some("gid://shopify/Order/820982911946154508")
        );

        let mut delivered = payload.clone();
        delivered["fulfillments"][0]["shipment_status"] = json!("delivered");
        assert_eq!(
            interpret(Topic::OrdersFulfilled, &delivered)
                .unwrap()
                .target,
            Some(Target::Delivered)
        );
        let mut theirs = payload.clone();
        theirs["tags"] = json!("wholesale");
        theirs["cancelled_at"] = json!("2026-11-30T10:00:00-05:00");
        let theirs = interpret(Topic::OrdersCancelled, &theirs).unwrap();
        assert_eq!(theirs.fitkart, Some(false));
        assert_eq!(theirs.target, Some(Target::Cancelled));
    }

    #[test]
    fn the_state_comes_from_the_signed_body_not_the_topic_header() {
        // A fulfilled order's body with the topic header changed to orders/cancelled: the
        // header is not signed, the body is, and the body says fulfilled.
        let fulfilled = json!({
            "id": 1, "tags": "fitkart, FK-2026-00042", "cancelled_at": null,
            "fulfillments": [{"status": "success", "tracking_number": "1Z9", "shipment_status": null}],
        });
        assert_eq!(
            interpret(Topic::OrdersCancelled, &fulfilled)
                .unwrap()
                .target,
            Some(Target::Shipped)
        );
        // An order neither cancelled nor fulfilled, whatever the header claims.
        let open = json!({"id": 1, "tags": "fitkart, FK-2026-00042", "cancelled_at": null, "fulfillments": []});
        assert_eq!(
            interpret(Topic::OrdersCancelled, &open).unwrap().target,
            None
        );
        assert_eq!(
            interpret(Topic::OrdersFulfilled, &open).unwrap().target,
            None
        );
        // A cancelled order is cancelled under either order topic.
        let cancelled = json!({"id": 1, "tags": "fitkart, FK-2026-00042",
                               "cancelled_at": "2026-11-30T10:00:00-05:00", "fulfillments": []});
        assert_eq!(
            interpret(Topic::OrdersFulfilled, &cancelled)
                .unwrap()
                .target,
            Some(Target::Cancelled)
        );
    }

    #[test]
    fn a_fulfilment_webhook_names_the_shopify_order() {
        let payload = json!({"order_id": 450789469, "status": "success",
                             "tracking_number": "LX123", "tracking_company": "DHL",
                             "shipment_status": "delivered"});
        let event = interpret(Topic::FulfillmentsUpdate, &payload).unwrap();
        assert_eq!(event.target, Some(Target::Delivered));
        assert_eq!(
            event.shopify_order_id.as_deref(),
            Some("gid://shopify/Order/450789469")
        );
        assert_eq!(event.fitkart, None);
        let pending = json!({"order_id": 450789469, "status": "pending"});
        assert_eq!(
            interpret(Topic::FulfillmentsCreate, &pending)
                .unwrap()
                .target,
            None
        );
        assert!(interpret(Topic::FulfillmentsCreate, &json!({"status": "success"})).is_err());
    }
}
