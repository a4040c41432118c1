//! CloudFormation custom resources: a function backing one (the migrations run by the
//! deploy itself) gets a request event and must answer by `PUT`ting a result document to
//! the event's pre-signed `ResponseURL`, whatever happens: an unanswered request leaves
//! the stack waiting for an hour.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::{Error, Result};

/// The request CloudFormation sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub request_type: RequestType,
    #[serde(rename = "ResponseURL")]
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub physical_resource_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RequestType {
    Create,
    Update,
    Delete,
}

impl Request {
    /// The event as a custom resource request, if it is one.
    pub fn from_event(event: &Value) -> Option<Self> {
        event.get("RequestType")?;
        serde_json::from_value(event.clone()).ok()
    }

    /// Sends the outcome to CloudFormation: `SUCCESS` with `data`, or `FAILED` with the
    /// error's text (the deploy shows it and rolls back).
    pub async fn respond(
        &self,
        http: &reqwest::Client,
        physical_id: &str,
        outcome: &Result<Value>,
    ) -> Result<()> {
        let (status, reason, data) = match outcome {
            Ok(data) => ("SUCCESS", "done".to_owned(), data.clone()),
            Err(e) => ("FAILED", failure_reason(e), json!({})),
        };
        let body = json!({
            "Status": status,
            "Reason": reason,
            "PhysicalResourceId": self.physical_resource_id.as_deref().unwrap_or(physical_id),
            "StackId": self.stack_id,
            "RequestId": self.request_id,
            "LogicalResourceId": self.logical_resource_id,
            "Data": data,
        });
        // The pre-signed URL is signed for an empty content type.
        let response = http
            .put(&self.response_url)
            .header(reqwest::header::CONTENT_TYPE, "")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| Error::Unavailable(format!("CloudFormation response: {e}")))?;
        if !response.status().is_success() {
            return Err(Error::Unavailable(format!(
                "CloudFormation refused the response: HTTP {}",
                response.status()
            )));
        }
        Ok(())
    }
}

/// The error with its causes: an operator reads it in the stack's events.
fn failure_reason(e: &Error) -> String {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason.chars().take(1_000).collect()
}
