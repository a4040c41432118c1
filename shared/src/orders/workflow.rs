//! The order workflow, the one owner of an order's status: every change (the owner's
//! cancel, an admin's step, Shopify's push and webhooks, the automatic confirmation) goes
//! through `apply`, which checks who may make it, settles its coins and stock, stamps its
//! time, tells the owner, and audits it; and says whether the order is now due to go to
//! Shopify (`Moved::push_due`).
//!
//! ```text
//! pending → confirmed → processing → shipped → delivered
//! pending | confirmed | processing → cancelled      shipped | delivered → refunded
//! ```

use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Actor, AdminOrder, Status};
use crate::audit::{self, ActorKind, AuditedTx, EntityType, Entry};
use crate::i18n::Text;
use crate::ledger::{self, Posting, Reference, TxType};
use crate::{achievements, notifications, Error, Result};

impl Status {
    /// The workflow: which status may follow which.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Pending, Confirmed)
                | (Confirmed, Processing)
                | (Processing, Shipped)
                | (Shipped, Delivered)
                | (Pending | Confirmed | Processing, Cancelled)
                | (Shipped | Delivered, Refunded)
        )
    }

    /// The statuses an admin may move an order to from this one (what the console offers).
    pub fn next(self) -> Vec<Status> {
        Status::ALL
            .iter()
            .copied()
            .filter(|to| self.can_become(*to))
            .collect()
    }
}

/// The forward path of the workflow.
const FORWARD: [Status; 5] = [
    Status::Pending,
    Status::Confirmed,
    Status::Processing,
    Status::Shipped,
    Status::Delivered,
];

/// How an order gets from `from` to `to` when someone outside reports where it is (the
/// store: shipped, delivered, cancelled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Path {
    /// These steps, in order, each one the workflow allows.
    Steps(Vec<Status>),
    /// The order is there already, or beyond.
    Already,
    /// The workflow does not allow it; a person decides.
    Refused(String),
}

/// The steps from `from` to `to` along the workflow: forward through the statuses in
/// between (a fulfilment of an order still `confirmed` here goes through `processing`),
/// never back.
pub fn path(from: Status, to: Status) -> Path {
    if from == to {
        return Path::Already;
    }
    if to == Status::Cancelled || to == Status::Refunded {
        return if from.can_become(to) {
            Path::Steps(vec![to])
        } else {
            Path::Refused(format!(
                "the order is {from} here and cannot become {to}; settle it by hand"
            ))
        };
    }
    let (Some(at), Some(goal)) = (
        FORWARD.iter().position(|s| *s == from),
        FORWARD.iter().position(|s| *s == to),
    ) else {
        return Path::Refused(format!(
            "the order is reported {to}, but it is {from} here; settle it by hand"
        ));
    };
    if at >= goal {
        Path::Already
    } else {
        Path::Steps(FORWARD[at + 1..=goal].to_vec())
    }
}

impl AdminOrder {
    /// What the audit trail keeps of an order before and after a change.
    pub fn audit_view(&self) -> Value {
        json!({
            "status": self.order.status,
            "tracking_number": self.order.tracking_number,
            "carrier": self.order.carrier,
            "notes": self.notes,
        })
    }
}

/// A requested change of an order's status (admins and the store may add tracking and
/// notes).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub to: Option<Status>,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub notes: Option<String>,
}

/// An order before and after a change.
#[derive(Debug, Clone)]
pub struct Moved {
    pub before: AdminOrder,
    pub after: AdminOrder,
}

impl Moved {
    /// Whether the order just became due to go to Shopify: once it is committed, the
    /// caller hands it to the queue (`shopify::fulfilment::request_push`).
    pub fn push_due(&self) -> bool {
        push_due(Some(self.before.order.status), self.after.order.status)
    }
}

/// Whether an order that was `before` (`None`: just placed) and is now `after` is due to
/// go to Shopify: it just became confirmed.
pub fn push_due(before: Option<Status>, after: Status) -> bool {
    after == Status::Confirmed && before != Some(Status::Confirmed)
}

/// An admin's step (or correction of tracking and notes), audited in the admin's
/// transaction with their name, source IP and user agent.
pub async fn by_admin(tx: &mut AuditedTx, id: Uuid, change: &Change) -> Result<Moved> {
    let admin = tx.admin_id();
    let moved = apply(tx.conn(), id, Actor::Admin(admin), change).await?;
    let (before, after) = (moved.before.audit_view(), moved.after.audit_view());
    tx.record(Entry {
        action: "order.update",
        entity_type: EntityType::Order,
        entity_id: Some(id),
        before: &before,
        after: &after,
    })
    .await?;
    Ok(moved)
}

