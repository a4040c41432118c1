//! Mobile push, locally: SNS is the emulator the runner already starts. The runner creates
//! the two platform applications (APNs and FCM stand-ins) the functions register devices
//! with, prints each push the emulator receives (`[push] ...`), and lists them, newest
//! first, at `GET /_local/push`.

use std::collections::HashSet;

use axum::routing::get;
use axum::Json;
use serde::Serialize;
use serde_json::Value;

/// Creates (or finds: SNS answers a create of an existing name with the same ARN) the
/// platform applications; returns (APNs, FCM) ARNs.
pub async fn create_applications(aws: &aws_config::SdkConfig) -> crate::Result<(String, String)> {
    let sns = aws_sdk_sns::Client::new(aws);
    let mut arns = Vec::new();
    for (name, platform) in [
        ("fitkart-local-ios", "APNS"),
        ("fitkart-local-android", "GCM"),
    ] {
        let mut request = sns
            .create_platform_application()
            .name(name)
            .platform(platform)
            .attributes("PlatformCredential", "local-credential");
        if platform == "APNS" {
            request = request.attributes("PlatformPrincipal", "local-principal");
        }
        let out = request.send().await.map_err(|e| {
            crate::Error::Emulator(format!(
                "creating the SNS platform application {name}: {e:?}"
            ))
        })?;
        arns.push(out.platform_application_arn.unwrap_or_default());
    }
    Ok((arns[0].clone(), arns[1].clone()))
}

/// A push as the emulator received it.
#[derive(Debug, Clone, Serialize)]
pub struct LocalPush {
    pub id: String,
    pub endpoint: String,
    pub token: String,
    pub title: String,
    pub body: String,
    /// The notification's kind and key, as the app receives them.
    pub kind: String,
    pub key: String,
}

/// Every push the emulator holds (the same data the tests read).
pub async fn sent() -> crate::Result<Vec<LocalPush>> {
    let data = crate::mail::emulator_data().await?;
    let mut pushes = Vec::new();
    for endpoint in data["sns"]["PlatformEndpoint"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for (id, message) in endpoint["messages"].as_object().into_iter().flatten() {
            pushes.push(read(endpoint, id, message));
        }
    }
    Ok(pushes)
}

/// One message of one endpoint: the APNs or FCM part, whichever its platform reads.
fn read(endpoint: &Value, id: &str, message: &Value) -> LocalPush {
    let outer: Value = message
        .as_str()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    let arn = endpoint["arn"].as_str().unwrap_or_default();
    let part = |key: &str| -> Value {
        outer[key]
            .as_str()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_default()
    };
    let (title, body, kind, key) = if arn.contains("/GCM/") {
        let fcm = part("GCM");
        (
            fcm["notification"]["title"].clone(),
            fcm["notification"]["body"].clone(),
            fcm["data"]["kind"].clone(),
            fcm["data"]["key"].clone(),
        )
    } else {
        let apns = part("APNS");
        (
            apns["aps"]["alert"]["title"].clone(),
            apns["aps"]["alert"]["body"].clone(),
            apns["kind"].clone(),
            apns["key"].clone(),
        )
    };
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    LocalPush {
        id: id.to_owned(),
        endpoint: arn.to_owned(),
        token: text(&endpoint["token"]),
        title: text(&title),
        // A message without the platform's part shows what SNS falls back to.
        body: if body.is_string() {
            text(&body)
        } else {
            text(&outer["default"])
        },
        kind: text(&kind),
        key: text(&key),
    }
}

/// Prints each new push as it arrives.
pub async fn print_new_pushes() {
    let mut seen = HashSet::new();
    loop {
        if let Ok(pushes) = sent().await {
            for push in pushes {
                if seen.insert(push.id.clone()) {
                    let device = &push.token[push.token.len().saturating_sub(6)..];
                    println!("[push] to device …{device}: {} — {}", push.title, push.body);
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// `GET /_local/push`: every push sent, as JSON.
pub fn routes<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    axum::Router::new().route(
        "/_local/push",
        get(|| async {
            match sent().await {
                Ok(mut pushes) => {
                    pushes.reverse();
                    Json(serde_json::json!(pushes))
                }
                Err(e) => Json(serde_json::json!({ "error": e.to_string() })),
            }
        }),
    )
}
