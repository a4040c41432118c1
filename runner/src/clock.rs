//! Time travel for a local run: challenges start at the next local midnight and settle a
//! day after their last day, which nobody trying the product waits for.
//! `POST /_local/challenges/{id}/rewind?days=2` moves a challenge that many days into the
//! past (its dates, start, settlement time, invitations and acceptances), as if it had
//! been created then: its days can then be synced, and the challenges job run at its
//! `settles_after` (`scripts/dev invoke ChallengesRunFunction` with that
//! `scheduled_time`) settles it. Tests move challenges the same way.

use std::sync::OnceLock;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// The runner's "now": the domain's clock with the process's shift
/// (`FITKART_CLOCK_SHIFT_SECONDS`, which every function it starts gets too), so schedules
/// fire, requests are stamped and the stand-in authenticator shows codes at the time the
/// functions live in.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    static CLOCK: OnceLock<fitkart::clock::Clock> = OnceLock::new();
    CLOCK.get_or_init(fitkart::clock::Clock::from_env).now()
}

/// Moves challenge `id` `days` into the past. Returns its new dates and settlement time,
/// or `None` if there is no such challenge.
pub async fn move_challenge_back(
    pool: &sqlx::PgPool,
    id: Uuid,
    days: i32,
) -> sqlx::Result<Option<serde_json::Value>> {
    let mut tx = pool.begin().await?;
    let moved: Option<(
        chrono::NaiveDate,
        chrono::NaiveDate,
        chrono::DateTime<chrono::Utc>,
    )> = sqlx::query_as(
        "UPDATE challenges SET start_date = start_date - $2, end_date = end_date - $2,
                    starts_at = starts_at - make_interval(days => $2),
                    settles_after = settles_after - make_interval(days => $2),
                    created_at = created_at - make_interval(days => $2)
             WHERE id = $1
             RETURNING start_date, end_date, settles_after",
    )
    .bind(id)
    .bind(days)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE challenge_participants SET invited_at = invited_at - make_interval(days => $2),
                expires_at = expires_at - make_interval(days => $2),
                joined_at = joined_at - make_interval(days => $2)
         WHERE challenge_id = $1",
    )
    .bind(id)
    .bind(days)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(moved.map(|(start, end, settles)| {
        json!({ "id": id, "start_date": start, "end_date": end, "settles_after": settles })
    }))
}

pub fn routes<S: Clone + Send + Sync + 'static>(pool: sqlx::PgPool) -> axum::Router<S> {
    axum::Router::new()
        .route("/_local/challenges/{id}/rewind", post(rewind))
        .with_state(pool)
}

#[derive(Deserialize)]
struct Rewind {
    days: Option<i32>,
}

async fn rewind(
    State(pool): State<sqlx::PgPool>,
    Path(id): Path<Uuid>,
    Query(query): Query<Rewind>,
) -> Response {
    let days = query.days.unwrap_or(2).clamp(1, 30);
    match move_challenge_back(&pool, id, days).await {
        Ok(Some(moved)) => Json(moved).into_response(),
        Ok(None) => (axum::http::StatusCode::NOT_FOUND, "no such challenge").into_response(),
        Err(e) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
