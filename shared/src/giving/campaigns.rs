//! Charity campaigns and the donations to them.
//!
//! An admin sets a campaign up (a *draft*): the charity (name, registration number,
//! website), what it is for, when it runs, a sponsor's purse in USD cents paid at a rate
//! of cents per 1,000 coins donated, a monthly cap per person, and optionally the one
//! team whose members give together. Opening it commits the sponsor's money, so it is a
//! change request a second admin approves (`approvals`).
//!
//! A donation is one transaction under the campaign's row lock: the coins leave the
//! wallet (a `donation` ledger row referencing the campaign), the cents they raise are
//! added to the campaign, and what would pass the purse (`409 purse_exhausted`) or the
//! person's cap for the month (`409 monthly_cap_reached`) is refused. Donations queue on
//! the lock, so concurrent ones never overspend the purse (and a CHECK stands behind it).
//! The donation that fills the purse tells every donor the goal is reached.
//!
//! Locks, in order: the campaign row → wallets → users.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::input::{self, Checks};
use crate::notifications::{self, Kind as NoticeKind, Notice};
use crate::settings::Settings;
use crate::transfers::{self, Channel, Toward};
use crate::{Error, Result};

crate::text_enum! {
    pub enum Status {
        /// Set up, waiting for a second admin to open it.
        Draft = "draft",
        /// Approved: takes donations between its start and end.
        Open = "open",
        Withdrawn = "withdrawn",
    }
}

/// What an admin proposes, checked field by field.
#[derive(Debug, Clone)]
pub struct Draft {
    pub charity_name: String,
    pub charity_registration: String,
    pub charity_website: String,
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub purse_cents: i64,
    pub cents_per_1000_coins: i32,
    pub monthly_cap_cents: i64,
    pub team_id: Option<Uuid>,
}

/// A campaign as sent, before checking.
#[derive(Debug, Default)]
pub struct Proposal {
    pub charity_name: String,
    pub charity_registration: String,
    pub charity_website: String,
    pub title: String,
    pub description: String,
    pub starts_at: String,
    pub ends_at: String,
    pub purse_cents: i64,
    pub cents_per_1000_coins: i64,
    pub monthly_cap_cents: i64,
    pub team_id: Option<String>,
}

impl Draft {
    pub fn check(p: Proposal) -> Result<Draft> {
        let mut checks = Checks::default();
        let charity_name = checks.field("charity_name", input::single_line(&p.charity_name, 120));
        let charity_registration = checks.field(
            "charity_registration",
            input::single_line(&p.charity_registration, 40),
        );
        let charity_website = checks.field(
            "charity_website",
            input::https_url(&p.charity_website).and_then(|u| {
                if u.chars().count() > 300 {
                    Err("must be at most 300 characters".into())
                } else {
                    Ok(u)
                }
            }),
        );
        let title = checks.field("title", input::single_line(&p.title, 120));
        let description = checks.field("description", input::text(&p.description, 2_000));
        let instant = |raw: &str| {
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| "must be an RFC 3339 date-time".to_owned())
        };
        let starts_at = checks.field("starts_at", instant(&p.starts_at));
        let ends_at = checks.field("ends_at", instant(&p.ends_at));
        if let (Some(start), Some(end)) = (starts_at, ends_at) {
            if end <= start {
                checks.fail("ends_at", "must be after starts_at");
            }
        }
        let positive = |n: i64, max: i64| {
            if (1..=max).contains(&n) {
                Ok(n)
            } else {
                Err(format!("must be between 1 and {max}"))
            }
        };
        let purse_cents = checks.field("purse_cents", positive(p.purse_cents, 10_000_000_000));
        let rate = checks.field(
            "cents_per_1000_coins",
            positive(p.cents_per_1000_coins, 10_000),
        );
        let cap = checks.field(
            "monthly_cap_cents",
            positive(p.monthly_cap_cents, 10_000_000_000),
        );
        let team_id = match p.team_id {
            None => None,
            Some(raw) => checks
                .field(
                    "team_id",
                    Uuid::parse_str(&raw).map_err(|_| "must be an id".to_owned()),
                )
                .map(Some),
        };
        checks.finish()?;
        Ok(Draft {
            charity_name: input::checked(charity_name)?,
            charity_registration: input::checked(charity_registration)?,
            charity_website: input::checked(charity_website)?,
            title: input::checked(title)?,
            description: input::checked(description)?,
            starts_at: input::checked(starts_at)?,
            ends_at: input::checked(ends_at)?,
            purse_cents: input::checked(purse_cents)?,
            cents_per_1000_coins: input::checked(rate)? as i32,
            monthly_cap_cents: input::checked(cap)?,
            team_id: team_id.flatten(),
        })
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Campaign {
    pub id: Uuid,
    pub charity_name: String,
    pub charity_registration: String,
    pub charity_website: String,
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub purse_cents: i64,
    pub cents_per_1000_coins: i32,
    pub monthly_cap_cents: i64,
    pub team_id: Option<Uuid>,
    pub status: String,
    pub raised_cents: i64,
    pub goal_reached_at: Option<DateTime<Utc>>,
    pub donors: i64,
    pub created_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
}

/// A team's part of a campaign (`top_teams` on its page).
#[derive(Debug, Clone, Serialize)]
pub struct TeamTotal {
    pub team_id: Uuid,
    pub name: String,
    pub cents: i64,
    pub donors: i64,
}

/// A campaign's page: the campaign, its top teams, and the caller's own donations to it.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    #[serde(flatten)]
    pub campaign: Campaign,
    pub top_teams: Vec<TeamTotal>,
    pub my_cents_this_month: i64,
}

