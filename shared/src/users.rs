//! User profiles: the `User` object of openapi.yaml, roles, and profile updates. Creating,
//! deleting and administering accounts is `accounts`, which sits above this module.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::{Error, Result};

/// The refusals `users`' constraints stand for (`error::Constraint`).
pub const CONSTRAINTS: &[crate::error::Constraint] = &[
    crate::error::Constraint {
        name: "users_email_key",
        refusal: || Error::conflict("email_taken", Text::new("problem-email-taken")),
    },
    crate::error::Constraint {
        name: "users_provider_id_key",
        refusal: || Error::conflict("account_exists", Text::new("problem-account-exists")),
    },
];

crate::text_enum! {
    /// What an account may do: admins run the admin API.
    pub enum Role { User = "user", Admin = "admin" }
}

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
    /// Wheelchair pushes count as step equivalents (`steps::provenance`).
    pub counts_pushes: bool,
    /// The walker's language (`i18n::Locale`): mails, pushes and answers are in it.
    pub locale: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// A time-zone change waiting for the next local day (`next_timezone_from`): until
    /// then `timezone` still counts the account's days.
    pub next_timezone: Option<String>,
    pub next_timezone_from: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub is_active: bool,
    /// Bumped by every credential change; access tokens carry it (`jwt::Claims::cv`).
    #[serde(skip)]
    pub credential_version: i32,
}

impl User {
    pub fn locale(&self) -> crate::i18n::Locale {
        crate::i18n::Locale::from_stored(&self.locale)
    }
}

/// A live (not deleted) user.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<User> {
    crate::db_query_as!(
        User,
        r#"SELECT id, email, full_name, phone, country_code, profile_picture_url, bio,
                  user_timezone(users.*) AS "timezone!",
                  auth_provider, email_verified, role AS "role: Role", referral_code, total_steps,
                  counts_pushes, locale, created_at, last_login_at, last_synced_at,
                  CASE WHEN next_timezone_from > now() THEN next_timezone END AS next_timezone,
                  CASE WHEN next_timezone_from > now() THEN next_timezone_from END AS next_timezone_from,
                  is_active, credential_version
           FROM users WHERE id = $1 AND deleted_at IS NULL"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// A time zone name must be one Postgres knows too (chrono's tz database and the
/// server's can differ by a release): every day boundary is computed in SQL with it.
pub async fn check_timezone(conn: &mut PgConnection, name: &str) -> Result<()> {
    let known = crate::db_query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS "known!""#,
        name
    )
    .fetch_one(conn)
    .await?;
    if known {
        Ok(())
    } else {
        Err(Error::invalid(
            "timezone",
            "is not a time zone this service knows yet; pick a nearby one",
        ))
    }
}

