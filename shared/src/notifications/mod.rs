//! Push notifications: the moments people want to hear about, told through Amazon SNS
//! mobile push (APNs, FCM).
//!
//! - A moment is recorded (`record`) in the transaction that makes it true: coins credited
//!   (one summary per user and day), a day held for review and the reviewer's decision, an
//!   achievement unlocked, an order's status change, and the evening "streak at risk"
//!   reminder (`delivery::streaks`). Each has a natural key, so recording it twice records
//!   it once; only people with a registered device get rows at all.
//! - `delivery::dispatch` (every minute) drops what a person muted or what expired, leaves
//!   what falls in their quiet hours (their own time zone) for later, and queues the rest.
//! - `delivery::send` (the queue's consumer) claims each (notification, device) pair
//!   before publishing, so a message delivered twice pushes once; endpoints SNS reports
//!   disabled (the app was uninstalled) are removed.
//!
//! The words are rendered at delivery from the stored facts (`render`).

pub mod delivery;
pub mod devices;
pub mod preferences;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::i18n::{self, Locale};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Result;

crate::text_enum! {
    /// What a notification is about; each can be muted on its own.
    pub enum Kind {
        CoinsCredited = "coins_credited",
        DayHeld = "day_held",
        ReviewDecided = "review_decided",
        AchievementUnlocked = "achievement_unlocked",
        OrderUpdated = "order_updated",
        StreakAtRisk = "streak_at_risk",
        FriendRequest = "friend_request",
        FriendAccepted = "friend_accepted",
        TeamJoined = "team_joined",
        TeamGoalReached = "team_goal_reached",
        ChallengeInvited = "challenge_invited",
        ChallengeStarted = "challenge_started",
        ChallengeOvertaken = "challenge_overtaken",
        ChallengeEnded = "challenge_ended",
        ChallengeResult = "challenge_result",
        GiftArrived = "gift_arrived",
        GiftSettled = "gift_settled",
        GiftReversed = "gift_reversed",
        CampaignGoalReached = "campaign_goal_reached",
    }
}

/// A moment to tell someone about.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Natural id: the same moment always has the same key.
    pub key: String,
    pub user_id: Uuid,
    pub kind: Kind,
    /// The facts `render` turns into words.
    pub data: Value,
    /// Past this it is not worth sending (default: a day).
    pub expires_at: Option<DateTime<Utc>>,
}

impl Notice {
    pub fn new(key: String, user_id: Uuid, kind: Kind, data: Value) -> Self {
        Notice {
            key,
            user_id,
            kind,
            data,
            expires_at: None,
        }
    }
}

