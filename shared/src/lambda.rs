//! The shape every function shares, written once: build the `App` at cold start (no I/O),
//! install JSON logging, and hand the runtime a handler wrapped with request ids, error
//! mapping and logs. A function's `main` is one call.

use std::convert::Infallible;
use std::future::Future;

use http::HeaderValue;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::Instrument;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::http::{self as web, Request, Response};
use crate::queue::Message;
use crate::{App, Result};

pub type BoxError = lambda_http::Error;

/// The state lives for the whole execution environment; leaking it once gives handlers a
/// plain `&'static App` instead of reference counting on every invocation.
fn init() -> Result<&'static App, BoxError> {
    lambda_runtime::tracing::init_default_subscriber();
    match App::from_env() {
        Ok(app) => Ok(Box::leak(Box::new(app))),
        Err(e) => {
            // Reported by the runtime to /init/error as well; log it for CloudWatch.
            tracing::error!(error = %e, "configuration error");
            Err(e.into())
        }
    }
}

/// Runs an HTTP function: `handler` gets the app and the API Gateway request.
pub async fn serve_http<H, Fut>(handler: H) -> Result<(), BoxError>
where
    H: Fn(&'static App, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + Send,
{
    let app = init()?;
    lambda_http::run(lambda_http::service_fn(move |req| {
        dispatch(app, req, handler)
    }))
    .await
}

/// One HTTP invocation: the handler's result, or its error as a problem response, with the
/// request id in a header and in every log line. Tests call this to get exactly what API
/// Gateway would return.
pub async fn dispatch<H, Fut>(
    app: &'static App,
    req: Request,
    handler: H,
) -> Result<Response, Infallible>
where
    H: Fn(&'static App, Request) -> Fut,
    Fut: Future<Output = Result<Response>>,
{
    let meta = web::meta(&req);
    let span = tracing::info_span!(
        "http",
        request_id = %meta.request_id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    let result = handler(app, req).instrument(span.clone()).await;
    let mut response = match result {
        Ok(response) => response,
        Err(err) => {
            span.in_scope(|| err.log());
            // What pages a person is a bug (500), not an outage (503): API Gateway's own
            // 5xx metric counts both, so the alarm reads these instead.
            let metric = match err.status() {
                500 => Some("HttpInternalErrors"),
                503 => Some("HttpUnavailable"),
                _ => None,
            };
            if let Some(metric) = metric {
                crate::metrics::emit(
                    &[("Api", "http")],
                    &[(metric, "Count", 1.0)],
                    serde_json::json!({}),
                );
            }
            web::problem(&err)
        }
    };
    if let Ok(id) = HeaderValue::from_str(&meta.request_id) {
        response.headers_mut().insert("x-request-id", id);
    }
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), "request handled"));
    Ok(response)
}

/// Runs a function invoked with a JSON event (schedules, direct invocations): `handler`
/// gets the app and the typed event; its error becomes the invocation's error.
pub async fn serve_event<H, Fut, E, O>(handler: H) -> Result<(), BoxError>
where
    H: Fn(&'static App, E) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<O>> + Send,
    E: DeserializeOwned + Send + 'static,
    O: Serialize + Send,
{
    let app = init()?;
    // Boxed: the runtime's future nests deep enough to overflow rustc's layout limits.
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<E>| {
        Box::pin(async move {
            let span =
                tracing::info_span!("invocation", aws_request_id = %event.context.request_id);
            handler(app, event.payload)
                .instrument(span.clone())
                .await
                .map_err(|err| {
                    span.in_scope(|| err.log());
                    Diagnostic {
                        error_type: err.code().to_owned(),
                        error_message: err.detail(),
                    }
                })
        })
    }))
    .await
}

/// Runs an SQS consumer with partial batch responses: `handler` gets the batch as
/// transport-neutral messages and returns the ids of those that failed; only they become
/// visible again (and reach the DLQ after `maxReceiveCount`).
pub async fn serve_sqs<H, Fut>(handler: H) -> Result<(), BoxError>
where
    H: Fn(&'static App, Vec<Message>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Vec<String>> + Send,
{
    let app = init()?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<SqsEvent>| {
            Box::pin(
                async move { Ok::<_, Infallible>(dispatch_sqs(app, event.payload, handler).await) },
            )
        },
    ))
    .await
}

/// One SQS batch: the event's records in, the batch item failures out. Tests and the
/// local runner call this with real SQS events.
pub async fn dispatch_sqs<H, Fut>(
    app: &'static App,
    event: SqsEvent,
    handler: H,
) -> SqsBatchResponse
where
    H: Fn(&'static App, Vec<Message>) -> Fut,
    Fut: Future<Output = Vec<String>>,
{
    let messages: Vec<Message> = event
        .records
        .into_iter()
        .map(|r| Message {
            id: r.message_id.unwrap_or_default(),
            body: r.body.unwrap_or_default(),
        })
        .collect();
    let span = tracing::info_span!("sqs", messages = messages.len());
    let failed = handler(app, messages).instrument(span.clone()).await;
    span.in_scope(|| tracing::info!(failed = failed.len(), "batch handled"));
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}
