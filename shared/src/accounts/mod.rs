//! The account lifecycle: creating an account with its wallet and welcome bonus, proving
//! its email (`email`), its password (`password`), a takeover by the address's proven
//! owner, the anonymising soft delete, and what admins change (active, role, the first
//! admin). Sits above `users`, `ledger` and `sessions`; `auth` (sign-up and sign-in)
//! sits above it.

pub mod admin;
pub mod email;
pub mod mfa;
pub mod password;
pub mod tokens;

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::ledger::{self, Posting, Reference, TxType};
use crate::users::{self, Role};
use crate::{idempotency, leaderboard, notifications, orders, ratelimit, sessions, social};
use crate::{Error, Result};

/// What a new account starts from, by registration or by a first OAuth sign-in.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub full_name: &'a str,
    pub phone: Option<&'a str>,
    pub country_code: Option<&'a str>,
    pub timezone: &'a str,
    pub referred_by: Option<Uuid>,
    /// (`google` | `apple`, the provider's subject) for OAuth accounts.
    pub provider: Option<(&'a str, &'a str)>,
    /// Whether the address is already proven (a provider that verified it); otherwise
    /// the account starts unverified and gets a verification mail.
    pub email_verified: bool,
    /// When it is made, by the clock: its phone and country count from then.
    pub now: chrono::DateTime<chrono::Utc>,
    /// The language it signed up in (`Accept-Language`).
    pub locale: crate::i18n::Locale,
}

/// Inserts the account, its wallet and the new-user bonus: an account never exists
/// without its wallet. Call it inside a transaction.
pub async fn create(conn: &mut PgConnection, account: &NewAccount<'_>, bonus: i64) -> Result<Uuid> {
    let (auth_provider, provider_id) = match account.provider {
        Some((provider, subject)) => (provider, Some(subject)),
        None => ("email", None),
    };
    // A referral code that is already taken (one chance in ~10^11) just draws another.
    let mut user_id = None;
    for _ in 0..3 {
        user_id = crate::db_query_scalar!(
            r#"INSERT INTO users (email, password_hash, full_name, phone, country_code, timezone,
                                  referral_code, referred_by_user_id, last_login_at, auth_provider,
                                  provider_id, email_verified, signup_date, locale)
               VALUES ($1, $2, $3, $4, $5, $6::text, $7, $8, now(), $9, $10, $11,
                       (now() AT TIME ZONE $6::text)::date, $12)
               ON CONFLICT (referral_code) DO NOTHING
               RETURNING id"#,
            account.email,
            account.password_hash,
            account.full_name,
            account.phone,
            account.country_code,
            account.timezone,
            users::new_referral_code(),
            account.referred_by,
            auth_provider,
            provider_id,
            account.email_verified,
            account.locale.as_str(),
        )
        .fetch_optional(&mut *conn)
        .await?;
        if user_id.is_some() {
            break;
        }
    }
    let user_id = user_id.ok_or_else(|| Error::internal("no free referral code after 3 draws"))?;
    // The account's days are counted in this zone from now on (until it asks for another).
    users::start_zone(conn, user_id, account.timezone).await?;
    users::remember_contact(
        conn,
        user_id,
        account.phone,
        account.country_code,
        account.now,
    )
    .await?;
    ledger::open_wallet(&mut *conn, user_id).await?;
    if bonus > 0 {
        ledger::post(
            conn,
            &Posting {
                user_id,
                amount: bonus,
                tx_type: TxType::Bonus,
                reference: Some((Reference::Registration, user_id)),
                description: "Welcome bonus".into(),
                coins_per_step: None,
            },
        )
        .await?;
    }
    Ok(user_id)
}

/// A credential changed (password changed or reset, email changed, a takeover, a
/// deactivation or a role change): everything issued before ends. The credential version
/// moves on (every access token out there is refused at its next use), every session is
/// revoked, and every pending mailed token (verification, email change, reset) stops
/// working. "This wasn't me" links survive: they can only take access away.
pub async fn end_everything(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    users::bump_credential_version(conn, id).await?;
    sessions::revoke_all(conn, id).await?;
    tokens::void_pending(conn, id).await
}

