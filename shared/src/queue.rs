//! SQS in both directions, transport-neutral for the domain: messages arrive as
//! `Message`s (id + JSON body) and consumers answer with the ids that failed, so one bad
//! message never fails its neighbours. Sending batches ten messages per request.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub body: String,
}

/// Parses each body as `T`; unparseable messages are failures (they will reach the DLQ
/// after `maxReceiveCount` receives, where an operator can inspect them).
pub fn parse<T: DeserializeOwned>(messages: Vec<Message>) -> (Vec<(String, T)>, Vec<String>) {
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    for message in messages {
        match serde_json::from_str::<T>(&message.body) {
            Ok(body) => parsed.push((message.id, body)),
            Err(e) => {
                tracing::error!(message_id = %message.id, error = %e, "unparseable queue message");
                failed.push(message.id);
            }
        }
    }
    (parsed, failed)
}

/// How long a batch waits out an outage before it gives its messages back: 7.5 s in all,
/// well inside the consumers' 30 s timeout (a database restart takes a few seconds).
const OUTAGE_PAUSES: &[std::time::Duration] = &[
    std::time::Duration::from_millis(500),
    std::time::Duration::from_secs(2),
    std::time::Duration::from_secs(5),
];

/// How both pipeline consumers process a batch: `work` runs on all requests at once; if
/// that fails, on each request alone, so that one bad record (or one user whose data a
/// statement chokes on) cannot fail its neighbours. `work` returns the requests that name
/// nothing (they fail and, after `maxReceiveCount`, reach the DLQ). Returns the ids of
/// the messages that failed.
pub async fn consume<T, F, Fut>(requests: Vec<(String, T)>, work: F) -> Vec<String>
where
    T: Clone + PartialEq + std::fmt::Debug,
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<T>>>,
{
    consume_pausing(requests, work, OUTAGE_PAUSES).await
}

/// `consume`, waiting out an outage with these pauses.
async fn consume_pausing<T, F, Fut>(
    requests: Vec<(String, T)>,
    work: F,
    pauses: &[std::time::Duration],
) -> Vec<String>
where
    T: Clone + PartialEq + std::fmt::Debug,
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<T>>>,
{
    let batch: Vec<T> = requests.iter().map(|(_, r)| r.clone()).collect();
    let mut result = work(batch.clone()).await;
    // An outage (the database restarting, a failover, the proxy out of connections) is
    // waited out here, a few times with growing pauses, instead of handing every message
    // back to SQS: each receive counts towards the DLQ, and an outage is nobody's poison.
    for pause in pauses {
        match &result {
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, pause_ms = pause.as_millis() as u64, "batch hit an outage; trying again");
                tokio::time::sleep(*pause).await;
                result = work(batch.clone()).await;
            }
            _ => break,
        }
    }
    let outcome: Vec<(String, bool)> = match result {
        // Still out: every message goes back for a later receive; one by one would only
        // hit the same outage once per message.
        Err(e) if e.is_transient() => {
            e.log();
            requests.into_iter().map(|(id, _)| (id, false)).collect()
        }
        Ok(missing) => requests
            .into_iter()
            .map(|(id, r)| (id, !missing.contains(&r)))
            .collect(),
        Err(e) if requests.len() == 1 => {
            e.log();
            requests.into_iter().map(|(id, _)| (id, false)).collect()
        }
        Err(e) => {
            e.log();
            let mut outcome = Vec::new();
            for (id, request) in requests {
                let done = match work(vec![request.clone()]).await {
                    Ok(missing) => missing.is_empty(),
                    Err(e) => {
                        e.log();
                        false
                    }
                };
                outcome.push((id, done));
            }
            outcome
        }
    };
    outcome
        .into_iter()
        .filter(|(id, done)| {
            if !done {
                tracing::error!(message_id = %id, "queue message not processed");
            }
            !done
        })
        .map(|(id, _)| id)
        .collect()
}

/// How many `SendMessageBatch` requests one send keeps in flight: a validation batch of
/// 500 records is fifty requests, and a Lambda is billed for the time it waits on them.
const SENDS_IN_FLIGHT: usize = 25;

/// Sends every message, ten per `SendMessageBatch`, up to `SENDS_IN_FLIGHT` requests at
/// once. Any message the queue refuses makes the whole call an error the caller can retry
/// (consumers are idempotent).
pub async fn send<T: Serialize>(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[T],
) -> Result<()> {
    use futures_util::{StreamExt, TryStreamExt};

    let requests = messages
        .chunks(10)
        .map(|chunk| {
            let mut request = sqs.send_message_batch().queue_url(queue_url);
            for (i, message) in chunk.iter().enumerate() {
                let entry = aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(serde_json::to_string(message).map_err(Error::internal)?)
                    .build()
                    .map_err(Error::internal)?;
                request = request.entries(entry);
            }
            Ok(request)
        })
        .collect::<Result<Vec<_>>>()?;
    futures_util::stream::iter(requests)
        .map(|request| async move {
            let output = request
                .send()
                .await
                .map_err(|e| Error::Unavailable(format!("SQS send: {e:?}")))?;
            if output.failed().is_empty() {
                Ok(())
            } else {
                Err(Error::Unavailable(format!(
                    "SQS refused {} messages",
                    output.failed().len()
                )))
            }
        })
        .buffer_unordered(SENDS_IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// A queue URL from configuration, or an error naming the missing variable.
pub fn url<'a>(configured: &'a Option<String>, variable: &str) -> Result<&'a str> {
    configured.as_deref().ok_or_else(|| {
        Error::internal(format!(
            "environment variable {variable} is required by this function"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn requests(n: usize) -> Vec<(String, u32)> {
        (0..n).map(|i| (format!("m{i}"), i as u32)).collect()
    }

    #[tokio::test]
    async fn an_outage_is_waited_out_in_place_and_nothing_fails() {
        let calls = AtomicUsize::new(0);
        let failed = consume_pausing(
            requests(3),
            |_batch: Vec<u32>| {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(Error::Unavailable("the database is restarting".into()))
                    } else {
                        Ok(Vec::new())
                    }
                }
            },
            &[std::time::Duration::ZERO; 3],
        )
        .await;
        assert!(failed.is_empty());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "the whole batch, three times"
        );
    }

    #[tokio::test]
    async fn a_long_outage_hands_the_batch_back_without_trying_each_message() {
        let calls = AtomicUsize::new(0);
        let failed = consume_pausing(
            requests(3),
            |_batch: Vec<u32>| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<Vec<u32>, _>(Error::Unavailable("down".into())) }
            },
            &[std::time::Duration::ZERO; 2],
        )
        .await;
        assert_eq!(failed, ["m0", "m1", "m2"]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_bug_is_isolated_to_its_message() {
        let failed = consume_pausing(
            requests(3),
            |batch: Vec<u32>| async move {
                if batch.contains(&1) {
                    Err(Error::internal("a statement chokes on record 1"))
                } else {
                    Ok(Vec::new())
                }
            },
            &[std::time::Duration::ZERO; 3],
        )
        .await;
        assert_eq!(failed, ["m1"]);
    }
}
