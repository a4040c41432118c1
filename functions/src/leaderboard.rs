//! `/v1/leaderboard` and the leaderboard ranking job.

use fitkart::http::{caller_tx, ok, parse_query, query_param, Request, Response};
use fitkart::jobs::{self, ScheduledEvent};
use fitkart::leaderboard::{self, Period};
use fitkart::{App, Result};
use serde_json::{json, Value};

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let period = parse_query(&req, "period", Period::parse)?.unwrap_or(Period::Weekly);
    let limit = leaderboard::parse_limit(query_param(&req, "limit")?)?;
    let out = leaderboard::read(&mut tx, period, me.user_id, limit).await?;
    tx.commit().await?;
    ok(&out)
}

/// leaderboard-rank (every five minutes): every board containing today or yesterday (UTC)
/// ranked from its live totals, each in its own transaction, once per scheduled time.
pub async fn rank(app: &App, event: ScheduledEvent) -> Result<Value> {
    jobs::run_once(app, "leaderboard-rank", event, |at| async move {
        let pool = app.db().await?;
        let boards = leaderboard::rank_all(pool, &leaderboard::boards_for(at)).await?;
        // The team boards of the same periods, from the same totals.
        let mut teams = serde_json::Map::new();
        for period in fitkart::social::teams::GoalPeriod::ALL {
            let scored = fitkart::social::teams::publish(pool, *period, at.date_naive()).await?;
            teams.insert(period.as_str().to_owned(), json!(scored));
        }
        Ok(json!({ "boards": boards, "teams_scored": teams }))
    })
    .await
}
