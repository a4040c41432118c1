//! The anti-cheat review queue: validations held as suspicious (and records the user
//! appealed), with the record, its reasons and the user's recent days, oldest first; and
//! an admin's decision. Approving credits through `crediting::credit`, the very function
//! the coin-credit consumer runs, in the review's transaction; rejecting leaves the
//! record uncredited. The reviewer's note is shown to the user on their record.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{crediting, RecordKey};
use crate::i18n::Text;
use crate::notifications::{self, Kind, Notice};
use crate::settings::Settings;
use crate::{pagination, Error, Result};

crate::text_enum! {
    /// An admin's decision on a held day.
    pub enum Decision { Approve = "approve", Reject = "reject" }
}

crate::text_enum! {
    /// Which validations the review queue lists.
    pub enum QueueStatus { Pending = "pending", Approved = "approved", Rejected = "rejected" }
}

/// A validation as the review queue shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub id: Uuid,
    pub status: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub anomaly_score: Decimal,
    pub reasons: Vec<String>,
    pub expected_steps: Option<i64>,
    pub reported_steps: i64,
    pub created_at: DateTime<Utc>,
    /// Set when the user appealed a decision; the record carries their message.
    pub appealed_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by_admin_id: Option<Uuid>,
    pub review_note: Option<String>,
    pub record: Value,
    pub user: Value,
    /// The user's 30 days before the record: `[{date, steps, verified_steps, status}]`.
    pub history: Value,
}

/// A page of validations of the records' current versions, oldest first.
pub async fn list(
    conn: &mut PgConnection,
    status: QueueStatus,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<Validation>, Option<String>)> {
    let (after_at, after_id): (DateTime<Utc>, Uuid) = match cursor {
        Some(c) => pagination::decode(c)?,
        None => (DateTime::<Utc>::UNIX_EPOCH, Uuid::nil()),
    };
    let ids = crate::db_query!(
        "SELECT v.id, v.created_at FROM step_validations v
         JOIN step_records r ON r.id = v.step_record_id AND r.recorded_date = v.recorded_date
                            AND r.version = v.record_version
         WHERE v.status = $1 AND (v.created_at, v.id) > ($2, $3)
         ORDER BY v.created_at, v.id LIMIT $4",
        status.as_str(),
        after_at,
        after_id,
        limit + 1
    )
    .fetch_all(&mut *conn)
    .await?;
    let (ids, next) = pagination::finish(ids, limit, |r| (r.created_at, r.id));
    let ids: Vec<Uuid> = ids.into_iter().map(|r| r.id).collect();
    Ok((load(conn, &ids).await?, next))
}

