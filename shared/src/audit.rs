//! The audit trail. Every admin mutation runs in an `AuditedTx`: the change and its
//! `admin_logs` row (action, entity, before/after, the caller's IP and user agent) commit
//! together or not at all, so an audit row exists if and only if the change committed.
//! Changes nobody clicked (a Shopify webhook, an automatic confirmation) are audited the
//! same way with `record`, naming the integration as the actor.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use crate::{pagination, App, Error, Result};

/// The admin behind a mutation, and where the request came from.
#[derive(Debug, Clone)]
pub struct Actor {
    pub admin_id: Uuid,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

crate::text_enum! {
    /// Who made an audited change.
    pub enum ActorKind {
        /// An admin, by hand (the row names them).
        Admin = "admin",
        /// The Shopify integration: a webhook, or the push of an order to the store.
        Shopify = "shopify",
        /// FitKart itself, by a setting (e.g. `auto_confirm_orders`).
        System = "system",
    }
}

crate::text_enum! {
    /// What kind of thing an audited change changed (the log's `entity_type` filter).
    pub enum EntityType {
        StepValidation = "step_validation",
        User = "user",
        Order = "order",
        RewardProduct = "reward_product",
        Setting = "setting",
        ChangeRequest = "change_request",
        Report = "report",
        Challenge = "challenge",
        Gift = "gift",
        Campaign = "campaign",
        CharityPayout = "charity_payout",
    }
}

/// What a mutation did, for its audit row.
pub struct Entry<'a, B: Serialize, A: Serialize> {
    /// `<entity>.<verb>`, e.g. `order.update`, `user.coins`, `validation.approve`.
    pub action: &'a str,
    pub entity_type: EntityType,
    pub entity_id: Option<Uuid>,
    pub before: &'a B,
    pub after: &'a A,
}

/// An admin mutation's transaction.
pub struct AuditedTx {
    tx: Transaction<'static, Postgres>,
    actor: Actor,
    /// Set when the change is a second admin's approval of another admin's request.
    approval: Option<Approval>,
    /// Audit rows written so far by the area that made the change (`record`).
    recorded: usize,
}

/// The request an approved change came from: its row names both admins.
#[derive(Debug, Clone, Copy)]
pub struct Approval {
    pub change_request_id: Uuid,
    pub requested_by: Uuid,
}

impl AuditedTx {
    pub async fn begin(app: &App, actor: Actor) -> Result<Self> {
        Ok(Self {
            tx: app.db().await?.begin().await?,
            actor,
            approval: None,
            recorded: 0,
        })
    }

    pub fn admin_id(&self) -> Uuid {
        self.actor.admin_id
    }

    /// The change being made applies another admin's request (four eyes).
    pub fn approving(&mut self, approval: Approval) {
        self.approval = Some(approval);
    }

    /// The connection the change is made on.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Writes an audit row now, in the transaction: for an area that audits its own
    /// changes (the order workflow). The caller then ends with `commit_recorded`.
    pub async fn record<B: Serialize, A: Serialize>(
        &mut self,
        entry: Entry<'_, B, A>,
    ) -> Result<()> {
        insert(
            &mut self.tx,
            ActorKind::Admin,
            Some(&self.actor),
            self.approval,
            entry,
        )
        .await?;
        self.recorded += 1;
        Ok(())
    }

