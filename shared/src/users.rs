//! User profiles: the `user` object of API.md, profile updates, and the anonymising
//! soft delete.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::{sessions, Role};
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub phone: Option<String>,
    pub country_code: Option<String>,
    pub profile_picture_url: Option<String>,
    pub bio: Option<String>,
    pub timezone: String,
    pub auth_provider: String,
    pub email_verified: bool,
    pub role: Role,
    pub referral_code: Option<String>,
    pub total_steps: i64,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_synced_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub is_active: bool,
}

/// A live (not deleted) user.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<User> {
    sqlx::query_as!(
        User,
        r#"SELECT id, email, full_name, phone, country_code, profile_picture_url, bio, timezone,
                  auth_provider, email_verified, role AS "role: Role", referral_code, total_steps,
                  created_at, last_login_at, last_synced_at, is_active
           FROM users WHERE id = $1 AND deleted_at IS NULL"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// Eight characters from an alphabet without look-alikes (0/O, 1/I/L): easy to type from
/// a friend's screen. 31^8 ≈ 8.5e11 codes make a collision rare; registration redraws.
pub fn new_referral_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A profile change: `None` leaves a field alone, `Some(None)` clears a clearable field.
#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub full_name: Option<String>,
    pub phone: Option<Option<String>>,
    pub country_code: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub profile_picture_url: Option<Option<String>>,
    pub timezone: Option<String>,
}