/// Records notices in the caller's transaction, once per key, for people with a device.
pub async fn record(conn: &mut PgConnection, notices: &[Notice]) -> Result<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = notices.iter().map(|n| n.key.as_str()).collect();
    let users: Vec<Uuid> = notices.iter().map(|n| n.user_id).collect();
    let kinds: Vec<&str> = notices.iter().map(|n| n.kind.as_str()).collect();
    let data: Vec<Value> = notices.iter().map(|n| n.data.clone()).collect();
    let expires: Vec<Option<DateTime<Utc>>> = notices.iter().map(|n| n.expires_at).collect();
    crate::db_query!(
        "INSERT INTO notifications (key, user_id, kind, data, expires_at)
         SELECT q.key, q.user_id, q.kind, q.data, COALESCE(q.expires_at, now() + interval '1 day')
         FROM UNNEST($1::text[], $2::uuid[], $3::text[], $4::jsonb[], $5::timestamptz[])
              AS q(key, user_id, kind, data, expires_at)
         WHERE EXISTS (SELECT 1 FROM push_devices d WHERE d.user_id = q.user_id)
         ON CONFLICT (key) DO NOTHING",
        &keys as &[&str],
        &users,
        &kinds as &[&str],
        &data,
        &expires as &[Option<DateTime<Utc>>],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Coins credited, summed per user and day: a later crediting of the same day adds to the
/// summary while it has not been queued yet (one push per day, not one per record).
pub async fn record_coins(
    conn: &mut PgConnection,
    credited: &[(Uuid, NaiveDate, i64)],
) -> Result<()> {
    let credited: Vec<&(Uuid, NaiveDate, i64)> = credited.iter().filter(|c| c.2 > 0).collect();
    if credited.is_empty() {
        return Ok(());
    }
    let users: Vec<Uuid> = credited.iter().map(|c| c.0).collect();
    let days: Vec<NaiveDate> = credited.iter().map(|c| c.1).collect();
    let coins: Vec<i64> = credited.iter().map(|c| c.2).collect();
    crate::db_query!(
        "INSERT INTO notifications AS n (key, user_id, kind, data)
         SELECT 'coins_credited:' || q.user_id || ':' || q.day, q.user_id, 'coins_credited',
                jsonb_build_object('date', q.day, 'coins', sum(q.coins))
         FROM UNNEST($1::uuid[], $2::date[], $3::int8[]) AS q(user_id, day, coins)
         WHERE EXISTS (SELECT 1 FROM push_devices d WHERE d.user_id = q.user_id)
         GROUP BY q.user_id, q.day
         ON CONFLICT (key) DO UPDATE
             SET data = jsonb_set(n.data, '{coins}', to_jsonb((n.data->>'coins')::bigint + (EXCLUDED.data->>'coins')::bigint))
             WHERE n.queued_at IS NULL",
        &users,
        &days,
        &coins
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An order's status change worth telling its owner about.
pub fn order_notice(
    user_id: Uuid,
    order_id: Uuid,
    order_code: &str,
    status: &str,
    tracking_number: Option<&str>,
    carrier: Option<&str>,
) -> Option<Notice> {
    matches!(
        status,
        "confirmed" | "shipped" | "delivered" | "cancelled" | "refunded"
    )
    .then(|| {
        Notice::new(
            format!("order:{order_id}:{status}"),
            user_id,
            Kind::OrderUpdated,
            json!({ "order_id": order_id, "order_code": order_code, "status": status,
                    "tracking_number": tracking_number, "carrier": carrier }),
        )
    })
}

/// The title and body a person reads in `locale`, from a notification's facts: each kind
/// (and variant) is a `push-<kind>` message of the catalogs with a `.title` attribute.
pub fn render(kind: Kind, data: &Value, locale: Locale) -> (String, String) {
    let (id, mut args) = message(kind, data);
    // Lists and names of their own: rendered in the same language, then passed in.
    if let Some(Value::Array(reasons)) = args.get("reasons") {
        let words: Vec<String> = reasons
            .iter()
            .filter_map(Value::as_str)
            .map(|reason| i18n::render(locale, reason, None, &Map::new()))
            .collect();
        args.insert("reasons".into(), json!(words.join(" ")));
    }
    if let Some(code) = data["code"]
        .as_str()
        .filter(|_| kind == Kind::AchievementUnlocked)
    {
        let id = format!("achievement-{}", code.replace('_', "-"));
        if i18n::has(Locale::En, &id) {
            args.insert(
                "name".into(),
                json!(i18n::render(locale, &id, None, &Map::new())),
            );
        }
    }
    (
        i18n::render(locale, id, Some("title"), &args),
        i18n::render(locale, id, None, &args),
    )
}

/// A notification of `kind` as a walker in `locale` would read it, from sample facts (the
/// console's preview).
pub fn preview(kind: Kind, locale: Locale) -> (String, String) {
    let data = json!({
        "date": "2026-12-07", "coins": 1234, "rules": ["personal_spike", "night_walking"],
        "approved": true, "code": "steps_10k", "name": "Ten Thousand", "bonus_coins": 50,
        "order_code": "FK-2026-00042", "status": "shipped", "carrier": "DHL", "tracking_number": "JD0001",
        "streak_days": 6, "steps_today": 3000, "goal": 10000, "alias": "Ann W.",
        "title": "Daily Showdown", "stake_coins": 500, "result": "won", "payout_coins": 2000,
        "team": "Tuesday Hikers", "steps": 123456, "friends": 5, "charity": "Clean Water Local",
    });
    render(kind, &data, locale)
}

/// The catalog message of a notification and its arguments.
fn message(kind: Kind, data: &Value) -> (&'static str, Map<String, Value>) {
    let mut args = data.as_object().cloned().unwrap_or_default();
    let text = |key: &str| data[key].as_str().unwrap_or_default();
    let id = match kind {
        Kind::CoinsCredited => "push-coins-credited",
        Kind::DayHeld => {
            // The reasons a day was held, each a catalog message of its own.
            let reasons: Vec<String> = data["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|rule| format!("reason-{}", rule.replace('_', "-")))
                .collect();
            args.insert("reasons".into(), json!(reasons));
            "push-day-held"
        }
        Kind::ReviewDecided if data["approved"] == true => "push-review-approved",
        Kind::ReviewDecided => "push-review-rejected",
        Kind::AchievementUnlocked => {
            // Achievements of the catalog are named in the walker's language; one an
            // admin added later keeps the name it was given.
            args.insert("bonus".into(), data["bonus_coins"].clone());
            "push-achievement-unlocked"
        }
        Kind::OrderUpdated => match (
            text("status"),
            data["carrier"].is_string(),
            data["tracking_number"].is_string(),
        ) {
            ("shipped", true, true) => "push-order-shipped-carrier",
            ("shipped", false, true) => "push-order-shipped-tracking",
            ("shipped", _, _) => "push-order-shipped",
            ("delivered", _, _) => "push-order-delivered",
            ("cancelled", _, _) => "push-order-cancelled",
            ("refunded", _, _) => "push-order-refunded",
            _ => "push-order-confirmed",
        },
        Kind::StreakAtRisk => {
            let left = (data["goal"].as_i64().unwrap_or_default()
                - data["steps_today"].as_i64().unwrap_or_default())
            .max(0);
            args.insert("left".into(), json!(left));
            if data["freeze_held"] == true {
                "push-streak-freeze"
            } else {
                "push-streak-at-risk"
            }
        }
        Kind::ChallengeInvited => "push-challenge-invited",
        Kind::ChallengeStarted => "push-challenge-started",
        Kind::ChallengeOvertaken => "push-challenge-overtaken",
        Kind::ChallengeEnded if data["cancelled"] == true => "push-challenge-cancelled",
        Kind::ChallengeEnded => "push-challenge-ended",
        Kind::GiftArrived => "push-gift-arrived",
        Kind::GiftSettled => "push-gift-settled",
        Kind::GiftReversed if data["to_sender"] == true => "push-gift-returned",
        Kind::GiftReversed => "push-gift-withdrawn",
        Kind::CampaignGoalReached => "push-campaign-goal-reached",
        Kind::ChallengeResult => match text("result") {
            "won" => "push-challenge-won",
            "goal_met" => "push-challenge-goal-met",
            "stake_returned" => "push-challenge-stake-returned",
            _ => "push-challenge-lost",
        },
        Kind::FriendRequest => "push-friend-request",
        Kind::FriendAccepted => "push-friend-accepted",
        Kind::TeamJoined => "push-team-joined",
        Kind::TeamGoalReached => "push-team-goal-reached",
    };
    (id, args)
}

/// A message on the notification queue: one notification to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub key: String,
}

/// Housekeeping: deletes up to `limit` notifications finished (sent, muted, expired)
/// over 30 days ago, with their per-device deliveries.
pub async fn delete_old(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<u64> {
    Ok(crate::db_query!(
        "DELETE FROM notifications WHERE key IN (
             SELECT key FROM notifications WHERE finished_at < $2::timestamptz - interval '30 days' LIMIT $1)",
        limit,
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// A deleted account's devices, choices and notifications go; returns the devices' SNS
/// endpoints for the caller to delete once this commits (nothing is pushed to a deleted
/// account either way: the rows are gone).
pub async fn forget_user(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<String>> {
    let endpoints = devices::endpoints_of(conn, user_id).await?;
    crate::db_query!("DELETE FROM push_devices WHERE user_id = $1", user_id)
        .execute(&mut *conn)
        .await?;
    crate::db_query!(
        "DELETE FROM notification_preferences WHERE user_id = $1",
        user_id
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!("DELETE FROM notifications WHERE user_id = $1", user_id)
        .execute(conn)
        .await?;
    Ok(endpoints)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_as_a_sentence_from_its_facts() {
        let cases = [
            (
                Kind::CoinsCredited,
                json!({"date": "2026-11-24", "coins": 8200}),
                "+8,200 coins for your steps on Tuesday, November 24.",
            ),
            (
                Kind::DayHeld,
                json!({"date": "2026-11-24", "rules": ["personal_spike"]}),
                "Your steps on Tuesday, November 24 are held for a quick review. This day is far above your usual day. We'll tell you how it went.",
            ),
            (
                Kind::ReviewDecided,
                json!({"date": "2026-11-24", "approved": false, "note": "No hourly data."}),
                "Your steps on Tuesday, November 24 were not approved: No hourly data.",
            ),
            (
                Kind::AchievementUnlocked,
                json!({"name": "First 10K", "bonus_coins": 100}),
                "First 10K! +100 coins.",
            ),
            (
                Kind::OrderUpdated,
                json!({"order_code": "FK-2026-00007", "status": "shipped", "carrier": "UPS", "tracking_number": "1Z9"}),
                "Order FK-2026-00007 shipped with UPS, tracking 1Z9.",
            ),
            (
                Kind::StreakAtRisk,
                json!({"streak_days": 6, "steps_today": 3000, "goal": 10000}),
                "You're on a 6-day streak: 7,000 more steps today keep it alive.",
            ),
            (
                Kind::ChallengeInvited,
                json!({"alias": "Ann W.", "title": "Weekend Warrior", "stake_coins": 500}),
                "Ann W. invites you to Weekend Warrior for a stake of 500 coins.",
            ),
            (
                Kind::ChallengeOvertaken,
                json!({"alias": "Bob K.", "title": "Daily Showdown"}),
                "Bob K. passed you in Daily Showdown. Time for a walk?",
            ),
            (
                Kind::ChallengeResult,
                json!({"title": "Daily Showdown", "result": "won", "payout_coins": 2000}),
                "You won Daily Showdown: +2,000 coins.",
            ),
            (
                Kind::ChallengeResult,
                json!({"title": "Ten by ten", "result": "stake_returned", "payout_coins": 300}),
                "Ten by ten is settled and your 300 coins are back.",
            ),
            (
                Kind::GiftArrived,
                json!({"alias": "Sam F.", "coins": 500}),
                "Sam F. sent you 500 coins. They're yours to spend in 7 days.",
            ),
            (
                Kind::GiftReversed,
                json!({"coins": 500, "to_sender": true}),
                "Your gift of 500 coins was returned to your wallet.",
            ),
            (
                Kind::CampaignGoalReached,
                json!({"title": "Steps for clean water", "charity": "Clean Water Local"}),
                "Steps for clean water for Clean Water Local reached its goal. Thank you for giving!",
            ),
        ];
        for (kind, data, body) in cases {
            assert_eq!(render(kind, &data, Locale::En).1, body, "{kind:?}");
        }
    }

    #[test]
    fn only_status_changes_a_customer_cares_about_are_notices() {
        let (user, order) = (Uuid::new_v4(), Uuid::new_v4());
        assert!(order_notice(user, order, "FK-1", "processing", None, None).is_none());
        let shipped =
            order_notice(user, order, "FK-1", "shipped", Some("1Z"), Some("UPS")).unwrap();
        assert_eq!(shipped.key, format!("order:{order}:shipped"));
        assert_eq!(shipped.kind, Kind::OrderUpdated);
    }
}
