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

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TxType {
    Earned,
    Spent,
    Refund,
    Bonus,
    Penalty,
}

impl TxType {
    pub fn as_str(self) -> &'static str {
        match self {
            TxType::Earned => "earned",
            TxType::Spent => "spent",
            TxType::Refund => "refund",
            TxType::Bonus => "bonus",
            TxType::Penalty => "penalty",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Ok(match raw {
            "earned" => TxType::Earned,
            "spent" => TxType::Spent,
            "refund" => TxType::Refund,
            "bonus" => TxType::Bonus,
            "penalty" => TxType::Penalty,
            _ => return Err("must be one of earned, spent, refund, bonus, penalty".into()),
        })
    }
}

/// What a ledger row points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    StepRecord,
    Order,
    Achievement,
    Referral,
    Registration,
    AdminAdjustment,
}

impl Reference {
    pub fn as_str(self) -> &'static str {
        match self {
            Reference::StepRecord => "step_record",
            Reference::Order => "order",
            Reference::Achievement => "achievement",
            Reference::Referral => "referral",
            Reference::Registration => "registration",
            Reference::AdminAdjustment => "admin_adjustment",
        }
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

/// A ledger row as API.md shows it.
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
    sqlx::query!("INSERT INTO wallets (user_id) VALUES ($1)", user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends one ledger row and moves the wallet and the users cache with it, in a single
/// statement under the wallet's row lock. Fails with `409 insufficient_coins` (and changes
/// nothing) if the balance would go below zero. Call it inside the caller's transaction.
pub async fn post(conn: &mut PgConnection, posting: &Posting) -> Result<Transaction> {
    let (reference_type, reference_id) = match posting.reference {
        Some((kind, id)) => (Some(kind.as_str()), Some(id)),
        None => (None, None),
    };
    let row = sqlx::query_as!(
        Transaction,
        r#"WITH w AS (
               UPDATE wallets SET
                   available_coins = available_coins + $2,
                   total_earned = total_earned + CASE WHEN $3 IN ('earned', 'bonus') THEN $2 ELSE 0 END,
                   ledger_seq = ledger_seq + 1,
                   last_updated = now()
               WHERE user_id = $1 AND available_coins + $2 >= 0
               RETURNING available_coins, total_earned, total_spent, ledger_seq
           ), cache AS (
               UPDATE users SET total_coins = w.available_coins,
                                lifetime_coins_earned = w.total_earned,
                                lifetime_coins_spent = w.total_spent
               FROM w WHERE users.id = $1
           )
           INSERT INTO coin_transactions (user_id, amount, transaction_type, reference_type, reference_id,
                                          description, balance_before, balance_after, user_seq, coins_per_step)
           SELECT $1, $2, $3, $4, $5, $6, w.available_coins - $2, w.available_coins, w.ledger_seq, $7 FROM w
           RETURNING id, amount, transaction_type, reference_type, reference_id, description,
                     balance_before, balance_after, created_at"#,
        posting.user_id,
        posting.amount,
        posting.tx_type.as_str(),
        reference_type,
        reference_id,
        posting.description,
        posting.coins_per_step,
    )
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(tx) => Ok(tx),
        None => {
            let has_wallet = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM wallets WHERE user_id = $1) AS "exists!""#,
                posting.user_id
            )
            .fetch_one(conn)
            .await?;
            Err(if has_wallet {
                Error::conflict("insufficient_coins", "Not enough coins for this.")
            } else {
                Error::NotFound
            })
        }
    }
}
