//! Queues and SQS event sources from the template, on an SQS-compatible emulator: the
//! queues (DLQs first, with their redrive policies) are created from `AWS::SQS::Queue`
//! resources, and each SQS event is a poller that behaves like Lambda's event source
//! mapping: long-poll, gather up to `BatchSize` within the batching window, invoke with a
//! real SQS event, delete what succeeded, leave failures to become visible again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
};
use aws_sdk_sqs::Client;
use axum::body::Bytes;
use serde_json::{json, Value};

use crate::lambda::{Outcome, Pool};
use crate::template::{QueueSource, Template};

/// Creates every queue of the template; returns logical id → (url, arn, name).
pub async fn create_queues(
    sqs: &Client,
    template: &Template,
    prefix: &str,
) -> crate::Result<BTreeMap<String, (String, String, String)>> {
    let mut created: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    // Dead-letter queues first: a redrive policy names its target's ARN.
    let mut queues = template.queues.clone();
    queues.sort_by_key(|q| q.redrive.is_some());
    for queue in queues {
        let name = format!("{prefix}-{}", queue.logical_id);
        let mut request = sqs.create_queue().queue_name(&name).attributes(
            QueueAttributeName::VisibilityTimeout,
            queue.visibility_timeout_secs.to_string(),
        );
        if let Some((dlq, max)) = &queue.redrive {
            let target = created.get(dlq).ok_or(crate::Error::Emulator(format!(
                "{}: unknown DLQ {dlq}",
                queue.logical_id
            )))?;
            request = request.attributes(
                QueueAttributeName::RedrivePolicy,
                json!({"deadLetterTargetArn": target.1, "maxReceiveCount": max}).to_string(),
            );
        }
        let url = request
            .send()
            .await
            .map_err(|e| crate::Error::Emulator(format!("create {name}: {e:?}")))?
            .queue_url
            .unwrap_or_default();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| crate::Error::Emulator(format!("{name}: {e:?}")))?;
        let arn = attributes
            .attributes
            .unwrap_or_default()
            .remove(&QueueAttributeName::QueueArn)
            .unwrap_or_default();
        created.insert(queue.logical_id.clone(), (url, arn, name));
    }
    Ok(created)
}

/// The SQS event Lambda would deliver for these messages.
pub fn event(messages: &[Message], queue_arn: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, Value> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The message ids a consumer reported as failed, per its response.
pub fn failed_ids(outcome: &Outcome, reports_failures: bool, messages: &[Message]) -> Vec<String> {
    let all = || {
        messages
            .iter()
            .filter_map(|m| m.message_id().map(str::to_owned))
            .collect()
    };
    match outcome {
        Outcome::Response(body) if reports_failures => {
            match serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("batchItemFailures").cloned())
            {
                Some(Value::Array(failures)) => failures
                    .iter()
                    .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                    .collect(),
                Some(Value::Null) | None => Vec::new(),
                // A malformed response fails the whole batch, as Lambda does.
                Some(_) => all(),
            }
        }
        Outcome::Response(_) => Vec::new(),
        _ => all(),
    }
}

/// Polls one queue for one function until the runner stops.
pub async fn poll(sqs: Client, source: QueueSource, url: String, arn: String, pool: Arc<Pool>) {
    let batch_size = source.batch_size.clamp(1, 10_000);
    loop {
        let mut messages: Vec<Message> = Vec::new();
        let started = Instant::now();
        let window = Duration::from_secs(source.batching_window_secs);
        while messages.len() < batch_size {
            let waiting = messages.is_empty();
            let wait = if waiting {
                10
            } else {
                window.saturating_sub(started.elapsed()).as_secs().min(20) as i32
            };
            let received = sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages((batch_size - messages.len()).min(10) as i32)
                .wait_time_seconds(wait)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await;
            match received {
                Ok(out) => messages.extend(out.messages.unwrap_or_default()),
                Err(e) => {
                    eprintln!("[sqs {}] receive failed: {e:?}", pool.spec.logical_id);
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    break;
                }
            }
            if !messages.is_empty() && started.elapsed() >= window {
                break;
            }
        }
        if messages.is_empty() {
            continue;
        }
        let outcome = pool
            .invoke(Bytes::from(event(&messages, &arn).to_string()))
            .await;
        let failed = failed_ids(&outcome, source.report_batch_item_failures, &messages);
        let done: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .filter(|m| {
                !m.message_id()
                    .is_some_and(|id| failed.iter().any(|f| f == id))
            })
            .enumerate()
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle()?)
                    .build()
                    .ok()
            })
            .collect();
        if !done.is_empty() {
            if let Err(e) = sqs
                .delete_message_batch()
                .queue_url(&url)
                .set_entries(Some(done))
                .send()
                .await
            {
                eprintln!("[sqs {}] delete failed: {e:?}", pool.spec.logical_id);
            }
        }
    }
}
