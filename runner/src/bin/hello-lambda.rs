//! The cold-start baseline: the smallest useful lambda_runtime function (echo), built with
//! the same profile as the real functions by `scripts/bench coldstart`. An event with
//! `sleep_ms` is answered that much later: the runner's tests use it for a function that
//! overruns its timeout (FitKart's own functions give up before theirs).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        if let Some(ms) = event.payload.get("sleep_ms").and_then(Value::as_u64) {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        Ok::<_, Error>(event.payload)
    }))
    .await
}
