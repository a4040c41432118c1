//! Reports: a person or a team reported to the admins (a reason, an optional note; at most
//! 10 an hour per reporter), with a snapshot of the name and avatar as the reporter saw
//! them (what was offensive may be changed before anyone looks). Admins dismiss a report
//! or act on it: hide the alias or the team name, or deactivate the account; audited.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::input::Checks;
use crate::{input, Error, Result};

crate::text_enum! {
    pub enum Reason {
        OffensiveName = "offensive_name",
        OffensiveAvatar = "offensive_avatar",
        Harassment = "harassment",
        Cheating = "cheating",
        Spam = "spam",
        Other = "other",
        /// Filed by FitKart itself (`flag`): gifts gathering coins in one account.
        GiftPattern = "gift_pattern",
    }
}

crate::text_enum! {
    pub enum TargetType {
        User = "user",
        Team = "team",
    }
}

crate::text_enum! {
    pub enum Status {
        Open = "open",
        Actioned = "actioned",
        Dismissed = "dismissed",
    }
}

crate::text_enum! {
    /// What an admin does about a report.
    pub enum Action {
        Dismiss = "dismiss",
        HideAlias = "hide_alias",
        HideTeamName = "hide_team_name",
        Deactivate = "deactivate",
    }
}

/// Reports one person may file in an hour.
pub const LIMIT: crate::ratelimit::Limit = crate::ratelimit::Limit::per_hour("report", 10);

/// A checked report.
#[derive(Debug)]
pub struct NewReport {
    pub target_type: TargetType,
    pub target_id: Uuid,
    pub reason: Reason,
    pub note: Option<String>,
}

