//! Coin crediting: turns verified steps into coins exactly once. Under the record's row
//! lock it pays only `verified_steps - credited_steps`, converted at `coins_per_step` with
//! exact decimal arithmetic, rounded down per day and capped by `max_daily_coins`; a
//! replay, a duplicate delivery or a concurrent twin finds nothing left to pay. Used by
//! the coin-credit consumer and by an admin's approval alike.
//!
//! Locks, in order: step_records (by id) → wallets → users (by user id). Every writer
//! takes them in this order, so concurrent batches cannot deadlock on each other.

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::{self, Posting, Reference, TxType};
use crate::settings::Settings;
use crate::{achievements, referrals, App, Result};

/// A crediting request on the coin-credit queue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct CreditRecord {
    pub record_id: Uuid,
}

/// Coins for the day's steps between `credited` and `verified` at `rate`, given what the
/// day already earned. Rounding down applies to the day's total, so paying in several
/// steps never earns more or less than paying at once.
pub fn coins_for(credited: i64, verified: i64, already_paid: i64, rate: Decimal, cap: i64) -> i64 {
    if verified <= credited {
        return 0;
    }
    let total = |steps: i64| {
        (Decimal::from(steps) * rate)
            .floor()
            .to_i64()
            .unwrap_or(i64::MAX)
    };
    let earned = total(verified) - total(credited);
    earned.min(cap - already_paid).max(0)
}

/// Credits a batch of records in one transaction. Returns the records that do not exist.
/// On a database error the whole batch rolls back and nothing is paid; the caller may
/// retry records one by one to isolate a bad one.
pub async fn credit_batch(app: &App, record_ids: &[Uuid]) -> Result<Vec<Uuid>> {
    let settings = app.settings().await?;
    let mut tx = app.db().await?.begin().await?;
    let missing = credit(&mut tx, &settings, record_ids).await?;
    tx.commit().await?;
    Ok(missing)
}

/// The crediting itself, inside the caller's transaction.
pub async fn credit(
    conn: &mut PgConnection,
    settings: &Settings,
    record_ids: &[Uuid],
) -> Result<Vec<Uuid>> {
    let mut ids = record_ids.to_vec();
    ids.sort();
    ids.dedup();
    let records = sqlx::query!(
        r#"SELECT id, user_id, recorded_date, status, verified_steps, credited_steps, coins_credited
           FROM step_records WHERE id = ANY($1) ORDER BY id FOR UPDATE"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let missing: Vec<Uuid> = ids
        .iter()
        .filter(|id| !records.iter().any(|r| r.id == **id))
        .copied()
        .collect();

    // What each record is owed now, grouped by user so wallets are locked in user order.
    let mut by_user: BTreeMap<Uuid, Vec<(Uuid, String, i64, i64)>> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| r.status == "verified" && r.verified_steps > r.credited_steps)
    {
        let coins = coins_for(
            r.credited_steps,
            r.verified_steps,
            r.coins_credited,
            settings.coins_per_step,
            settings.max_daily_coins,
        );
        by_user.entry(r.user_id).or_default().push((
            r.id,
            r.recorded_date.to_string(),
            r.verified_steps - r.credited_steps,
            coins,
        ));
    }
    if by_user.is_empty() {
        return Ok(missing);
    }

    let (mut rec_ids, mut rec_coins) = (Vec::new(), Vec::new());
    let (mut user_ids, mut user_steps) = (Vec::new(), Vec::new());
    let mut postings = Vec::new();
    let mut paid_users = Vec::new();
    for (user_id, days) in &by_user {
        for (record_id, date, steps, coins) in days {
            if *coins > 0 {
                postings.push(Posting {
                    user_id: *user_id,
                    amount: *coins,
                    tx_type: TxType::Earned,
                    reference: Some((Reference::StepRecord, *record_id)),
                    description: format!(
                        "{steps} steps on {date} at {} coins per step",
                        settings.coins_per_step
                    ),
                    coins_per_step: Some(settings.coins_per_step),
                });
            }
            rec_ids.push(*record_id);
            rec_coins.push(*coins);
        }
        user_ids.push(*user_id);
        user_steps.push(days.iter().map(|d| d.2).sum::<i64>());
        if days.iter().any(|d| d.3 > 0) {
            paid_users.push(*user_id);
        }
    }
    ledger::post_many(&mut *conn, &postings).await?;

    sqlx::query!(
        r#"UPDATE step_records r SET credited_steps = r.verified_steps, coins_credited = r.coins_credited + q.coins,
                                     updated_at = now()
           FROM UNNEST($1::uuid[], $2::int8[]) AS q(id, coins) WHERE r.id = q.id"#,
        &rec_ids,
        &rec_coins
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"UPDATE users u SET total_steps = u.total_steps + q.steps, updated_at = now()
           FROM UNNEST($1::uuid[], $2::int8[]) AS q(id, steps) WHERE u.id = q.id"#,
        &user_ids,
        &user_steps
    )
    .execute(&mut *conn)
    .await?;

    referrals::pay_due(conn, settings, &paid_users).await?;
    achievements::evaluate(conn, &user_ids).await?;
    Ok(missing)
}
