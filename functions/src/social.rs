//! The social routes: invite links (`/v1/invites`), friends and their board
//! (`/v1/friends`), blocks, privacy (`/v1/me/privacy`), reports, teams and clubs
//! (`/v1/teams`), and the admins' report queue.

use fitkart::audit::{AuditedTx, EntityType, Entry};
use fitkart::http::{
    admin, admin_actor, caller, caller_tx, json, json_body, meta, no_content, ok, page_request,
    parse_query, path_id, query_param, Page, Request, Response, StatusCode,
};
use fitkart::i18n::Text;
use fitkart::input::{self, patch, Checks};
use fitkart::ratelimit::{self, Limit};
use fitkart::social::friends::{self, BoardPeriod, Redeemed};
use fitkart::social::teams::{self, Draft, GoalPeriod, Role, TeamKind};
use fitkart::social::{codes, profiles, reports};
use fitkart::{accounts, users, App, Error, Result};
use serde::Deserialize;
use serde_json::json as json_value;
use uuid::Uuid;

/// Redeeming codes: a person tries a few links a day; a guesser tries many.
const REDEEM_PER_ACCOUNT: Limit = Limit::per_hour("invite_redeem", 20);
const REDEEM_PER_SOURCE: Limit = Limit::per_hour("invite_redeem_source", 60);

// ------------------------------------------------------------------ invites

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    team_id: Option<String>,
}

/// `POST /v1/invites`: a friend link, or (with `team_id`) a link into one of my teams
/// that I own or help run. The code is in this answer only.
pub async fn create_invite(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: InviteBody = json_body(&req)?;
    let team_id = match body.team_id {
        None => None,
        Some(raw) => {
            Some(Uuid::parse_str(&raw).map_err(|_| Error::invalid("team_id", "must be an id"))?)
        }
    };
    let mut tx = app.db().await?.begin().await?;
    if let Some(team) = team_id {
        match teams::get(&mut tx, me.user_id, team).await?.my_role {
            Some(Role::Owner | Role::Admin) => {}
            _ => {
                return Err(Error::denied(
                    "not_allowed",
                    Text::new("problem-not-allowed-invite-links"),
                ))
            }
        }
    }
    let link_base = app
        .config
        .mail
        .as_ref()
        .map_or("", |m| m.link_base_url.as_str());
    let created = codes::create(&mut tx, me.user_id, team_id, link_base).await?;
    tx.commit().await?;
    json(StatusCode::CREATED, &created)
}

pub async fn list_invites(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = json_value!({ "items": codes::list(&mut tx, me.user_id).await? });
    tx.commit().await?;
    ok(&out)
}

