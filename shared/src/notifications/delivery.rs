//! Getting recorded notifications to phones: the minute-by-minute dispatch (preferences,
//! expiry and quiet hours, then the queue), the queue's consumer (one push per device,
//! ever), and the evening streak reminder.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{render, Delivery, Kind, Notice};
use crate::i18n::Locale;
use crate::queue::{self, Message};
use crate::{App, Error, Result};

/// Notifications queued per dispatch run at most (the rest go next minute).
const DISPATCH_LIMIT: i64 = 5_000;
/// A notification queued this long ago and still not delivered is queued again.
const REQUEUE_AFTER_MINUTES: i32 = 10;
/// The local hour the streak reminder goes out.
const STREAK_HOUR: i32 = 19;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Dispatched {
    pub muted: u64,
    pub expired: u64,
    pub queued: usize,
}

/// Drops what was muted or expired, then queues what is due at `now` and outside the
/// person's quiet hours (in their time zone). What falls in quiet hours waits for a later
/// run. Queued rows are stamped in the same transaction as the send succeeded.
pub async fn dispatch(app: &App, now: DateTime<Utc>) -> Result<Dispatched> {
    let mut tx = app.db().await?.begin().await?;
    let muted = crate::db_query!(
        "UPDATE notifications n SET finished_at = $1, outcome = 'muted'
         FROM notification_preferences p
         WHERE n.finished_at IS NULL AND p.user_id = n.user_id AND n.kind = ANY(p.muted)",
        now
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let expired = crate::db_query!(
        "UPDATE notifications SET finished_at = $1, outcome = 'expired'
         WHERE finished_at IS NULL AND expires_at <= $1",
        now
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let due: Vec<String> = crate::db_query_scalar!(
        "SELECT n.key FROM notifications n
         JOIN users u ON u.id = n.user_id
         LEFT JOIN notification_preferences p ON p.user_id = n.user_id
         WHERE n.finished_at IS NULL
           AND (n.queued_at IS NULL OR n.queued_at < $1::timestamptz - make_interval(mins => $2))
           AND NOT COALESCE(CASE WHEN p.quiet_start <= p.quiet_end
                                 THEN ($1 AT TIME ZONE user_timezone(u.*))::time >= p.quiet_start
                                      AND ($1 AT TIME ZONE user_timezone(u.*))::time < p.quiet_end
                                 ELSE ($1 AT TIME ZONE user_timezone(u.*))::time >= p.quiet_start
                                      OR ($1 AT TIME ZONE user_timezone(u.*))::time < p.quiet_end END, false)
         ORDER BY n.created_at
         LIMIT $3
         FOR UPDATE OF n SKIP LOCKED",
        now,
        REQUEUE_AFTER_MINUTES,
        DISPATCH_LIMIT
    )
    .fetch_all(&mut *tx)
    .await?;
    if !due.is_empty() {
        let url = queue::url(&app.config.notification_queue_url, "NOTIFICATION_QUEUE_URL")?;
        let messages: Vec<Delivery> = due
            .iter()
            .map(|key| Delivery { key: key.clone() })
            .collect();
        queue::send(app.sqs().await, url, &messages).await?;
        crate::db_query!(
            "UPDATE notifications SET queued_at = $2 WHERE key = ANY($1)",
            &due,
            now
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Dispatched {
        muted,
        expired,
        queued: due.len(),
    })
}

/// The queue's consumer: each notification to each of its person's devices at most once.
/// Returns the messages to retry (SNS unavailable for some device).
pub async fn send(app: &App, messages: Vec<Message>) -> Vec<String> {
    let (deliveries, mut failed) = queue::parse::<Delivery>(messages);
    for (message_id, delivery) in deliveries {
        match deliver(app, &delivery.key).await {
            Ok(outcome) => tracing::info!(key = %delivery.key, %outcome, "notification handled"),
            Err(e) => {
                e.log();
                failed.push(message_id);
            }
        }
    }
    failed
}

struct Claimed {
    device_id: Uuid,
    endpoint_arn: String,
}

/// One notification: the devices claimed first (committed, so a second delivery finds
/// them taken), then one publish each. An endpoint SNS reports disabled is removed; a
/// device whose publish failed otherwise is released for the retry.
async fn deliver(app: &App, key: &str) -> Result<String> {
    let mut tx = app.db().await?.begin().await?;
    let Some(row) = crate::db_query!(
        "SELECT n.kind, n.data, n.finished_at, u.locale FROM notifications n JOIN users u ON u.id = n.user_id
         WHERE n.key = $1 FOR UPDATE OF n",
        key
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        // The account was deleted meanwhile (its notifications went with it).
        return Ok("gone".into());
    };
    if row.finished_at.is_some() {
        return Ok("already delivered".into());
    }
    let claimed: Vec<Claimed> = crate::db_query_as!(
        Claimed,
        "WITH claimed AS (
             INSERT INTO notification_deliveries (notification_key, device_id)
             SELECT n.key, d.id FROM push_devices d JOIN notifications n ON n.user_id = d.user_id
             WHERE n.key = $1
             ON CONFLICT DO NOTHING
             RETURNING device_id
         )
         SELECT d.id AS device_id, d.endpoint_arn FROM claimed c JOIN push_devices d ON d.id = c.device_id",
        key
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let kind = Kind::parse(&row.kind).map_err(Error::internal)?;
    let message = payload(key, kind, &row.data, Locale::from_stored(&row.locale))?;
    let sns = app.sns().await;
    let (mut sent, mut removed, mut retry) = (0, 0, 0);
    for device in &claimed {
        let published = sns
            .publish()
            .target_arn(&device.endpoint_arn)
            .message_structure("json")
            .message(&message)
            .send()
            .await;
        match published {
            Ok(out) => {
                sent += 1;
                crate::db_query!(
                    "UPDATE notification_deliveries SET message_id = $3 WHERE notification_key = $1 AND device_id = $2",
                    key,
                    device.device_id,
                    out.message_id
                )
                .execute(app.db().await?)
                .await?;
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_endpoint_disabled_exception()) =>
            {
                // The app was uninstalled (or the token expired): stop pushing to it.
                removed += 1;
                crate::db_query!("DELETE FROM push_devices WHERE id = $1", device.device_id)
                    .execute(app.db().await?)
                    .await?;
                super::devices::delete_endpoints(app, std::slice::from_ref(&device.endpoint_arn))
                    .await;
            }
            Err(e) => {
                retry += 1;
                tracing::warn!(key, device = %device.device_id, error = ?e, "push not published");
                crate::db_query!(
                    "DELETE FROM notification_deliveries WHERE notification_key = $1 AND device_id = $2",
                    key,
                    device.device_id
                )
                .execute(app.db().await?)
                .await?;
            }
        }
    }
    if retry > 0 {
        return Err(Error::Unavailable(format!(
            "{retry} of {} pushes for {key} failed",
            claimed.len()
        )));
    }
    let outcome = format!("sent to {sent} device(s), {removed} disabled removed");
    crate::db_query!(
        "UPDATE notifications SET finished_at = now(), outcome = $2 WHERE key = $1",
        key,
        outcome
    )
    .execute(app.db().await?)
    .await?;
    Ok(outcome)
}

/// The SNS message (`MessageStructure=json`): an APNs alert and an FCM notification with
/// the same words, and the notification's kind and key for the app to route on.
pub fn payload(key: &str, kind: Kind, data: &Value, locale: Locale) -> Result<String> {
    let (title, body) = render(kind, data, locale);
    let apns = json!({
        "aps": { "alert": { "title": title, "body": body }, "sound": "default" },
        "kind": kind.as_str(), "key": key,
    })
    .to_string();
    let fcm = json!({
        "notification": { "title": title, "body": body },
        "data": { "kind": kind.as_str(), "key": key },
    })
    .to_string();
    serde_json::to_string(&json!({
        "default": body,
        "APNS": apns,
        "APNS_SANDBOX": apns,
        "GCM": fcm,
    }))
    .map_err(Error::internal)
}

/// The evening reminder: people with a device for whom it is now the reminder hour
/// (`STREAK_HOUR` in their time zone), on a streak of at least two goal days that is still
/// alive (`streaks`: a freeze may have covered yesterday), and short of the goal today.
/// Someone holding a freeze is told it covers today, and how many steps keep it for later.
/// Once per person and local day; it expires at their midnight. Returns how many were
/// recorded.
pub async fn streaks(app: &App, now: DateTime<Utc>) -> Result<u64> {
    let goal = app.settings().await?.daily_step_goal;
    let mut tx = app.db().await?.begin().await?;
    let people = crate::db_query!(
        r#"WITH people AS (
               SELECT u.id, user_timezone(u.*) AS timezone, ($1 AT TIME ZONE user_timezone(u.*))::date AS today
               FROM users u
               WHERE u.is_active AND u.deleted_at IS NULL
                 AND extract(hour FROM $1 AT TIME ZONE user_timezone(u.*))::int = $2
                 AND EXISTS (SELECT 1 FROM push_devices d WHERE d.user_id = u.id)
           )
           SELECT p.id AS "user_id!", p.today AS "today!", p.timezone AS "timezone!",
                  COALESCE((SELECT r.steps FROM step_records r
                            WHERE r.user_id = p.id AND r.recorded_date = p.today
                              AND r.recorded_date BETWEEN ($1::date - 1) AND ($1::date + 1)), 0)::int8
                      AS "steps_today!"
           FROM people p"#,
        now,
        STREAK_HOUR,
    )
    .fetch_all(&mut *tx)
    .await?;
    let short: Vec<_> = people
        .into_iter()
        .filter(|p| p.steps_today < goal)
        .collect();
    let todays: Vec<(uuid::Uuid, chrono::NaiveDate)> =
        short.iter().map(|p| (p.user_id, p.today)).collect();
    let streaks = crate::streaks::of(&mut tx, &todays, goal).await?;
    let notices: Vec<Notice> = short
        .iter()
        .filter_map(|d| {
            let streak = streaks.get(&d.user_id)?;
            if streak.current_days < 2 {
                return None;
            }
            let midnight = d
                .timezone
                .parse::<chrono_tz::Tz>()
                .ok()
                .and_then(|tz| Some(crate::clock::local_day_start(d.today.succ_opt()?, tz)));
            Some(Notice {
                key: format!("streak:{}:{}", d.user_id, d.today),
                user_id: d.user_id,
                kind: Kind::StreakAtRisk,
                data: json!({ "streak_days": streak.current_days, "steps_today": d.steps_today,
                              "goal": goal, "freeze_held": streak.freeze_held }),
                expires_at: midnight,
            })
        })
        .collect();
    super::record(&mut tx, &notices).await?;
    tx.commit().await?;
    Ok(notices.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_carries_the_same_words_to_both_platforms() {
        let message = payload(
            "order:1:shipped",
            Kind::OrderUpdated,
            &json!({"order_code": "FK-1", "status": "shipped"}),
            Locale::En,
        )
        .unwrap();
        let outer: Value = serde_json::from_str(&message).unwrap();
        let apns: Value = serde_json::from_str(outer["APNS"].as_str().unwrap()).unwrap();
        let fcm: Value = serde_json::from_str(outer["GCM"].as_str().unwrap()).unwrap();
        assert_eq!(apns["aps"]["alert"]["title"], "Your reward is on its way");
        assert_eq!(fcm["notification"]["body"], "Order FK-1 shipped.");
        assert_eq!(fcm["data"]["kind"], "order_updated");
        assert_eq!(outer["default"], "Order FK-1 shipped.");
    }
}