/// The cents `coins` raise at `cents_per_1000_coins`, rounded down.
pub fn cents_for(coins: i64, cents_per_1000_coins: i32) -> i64 {
    coins.saturating_mul(i64::from(cents_per_1000_coins)) / 1_000
}

/// Campaigns by one of three filters, in one statement: `id` (any status), open to
/// `open_for` at an instant (running or about to, a team's only to its members; ending soonest first),
/// or neither (every campaign, newest first). At most `limit`.
async fn select(
    conn: &mut PgConnection,
    id: Option<Uuid>,
    open_for: Option<(Uuid, DateTime<Utc>)>,
    limit: i64,
) -> Result<Vec<Campaign>> {
    Ok(crate::db_query_as!(
        Campaign,
        r#"SELECT c.id, c.charity_name, c.charity_registration, c.charity_website, c.title, c.description,
                  c.starts_at, c.ends_at, c.purse_cents, c.cents_per_1000_coins, c.monthly_cap_cents, c.team_id,
                  c.status, c.raised_cents, c.goal_reached_at,
                  (SELECT count(DISTINCT d.user_id) FROM donations d WHERE d.campaign_id = c.id) AS "donors!",
                  c.created_at, c.opened_at
           FROM campaigns c
           WHERE ($1::uuid IS NULL OR c.id = $1)
             AND ($2::uuid IS NULL OR (c.status = 'open' AND c.ends_at > $4::timestamptz
                  AND (c.team_id IS NULL
                       OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = c.team_id AND m.user_id = $2))))
           ORDER BY CASE WHEN $2::uuid IS NULL THEN NULL ELSE c.ends_at END, c.created_at DESC, c.id
           LIMIT $3"#,
        id,
        open_for.map(|(user, _)| user),
        limit,
        open_for.map(|(_, now)| now)
    )
    .fetch_all(conn)
    .await?)
}

async fn campaign(conn: &mut PgConnection, id: Uuid) -> Result<Campaign> {
    select(conn, Some(id), None, 1)
        .await?
        .pop()
        .ok_or(Error::NotFound)
}

/// Whether `user` may see and give to campaign `c`: an open one, and for a team's
/// campaign, a member of the team.
async fn visible_to(conn: &mut PgConnection, c: &Campaign, user: Uuid) -> Result<bool> {
    if c.status != Status::Open.as_str() {
        return Ok(false);
    }
    match c.team_id {
        None => Ok(true),
        Some(team) => Ok(crate::db_query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2) AS "member!""#,
            team,
            user
        )
        .fetch_one(conn)
        .await?),
    }
}