/// Soft delete: the row stays (the ledger and orders reference it) but every piece of
/// personal data is replaced or removed: profile, sign-in identities (the same Google or
/// Apple account can sign up again), pending mail tokens, the email's login attempts,
/// stored idempotent responses, and the shipping addresses of orders that no longer need
/// one. Every session is revoked, and the email is free to register again (uniqueness
/// only covers live accounts). The account's authenticator, recovery codes and time-zone
/// history go with it. Push devices, notification choices and notifications not
/// yet sent go too; the devices' SNS endpoints are returned for the caller to delete once
/// this commits (nothing is pushed to a deleted account either way: the rows are gone).
/// Open challenge invitations are declined and challenges not yet started are left with
/// the stake back; in a running one the account stays to the settlement. Pending gifts
/// either way are reversed.
pub async fn delete(
    conn: &mut PgConnection,
    id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>> {
    // First, in the challenges' lock order (challenge -> wallets -> users): invitations
    // declined, stakes in challenges not yet started back.
    crate::challenges::entry::forget(conn, id, now).await?;
    // Pending gifts from it go back to it, those to it back to their senders.
    crate::giving::forget(conn, id).await?;
    let email = users::lock_live(conn, id).await?.email;
    let endpoints = notifications::forget_user(conn, id).await?;
    ratelimit::forget_logins(conn, &email).await?;
    forget_identities(conn, id).await?;
    idempotency::forget_user(conn, id).await?;
    mfa::forget(conn, id).await?;
    orders::redact_settled_addresses(conn, id).await?;
    social::forget(conn, id).await?;
    users::anonymise(conn, id).await?;
    leaderboard::standing_changed(conn, id).await?;
    end_everything(conn, id).await?;
    tokens::forget_all(conn, id).await?;
    Ok(endpoints)
}

/// Removes every Google and Apple identity linked to the account.
pub async fn forget_identities(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    crate::db_query!("DELETE FROM user_identities WHERE user_id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Links a Google or Apple identity to the account.
pub async fn link_identity(
    conn: &mut PgConnection,
    id: Uuid,
    provider: &str,
    subject: &str,
    email: Option<&str>,
) -> Result<()> {
    crate::db_query!(
        "INSERT INTO user_identities (user_id, provider, subject, email) VALUES ($1, $2, $3, $4)",
        id,
        provider,
        subject,
        email
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The proven owner of an address takes over the unverified account registered with it
/// (by someone who could not prove it): its password and every other sign-in identity are
/// removed, its pending mail tokens and every session end, and the account becomes a
/// `provider` account with a verified email. Call it with the account's row locked.
pub async fn take_over(
    conn: &mut PgConnection,
    id: Uuid,
    provider: &str,
    subject: &str,
) -> Result<()> {
    forget_identities(conn, id).await?;
    crate::db_query!(
        r#"UPDATE users SET password_hash = NULL, auth_provider = $2, provider_id = $3,
               email_verified = TRUE, updated_at = now()
           WHERE id = $1"#,
        id,
        provider,
        subject
    )
    .execute(&mut *conn)
    .await?;
    end_everything(conn, id).await?;
    tracing::warn!(user_id = %id, provider, "unverified account taken over by the address's proven owner");
    Ok(())
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
pub async fn set_state(
    conn: &mut PgConnection,
    id: Uuid,
    change: AccountState,
) -> Result<(AccountState, AccountState)> {
    // Every change of who is an admin, and whether they are active, queues on one lock,
    // taken before any row: two admins switching each other off at once must not both
    // pass the last-admin check, nor wait on each other's rows.
    crate::db_query!("SELECT pg_advisory_xact_lock(hashtext('fitkart.admins'))")
        .execute(&mut *conn)
        .await?;
    // A deactivated account is a fraud hold: the gifts it sent that are still pending go
    // back (first, in the gifts' lock order: gift -> wallets -> users).
    if change.is_active == Some(false) {
        crate::giving::gifts::reverse_pending(
            conn,
            id,
            true,
            crate::giving::gifts::Reversal::FraudHold,
        )
        .await?;
    }
    let current = crate::db_query!(
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
        let others = crate::db_query_scalar!(
            r#"SELECT count(*) AS "n!" FROM users
               WHERE role = 'admin' AND is_active AND deleted_at IS NULL AND id <> $1"#,
            id
        )
        .fetch_one(&mut *conn)
        .await?;
        if others == 0 {
            return Err(Error::conflict(
                "last_admin",
                Text::new("problem-last-admin"),
            ));
        }
    }
    // A grant through the API starts the new admin's 7 days before they may approve.
    crate::db_query!(
        "UPDATE users SET is_active = $2, role = $3::text, updated_at = now(),
                          admin_granted_at = CASE WHEN $3::text = 'admin' AND role <> 'admin' THEN now()
                                                  WHEN $3::text <> 'admin' THEN NULL ELSE admin_granted_at END
         WHERE id = $1",
        id,
        is_active,
        role.as_str()
    )
    .execute(&mut *conn)
    .await?;
    if is_active != current.is_active {
        leaderboard::standing_changed(conn, id).await?;
    }
    if !is_active || role != current.role {
        end_everything(conn, id).await?;
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

/// How many admins the operator may make directly (`admin-bootstrap`): two, so that a
/// fresh deployment has a second admin to approve the first one's money-relevant changes.
/// After that, admins are made through change requests that another admin approves.
pub const BOOTSTRAP_ADMINS: i64 = 2;

/// Makes one of the first admins of a fresh deployment: the live account with `email`
/// becomes an admin while fewer than `BOOTSTRAP_ADMINS` active admins exist. Audited with
/// the system as the actor (the operator ran the function); the account's sessions end,
/// so its next sign-in carries the role. Returns the account's id.
pub async fn bootstrap_admin(conn: &mut PgConnection, email: &str) -> Result<Uuid> {
    crate::db_query!("SELECT pg_advisory_xact_lock(hashtext('fitkart.admins'))")
        .execute(&mut *conn)
        .await?;
    let admins = crate::db_query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users WHERE role = 'admin' AND is_active AND deleted_at IS NULL"#
    )
    .fetch_one(&mut *conn)
    .await?;
    if admins >= BOOTSTRAP_ADMINS {
        return Err(Error::conflict(
            "admin_exists",
            Text::new("problem-admin-exists"),
        ));
    }
    let id = crate::db_query_scalar!(
        "UPDATE users SET role = 'admin', is_active = true, updated_at = now()
         WHERE lower(email) = lower($1) AND deleted_at IS NULL AND role <> 'admin' RETURNING id",
        email
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    end_everything(conn, id).await?;
    crate::audit::record(
        conn,
        crate::audit::ActorKind::System,
        crate::audit::Entry {
            action: "user.bootstrap_admin",
            entity_type: crate::audit::EntityType::User,
            entity_id: Some(id),
            before: &serde_json::json!({"role": "user"}),
            after: &serde_json::json!({"role": "admin", "by": "admin-bootstrap function"}),
        },
    )
    .await?;
    Ok(id)
}