pub async fn update_profile(
    conn: &mut PgConnection,
    id: Uuid,
    patch: ProfilePatch,
) -> Result<User> {
    let updated = sqlx::query!(
        r#"UPDATE users SET
               full_name = COALESCE($2, full_name),
               phone = CASE WHEN $3 THEN $4 ELSE phone END,
               country_code = CASE WHEN $5 THEN $6 ELSE country_code END,
               bio = CASE WHEN $7 THEN $8 ELSE bio END,
               profile_picture_url = CASE WHEN $9 THEN $10 ELSE profile_picture_url END,
               timezone = COALESCE($11, timezone),
               updated_at = now()
           WHERE id = $1 AND deleted_at IS NULL"#,
        id,
        patch.full_name,
        patch.phone.is_some(),
        patch.phone.flatten(),
        patch.country_code.is_some(),
        patch.country_code.flatten(),
        patch.bio.is_some(),
        patch.bio.flatten(),
        patch.profile_picture_url.is_some(),
        patch.profile_picture_url.flatten(),
        patch.timezone,
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    get(conn, id).await
}

/// Soft delete: the row stays (the ledger and orders reference it) but every piece of
/// personal data is replaced, the email's login attempts forgotten, every session
/// revoked, and the email is free to register again (uniqueness only covers live accounts).
pub async fn delete_account(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    let deleted = sqlx::query!(
        r#"WITH old AS (SELECT lower(email) AS email FROM users WHERE id = $1 AND deleted_at IS NULL),
           forget_attempts AS (DELETE FROM login_attempts WHERE email = (SELECT email FROM old))
           UPDATE users SET
               email = 'deleted-' || id || '@deleted.invalid',
               password_hash = NULL, full_name = 'Deleted user', phone = NULL, country_code = NULL,
               profile_picture_url = NULL, bio = NULL, provider_id = NULL, referral_code = NULL,
               is_active = FALSE, deleted_at = now(), updated_at = now()
           WHERE id = $1 AND deleted_at IS NULL"#,
        id
    )
    .execute(&mut *conn)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    sessions::revoke_all(conn, id).await
}

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
    pub wallet: crate::wallet::Wallet,
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
        Some(c) => crate::pagination::decode(c)?,
        None => (DateTime::<Utc>::MAX_UTC, Uuid::max()),
    };
    let pattern = q.map(like_prefix);
    let rows = sqlx::query!(
        r#"SELECT u.id, u.email, u.full_name, u.role AS "role: Role", u.is_active, u.total_steps, u.created_at,
                  u.last_login_at, u.last_synced_at, w.available_coins, w.frozen_coins, w.total_earned,
                  w.total_spent, w.last_updated
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
    let (rows, next) = crate::pagination::finish(rows, limit, |r| (r.created_at, r.id));
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
            wallet: crate::wallet::Wallet {
                available_coins: r.available_coins,
                frozen_coins: r.frozen_coins,
                total_earned: r.total_earned,
                total_spent: r.total_spent,
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
    pub wallet: crate::wallet::Wallet,
    pub recent_transactions: Vec<crate::ledger::Transaction>,
}

pub async fn detail(conn: &mut PgConnection, id: Uuid) -> Result<AccountDetail> {
    let user = get(conn, id).await?;
    let wallet = crate::wallet::get(conn, id).await?;
    let (recent_transactions, _) = crate::wallet::transactions(conn, id, None, 20, None).await?;
    Ok(AccountDetail {
        is_active: user.is_active,
        user,
        wallet,
        recent_transactions,
    })
}

/// What an admin may change on an account, and the audit's view of it.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct AccountState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// Activates, deactivates or changes the role of an account; returns the state before and
/// after. Deactivation and demotion end the account's sessions (its access tokens stop
/// working at once: every request re-reads the account). The last active admin cannot be
/// demoted or deactivated (`409 last_admin`): nobody could undo it through the API.
pub async fn set_account_state(
    conn: &mut PgConnection,
    id: Uuid,
    change: AccountState,
) -> Result<(AccountState, AccountState)> {
    let current = sqlx::query!(
        r#"SELECT is_active, role AS "role: Role" FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let is_active = change.is_active.unwrap_or(current.is_active);
    let role = change.role.unwrap_or(current.role);
    let loses_admin =
        current.role == Role::Admin && current.is_active && (role != Role::Admin || !is_active);
    if loses_admin {
        // Serialise concurrent demotions of different admins on one row lock.
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('fitkart.admins'))")
            .execute(&mut *conn)
            .await?;
        let others = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM users
               WHERE role = 'admin' AND is_active AND deleted_at IS NULL AND id <> $1"#,
            id
        )
        .fetch_one(&mut *conn)
        .await?;
        if others == 0 {
            return Err(Error::conflict(
                "last_admin",
                "This is the last active admin; make another admin first.",
            ));
        }
    }
    sqlx::query!(
        "UPDATE users SET is_active = $2, role = $3, updated_at = now() WHERE id = $1",
        id,
        is_active,
        role.as_str()
    )
    .execute(&mut *conn)
    .await?;
    if !is_active || role != current.role {
        sessions::revoke_all(conn, id).await?;
    }
    let before = AccountState {
        is_active: Some(current.is_active),
        role: Some(current.role),
    };
    let after = AccountState {
        is_active: Some(is_active),
        role: Some(role),
    };
    Ok((before, after))
}

/// Makes the first admin of a fresh deployment: the live account with `email` becomes an
/// admin, only while no active admin exists (after that, admins are made through the
/// admin API, audited). Returns the account's id; the audit row names it as its own actor.
pub async fn bootstrap_admin(conn: &mut PgConnection, email: &str) -> Result<Uuid> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('fitkart.admins'))")
        .execute(&mut *conn)
        .await?;
    let admins = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users WHERE role = 'admin' AND is_active AND deleted_at IS NULL"#
    )
    .fetch_one(&mut *conn)
    .await?;
    if admins > 0 {
        return Err(Error::conflict(
            "admin_exists",
            "An admin exists already; use PATCH /v1/admin/users/{id} to make more.",
        ));
    }
    let id = sqlx::query_scalar!(
        "UPDATE users SET role = 'admin', is_active = true, updated_at = now()
         WHERE lower(email) = lower($1) AND deleted_at IS NULL RETURNING id",
        email
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    sqlx::query!(
        r#"INSERT INTO admin_logs (admin_id, action, entity_type, entity_id, changes, user_agent)
           VALUES ($1, 'user.bootstrap_admin', 'user', $1,
                   '{"before": {"role": "user"}, "after": {"role": "admin"}}', 'admin-bootstrap function')"#,
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(id)
}