/// Campaign `id`'s page for `user` (a draft, a withdrawn one or another team's: `404`).
pub async fn page(
    conn: &mut PgConnection,
    user: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Page> {
    let campaign = campaign(conn, id).await?;
    if !visible_to(conn, &campaign, user).await? {
        return Err(Error::NotFound);
    }
    page_of(conn, campaign, Some((user, now))).await
}

/// Campaign `id` for the admins, whatever its status.
pub async fn inspect(conn: &mut PgConnection, id: Uuid) -> Result<Page> {
    let campaign = campaign(conn, id).await?;
    page_of(conn, campaign, None).await
}

/// The page of `campaign`, with `user`'s gifts this month at an instant when one is given.
async fn page_of(
    conn: &mut PgConnection,
    campaign: Campaign,
    user: Option<(Uuid, DateTime<Utc>)>,
) -> Result<Page> {
    let top_teams = crate::db_query!(
        r#"SELECT d.team_id AS "team_id!", t.name, t.name_hidden_at, sum(d.cents)::int8 AS "cents!",
                  count(DISTINCT d.user_id) AS "donors!"
           FROM donations d JOIN teams t ON t.id = d.team_id
           WHERE d.campaign_id = $1 AND t.archived_at IS NULL
           GROUP BY d.team_id, t.name, t.name_hidden_at ORDER BY 4 DESC, 1 LIMIT 10"#,
        campaign.id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| TeamTotal {
        team_id: r.team_id,
        name: crate::social::teams::shown_name(&r.name, r.name_hidden_at),
        cents: r.cents,
        donors: r.donors,
    })
    .collect();
    let my_cents_this_month = match user {
        Some((user, now)) => given_this_month(conn, campaign.id, user, now).await?,
        None => 0,
    };
    Ok(Page {
        campaign,
        top_teams,
        my_cents_this_month,
    })
}

async fn given_this_month(
    conn: &mut PgConnection,
    campaign: Uuid,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(crate::db_query_scalar!(
        r#"SELECT COALESCE(sum(cents), 0)::int8 AS "cents!" FROM donations
           WHERE campaign_id = $1 AND user_id = $2
             AND created_at >= $3"#,
        campaign,
        user,
        crate::clock::month_start(now)
    )
    .fetch_one(conn)
    .await?)
}

/// The open campaigns `user` may give to (running now or about to), ending soonest first.
pub async fn open_for(
    conn: &mut PgConnection,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Campaign>> {
    select(conn, None, Some((user, now)), 100).await
}

/// Every campaign for the admins, newest first (the last 200).
pub async fn list(conn: &mut PgConnection) -> Result<Vec<Campaign>> {
    select(conn, None, None, 200).await
}

/// Sets up a draft campaign (a team's must exist).
pub async fn create(conn: &mut PgConnection, admin: Uuid, draft: &Draft) -> Result<Campaign> {
    if let Some(team) = draft.team_id {
        let exists = crate::db_query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1 AND archived_at IS NULL) AS "exists!""#,
            team
        )
        .fetch_one(&mut *conn)
        .await?;
        if !exists {
            return Err(Error::invalid("team_id", "no such team"));
        }
    }
    let id = crate::db_query_scalar!(
        r#"INSERT INTO campaigns (charity_name, charity_registration, charity_website, title, description, starts_at,
                                  ends_at, purse_cents, cents_per_1000_coins, monthly_cap_cents, team_id, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id"#,
        draft.charity_name,
        draft.charity_registration,
        draft.charity_website,
        draft.title,
        draft.description,
        draft.starts_at,
        draft.ends_at,
        draft.purse_cents,
        draft.cents_per_1000_coins,
        draft.monthly_cap_cents,
        draft.team_id,
        admin
    )
    .fetch_one(&mut *conn)
    .await?;
    campaign(conn, id).await
}

