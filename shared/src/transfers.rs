//! Coins from one person toward another: the one gate every channel goes through. A gift,
//! a stake into a challenge's pot (and the payout a winner gets from the losers' stakes),
//! a donation to a charity campaign, and any channel added later, ask `check` for the
//! pair and the amount, and only this module writes their ledger rows (`TxType::GiftSent`,
//! `GiftReceived`, `GiftReturned`, `Stake`, `Payout`, `Donation`) and their `transfers`
//! row, from which the rolling windows are summed (tests/api/architecture.rs keeps every
//! other module away from those postings).
//!
//! The policy (docs/pipeline-and-ledger.md, "Transfers"):
//! - the sender: a confirmed email; for gifts and stakes an account of at least 30 days
//!   with 14 verified days;
//! - either side under a fraud hold (a day held for review, a deactivated account): the
//!   transfer waits (a pending gift is not paid) or is refused (`409 transfers_frozen`);
//! - the pair: friends of at least 7 days (a gift; a stake, with the one who invited);
//!   never two accounts linked by a device, a phone number (its last nine digits, any the
//!   accounts ever had) or a shipping address (`409 shared_account`);
//! - velocity over rolling windows, every channel together: what one person moves out in
//!   30 days, what one receives, what passes between one pair (`409
//!   transfer_limit_reached`);
//! - a race's pot is transfers from the losers to the winners: a payout between linked
//!   accounts, or to a winner past their 30-day limit, is held for an admin.
//!
//! Settlement (of a gift, of a challenge) checks again at the moment it pays.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::ledger::{self, Posting, Reference, Transaction, TxType};
use crate::settings::Settings;
use crate::{Error, Result};

/// How old an account must be to send coins to another person, in days, with how many
/// verified days.
pub const SENDER_AGE_DAYS: i64 = 30;
pub const SENDER_VERIFIED_DAYS: i64 = 14;
/// How long two people must have been friends.
pub const FRIENDS_FOR_DAYS: i64 = 7;
/// The rolling window of the velocity limits.
pub const WINDOW_DAYS: i64 = 30;

crate::text_enum! {
    /// The ways coins move between people.
    pub enum Channel {
        Gift = "gift",
        /// Into a challenge's pot.
        Stake = "stake",
        /// From a challenge's losers to its winners.
        Payout = "payout",
        Donation = "donation",
    }
}

/// Whom a transfer goes toward.
#[derive(Debug, Clone, Copy)]
pub enum Toward<'a> {
    /// A gift's recipient.
    Person(Uuid),
    /// A stake: the other people in the challenge, and the one whose invitation this is
    /// (the friendship that counts), if not the sender.
    Pot {
        others: &'a [Uuid],
        invited_by: Option<Uuid>,
    },
    /// A donation: no person receives it.
    Charity,
}

/// Why a transfer may not happen now.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Not now (a hold being decided): a pending transfer waits.
    Wait(Text),
    /// Never as asked: the error says why.
    Refused(&'static str, Text),
}

impl Refusal {
    fn into_error(self) -> Error {
        match self {
            Refusal::Wait(why) => Error::conflict("transfers_frozen", why),
            Refusal::Refused(code @ ("email_unverified" | "account_too_new"), why) => {
                Error::denied(code, why)
            }
            Refusal::Refused(code, why) => Error::conflict(code, why),
        }
    }
}

struct Standing {
    live: bool,
    email_verified: bool,
    created_at: DateTime<Utc>,
    verified_days: i64,
    held_days: i64,
}

async fn standings(conn: &mut PgConnection, people: &[Uuid]) -> Result<BTreeMap<Uuid, Standing>> {
    let rows = crate::db_query!(
        r#"SELECT u.id, (u.is_active AND u.deleted_at IS NULL) AS "live!", u.email_verified, u.created_at,
                  (SELECT count(*) FROM step_records r WHERE r.user_id = u.id AND r.status = 'verified') AS "verified_days!",
                  (SELECT count(*) FROM step_records r WHERE r.user_id = u.id AND r.status = 'suspicious') AS "held_days!"
           FROM users u WHERE u.id = ANY($1)"#,
        people
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                Standing {
                    live: r.live,
                    email_verified: r.email_verified,
                    created_at: r.created_at,
                    verified_days: r.verified_days,
                    held_days: r.held_days,
                },
            )
        })
        .collect())
}

