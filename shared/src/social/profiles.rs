//! What a person shows other people: a display alias (used wherever others see them,
//! instead of their name), who sees their steps (friends, the default, or nobody), and
//! whether they appear on the global boards (public, to friends only, or hidden).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::input::Checks;
use crate::{input, Error, Result};

pub use crate::visibility::{BoardVisibility, StepsVisibility};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Privacy {
    /// The alias others see: the chosen one, or the default made from the name.
    pub alias: String,
    /// Whether the person chose the alias (else it is the default).
    pub alias_chosen: bool,
    pub steps_visibility: StepsVisibility,
    pub leaderboard_visibility: BoardVisibility,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A checked change: `None` leaves a field alone; `alias: Some(None)` goes back to the
/// default alias.
#[derive(Debug, Default)]
pub struct Changes {
    pub alias: Option<Option<String>>,
    pub steps_visibility: Option<StepsVisibility>,
    pub leaderboard_visibility: Option<BoardVisibility>,
}

impl Changes {
    pub fn check(
        alias: Option<Option<String>>,
        steps: Option<String>,
        board: Option<String>,
    ) -> Result<Self> {
        let mut checks = Checks::default();
        let alias = match alias {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => checks
                .field(
                    "alias",
                    input::single_line(&raw, 40).and_then(|a| {
                        if a.chars().count() < 2 {
                            Err("must be at least 2 characters".into())
                        } else {
                            Ok(a)
                        }
                    }),
                )
                .map(Some),
        };
        let steps_visibility =
            steps.and_then(|s| checks.field("steps_visibility", StepsVisibility::parse(&s)));
        let leaderboard_visibility =
            board.and_then(|b| checks.field("leaderboard_visibility", BoardVisibility::parse(&b)));
        checks.finish()?;
        Ok(Changes {
            alias,
            steps_visibility,
            leaderboard_visibility,
        })
    }
}

/// A person's choices (the defaults while they made none).
pub async fn get(conn: &mut PgConnection, user_id: Uuid) -> Result<Privacy> {
    let row = crate::db_query!(
        r#"SELECT u.full_name, CASE WHEN p.alias_hidden_at IS NULL THEN p.alias END AS alias,
                  COALESCE(p.steps_visibility, 'friends') AS "steps!: StepsVisibility",
                  COALESCE(p.leaderboard_visibility, 'public') AS "board!: BoardVisibility",
                  p.updated_at AS "updated_at?"
           FROM users u LEFT JOIN social_profiles p ON p.user_id = u.id
           WHERE u.id = $1 AND u.deleted_at IS NULL"#,
        user_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(Privacy {
        alias_chosen: row.alias.is_some(),
        alias: row
            .alias
            .unwrap_or_else(|| super::default_alias(&row.full_name)),
        steps_visibility: row.steps,
        leaderboard_visibility: row.board,
        updated_at: row.updated_at,
    })
}

/// Applies `changes` and returns the result. A new alias replaces one an admin hid.
pub async fn update(conn: &mut PgConnection, user_id: Uuid, changes: &Changes) -> Result<Privacy> {
    crate::db_query!(
        r#"INSERT INTO social_profiles AS p (user_id, alias, steps_visibility, leaderboard_visibility)
           VALUES ($1, $3, COALESCE($4, 'friends'), COALESCE($5, 'public'))
           ON CONFLICT (user_id) DO UPDATE SET
               alias = CASE WHEN $2 THEN EXCLUDED.alias ELSE p.alias END,
               alias_hidden_at = CASE WHEN $2 THEN NULL ELSE p.alias_hidden_at END,
               steps_visibility = COALESCE($4, p.steps_visibility),
               leaderboard_visibility = COALESCE($5, p.leaderboard_visibility),
               updated_at = now()"#,
        user_id,
        changes.alias.is_some(),
        changes.alias.clone().flatten(),
        changes.steps_visibility.map(|v| v.as_str()),
        changes.leaderboard_visibility.map(|v| v.as_str()),
    )
    .execute(&mut *conn)
    .await?;
    get(conn, user_id).await
}

/// An admin hides an offensive alias: the person is shown with the default one until
/// they choose another.
pub async fn hide_alias(conn: &mut PgConnection, user_id: Uuid) -> Result<()> {
    crate::db_query!(
        "INSERT INTO social_profiles AS p (user_id, alias_hidden_at) VALUES ($1, now())
         ON CONFLICT (user_id) DO UPDATE SET alias_hidden_at = now(), updated_at = now()",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}