pub async fn revoke_invite(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    codes::revoke(&mut tx, me.user_id, id).await?;
    tx.commit().await?;
    no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemBody {
    code: String,
}

/// `POST /v1/redemptions`: a friend link asks its owner to be friends (or makes us
/// friends, if they asked me already); a team link joins the team.
pub async fn redeem_invite(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: RedeemBody = json_body(&req)?;
    let pool = app.db().await?;
    ratelimit::hit(pool, REDEEM_PER_ACCOUNT, &me.user_id.to_string(), app.now()).await?;
    if let Some(ip) = meta(&req).source_ip {
        ratelimit::hit(pool, REDEEM_PER_SOURCE, &ip, app.now()).await?;
    }
    let mut tx = pool.begin().await?;
    let found = codes::redeem(&mut tx, &body.code)
        .await?
        .ok_or_else(friends::invalid_code)?;
    let answer = match (found.kind, found.team_id) {
        (codes::InviteKind::Team, Some(team)) => {
            json_value!({ "result": "joined", "team": teams::join(&mut tx, me.user_id, team).await? })
        }
        _ => {
            let redeemed: Redeemed =
                friends::request(&mut tx, me.user_id, found.owner_id, found.id).await?;
            serde_json::to_value(redeemed).map_err(Error::internal)?
        }
    };
    tx.commit().await?;
    json(StatusCode::CREATED, &answer)
}

// ------------------------------------------------------------------ friends

pub async fn list_friend_requests(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = friends::requests(&mut tx, me.user_id).await?;
    tx.commit().await?;
    ok(&out)
}

pub async fn accept_friend_request(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    let friend = friends::accept(&mut tx, me.user_id, id).await?;
    tx.commit().await?;
    ok(&json_value!({ "friend": friend }))
}

/// `DELETE /v1/friend-requests/{id}`: declined by the person asked, or withdrawn.
pub async fn delete_friend_request(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    friends::drop_request(&mut tx, me.user_id, id).await?;
    tx.commit().await?;
    no_content()
}

pub async fn list_friends(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let items = friends::list(&mut tx, me.user_id).await?;
    let out = Page {
        items,
        next_cursor: None,
    };
    tx.commit().await?;
    ok(&out)
}

pub async fn remove_friend(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    friends::remove(&mut tx, me.user_id, id).await?;
    tx.commit().await?;
    no_content()
}

/// `GET /v1/boards/friends?period=today|week|last_7_days` (default: week).
pub async fn friend_board(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let period = parse_query(&req, "period", BoardPeriod::parse)?.unwrap_or(BoardPeriod::Week);
    let out = friends::board(&mut tx, me.user_id, period).await?;
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockBody {
    user_id: String,
}

pub async fn block(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let body: BlockBody = json_body(&req)?;
    let other =
        Uuid::parse_str(&body.user_id).map_err(|_| Error::invalid("user_id", "must be an id"))?;
    let blocked = friends::block(&mut tx, me.user_id, other).await?;
    tx.commit().await?;
    json(StatusCode::CREATED, &blocked)
}

pub async fn list_blocks(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = json_value!({ "items": friends::blocked(&mut tx, me.user_id).await? });
    tx.commit().await?;
    ok(&out)
}

pub async fn unblock(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    friends::unblock(&mut tx, me.user_id, id).await?;
    tx.commit().await?;
    no_content()
}

// ------------------------------------------------------------------ privacy, reports

pub async fn get_privacy(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = profiles::get(&mut tx, me.user_id).await?;
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrivacyBody {
    /// Absent: unchanged; `null`: back to the default alias.
    #[serde(default, deserialize_with = "patch::nullable")]
    alias: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::not_null")]
    steps_visibility: Option<String>,
    #[serde(default, deserialize_with = "patch::not_null")]
    leaderboard_visibility: Option<String>,
}

pub async fn update_privacy(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: PrivacyBody = json_body(&req)?;
    let changes = profiles::Changes::check(
        body.alias,
        body.steps_visibility,
        body.leaderboard_visibility,
    )?;
    let mut tx = app.db().await?.begin().await?;
    let out = profiles::update(&mut tx, me.user_id, &changes).await?;
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    target_type: String,
    target_id: String,
    reason: String,
    note: Option<String>,
}

/// `POST /v1/reports`: at most 10 an hour.
pub async fn report(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: ReportBody = json_body(&req)?;
    let report =
        reports::NewReport::check(&body.target_type, &body.target_id, &body.reason, body.note)?;
    let pool = app.db().await?;
    ratelimit::hit(pool, reports::LIMIT, &me.user_id.to_string(), app.now()).await?;
    let mut tx = pool.begin().await?;
    let filed = reports::file(&mut tx, me.user_id, &report).await?;
    tx.commit().await?;
    json(StatusCode::CREATED, &filed)
}

// ------------------------------------------------------------------ teams

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoalBody {
    steps: i64,
    period: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamBody {
    #[serde(default, deserialize_with = "patch::not_null")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "patch::not_null")]
    name: Option<String>,
    /// Absent: unchanged; `null`: no goal.
    #[serde(default, deserialize_with = "patch::nullable")]
    goal: Option<Option<GoalBody>>,
}

impl TeamBody {
    fn draft(self) -> Result<Draft> {
        Draft::check(
            self.kind,
            self.name,
            self.goal.map(|g| g.map(|g| (g.steps, g.period))),
        )
    }
}

pub async fn create_team(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: TeamBody = json_body(&req)?;
    let mut checks = Checks::default();
    if body.kind.is_none() {
        checks.fail("kind", "is required");
    }
    if body.name.is_none() {
        checks.fail("name", "is required");
    }
    checks.finish()?;
    let draft = body.draft()?;
    let mut tx = app.db().await?.begin().await?;
    let team = teams::create(&mut tx, me.user_id, &draft).await?;
    tx.commit().await?;
    json(StatusCode::CREATED, &team)
}

pub async fn list_teams(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = json_value!({ "items": teams::mine(&mut tx, me.user_id).await? });
    tx.commit().await?;
    ok(&out)
}

/// `GET /v1/teams/{id}?period=weekly|monthly`: the team's page, for its members.
pub async fn get_team(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    let period = parse_query(&req, "period", GoalPeriod::parse)?.unwrap_or(GoalPeriod::Weekly);
    let today = users::local_today(&mut tx, me.user_id, app.now()).await?;
    let out = teams::page(&mut tx, me.user_id, id, period, today).await?;
    tx.commit().await?;
    ok(&out)
}

pub async fn update_team(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: TeamBody = json_body(&req)?;
    if body.kind.is_some() {
        return Err(Error::invalid("kind", "cannot change"));
    }
    let draft = body.draft()?;
    let mut tx = app.db().await?.begin().await?;
    let team = teams::update(&mut tx, me.user_id, id, &draft).await?;
    tx.commit().await?;
    ok(&team)
}

pub async fn leave_team(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let id = path_id(&req, "id")?;
    teams::leave(&mut tx, me.user_id, id).await?;
    tx.commit().await?;
    no_content()
}

pub async fn remove_member(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let (team, member) = (path_id(&req, "id")?, path_id(&req, "user_id")?);
    teams::remove(&mut tx, me.user_id, team, member).await?;
    tx.commit().await?;
    no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    role: String,
}

/// `PATCH /v1/teams/{id}/members/{user_id}`: the owner names an admin (or takes it back).
pub async fn update_member(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let (team, member) = (path_id(&req, "id")?, path_id(&req, "user_id")?);
    let body: MemberBody = json_body(&req)?;
    let role = Role::parse(&body.role).map_err(|e| Error::invalid("role", e))?;
    teams::set_role(&mut tx, me.user_id, team, member, role).await?;
    tx.commit().await?;
    no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerBody {
    user_id: String,
}

/// `POST /v1/teams/{id}/owner`: the owner hands the team over.
pub async fn transfer_team(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let team = path_id(&req, "id")?;
    let body: OwnerBody = json_body(&req)?;
    let to =
        Uuid::parse_str(&body.user_id).map_err(|_| Error::invalid("user_id", "must be an id"))?;
    let moved = teams::transfer(&mut tx, me.user_id, team, to).await?;
    tx.commit().await?;
    ok(&moved)
}

/// `GET /v1/boards/teams?kind=team|club&period=weekly|monthly&limit=`.
pub async fn team_board(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let kind = parse_query(&req, "kind", TeamKind::parse)?.unwrap_or(TeamKind::Team);
    let period = parse_query(&req, "period", GoalPeriod::parse)?.unwrap_or(GoalPeriod::Weekly);
    let limit = fitkart::leaderboard::parse_limit(query_param(&req, "limit")?)?;
    let today = users::local_today(&mut tx, me.user_id, app.now()).await?;
    let out = teams::board(&mut tx, me.user_id, kind, period, today, limit).await?;
    tx.commit().await?;
    ok(&out)
}

// ------------------------------------------------------------------ admins

pub async fn admin_list_reports(app: &App, req: Request) -> Result<Response> {
    admin(app, &req).await?;
    let page = page_request(&req)?;
    let status =
        parse_query(&req, "status", reports::Status::parse)?.unwrap_or(reports::Status::Open);
    let mut tx = app.db().await?.begin().await?;
    let (items, next_cursor) =
        reports::list(&mut tx, status, page.limit, page.cursor.as_deref()).await?;
    let out = Page { items, next_cursor };
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    action: String,
    note: Option<String>,
}

/// `POST /v1/admin/reports/{id}/resolve`: dismiss, hide the alias or team name, or
/// deactivate the account; audited with the note.
pub async fn admin_resolve_report(app: &App, req: Request) -> Result<Response> {
    let actor = admin_actor(app, &req).await?;
    let id = path_id(&req, "id")?;
    let body: ResolveBody = json_body(&req)?;
    let mut checks = Checks::default();
    let action = checks.field("action", reports::Action::parse(&body.action));
    let note = checks.optional("note", body.note, |n| input::text(&n, 500));
    checks.finish()?;
    let mut tx = AuditedTx::begin(app, actor).await?;
    let admin_id = tx.admin_id();
    let (before, after) =
        accounts::admin::resolve_report(tx.conn(), admin_id, id, input::checked(action)?).await?;
    tx.commit(Entry {
        action: "report.resolve",
        entity_type: EntityType::Report,
        entity_id: Some(id),
        before: &json_value!({ "status": before.status }),
        after: &json_value!({ "status": after.status, "action": after.action, "note": note }),
    })
    .await?;
    ok(&after)
}
