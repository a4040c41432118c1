//! Coin crediting: turns verified steps into coins exactly once. Under the record's row
//! lock it pays only `verified_steps - credited_steps`, converted at `coins_per_step` with
//! exact decimal arithmetic, rounded down per day and capped by `max_daily_coins`; a
//! replay, a duplicate delivery or a concurrent twin finds nothing left to pay. Used by
//! the coin-credit consumer and by an admin's approval alike.
//!
//! Locks, in order: step_records (by id) → wallets → users (by user id). Every writer
//! takes them in this order, so concurrent batches cannot deadlock on each other.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::{self, Posting, Reference, TxType};
use crate::settings::Settings;
use crate::steps::{self, RecordKey, Status};
use crate::{achievements, leaderboard, notifications, referrals, App, Result};

/// A crediting request on the coin-credit queue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct CreditRecord {
    pub record_id: Uuid,
    /// The record's day. Absent only in messages queued by the release before
    /// partitioning, whose days `steps::keys` looks up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_date: Option<NaiveDate>,
}

impl From<RecordKey> for CreditRecord {
    fn from(key: RecordKey) -> Self {
        CreditRecord {
            record_id: key.id,
            recorded_date: Some(key.date),
        }
    }
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
pub async fn credit_batch(app: &App, requests: &[CreditRecord]) -> Result<Vec<Uuid>> {
    let settings = app.settings().await?;
    let mut tx = app.db().await?.begin().await?;
    let keys = steps::keys(
        &mut tx,
        requests.iter().map(|r| (r.record_id, r.recorded_date)),
    )
    .await?;
    let mut credited = credit(&mut tx, &settings, &keys, app.now()).await?;
    // Requests whose day could not even be looked up are missing too.
    let known: HashSet<Uuid> = keys.iter().map(|k| k.id).collect();
    credited.missing.extend(
        requests
            .iter()
            .map(|r| r.record_id)
            .filter(|id| !known.contains(id)),
    );
    tx.commit().await?;
    // The pipeline's health on the dashboard: coins paid per minute (after the commit,
    // so a rolled-back batch counts nothing).
    crate::metrics::emit(
        &[("Pipeline", "crediting")],
        &[("CoinsCredited", "Count", credited.coins as f64)],
        serde_json::json!({}),
    );
    Ok(credited.missing)
}

/// What a crediting did.
#[derive(Debug, Default)]
pub struct Credited {
    /// Requested records that do not exist.
    pub missing: Vec<Uuid>,
    /// Coins paid for steps (bonuses not included).
    pub coins: i64,
}

/// The crediting itself, inside the caller's transaction.
pub async fn credit(
    conn: &mut PgConnection,
    settings: &Settings,
    keys: &[RecordKey],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Credited> {
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup();
    let (ids, dates) = RecordKey::ids_and_days(&keys);
    let records = crate::db_query!(
        r#"SELECT id, user_id, recorded_date, status AS "status: Status", verified_steps, credited_steps, coins_credited
           FROM step_records WHERE id = ANY($1) AND recorded_date = ANY($2) ORDER BY id FOR UPDATE"#,
        &ids,
        &dates
    )
    .fetch_all(&mut *conn)
    .await?;
    let found: HashSet<Uuid> = records.iter().map(|r| r.id).collect();
    let missing: Vec<Uuid> = ids
        .iter()
        .filter(|id| !found.contains(id))
        .copied()
        .collect();

    // What each record is owed now, grouped by user so wallets are locked in user order.
    let mut by_user: BTreeMap<Uuid, Vec<Owed>> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| r.status == Status::Verified && r.verified_steps > r.credited_steps)
    {
        by_user.entry(r.user_id).or_default().push(Owed {
            record_id: r.id,
            date: r.recorded_date,
            steps: r.verified_steps - r.credited_steps,
            coins: coins_for(
                r.credited_steps,
                r.verified_steps,
                r.coins_credited,
                settings.coins_per_step,
                settings.max_daily_coins,
            ),
        });
    }
    if by_user.is_empty() {
        return Ok(Credited { missing, coins: 0 });
    }
    let unlocks = pay(conn, settings, &by_user).await?;
    let summaries: Vec<(Uuid, NaiveDate, i64)> = by_user
        .iter()
        .flat_map(|(user, days)| days.iter().map(move |d| (*user, d.date, d.coins)))
        .collect();
    notifications::record_coins(conn, &summaries).await?;
    achievements::announce(conn, &unlocks).await?;
    let paid_users: Vec<Uuid> = by_user
        .iter()
        .filter(|(_, days)| days.iter().any(|d| d.coins > 0))
        .map(|(user, _)| *user)
        .collect();
    referrals::pay_due(conn, settings, &paid_users, now).await?;
    Ok(Credited {
        missing,
        coins: by_user.values().flatten().map(|d| d.coins).sum(),
    })
}

/// What one record is owed: its uncredited verified steps and the coins they make.
struct Owed {
    record_id: Uuid,
    date: NaiveDate,
    steps: i64,
    coins: i64,
}

/// The achievements the days unlock, then one ledger statement for the whole batch (an
/// `earned` row per paid record and a `bonus` row per unlock), the records marked
/// credited, and the users' and the leaderboards' step totals moved. Returns the unlocks.
async fn pay(
    conn: &mut PgConnection,
    settings: &Settings,
    by_user: &BTreeMap<Uuid, Vec<Owed>>,
) -> Result<Vec<achievements::Unlock>> {
    let owed = || {
        by_user
            .iter()
            .flat_map(|(user, days)| days.iter().map(move |d| (*user, d)))
    };
    let user_ids: Vec<Uuid> = by_user.keys().copied().collect();
    let user_steps: Vec<i64> = by_user
        .values()
        .map(|days| days.iter().map(|d| d.steps).sum())
        .collect();
    // Under the wallets' locks, which every crediting of these users takes first, the
    // achievements see each earlier batch's steps; they are evaluated before the ledger so
    // that their bonuses go out in the same statement as the coins (lifetime-step
    // criteria count the steps being credited here).
    ledger::lock_wallets(&mut *conn, &user_ids).await?;
    let credited: Vec<(Uuid, NaiveDate)> = owed().map(|(_, d)| (d.record_id, d.date)).collect();
    let crediting = achievements::Crediting {
        steps: &user_steps,
        records: &credited,
    };
    let unlocks = achievements::unlock(
        &mut *conn,
        &user_ids,
        Some(&crediting),
        settings.daily_step_goal,
    )
    .await?;
    let mut postings: Vec<Posting> = owed()
        .filter(|(_, d)| d.coins > 0)
        .map(|(user_id, d)| Posting {
            user_id,
            amount: d.coins,
            tx_type: TxType::Earned,
            reference: Some((Reference::StepRecord, d.record_id)),
            description: format!(
                "{} steps on {} at {} coins per step",
                d.steps, d.date, settings.coins_per_step
            ),
            coins_per_step: Some(settings.coins_per_step),
        })
        .collect();
    postings.extend(achievements::bonuses(&unlocks));
    ledger::post_many_locked(&mut *conn, &postings).await?;

    let record_ids: Vec<Uuid> = owed().map(|(_, d)| d.record_id).collect();
    let record_days = steps::days(owed().map(|(_, d)| d.date));
    let record_coins: Vec<i64> = owed().map(|(_, d)| d.coins).collect();
    crate::db_query!(
        r#"UPDATE step_records r SET credited_steps = r.verified_steps, coins_credited = r.coins_credited + q.coins,
                                     updated_at = now()
           FROM UNNEST($1::uuid[], $2::int8[]) AS q(id, coins)
           -- By key (`r.id = ANY`), in the batch's months only: a join alone hashed every row.
           WHERE r.id = q.id AND r.id = ANY($1) AND r.recorded_date = ANY($3)"#,
        &record_ids,
        &record_coins,
        &record_days
    )
    .execute(&mut *conn)
    .await?;
    crate::users::add_steps(conn, &user_ids, &user_steps).await?;
    let days: Vec<(Uuid, NaiveDate, i64)> =
        owed().map(|(user, d)| (user, d.date, d.steps)).collect();
    leaderboard::count_credited(conn, &days).await?;
    Ok(unlocks)
}