/// What opening draft `id` would change, for its change request (`409` unless a draft).
pub async fn describe_opening(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<(serde_json::Value, serde_json::Value)> {
    let c = campaign(conn, id).await?;
    if c.status != Status::Draft.as_str() {
        return Err(Error::conflict(
            "campaign_not_draft",
            Text::new("problem-campaign-not-draft"),
        ));
    }
    let what = json!({ "title": c.title, "charity": c.charity_name, "registration": c.charity_registration,
                        "purse_cents": c.purse_cents, "cents_per_1000_coins": c.cents_per_1000_coins,
                        "monthly_cap_cents": c.monthly_cap_cents, "starts_at": c.starts_at, "ends_at": c.ends_at });
    let mut after = what.clone();
    after["status"] = json!("open");
    let mut before = what;
    before["status"] = json!("draft");
    Ok((before, after))
}

/// Opens draft `id` (an approved change request): it takes donations from its start.
pub async fn open(conn: &mut PgConnection, id: Uuid) -> Result<(Campaign, Campaign)> {
    crate::db_query!("SELECT id FROM campaigns WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *conn)
        .await?;
    let before = campaign(conn, id).await?;
    if before.status != Status::Draft.as_str() {
        return Err(Error::conflict(
            "campaign_not_draft",
            Text::new("problem-campaign-not-draft"),
        ));
    }
    crate::db_query!(
        "UPDATE campaigns SET status = 'open', opened_at = now() WHERE id = $1",
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok((before, campaign(conn, id).await?))
}

/// A donation as its donor sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Donation {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub campaign_title: String,
    pub charity_name: String,
    pub coins: i64,
    pub cents: i64,
    pub team_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// `user` gives `coins` to campaign `id`, optionally counted for one of their teams.
pub async fn donate(
    conn: &mut PgConnection,
    settings: &Settings,
    user: Uuid,
    id: Uuid,
    coins: i64,
    team: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Donation> {
    crate::db_query!("SELECT id FROM campaigns WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *conn)
        .await?;
    let c = campaign(conn, id).await?;
    if !visible_to(conn, &c, user).await? {
        return Err(Error::NotFound);
    }
    if now < c.starts_at || now >= c.ends_at {
        return Err(Error::conflict(
            "campaign_closed",
            Text::new("problem-campaign-closed"),
        ));
    }
    if let Some(team) = team {
        let member = crate::db_query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2) AS "member!""#,
            team,
            user
        )
        .fetch_one(&mut *conn)
        .await?;
        if !member {
            return Err(Error::invalid("team_id", "must be one of your teams"));
        }
    }
    let cents = cents_for(coins, c.cents_per_1000_coins);
    if cents < 1 {
        return Err(Error::invalid(
            "coins",
            format!(
                "must raise at least a cent: at least {} coins",
                (1_000 + i64::from(c.cents_per_1000_coins) - 1) / i64::from(c.cents_per_1000_coins)
            ),
        ));
    }
    if c.raised_cents + cents > c.purse_cents {
        return Err(Error::conflict(
            "purse_exhausted",
            Text::new("problem-purse-exhausted").arg("cents", c.purse_cents - c.raised_cents),
        ));
    }
    let mine = given_this_month(conn, id, user, now).await?;
    if mine + cents > c.monthly_cap_cents {
        return Err(Error::conflict(
            "monthly_cap_reached",
            Text::new("problem-monthly-cap-reached")
                .arg("cap", c.monthly_cap_cents)
                .arg("left", (c.monthly_cap_cents - mine).max(0)),
        ));
    }
    // The policy every coin between people (or to a charity) passes.
    transfers::check(
        conn,
        settings,
        user,
        Toward::Charity,
        coins,
        Channel::Donation,
        now,
    )
    .await?;
    let donation = crate::db_query_scalar!(
        "INSERT INTO donations (campaign_id, user_id, coins, cents, team_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        id,
        user,
        coins,
        cents,
        team
    )
    .fetch_one(&mut *conn)
    .await?;
    transfers::donate(conn, user, id, coins, &c.charity_name, now).await?;
    let reached = crate::db_query_scalar!(
        r#"UPDATE campaigns SET raised_cents = raised_cents + $2,
                  goal_reached_at = CASE WHEN raised_cents + $2 = purse_cents THEN now() END
           WHERE id = $1 RETURNING goal_reached_at"#,
        id,
        cents
    )
    .fetch_one(&mut *conn)
    .await?;
    if reached.is_some() {
        let donors = crate::db_query_scalar!(
            "SELECT DISTINCT user_id FROM donations WHERE campaign_id = $1 ORDER BY user_id",
            id
        )
        .fetch_all(&mut *conn)
        .await?;
        let notices: Vec<Notice> = donors
            .into_iter()
            .map(|donor| {
                Notice::new(
                    format!("campaign:{id}:goal:{donor}"),
                    donor,
                    NoticeKind::CampaignGoalReached,
                    json!({ "campaign_id": id, "title": c.title, "charity": c.charity_name,
                            "raised_cents": c.purse_cents }),
                )
            })
            .collect();
        notifications::record(conn, &notices).await?;
    }
    Ok(mine_where(conn, user, Some(donation)).await?.remove(0))
}

async fn mine_where(
    conn: &mut PgConnection,
    user: Uuid,
    only: Option<Uuid>,
) -> Result<Vec<Donation>> {
    Ok(crate::db_query_as!(
        Donation,
        r#"SELECT d.id, d.campaign_id, c.title AS campaign_title, c.charity_name, d.coins, d.cents, d.team_id, d.created_at
           FROM donations d JOIN campaigns c ON c.id = d.campaign_id
           WHERE d.user_id = $1 AND ($2::uuid IS NULL OR d.id = $2)
           ORDER BY d.created_at DESC, d.id LIMIT 200"#,
        user,
        only
    )
    .fetch_all(conn)
    .await?)
}

/// The caller's donations, newest first (the last 200).
pub async fn donations_of(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Donation>> {
    mine_where(conn, user, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coins_raise_cents_at_the_rate_rounded_down() {
        assert_eq!(cents_for(1_000, 25), 25);
        assert_eq!(cents_for(1_039, 25), 25);
        assert_eq!(cents_for(1_040, 25), 26);
        assert_eq!(cents_for(39, 25), 0);
        assert_eq!(cents_for(i64::MAX, 10_000), i64::MAX / 1_000);
    }
}
