//! Confirmed orders go to Shopify, once.
//!
//! Confirming an order (an admin, or `auto_confirm_orders`) stamps
//! `shopify_push_requested_at` in the same transaction, and the caller then puts a
//! `Job::Push` on the `shopify-process` queue. The consumer:
//!
//! 1. claims the order: a `confirmed` order becomes `processing` (audited, actor
//!    `shopify`: from now on its owner can no longer cancel it), and a short lease marks
//!    the push in flight, so a second delivery of the message arriving meanwhile waits
//!    its turn instead of creating a second Shopify order;
//! 2. looks in Shopify for an order tagged with our order code (a push that created the
//!    order but died before recording it), and creates one only if there is none: the
//!    variants and quantities, the shipping address, the customer's email, every line
//!    priced at zero and marked paid (the customer paid in coins), tagged `fitkart` and
//!    the order code;
//! 3. records the Shopify order id on our order (audited).
//!
//! A send that failed after the commit, or a message that ended in the DLQ while
//! Shopify was down, is sent again by the hourly sweep (`requeue_unpushed`).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{Client, Job};
use crate::audit::{self, ActorKind, EntityType, Entry};
use crate::orders::{self, workflow, Change, Status};
use crate::{queue, App, Error, Result};

/// Attempts per Shopify request inside one delivery; after that the message is retried by
/// SQS (visibility timeout), so a Shopify outage costs retries, never an order.
const ATTEMPTS: u32 = 3;

/// How long a claimed push may take before another delivery may take it over. Longer
/// than the consumer's timeout, so a push in flight is never doubled.
const LEASE_SECONDS: f64 = 120.0;

/// Orders confirmed this long ago and still not in Shopify are sent again by the sweep;
/// after `SWEEP_DAYS` they are left to a person (the DLQ alarm has long fired).
const SWEEP_GRACE_MINUTES: f64 = 10.0;
const SWEEP_DAYS: f64 = 7.0;

/// Hands a confirmed order to the `shopify-process` queue. Called after the confirming
/// transaction committed; a failed send is logged and left to the hourly sweep (the
/// confirmation itself stands).
pub async fn request_push(app: &App, order_id: Uuid) {
    let Some(url) = app.config.shopify_orders_queue_url.as_deref() else {
        tracing::warn!(%order_id, "SHOPIFY_ORDERS_QUEUE_URL is not set; the order is not pushed to Shopify");
        return;
    };
    if let Err(e) = queue::send(app.sqs().await, url, &[Job::Push { order_id }]).await {
        tracing::warn!(%order_id, error = %e, "order not queued for Shopify; the hourly sweep sends it");
    }
}

/// What one push did.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Shopify now has the order (created, or found tagged with our code).
    Created(String),
    Found(String),
    /// Nothing to do: already pushed, or the order is no longer waiting (cancelled, ...).
    AlreadyPushed,
    NotWaiting,
}

/// Pushes one order. An error leaves the message to be retried: Shopify unavailable, or
/// another delivery holding the push.
pub async fn push(app: &App, order_id: Uuid) -> Result<Pushed> {
    let order = match claim(app, order_id).await? {
        Claim::Push(order) => order,
        Claim::AlreadyPushed => return Ok(Pushed::AlreadyPushed),
        Claim::NotWaiting => return Ok(Pushed::NotWaiting),
    };
    let client = Client::new(app).await?;
    let outcome = match find(&client, &order.code).await {
        Ok(Some(id)) => Ok(Pushed::Found(id)),
        Ok(None) => create(&client, &order).await.map(Pushed::Created),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(pushed) => {
            if let Pushed::Created(id) | Pushed::Found(id) = &pushed {
                record(app, order_id, id, matches!(pushed, Pushed::Found(_))).await?;
            }
            Ok(pushed)
        }
        Err(e) => {
            // Let the next delivery try at once instead of after the lease.
            let released = match app.db().await {
                Ok(pool) => match pool.begin().await {
                    Ok(mut tx) => match workflow::release_push(&mut tx, order_id).await {
                        Ok(()) => tx.commit().await.map_err(Into::into),
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e.into()),
                },
                Err(e) => Err(e),
            };
            if let Err(release) = released {
                tracing::warn!(%order_id, error = %release, "push lease not released");
            }
            Err(e)
        }
    }
}

enum Claim {
    Push(Box<Pending>),
    AlreadyPushed,
    NotWaiting,
}

/// An order as Shopify is told about it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub code: String,
    pub email: String,
    pub address: orders::Address,
    /// (Shopify variant id, quantity, product name) per line.
    pub lines: Vec<(String, i32, String)>,
}

