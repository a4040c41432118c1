//! Referral bonuses, paid for real activity (docs/pipeline-and-ledger.md, fraud defences): both bonuses go
//! out once the referee has a confirmed email and `referral_min_verified_days` verified
//! days at the daily goal; a referrer earns at most `referrals_per_month` bonuses a
//! calendar month (UTC), past which only the referee's is paid. Each referral pays once
//! (`users.referral_rewarded_at`), whatever is undone later.
//!
//! Checked wherever one of the conditions can become true: when a referee's steps are
//! credited and when a referee confirms their email.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::{self, Posting, Reference, TxType};
use crate::settings::Settings;
use crate::Result;

/// Pays the referrals of `referees` that have become due, in the caller's transaction.
/// Call it with the referees' wallets locked or lockable in id order (crediting, email
/// confirmation): bonuses are posted in user order.
///
/// The monthly cap is counted under the referrers' wallet locks: two batches crediting
/// two referees of one referrer at once would otherwise both see the cap not yet reached
/// and both pay. The second waits for the first's commit, then counts its bonus too.
pub async fn pay_due(
    conn: &mut PgConnection,
    settings: &Settings,
    referees: &[Uuid],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    if referees.is_empty() {
        return Ok(());
    }
    let due = crate::db_query!(
        r#"SELECT u.id, referrer.id AS referrer_id,
                  referrer.deleted_at IS NULL AND referrer.is_active AS "referrer_live!"
           FROM users u JOIN users referrer ON referrer.id = u.referred_by_user_id
           WHERE u.id = ANY($1) AND u.referral_rewarded_at IS NULL
             AND u.email_verified AND u.deleted_at IS NULL
             -- Implied by the join, but stated so the cheap test runs before the count
             -- (which reads every month of the referee's history) for the many
             -- walkers nobody referred.
             AND u.referred_by_user_id IS NOT NULL
             AND (SELECT count(*) FROM step_records r
                  WHERE r.user_id = u.id AND r.status = 'verified' AND r.verified_steps >= $2) >= $3
           ORDER BY u.id
           FOR UPDATE OF u"#,
        referees,
        settings.daily_step_goal,
        settings.referral_min_verified_days
    )
    .fetch_all(&mut *conn)
    .await?;
    // Each referral pays once, whatever is undone later.
    let due_ids: Vec<Uuid> = due.iter().map(|d| d.id).collect();
    crate::users::mark_referral_rewarded(conn, &due_ids).await?;
    if settings.referral_bonus_coins <= 0 || due.is_empty() {
        return Ok(());
    }
    let mut referrers: Vec<Uuid> = due.iter().map(|d| d.referrer_id).collect();
    referrers.sort_unstable();
    referrers.dedup();
    ledger::lock_wallets(conn, &referrers).await?;
    let paid_this_month: std::collections::HashMap<Uuid, i64> = crate::db_query!(
        r#"SELECT t.user_id, count(*) AS "paid!" FROM coin_transactions t
           WHERE t.user_id = ANY($1) AND t.reference_type = 'referral' AND t.reference_id <> t.user_id
             AND t.created_at >= $2
           GROUP BY t.user_id"#,
        &referrers,
        crate::clock::month_start(now)
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.user_id, r.paid))
    .collect();
    let mut postings = Vec::new();
    // Several referees of one referrer may come due in one batch: count them in.
    let mut paid_to_referrer: std::collections::HashMap<Uuid, i64> = Default::default();
    for referral in due {
        postings.push(bonus(
            settings,
            referral.id,
            referral.id,
            "Referral bonus: welcome to FitKart",
        ));
        let earlier = paid_this_month
            .get(&referral.referrer_id)
            .copied()
            .unwrap_or(0);
        let already = paid_to_referrer.entry(referral.referrer_id).or_default();
        if referral.referrer_live && earlier + *already < settings.referrals_per_month {
            *already += 1;
            postings.push(bonus(
                settings,
                referral.referrer_id,
                referral.id,
                "Referral bonus: a friend you invited is walking with FitKart",
            ));
        } else {
            tracing::info!(referrer = %referral.referrer_id, "referral bonus over the monthly cap or to a closed account; referee paid only");
        }
    }
    // One statement, wallets locked in user order (referrers may sit outside the batch).
    postings.sort_by_key(|p| p.user_id);
    ledger::post_many(conn, &postings).await?;
    Ok(())
}

fn bonus(settings: &Settings, user_id: Uuid, referee: Uuid, description: &str) -> Posting {
    Posting {
        user_id,
        amount: settings.referral_bonus_coins,
        tx_type: TxType::Bonus,
        reference: Some((Reference::Referral, referee)),
        description: description.into(),
        coins_per_step: None,
    }
}