/// A fraud hold on `whose` account (`yours`, `theirs`, `participant`'s): a day held for
/// review, or the account deactivated.
fn hold(standing: Option<&Standing>, whose: &str) -> Option<Refusal> {
    match standing {
        None => Some(Refusal::Refused(
            "account_gone",
            Text::new("problem-account-gone").arg("whose", whose),
        )),
        Some(s) if !s.live => Some(Refusal::Wait(
            Text::new("problem-account-under-review").arg("whose", whose),
        )),
        Some(s) if s.held_days > 0 => Some(Refusal::Wait(
            Text::new("problem-account-day-held").arg("whose", whose),
        )),
        _ => None,
    }
}

/// The pairs among `people` that are linked, as one person's accounts would be: a device
/// both synced from, a phone number both ever had (its last nine digits), or a shipping
/// address both ever used (street, postal code and country, without spacing or case).
/// Each pair once, lower id first.
pub async fn linked(conn: &mut PgConnection, people: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
    let rows = crate::db_query!(
        r#"WITH addresses AS (
               SELECT DISTINCT user_id,
                      lower(regexp_replace(shipping_address->>'line1', '[^[:alnum:]]+', '', 'g')) || '|' ||
                      upper(regexp_replace(shipping_address->>'postal_code', '[^[:alnum:]]+', '', 'g')) || '|' ||
                      upper(shipping_address->>'country') AS address
               FROM orders WHERE user_id = ANY($1)
           ),
           phones AS (
               SELECT DISTINCT user_id, value FROM profile_history WHERE field = 'phone' AND user_id = ANY($1)
           ),
           devices AS (
               SELECT DISTINCT user_id, lower(btrim(device_id)) AS device FROM device_accounts WHERE user_id = ANY($1)
           )
           SELECT a.user_id AS "a!", b.user_id AS "b!" FROM devices a
           JOIN devices b ON b.device = a.device AND b.user_id > a.user_id
           UNION
           SELECT a.user_id, b.user_id FROM phones a JOIN phones b ON b.value = a.value AND b.user_id > a.user_id
           UNION
           SELECT a.user_id, b.user_id FROM addresses a
           JOIN addresses b ON b.address = a.address AND b.user_id > a.user_id"#,
        people
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.a, r.b)).collect())
}

fn shared_account() -> Refusal {
    Refusal::Refused("shared_account", Text::new("problem-shared-account"))
}

/// Coins that moved in the window before `now`: out of `from`, into `to`, and from `from`
/// to `to`.
struct Flows {
    out: i64,
    into: i64,
    pair: i64,
}

