//! Data portability (`GET /v1/me/export`): everything FitKart holds about one user, as one
//! JSON document: the account's own records in one statement (one consistent snapshot),
//! and its social life, challenges and giving as those areas read them. Secrets (password hash,
//! refresh-token digests) and other people's identifiers (the referrer, reviewing admins)
//! are left out; everything else about the user is in.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Error, Result};

pub async fn export(conn: &mut PgConnection, user_id: Uuid) -> Result<Value> {
    let mut document = own_records(&mut *conn, user_id).await?;
    // Friends, teams, invites, blocks and reports filed: read by their area.
    document["social"] = crate::social::export(conn, user_id).await?;
    document["challenges"] = crate::challenges::export(conn, user_id).await?;
    document["giving"] = crate::giving::export(conn, user_id).await?;
    Ok(document)
}

/// Everything the account's own rows hold, in one statement.
async fn own_records(conn: &mut PgConnection, user_id: Uuid) -> Result<Value> {
    crate::db_query_scalar!(
        r#"SELECT jsonb_build_object(
               'exported_at', now(),
               'profile', to_jsonb(u) - 'password_hash' - 'referred_by_user_id',
               'identities', COALESCE((SELECT jsonb_agg(jsonb_build_object(
                       'provider', i.provider, 'subject', i.subject, 'email', i.email, 'created_at', i.created_at)
                   ORDER BY i.created_at) FROM user_identities i WHERE i.user_id = u.id), '[]'),
               'sessions', COALESCE((SELECT jsonb_agg(jsonb_build_object(
                       'created_at', t.created_at, 'expires_at', t.expires_at, 'revoked_at', t.revoked_at)
                   ORDER BY t.created_at) FROM refresh_tokens t WHERE t.user_id = u.id), '[]'),
               'wallet', (SELECT to_jsonb(w) - 'id' FROM wallets w WHERE w.user_id = u.id),
               'step_records', COALESCE((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.recorded_date)
                   FROM step_records r WHERE r.user_id = u.id), '[]'),
               'validations', COALESCE((SELECT jsonb_agg(to_jsonb(v) - 'reviewed_by_admin_id' ORDER BY v.created_at)
                   FROM step_validations v WHERE v.user_id = u.id), '[]'),
               'transactions', COALESCE((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.user_seq)
                   FROM coin_transactions c WHERE c.user_id = u.id), '[]'),
               'orders', COALESCE((SELECT jsonb_agg(to_jsonb(o) - 'notes' || jsonb_build_object('items',
                       (SELECT jsonb_agg(to_jsonb(oi) ORDER BY oi.line_no) FROM order_items oi WHERE oi.order_id = o.id))
                   ORDER BY o.created_at) FROM orders o WHERE o.user_id = u.id), '[]'),
               'achievements', COALESCE((SELECT jsonb_agg(jsonb_build_object(
                       'code', a.code, 'name', a.name, 'unlocked_at', ua.unlocked_at) ORDER BY ua.unlocked_at)
                   FROM user_achievements ua JOIN achievements a ON a.id = ua.achievement_id
                   WHERE ua.user_id = u.id), '[]'),
               'leaderboard_entries', COALESCE((SELECT jsonb_agg(jsonb_build_object(
                       'period', l.period, 'period_start', l.period_start,
                       'rank', leaderboard_rank(l.period, l.period_start, l.user_id),
                       'total_steps', l.total_steps) ORDER BY l.period, l.period_start)
                   FROM leaderboard_totals l WHERE l.user_id = u.id), '[]'),
               'push_devices', COALESCE((SELECT jsonb_agg(jsonb_build_object(
                       'id', d.id, 'platform', d.platform, 'token', d.token, 'app_version', d.app_version,
                       'created_at', d.created_at, 'updated_at', d.updated_at) ORDER BY d.created_at)
                   FROM push_devices d WHERE d.user_id = u.id), '[]'),
               'notification_preferences', (SELECT jsonb_build_object('muted', p.muted, 'quiet_start', p.quiet_start,
                       'quiet_end', p.quiet_end, 'updated_at', p.updated_at)
                   FROM notification_preferences p WHERE p.user_id = u.id),
               'notifications', COALESCE((SELECT jsonb_agg(jsonb_build_object(
                       'kind', n.kind, 'data', n.data, 'created_at', n.created_at, 'finished_at', n.finished_at,
                       'outcome', n.outcome) ORDER BY n.created_at)
                   FROM notifications n WHERE n.user_id = u.id), '[]'),
               'account_events', COALESCE((SELECT jsonb_agg(jsonb_build_object(
                       'action', g.action, 'changes', g.changes, 'created_at', g.created_at) ORDER BY g.created_at)
                   FROM admin_logs g WHERE g.entity_type = 'user' AND g.entity_id = u.id), '[]')
           ) AS "export!"
           FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL"#,
        user_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}
