//! Gifts: coins a person sends a friend. Every transfer is also a way to move farmed coins
//! from many throwaway accounts into one, so the rules matter as much as the feature:
//!
//! - the transfer policy (`transfers`, the gate every coin between people passes): the
//!   sender's account is at least 30 days old, has at least 14 verified days and a
//!   confirmed email; the two have been friends for at least 7 days; they are not linked
//!   (a device, a phone number, an address); neither is under a fraud hold; the rolling
//!   30-day limits per sender, recipient and pair;
//! - and a gift's own: at most 3 gifts sent and 5 received in 24 hours, each at most
//!   `gift_max_coins`, and at most `gift_max_coins_month` given in any 30 days;
//! - a gift is *pending* for 7 days: the sender's coins leave `available` at once (a
//!   `gift_sent` row) and are held in `frozen`, like an order's; the recipient sees the gift
//!   but cannot spend it. Then the gifts job settles it (`gift_received` to the recipient,
//!   the sender's hold released, in one transaction) if the policy allows it then: it
//!   waits while either side is under a fraud hold. It is reversed (`gift_returned` to the
//!   sender) by an admin, by a day of the sender's rejected by review or a deactivation,
//!   by the two accounts turning out linked, or because either account left;
//! - a recipient whose incoming gifts in 30 days exceed half of what they earned
//!   themselves, or a sender who gives one person most of what they earn, is flagged into
//!   the admins' report queue with the numbers.
//!
//! Locks, in order: the gift row → the two people's gift locks → wallets → users.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::i18n::Text;
use crate::input::{self, Checks};
use crate::ledger;
use crate::notifications::{self, Kind as NoticeKind, Notice};
use crate::settings::Settings;
use crate::social::{people, reports, Person};
use crate::transfers::{self, Channel, Refusal, Toward};
use crate::{Error, Result};

/// How long a gift waits before the recipient may spend it.
pub const PENDING_DAYS: i64 = 7;
pub use crate::transfers::{FRIENDS_FOR_DAYS, SENDER_AGE_DAYS, SENDER_VERIFIED_DAYS};
/// Gifts one person may send, and receive, in 24 hours.
pub const SENT_PER_DAY: i64 = 3;
pub const RECEIVED_PER_DAY: i64 = 5;
/// The longest message.
pub const MESSAGE_CHARS: usize = 140;

crate::text_enum! {
    pub enum Status {
        Pending = "pending",
        Settled = "settled",
        Reversed = "reversed",
    }
}

crate::text_enum! {
    /// Why a pending gift went back to its sender.
    pub enum Reversal {
        Admin = "admin",
        /// A day of the sender's held for review, or the sender deactivated.
        FraudHold = "fraud_hold",
        SenderLeft = "sender_left",
        RecipientLeft = "recipient_left",
    }
}

/// A checked gift to send.
#[derive(Debug, Clone)]
pub struct NewGift {
    pub recipient_id: Uuid,
    pub coins: i64,
    pub message: Option<String>,
}

impl NewGift {
    /// Every bad field at once (`422`).
    pub fn check(
        recipient_id: &str,
        coins: i64,
        message: Option<String>,
        max: i64,
    ) -> Result<Self> {
        let mut checks = Checks::default();
        let recipient_id = checks.field(
            "recipient_id",
            Uuid::parse_str(recipient_id).map_err(|_| "must be an id".to_owned()),
        );
        let coins = checks.field(
            "coins",
            if (1..=max).contains(&coins) {
                Ok(coins)
            } else {
                Err(format!("must be between 1 and {max}"))
            },
        );
        let message = checks.optional("message", message, |m| {
            let m = input::single_line(&m, MESSAGE_CHARS)?;
            if has_link(&m) {
                Err("must not contain links or web addresses".into())
            } else {
                Ok(m)
            }
        });
        checks.finish()?;
        Ok(NewGift {
            recipient_id: input::checked(recipient_id)?,
            coins: input::checked(coins)?,
            message,
        })
    }
}