async fn flows(
    conn: &mut PgConnection,
    from: Uuid,
    to: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Flows> {
    let since = now - Duration::days(WINDOW_DAYS);
    let row = crate::db_query!(
        r#"SELECT
               (SELECT COALESCE(sum(coins), 0)::int8 FROM transfers
                WHERE from_user = $1 AND undone_at IS NULL AND created_at > $3) AS "out!",
               (SELECT COALESCE(sum(coins), 0)::int8 FROM transfers
                WHERE to_user = $2 AND undone_at IS NULL AND created_at > $3) AS "into!",
               (SELECT COALESCE(sum(coins), 0)::int8 FROM transfers
                WHERE from_user = $1 AND to_user = $2 AND undone_at IS NULL AND created_at > $3) AS "pair!""#,
        from,
        to,
        since
    )
    .fetch_one(conn)
    .await?;
    Ok(Flows {
        out: row.out,
        into: row.into,
        pair: row.pair,
    })
}

fn over(limit: i64, what: &str) -> Refusal {
    Refusal::Refused(
        "transfer_limit_reached",
        Text::new("problem-transfer-limit-reached")
            .arg("what", what)
            .arg("limit", limit)
            .arg("days", WINDOW_DAYS),
    )
}

/// The policy for `from` moving `coins` toward `toward` over `channel` at `now`: `Ok`, or
/// why not. Reads only; the caller moves the coins (through this module) if it may.
pub async fn verdict(
    conn: &mut PgConnection,
    settings: &Settings,
    from: Uuid,
    toward: Toward<'_>,
    coins: i64,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(), Refusal>> {
    let people: Vec<Uuid> = match toward {
        Toward::Person(to) => vec![from, to],
        Toward::Pot { others, .. } => std::iter::once(from)
            .chain(others.iter().copied())
            .collect(),
        Toward::Charity => vec![from],
    };
    let standing = standings(conn, &people).await?;
    let sender = standing.get(&from);
    // The sender: who they are.
    if let Some(s) = sender {
        if !s.email_verified {
            return Ok(Err(Refusal::Refused(
                "email_unverified",
                Text::new("problem-email-unverified-transfers"),
            )));
        }
        let needs_history = matches!(channel, Channel::Gift | Channel::Stake);
        if needs_history
            && (s.created_at > now - Duration::days(SENDER_AGE_DAYS)
                || s.verified_days < SENDER_VERIFIED_DAYS)
        {
            return Ok(Err(Refusal::Refused(
                "account_too_new",
                Text::new("problem-account-too-new")
                    .arg("days", SENDER_AGE_DAYS)
                    .arg("verified_days", SENDER_VERIFIED_DAYS),
            )));
        }
    }
    if let Some(refusal) = hold(sender, "yours") {
        return Ok(Err(refusal));
    }
    // The other side: held, gone, linked, a friend for long enough.
    let others: Vec<Uuid> = people.iter().copied().filter(|p| *p != from).collect();
    for other in &others {
        if let Some(refusal) = hold(standing.get(other), "theirs") {
            return Ok(Err(refusal));
        }
    }
    // Only links of the sender's own: two others in a pot who share a phone are each
    // refused when they join, not the sender.
    if !others.is_empty()
        && linked(conn, &people)
            .await?
            .iter()
            .any(|(a, b)| *a == from || *b == from)
    {
        return Ok(Err(shared_account()));
    }
    let friend = match toward {
        Toward::Person(to) => Some(to),
        Toward::Pot { invited_by, .. } => invited_by.filter(|i| *i != from),
        Toward::Charity => None,
    };
    if let Some(friend) = friend {
        let since = crate::db_query_scalar!(
            "SELECT created_at FROM friendships WHERE (user_a, user_b) = (LEAST($1::uuid, $2::uuid), GREATEST($1::uuid, $2::uuid))",
            from,
            friend
        )
        .fetch_optional(&mut *conn)
        .await?;
        match since {
            None => {
                return Ok(Err(Refusal::Refused(
                    "not_friends",
                    Text::new("problem-not-friends"),
                )))
            }
            Some(since) if since > now - Duration::days(FRIENDS_FOR_DAYS) => {
                return Ok(Err(Refusal::Refused(
                    "friendship_too_new",
                    Text::new("problem-friendship-too-new").arg("days", FRIENDS_FOR_DAYS),
                )))
            }
            Some(_) => {}
        }
    }
    // Velocity, every channel together.
    let to = match toward {
        Toward::Person(to) => Some(to),
        _ => None,
    };
    let flows = flows(conn, from, to, now).await?;
    if flows.out + coins > settings.transfer_sender_coins_30d {
        return Ok(Err(over(settings.transfer_sender_coins_30d, "you")));
    }
    if to.is_some() {
        if flows.into + coins > settings.transfer_recipient_coins_30d {
            return Ok(Err(over(
                settings.transfer_recipient_coins_30d,
                "recipient",
            )));
        }
        if flows.pair + coins > settings.transfer_pair_coins_30d {
            return Ok(Err(over(settings.transfer_pair_coins_30d, "pair")));
        }
    }
    Ok(Ok(()))
}

/// `verdict`, with a refusal as the error a client gets.
pub async fn check(
    conn: &mut PgConnection,
    settings: &Settings,
    from: Uuid,
    toward: Toward<'_>,
    coins: i64,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<()> {
    verdict(conn, settings, from, toward, coins, channel, now)
        .await?
        .map_err(Refusal::into_error)
}

/// Records a transfer.
#[allow(clippy::too_many_arguments)]
async fn record(
    conn: &mut PgConnection,
    channel: Channel,
    from: Uuid,
    to: Option<Uuid>,
    coins: i64,
    reference: (Reference, Uuid),
    now: DateTime<Utc>,
) -> Result<()> {
    crate::db_query!(
        "INSERT INTO transfers (channel, from_user, to_user, coins, reference_type, reference_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        channel.as_str(),
        from,
        to,
        coins,
        reference.0.as_str(),
        reference.1,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A transfer of `from` that no longer counts (a gift reversed, a stake returned). The
/// stamp is the database's: no rule compares it, only whether it is there.
async fn undo(
    conn: &mut PgConnection,
    channel: Channel,
    from: Uuid,
    reference: (Reference, Uuid),
) -> Result<()> {
    crate::db_query!(
        "UPDATE transfers SET undone_at = now()
         WHERE channel = $1 AND from_user = $2 AND reference_type = $3 AND reference_id = $4
           AND undone_at IS NULL",
        channel.as_str(),
        from,
        reference.0.as_str(),
        reference.1
    )
    .execute(conn)
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ gifts

/// A gift leaves its sender (`gift_sent`, held in `frozen` until it settles), after the
/// policy allowed it (`check` first, in the same transaction).
pub async fn send_gift(
    conn: &mut PgConnection,
    sender: Uuid,
    recipient: Uuid,
    gift: Uuid,
    coins: i64,
    now: DateTime<Utc>,
) -> Result<Transaction> {
    let posted = ledger::post(
        conn,
        &posting(
            sender,
            -coins,
            TxType::GiftSent,
            (Reference::Gift, gift),
            "Gift to a friend",
        ),
    )
    .await?;
    ledger::move_held_coins(conn, sender, coins, 0).await?;
    record(
        conn,
        Channel::Gift,
        sender,
        Some(recipient),
        coins,
        (Reference::Gift, gift),
        now,
    )
    .await?;
    Ok(posted)
}

/// Whether a pending gift may be paid now: `Wait` while either side is held, `Refused`
/// when the two became linked since, or either left.
pub async fn may_settle_gift(
    conn: &mut PgConnection,
    sender: Uuid,
    recipient: Uuid,
) -> Result<std::result::Result<(), Refusal>> {
    let standing = standings(conn, &[sender, recipient]).await?;
    if let Some(refusal) = hold(standing.get(&sender), "The sender's")
        .or_else(|| hold(standing.get(&recipient), "The recipient's"))
    {
        return Ok(Err(refusal));
    }
    if !linked(conn, &[sender, recipient]).await?.is_empty() {
        return Ok(Err(shared_account()));
    }
    Ok(Ok(()))
}

/// A pending gift reaches its recipient: `gift_received`, the sender's hold released.
/// The caller locked the gift and both wallets and asked `may_settle_gift`.
pub async fn settle_gift(
    conn: &mut PgConnection,
    sender: Uuid,
    recipient: Uuid,
    gift: Uuid,
    coins: i64,
) -> Result<()> {
    let received = posting(
        recipient,
        coins,
        TxType::GiftReceived,
        (Reference::Gift, gift),
        "Gift from a friend",
    );
    finish_gift(conn, sender, coins, received).await
}

/// A pending gift's hold on the sender's coins released, and `posting` (to the recipient,
/// or back to the sender) made.
async fn finish_gift(
    conn: &mut PgConnection,
    sender: Uuid,
    coins: i64,
    posting: Posting,
) -> Result<()> {
    ledger::move_held_coins(conn, sender, -coins, 0).await?;
    ledger::post_many_locked(conn, &[posting]).await?;
    Ok(())
}

/// A ledger row of this module's.
fn posting(
    user_id: Uuid,
    amount: i64,
    tx_type: TxType,
    reference: (Reference, Uuid),
    description: &str,
) -> Posting {
    Posting {
        user_id,
        amount,
        tx_type,
        reference: Some(reference),
        description: description.to_owned(),
        coins_per_step: None,
    }
}

/// A pending gift goes back to its sender (`gift_returned`), the hold released; it no
/// longer counts toward anyone's limits. The caller locked the sender's wallet.
pub async fn return_gift(
    conn: &mut PgConnection,
    sender: Uuid,
    gift: Uuid,
    coins: i64,
) -> Result<()> {
    let returned = posting(
        sender,
        coins,
        TxType::GiftReturned,
        (Reference::Gift, gift),
        "Gift returned",
    );
    finish_gift(conn, sender, coins, returned).await?;
    undo(conn, Channel::Gift, sender, (Reference::Gift, gift)).await
}

// ------------------------------------------------------------------ stakes and payouts

/// `user`'s stake goes into challenge `challenge`'s pot (`stake`, held in `frozen` until
/// settlement), after the policy allowed it. The caller locked the wallet.
pub async fn stake(
    conn: &mut PgConnection,
    user: Uuid,
    challenge: Uuid,
    coins: i64,
    description: String,
    now: DateTime<Utc>,
) -> Result<()> {
    ledger::post(
        conn,
        &posting(
            user,
            -coins,
            TxType::Stake,
            (Reference::Challenge, challenge),
            &description,
        ),
    )
    .await?;
    ledger::move_held_coins(conn, user, coins, 0).await?;
    record(
        conn,
        Channel::Stake,
        user,
        None,
        coins,
        (Reference::Challenge, challenge),
        now,
    )
    .await
}

/// One competitor's part of a settled pot: what they put in, what they get out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub user_id: Uuid,
    pub stake: i64,
    pub payout: i64,
}

/// The pot's movements from its losers to its winners: each loser's loss spread over
/// the winners in proportion to their gains (largest remainders, so the coins add up).
pub fn pair_flows(shares: &[Share]) -> Vec<(Uuid, Uuid, i64)> {
    let gains: Vec<(Uuid, i64)> = shares
        .iter()
        .filter(|s| s.payout > s.stake)
        .map(|s| (s.user_id, s.payout - s.stake))
        .collect();
    let total_gain: i64 = gains.iter().map(|g| g.1).sum();
    let mut flows = Vec::new();
    if total_gain == 0 {
        return flows;
    }
    for loser in shares.iter().filter(|s| s.stake > s.payout) {
        let loss = loser.stake - loser.payout;
        let mut parts: Vec<(Uuid, i64, i64)> = gains
            .iter()
            .map(|(w, g)| (*w, loss * g / total_gain, loss * g % total_gain))
            .collect();
        let mut left = loss - parts.iter().map(|p| p.1).sum::<i64>();
        parts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        for part in parts.iter_mut() {
            if left == 0 {
                break;
            }
            part.1 += 1;
            left -= 1;
        }
        flows.extend(
            parts
                .into_iter()
                .filter(|p| p.1 > 0)
                .map(|p| (loser.user_id, p.0, p.1)),
        );
    }
    flows
}

/// Whether a settled pot may be paid now: held (`Some(reason)`) when a winner and a loser
/// are linked, either is under a fraud hold, or a winner would pass the 30-day limit of
/// what one person receives.
pub async fn payout_hold(
    conn: &mut PgConnection,
    settings: &Settings,
    shares: &[Share],
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let flows = pair_flows(shares);
    if flows.is_empty() {
        return Ok(None);
    }
    let mut people: Vec<Uuid> = flows.iter().flat_map(|f| [f.0, f.1]).collect();
    people.sort();
    people.dedup();
    let standing = standings(conn, &people).await?;
    for person in &people {
        if let Some(Refusal::Wait(why) | Refusal::Refused(_, why)) =
            hold(standing.get(person), "participant")
        {
            // Held payouts are an admin's to decide: the console reads English.
            return Ok(Some(why.to_string()));
        }
    }
    let links = linked(conn, &people).await?;
    for (loser, winner, _) in &flows {
        let pair = ((*loser).min(*winner), (*loser).max(*winner));
        if links.contains(&pair) {
            return Ok(Some(format!(
                "A winner ({winner}) and a loser ({loser}) share a device, a phone number or an address."
            )));
        }
    }
    let mut gains: BTreeMap<Uuid, i64> = BTreeMap::new();
    for (_, winner, coins) in &flows {
        *gains.entry(*winner).or_default() += coins;
    }
    for (winner, gain) in gains {
        let received = self::flows(conn, winner, Some(winner), now).await?.into;
        if received + gain > settings.transfer_recipient_coins_30d {
            return Ok(Some(format!(
                "{winner} would receive over {} coins from others in {WINDOW_DAYS} days.",
                settings.transfer_recipient_coins_30d
            )));
        }
    }
    Ok(None)
}

/// Pays a settled (or cancelled) pot out of escrow: each share's payout as a `payout`
/// row, every stake's hold released, the stakes no longer counted as sent, and the pot's
/// pairwise movements recorded. The caller locked the challenge, asked `payout_hold` and
/// checked the payouts add up to the pot.
pub async fn pay_out(
    conn: &mut PgConnection,
    challenge: Uuid,
    shares: &[Share],
    description: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut users: Vec<Uuid> = shares.iter().map(|s| s.user_id).collect();
    users.sort();
    ledger::lock_wallets(conn, &users).await?;
    for share in shares.iter().filter(|s| s.stake > 0) {
        ledger::move_held_coins(conn, share.user_id, -share.stake, 0).await?;
    }
    let postings: Vec<Posting> = shares
        .iter()
        .filter(|s| s.payout > 0)
        .map(|s| {
            posting(
                s.user_id,
                s.payout,
                TxType::Payout,
                (Reference::Challenge, challenge),
                description,
            )
        })
        .collect();
    ledger::post_many_locked(conn, &postings).await?;
    // A stake no longer counts as sent: what the owner lost is the pot's movement below.
    for share in shares.iter().filter(|s| s.stake > 0) {
        undo(
            conn,
            Channel::Stake,
            share.user_id,
            (Reference::Challenge, challenge),
        )
        .await?;
    }
    for (loser, winner, coins) in pair_flows(shares) {
        record(
            conn,
            Channel::Payout,
            loser,
            Some(winner),
            coins,
            (Reference::Challenge, challenge),
            now,
        )
        .await?;
    }
    Ok(())
}

// ------------------------------------------------------------------ donations

/// `user` gives `coins` to campaign `campaign` (a `donation` row), after the policy
/// allowed it. The caller locked the campaign.
pub async fn donate(
    conn: &mut PgConnection,
    user: Uuid,
    campaign: Uuid,
    coins: i64,
    charity: &str,
    now: DateTime<Utc>,
) -> Result<Transaction> {
    let posted = ledger::post(
        conn,
        &posting(
            user,
            -coins,
            TxType::Donation,
            (Reference::Campaign, campaign),
            &format!("Donation to {charity}"),
        ),
    )
    .await?;
    record(
        conn,
        Channel::Donation,
        user,
        None,
        coins,
        (Reference::Campaign, campaign),
        now,
    )
    .await?;
    Ok(posted)
}

/// A person's transfers for their export.
pub async fn export(conn: &mut PgConnection, user: Uuid) -> Result<serde_json::Value> {
    let rows = crate::db_query!(
        r#"SELECT channel, from_user = $1 AS "sent!", coins, reference_type, reference_id, created_at, undone_at
           FROM transfers WHERE from_user = $1 OR to_user = $1 ORDER BY created_at"#,
        user
    )
    .fetch_all(conn)
    .await?;
    Ok(serde_json::Value::Array(
        rows.into_iter()
            .map(|r| {
                json!({ "channel": r.channel, "direction": if r.sent { "out" } else { "in" },
                        "coins": r.coins, "reference_type": r.reference_type,
                        "reference_id": r.reference_id, "at": r.created_at, "undone_at": r.undone_at })
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(n: u128, stake: i64, payout: i64) -> Share {
        Share {
            user_id: Uuid::from_u128(n),
            stake,
            payout,
        }
    }

    #[test]
    fn a_pot_moves_from_each_loser_to_the_winners_in_proportion() {
        // Three stake 1,000; one wins 3,000: two losers give 1,000 each to the winner.
        let flows = pair_flows(&[
            share(1, 1_000, 0),
            share(2, 1_000, 3_000),
            share(3, 1_000, 0),
        ]);
        assert_eq!(
            flows,
            [
                (Uuid::from_u128(1), Uuid::from_u128(2), 1_000),
                (Uuid::from_u128(3), Uuid::from_u128(2), 1_000)
            ]
        );
        // Two winners split 303: each loser's loss spread, every coin accounted for.
        let shares = [share(1, 101, 0), share(2, 101, 152), share(3, 101, 151)];
        let flows = pair_flows(&shares);
        assert_eq!(flows.iter().map(|f| f.2).sum::<i64>(), 101);
        assert!(flows.iter().all(|f| f.0 == Uuid::from_u128(1)));
        // Stakes back, nobody won: nothing moved between people.
        assert!(pair_flows(&[share(1, 50, 50), share(2, 50, 50)]).is_empty());
    }
}