impl NewReport {
    pub fn check(
        target_type: &str,
        target_id: &str,
        reason: &str,
        note: Option<String>,
    ) -> Result<Self> {
        let mut checks = Checks::default();
        let target_type = checks.field("target_type", TargetType::parse(target_type));
        let target_id = checks.field(
            "target_id",
            Uuid::parse_str(target_id).map_err(|_| "must be an id".to_owned()),
        );
        let reason = checks.field(
            "reason",
            Reason::parse(reason).and_then(|r| {
                if r == Reason::GiftPattern {
                    Err("is filed by FitKart itself".into())
                } else {
                    Ok(r)
                }
            }),
        );
        let note = checks.optional("note", note, |n| input::text(&n, 1_000));
        checks.finish()?;
        Ok(NewReport {
            target_type: input::checked(target_type)?,
            target_id: input::checked(target_id)?,
            reason: input::checked(reason)?,
            note,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: Uuid,
    pub target_type: TargetType,
    pub target_id: Option<Uuid>,
    pub reason: Reason,
    pub note: Option<String>,
    pub snapshot_name: Option<String>,
    pub snapshot_avatar: Option<String>,
    pub status: Status,
    pub action: Option<String>,
    pub reporter_id: Option<Uuid>,
    pub handled_by: Option<Uuid>,
    pub handled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// FitKart files a report about `user` itself (no reporter): a pattern of gifts worth a
/// person's look, with the numbers in `note`. One open flag per person at a time.
pub async fn flag(conn: &mut PgConnection, user: Uuid, note: &str) -> Result<()> {
    let alias = crate::visibility::for_admin(conn, &[user])
        .await?
        .pop()
        .map(|p| p.alias);
    crate::db_query!(
        "INSERT INTO reports (target_user_id, reason, note, snapshot_name)
         SELECT $1, 'gift_pattern', $2, $3
         WHERE NOT EXISTS (SELECT 1 FROM reports WHERE target_user_id = $1 AND reason = 'gift_pattern' AND status = 'open')",
        user,
        note,
        alias
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Files `report` by `reporter`, with a snapshot of the target as it is shown now. A
/// target the reporter cannot see (another account that does not exist, a team that is
/// gone) is `404`.
pub async fn file(conn: &mut PgConnection, reporter: Uuid, report: &NewReport) -> Result<Report> {
    let (snapshot_name, snapshot_avatar) = match report.target_type {
        TargetType::User => {
            if report.target_id == reporter {
                return Err(Error::invalid("target_id", "cannot be yourself"));
            }
            // What the admins will see of the target (one who blocked the reporter included).
            let found = crate::visibility::for_admin(conn, &[report.target_id]).await?;
            let person = found.into_iter().next().ok_or(Error::NotFound)?;
            (Some(person.alias), person.avatar_url)
        }
        TargetType::Team => (
            Some(
                super::teams::shown(conn, report.target_id)
                    .await?
                    .ok_or(Error::NotFound)?,
            ),
            None,
        ),
    };
    let (user, team) = match report.target_type {
        TargetType::User => (Some(report.target_id), None),
        TargetType::Team => (None, Some(report.target_id)),
    };
    let id = crate::db_query_scalar!(
        "INSERT INTO reports (reporter_id, target_user_id, target_team_id, reason, note, snapshot_name, snapshot_avatar)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        reporter,
        user,
        team,
        report.reason.as_str(),
        report.note,
        snapshot_name,
        snapshot_avatar
    )
    .fetch_one(&mut *conn)
    .await?;
    get(conn, id).await
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Report> {
    crate::db_query!(
        r#"SELECT id, reporter_id, target_user_id, target_team_id, reason AS "reason: Reason", note,
                  snapshot_name, snapshot_avatar, status AS "status: Status", action, handled_by, handled_at, created_at
           FROM reports WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .map(|r| Report {
        id: r.id,
        target_type: if r.target_team_id.is_some() {
            TargetType::Team
        } else {
            TargetType::User
        },
        target_id: r.target_user_id.or(r.target_team_id),
        reason: r.reason,
        note: r.note,
        snapshot_name: r.snapshot_name,
        snapshot_avatar: r.snapshot_avatar,
        status: r.status,
        action: r.action,
        reporter_id: r.reporter_id,
        handled_by: r.handled_by,
        handled_at: r.handled_at,
        created_at: r.created_at,
    })
    .ok_or(Error::NotFound)
}

/// A page of reports with `status`, oldest first (the queue's order), and the cursor of
/// the next page.
pub async fn list(
    conn: &mut PgConnection,
    status: Status,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<Report>, Option<String>)> {
    let (at, id): (DateTime<Utc>, Uuid) = match cursor {
        Some(c) => crate::pagination::decode(c)?,
        None => (DateTime::<Utc>::UNIX_EPOCH, Uuid::nil()),
    };
    let rows = crate::db_query!(
        "SELECT id, created_at FROM reports WHERE status = $1 AND (created_at, id) > ($2, $3)
         ORDER BY created_at, id LIMIT $4",
        status.as_str(),
        at,
        id,
        limit + 1
    )
    .fetch_all(&mut *conn)
    .await?;
    let (rows, next) = crate::pagination::finish(rows, limit, |r| (r.created_at, r.id));
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(get(conn, r.id).await?);
    }
    Ok((out, next))
}

/// Marks an open report handled by `admin` with `action` (the caller carries the action
/// out in the same transaction). A report handled already is `409 already_handled`.
pub async fn handle(
    conn: &mut PgConnection,
    id: Uuid,
    admin: Uuid,
    action: Action,
) -> Result<Report> {
    let status = if action == Action::Dismiss {
        Status::Dismissed
    } else {
        Status::Actioned
    };
    let handled = crate::db_query!(
        "UPDATE reports SET status = $2, action = $3, handled_by = $4, handled_at = now()
         WHERE id = $1 AND status = 'open'",
        id,
        status.as_str(),
        action.as_str(),
        admin
    )
    .execute(&mut *conn)
    .await?;
    if handled.rows_affected() == 0 {
        get(conn, id).await?;
        return Err(Error::conflict(
            "already_handled",
            Text::new("problem-already-handled"),
        ));
    }
    get(conn, id).await
}

/// An account that leaves: the reports it filed lose its id and its note (the admins
/// keep the reason and the snapshot); reports about it keep their snapshot.
pub async fn forget(conn: &mut PgConnection, user: Uuid) -> Result<()> {
    crate::db_query!(
        "UPDATE reports SET reporter_id = NULL, note = NULL WHERE reporter_id = $1",
        user
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The reports `user` filed, for their export.
pub async fn export(conn: &mut PgConnection, user: Uuid) -> Result<serde_json::Value> {
    let rows = crate::db_query!(
        r#"SELECT reason, note, snapshot_name, status, created_at FROM reports WHERE reporter_id = $1 ORDER BY created_at"#,
        user
    )
    .fetch_all(conn)
    .await?;
    Ok(serde_json::json!(rows
        .into_iter()
        .map(|r| serde_json::json!({ "reason": r.reason, "note": r.note, "about": r.snapshot_name, "status": r.status, "created_at": r.created_at }))
        .collect::<Vec<_>>()))
}
