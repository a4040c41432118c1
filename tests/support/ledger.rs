//! The ledger invariants of DESIGN.md, checked over a whole database. Every money-moving
//! test ends with `assert_invariants`.

use sqlx::PgPool;

/// Each query returns one row per violation, described for the failure message.
const CHECKS: &[(&str, &str)] = &[
    (
        "wallet available_coins equals the sum of the user's ledger",
        "SELECT w.user_id::text || ': wallet ' || w.available_coins || ' vs ledger ' || COALESCE(sum(t.amount), 0)
         FROM wallets w LEFT JOIN coin_transactions t ON t.user_id = w.user_id
         GROUP BY w.user_id, w.available_coins
         HAVING w.available_coins <> COALESCE(sum(t.amount), 0)",
    ),
    (
        "balance chain: each row starts where the previous one ended, from 0, sequence gap-free",
        "SELECT user_id::text || ' seq ' || user_seq || ': before ' || balance_before || ' vs previous after ' || COALESCE(prev_after, 0)
         FROM (SELECT user_id, user_seq, balance_before,
                      lag(balance_after) OVER (PARTITION BY user_id ORDER BY user_seq) AS prev_after,
                      row_number() OVER (PARTITION BY user_id ORDER BY user_seq) AS n
               FROM coin_transactions) c
         WHERE balance_before <> COALESCE(prev_after, 0) OR user_seq <> n",
    ),
    (
        "wallet ledger_seq matches the last ledger row",
        "SELECT w.user_id::text || ': ledger_seq ' || w.ledger_seq || ' vs rows ' || count(t.id)
         FROM wallets w LEFT JOIN coin_transactions t ON t.user_id = w.user_id
         GROUP BY w.user_id, w.ledger_seq HAVING w.ledger_seq <> count(t.id)",
    ),
    (
        "users cache mirrors the wallet",
        "SELECT u.id::text || ': total_coins ' || u.total_coins || ' vs available ' || w.available_coins
         FROM users u JOIN wallets w ON w.user_id = u.id
         WHERE u.total_coins <> w.available_coins OR u.lifetime_coins_earned <> w.total_earned
            OR u.lifetime_coins_spent <> w.total_spent",
    ),
    (
        "frozen coins equal the coins of orders not yet settled or returned",
        "SELECT w.user_id::text || ': frozen ' || w.frozen_coins || ' vs open orders ' || COALESCE(o.open, 0)
         FROM wallets w
         LEFT JOIN (SELECT user_id, sum(total_coins) AS open FROM orders
                    WHERE status IN ('pending', 'confirmed', 'processing') GROUP BY user_id) o
           ON o.user_id = w.user_id
         WHERE w.frozen_coins <> COALESCE(o.open, 0)",
    ),
    (
        "total spent equals the coins of shipped and delivered orders",
        "SELECT w.user_id::text || ': total_spent ' || w.total_spent || ' vs settled orders ' || COALESCE(o.settled, 0)
         FROM wallets w
         LEFT JOIN (SELECT user_id, sum(total_coins) AS settled FROM orders
                    WHERE status IN ('shipped', 'delivered') GROUP BY user_id) o
           ON o.user_id = w.user_id
         WHERE w.total_spent <> COALESCE(o.settled, 0)",
    ),
    (
        "every live user has exactly one wallet",
        "SELECT u.id::text FROM users u LEFT JOIN wallets w ON w.user_id = u.id
         WHERE u.deleted_at IS NULL AND w.id IS NULL",
    ),
];

pub async fn assert_invariants(pool: &PgPool) {
    let mut failures = Vec::new();
    for (name, sql) in CHECKS {
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
        if !rows.is_empty() {
            failures.push(format!("{name}:\n    {}", rows.join("\n    ")));
        }
    }
    assert!(
        failures.is_empty(),
        "ledger invariants violated:\n{}",
        failures.join("\n")
    );
}
