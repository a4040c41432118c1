//! `/v1/leaderboard` and the leaderboard ranking job.

use fitkart::http::{caller, ok, parse_query, query_param, Request, Response};
use fitkart::jobs::{self, ScheduledEvent};
use fitkart::leaderboard::{self, Period};
use fitkart::{App, Result};
use serde_json::{json, Value};

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let period = parse_query(&req, "period", Period::parse)?.unwrap_or(Period::Weekly);
    let limit = leaderboard::parse_limit(query_param(&req, "limit")?)?;
    let mut conn = app.db().await?.acquire().await?;
    ok(&leaderboard::read(&mut conn, period, me.user_id, limit).await?)
}

/// leaderboard-rank (every five minutes): every board containing today or yesterday (UTC)
/// ranked from its live totals, each in its own transaction, once per scheduled time.
pub async fn rank(app: &App, event: ScheduledEvent) -> Result<Value> {
    let at = event.scheduled_time.unwrap_or_else(chrono::Utc::now);
    jobs::run_once(app, "leaderboard-rank", event, || async {
        let boards = leaderboard::rank_all(app.db().await?, &leaderboard::boards_for(at)).await?;
        Ok(json!({ "boards": boards }))
    })
    .await
}
