//! The giving routes: gifts between friends (`/v1/gifts`), charity campaigns and
//! donations (`/v1/campaigns`, `/v1/me/donations`), the admins' gifts, campaigns and
//! payout report (`/v1/admin/gifts`, `/v1/admin/campaigns`, `/v1/admin/payouts`), and the
//! job that settles gifts.

use fitkart::approvals::Proposal;
use fitkart::audit::{AuditedTx, EntityType, Entry};
use fitkart::giving::campaigns::{self, Draft};
use fitkart::giving::gifts::{self, NewGift};
use fitkart::giving::payouts;
use fitkart::http::{
    admin, admin_actor, caller, caller_tx, json, json_body, ok, page_request, parse_query, path_id,
    Page, Request, Response, StatusCode,
};
use fitkart::input::{self, Checks};
use fitkart::jobs::ScheduledEvent;
use fitkart::{App, Error, Result};
use serde::Deserialize;
use serde_json::{json as json_value, Value};
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GiftBody {
    recipient_id: String,
    coins: i64,
    message: Option<String>,
}

/// `POST /v1/gifts`: coins to a friend, pending for 7 days.
pub async fn send_gift(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: GiftBody = json_body(&req)?;
    let settings = app.settings().await?;
    let gift = NewGift::check(
        &body.recipient_id,
        body.coins,
        body.message,
        settings.gift_max_coins,
    )?;
    let mut tx = app.db().await?.begin().await?;
    let sent = gifts::send(&mut tx, &settings, me.user_id, &gift, app.now()).await?;
    tx.commit().await?;
    json(StatusCode::CREATED, &sent)
}

pub async fn list_gifts(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = json_value!({ "items": gifts::mine(&mut tx, me.user_id).await? });
    tx.commit().await?;
    ok(&out)
}

pub async fn get_gift(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    let out = gifts::get(&mut tx, me.user_id, id).await?;
    tx.commit().await?;
    ok(&out)
}

pub async fn list_campaigns(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = json_value!({ "items": campaigns::open_for(&mut tx, me.user_id, app.now()).await? });
    tx.commit().await?;
    ok(&out)
}

