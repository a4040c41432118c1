//! `/v1/admin/*`: the review queue, users and coin adjustments, orders, rewards, settings,
//! change requests, the audit log and stats. Every route is guarded by `admin` (role in
//! the token and in the database, and the session's second factor); every mutation has
//! one shape: check the input, make the change in an `AuditedTx`, commit it with its
//! audit row, answer with the new state. A change that moves money (`approvals`) is
//! recorded as a change request instead and answered `202` with it: a second admin
//! applies it by approving.

use chrono::{DateTime, Utc};
use fitkart::accounts::{self};
use fitkart::approvals::{self, Proposal};
use fitkart::audit::{self, Approval, AuditedTx, EntityType, Entry, LogFilter};
use fitkart::http::{
    admin, admin_actor, json, json_body, ok, page_request, parse_query, path_id, path_param,
    query_param, Page, Request, Response, StatusCode,
};
use fitkart::i18n::{Locale, Text};
use fitkart::orders::{self, workflow, Change, Status};
use fitkart::rewards::{self, ProductChanges};
use fitkart::shopify::fulfilment;
use fitkart::steps::review::{self, Decision, QueueStatus};
use fitkart::users::Role;
use fitkart::{mail, notifications};

use fitkart::input::{self, Checks};
use fitkart::{settings, stats, App, Error, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

fn uuid(raw: &str) -> Result<Uuid, String> {
    Uuid::parse_str(raw).map_err(|_| "must be a UUID".into())
}

fn time(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| "must be an RFC 3339 time, e.g. 2026-11-25T14:03:00Z".into())
}

// ------------------------------------------------------------------ review queue

pub async fn list_validations(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let page = page_request(&req)?;
    let status = parse_query(&req, "status", QueueStatus::parse)?.unwrap_or(QueueStatus::Pending);
    let mut tx = app.db().await?.begin().await?;
    let (items, next_cursor) =
        review::list(&mut tx, status, page.limit, page.cursor.as_deref()).await?;
    let out = Page { items, next_cursor };
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    decision: String,
    note: String,
}

pub async fn review_validation(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: ReviewBody = json_body(&req)?;
    let mut checks = Checks::default();
    let decision = checks.field("decision", Decision::parse(&body.decision));
    let note = checks.field("note", input::text(&body.note, 2_000));
    checks.finish()?;
    let (decision, note) = (input::checked(decision)?, input::checked(note)?);
    let proposal = Proposal::DecideDay {
        validation_id: id,
        approve: decision == Decision::Approve,
        note: note.clone(),
    };
    match act(app, actor, &proposal, &note).await? {
        Ok(applied) => ok(&applied.after),
        Err(waiting) => Ok(waiting),
    }
}

/// Hands an admin's action to the one owner of admin power (`approvals::act`) in an
/// audited transaction: applied now (`Ok`, audited as the change), or a change request
/// that waits for a second admin (`Err`: the `202` response with it, saying why).
pub(crate) async fn act(
    app: &App,
    actor: audit::Actor,
    proposal: &Proposal,
    reason: &str,
) -> Result<std::result::Result<approvals::Applied, Response>> {
    let settings = app.settings().await?;
    let mut tx = AuditedTx::begin(app, actor).await?;
    let admin_id = tx.admin_id();
    match approvals::act(tx.conn(), &settings, admin_id, proposal, reason, app.now()).await? {
        approvals::Acted::Applied(applied) => {
            tx.commit(applied.entry()).await?;
            Ok(Ok(applied))
        }
        approvals::Acted::Waiting(request) => {
            tx.commit(request.audit_entry("change_request.create"))
                .await?;
            Ok(Err(json(StatusCode::ACCEPTED, &request)?))
        }
    }
}

// ------------------------------------------------------------------ users

pub async fn list_users(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let page = page_request(&req)?;
    let q = parse_query(&req, "q", |q| input::text(q, 200))?;
    let mut tx = app.db().await?.begin().await?;
    let (items, next_cursor) =
        accounts::admin::search(&mut tx, q.as_deref(), page.limit, page.cursor.as_deref()).await?;
    let out = Page { items, next_cursor };
    tx.commit().await?;
    ok(&out)
}