/// Validations with their record, user and history, in the order of `ids`.
async fn load(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Validation>> {
    let rows = crate::db_query!(
        r#"SELECT v.id, v.status, v.anomaly_score, v.reasons, v.expected_steps, v.reported_steps, v.created_at,
                  v.appealed_at, v.reviewed_at, v.reviewed_by_admin_id, v.review_note,
                  jsonb_build_object(
                      'id', r.id, 'date', r.recorded_date, 'steps', r.steps, 'source', r.source,
                      'distance_km', r.distance, 'calories', r.calories, 'heart_points', r.heart_points,
                      'hourly_steps', r.hourly_steps, 'manual_steps', r.manual_steps, 'device_id', r.device_id,
                      'sources', r.provenance, 'pushes', r.pushes, 'push_steps', r.push_steps,
                      'status', r.status, 'verified_steps', r.verified_steps, 'coins_credited', r.coins_credited,
                      'appeal_message', r.appeal_message, 'created_at', r.created_at, 'updated_at', r.updated_at
                  ) AS "record!",
                  jsonb_build_object('id', u.id, 'email', u.email, 'full_name', u.full_name,
                                     'is_active', u.is_active, 'created_at', u.created_at) AS "user!",
                  COALESCE((SELECT jsonb_agg(jsonb_build_object('date', h.recorded_date, 'steps', h.steps,
                                                                'verified_steps', h.verified_steps, 'status', h.status)
                                             ORDER BY h.recorded_date)
                            FROM step_records h
                            WHERE h.user_id = r.user_id
                              AND h.recorded_date BETWEEN r.recorded_date - 30 AND r.recorded_date - 1),
                           '[]'::jsonb) AS "history!"
           FROM step_validations v
           JOIN step_records r ON r.id = v.step_record_id AND r.recorded_date = v.recorded_date
           JOIN users u ON u.id = v.user_id
           WHERE v.id = ANY($1)"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut by_id: std::collections::HashMap<Uuid, Validation> = rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                Validation {
                    id: r.id,
                    status: r.status,
                    anomaly_score: r.anomaly_score,
                    reasons: r.reasons,
                    expected_steps: r.expected_steps,
                    reported_steps: r.reported_steps,
                    created_at: r.created_at,
                    appealed_at: r.appealed_at,
                    reviewed_at: r.reviewed_at,
                    reviewed_by_admin_id: r.reviewed_by_admin_id,
                    review_note: r.review_note,
                    record: r.record,
                    user: r.user,
                    history: r.history,
                },
            )
        })
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Whose day validation `id` holds and the coins approving it would pay them now (what
/// crediting would pay for its steps, within the day's cap): the size of an approval, for
/// the admin-power decision.
pub async fn worth(conn: &mut PgConnection, settings: &Settings, id: Uuid) -> Result<(Uuid, i64)> {
    let row = crate::db_query!(
        "SELECT r.user_id, r.steps, r.credited_steps, r.coins_credited
         FROM step_validations v
         JOIN step_records r ON r.id = v.step_record_id AND r.recorded_date = v.recorded_date
         WHERE v.id = $1",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)?;
    Ok((
        row.user_id,
        crediting::coins_for(
            row.credited_steps,
            row.steps,
            row.coins_credited,
            settings.coins_per_step,
            settings.max_daily_coins,
        ),
    ))
}

/// Decides a pending validation, in the caller's transaction; returns it before and
/// after. A second decision is `409 already_reviewed` (concurrent reviews queue on the
/// record's lock, so only the first finds it pending); a validation of a record that has
/// since been re-synced is `409 outdated`, its newer validation is the one to review.
pub async fn decide(
    conn: &mut PgConnection,
    settings: &Settings,
    admin_id: Uuid,
    id: Uuid,
    decision: Decision,
    note: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Validation, Validation)> {
    // Lock order as everywhere: the step record first, then its validation.
    let target = crate::db_query!(
        "SELECT v.step_record_id, v.recorded_date, v.record_version, v.status, r.version, r.steps, r.user_id
         FROM step_validations v
         JOIN step_records r ON r.id = v.step_record_id AND r.recorded_date = v.recorded_date
         WHERE v.id = $1 FOR UPDATE OF r, v",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    // Admins can't pay themselves: their own days are another admin's to review.
    if target.user_id == admin_id {
        return Err(Error::denied(
            "own_account",
            Text::new("problem-own-account-review"),
        ));
    }
    if target.status != "pending" {
        return Err(Error::conflict(
            "already_reviewed",
            Text::new("problem-already-reviewed").arg("status", target.status),
        ));
    }
    if target.version != target.record_version {
        return Err(Error::conflict("outdated", Text::new("problem-outdated")));
    }
    let before = load(conn, &[id]).await?.remove(0);
    let approve = decision == Decision::Approve;
    crate::db_query!(
        "UPDATE step_validations SET status = $2, reviewed_by_admin_id = $3, reviewed_at = now(), review_note = $4
         WHERE id = $1",
        id,
        if approve { "approved" } else { "rejected" },
        admin_id,
        note
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        "UPDATE step_records SET status = $2, is_verified = $3,
                verified_steps = CASE WHEN $3 THEN steps ELSE verified_steps END,
                review_note = $4, updated_at = now()
         WHERE id = $1 AND recorded_date = $5",
        target.step_record_id,
        if approve { "verified" } else { "rejected" },
        approve,
        note,
        target.recorded_date
    )
    .execute(&mut *conn)
    .await?;
    if approve {
        let record = RecordKey {
            id: target.step_record_id,
            date: target.recorded_date,
        };
        crediting::credit(conn, settings, &[record], now).await?;
    } else {
        // The hold is decided against the walker: what their coins were on their way to
        // do goes back where it still can (gifts not yet settled). A settled gift, a
        // donation or a payout already paid cannot be taken back; a running challenge
        // disqualifies them at settlement (the rejected day stays rejected).
        crate::giving::gifts::reverse_pending(
            conn,
            target.user_id,
            true,
            crate::giving::gifts::Reversal::FraudHold,
        )
        .await?;
    }
    let after = load(conn, &[id]).await?.remove(0);
    let notice = Notice::new(
        format!("review:{id}"),
        target.user_id,
        Kind::ReviewDecided,
        serde_json::json!({ "date": target.recorded_date, "approved": approve, "note": note }),
    );
    notifications::record(conn, &[notice]).await?;
    Ok((before, after))
}