pub async fn get_campaign(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    let out = campaigns::page(&mut tx, me.user_id, id, app.now()).await?;
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DonationBody {
    coins: i64,
    team_id: Option<String>,
}

/// `POST /v1/campaigns/{id}/donations`: coins to the campaign's charity.
pub async fn donate(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: DonationBody = json_body(&req)?;
    let mut checks = Checks::default();
    let coins = checks.field(
        "coins",
        if (1..=100_000_000).contains(&body.coins) {
            Ok(body.coins)
        } else {
            Err("must be between 1 and 100000000".to_owned())
        },
    );
    let team = checks.optional("team_id", body.team_id, |t| {
        Uuid::parse_str(&t).map_err(|_| "must be an id".to_owned())
    });
    checks.finish()?;
    let settings = app.settings().await?;
    let mut tx = app.db().await?.begin().await?;
    let donation = campaigns::donate(
        &mut tx,
        &settings,
        me.user_id,
        id,
        input::checked(coins)?,
        team,
        app.now(),
    )
    .await?;
    tx.commit().await?;
    json(StatusCode::CREATED, &donation)
}

pub async fn my_donations(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = json_value!({ "items": campaigns::donations_of(&mut tx, me.user_id).await? });
    tx.commit().await?;
    ok(&out)
}

// ------------------------------------------------------------------ admins

pub async fn admin_list_gifts(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let page = page_request(&req)?;
    let status = parse_query(&req, "status", gifts::Status::parse)?;
    let mut tx = app.db().await?.begin().await?;
    let (items, next_cursor) =
        gifts::list(&mut tx, status, page.limit, page.cursor.as_deref()).await?;
    tx.commit().await?;
    ok(&Page { items, next_cursor })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

/// `POST /v1/admin/gifts/{id}/reverse`: a pending gift back to its sender, audited.
pub async fn admin_reverse_gift(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: ReasonBody = json_body(&req)?;
    let reason = input::text(&body.reason, 500).map_err(|m| Error::invalid("reason", m))?;
    let proposal = Proposal::ReverseGift { gift_id: id };
    match crate::admin::act(app, actor, &proposal, &reason).await? {
        Ok(applied) => ok(&applied.after),
        Err(waiting) => Ok(waiting),
    }
}

pub async fn admin_list_campaigns(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let mut tx = app.db().await?.begin().await?;
    let out = json_value!({ "items": campaigns::list(&mut tx).await? });
    tx.commit().await?;
    ok(&out)
}

pub async fn admin_get_campaign(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let id = path_id(&req, "id")?;
    let mut tx = app.db().await?.begin().await?;
    let out = campaigns::inspect(&mut tx, id).await?;
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignBody {
    charity_name: String,
    charity_registration: String,
    charity_website: String,
    title: String,
    description: String,
    starts_at: String,
    ends_at: String,
    purse_cents: i64,
    cents_per_1000_coins: i64,
    monthly_cap_cents: i64,
    team_id: Option<String>,
}

/// `POST /v1/admin/campaigns`: a draft campaign, audited; it opens when a second admin
/// approves (`POST /v1/admin/campaigns/{id}/open`).
pub async fn admin_create_campaign(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let body: CampaignBody = json_body(&req)?;
    let draft = Draft::check(campaigns::Proposal {
        charity_name: body.charity_name,
        charity_registration: body.charity_registration,
        charity_website: body.charity_website,
        title: body.title,
        description: body.description,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        purse_cents: body.purse_cents,
        cents_per_1000_coins: body.cents_per_1000_coins,
        monthly_cap_cents: body.monthly_cap_cents,
        team_id: body.team_id,
    })?;
    let mut tx = AuditedTx::begin(app, actor).await?;
    let admin_id = tx.admin_id();
    let created = campaigns::create(tx.conn(), admin_id, &draft).await?;
    tx.commit(Entry {
        action: "campaign.create",
        entity_type: EntityType::Campaign,
        entity_id: Some(created.id),
        before: &Value::Null,
        after: &created,
    })
    .await?;
    json(StatusCode::CREATED, &created)
}

/// `POST /v1/admin/campaigns/{id}/open`: a change request (`202`) a second admin approves.
pub async fn admin_open_campaign(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: ReasonBody = json_body(&req)?;
    let reason = input::text(&body.reason, 500).map_err(|m| Error::invalid("reason", m))?;
    let proposal = Proposal::OpenCampaign { campaign_id: id };
    match crate::admin::act(app, actor, &proposal, &reason).await? {
        Ok(applied) => ok(&applied.after),
        Err(waiting) => Ok(waiting),
    }
}

/// `GET /v1/admin/payouts?month=YYYY-MM`: what each charity is owed for the month.
pub async fn admin_payout_report(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let month = parse_query(&req, "month", payouts::month)?
        .ok_or_else(|| Error::invalid("month", "is required, YYYY-MM"))?;
    let minimum = app.settings().await?.charity_min_payout_cents;
    let mut tx = app.db().await?.begin().await?;
    let items = payouts::report(&mut tx, month, minimum).await?;
    tx.commit().await?;
    ok(&json_value!({ "month": month, "minimum_payout_cents": minimum, "items": items }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaidBody {
    charity_registration: String,
    month: String,
    reference: Option<String>,
}

/// `POST /v1/admin/payouts`: a charity's month marked paid (what it was owed), audited.
pub async fn admin_mark_paid(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let body: PaidBody = json_body(&req)?;
    let mut checks = Checks::default();
    let registration = checks.field(
        "charity_registration",
        input::single_line(&body.charity_registration, 40),
    );
    let month = checks.field("month", payouts::month(&body.month));
    let reference = checks.optional("reference", body.reference, |r| input::single_line(&r, 200));
    checks.finish()?;
    let (registration, month) = (input::checked(registration)?, input::checked(month)?);
    let minimum = app.settings().await?.charity_min_payout_cents;
    let mut tx = AuditedTx::begin(app, actor).await?;
    let admin_id = tx.admin_id();
    let line = payouts::mark_paid(
        tx.conn(),
        &registration,
        month,
        minimum,
        admin_id,
        reference.as_deref(),
        app.now(),
    )
    .await?;
    tx.commit(Entry {
        action: "payout.paid",
        entity_type: EntityType::CharityPayout,
        entity_id: None,
        before: &json_value!({ "charity_registration": registration, "month": month, "paid": false }),
        after: &line,
    })
    .await?;
    json(StatusCode::CREATED, &line)
}

/// gifts-settle (hourly): pending gifts whose 7 days are over reach their recipients.
pub async fn settle(app: &App, event: ScheduledEvent) -> Result<Value> {
    let now = event.time(app);
    Ok(json_value!({ "settled": gifts::settle_due(app.db().await?, now).await? }))
}