async fn claim(app: &App, order_id: Uuid) -> Result<Claim> {
    let mut tx = app.db().await?.begin().await?;
    let Some(row) = crate::db_query!(
        r#"SELECT o.status, o.order_code, o.shipping_address, o.shopify_order_id, u.email,
                  o.shopify_push_requested_at IS NOT NULL AS "requested!",
                  COALESCE(o.shopify_push_lease_until > now(), false) AS "leased!"
           FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1 FOR UPDATE OF o"#,
        order_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Claim::NotWaiting);
    };
    if row.shopify_order_id.is_some() {
        return Ok(Claim::AlreadyPushed);
    }
    let status = Status::parse(&row.status).map_err(Error::internal)?;
    match status {
        Status::Confirmed if row.requested => {
            let change = Change {
                to: Some(Status::Processing),
                ..Change::default()
            };
            let why = json!({"reason": "sending to Shopify"});
            workflow::by_integration(&mut tx, ActorKind::Shopify, order_id, &change, Some(why))
                .await?;
        }
        Status::Processing if row.requested => {}
        _ => return Ok(Claim::NotWaiting),
    }
    if row.leased {
        return Err(Error::Unavailable(format!(
            "order {} is being pushed to Shopify by another delivery",
            row.order_code
        )));
    }
    workflow::lease_push(&mut tx, order_id, LEASE_SECONDS).await?;
    let lines = crate::db_query!(
        "SELECT p.shopify_variant_id, oi.quantity, oi.product_name
         FROM order_items oi JOIN reward_products p ON p.id = oi.product_id
         WHERE oi.order_id = $1 ORDER BY oi.line_no",
        order_id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let lines = lines
        .into_iter()
        .map(|l| match l.shopify_variant_id {
            Some(variant) => Ok((variant, l.quantity, l.product_name)),
            None => Err(Error::internal(format!(
                "order {}: {} is not a Shopify product; fulfil it by hand",
                row.order_code, l.product_name
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    let address = serde_json::from_value(row.shipping_address).map_err(Error::internal)?;
    Ok(Claim::Push(Box::new(Pending {
        code: row.order_code,
        email: row.email,
        address,
        lines,
    })))
}

const FIND_QUERY: &str = r#"query OrderByTag($query: String!) {
  orders(first: 1, query: $query) { nodes { id name tags } }
}"#;

/// The Shopify order tagged with our code, if an earlier delivery created it.
async fn find(client: &Client<'_>, code: &str) -> Result<Option<String>> {
    let data = client
        .graphql(
            FIND_QUERY,
            json!({ "query": format!("tag:'{code}'") }),
            ATTEMPTS,
        )
        .await?;
    Ok(data["orders"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        // Shopify's search matches loosely; only an exact tag is ours.
        .find(|node| {
            node["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t == code))
        })
        .and_then(|node| node["id"].as_str())
        .map(str::to_owned))
}

const CREATE_MUTATION: &str = r#"mutation PushOrder($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name }
    userErrors { field message }
  }
}"#;

async fn create(client: &Client<'_>, order: &Pending) -> Result<String> {
    let variables = json!({
        "order": order_input(order),
        // Stock was reserved when the order was placed; Shopify's inventory follows now.
        "options": { "inventoryBehaviour": "DECREMENT_OBEYING_POLICY", "sendReceipt": false },
    });
    let data = client.graphql(CREATE_MUTATION, variables, ATTEMPTS).await?;
    let created = &data["orderCreate"];
    if let Some(errors) = created["userErrors"].as_array().filter(|e| !e.is_empty()) {
        let messages: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e["field"], e["message"]))
            .collect();
        return Err(Error::internal(format!(
            "Shopify refused order {}: {}",
            order.code,
            messages.join("; ")
        )));
    }
    created["order"]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::internal("Shopify created an order without an id"))
}

/// The `OrderCreateOrderInput` for an order paid in coins: zero-priced lines marked paid,
/// tagged so that a retry finds it and webhooks lead back to it.
pub fn order_input(order: &Pending) -> Value {
    let address = &order.address;
    let (first_name, last_name) = match address.name.trim().rsplit_once(' ') {
        Some((first, last)) => (first.trim(), last),
        None => ("", address.name.trim()),
    };
    let zero = json!({ "shopMoney": { "amount": "0.00", "currencyCode": "USD" } });
    json!({
        "email": order.email,
        "lineItems": order.lines.iter().map(|(variant, quantity, _)| json!({
            "variantId": variant,
            "quantity": quantity,
            "priceSet": zero,
        })).collect::<Vec<_>>(),
        "shippingAddress": {
            "firstName": first_name,
            "lastName": last_name,
            "address1": address.line1,
            "address2": address.line2,
            "city": address.city,
            "provinceCode": address.region,
            "zip": address.postal_code,
            "countryCode": address.country,
            "phone": address.phone,
        },
        "financialStatus": "PAID",
        "currency": "USD",
        "tags": ["fitkart", order.code],
        "note": format!("FitKart order {}, paid with coins.", order.code),
        "sourceName": "fitkart",
    })
}

/// Stores the Shopify order id and ends the lease, audited.
async fn record(app: &App, order_id: Uuid, shopify_id: &str, found: bool) -> Result<()> {
    let mut tx = app.db().await?.begin().await?;
    workflow::record_shopify_id(&mut tx, order_id, shopify_id).await?;
    audit::record(
        &mut tx,
        ActorKind::Shopify,
        Entry {
            action: "order.shopify_push",
            entity_type: EntityType::Order,
            entity_id: Some(order_id),
            before: &json!({ "shopify_order_id": null }),
            after: &json!({ "shopify_order_id": shopify_id, "found_existing": found }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The hourly sweep: confirmed orders Shopify does not have yet (their message was never
/// sent, or ended in the DLQ during an outage) are queued again. Returns how many.
pub async fn requeue_unpushed(app: &App) -> Result<usize> {
    let due: Vec<(Uuid, DateTime<Utc>)> = crate::db_query!(
        "SELECT id, shopify_push_requested_at AS \"requested_at!\" FROM orders
         WHERE shopify_push_requested_at IS NOT NULL AND shopify_order_id IS NULL
           AND shopify_push_requested_at < now() - make_interval(mins => $1)
           AND shopify_push_requested_at > now() - make_interval(days => $2)
           AND status IN ('confirmed', 'processing')
           AND (shopify_push_lease_until IS NULL OR shopify_push_lease_until < now())
         ORDER BY shopify_push_requested_at",
        SWEEP_GRACE_MINUTES as i32,
        SWEEP_DAYS as i32
    )
    .fetch_all(app.db().await?)
    .await?
    .into_iter()
    .map(|r| (r.id, r.requested_at))
    .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let url = queue::url(
        &app.config.shopify_orders_queue_url,
        "SHOPIFY_ORDERS_QUEUE_URL",
    )?;
    let jobs: Vec<Job> = due
        .iter()
        .map(|(order_id, _)| Job::Push {
            order_id: *order_id,
        })
        .collect();
    queue::send(app.sqs().await, url, &jobs).await?;
    tracing::info!(orders = jobs.len(), oldest = %due[0].1, "orders queued again for Shopify");
    Ok(jobs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(name: &str) -> Pending {
        Pending {
            code: "FK-2026-00042".into(),
            email: "walker@example.com".into(),
            address: orders::Address {
                name: name.into(),
                line1: "1 Main St".into(),
                line2: None,
                city: "Springfield".into(),
                region: Some("IL".into()),
                postal_code: "62701".into(),
                country: "US".into(),
                phone: None,
            },
            lines: vec![("gid://shopify/ProductVariant/101".into(), 2, "Cap".into())],
        }
    }

    #[test]
    fn an_order_goes_to_shopify_paid_at_zero_and_tagged_with_its_code() {
        let input = order_input(&pending("Ada Marie Lovelace"));
        assert_eq!(input["tags"], json!(["fitkart", "FK-2026-00042"]));
        assert_eq!(input["financialStatus"], "PAID");
        assert_eq!(input["email"], "walker@example.com");
        assert_eq!(
            input["lineItems"][0]["variantId"],
            "gid://shopify/ProductVariant/101"
        );
        assert_eq!(input["lineItems"][0]["quantity"], 2);
        assert_eq!(
            input["lineItems"][0]["priceSet"]["shopMoney"]["amount"],
            "0.00"
        );
        let address = &input["shippingAddress"];
        assert_eq!(address["firstName"], "Ada Marie");
        assert_eq!(address["lastName"], "Lovelace");
        assert_eq!(address["countryCode"], "US");
        assert_eq!(address["provinceCode"], "IL");
    }

    #[test]
    fn a_single_name_is_the_last_name() {
        let input = order_input(&pending("Madonna"));
        assert_eq!(input["shippingAddress"]["firstName"], "");
        assert_eq!(input["shippingAddress"]["lastName"], "Madonna");
    }
}
