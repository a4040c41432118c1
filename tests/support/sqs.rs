//! Real queues on the SQS emulator, and a small stand-in for Lambda's SQS event source
//! mapping: receive a batch, hand it to the consumer as a real `SqsEvent`, delete what
//! succeeded and leave the reported failures to become visible again.

use std::future::Future;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};
use aws_sdk_sqs::Client;
use fitkart::queue::Message;
use fitkart::App;
use serde_json::json;

pub async fn client() -> Client {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL is not set: run the suite with scripts/test, which starts the SQS emulator");
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Client::new(&config)
}

/// A queue with a dead-letter queue after `max_receives`, named uniquely for one test.
pub struct TestQueue {
    pub url: String,
    pub arn: String,
    pub dlq_url: String,
}

impl TestQueue {
    pub async fn create(sqs: &Client, name: &str, visibility_secs: u32, max_receives: u32) -> Self {
        let unique = format!("{name}-{}", uuid::Uuid::new_v4().simple());
        let dlq_url = sqs
            .create_queue()
            .queue_name(format!("{unique}-dlq"))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let dlq_arn = arn(sqs, &dlq_url).await;
        let url = sqs
            .create_queue()
            .queue_name(&unique)
            .attributes(
                QueueAttributeName::VisibilityTimeout,
                visibility_secs.to_string(),
            )
            .attributes(
                QueueAttributeName::RedrivePolicy,
                json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})
                    .to_string(),
            )
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let arn = arn(sqs, &url).await;
        Self { url, arn, dlq_url }
    }
}

async fn arn(sqs: &Client, url: &str) -> String {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    attrs.attributes.unwrap()[&QueueAttributeName::QueueArn].clone()
}

/// Receives up to ten messages as Lambda's event source mapping would deliver them.
pub async fn receive(sqs: &Client, queue: &TestQueue) -> SqsEvent {
    let out = sqs
        .receive_message()
        .queue_url(&queue.url)
        .max_number_of_messages(10)
        .wait_time_seconds(0)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let records: Vec<serde_json::Value> = out
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let attributes: serde_json::Map<String, serde_json::Value> = m
                .attributes
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
                .collect();
            json!({
                "messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body,
                "md5OfBody": m.md5_of_body, "attributes": attributes, "messageAttributes": {},
                "eventSource": "aws:sqs", "eventSourceARN": queue.arn, "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

/// Deletes the messages of `event` except the failed ones.
pub async fn delete_succeeded(
    sqs: &Client,
    queue: &TestQueue,
    event: &SqsEvent,
    failed: &[String],
) {
    let entries: Vec<DeleteMessageBatchRequestEntry> = event
        .records
        .iter()
        .filter(|r| !failed.contains(r.message_id.as_ref().unwrap()))
        .enumerate()
        .map(|(i, r)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(r.receipt_handle.clone().unwrap())
                .build()
                .unwrap()
        })
        .collect();
    if !entries.is_empty() {
        sqs.delete_message_batch()
            .queue_url(&queue.url)
            .set_entries(Some(entries))
            .send()
            .await
            .unwrap();
    }
}

/// One poll: receive, invoke, delete successes. Returns (messages, failures).
pub async fn poll_once<H, Fut>(
    sqs: &Client,
    queue: &TestQueue,
    app: &'static App,
    consumer: H,
) -> (usize, Vec<String>)
where
    H: Fn(&'static App, Vec<Message>) -> Fut + Copy,
    Fut: Future<Output = Vec<String>>,
{
    let event = receive(sqs, queue).await;
    let count = event.records.len();
    if count == 0 {
        return (0, Vec::new());
    }
    let response = fitkart::lambda::dispatch_sqs(app, event.clone(), None, consumer).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    delete_succeeded(sqs, queue, &event, &failed).await;
    (count, failed)
}

/// Messages currently visible on a queue.
pub async fn depth(sqs: &Client, url: &str) -> usize {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    attrs.attributes.unwrap()[&QueueAttributeName::ApproximateNumberOfMessages]
        .parse()
        .unwrap()
}

/// Waits (polling, at most 10 s) until at least `count` messages of `queue` can be
/// received: messages received and not deleted come back once their visibility timeout
/// ends.
pub async fn until_visible(sqs: &Client, queue: &TestQueue, count: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while depth(sqs, &queue.url).await < count {
        assert!(
            std::time::Instant::now() < deadline,
            "{count} message(s) never became visible again on {}",
            queue.url
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