pub async fn get_user(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let id = path_id(&req, "id")?;
    let mut tx = app.db().await?.begin().await?;
    let out = accounts::admin::detail(&mut tx, id).await?;
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    is_active: Option<bool>,
    role: Option<String>,
    /// Why: required with `role`, which becomes a change request.
    reason: Option<String>,
}

/// A reason a second admin will read: required for a change request.
fn reason_for_request(checks: &mut Checks, reason: Option<String>) -> Option<String> {
    match reason {
        None => {
            checks.fail(
                "reason",
                "is required: this change waits for a second admin, who reads why",
            );
            None
        }
        Some(r) => checks.field("reason", input::text(&r, 500)),
    }
}

/// `PATCH /v1/admin/users/{id}`: activating or deactivating applies at once (`200`); a
/// role change is a change request (`202`) a second admin approves.
pub async fn update_user(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: UserPatch = json_body(&req)?;
    let mut checks = Checks::default();
    let role = checks.optional("role", body.role, |r| Role::parse(&r));
    if body.is_active.is_none() && role.is_none() && checks.is_ok() {
        checks.fail("body", "give is_active, role or both");
    }
    let reason = match role {
        Some(_) => reason_for_request(&mut checks, body.reason),
        None => checks.optional("reason", body.reason, |r| input::text(&r, 500)),
    };
    if role.is_some() && body.is_active.is_some() {
        checks.fail(
            "body",
            "change the role on its own: it waits for a second admin",
        );
    }
    checks.finish()?;
    // Nobody deactivates or re-roles themselves: another admin does (and with two
    // admins, one switching themselves off would leave the other alone unawares).
    if id == actor.admin_id {
        return Err(Error::denied(
            "own_account",
            Text::new("problem-own-account-change"),
        ));
    }
    let reason = reason.unwrap_or_default();
    let proposal = match (role, body.is_active) {
        (Some(role), _) => Proposal::Role { user_id: id, role },
        (None, Some(active)) => Proposal::SetActive {
            user_id: id,
            active,
        },
        (None, None) => return Err(Error::invalid("body", "give is_active, role or both")),
    };
    if let Err(waiting) = act(app, actor, &proposal, &reason).await? {
        return Ok(waiting);
    }
    let mut tx = app.db().await?.begin().await?;
    let user = accounts::admin::detail(&mut tx, id).await?;
    tx.commit().await?;
    ok(&user)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoinsBody {
    amount: i64,
    reason: String,
}

/// `POST /v1/admin/users/{id}/coins`: up to `coin_adjust_four_eyes_above` either way it
/// applies at once (`201` with the ledger row); above, it is a change request (`202`).
pub async fn adjust_coins(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: CoinsBody = json_body(&req)?;
    let mut checks = Checks::default();
    if body.amount == 0 || body.amount.unsigned_abs() > 100_000_000 {
        checks.fail(
            "amount",
            "must be a non-zero number of coins, at most 100000000 either way",
        );
    }
    let reason = checks.field("reason", input::text(&body.reason, 500));
    checks.finish()?;
    let reason = input::checked(reason)?;
    let proposal = Proposal::Coins {
        user_id: id,
        amount: body.amount,
    };
    match act(app, actor, &proposal, &reason).await? {
        Ok(applied) => json(StatusCode::CREATED, &applied.after["transaction"]),
        Err(waiting) => Ok(waiting),
    }
}

// ------------------------------------------------------------------ orders

pub async fn list_orders(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let page = page_request(&req)?;
    let status = parse_query(&req, "status", Status::parse)?;
    let mut tx = app.db().await?.begin().await?;
    let (items, next_cursor) =
        orders::list(&mut tx, None, status, page.limit, page.cursor.as_deref()).await?;
    let out = Page { items, next_cursor };
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderPatch {
    status: String,
    tracking_number: Option<String>,
    carrier: Option<String>,
    notes: Option<String>,
}

pub async fn update_order(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: OrderPatch = json_body(&req)?;
    let mut checks = Checks::default();
    let status = checks.field("status", Status::parse(&body.status));
    let tracking_number = checks.optional("tracking_number", body.tracking_number, |t| {
        input::text(&t, 128)
    });
    let carrier = checks.optional("carrier", body.carrier, |c| input::text(&c, 64));
    let notes = checks.optional("notes", body.notes, |n| input::text(&n, 2_000));
    checks.finish()?;
    let change = Change {
        to: status,
        tracking_number,
        carrier,
        notes,
    };
    let mut tx = AuditedTx::begin(app, actor).await?;
    let moved = workflow::by_admin(&mut tx, id, &change).await?;
    tx.commit_recorded().await?;
    if moved.push_due() {
        fulfilment::request_push(app, id).await;
    }
    ok(&moved.after)
}

// ------------------------------------------------------------------ rewards

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RewardPatch {
    coin_price: Option<i64>,
    is_active: Option<bool>,
    popularity_rank: Option<i64>,
    /// Why: required for a price below the catalog price, which becomes a change request.
    reason: Option<String>,
}

/// `PATCH /v1/admin/rewards/{id}`: applies at once (`200`), except a coin price pinned
/// below the catalog price (the retail price at `coins_per_usd`): that is a change
/// request (`202`) a second admin approves, and must come on its own.
pub async fn update_reward(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: RewardPatch = json_body(&req)?;
    let mut checks = Checks::default();
    let coin_price = checks.optional("coin_price", body.coin_price, |p| match p {
        1..=1_000_000_000 => Ok(p),
        _ => Err("must be between 1 and 1000000000".into()),
    });
    let popularity_rank = checks.optional("popularity_rank", body.popularity_rank, |r| match r {
        0..=1_000_000 => Ok(r as i32),
        _ => Err("must be between 0 and 1000000".into()),
    });
    if body.coin_price.is_none() && body.is_active.is_none() && body.popularity_rank.is_none() {
        checks.fail("body", "give coin_price, is_active or popularity_rank");
    }
    let reason = checks.optional("reason", body.reason.clone(), |r| input::text(&r, 500));
    checks.finish()?;
    let settings = app.settings().await?;
    if let Some(price) = coin_price {
        let proposal = Proposal::Price {
            product_id: id,
            coin_price: price,
        };
        let mut tx = app.db().await?.begin().await?;
        let waits = approvals::second_admin_needed(
            &mut tx,
            &settings,
            actor.admin_id,
            &proposal,
            app.now(),
        )
        .await?;
        tx.commit().await?;
        if waits.is_some() {
            let mut checks = Checks::default();
            if body.is_active.is_some() || popularity_rank.is_some() {
                checks.fail(
                    "body",
                    "a price below the catalog price waits for a second admin: send it on its own",
                );
            }
            let reason = reason_for_request(&mut checks, reason);
            checks.finish()?;
            return match act(app, actor, &proposal, &input::checked(reason)?).await? {
                Ok(applied) => ok(&applied.after),
                Err(waiting) => Ok(waiting),
            };
        }
    }
    let mut tx = AuditedTx::begin(app, actor).await?;
    let changes = ProductChanges {
        coin_price,
        is_active: body.is_active,
        popularity_rank,
    };
    let (before, after) = rewards::update(tx.conn(), id, &changes).await?;
    tx.commit(Entry {
        action: "reward.update",
        entity_type: EntityType::RewardProduct,
        entity_id: Some(id),
        before: &before,
        after: &after,
    })
    .await?;
    ok(&after)
}

// ------------------------------------------------------------------ settings

pub async fn list_settings(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let mut tx = app.db().await?.begin().await?;
    let out = json!({ "items": settings::list(&mut tx).await? });
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingBody {
    value: Value,
    /// Why: required for a setting that needs a second admin.
    reason: Option<String>,
}

/// `PUT /v1/admin/settings/{key}`: applies at once (`200`), except a setting that moves
/// money or a fraud defence (`needs_second_admin`): that is a change request (`202`).
pub async fn update_setting(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let key = path_param(&req, "key").ok_or(Error::NotFound)?.to_owned();
    let body: SettingBody = json_body(&req)?;
    // The value first: a wrong one is refused the same way whoever may apply it.
    settings::check(&key, &body.value)?;
    let money = settings::definition(&key).is_some_and(|d| d.guard == settings::Guard::FourEyes);
    let mut checks = Checks::default();
    let reason = if money {
        reason_for_request(&mut checks, body.reason)
    } else {
        checks.optional("reason", body.reason, |r| input::text(&r, 500))
    };
    checks.finish()?;
    let proposal = Proposal::Setting {
        key: key.clone(),
        value: body.value,
    };
    let reason = reason.unwrap_or_default();
    if let Err(waiting) = act(app, actor, &proposal, &reason).await? {
        return Ok(waiting);
    }
    let mut tx = app.db().await?.begin().await?;
    let after = settings::get(&mut tx, &key).await?;
    tx.commit().await?;
    ok(&after)
}

// ------------------------------------------------------------------ change requests

/// `GET /v1/admin/change-requests?status=`: newest first.
pub async fn list_change_requests(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let page = page_request(&req)?;
    let status = parse_query(&req, "status", approvals::Status::parse)?;
    let mut tx = app.db().await?.begin().await?;
    let (items, next_cursor) =
        approvals::list(&mut tx, status, page.limit, page.cursor.as_deref()).await?;
    let out = Page { items, next_cursor };
    tx.commit().await?;
    ok(&out)
}

pub async fn get_change_request(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let id = path_id(&req, "id")?;
    let mut tx = app.db().await?.begin().await?;
    let out = approvals::get(&mut tx, id).await?;
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    /// A fresh code from the approver's authenticator (or a recovery code).
    code: secrecy::SecretString,
    note: Option<String>,
}

/// `POST /v1/admin/change-requests/{id}/approve`: a second admin, proving a fresh code,
/// applies the change; its audit row names both admins.
pub async fn approve_change_request(app: &App, req: Request) -> Result<Response> {
    use secrecy::ExposeSecret;
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: ApproveBody = json_body(&req)?;
    let mut checks = Checks::default();
    let code = checks.field("code", input::one_time_code(body.code.expose_secret()));
    let note = checks.optional("note", body.note, |n| input::text(&n, 2_000));
    checks.finish()?;
    // Step-up: proven before the transaction, on the pool, so that a wrong code counts
    // against the throttle whatever happens next.
    accounts::mfa::verify(
        app.db().await?,
        actor.admin_id,
        &input::checked(code)?,
        app.now(),
    )
    .await?;
    let settings = app.settings().await?;
    let mut tx = AuditedTx::begin(app, actor).await?;
    let admin_id = tx.admin_id();
    let (request, applied) = approvals::approve(
        tx.conn(),
        &settings,
        admin_id,
        id,
        note.as_deref(),
        app.now(),
    )
    .await?;
    tx.approving(Approval {
        change_request_id: request.id,
        requested_by: request.requested_by,
    });
    tx.commit(applied.entry()).await?;
    ok(&request)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    note: Option<String>,
}

/// `POST /v1/admin/change-requests/{id}/reject`: another admin turns it down, or its
/// requester withdraws it. Nothing else changes.
pub async fn reject_change_request(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: RejectBody = json_body(&req)?;
    let note = body
        .note
        .map(|n| input::text(&n, 2_000).map_err(|m| Error::invalid("note", m)))
        .transpose()?;
    let mut tx = AuditedTx::begin(app, actor).await?;
    let admin_id = tx.admin_id();
    let request = approvals::reject(tx.conn(), admin_id, id, note.as_deref()).await?;
    let action = if request.status == "withdrawn" {
        "change_request.withdraw"
    } else {
        "change_request.reject"
    };
    tx.commit(request.audit_entry(action)).await?;
    ok(&request)
}

// ------------------------------------------------------------------ audit log and stats

pub async fn list_logs(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let page = page_request(&req)?;
    let mut checks = Checks::default();
    let filter = LogFilter {
        entity_type: checks.optional(
            "entity_type",
            query_param(&req, "entity_type")?,
            EntityType::parse,
        ),
        entity_id: checks.optional("entity_id", query_param(&req, "entity_id")?, uuid),
        admin_id: checks.optional("admin_id", query_param(&req, "admin_id")?, uuid),
        action: checks.optional("action", query_param(&req, "action")?, |a| {
            input::text(a, 64)
        }),
        from: checks.optional("from", query_param(&req, "from")?, time),
        to: checks.optional("to", query_param(&req, "to")?, time),
    };
    checks.finish()?;
    let mut tx = app.db().await?.begin().await?;
    let (items, next_cursor) =
        audit::list(&mut tx, &filter, page.limit, page.cursor.as_deref()).await?;
    let out = Page { items, next_cursor };
    tx.commit().await?;
    ok(&out)
}

/// `GET /v1/admin/anomaly-models`: every trained anomaly model with its training summary
/// (rows, dates, feature means, precision and recall on the days admins decided), and
/// which one validation uses.
pub async fn list_anomaly_models(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let settings = app.settings().await?;
    let items = fitkart::steps::anomaly::list(app.db().await?, &settings).await?;
    ok(&json!({ "items": items, "weight": settings.anomaly_model_weight }))
}

/// `GET /v1/admin/step-writers`: the apps that wrote steps, per week, over the last
/// `weeks` (1-12, default 4), each marked allowed or not by `step_writers_allowed`.
pub async fn step_writers(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let weeks = parse_query(&req, "weeks", |w| match w.parse::<u64>() {
        Ok(n @ 1..=12) => Ok(n),
        _ => Err("must be a whole number of weeks from 1 to 12".to_owned()),
    })?
    .unwrap_or(4);
    let settings = app.settings().await?;
    // Tomorrow in UTC is today somewhere: the window covers every time zone's today.
    let to = app.now().date_naive() + chrono::Days::new(1);
    let from = to - chrono::Days::new(7 * weeks);
    let mut tx = app.db().await?.begin().await?;
    let items = fitkart::steps::provenance::writers_report(
        &mut tx,
        &settings.step_writers_allowed,
        from,
        to,
    )
    .await?;
    tx.commit().await?;
    ok(&json!({ "items": items, "from": from, "to": to }))
}

/// `GET /v1/admin/previews/{channel}/{name}?locale=`: a mail (`channel` = `mail`,
/// `name` a template) or a push (`push`, a notification kind) as a walker in `locale`
/// reads it, from sample facts: the console stays English but shows every language.
pub async fn preview(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let locale = parse_query(&req, "locale", Locale::choose)?.unwrap_or_default();
    let name = path_param(&req, "name").unwrap_or_default();
    let body = match path_param(&req, "channel") {
        Some("mail") => {
            let template = mail::Template::parse(name).map_err(|_| Error::NotFound)?;
            let mail = mail::preview(template, locale, app.now());
            json!({ "locale": locale, "subject": mail.subject, "text": mail.text, "html": mail.html })
        }
        Some("push") => {
            let kind = notifications::Kind::parse(name).map_err(|_| Error::NotFound)?;
            let (title, body) = notifications::preview(kind, locale);
            json!({ "locale": locale, "title": title, "body": body })
        }
        _ => return Err(Error::NotFound),
    };
    ok(&body)
}

pub async fn daily_stats(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let (from, to) = input::date_range(
        query_param(&req, "from")?,
        query_param(&req, "to")?,
        app.now().date_naive(),
        29,
    )?;
    let mut tx = app.db().await?.begin().await?;
    let items = stats::daily(&mut tx, from, to).await?;
    let active_users = stats::active_users(&mut tx).await?;
    let out = json!({ "from": from, "to": to, "items": items, "active_users": active_users });
    tx.commit().await?;
    ok(&out)
}

// ------------------------------------------------------------------ the first admin

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapEvent {
    pub email: String,
}

/// admin-bootstrap (invoked directly by an operator after the first deploy): makes the
/// registered account with this email the first admin; refused once an admin exists.
pub async fn bootstrap(app: &App, event: BootstrapEvent) -> Result<Value> {
    let email = input::email(&event.email).map_err(|m| Error::invalid("email", m))?;
    let mut tx = app.db().await?.begin().await?;
    let id = accounts::bootstrap_admin(&mut tx, email.as_str()).await?;
    tx.commit().await?;
    tracing::info!(user_id = %id, "first admin made");
    Ok(json!({ "admin_id": id, "email": email.as_str() }))
}
