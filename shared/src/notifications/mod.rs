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
use serde_json::{json, Value};
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

/// The title and body a person reads, from a notification's facts.
pub fn render(kind: Kind, data: &Value) -> (String, String) {
    let text = |key: &str| data[key].as_str().unwrap_or_default().to_owned();
    let number = |key: &str| data[key].as_i64().unwrap_or_default();
    let date = data["date"]
        .as_str()
        .and_then(|d| d.parse::<NaiveDate>().ok())
        .map(|d| d.format("%A, %B %-d").to_string())
        .unwrap_or_else(|| "that day".into());
    match kind {
        Kind::CoinsCredited => (
            "Coins earned".into(),
            format!("+{} coins for your steps on {date}.", number("coins")),
        ),
        Kind::DayHeld => {
            let reasons: Vec<&str> = data["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let why = if reasons.is_empty() {
                String::new()
            } else {
                format!(" {}", reasons.join(" "))
            };
            (
                "A day is being checked".into(),
                format!(
                    "Your steps on {date} are held for a quick review.{why} We'll tell you how it went."
                ),
            )
        }
        Kind::ReviewDecided if data["approved"] == true => (
            "Review done: approved".into(),
            format!("Your steps on {date} were approved and the coins are yours."),
        ),
        Kind::ReviewDecided => (
            "Review done".into(),
            format!("Your steps on {date} were not approved: {}", text("note")),
        ),
        Kind::AchievementUnlocked => {
            let bonus = number("bonus_coins");
            let reward = if bonus > 0 {
                format!(" +{bonus} coins.")
            } else {
                String::new()
            };
            (
                "Achievement unlocked".into(),
                format!("{}!{reward}", text("name")),
            )
        }
        Kind::OrderUpdated => {
            let code = text("order_code");
            match data["status"].as_str().unwrap_or_default() {
                "shipped" => {
                    let tracking =
                        match (data["carrier"].as_str(), data["tracking_number"].as_str()) {
                            (Some(carrier), Some(number)) => {
                                format!(" with {carrier}, tracking {number}")
                            }
                            (None, Some(number)) => format!(", tracking {number}"),
                            _ => String::new(),
                        };
                    (
                        "Your reward is on its way".into(),
                        format!("Order {code} shipped{tracking}."),
                    )
                }
                "delivered" => (
                    "Delivered".into(),
                    format!("Order {code} was delivered. Enjoy!"),
                ),
                "cancelled" => (
                    "Order cancelled".into(),
                    format!("Order {code} was cancelled and your coins are back."),
                ),
                "refunded" => (
                    "Order refunded".into(),
                    format!("Your coins for order {code} are back."),
                ),
                _ => (
                    "Order confirmed".into(),
                    format!("Order {code} is confirmed and being prepared."),
                ),
            }
        }
        Kind::StreakAtRisk if data["freeze_held"] == true => (
            "Your streak is safe, for now".into(),
            format!(
                "Your streak freeze covers today if you miss it; {} more steps keep the freeze for later.",
                (number("goal") - number("steps_today")).max(0)
            ),
        ),
        Kind::StreakAtRisk => (
            "Keep your streak going".into(),
            format!(
                "You're on a {}-day streak: {} more steps today keep it alive.",
                number("streak_days"),
                (number("goal") - number("steps_today")).max(0)
            ),
        ),
        Kind::ChallengeInvited => {
            let stake = match number("stake_coins") {
                0 => String::new(),
                coins => format!(" for a stake of {coins} coins"),
            };
            (
                "You're challenged".into(),
                format!("{} invites you to {}{stake}.", text("alias"), text("title")),
            )
        }
        Kind::ChallengeStarted => (
            "The challenge is on".into(),
            format!("{} has started. Every verified step counts!", text("title")),
        ),
        Kind::ChallengeOvertaken => (
            "You've been overtaken".into(),
            format!(
                "{} passed you in {}. Time for a walk?",
                text("alias"),
                text("title")
            ),
        ),
        Kind::ChallengeEnded if data["cancelled"] == true => (
            "Challenge cancelled".into(),
            format!("{} was cancelled; any stake is back in your wallet.", text("title")),
        ),
        Kind::ChallengeEnded => (
            "The challenge is over".into(),
            format!(
                "{} has ended. Results are final once late syncs and reviews are in.",
                text("title")
            ),
        ),
        Kind::GiftArrived => (
            "A gift for you".into(),
            format!(
                "{} sent you {} coins. They're yours to spend in 7 days.",
                text("alias"),
                number("coins")
            ),
        ),
        Kind::GiftSettled => (
            "Your gift is ready".into(),
            format!("{} gifted coins are now in your wallet.", number("coins")),
        ),
        Kind::GiftReversed if data["to_sender"] == true => (
            "Gift returned".into(),
            format!(
                "Your gift of {} coins was returned to your wallet.",
                number("coins")
            ),
        ),
        Kind::GiftReversed => (
            "Gift withdrawn".into(),
            format!(
                "A pending gift of {} coins to you was withdrawn.",
                number("coins")
            ),
        ),
        Kind::CampaignGoalReached => (
            "Goal reached!".into(),
            format!(
                "{} for {} reached its goal. Thank you for giving!",
                text("title"),
                text("charity")
            ),
        ),
        Kind::ChallengeResult => {
            let title = text("title");
            let coins = number("payout_coins");
            match data["result"].as_str().unwrap_or_default() {
                "won" => ("You won!".into(), format!("You won {title}: +{coins} coins.")),
                "goal_met" => (
                    "Goal met".into(),
                    format!("You met the goal of {title}: +{coins} coins."),
                ),
                "stake_returned" => (
                    "Stake returned".into(),
                    format!("{title} is settled and your {coins} coins are back."),
                ),
                _ => (
                    "Challenge settled".into(),
                    format!("{title} is settled. Better luck next time!"),
                ),
            }
        }
        Kind::FriendRequest => (
            "Someone wants to walk with you".into(),
            format!(
                "{} used your invite link. Accept to be friends.",
                text("alias")
            ),
        ),
        Kind::FriendAccepted => (
            "New friend".into(),
            format!("{} accepted: you're friends now.", text("alias")),
        ),
        Kind::TeamJoined => (
            "Welcome to the team".into(),
            format!("You joined {}.", text("team")),
        ),
        Kind::TeamGoalReached => (
            "Team goal reached".into(),
            format!(
                "{} walked {} steps together and reached its goal!",
                text("team"),
                number("steps")
            ),
        ),
    }
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
                "+8200 coins for your steps on Tuesday, November 24.",
            ),
            (
                Kind::DayHeld,
                json!({"date": "2026-11-24", "reasons": ["62,000 steps is far above your usual day."]}),
                "Your steps on Tuesday, November 24 are held for a quick review. 62,000 steps is far above your usual day. We'll tell you how it went.",
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
                "You're on a 6-day streak: 7000 more steps today keep it alive.",
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
                "You won Daily Showdown: +2000 coins.",
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
            assert_eq!(render(kind, &data).1, body, "{kind:?}");
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
