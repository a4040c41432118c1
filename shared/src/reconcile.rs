//! Reconciliation: every invariant of the coin ledger (docs/pipeline-and-ledger.md), checked over all users
//! with one set-based query each. Drifts are reported, never "fixed": money that does not
//! add up needs a person to find out why.

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Result;

/// One user (or challenge) for whom an invariant does not hold: what the truth says and
/// what is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Drift {
    pub check: String,
    /// The user the drift is about; for the checks of a challenge, a gift or a campaign
    /// (`challenge_escrow`, `gift_ledger`, `campaign_*`), that thing.
    pub id: Uuid,
    pub expected: i64,
    pub actual: i64,
}

/// (name, what it means, query yielding `id, expected, actual` per violation).
pub const CHECKS: &[(&str, &str, &str)] = &[
    (
        "wallet_vs_ledger",
        "wallets.available_coins equals the sum of the user's ledger amounts",
        "SELECT w.user_id, COALESCE(t.total, 0)::int8 AS expected, w.available_coins AS actual
         FROM wallets w
         LEFT JOIN (SELECT user_id, sum(amount) AS total FROM coin_transactions GROUP BY user_id) t
           ON t.user_id = w.user_id
         WHERE w.available_coins <> COALESCE(t.total, 0)",
    ),
    (
        "balance_chain",
        "each ledger row starts where the user's previous row ended (from 0) and ends at before + amount",
        "SELECT user_id, COALESCE(prev_after, 0)::int8 AS expected, balance_before AS actual
         FROM (SELECT user_id, amount, balance_before, balance_after,
                      lag(balance_after) OVER (PARTITION BY user_id ORDER BY user_seq) AS prev_after
               FROM coin_transactions) c
         WHERE balance_before <> COALESCE(prev_after, 0) OR balance_after <> balance_before + amount",
    ),
    (
        "ledger_sequence",
        "the wallet's ledger_seq counts the user's ledger rows and the sequence has no gaps",
        "SELECT w.user_id, COALESCE(t.n, 0)::int8 AS expected, w.ledger_seq AS actual
         FROM wallets w
         LEFT JOIN (SELECT user_id, count(*) AS n, max(user_seq) AS top FROM coin_transactions GROUP BY user_id) t
           ON t.user_id = w.user_id
         WHERE w.ledger_seq <> COALESCE(t.n, 0) OR COALESCE(t.top, 0) <> COALESCE(t.n, 0)",
    ),
    (
        "users_total_coins",
        "users.total_coins mirrors wallets.available_coins",
        "SELECT u.id AS user_id, w.available_coins AS expected, u.total_coins AS actual
         FROM users u JOIN wallets w ON w.user_id = u.id WHERE u.total_coins <> w.available_coins",
    ),
    (
        "users_lifetime_earned",
        "users.lifetime_coins_earned mirrors wallets.total_earned",
        "SELECT u.id AS user_id, w.total_earned AS expected, u.lifetime_coins_earned AS actual
         FROM users u JOIN wallets w ON w.user_id = u.id WHERE u.lifetime_coins_earned <> w.total_earned",
    ),
    (
        "users_lifetime_spent",
        "users.lifetime_coins_spent mirrors wallets.total_spent",
        "SELECT u.id AS user_id, w.total_spent AS expected, u.lifetime_coins_spent AS actual
         FROM users u JOIN wallets w ON w.user_id = u.id WHERE u.lifetime_coins_spent <> w.total_spent",
    ),
    (
        "frozen_vs_open_holds",
        "wallets.frozen_coins equals the coins of orders not yet shipped, cancelled or refunded \
         plus the user's challenge stakes in escrow plus the gifts they sent that are pending",
        "SELECT w.user_id, (COALESCE(o.open, 0) + COALESCE(s.held, 0) + COALESCE(g.pending, 0))::int8 AS expected,
                w.frozen_coins AS actual
         FROM wallets w
         LEFT JOIN (SELECT user_id, sum(total_coins) AS open FROM orders
                    WHERE status IN ('pending', 'confirmed', 'processing') GROUP BY user_id) o
           ON o.user_id = w.user_id
         LEFT JOIN (SELECT user_id, sum(stake_coins) AS held FROM challenge_participants
                    WHERE stake_held GROUP BY user_id) s
           ON s.user_id = w.user_id
         LEFT JOIN (SELECT sender_id, sum(coins) AS pending FROM gifts WHERE status = 'pending' GROUP BY sender_id) g
           ON g.sender_id = w.user_id
         WHERE w.frozen_coins <> COALESCE(o.open, 0) + COALESCE(s.held, 0) + COALESCE(g.pending, 0)",
    ),
    (
        "challenge_escrow",
        "each challenge's escrow (its stake rows in, less its payout rows out) equals the stakes \
         its participants still have in it: nothing paid twice, nothing left behind",
        "SELECT COALESCE(l.challenge_id, h.challenge_id) AS id, COALESCE(h.held, 0)::int8 AS expected,
                COALESCE(l.escrow, 0)::int8 AS actual
         FROM (SELECT reference_id AS challenge_id, -sum(amount) AS escrow FROM coin_transactions
               WHERE reference_type = 'challenge' GROUP BY reference_id) l
         FULL JOIN (SELECT challenge_id, sum(stake_coins) FILTER (WHERE stake_held) AS held
                    FROM challenge_participants GROUP BY challenge_id) h
           ON h.challenge_id = l.challenge_id
         WHERE COALESCE(l.escrow, 0) <> COALESCE(h.held, 0)",
    ),
    (
        "spent_vs_settled_orders",
        "wallets.total_spent equals the coins of shipped and delivered orders",
        "SELECT w.user_id, COALESCE(o.settled, 0)::int8 AS expected, w.total_spent AS actual
         FROM wallets w
         LEFT JOIN (SELECT user_id, sum(total_coins) AS settled FROM orders
                    WHERE status IN ('shipped', 'delivered') GROUP BY user_id) o
           ON o.user_id = w.user_id
         WHERE w.total_spent <> COALESCE(o.settled, 0)",
    ),
    (
        "credited_vs_earned",
        "coins credited on step records equal the user's earned ledger rows",
        "SELECT u.user_id, COALESCE(e.total, 0)::int8 AS expected, u.credited::int8 AS actual
         FROM (SELECT user_id, sum(coins_credited) AS credited FROM step_records GROUP BY user_id) u
         LEFT JOIN (SELECT user_id, sum(amount) AS total FROM coin_transactions
                    WHERE transaction_type = 'earned' GROUP BY user_id) e ON e.user_id = u.user_id
         WHERE u.credited <> COALESCE(e.total, 0)",
    ),
    (
        "users_total_steps",
        "users.total_steps equals the verified steps credited on the user's records",
        "SELECT u.id AS user_id, COALESCE(r.credited, 0)::int8 AS expected, u.total_steps AS actual
         FROM users u
         LEFT JOIN (SELECT user_id, sum(credited_steps) AS credited FROM step_records GROUP BY user_id) r
           ON r.user_id = u.id
         WHERE u.total_steps <> COALESCE(r.credited, 0)",
    ),
    (
        "leaderboard_totals",
        "each board's per-user total equals the credited steps of the user's days in its period \
         (all time, and the weeks and months of the last 366 days; housekeeping keeps 400)",
        "SELECT COALESCE(e.user_id, t.user_id) AS user_id, COALESCE(e.total_steps, 0)::int8 AS expected,
                COALESCE(t.total_steps, 0)::int8 AS actual
         FROM (SELECT * FROM leaderboard_totals_expected
               WHERE period = 'all_time' OR period_start >= current_date - 366) e
         FULL JOIN (SELECT * FROM leaderboard_totals
                    WHERE period = 'all_time' OR period_start >= current_date - 366) t
           ON t.period = e.period AND t.period_start = e.period_start AND t.user_id = e.user_id
         WHERE COALESCE(e.total_steps, 0) <> COALESCE(t.total_steps, 0)",
    ),
    (
        "daily_totals",
        "each walker's day total (the friend boards' rows) equals the day's credited steps \
         (the last 30 days)",
        "SELECT COALESCE(r.user_id, d.user_id) AS user_id, COALESCE(r.credited_steps, 0)::int8 AS expected,
                COALESCE(d.steps, 0)::int8 AS actual
         FROM (SELECT user_id, recorded_date, credited_steps FROM step_records
               WHERE credited_steps > 0 AND recorded_date >= current_date - 30) r
         FULL JOIN (SELECT * FROM daily_totals WHERE day >= current_date - 30) d
           ON d.user_id = r.user_id AND d.day = r.recorded_date
         WHERE COALESCE(r.credited_steps, 0) <> COALESCE(d.steps, 0)",
    ),
    (
        "team_totals",
        "each weekly and monthly per-user total the team scores read equals the user's credited \
         steps in the period with every day capped at 30,000 (the boards of the last 31 days)",
        "SELECT COALESCE(e.user_id, t.user_id) AS user_id, COALESCE(e.capped, 0)::int8 AS expected,
                COALESCE(t.capped_steps, 0)::int8 AS actual
         FROM (SELECT b.period, b.period_start, r.user_id, sum(LEAST(r.credited_steps, 30000)) AS capped
               FROM step_records r
               CROSS JOIN LATERAL (VALUES ('weekly', date_trunc('week', r.recorded_date)::date),
                                          ('monthly', date_trunc('month', r.recorded_date)::date))
                    AS b (period, period_start)
               WHERE r.credited_steps > 0 AND r.recorded_date >= date_trunc('month', current_date - 31)::date
                 -- Whole periods only: a week that began before the bound is not checked.
                 AND b.period_start >= date_trunc('month', current_date - 31)::date
               GROUP BY 1, 2, 3) e
         FULL JOIN (SELECT * FROM leaderboard_totals
                    WHERE period IN ('weekly', 'monthly')
                      AND period_start >= date_trunc('month', current_date - 31)::date) t
           ON t.period = e.period AND t.period_start = e.period_start AND t.user_id = e.user_id
         WHERE COALESCE(e.capped, 0) <> COALESCE(t.capped_steps, 0)",
    ),
    (
        "gift_ledger",
        "each gift's ledger rows add up to its state: the sender's coins out while pending, \
         out and in again (to the recipient, or back) once settled or reversed",
        "SELECT g.id, (CASE WHEN g.status = 'pending' THEN -g.coins ELSE 0 END)::int8 AS expected,
                COALESCE(l.total, 0)::int8 AS actual
         FROM gifts g
         LEFT JOIN (SELECT reference_id, sum(amount) AS total FROM coin_transactions
                    WHERE reference_type = 'gift' GROUP BY reference_id) l ON l.reference_id = g.id
         WHERE COALESCE(l.total, 0) <> CASE WHEN g.status = 'pending' THEN -g.coins ELSE 0 END",
    ),
    (
        "campaign_donation_rows",
        "each campaign's donation rows in the ledger take exactly its donations' coins",
        "SELECT c.id, COALESCE(d.coins, 0)::int8 AS expected, COALESCE(-l.total, 0)::int8 AS actual
         FROM campaigns c
         LEFT JOIN (SELECT campaign_id, sum(coins) AS coins FROM donations GROUP BY campaign_id) d
           ON d.campaign_id = c.id
         LEFT JOIN (SELECT reference_id, sum(amount) AS total FROM coin_transactions
                    WHERE reference_type = 'campaign' GROUP BY reference_id) l ON l.reference_id = c.id
         WHERE COALESCE(d.coins, 0) <> COALESCE(-l.total, 0)",
    ),
    (
        "campaign_raised",
        "each campaign's raised cents equal the cents its donations raised",
        "SELECT c.id, COALESCE(d.cents, 0)::int8 AS expected, c.raised_cents AS actual
         FROM campaigns c
         LEFT JOIN (SELECT campaign_id, sum(cents) AS cents FROM donations GROUP BY campaign_id) d
           ON d.campaign_id = c.id
         WHERE c.raised_cents <> COALESCE(d.cents, 0)",
    ),
    (
        "wallet_per_user",
        "every live user has exactly one wallet",
        "SELECT u.id AS user_id, 1::int8 AS expected, count(w.id)::int8 AS actual
         FROM users u LEFT JOIN wallets w ON w.user_id = u.id
         WHERE u.deleted_at IS NULL GROUP BY u.id HAVING count(w.id) <> 1",
    ),
];

/// Runs every check (read-only) and returns each drift found, grouped by check.
pub async fn run(conn: &mut PgConnection) -> Result<Vec<Drift>> {
    let mut drifts = Vec::new();
    for (name, _, sql) in CHECKS {
        let rows: Vec<(Uuid, i64, i64)> = crate::db::Stmt(sqlx::query_as(sql))
            .fetch_all(&mut *conn)
            .await?;
        drifts.extend(rows.into_iter().map(|(id, expected, actual)| Drift {
            check: (*name).to_owned(),
            id,
            expected,
            actual,
        }));
    }
    Ok(drifts)
}
