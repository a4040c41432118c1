//! The coin ledger: `coin_transactions` is append-only and the truth; the wallet and the
//! users cache follow it in the same statement. Every balance change in FitKart goes
//! through `post`, which keeps `balance_after = balance_before + amount` and a gap-free
//! per-user sequence, and refuses to take a balance below zero.
//!
//! Lock order, everywhere: step_records / orders → wallets → users.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::{Error, Result};

/// No balance goes below zero: the wallet's and the ledger row's CHECKs stand for this.
pub const CONSTRAINTS: &[crate::error::Constraint] = &[
    crate::error::Constraint {
        name: "wallets_available_coins_check",
        refusal: insufficient_coins,
    },
    crate::error::Constraint {
        name: "coin_transactions_balance_after_check",
        refusal: insufficient_coins,
    },
];

fn insufficient_coins() -> Error {
    Error::conflict(
        "insufficient_coins",
        Text::new("problem-insufficient-coins"),
    )
}

crate::text_enum! {
    /// A ledger row's `transaction_type`.
    pub enum TxType {
        Earned = "earned",
        Spent = "spent",
        Refund = "refund",
        Bonus = "bonus",
        Penalty = "penalty",
        /// Coins put into a challenge's escrow.
        Stake = "stake",
        /// Coins out of a challenge's escrow: a stake back, or winnings.
        Payout = "payout",
        /// A gift's coins leaving the sender (held until it settles).
        GiftSent = "gift_sent",
        /// A settled gift reaching its recipient.
        GiftReceived = "gift_received",
        /// A reversed gift's coins back to the sender.
        GiftReturned = "gift_returned",
        /// Coins given to a charity campaign.
        Donation = "donation",
    }
}

crate::text_enum! {
    /// What a ledger row points at (`reference_type`).
    pub enum Reference {
        StepRecord = "step_record",
        Order = "order",
        Achievement = "achievement",
        Referral = "referral",
        Registration = "registration",
        AdminAdjustment = "admin_adjustment",
        Challenge = "challenge",
        Gift = "gift",
        Campaign = "campaign",
    }
}

/// One change to a user's available coins. `amount` is signed by its effect.
#[derive(Debug, Clone)]
pub struct Posting {
    pub user_id: Uuid,
    pub amount: i64,
    pub tx_type: TxType,
    pub reference: Option<(Reference, Uuid)>,
    pub description: String,
    /// For `earned` rows: the `coins_per_step` the steps were converted at.
    pub coins_per_step: Option<rust_decimal::Decimal>,
}

