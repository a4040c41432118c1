//! `/v1/admin/*`: the review queue, users and coin adjustments, orders, rewards, settings,
//! change requests, the audit log and stats. Every route is guarded by `admin` (role in
//! the token and in the database, and the session's second factor); every mutation has
//! one shape: check the input, make the change in an `AuditedTx`, commit it with its
//! audit row, answer with the new state. A change that moves money (`approvals`) is
//! recorded as a change request instead and answered `202` with it: a second admin
//! applies it by approving.

use chrono::{DateTime, Utc};
use fitkart::accounts::{self, AccountState};
use fitkart::approvals::{self, Proposal};
use fitkart::audit::{self, Approval, AuditedTx, EntityType, Entry, LogFilter};
use fitkart::http::{
    admin, admin_actor, json, json_body, ok, page_request, parse_query, path_id, path_param,
    query_param, Page, Request, Response, StatusCode,
};
use fitkart::orders::{self, workflow, Change, Status};
use fitkart::rewards::{self, ProductChanges};
use fitkart::shopify::fulfilment;
use fitkart::steps::review::{self, Decision, QueueStatus};
use fitkart::users::Role;

use fitkart::input::{self, Checks};
use fitkart::{settings, stats, wallet, App, Error, Result};
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
    let settings = app.settings().await?;
    let mut tx = AuditedTx::begin(app, actor).await?;
    let admin_id = tx.admin_id();
    let (before, after) = review::decide(
        tx.conn(),
        &settings,
        admin_id,
        id,
        decision,
        &note,
        app.now(),
    )
    .await?;
    let action = match decision {
        Decision::Approve => "validation.approve",
        Decision::Reject => "validation.reject",
    };
    tx.commit(Entry {
        action,
        entity_type: EntityType::StepValidation,
        entity_id: Some(id),
        before: &json!({"status": before.status}),
        after: &json!({"status": after.status, "note": note, "record": after.record}),
    })
    .await?;
    ok(&after)
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
            "Admins can't change their own account here; ask another admin.",
        ));
    }
    let mut tx = AuditedTx::begin(app, actor).await?;
    if let Some(role) = role {
        let proposal = Proposal::Role { user_id: id, role };
        return request_change(tx, &proposal, &input::checked(reason)?).await;
    }
    let change = AccountState {
        is_active: body.is_active,
        role: None,
    };
    let (before, after) = accounts::set_state(tx.conn(), id, change).await?;
    let user = accounts::admin::detail(tx.conn(), id).await?;
    tx.commit(Entry {
        action: "user.update",
        entity_type: EntityType::User,
        entity_id: Some(id),
        before: &before,
        after: &after,
    })
    .await?;
    ok(&user)
}

/// Records a change request in `tx` (audited as `change_request.create`) and answers
/// `202` with it.
pub(crate) async fn request_change(
    mut tx: AuditedTx,
    proposal: &Proposal,
    reason: &str,
) -> Result<Response> {
    let admin_id = tx.admin_id();
    let request = approvals::request(tx.conn(), admin_id, proposal, reason).await?;
    tx.commit(request.audit_entry("change_request.create"))
        .await?;
    json(StatusCode::ACCEPTED, &request)
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
    let settings = app.settings().await?;
    let mut tx = AuditedTx::begin(app, actor).await?;
    if approvals::coins_need_second_admin(&settings, body.amount) {
        let proposal = Proposal::Coins {
            user_id: id,
            amount: body.amount,
        };
        return request_change(tx, &proposal, &reason).await;
    }
    let admin_id = tx.admin_id();
    let before = wallet::get(tx.conn(), id).await?;
    let transaction =
        accounts::admin::adjust(tx.conn(), id, body.amount, &reason, admin_id).await?;
    tx.commit(Entry {
        action: "user.coins",
        entity_type: EntityType::User,
        entity_id: Some(id),
        before: &json!({"available_coins": before.available_coins}),
        after: &json!({"available_coins": transaction.balance_after, "transaction": transaction}),
    })
    .await?;
    json(StatusCode::CREATED, &transaction)
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
    let mut tx = AuditedTx::begin(app, actor).await?;
    if let Some(price) = coin_price {
        if approvals::price_needs_second_admin(tx.conn(), &settings, id, price).await? {
            let mut checks = Checks::default();
            if body.is_active.is_some() || popularity_rank.is_some() {
                checks.fail(
                    "body",
                    "a price below the catalog price waits for a second admin: send it on its own",
                );
            }
            let reason = reason_for_request(&mut checks, reason);
            checks.finish()?;
            let proposal = Proposal::Price {
                product_id: id,
                coin_price: price,
            };
            return request_change(tx, &proposal, &input::checked(reason)?).await;
        }
    }
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
    let mut tx = AuditedTx::begin(app, actor).await?;
    if approvals::setting_needs_second_admin(&key) {
        let mut checks = Checks::default();
        let reason = reason_for_request(&mut checks, body.reason);
        checks.finish()?;
        let proposal = Proposal::Setting {
            key,
            value: body.value,
        };
        return request_change(tx, &proposal, &input::checked(reason)?).await;
    }
    let admin_id = tx.admin_id();
    let (before, after) = settings::update(tx.conn(), &key, &body.value, admin_id).await?;
    tx.commit(Entry {
        action: "setting.update",
        entity_type: EntityType::Setting,
        entity_id: None,
        before: &json!({"key": key, "value": before.value}),
        after: &json!({"key": key, "value": after.value}),
    })
    .await?;
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
    let mut tx = AuditedTx::begin(app, actor).await?;
    let admin_id = tx.admin_id();
    let (request, applied) =
        approvals::approve(tx.conn(), admin_id, id, note.as_deref(), app.now()).await?;
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
