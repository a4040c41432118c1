//! User profiles: the `user` object of API.md, roles, and profile updates. Creating,
//! deleting and administering accounts is `accounts`, which sits above this module.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Error, Result};

crate::text_enum! {
    /// What an account may do: admins run the admin API.
    #[derive(sqlx::Type)]
    #[sqlx(type_name = "varchar", rename_all = "lowercase")]
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

/// A time zone name must be one Postgres knows too (chrono's tz database and the
/// server's can differ by a release): every day boundary is computed in SQL with it.
pub async fn check_timezone(conn: &mut PgConnection, name: &str) -> Result<()> {
    let known = sqlx::query_scalar!(
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

/// The user's local date today (their time zone defines their calendar day).
pub async fn local_today(conn: &mut PgConnection, id: Uuid) -> Result<chrono::NaiveDate> {
    let tz = sqlx::query_scalar!("SELECT timezone FROM users WHERE id = $1", id)
        .fetch_one(conn)
        .await?;
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    Ok(Utc::now().with_timezone(&tz).date_naive())
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
    if let Some(tz) = &patch.timezone {
        check_timezone(conn, tz).await?;
    }
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
