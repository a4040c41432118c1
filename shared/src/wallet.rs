//! Wallet reads: the balance summary and the ledger history, newest first, in keyset pages.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::{Transaction, TxType};
use crate::{pagination, Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Wallet {
    pub available_coins: i64,
    pub frozen_coins: i64,
    pub total_earned: i64,
    pub total_spent: i64,
    /// Coins of gifts on their way to the user (pending for 7 days): shown, not spendable.
    pub incoming_gift_coins: i64,
    pub last_updated: DateTime<Utc>,
}

pub async fn get(conn: &mut PgConnection, user_id: Uuid) -> Result<Wallet> {
    crate::db_query_as!(
        Wallet,
        r#"SELECT available_coins, frozen_coins, total_earned, total_spent, last_updated,
                  (SELECT COALESCE(sum(g.coins), 0)::int8 FROM gifts g
                   WHERE g.recipient_id = $1 AND g.status = 'pending') AS "incoming_gift_coins!"
           FROM wallets WHERE user_id = $1"#,
        user_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// One page of the user's ledger, newest first; the cursor is the last row's sequence.
pub async fn transactions(
    conn: &mut PgConnection,
    user_id: Uuid,
    tx_type: Option<TxType>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<Transaction>, Option<String>)> {
    let before: i64 = match cursor {
        Some(c) => pagination::decode(c)?,
        None => i64::MAX,
    };
    let rows = crate::db_query!(
        r#"SELECT id, amount, transaction_type, reference_type, reference_id, description, balance_before,
                  balance_after, created_at, user_seq
           FROM coin_transactions
           WHERE user_id = $1 AND user_seq < $2 AND ($3::text IS NULL OR transaction_type = $3)
           ORDER BY user_seq DESC LIMIT $4"#,
        user_id,
        before,
        tx_type.map(TxType::as_str),
        limit + 1
    )
    .fetch_all(conn)
    .await?;
    let (rows, next) = pagination::finish(rows, limit, |r| r.user_seq);
    let items = rows
        .into_iter()
        .map(|r| Transaction {
            id: r.id,
            amount: r.amount,
            transaction_type: r.transaction_type,
            reference_type: r.reference_type,
            reference_id: r.reference_id,
            description: r.description,
            balance_before: r.balance_before,
            balance_after: r.balance_after,
            created_at: r.created_at,
        })
        .collect();
    Ok((items, next))
}
