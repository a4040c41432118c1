//! Identity providers' signing keys (JWKS), cached per execution environment: fetched
//! once and kept for the provider's `Cache-Control: max-age`; an unknown `kid` (a
//! rotation) triggers one refetch, at most every few seconds, never a fetch per request.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::{Error, Result};

struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    fetched_at: Instant,
    max_age: Duration,
}

/// A provider's signing keys, cached per execution environment.
pub struct KeyCache {
    url: String,
    refetch_interval: Duration,
    keys: Mutex<Option<Keys>>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
}

impl KeyCache {
    pub fn new(url: String, refetch_interval: Duration) -> Self {
        Self {
            url,
            refetch_interval,
            keys: Mutex::new(None),
        }
    }

    pub async fn key(&self, http: &reqwest::Client, kid: &str) -> Result<DecodingKey> {
        let mut keys = self.keys.lock().await;
        let fresh = keys
            .as_ref()
            .is_some_and(|k| k.fetched_at.elapsed() < k.max_age);
        if fresh {
            if let Some(key) = keys.as_ref().and_then(|k| k.by_kid.get(kid)) {
                return Ok(key.clone());
            }
        }
        let may_refetch = !fresh
            || keys
                .as_ref()
                .is_none_or(|k| k.fetched_at.elapsed() >= self.refetch_interval);
        if may_refetch {
            *keys = Some(self.fetch(http).await?);
        }
        keys.as_ref()
            .and_then(|k| k.by_kid.get(kid))
            .cloned()
            .ok_or(Error::InvalidIdToken)
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<Keys> {
        let unavailable =
            |e: &dyn std::fmt::Display| Error::Unavailable(format!("identity provider keys: {e}"));
        let response = http
            .get(&self.url)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        if !response.status().is_success() {
            return Err(unavailable(&response.status()));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|d| d.trim().strip_prefix("max-age=")?.parse::<u64>().ok())
            })
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(3_600));
        let jwks: Jwks = response.json().await.map_err(|e| unavailable(&e))?;
        let by_kid = jwks
            .keys
            .into_iter()
            .filter(|k| k.kty == "RSA")
            .filter_map(|k| Some((k.kid?, DecodingKey::from_rsa_components(&k.n?, &k.e?).ok()?)))
            .collect();
        tracing::info!(url = %self.url, ?max_age, "identity provider keys fetched");
        Ok(Keys {
            by_kid,
            fetched_at: Instant::now(),
            max_age,
        })
    }
}