/// A ledger row as the wallet's transactions show it (`Transaction` in openapi.yaml).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Transaction {
    pub id: Uuid,
    pub amount: i64,
    pub transaction_type: String,
    pub reference_type: Option<String>,
    pub reference_id: Option<Uuid>,
    pub description: Option<String>,
    pub balance_before: i64,
    pub balance_after: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn open_wallet(conn: &mut PgConnection, user_id: Uuid) -> Result<()> {
    crate::db_query!("INSERT INTO wallets (user_id) VALUES ($1)", user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends one ledger row and moves the wallet and the users cache with it; see
/// `post_many`. Fails with `409 insufficient_coins` (and changes nothing) if the balance
/// would go below zero, `404` without a wallet.
pub async fn post(conn: &mut PgConnection, posting: &Posting) -> Result<Transaction> {
    post_many(conn, std::slice::from_ref(posting))
        .await?
        .pop()
        .ok_or(Error::NotFound)
}

/// Appends ledger rows in one statement: per user, the rows chain from the wallet's
/// balance in the given order (`balance_after = balance_before + amount`, sequence numbers
/// from the wallet's counter), and the wallet and users cache move by the users' totals.
/// Wallets are locked in user order first, so concurrent callers cannot deadlock. If any
/// user's balance would go below zero the call fails with `409 insufficient_coins`; call
/// it inside a transaction, which the error then rolls back whole.
pub async fn post_many(conn: &mut PgConnection, postings: &[Posting]) -> Result<Vec<Transaction>> {
    let mut users: Vec<Uuid> = postings.iter().map(|p| p.user_id).collect();
    users.sort();
    users.dedup();
    if users.len() > 1 {
        lock_wallets(&mut *conn, &users).await?;
    }
    post_many_locked(conn, postings).await
}

/// Locks the users' wallets in user order, for a caller that must read or write more
/// under them before posting (crediting: the achievements its days unlock).
pub async fn lock_wallets(conn: &mut PgConnection, users: &[Uuid]) -> Result<()> {
    crate::db_query!(
        "SELECT 1 AS locked FROM wallets WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE",
        users
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(())
}

/// `post_many` for a caller that already holds the wallets' locks (`lock_wallets`).
pub async fn post_many_locked(
    conn: &mut PgConnection,
    postings: &[Posting],
) -> Result<Vec<Transaction>> {
    if postings.is_empty() {
        return Ok(Vec::new());
    }
    let user_ids: Vec<Uuid> = postings.iter().map(|p| p.user_id).collect();
    let amounts: Vec<i64> = postings.iter().map(|p| p.amount).collect();
    let types: Vec<&str> = postings.iter().map(|p| p.tx_type.as_str()).collect();
    let reference_types: Vec<Option<&str>> = postings
        .iter()
        .map(|p| p.reference.map(|(k, _)| k.as_str()))
        .collect();
    let reference_ids: Vec<Option<Uuid>> = postings
        .iter()
        .map(|p| p.reference.map(|(_, id)| id))
        .collect();
    let descriptions: Vec<&str> = postings.iter().map(|p| p.description.as_str()).collect();
    let rates: Vec<Option<rust_decimal::Decimal>> =
        postings.iter().map(|p| p.coins_per_step).collect();
    // Time-ordered ids (UUIDv7): the append-only ledger's primary key grows at its right
    // edge instead of taking each row on a random page.
    let ids: Vec<Uuid> = postings.iter().map(|_| Uuid::now_v7()).collect();
    let rows = crate::db_query_as!(
        Transaction,
        r#"WITH input AS (
               SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::numeric[],
                                    $8::uuid[])
                   WITH ORDINALITY AS i(user_id, amount, tx_type, reference_type, reference_id, description, rate, id, ord)
           ), totals AS (
               SELECT user_id, sum(amount)::int8 AS amount, count(*)::int8 AS n,
                      sum(amount) FILTER (WHERE tx_type IN ('earned', 'bonus'))::int8 AS earned
               FROM input GROUP BY user_id
           ), w AS (
               UPDATE wallets SET
                   available_coins = available_coins + t.amount,
                   total_earned = total_earned + COALESCE(t.earned, 0),
                   ledger_seq = ledger_seq + t.n,
                   last_updated = now()
               FROM totals t
               -- `= ANY`: the wallets by key, where the join alone let the planner hash them all.
               WHERE wallets.user_id = t.user_id AND wallets.user_id = ANY($1)
                 AND wallets.available_coins + t.amount >= 0
               RETURNING wallets.user_id, wallets.available_coins - t.amount AS opening, wallets.ledger_seq - t.n AS seq,
                         wallets.available_coins, wallets.total_earned, wallets.total_spent
           ), cache AS (
               UPDATE users SET total_coins = w.available_coins,
                                lifetime_coins_earned = w.total_earned,
                                lifetime_coins_spent = w.total_spent
               FROM w WHERE users.id = w.user_id AND users.id = ANY($1)
           ), chained AS (
               SELECT i.*, w.opening + sum(i.amount) OVER (PARTITION BY i.user_id ORDER BY i.ord) AS after,
                      w.seq + row_number() OVER (PARTITION BY i.user_id ORDER BY i.ord) AS user_seq
               FROM input i JOIN w ON w.user_id = i.user_id
           )
           INSERT INTO coin_transactions (id, user_id, amount, transaction_type, reference_type, reference_id,
                                          description, balance_before, balance_after, user_seq, coins_per_step)
           SELECT id, user_id, amount, tx_type, reference_type, reference_id, description, after - amount, after,
                  user_seq, rate
           FROM chained ORDER BY ord
           RETURNING id, amount, transaction_type, reference_type, reference_id, description,
                     balance_before, balance_after, created_at"#,
        &user_ids,
        &amounts,
        &types as &[&str],
        &reference_types as &[Option<&str>],
        &reference_ids as &[Option<Uuid>],
        &descriptions as &[&str],
        &rates as &[Option<rust_decimal::Decimal>],
        &ids,
    )
    .fetch_all(&mut *conn)
    .await?;
    if rows.len() == postings.len() {
        return Ok(rows);
    }
    // A user's wallet refused (or is missing): the statement wrote the others, so the
    // caller's transaction must roll back; say why.
    let mut users: Vec<Uuid> = postings.iter().map(|p| p.user_id).collect();
    users.sort();
    users.dedup();
    let wallets = crate::db_query_scalar!(
        "SELECT count(*) AS \"count!\" FROM wallets WHERE user_id = ANY($1)",
        &users
    )
    .fetch_one(conn)
    .await?;
    Err(if wallets as usize == users.len() {
        Error::conflict(
            "insufficient_coins",
            Text::new("problem-insufficient-coins"),
        )
    } else {
        Error::NotFound
    })
}

/// Moves a user's coins between the buckets that sit beside the ledger rather than in
/// it: `frozen` holds coins that already left `available` (with a `spent`, `stake` or
/// `gift_sent` row) but are not gone for good: orders not yet shipped, challenge stakes
/// in escrow and gifts not yet settled; `total_spent` counts coins of shipped orders. The users cache follows. Call
/// under the order's or the challenge's lock, in its transaction.
pub async fn move_held_coins(
    conn: &mut PgConnection,
    user_id: Uuid,
    frozen_delta: i64,
    spent_delta: i64,
) -> Result<()> {
    let updated = crate::db_query!(
        r#"WITH w AS (
               UPDATE wallets SET frozen_coins = frozen_coins + $2, total_spent = total_spent + $3,
                                  last_updated = now()
               WHERE user_id = $1
               RETURNING user_id, total_spent
           )
           UPDATE users SET lifetime_coins_spent = w.total_spent FROM w WHERE users.id = w.user_id"#,
        user_id,
        frozen_delta,
        spent_delta
    )
    .execute(conn)
    .await?;
    if updated.rows_affected() == 1 {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