/// The user's local date today (their time zone defines their calendar day; a pending
/// change counts from the local midnight it waits for).
pub async fn local_today(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<chrono::NaiveDate> {
    Ok(local_today_and_pushes(conn, id, now).await?.0)
}

/// The user's local date today (as `local_today`) and whether they count wheelchair
/// pushes: what a sync needs of its account, in one read.
pub async fn local_today_and_pushes(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(chrono::NaiveDate, bool)> {
    let row = crate::db_query!(
        r#"SELECT user_timezone(users.*) AS "tz!", counts_pushes FROM users WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    let tz: chrono_tz::Tz = row.tz.parse().unwrap_or(chrono_tz::UTC);
    Ok((now.with_timezone(&tz).date_naive(), row.counts_pushes))
}

/// Ends every credential issued before now: the account's credential version moves on, so
/// each access token signed with the old one is refused at its next use. The caller ends
/// the sessions and mailed tokens in the same transaction (`accounts::end_everything`).
pub async fn bump_credential_version(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    crate::db_query!(
        "UPDATE users SET credential_version = credential_version + 1, updated_at = now() WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The live account `id`, its row locked for the caller's transaction.
pub struct Locked {
    pub email: String,
}

pub async fn lock_live(conn: &mut PgConnection, id: Uuid) -> Result<Locked> {
    crate::db_query_as!(
        Locked,
        "SELECT email FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// The anonymising half of a deletion: the row stays (the ledger and orders reference
/// it), every piece of personal data goes, the email is free to register again
/// (uniqueness only covers live accounts), and the zone history is forgotten.
pub async fn anonymise(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    crate::db_query!("DELETE FROM timezone_periods WHERE user_id = $1", id)
        .execute(&mut *conn)
        .await?;
    let deleted = crate::db_query!(
        r#"UPDATE users SET
               email = 'deleted-' || id || '@deleted.invalid',
               password_hash = NULL, full_name = 'Deleted user', phone = NULL, country_code = NULL,
               profile_picture_url = NULL, bio = NULL, provider_id = NULL, referral_code = NULL,
               is_active = FALSE, deleted_at = now(), updated_at = now()
           WHERE id = $1 AND deleted_at IS NULL"#,
        id
    )
    .execute(conn)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The first zone of a new account: its days count there from now.
pub async fn start_zone(conn: &mut PgConnection, id: Uuid, timezone: &str) -> Result<()> {
    crate::db_query!(
        "INSERT INTO timezone_periods (user_id, effective_from, timezone) VALUES ($1, now(), $2)",
        id,
        timezone
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A sign-in happened now.
pub async fn touch_login(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    crate::db_query!("UPDATE users SET last_login_at = now() WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A sync happened at `at`.
pub async fn touch_sync(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    crate::db_query!("UPDATE users SET last_synced_at = $2 WHERE id = $1", id, at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Credited steps join the accounts' lifetime totals (crediting, under the wallets' locks).
pub async fn add_steps(conn: &mut PgConnection, ids: &[Uuid], steps: &[i64]) -> Result<()> {
    crate::db_query!(
        r#"UPDATE users u SET total_steps = u.total_steps + q.steps, updated_at = now()
           FROM UNNEST($1::uuid[], $2::int8[]) AS q(id, steps)
           -- `u.id = ANY`: the accounts by key, where the join alone let the planner hash them all.
           WHERE u.id = q.id AND u.id = ANY($1)"#,
        ids,
        steps
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// These referees' referrals are paid (or, over the referrer's cap, done with).
pub async fn mark_referral_rewarded(conn: &mut PgConnection, ids: &[Uuid]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    crate::db_query!(
        "UPDATE users SET referral_rewarded_at = now() WHERE id = ANY($1) AND referral_rewarded_at IS NULL",
        ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How long a time-zone change waits before another may be asked for.
pub const TIMEZONE_CHANGE_EVERY: chrono::Duration = chrono::Duration::hours(24);

/// Moves the account to `timezone` from its next local midnight, in the zone that counts
/// its days now: the day under way is finished where it began, so a change can never
/// make a day begin twice or early. At most one change per 24 hours (`409
/// timezone_change_too_soon`); asking for the zone the account has (or waits for)
/// changes nothing. The change is recorded in `timezone_periods`, which validation reads
/// to tell the dates the account lived through from the ones a jump skipped.
pub async fn change_timezone(
    conn: &mut PgConnection,
    id: Uuid,
    timezone: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    check_timezone(conn, timezone).await?;
    let current = crate::db_query!(
        r#"SELECT user_timezone(users.*) AS "effective!",
                  CASE WHEN next_timezone_from > $2 THEN next_timezone END AS pending,
                  timezone_changed_at,
                  (date_trunc('day', $2 AT TIME ZONE user_timezone(users.*)) + interval '1 day')
                      AT TIME ZONE user_timezone(users.*) AS "next_midnight!"
           FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"#,
        id,
        now
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let waiting_for = current.pending.as_deref().unwrap_or(&current.effective);
    if waiting_for == timezone {
        return Ok(());
    }
    if let Some(at) = current.timezone_changed_at {
        let allowed = at + TIMEZONE_CHANGE_EVERY;
        if allowed > now {
            return Err(Error::conflict(
                "timezone_change_too_soon",
                Text::new("problem-timezone-change-too-soon")
                    .arg("after", allowed.format("%Y-%m-%d %H:%M UTC").to_string()),
            ));
        }
    }
    crate::db_query!(
        "UPDATE users SET timezone = $2, next_timezone = $3, next_timezone_from = $4,
                          timezone_changed_at = $5, updated_at = now()
         WHERE id = $1",
        id,
        current.effective,
        timezone,
        current.next_midnight,
        now
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        "INSERT INTO timezone_periods (user_id, effective_from, timezone) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, effective_from) DO UPDATE SET timezone = EXCLUDED.timezone",
        id,
        current.next_midnight,
        timezone
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The alias shown when a person chose none (or an admin hid theirs): first name and the
/// initial of the last, "Ann W."; "Walker" for an empty name.
pub fn default_alias(full_name: &str) -> String {
    let words: Vec<&str> = full_name.split_whitespace().collect();
    match words.as_slice() {
        [] => "Walker".into(),
        [one] => (*one).chars().take(40).collect(),
        [first, .., last] => {
            let initial: String = last.chars().take(1).collect();
            format!("{} {initial}.", first.chars().take(36).collect::<String>())
        }
    }
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
    pub counts_pushes: Option<bool>,
    pub locale: Option<crate::i18n::Locale>,
}

/// Applies a profile change; a time-zone change waits for the next local day
/// (`change_timezone`). Call it in a transaction: a refused zone changes nothing else.
pub async fn update_profile(
    conn: &mut PgConnection,
    id: Uuid,
    patch: ProfilePatch,
    now: DateTime<Utc>,
) -> Result<User> {
    if let Some(tz) = &patch.timezone {
        change_timezone(conn, id, tz, now).await?;
    }
    let updated = crate::db_query!(
        r#"UPDATE users SET
               full_name = COALESCE($2, full_name),
               phone = CASE WHEN $3 THEN $4 ELSE phone END,
               country_code = CASE WHEN $5 THEN $6 ELSE country_code END,
               bio = CASE WHEN $7 THEN $8 ELSE bio END,
               profile_picture_url = CASE WHEN $9 THEN $10 ELSE profile_picture_url END,
               counts_pushes = COALESCE($11, counts_pushes),
               locale = COALESCE($12, locale),
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
        patch.counts_pushes,
        patch.locale.map(|l| l.as_str()),
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    let user = get(conn, id).await?;
    remember_contact(
        conn,
        id,
        user.phone.as_deref(),
        user.country_code.as_deref(),
        now,
    )
    .await?;
    Ok(user)
}

/// The key a phone number is compared by, however it was typed: its last nine digits
/// ("+1 (555) 010-9999", "15550109999" and "555-010-9999" are one phone); none for a
/// number too short to mean anything.
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 7).then(|| digits[digits.len().saturating_sub(9)..].to_owned())
}

/// Records the account's phone number (by `phone_key`) and country as of `now`, when they
/// differ from the latest recorded: what the account can change at will counts in its
/// history, which links accounts (`transfers::linked`) and sets the country a stake
/// follows (`settled_country`).
pub async fn remember_contact(
    conn: &mut PgConnection,
    id: Uuid,
    phone: Option<&str>,
    country: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let phone = phone.and_then(phone_key);
    crate::db_query!(
        r#"INSERT INTO profile_history (user_id, field, value, set_at)
           SELECT $1, f.field, f.value, $4 FROM (VALUES ('phone', $2::text), ('country', $3::text)) AS f (field, value)
           WHERE f.value IS NOT NULL
             AND f.value IS DISTINCT FROM (SELECT h.value FROM profile_history h
                                           WHERE h.user_id = $1 AND h.field = f.field
                                           ORDER BY h.set_at DESC LIMIT 1)
           ON CONFLICT DO NOTHING"#,
        id,
        phone,
        country,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The country `id` has had for at least 30 days as of `now` (the one set longest ago when
/// several were set in that time): a country changed today does not change where the
/// account may stake coins until a month has passed.
pub async fn settled_country(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    Ok(crate::db_query_scalar!(
        r#"SELECT h.value FROM profile_history h
           WHERE h.user_id = $1 AND h.field = 'country'
             AND h.set_at <= $2::timestamptz - interval '30 days'
           ORDER BY h.set_at DESC LIMIT 1"#,
        id,
        now
    )
    .fetch_optional(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_one_however_they_are_typed() {
        let key = |p: &str| phone_key(p);
        assert_eq!(key("+1 (555) 010-9999"), key("15550109999"));
        assert_eq!(key("555-010-9999"), key("+1 555 010 9999"));
        assert_eq!(key("0049 30 1234567"), key("+49 (30) 123-4567"));
        assert_ne!(key("+1 555 010 9999"), key("+1 555 010 9998"));
        assert_eq!(key("12345"), None);
    }

    #[test]
    fn a_default_alias_is_a_first_name_and_an_initial() {
        assert_eq!(default_alias("Ann Walker"), "Ann W.");
        assert_eq!(default_alias("  Jean  Claude van Damme "), "Jean D.");
        assert_eq!(default_alias("Cher"), "Cher");
        assert_eq!(default_alias(""), "Walker");
    }
}