    /// Commits a change whose audit rows were written with `record`; refuses to commit
    /// a mutation nothing audited.
    pub async fn commit_recorded(self) -> Result<()> {
        if self.recorded == 0 {
            return Err(Error::internal("an admin mutation without an audit row"));
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// Writes the audit row and commits it with the change.
    pub async fn commit<B: Serialize, A: Serialize>(
        mut self,
        entry: Entry<'_, B, A>,
    ) -> Result<()> {
        insert(
            &mut self.tx,
            ActorKind::Admin,
            Some(&self.actor),
            self.approval,
            entry,
        )
        .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// Audits a change made by an integration (`kind` is not `Admin`) in the caller's
/// transaction, so the row commits with the change.
pub async fn record<B: Serialize, A: Serialize>(
    conn: &mut PgConnection,
    kind: ActorKind,
    entry: Entry<'_, B, A>,
) -> Result<()> {
    if kind == ActorKind::Admin {
        return Err(Error::internal(
            "an admin's change is audited through AuditedTx",
        ));
    }
    insert(conn, kind, None, None, entry).await
}

async fn insert<B: Serialize, A: Serialize>(
    conn: &mut PgConnection,
    kind: ActorKind,
    admin: Option<&Actor>,
    approval: Option<Approval>,
    entry: Entry<'_, B, A>,
) -> Result<()> {
    let changes = json!({
        "before": serde_json::to_value(entry.before).map_err(Error::internal)?,
        "after": serde_json::to_value(entry.after).map_err(Error::internal)?,
    });
    crate::db_query!(
        "INSERT INTO admin_logs (admin_id, actor, action, entity_type, entity_id, changes, ip_address, user_agent,
                                 change_request_id, requested_by_admin_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text::inet, $8, $9, $10)",
        admin.map(|a| a.admin_id),
        kind.as_str(),
        entry.action,
        entry.entity_type.as_str(),
        entry.entity_id,
        changes,
        admin
            .and_then(|a| a.ip.as_deref())
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()),
        admin
            .and_then(|a| a.user_agent.as_deref())
            .map(|ua| truncate(ua, 512)),
        approval.map(|a| a.change_request_id),
        approval.map(|a| a.requested_by),
    )
    .execute(conn)
    .await?;
    Ok(())
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[derive(Debug, Serialize)]
pub struct LogEntry {
    pub id: Uuid,
    /// `admin`, `shopify` or `system`; admin_id and admin_email are set for admins only.
    pub actor: String,
    pub admin_id: Option<Uuid>,
    pub admin_email: Option<String>,
    /// For a change a second admin approved: the request and the admin who asked for it.
    pub change_request_id: Option<Uuid>,
    pub requested_by_admin_id: Option<Uuid>,
    pub requested_by_email: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub changes: Value,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Filters of the audit log; all optional, combined with AND.
#[derive(Debug, Default)]
pub struct LogFilter {
    pub entity_type: Option<EntityType>,
    pub entity_id: Option<Uuid>,
    pub admin_id: Option<Uuid>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A page of audit entries, newest first.
pub async fn list(
    conn: &mut PgConnection,
    filter: &LogFilter,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<LogEntry>, Option<String>)> {
    let (before_at, before_id): (DateTime<Utc>, Uuid) = match cursor {
        Some(c) => pagination::decode(c)?,
        None => (DateTime::<Utc>::MAX_UTC, Uuid::max()),
    };
    let rows = crate::db_query_as!(
        LogEntry,
        r#"SELECT l.id, l.actor, l.admin_id, u.email AS "admin_email?", l.change_request_id,
                  l.requested_by_admin_id, r.email AS "requested_by_email?", l.action, l.entity_type, l.entity_id,
                  l.changes, host(l.ip_address) AS ip_address, l.user_agent, l.created_at
           FROM admin_logs l LEFT JOIN users u ON u.id = l.admin_id
           LEFT JOIN users r ON r.id = l.requested_by_admin_id
           WHERE ($1::text IS NULL OR l.entity_type = $1)
             AND ($2::uuid IS NULL OR l.entity_id = $2)
             AND ($3::uuid IS NULL OR l.admin_id = $3)
             AND ($4::text IS NULL OR l.action = $4)
             AND ($5::timestamptz IS NULL OR l.created_at >= $5)
             AND ($6::timestamptz IS NULL OR l.created_at < $6)
             AND (l.created_at, l.id) < ($7, $8)
           ORDER BY l.created_at DESC, l.id DESC
           LIMIT $9"#,
        filter.entity_type.map(EntityType::as_str),
        filter.entity_id,
        filter.admin_id,
        filter.action,
        filter.from,
        filter.to,
        before_at,
        before_id,
        limit + 1
    )
    .fetch_all(conn)
    .await?;
    Ok(pagination::finish(rows, limit, |r| (r.created_at, r.id)))
}