/// Whether `text` carries a link: a scheme, `www.`, or a word that reads as a domain
/// (letters, a dot, then at least two letters: `example.com`, `bit.ly/x`).
fn has_link(text: &str) -> bool {
    let lower = text.to_lowercase();
    if lower.contains("://") || lower.contains("www.") {
        return true;
    }
    lower.split_whitespace().any(|word| {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '.');
        let host = word.split('/').next().unwrap_or_default();
        let host = host.trim_end_matches('.');
        match host.rsplit_once('.') {
            Some((name, tld)) => {
                !name.is_empty()
                    && name.chars().last().is_some_and(char::is_alphanumeric)
                    && tld.len() >= 2
                    && tld.chars().all(|c| c.is_ascii_lowercase())
            }
            None => false,
        }
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Gift {
    pub id: Uuid,
    pub sender: Person,
    pub recipient: Person,
    pub coins: i64,
    pub message: Option<String>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub settles_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub reversed_reason: Option<String>,
}

struct Row {
    id: Uuid,
    sender_id: Uuid,
    recipient_id: Uuid,
    coins: i64,
    message: Option<String>,
    status: String,
    created_at: DateTime<Utc>,
    settles_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    reversed_reason: Option<String>,
}

/// Gifts as `viewer` sees their two people (an admin: `None`).
async fn shown(conn: &mut PgConnection, viewer: Option<Uuid>, rows: Vec<Row>) -> Result<Vec<Gift>> {
    let mut ids: Vec<Uuid> = rows
        .iter()
        .flat_map(|r| [r.sender_id, r.recipient_id])
        .collect();
    ids.sort();
    ids.dedup();
    let persons = match viewer {
        Some(viewer) => people(conn, viewer, &ids).await?,
        None => crate::visibility::for_admin(conn, &ids).await?,
    };
    let person = |id: Uuid| {
        persons
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .unwrap_or_else(|| Person::unnamed(id))
    };
    rows.into_iter()
        .map(|r| {
            Ok(Gift {
                id: r.id,
                sender: person(r.sender_id),
                recipient: person(r.recipient_id),
                coins: r.coins,
                message: r.message,
                status: Status::parse(&r.status).map_err(Error::internal)?,
                created_at: r.created_at,
                settles_at: r.settles_at,
                finished_at: r.finished_at,
                reversed_reason: r.reversed_reason,
            })
        })
        .collect()
}

async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Row> {
    if lock {
        crate::db_query!("SELECT id FROM gifts WHERE id = $1 FOR UPDATE", id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    crate::db_query_as!(
        Row,
        r#"SELECT id, sender_id, recipient_id, coins, message, status, created_at, settles_at, finished_at,
                  reversed_reason
           FROM gifts WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// Gift `id` as one of its two people sees it (anyone else: `404`).
pub async fn get(conn: &mut PgConnection, viewer: Uuid, id: Uuid) -> Result<Gift> {
    let row = load(conn, id, false).await?;
    if row.sender_id != viewer && row.recipient_id != viewer {
        return Err(Error::NotFound);
    }
    Ok(shown(conn, Some(viewer), vec![row]).await?.remove(0))
}

/// Gift `id` for an admin.
pub async fn inspect(conn: &mut PgConnection, id: Uuid) -> Result<Gift> {
    let row = load(conn, id, false).await?;
    Ok(shown(conn, None, vec![row]).await?.remove(0))
}

/// The caller's gifts, sent and received, newest first (the last 100).
pub async fn mine(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Gift>> {
    let rows = crate::db_query_as!(
        Row,
        r#"SELECT id, sender_id, recipient_id, coins, message, status, created_at, settles_at, finished_at,
                  reversed_reason
           FROM gifts WHERE sender_id = $1 OR recipient_id = $1
           ORDER BY created_at DESC, id LIMIT 100"#,
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    shown(conn, Some(user), rows).await
}

/// Gifts for the admins, newest first, optionally of one status; keyset pages.
pub async fn list(
    conn: &mut PgConnection,
    status: Option<Status>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<Gift>, Option<String>)> {
    let (before_at, before_id): (DateTime<Utc>, Uuid) = match cursor {
        Some(c) => crate::pagination::decode(c)?,
        None => (DateTime::<Utc>::MAX_UTC, Uuid::max()),
    };
    let rows = crate::db_query_as!(
        Row,
        r#"SELECT id, sender_id, recipient_id, coins, message, status, created_at, settles_at, finished_at,
                  reversed_reason
           FROM gifts
           WHERE ($1::text IS NULL OR status = $1) AND (created_at, id) < ($2, $3)
           ORDER BY created_at DESC, id DESC LIMIT $4"#,
        status.map(Status::as_str),
        before_at,
        before_id,
        limit + 1
    )
    .fetch_all(&mut *conn)
    .await?;
    let (rows, next) = crate::pagination::finish(rows, limit, |r| (r.created_at, r.id));
    Ok((shown(conn, None, rows).await?, next))
}

async fn lock_people(conn: &mut PgConnection, a: Uuid, b: Uuid) -> Result<()> {
    for user in [a.min(b), a.max(b)] {
        crate::db_query!(
            "SELECT pg_advisory_xact_lock(hashtextextended('gifts:' || $1::uuid, 0))",
            user
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// `sender` gives `gift.coins` to a friend: checked against every rule, the coins leave
/// the sender's wallet into the hold, patterns worth a look are flagged, and the
/// recipient is told.
pub async fn send(
    conn: &mut PgConnection,
    settings: &Settings,
    sender: Uuid,
    gift: &NewGift,
    now: DateTime<Utc>,
) -> Result<Gift> {
    let recipient = gift.recipient_id;
    if recipient == sender {
        return Err(Error::invalid("recipient_id", "must not be yourself"));
    }
    lock_people(conn, sender, recipient).await?;
    // The policy every coin between people passes, then a gift's own limits.
    transfers::check(
        conn,
        settings,
        sender,
        Toward::Person(recipient),
        gift.coins,
        Channel::Gift,
        now,
    )
    .await
    .map_err(|e| match e.code() {
        "not_friends" => Error::invalid("recipient_id", "must be one of your friends"),
        _ => e,
    })?;
    let counts = crate::db_query!(
        r#"SELECT
               (SELECT count(*) FROM gifts WHERE sender_id = $1 AND created_at > $3::timestamptz - interval '24 hours') AS "sent_today!",
               (SELECT count(*) FROM gifts WHERE recipient_id = $2 AND created_at > $3::timestamptz - interval '24 hours') AS "received_today!",
               (SELECT COALESCE(sum(coins), 0)::int8 FROM gifts
                WHERE sender_id = $1 AND status <> 'reversed'
                  AND created_at > $3::timestamptz - interval '30 days') AS "sent_this_month!""#,
        sender,
        recipient,
        now
    )
    .fetch_one(&mut *conn)
    .await?;
    if counts.sent_today >= SENT_PER_DAY {
        return Err(Error::conflict(
            "gift_limit_reached",
            Text::new("problem-gift-limit-reached").arg("limit", SENT_PER_DAY),
        ));
    }
    if counts.received_today >= RECEIVED_PER_DAY {
        return Err(Error::conflict(
            "recipient_gift_limit_reached",
            Text::new("problem-recipient-gift-limit-reached"),
        ));
    }
    if counts.sent_this_month + gift.coins > settings.gift_max_coins_month {
        return Err(Error::conflict(
            "monthly_gift_limit_reached",
            Text::new("problem-monthly-gift-limit-reached")
                .arg("limit", settings.gift_max_coins_month)
                .arg(
                    "left",
                    (settings.gift_max_coins_month - counts.sent_this_month).max(0),
                ),
        ));
    }
    let id = crate::db_query_scalar!(
        "INSERT INTO gifts (sender_id, recipient_id, coins, message, settles_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        sender,
        recipient,
        gift.coins,
        gift.message,
        now + Duration::days(PENDING_DAYS)
    )
    .fetch_one(&mut *conn)
    .await?;
    transfers::send_gift(conn, sender, recipient, id, gift.coins, now).await?;
    flag_patterns(conn, sender, recipient).await?;
    let row = load(conn, id, false).await?;
    let sent = shown(conn, Some(sender), vec![row]).await?.remove(0);
    notifications::record(
        conn,
        &[Notice::new(
            format!("gift:{id}:arrived"),
            recipient,
            NoticeKind::GiftArrived,
            json!({ "gift_id": id, "coins": gift.coins, "alias": sent.sender.alias,
                    "settles_at": sent.settles_at }),
        )],
    )
    .await?;
    Ok(sent)
}

/// Flags what looks like coins being gathered or passed on (once per person while a flag
/// is open): a recipient whose gifts in 30 days exceed half of the coins they earned
/// themselves, a sender who gave this recipient over half of what they earned.
async fn flag_patterns(conn: &mut PgConnection, sender: Uuid, recipient: Uuid) -> Result<()> {
    let numbers = crate::db_query!(
        r#"SELECT
               (SELECT COALESCE(sum(amount), 0)::int8 FROM coin_transactions
                WHERE user_id = $2 AND transaction_type = 'earned' AND created_at > now() - interval '30 days') AS "recipient_earned!",
               (SELECT COALESCE(sum(coins), 0)::int8 FROM gifts
                WHERE recipient_id = $2 AND status <> 'reversed' AND created_at > now() - interval '30 days') AS "recipient_gifted!",
               (SELECT COALESCE(sum(amount), 0)::int8 FROM coin_transactions
                WHERE user_id = $1 AND transaction_type = 'earned' AND created_at > now() - interval '30 days') AS "sender_earned!",
               (SELECT COALESCE(sum(coins), 0)::int8 FROM gifts
                WHERE sender_id = $1 AND recipient_id = $2 AND status <> 'reversed'
                  AND created_at > now() - interval '30 days') AS "sender_gave!""#,
        sender,
        recipient
    )
    .fetch_one(&mut *conn)
    .await?;
    if numbers.recipient_gifted * 2 > numbers.recipient_earned {
        reports::flag(
            conn,
            recipient,
            &format!(
                "Received {} coins in gifts in 30 days against {} coins earned from their own steps.",
                numbers.recipient_gifted, numbers.recipient_earned
            ),
        )
        .await?;
    }
    if numbers.sender_gave * 2 > numbers.sender_earned {
        reports::flag(
            conn,
            sender,
            &format!(
                "Gave {} coins in 30 days to one friend ({recipient}) against {} coins earned.",
                numbers.sender_gave, numbers.sender_earned
            ),
        )
        .await?;
    }
    Ok(())
}

/// Settles the pending gifts whose 7 days are over at `now`, each in its own transaction:
/// the recipient's `gift_received` row and the sender's hold released together, if the
/// transfer policy allows it at this moment. A gift whose sender or recipient is under a
/// fraud hold waits for the decision; one between accounts found linked since goes back.
/// Returns how many settled.
pub async fn settle_due(pool: &PgPool, now: DateTime<Utc>) -> Result<u64> {
    let due = crate::db_query_scalar!(
        "SELECT id FROM gifts WHERE status = 'pending' AND settles_at <= $1 ORDER BY settles_at, id",
        now
    )
    .fetch_all(pool)
    .await?;
    let mut settled = 0;
    for id in due {
        let mut tx = pool.begin().await?;
        let locked = crate::db_query_scalar!(
            "SELECT id FROM gifts WHERE id = $1 AND status = 'pending' FOR UPDATE SKIP LOCKED",
            id
        )
        .fetch_optional(&mut *tx)
        .await?;
        if locked.is_none() {
            continue;
        }
        let gift = load(&mut tx, id, false).await?;
        match transfers::may_settle_gift(&mut tx, gift.sender_id, gift.recipient_id).await? {
            Ok(()) => {}
            // A hold being decided: the gift waits, locks released.
            Err(Refusal::Wait(_)) => continue,
            Err(Refusal::Refused(..)) => {
                reverse(&mut tx, id, Reversal::FraudHold, None).await?;
                tx.commit().await?;
                continue;
            }
        }
        let mut users = [gift.sender_id, gift.recipient_id];
        users.sort();
        ledger::lock_wallets(&mut tx, &users).await?;
        transfers::settle_gift(&mut tx, gift.sender_id, gift.recipient_id, id, gift.coins).await?;
        crate::db_query!(
            "UPDATE gifts SET status = 'settled', finished_at = now() WHERE id = $1",
            id
        )
        .execute(&mut *tx)
        .await?;
        notifications::record(
            &mut tx,
            &[Notice::new(
                format!("gift:{id}:settled"),
                gift.recipient_id,
                NoticeKind::GiftSettled,
                json!({ "gift_id": id, "coins": gift.coins }),
            )],
        )
        .await?;
        tx.commit().await?;
        settled += 1;
    }
    Ok(settled)
}

pub fn not_pending() -> Error {
    Error::conflict("gift_not_pending", Text::new("problem-gift-not-pending"))
}

/// Reverses pending gift `id`: the coins go back to the sender (`gift_returned`) and the
/// hold is released; both people are told. Returns the gift after.
pub async fn reverse(
    conn: &mut PgConnection,
    id: Uuid,
    why: Reversal,
    admin: Option<Uuid>,
) -> Result<Gift> {
    let gift = load(conn, id, true).await?;
    if gift.status != Status::Pending.as_str() {
        return Err(not_pending());
    }
    ledger::lock_wallets(conn, &[gift.sender_id]).await?;
    transfers::return_gift(conn, gift.sender_id, id, gift.coins).await?;
    crate::db_query!(
        "UPDATE gifts SET status = 'reversed', finished_at = now(), reversed_reason = $2, reversed_by = $3
         WHERE id = $1",
        id,
        why.as_str(),
        admin
    )
    .execute(&mut *conn)
    .await?;
    let notices: Vec<Notice> = [gift.sender_id, gift.recipient_id]
        .into_iter()
        .map(|user| {
            Notice::new(
                format!("gift:{id}:reversed:{user}"),
                user,
                NoticeKind::GiftReversed,
                json!({ "gift_id": id, "coins": gift.coins, "to_sender": user == gift.sender_id }),
            )
        })
        .collect();
    notifications::record(conn, &notices).await?;
    let row = load(conn, id, false).await?;
    Ok(shown(conn, None, vec![row]).await?.remove(0))
}

/// Reverses every pending gift `user` sent (`as_sender`) or is due to receive, for `why`.
/// Returns how many.
pub async fn reverse_pending(
    conn: &mut PgConnection,
    user: Uuid,
    as_sender: bool,
    why: Reversal,
) -> Result<u64> {
    let pending = crate::db_query_scalar!(
        r#"SELECT id FROM gifts
           WHERE status = 'pending' AND (CASE WHEN $2 THEN sender_id ELSE recipient_id END) = $1
           ORDER BY id"#,
        user,
        as_sender
    )
    .fetch_all(&mut *conn)
    .await?;
    for &id in &pending {
        reverse(conn, id, why, None).await?;
    }
    Ok(pending.len() as u64)
}

/// The gifts `user` sent and received, for their export.
pub async fn export(conn: &mut PgConnection, user: Uuid) -> Result<serde_json::Value> {
    let rows = crate::db_query!(
        r#"SELECT id, sender_id = $1 AS "sent!", coins, message, status, created_at, finished_at, reversed_reason
           FROM gifts WHERE sender_id = $1 OR recipient_id = $1 ORDER BY created_at"#,
        user
    )
    .fetch_all(conn)
    .await?;
    Ok(serde_json::Value::Array(
        rows.into_iter()
            .map(|r| {
                json!({ "id": r.id, "direction": if r.sent { "sent" } else { "received" },
                        "coins": r.coins, "message": r.message, "status": r.status,
                        "created_at": r.created_at, "finished_at": r.finished_at,
                        "reversed_reason": r.reversed_reason })
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_with_links_are_refused_and_plain_ones_pass() {
        for linked in [
            "see https://x.y",
            "www.example.org",
            "go to example.com now",
            "bit.ly/abc",
            "Visit FitKart.APP!",
        ] {
            assert!(has_link(linked), "{linked}");
        }
        for plain in [
            "Well done!",
            "For the 5.5 km walk",
            "e.g. tomorrow",
            "Happy birthday :)",
            "",
        ] {
            assert!(!has_link(plain), "{plain}");
        }
    }

    #[test]
    fn a_gift_is_checked_field_by_field() {
        let ok = NewGift::check(&Uuid::nil().to_string(), 500, Some("Thanks!".into()), 1_000);
        assert!(ok.is_ok());
        let Err(Error::Validation(errors)) =
            NewGift::check("nope", 5_000, Some("see example.com".into()), 1_000)
        else {
            panic!("expected a 422");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["recipient_id", "coins", "message"]);
    }
}
