//! `/v1/me/devices` and `/v1/me/notifications` (a person's push devices and choices), and
//! the notification pipeline's functions: the minute-by-minute dispatch, the queue's
//! sender and the evening streak reminder.

use std::collections::BTreeMap;

use fitkart::http::{
    caller, caller_tx, json, json_body, no_content, ok, path_id, Request, Response, StatusCode,
};
use fitkart::input::patch;
use fitkart::jobs::ScheduledEvent;
use fitkart::notifications::devices::{self, NewDevice};
use fitkart::notifications::{delivery, preferences};
use fitkart::queue::Message;
use fitkart::{App, Error, Result};
use serde::Deserialize;
use serde_json::{json as json_value, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceBody {
    platform: String,
    token: String,
    app_version: Option<String>,
}

/// `POST /v1/me/devices`: registers the app install's push token (idempotent per token).
pub async fn register_device(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: DeviceBody = json_body(&req)?;
    let device = NewDevice::check(&body.platform, &body.token, body.app_version)?;
    let registered = devices::register(app, me.user_id, &device).await?;
    json(
        StatusCode::CREATED,
        &json_value!({ "id": registered.id, "platform": registered.platform,
                       "app_version": registered.app_version, "created_at": registered.created_at }),
    )
}

pub async fn list_devices(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = json_value!({ "items": devices::list(&mut tx, me.user_id).await? });
    tx.commit().await?;
    ok(&out)
}

pub async fn delete_device(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let id = path_id(&req, "id")?;
    devices::remove(app, me.user_id, id).await?;
    no_content()
}

pub async fn get_preferences(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = preferences::get(&mut tx, me.user_id)
        .await?
        .in_language(fitkart::http::locale(&req));
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferencesBody {
    #[serde(default, deserialize_with = "patch::not_null")]
    kinds: Option<BTreeMap<String, bool>>,
    /// Absent: unchanged; `null`: no quiet hours; else the hours, checked by the domain.
    #[serde(default, deserialize_with = "patch::nullable")]
    quiet_hours: Option<Option<Value>>,
}

/// `PATCH /v1/me/notifications`: switch kinds on or off, set or clear quiet hours.
pub async fn update_preferences(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let body: PreferencesBody = json_body(&req)?;
    let quiet_hours = body.quiet_hours.map(Option::unwrap_or_default);
    let changes = preferences::Changes::check(body.kinds, quiet_hours)?;
    let out = preferences::update(&mut tx, me.user_id, &changes)
        .await?
        .in_language(fitkart::http::locale(&req));
    tx.commit().await?;
    ok(&out)
}

/// notifications-dispatch (every minute): muted and expired dropped, quiet hours waited
/// out, the rest queued. Running twice at once is harmless (rows are locked, skipped).
pub async fn dispatch(app: &App, event: ScheduledEvent) -> Result<Value> {
    let now = event.time(app);
    serde_json::to_value(delivery::dispatch(app, now).await?).map_err(Error::internal)
}

/// notifications-send: the queue's consumer, publishing through SNS.
pub async fn send(app: &App, messages: Vec<Message>) -> Vec<String> {
    delivery::send(app, messages).await
}

/// notifications-streaks (hourly, on the hour): the evening reminders due this hour.
pub async fn streaks(app: &App, event: ScheduledEvent) -> Result<Value> {
    let now = event.time(app);
    Ok(json_value!({ "reminders": delivery::streaks(app, now).await? }))
}
