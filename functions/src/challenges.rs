//! The challenge routes (`/v1/challenges`), the admins' (`/v1/admin/challenges`) and the
//! challenges job that starts, follows and settles them.

use fitkart::approvals::Proposal as AdminAction;
use fitkart::challenges::entry::{self, Draft, Proposal};
use fitkart::challenges::{self, settlement, Status};
use fitkart::http::{
    admin, admin_actor, caller, caller_tx, json, json_body, no_content, ok, page_request,
    parse_query, path_id, Page, Request, Response, StatusCode,
};
use fitkart::jobs::ScheduledEvent;
use fitkart::{App, Result};
use serde::Deserialize;
use serde_json::{json as json_value, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    template: String,
    kind: Option<String>,
    title: Option<String>,
    days: Option<i64>,
    goal_steps: Option<i64>,
    goal_days: Option<i64>,
    stake_coins: Option<i64>,
    invitees: Vec<String>,
}

/// `POST /v1/challenges`: a challenge for the caller and friends they invite; a stake
/// of the caller's goes into escrow at once.
pub async fn create(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: CreateBody = json_body(&req)?;
    let settings = app.settings().await?;
    let draft = Draft::check(
        Proposal {
            template: body.template,
            kind: body.kind,
            title: body.title,
            days: body.days,
            goal_steps: body.goal_steps,
            goal_days: body.goal_days,
            stake_coins: body.stake_coins,
            invitees: body.invitees,
        },
        settings.challenge_max_stake,
        fitkart::http::locale(&req),
    )?;
    let mut tx = app.db().await?.begin().await?;
    let id = entry::create(&mut tx, &settings, me.user_id, &draft, app.now()).await?;
    let created = challenges::get(&mut tx, me.user_id, id, app.now()).await?;
    tx.commit().await?;
    json(StatusCode::CREATED, &created)
}

pub async fn list(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = json_value!({ "items": challenges::mine(&mut tx, me.user_id).await? });
    tx.commit().await?;
    ok(&out)
}

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    let out = challenges::get(&mut tx, me.user_id, id, app.now()).await?;
    tx.commit().await?;
    ok(&out)
}

/// `POST /v1/challenges/{id}/accept`: the caller's stake (if any) goes into escrow.
pub async fn accept(app: &App, req: Request) -> Result<Response> {
    // The settings before the request's connection: a function's pool may hold one.
    let settings = app.settings().await?;
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    entry::accept(&mut tx, &settings, me.user_id, id, app.now()).await?;
    let out = challenges::get(&mut tx, me.user_id, id, app.now()).await?;
    tx.commit().await?;
    ok(&out)
}

pub async fn decline(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    entry::decline(&mut tx, me.user_id, id).await?;
    tx.commit().await?;
    no_content()
}

/// `POST /v1/challenges/{id}/cancel`: the creator, before the start; every stake back.
pub async fn cancel(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    entry::cancel_by_creator(&mut tx, me.user_id, id, app.now()).await?;
    let out = challenges::get(&mut tx, me.user_id, id, app.now()).await?;
    tx.commit().await?;
    ok(&out)
}

pub async fn admin_list(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let page = page_request(&req)?;
    let status = parse_query(&req, "status", Status::parse)?;
    let mut tx = app.db().await?.begin().await?;
    let (items, next_cursor) =
        challenges::list(&mut tx, status, page.limit, page.cursor.as_deref()).await?;
    tx.commit().await?;
    ok(&Page { items, next_cursor })
}

/// `GET /v1/admin/challenges/{id}`: the standings and the escrow.
pub async fn admin_get(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let id = path_id(&req, "id")?;
    let mut tx = app.db().await?.begin().await?;
    let out = challenges::inspect(&mut tx, id, app.now()).await?;
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminCancelBody {
    reason: String,
}

/// `POST /v1/admin/challenges/{id}/cancel`: before settlement, every stake back; audited
/// with the reason. Refunds are coins returned: the admin-power owner decides whether one
/// admin may (`202` with the change request when it waits).
pub async fn admin_cancel(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: AdminCancelBody = json_body(&req)?;
    let reason = fitkart::input::text(&body.reason, 500)
        .map_err(|m| fitkart::Error::invalid("reason", m))?;
    let proposal = AdminAction::CancelChallenge { challenge_id: id };
    match crate::admin::act(app, actor, &proposal, &reason).await? {
        Ok(applied) => ok(&applied.after),
        Err(waiting) => Ok(waiting),
    }
}

/// `POST /v1/admin/challenges/{id}/release`: a payout the transfer policy held is paid as
/// settled (the hold's reason overruled), through the admin-power owner.
pub async fn admin_release(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: AdminCancelBody = json_body(&req)?;
    let reason = fitkart::input::text(&body.reason, 500)
        .map_err(|m| fitkart::Error::invalid("reason", m))?;
    let proposal = AdminAction::ReleasePayout { challenge_id: id };
    match crate::admin::act(app, actor, &proposal, &reason).await? {
        Ok(applied) => ok(&applied.after),
        Err(waiting) => Ok(waiting),
    }
}

/// challenges-run (every 15 minutes, or on demand): expire invitations, start what is
/// due, tell people who passed them, settle what is due.
pub async fn run(app: &App, event: ScheduledEvent) -> Result<Value> {
    let now = event.time(app);
    let settings = app.settings().await?;
    let report = settlement::run(app.db().await?, &settings, now).await?;
    serde_json::to_value(report).map_err(fitkart::Error::internal)
}
