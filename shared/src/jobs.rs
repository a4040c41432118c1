//! Scheduled jobs run once per scheduled time. EventBridge Scheduler delivers at least
//! once and retries failures; the template passes `<aws.scheduler.scheduled-time>` in the
//! event, and `run_once` records each run in `job_runs`, so a duplicate delivery of a run
//! that already finished does nothing and returns what the first delivery reported.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{App, Result};

/// The event of a scheduled invocation. A direct invocation without a time (an operator
/// running the job by hand) is its own run, at the current time.
#[derive(Debug, Default, Deserialize)]
pub struct ScheduledEvent {
    pub scheduled_time: Option<DateTime<Utc>>,
}

impl ScheduledEvent {
    /// The instant this run is for: its scheduled time, or now by the app's clock.
    pub fn time(&self, app: &App) -> DateTime<Utc> {
        self.scheduled_time.unwrap_or_else(|| app.now())
    }
}

/// A run that started this long ago and never finished (its function timed out or the
/// environment died) may be taken over by a retry. Longer than every job's timeout.
const STALE_AFTER_MINUTES: i32 = 15;

/// Runs `work` unless this run of `job` already finished or is running elsewhere. The
/// outcome `work` returns is stored and logged; a failed run is released for the retry.
/// `work` gets the run's instant (`ScheduledEvent::time`): the "now" of every rule it
/// applies, so a late or repeated delivery does the work of its own schedule.
pub async fn run_once<F, Fut>(app: &App, job: &str, event: ScheduledEvent, work: F) -> Result<Value>
where
    F: FnOnce(DateTime<Utc>) -> Fut,
    Fut: Future<Output = Result<Value>>,
{
    let at = event.time(app);
    let pool = app.db().await?;
    let claimed = crate::db_query_scalar!(
        r#"INSERT INTO job_runs (job, scheduled_for) VALUES ($1, $2)
           ON CONFLICT (job, scheduled_for) DO UPDATE SET started_at = now()
               WHERE job_runs.finished_at IS NULL
                 AND job_runs.started_at < now() - make_interval(mins => $3)
           RETURNING true AS "claimed!""#,
        job,
        at,
        STALE_AFTER_MINUTES
    )
    .fetch_optional(pool)
    .await?
    .is_some();
    if !claimed {
        let previous = crate::db_query_scalar!(
            "SELECT outcome FROM job_runs WHERE job = $1 AND scheduled_for = $2",
            job,
            at
        )
        .fetch_optional(pool)
        .await?
        .flatten();
        tracing::info!(job, scheduled_for = %at, "run already done or in progress; skipped");
        return Ok(json!({ "skipped": true, "scheduled_for": at, "previous": previous }));
    }
    match work(at).await {
        Ok(outcome) => {
            crate::db_query!(
                "UPDATE job_runs SET finished_at = now(), outcome = $3 WHERE job = $1 AND scheduled_for = $2",
                job,
                at,
                outcome
            )
            .execute(pool)
            .await?;
            tracing::info!(job, scheduled_for = %at, outcome = %outcome, "job finished");
            Ok(outcome)
        }
        Err(e) => {
            // Release the claim so EventBridge's retry of this run can do the work.
            let released = crate::db_query!(
                "DELETE FROM job_runs WHERE job = $1 AND scheduled_for = $2 AND finished_at IS NULL",
                job,
                at
            )
            .execute(pool)
            .await;
            if let Err(release) = released {
                tracing::error!(job, error = %release, "could not release the failed run");
            }
            Err(e)
        }
    }
}

/// Housekeeping: deletes job runs older than 90 days (one row a run: few).
pub async fn delete_old_runs(pool: &sqlx::PgPool, now: DateTime<Utc>) -> Result<u64> {
    Ok(crate::db_query!(
        "DELETE FROM job_runs WHERE started_at < $1::timestamptz - interval '90 days'",
        now
    )
    .execute(pool)
    .await?
    .rows_affected())
}
