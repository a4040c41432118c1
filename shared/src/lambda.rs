//! The shape every function shares, written once: build the `App` at cold start (no I/O),
//! install JSON logging, and hand the runtime a handler wrapped with request ids, error
//! mapping and logs. A function's `main` is one call.

use std::convert::Infallible;
use std::future::Future;
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use lambda_http::RequestExt;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::Instrument;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::http::{self as web, Request, Response};
use crate::queue::Message;
use crate::{App, Result};

pub type BoxError = lambda_http::Error;

/// What a handler leaves of its invocation's time to answer: a handler still waiting this
/// close to Lambda's deadline (on a database that does not answer, say) is given up, so
/// that the client gets a `503` with `retry-after`, and a queue its batch's failures,
/// instead of Lambda's timeout.
pub const ANSWER_MARGIN: Duration = Duration::from_millis(1_500);

/// Runs `work` until `deadline` less `ANSWER_MARGIN`: `None` when it did not finish in
/// time (it is dropped: its transaction rolls back). Without a deadline (a handler called
/// directly, as tests do) it runs to the end.
pub async fn within<F: Future>(deadline: Option<SystemTime>, work: F) -> Option<F::Output> {
    match deadline {
        None => Some(work.await),
        Some(deadline) => {
            // Lambda's deadline is wall time, not the domain's clock.
            let left = deadline
                .duration_since(SystemTime::now())
                .unwrap_or_default()
                .saturating_sub(ANSWER_MARGIN);
            tokio::time::timeout(left, work).await.ok()
        }
    }
}

/// The error of a handler given up at its deadline.
fn out_of_time() -> crate::Error {
    crate::Error::Unavailable(
        "the invocation ran out of time, waiting on a dependency (the database?)".into(),
    )
}

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
    let locale = web::locale(&req);
    let deadline = req.lambda_context_ref().map(|c| c.deadline());
    let span = tracing::info_span!(
        "http",
        request_id = %meta.request_id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    // On the heap: a handler's future nests every domain call it makes, and the runtime's
    // (and a test's) stack is no place for one of that size.
    let result = within(
        deadline,
        Box::pin(handler(app, req).instrument(span.clone())),
    )
    .await
    .unwrap_or_else(|| Err(out_of_time()));
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
            web::problem(&err, locale)
        }
    };
    // Every answer says its language; a handler that answered in another (a walker who
    // just changed theirs) said so itself.
    if !response
        .headers()
        .contains_key(http::header::CONTENT_LANGUAGE)
    {
        response.headers_mut().insert(
            http::header::CONTENT_LANGUAGE,
            HeaderValue::from_static(crate::i18n::content_language(locale)),
        );
    }
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
            let deadline = Some(event.context.deadline());
            within(
                deadline,
                handler(app, event.payload).instrument(span.clone()),
            )
            .await
            .unwrap_or_else(|| Err(out_of_time()))
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
            let deadline = Some(event.context.deadline());
            Box::pin(async move {
                Ok::<_, Infallible>(dispatch_sqs(app, event.payload, deadline, handler).await)
            })
        },
    ))
    .await
}

/// One SQS batch: the event's records in, the batch item failures out; a batch still
/// unfinished near the `deadline` fails whole (every message is tried again later, and
/// each consumer is idempotent). Tests and the local runner call this with real SQS events.
pub async fn dispatch_sqs<H, Fut>(
    app: &'static App,
    event: SqsEvent,
    deadline: Option<SystemTime>,
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
    let ids: Vec<String> = messages.iter().map(|m| m.id.clone()).collect();
    let failed = match within(deadline, handler(app, messages).instrument(span.clone())).await {
        Some(failed) => failed,
        None => {
            span.in_scope(|| out_of_time().log());
            ids
        }
    };
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