/// A step nobody clicked: Shopify's push and webhooks (`ActorKind::Shopify`) or the
/// automatic confirmation (`ActorKind::System`), audited with the integration as the
/// actor; `context` (the webhook, why) is kept with the audit row.
pub async fn by_integration(
    conn: &mut PgConnection,
    kind: ActorKind,
    id: Uuid,
    change: &Change,
    context: Option<Value>,
) -> Result<Moved> {
    let actor = match kind {
        ActorKind::Shopify => Actor::Shopify,
        ActorKind::System => Actor::System,
        ActorKind::Admin => {
            return Err(Error::internal("an admin's step goes through by_admin"));
        }
    };
    let moved = apply(conn, id, actor, change).await?;
    let mut after = moved.after.audit_view();
    if let Some(context) = context {
        after["context"] = context;
    }
    audit::record(
        conn,
        kind,
        Entry {
            action: "order.update",
            entity_type: EntityType::Order,
            entity_id: Some(id),
            before: &moved.before.audit_view(),
            after: &after,
        },
    )
    .await?;
    Ok(moved)
}

/// The owner cancels their own order (pending or confirmed). Not an admin action: the
/// owner's ledger shows the refund.
pub async fn cancel_by_owner(conn: &mut PgConnection, owner: Uuid, id: Uuid) -> Result<Moved> {
    let change = Change {
        to: Some(Status::Cancelled),
        ..Change::default()
    };
    apply(conn, id, Actor::User(owner), &change).await
}

/// Records the order's id in Shopify (the push's answer, or an `orders/*` webhook that
/// arrived first) and ends the push's lease. Returns whether it was new.
pub async fn record_shopify_id(
    conn: &mut PgConnection,
    id: Uuid,
    shopify_id: &str,
) -> Result<bool> {
    let recorded = crate::db_query!(
        "UPDATE orders SET shopify_order_id = $2, shopify_push_lease_until = NULL, updated_at = now()
         WHERE id = $1 AND shopify_order_id IS NULL",
        id,
        shopify_id
    )
    .execute(conn)
    .await?;
    Ok(recorded.rows_affected() == 1)
}

