//! Invite codes: links that connect friends (`friend`) or bring people into a team
//! (`team`). A code is 8 characters of Crockford base32 (no I, L, O or U: nothing to
//! misread from a screen or a QR code's caption), shown once when made; only its SHA-256
//! digest is stored. Multi-use until it expires (7 days) or its owner revokes it; at most
//! 10 live per person. A person's referral code works as a friend link too, for good.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::{Error, Result};

crate::text_enum! {
    /// What redeeming a code does.
    pub enum InviteKind {
        /// Asks the code's owner to be friends.
        Friend = "friend",
        /// Joins the code's team.
        Team = "team",
    }
}

/// How long a code works.
pub const LIFETIME: Duration = Duration::days(7);
/// Live codes one person may have at once.
pub const LIVE_PER_PERSON: i64 = 10;
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Invite {
    pub id: Uuid,
    pub kind: InviteKind,
    pub team_id: Option<Uuid>,
    pub uses: i32,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A code just made: the only time its text is known.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub invite: Invite,
    pub code: String,
    /// The link the app shows and shares (`<app>/invite/<code>`), also as a QR code.
    pub link: String,
}

/// A live code, found by its text.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    pub id: Option<Uuid>,
    pub owner_id: Uuid,
    pub kind: InviteKind,
    pub team_id: Option<Uuid>,
}

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A code as typed, in its canonical form (Crockford's decoding: case-insensitive,
/// hyphens and spaces ignored, O read as 0 and I or L as 1), or `None` when it cannot be
/// one.
pub fn canonical(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    (code.len() == 8 && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

fn digest(code: &str) -> Vec<u8> {
    Sha256::digest(code.as_bytes()).to_vec()
}

fn too_many() -> Error {
    Error::conflict("too_many_invites", Text::new("problem-too-many-invites"))
}

/// Makes a code for `owner` (a team's, for `team_id`). `link_base` is the app's link
/// base (the link is `<base>/invite/<code>`).
pub async fn create(
    conn: &mut PgConnection,
    owner: Uuid,
    team_id: Option<Uuid>,
    link_base: &str,
) -> Result<Created> {
    super::lock_people(conn, "invites", &[owner]).await?;
    let live = crate::db_query_scalar!(
        r#"SELECT count(*) AS "n!" FROM invite_codes
           WHERE owner_id = $1 AND revoked_at IS NULL AND expires_at > now()"#,
        owner
    )
    .fetch_one(&mut *conn)
    .await?;
    if live >= LIVE_PER_PERSON {
        return Err(too_many());
    }
    let kind = if team_id.is_some() {
        InviteKind::Team
    } else {
        InviteKind::Friend
    };
    // 32^8 ≈ 1.1e12 codes: a collision with a stored digest is drawn again.
    loop {
        let code = new_code();
        let row = crate::db_query!(
            r#"INSERT INTO invite_codes (owner_id, kind, team_id, code_digest, expires_at)
               VALUES ($1, $2, $3, $4, now() + $5::interval)
               ON CONFLICT (code_digest) DO NOTHING
               RETURNING id, uses, created_at, expires_at"#,
            owner,
            kind.as_str(),
            team_id,
            digest(&code),
            sqlx::postgres::types::PgInterval::try_from(LIFETIME.to_std().expect("positive"))
                .map_err(Error::internal)?
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = row {
            return Ok(Created {
                invite: Invite {
                    id: row.id,
                    kind,
                    team_id,
                    uses: row.uses,
                    created_at: row.created_at,
                    expires_at: row.expires_at,
                },
                link: format!("{}/invite/{code}", link_base.trim_end_matches('/')),
                code,
            });
        }
    }
}

/// `owner`'s live codes, newest first.
pub async fn list(conn: &mut PgConnection, owner: Uuid) -> Result<Vec<Invite>> {
    Ok(crate::db_query_as!(
        Invite,
        r#"SELECT id, kind AS "kind: InviteKind", team_id, uses, created_at, expires_at
           FROM invite_codes WHERE owner_id = $1 AND revoked_at IS NULL AND expires_at > now()
           ORDER BY created_at DESC"#,
        owner
    )
    .fetch_all(conn)
    .await?)
}

/// Revokes one of `owner`'s codes (another person's is `404`).
pub async fn revoke(conn: &mut PgConnection, owner: Uuid, id: Uuid) -> Result<()> {
    let revoked = crate::db_query!(
        "UPDATE invite_codes SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND owner_id = $2",
        id,
        owner
    )
    .execute(conn)
    .await?;
    if revoked.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Revokes every code of `owner` (an account that leaves), or only its team's.
pub async fn revoke_all(conn: &mut PgConnection, owner: Uuid, team_id: Option<Uuid>) -> Result<()> {
    crate::db_query!(
        "UPDATE invite_codes SET revoked_at = now()
         WHERE owner_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR team_id = $2)",
        owner,
        team_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The live code (or referral code) `raw` names, with its use counted; `None` for
/// anything that is not one, whatever the reason.
pub async fn redeem(conn: &mut PgConnection, raw: &str) -> Result<Option<Found>> {
    let found = match canonical(raw) {
        Some(code) => {
            crate::db_query!(
                r#"UPDATE invite_codes SET uses = uses + 1
                   WHERE code_digest = $1 AND revoked_at IS NULL AND expires_at > now()
                   RETURNING id, owner_id, kind AS "kind: InviteKind", team_id"#,
                digest(&code)
            )
            .fetch_optional(&mut *conn)
            .await?
        }
        None => None,
    };
    if let Some(f) = found {
        return Ok(Some(Found {
            id: Some(f.id),
            owner_id: f.owner_id,
            kind: f.kind,
            team_id: f.team_id,
        }));
    }
    // A referral code is a friend link that never expires: eight letters and digits.
    let referral = raw.trim().to_ascii_uppercase();
    if referral.len() != 8 || !referral.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let referrer = crate::db_query_scalar!(
        "SELECT id FROM users WHERE referral_code = $1 AND deleted_at IS NULL AND is_active",
        referral
    )
    .fetch_optional(conn)
    .await?;
    Ok(referrer.map(|owner_id| Found {
        id: None,
        owner_id,
        kind: InviteKind::Friend,
        team_id: None,
    }))
}

/// Deletes codes that expired or were revoked more than a week ago, at most `limit`.
pub async fn delete_old(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<u64> {
    Ok(crate::db_query!(
        "DELETE FROM invite_codes WHERE id IN (
             SELECT id FROM invite_codes
             WHERE expires_at < $2::timestamptz - interval '7 days' OR revoked_at < $2::timestamptz - interval '7 days'
             LIMIT $1)",
        limit,
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_crockford_reads_them() {
        let code = new_code();
        assert_eq!(code.len(), 8);
        assert_eq!(canonical(&code).as_deref(), Some(code.as_str()));
        assert_eq!(canonical("abcd-efgh").as_deref(), Some("ABCDEFGH"));
        assert_eq!(canonical("oIl0 2345").as_deref(), Some("01102345"));
        assert_eq!(canonical("ABCDEFGU"), None, "no U in Crockford's alphabet");
        assert_eq!(canonical("ABCDEFG"), None);
        assert_eq!(canonical("ABCDEFGHJ"), None);
        assert_ne!(digest("ABCDEFGH"), digest("ABCDEFGJ"));
    }
}
