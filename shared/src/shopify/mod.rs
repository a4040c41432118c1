//! FitKart and its Shopify store, through Shopify's GraphQL Admin API:
//!
//! - `catalog`: the hourly sync of products into `reward_products`;
//! - `fulfilment`: confirmed orders pushed to Shopify (the `shopify-process` queue), once;
//! - `webhooks`: Shopify's signed order and fulfilment webhooks, verified, recorded once
//!   and applied to our orders through the order state machine.
//!
//! One `Client` serves all of them: the access token from configuration, and every
//! request retried while Shopify asks us to slow down or fails transiently.

pub mod catalog;
pub mod fulfilment;
pub mod webhooks;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::ShopifyConfig;
use crate::queue::{self, Message};
use crate::{secrets, App, Error, Result};

pub use catalog::{sync, SyncReport};

/// A message on the `shopify-process` queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Job {
    /// Create the confirmed order in Shopify (once).
    Push { order_id: Uuid },
    /// Apply a recorded webhook to its order (once).
    Webhook { webhook_id: String },
}

/// The `shopify-process` consumer: each message on its own (a push waits on Shopify; one
/// order's trouble never holds back another's). Returns the ids of messages to retry.
pub async fn process(app: &App, messages: Vec<Message>) -> Vec<String> {
    let (jobs, mut failed) = queue::parse::<Job>(messages);
    for (message_id, job) in jobs {
        let result = match &job {
            Job::Push { order_id } => fulfilment::push(app, *order_id)
                .await
                .map(|pushed| format!("{pushed:?}")),
            Job::Webhook { webhook_id } => webhooks::apply(app, webhook_id).await,
        };
        match result {
            Ok(outcome) => tracing::info!(?job, %outcome, "shopify job done"),
            Err(e) => {
                e.log();
                tracing::warn!(%message_id, ?job, "shopify job will be retried");
                failed.push(message_id);
            }
        }
    }
    failed
}

/// The longest single wait for Shopify's rate limiter.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// The shortest wait for a throttled query's cost bucket to refill.
const MIN_WAIT: Duration = Duration::from_millis(500);

/// The Admin API with its token resolved.
pub struct Client<'a> {
    http: &'a reqwest::Client,
    config: &'a ShopifyConfig,
    token: String,
}

impl<'a> Client<'a> {
    pub async fn new(app: &'a App) -> Result<Client<'a>> {
        let config = app.config.shopify.as_ref().ok_or_else(|| {
            Error::internal(
                "Shopify is not configured: set SHOPIFY_SHOP_DOMAIN and SHOPIFY_ACCESS_TOKEN_ARN",
            )
        })?;
        let token = secrets::resolve(app.aws().await, &config.access_token).await?;
        Ok(Client {
            http: app.http(),
            config,
            token,
        })
    }

    /// One GraphQL request (query or mutation), made up to `attempts` times while Shopify
    /// says to slow down (HTTP 429 with `Retry-After`, a `THROTTLED` error with the cost
    /// bucket's restore rate) or fails transiently (5xx, connection errors), with a
    /// bounded wait each time. Returns the response's `data`.
    pub async fn graphql(&self, query: &str, variables: Value, attempts: u32) -> Result<Value> {
        let body = json!({ "query": query, "variables": variables });
        let mut attempt = 0;
        loop {
            attempt += 1;
            let backoff = Duration::from_millis(250 * 2_u64.pow((attempt - 1).min(7)));
            let response = self
                .http
                .post(&self.config.graphql_url)
                .header("X-Shopify-Access-Token", &self.token)
                .json(&body)
                .send()
                .await;
            let wait = match response {
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "Shopify request failed");
                    backoff
                }
                Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                    let retry_after = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .map(seconds);
                    tracing::warn!(attempt, ?retry_after, "Shopify rate limit (429)");
                    retry_after.unwrap_or(backoff)
                }
                Ok(r) if r.status().is_server_error() => {
                    tracing::warn!(attempt, status = %r.status(), "Shopify server error");
                    backoff
                }
                Ok(r) if !r.status().is_success() => {
                    return Err(Error::internal(format!(
                        "Shopify refused the request with HTTP {}",
                        r.status()
                    )));
                }
                Ok(r) => {
                    let value: Value = r.json().await.map_err(|e| {
                        Error::internal(format!("Shopify sent a body that is not JSON: {e}"))
                    })?;
                    match graphql_outcome(&value) {
                        Outcome::Data => return Ok(value["data"].clone()),
                        Outcome::Throttled(wait) => {
                            tracing::warn!(attempt, ?wait, "Shopify query cost throttled");
                            wait
                        }
                        Outcome::Failed(message) => {
                            return Err(Error::internal(format!(
                                "Shopify GraphQL error: {message}"
                            )))
                        }
                    }
                }
            };
            if attempt >= attempts {
                return Err(Error::Unavailable(format!(
                    "Shopify still refused after {attempt} attempts"
                )));
            }
            tokio::time::sleep(wait.min(MAX_WAIT)).await;
        }
    }
}

/// A wait Shopify asked for, in seconds, as a duration of at most `MAX_WAIT`: a huge or
/// infinite wait is the longest we wait, a negative or not-a-number one (a broken
/// header) is none. `Duration::from_secs_f64` would panic on all of them.
fn seconds(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(secs.min(MAX_WAIT.as_secs_f64())).unwrap_or(MAX_WAIT)
}

enum Outcome {
    Data,
    Throttled(Duration),
    Failed(String),
}

fn graphql_outcome(value: &Value) -> Outcome {
    let Some(errors) = value["errors"].as_array().filter(|e| !e.is_empty()) else {
        return Outcome::Data;
    };
    if errors
        .iter()
        .any(|e| e["extensions"]["code"] == "THROTTLED")
    {
        // Wait until the bucket holds the query's cost again.
        let cost = &value["extensions"]["cost"];
        let requested = cost["requestedQueryCost"].as_f64().unwrap_or(100.0);
        let available = cost["throttleStatus"]["currentlyAvailable"]
            .as_f64()
            .unwrap_or(0.0);
        let restore = cost["throttleStatus"]["restoreRate"]
            .as_f64()
            .unwrap_or(50.0)
            .max(1.0);
        return Outcome::Throttled(seconds((requested - available) / restore).max(MIN_WAIT));
    }
    Outcome::Failed(
        errors
            .iter()
            .filter_map(|e| e["message"].as_str())
            .collect::<Vec<_>>()
            .join("; "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_wait_shopify_names_is_a_bounded_duration() {
        assert_eq!(seconds(2.5), Duration::from_millis(2_500));
        assert_eq!(seconds(-3.0), Duration::ZERO);
        assert_eq!(seconds(f64::NAN), Duration::ZERO);
        assert_eq!(seconds(f64::INFINITY), MAX_WAIT);
        assert_eq!(seconds(1e300), MAX_WAIT);
    }
}