/// Moves an order through the workflow with its coin and stock effects, in the caller's
/// transaction; returns the order before and after.
///
/// - `cancelled` (from pending, confirmed, processing): stock back, frozen coins back to
///   available with a `refund` row;
/// - `shipped`: the frozen coins are settled into `total_spent`, and redemption
///   achievements are evaluated (they unlock for goods that went out, not for orders
///   placed and cancelled);
/// - `refunded` (from shipped, delivered): the coins come back with a `refund` row and
///   leave `total_spent`; the goods went out, so stock stays as it is;
/// - `confirmed`: the order is due to go to Shopify (`shopify_push_requested_at`);
/// - an admin may repeat the current status to correct tracking number or notes.
///
/// Anything else is `409 invalid_transition`; a user may only cancel their own pending
/// or confirmed order (someone else's is `404`); an admin may not move their own order
/// (`403 own_account`).
async fn apply(conn: &mut PgConnection, id: Uuid, actor: Actor, change: &Change) -> Result<Moved> {
    let locked = crate::db_query_as!(
        Locked,
        "SELECT id, user_id, status, total_coins, order_code FROM orders WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let from = Status::parse(&locked.status).map_err(Error::internal)?;
    let to = change.to.unwrap_or(from);
    permit(actor, &locked, from, to, change)?;
    let before = super::get(conn, None, id).await?;
    if to != from {
        settle(conn, &locked, to).await?;
    }
    crate::db_query!(
        "UPDATE orders SET status = $2::text,
                tracking_number = COALESCE($3, tracking_number),
                notes = COALESCE($4, notes),
                carrier = COALESCE($5, carrier),
                shopify_push_requested_at = CASE WHEN $2 = 'confirmed' AND status <> $2 THEN now()
                                                 ELSE shopify_push_requested_at END,
                shipped_at = CASE WHEN $2 = 'shipped' AND status <> $2 THEN now() ELSE shipped_at END,
                delivered_at = CASE WHEN $2 = 'delivered' AND status <> $2 THEN now() ELSE delivered_at END,
                cancelled_at = CASE WHEN $2 = 'cancelled' AND status <> $2 THEN now() ELSE cancelled_at END,
                refunded_at = CASE WHEN $2 = 'refunded' AND status <> $2 THEN now() ELSE refunded_at END,
                updated_at = now()
         WHERE id = $1",
        id,
        to.as_str(),
        change.tracking_number,
        change.notes,
        change.carrier
    )
    .execute(&mut *conn)
    .await?;
    if to == Status::Shipped && from != Status::Shipped {
        // Redemption achievements follow the goods: they unlock when an order ships.
        achievements::evaluate(conn, &[locked.user_id]).await?;
    }
    let after = super::get(conn, None, id).await?;
    // The owner hears of what others did to their order (not of their own cancel).
    if to != from && !matches!(actor, Actor::User(_)) {
        let notice = notifications::order_notice(
            locked.user_id,
            id,
            &locked.order_code,
            to.as_str(),
            after.order.tracking_number.as_deref(),
            after.order.carrier.as_deref(),
        );
        notifications::record(conn, notice.as_slice()).await?;
    }
    Ok(Moved { before, after })
}

/// An order row as `transition` locks it.
struct Locked {
    id: Uuid,
    user_id: Uuid,
    status: String,
    total_coins: i64,
    order_code: String,
}

/// Who may move the order from `from` to `to`: its owner may cancel before processing
/// (someone else's order is `404`); an admin may follow the workflow or correct tracking
/// and notes, never on their own order; the integrations follow the workflow.
fn permit(actor: Actor, order: &Locked, from: Status, to: Status, change: &Change) -> Result<()> {
    let allowed = match actor {
        Actor::User(user) if user != order.user_id => return Err(Error::NotFound),
        Actor::User(_) => {
            to == Status::Cancelled && matches!(from, Status::Pending | Status::Confirmed)
        }
        // Admins can't pay themselves: no workflow step on their own orders.
        Actor::Admin(admin) if admin == order.user_id => {
            return Err(Error::denied(
                "own_account",
                Text::new("problem-own-account-orders"),
            ))
        }
        Actor::Admin(_) | Actor::Shopify | Actor::System => {
            from.can_become(to)
                || (to == from
                    && (change.tracking_number.is_some()
                        || change.carrier.is_some()
                        || change.notes.is_some()))
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::conflict(
            "invalid_transition",
            Text::new("problem-invalid-transition")
                .arg("from", from.as_str())
                .arg("to", to.as_str()),
        ))
    }
}

/// The coin and stock effects of reaching `to`: a cancellation returns the stock and the
/// frozen coins, shipping settles them into `total_spent`, a refund returns them.
async fn settle(conn: &mut PgConnection, order: &Locked, to: Status) -> Result<()> {
    let (user, total) = (order.user_id, order.total_coins);
    let refund = |description: String| Posting {
        user_id: user,
        amount: total,
        tx_type: TxType::Refund,
        reference: Some((Reference::Order, order.id)),
        description,
        coins_per_step: None,
    };
    match to {
        Status::Cancelled => {
            crate::rewards::return_stock(conn, order.id).await?;
            let description = format!("Order {} cancelled", order.order_code);
            ledger::post(conn, &refund(description)).await?;
            ledger::move_held_coins(conn, user, -total, 0).await
        }
        Status::Shipped => ledger::move_held_coins(conn, user, -total, total).await,
        Status::Refunded => {
            let description = format!("Order {} refunded", order.order_code);
            ledger::post(conn, &refund(description)).await?;
            ledger::move_held_coins(conn, user, 0, -total).await
        }
        Status::Pending | Status::Confirmed | Status::Processing | Status::Delivered => Ok(()),
    }
}

/// `auto_confirm_orders`: a just-placed order (its stock already reserved) is confirmed
/// at once, in the placing transaction, audited as the system's doing. The caller hands
/// it to Shopify once committed.
pub async fn confirm_automatically(conn: &mut PgConnection, id: Uuid) -> Result<Moved> {
    let change = Change {
        to: Some(Status::Confirmed),
        ..Change::default()
    };
    by_integration(conn, ActorKind::System, id, &change, None).await
}

/// Marks a push to Shopify in flight for `seconds` (a second delivery meanwhile waits).
pub async fn lease_push(conn: &mut PgConnection, id: Uuid, seconds: f64) -> Result<()> {
    crate::db_query!(
        "UPDATE orders SET shopify_push_lease_until = now() + make_interval(secs => $2) WHERE id = $1",
        id,
        seconds
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a push's lease early (it failed: the next delivery may try at once).
pub async fn release_push(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    crate::db_query!(
        "UPDATE orders SET shopify_push_lease_until = NULL WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reported_status_is_reached_forward_and_never_back() {
        use Status::*;
        let cases = [
            (Processing, Shipped, Path::Steps(vec![Shipped])),
            (Confirmed, Shipped, Path::Steps(vec![Processing, Shipped])),
            (Processing, Delivered, Path::Steps(vec![Shipped, Delivered])),
            (Shipped, Shipped, Path::Already),
            (Delivered, Shipped, Path::Already),
            (Processing, Cancelled, Path::Steps(vec![Cancelled])),
            (Cancelled, Cancelled, Path::Already),
        ];
        for (from, to, expected) in cases {
            assert_eq!(path(from, to), expected, "{from} -> {to}");
        }
        for (from, to) in [
            (Shipped, Cancelled),
            (Delivered, Cancelled),
            (Cancelled, Shipped),
            (Refunded, Delivered),
        ] {
            assert!(matches!(path(from, to), Path::Refused(_)), "{from} -> {to}");
        }
    }

    #[test]
    fn only_a_new_confirmation_is_due_for_shopify() {
        assert!(push_due(None, Status::Confirmed));
        assert!(push_due(Some(Status::Pending), Status::Confirmed));
        assert!(!push_due(Some(Status::Confirmed), Status::Confirmed));
        assert!(!push_due(Some(Status::Confirmed), Status::Processing));
    }
}
