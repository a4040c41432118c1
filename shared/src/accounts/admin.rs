//! Accounts as the admin console sees them: the user with their wallet, searched by
//! prefix, one account's detail with its recent ledger rows, and coin adjustments.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::ledger::{self, Posting, Reference, Transaction, TxType};
use crate::social::{profiles, reports, teams};
use crate::users::{self, Role, User};
use crate::wallet::{self, Wallet};
use crate::{pagination, Error, Result};

/// An account as the admin console lists it, with its wallet.
#[derive(Debug, Clone, Serialize)]
pub struct AccountSummary {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub is_active: bool,
    pub total_steps: i64,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub wallet: Wallet,
}

/// Escapes `%`, `_` and `\` so user input is matched literally by LIKE.
fn like_prefix(q: &str) -> String {
    let mut pattern = String::with_capacity(q.len() + 1);
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Live accounts whose email or name starts with `q` (case-insensitive; both prefixes are
/// index range scans), newest first.
pub async fn search(
    conn: &mut PgConnection,
    q: Option<&str>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<AccountSummary>, Option<String>)> {
    let (before_at, before_id): (DateTime<Utc>, Uuid) = match cursor {
        Some(c) => pagination::decode(c)?,
        None => (DateTime::<Utc>::MAX_UTC, Uuid::max()),
    };
    let pattern = q.map(like_prefix);
    let rows = crate::db_query!(
        r#"SELECT u.id, u.email, u.full_name, u.role AS "role: Role", u.is_active, u.total_steps, u.created_at,
                  u.last_login_at, u.last_synced_at, w.available_coins, w.frozen_coins, w.total_earned,
                  w.total_spent, w.last_updated,
                  (SELECT COALESCE(sum(g.coins), 0)::int8 FROM gifts g
                   WHERE g.recipient_id = u.id AND g.status = 'pending') AS "incoming_gift_coins!"
           FROM users u JOIN wallets w ON w.user_id = u.id
           WHERE u.deleted_at IS NULL
             AND ($1::text IS NULL OR lower(u.email) LIKE $1 OR lower(u.full_name) LIKE $1)
             AND (u.created_at, u.id) < ($2, $3)
           ORDER BY u.created_at DESC, u.id DESC
           LIMIT $4"#,
        pattern,
        before_at,
        before_id,
        limit + 1
    )
    .fetch_all(conn)
    .await?;
    let (rows, next) = pagination::finish(rows, limit, |r| (r.created_at, r.id));
    let items = rows
        .into_iter()
        .map(|r| AccountSummary {
            id: r.id,
            email: r.email,
            full_name: r.full_name,
            role: r.role,
            is_active: r.is_active,
            total_steps: r.total_steps,
            created_at: r.created_at,
            last_login_at: r.last_login_at,
            last_synced_at: r.last_synced_at,
            wallet: Wallet {
                available_coins: r.available_coins,
                frozen_coins: r.frozen_coins,
                total_earned: r.total_earned,
                total_spent: r.total_spent,
                incoming_gift_coins: r.incoming_gift_coins,
                last_updated: r.last_updated,
            },
        })
        .collect();
    Ok((items, next))
}

/// One account for the admin console: profile, status, wallet and recent ledger rows.
#[derive(Debug, Serialize)]
pub struct AccountDetail {
    #[serde(flatten)]
    pub user: User,
    pub is_active: bool,
    pub wallet: Wallet,
    pub recent_transactions: Vec<Transaction>,
}

pub async fn detail(conn: &mut PgConnection, id: Uuid) -> Result<AccountDetail> {
    let user = users::get(conn, id).await?;
    let wallet = wallet::get(conn, id).await?;
    let (recent_transactions, _) = wallet::transactions(conn, id, None, 20, None).await?;
    Ok(AccountDetail {
        is_active: user.is_active,
        user,
        wallet,
        recent_transactions,
    })
}

/// An admin's coin adjustment: a `bonus` (amount > 0) or `penalty` (amount < 0) ledger row
/// with the reason as its description. A penalty larger than the available balance is
/// `409 insufficient_coins`; no balance ever goes negative.
pub async fn adjust(
    conn: &mut PgConnection,
    user_id: Uuid,
    amount: i64,
    reason: &str,
    admin_id: Uuid,
) -> Result<Transaction> {
    if amount == 0 {
        return Err(Error::invalid("amount", "must not be zero"));
    }
    // Admins can't pay themselves.
    if user_id == admin_id {
        return Err(Error::denied(
            "own_account",
            Text::new("problem-own-account-coins"),
        ));
    }
    users::get(conn, user_id).await?;
    ledger::post(
        conn,
        &Posting {
            user_id,
            amount,
            tx_type: if amount > 0 {
                TxType::Bonus
            } else {
                TxType::Penalty
            },
            reference: Some((Reference::AdminAdjustment, admin_id)),
            description: reason.to_owned(),
            coins_per_step: None,
        },
    )
    .await
}

/// An admin acts on a report, in the admin's audited transaction: dismisses it, hides the
/// reported alias or team name, or deactivates the reported account (its sessions end at
/// once). Returns the report before and after. Nobody acts on a report about themselves.
pub async fn resolve_report(
    conn: &mut PgConnection,
    admin: Uuid,
    id: Uuid,
    action: reports::Action,
) -> Result<(reports::Report, reports::Report)> {
    use reports::{Action, TargetType};
    let before = reports::get(conn, id).await?;
    let target = before.target_id;
    let fits = matches!(
        (action, before.target_type),
        (Action::Dismiss, _)
            | (Action::HideAlias | Action::Deactivate, TargetType::User)
            | (Action::HideTeamName, TargetType::Team)
    );
    if !fits {
        return Err(Error::invalid(
            "action",
            format!("does not apply to a reported {}", before.target_type),
        ));
    }
    if target == Some(admin) && action != Action::Dismiss {
        return Err(Error::denied(
            "own_account",
            Text::new("problem-own-account-reports"),
        ));
    }
    let after = reports::handle(conn, id, admin, action).await?;
    match (action, target) {
        (Action::HideAlias, Some(user)) => profiles::hide_alias(conn, user).await?,
        (Action::HideTeamName, Some(team)) => teams::hide_name(conn, team).await?,
        (Action::Deactivate, Some(user)) => {
            super::set_state(
                conn,
                user,
                super::AccountState {
                    is_active: Some(false),
                    role: None,
                },
            )
            .await?;
        }
        _ => {}
    }
    Ok((before, after))
}
