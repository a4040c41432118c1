//! Teams (at most 50 members) and clubs (at most 2,000); a person is in at most 3 of
//! each. People join by a team's invite code and leave when they like; the owner and the
//! admins remove members, the owner names admins and hands the team over. A team nobody is
//! left in is archived.
//!
//! A team's score for a week or a month is the average verified steps per active member
//! (members with at least one verified day in the period), each member's day capped at
//! 30,000 steps: a big team does not win by size and one very long day does not carry it.
//! The scores come from the per-user capped totals crediting moves
//! (`leaderboard_totals.capped_steps`) and are published for the boards by the ranking
//! job (`publish`), like the person boards: live within minutes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{lock_people, Person};
use crate::i18n::Text;
use crate::input::Checks;
use crate::leaderboard::Period;
use crate::notifications::{self, Kind, Notice};
use crate::visibility::{self, Visible};
use crate::{input, Error, Result};

crate::text_enum! {
    /// A team is small and close; a club is a community.
    pub enum TeamKind {
        Team = "team",
        Club = "club",
    }
}

crate::text_enum! {
    pub enum Role {
        Owner = "owner",
        Admin = "admin",
        Member = "member",
    }
}

crate::text_enum! {
    /// The period of a team's goal and of the team boards.
    pub enum GoalPeriod {
        Weekly = "weekly",
        Monthly = "monthly",
    }
}

impl TeamKind {
    pub fn max_members(self) -> i64 {
        match self {
            TeamKind::Team => 50,
            TeamKind::Club => 2_000,
        }
    }
}

impl GoalPeriod {
    fn board(self) -> Period {
        match self {
            GoalPeriod::Weekly => Period::Weekly,
            GoalPeriod::Monthly => Period::Monthly,
        }
    }
}

/// Teams (and, separately, clubs) one person may be in.
pub const PER_PERSON: i64 = 3;
/// A member's day counts towards the team up to this many steps (Pacer's cap).
pub const DAY_CAP: i64 = 30_000;

#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    pub steps: i64,
    pub period: GoalPeriod,
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: Uuid,
    pub kind: TeamKind,
    pub name: String,
    pub members: i64,
    pub goal: Option<Goal>,
    pub created_at: DateTime<Utc>,
    /// The caller's role, when they are a member.
    pub my_role: Option<Role>,
}

/// A checked new team or change.
#[derive(Debug, Default)]
pub struct Draft {
    pub kind: Option<TeamKind>,
    pub name: Option<String>,
    /// `Some(None)` removes the goal.
    pub goal: Option<Option<(i64, GoalPeriod)>>,
}

impl Draft {
    pub fn check(
        kind: Option<String>,
        name: Option<String>,
        goal: Option<Option<(i64, String)>>,
    ) -> Result<Draft> {
        let mut checks = Checks::default();
        let kind = kind.and_then(|k| checks.field("kind", TeamKind::parse(&k)));
        let name = name.and_then(|n| {
            checks.field(
                "name",
                input::single_line(&n, 60).and_then(|n| {
                    if n.chars().count() < 3 {
                        Err("must be at least 3 characters".into())
                    } else {
                        Ok(n)
                    }
                }),
            )
        });
        let goal = match goal {
            None => None,
            Some(None) => Some(None),
            Some(Some((steps, period))) => {
                let steps = checks.field(
                    "goal.steps",
                    if (1_000..=1_000_000_000).contains(&steps) {
                        Ok(steps)
                    } else {
                        Err("must be between 1000 and 1000000000".into())
                    },
                );
                let period = checks.field("goal.period", GoalPeriod::parse(&period));
                steps.zip(period).map(Some)
            }
        };
        checks.finish()?;
        Ok(Draft { kind, name, goal })
    }
}

fn team_not_found() -> Error {
    Error::NotFound
}

/// The team `id` as `viewer` sees it (a non-member, or an archived team: `404`).
pub async fn get(conn: &mut PgConnection, viewer: Uuid, id: Uuid) -> Result<Team> {
    let row = crate::db_query!(
        r#"SELECT t.id, t.kind AS "kind: TeamKind", t.name, t.name_hidden_at, t.goal_steps,
                  t.goal_period AS "goal_period: GoalPeriod", t.created_at,
                  m.role AS "role: Role",
                  (SELECT count(*) FROM team_members x WHERE x.team_id = t.id) AS "members!"
           FROM teams t JOIN team_members m ON m.team_id = t.id AND m.user_id = $2
           WHERE t.id = $1 AND t.archived_at IS NULL"#,
        id,
        viewer
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(team_not_found)?;
    Ok(Team {
        id: row.id,
        kind: row.kind,
        name: shown_name(&row.name, row.name_hidden_at),
        members: row.members,
        goal: row
            .goal_steps
            .zip(row.goal_period)
            .map(|(steps, period)| Goal { steps, period }),
        created_at: row.created_at,
        my_role: Some(row.role),
    })
}

/// A team name an admin hid reads as a neutral one.
/// A team's name as others see it (an admin may have hidden an offensive one).
pub fn shown_name(name: &str, hidden_at: Option<DateTime<Utc>>) -> String {
    if hidden_at.is_some() {
        "A FitKart team".into()
    } else {
        name.to_owned()
    }
}

/// `user`'s teams and clubs.
pub async fn mine(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Team>> {
    let ids = crate::db_query_scalar!(
        r#"SELECT t.id FROM teams t JOIN team_members m ON m.team_id = t.id
           WHERE m.user_id = $1 AND t.archived_at IS NULL ORDER BY m.joined_at"#,
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut teams = Vec::with_capacity(ids.len());
    for id in ids {
        teams.push(get(conn, user, id).await?);
    }
    Ok(teams)
}

async fn check_room_for(conn: &mut PgConnection, user: Uuid, kind: TeamKind) -> Result<()> {
    lock_people(conn, "teams", &[user]).await?;
    let count = crate::db_query_scalar!(
        r#"SELECT count(*) AS "n!" FROM team_members m JOIN teams t ON t.id = m.team_id
           WHERE m.user_id = $1 AND t.kind = $2 AND t.archived_at IS NULL"#,
        user,
        kind.as_str()
    )
    .fetch_one(conn)
    .await?;
    if count >= PER_PERSON {
        return Err(Error::conflict(
            "team_limit",
            Text::new("problem-team-limit")
                .arg("limit", PER_PERSON)
                .arg("kind", kind.as_str()),
        ));
    }
    Ok(())
}

/// `owner` starts a team or club (`draft` with a kind and a name).
pub async fn create(conn: &mut PgConnection, owner: Uuid, draft: &Draft) -> Result<Team> {
    let kind = input::checked(draft.kind)?;
    let name = draft
        .name
        .clone()
        .ok_or_else(|| Error::invalid("name", "is required"))?;
    check_room_for(conn, owner, kind).await?;
    let goal = draft.goal.flatten();
    let id = crate::db_query_scalar!(
        "INSERT INTO teams (kind, name, owner_id, goal_steps, goal_period) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        kind.as_str(),
        name,
        owner,
        goal.map(|g| g.0),
        goal.map(|g| g.1.as_str())
    )
    .fetch_one(&mut *conn)
    .await?;
    crate::db_query!(
        "INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, 'owner')",
        id,
        owner
    )
    .execute(&mut *conn)
    .await?;
    get(conn, owner, id).await
}

/// `user` joins the team `id` (through its invite code).
pub async fn join(conn: &mut PgConnection, user: Uuid, id: Uuid) -> Result<Team> {
    // The team's row first, then the person: every membership change locks in that order.
    let team = crate::db_query!(
        r#"SELECT kind AS "kind: TeamKind", name FROM teams WHERE id = $1 AND archived_at IS NULL FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(super::friends::invalid_code)?;
    let already = crate::db_query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2) AS "m!""#,
        id,
        user
    )
    .fetch_one(&mut *conn)
    .await?;
    if already {
        return Err(Error::conflict(
            "already_member",
            Text::new("problem-already-member"),
        ));
    }
    check_room_for(conn, user, team.kind).await?;
    let members = crate::db_query_scalar!(
        r#"SELECT count(*) AS "n!" FROM team_members WHERE team_id = $1"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if members >= team.kind.max_members() {
        return Err(Error::conflict(
            "team_full",
            Text::new("problem-team-full")
                .arg("kind", team.kind.as_str())
                .arg("limit", team.kind.max_members()),
        ));
    }
    crate::db_query!(
        "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)",
        id,
        user
    )
    .execute(&mut *conn)
    .await?;
    notifications::record(
        conn,
        &[Notice::new(
            format!("team_joined:{id}:{user}"),
            user,
            Kind::TeamJoined,
            serde_json::json!({ "team": team.name }),
        )],
    )
    .await?;
    get(conn, user, id).await
}

async fn role_of(conn: &mut PgConnection, team: Uuid, user: Uuid) -> Result<Option<Role>> {
    Ok(crate::db_query_scalar!(
        r#"SELECT m.role AS "role: Role" FROM team_members m JOIN teams t ON t.id = m.team_id
           WHERE m.team_id = $1 AND m.user_id = $2 AND t.archived_at IS NULL"#,
        team,
        user
    )
    .fetch_optional(conn)
    .await?)
}

/// Locks the team's row (membership changes queue on it).
async fn lock_team(conn: &mut PgConnection, team: Uuid) -> Result<()> {
    crate::db_query!("SELECT id FROM teams WHERE id = $1 FOR UPDATE", team)
        .fetch_optional(conn)
        .await?
        .ok_or_else(team_not_found)?;
    Ok(())
}

/// Takes `user` out of `team`. An owner who leaves hands the team to its longest admin
/// (else its longest member); a team nobody is left in is archived.
async fn take_out(conn: &mut PgConnection, team: Uuid, user: Uuid) -> Result<()> {
    let role = crate::db_query_scalar!(
        r#"DELETE FROM team_members WHERE team_id = $1 AND user_id = $2 RETURNING role AS "role: Role""#,
        team,
        user
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    if role == Role::Owner {
        let heir = crate::db_query_scalar!(
            "SELECT user_id FROM team_members WHERE team_id = $1
             ORDER BY role = 'admin' DESC, joined_at, user_id LIMIT 1",
            team
        )
        .fetch_optional(&mut *conn)
        .await?;
        match heir {
            Some(heir) => {
                crate::db_query!(
                    "UPDATE team_members SET role = 'owner' WHERE team_id = $1 AND user_id = $2",
                    team,
                    heir
                )
                .execute(&mut *conn)
                .await?;
                crate::db_query!("UPDATE teams SET owner_id = $2 WHERE id = $1", team, heir)
                    .execute(&mut *conn)
                    .await?;
            }
            None => {
                crate::db_query!(
                    "UPDATE teams SET archived_at = now(), owner_id = NULL WHERE id = $1",
                    team
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

/// `user` leaves `team`.
pub async fn leave(conn: &mut PgConnection, user: Uuid, team: Uuid) -> Result<()> {
    lock_team(conn, team).await?;
    role_of(conn, team, user)
        .await?
        .ok_or_else(team_not_found)?;
    take_out(conn, team, user).await
}

/// The owner or an admin removes `member` (an admin removes members only; nobody removes
/// the owner).
pub async fn remove(conn: &mut PgConnection, actor: Uuid, team: Uuid, member: Uuid) -> Result<()> {
    lock_team(conn, team).await?;
    let mine = role_of(conn, team, actor)
        .await?
        .ok_or_else(team_not_found)?;
    let theirs = role_of(conn, team, member).await?.ok_or(Error::NotFound)?;
    let allowed = match (mine, theirs) {
        (_, Role::Owner) => false,
        (Role::Owner, _) => true,
        (Role::Admin, Role::Member) => true,
        _ => false,
    };
    if !allowed || actor == member {
        return Err(Error::denied(
            "not_allowed",
            Text::new("problem-not-allowed-remove-member"),
        ));
    }
    take_out(conn, team, member).await
}

async fn require_owner(conn: &mut PgConnection, actor: Uuid, team: Uuid) -> Result<()> {
    lock_team(conn, team).await?;
    match role_of(conn, team, actor)
        .await?
        .ok_or_else(team_not_found)?
    {
        Role::Owner => Ok(()),
        _ => Err(Error::denied(
            "not_allowed",
            Text::new("problem-not-allowed-team-owner"),
        )),
    }
}

/// The owner makes `member` an admin or a member again.
pub async fn set_role(
    conn: &mut PgConnection,
    actor: Uuid,
    team: Uuid,
    member: Uuid,
    role: Role,
) -> Result<()> {
    require_owner(conn, actor, team).await?;
    if role == Role::Owner || member == actor {
        return Err(Error::invalid(
            "role",
            "must be admin or member (hand the team over to change its owner)",
        ));
    }
    let changed = crate::db_query!(
        "UPDATE team_members SET role = $3 WHERE team_id = $1 AND user_id = $2 AND role <> 'owner'",
        team,
        member,
        role.as_str()
    )
    .execute(conn)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The owner hands the team to `member`, and stays as an admin.
pub async fn transfer(
    conn: &mut PgConnection,
    actor: Uuid,
    team: Uuid,
    member: Uuid,
) -> Result<Team> {
    require_owner(conn, actor, team).await?;
    if role_of(conn, team, member).await?.is_none() || member == actor {
        return Err(Error::invalid(
            "user_id",
            "must be another member of the team",
        ));
    }
    crate::db_query!(
        "UPDATE team_members SET role = CASE WHEN user_id = $2 THEN 'owner' ELSE 'admin' END
         WHERE team_id = $1 AND user_id IN ($2, $3)",
        team,
        member,
        actor
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!("UPDATE teams SET owner_id = $2 WHERE id = $1", team, member)
        .execute(&mut *conn)
        .await?;
    get(conn, actor, team).await
}

/// The owner or an admin renames the team or sets its goal.
pub async fn update(
    conn: &mut PgConnection,
    actor: Uuid,
    team: Uuid,
    draft: &Draft,
) -> Result<Team> {
    lock_team(conn, team).await?;
    match role_of(conn, team, actor)
        .await?
        .ok_or_else(team_not_found)?
    {
        Role::Owner | Role::Admin => {}
        Role::Member => {
            return Err(Error::denied(
                "not_allowed",
                Text::new("problem-not-allowed-team-edit"),
            ))
        }
    }
    let goal = draft.goal.flatten();
    crate::db_query!(
        "UPDATE teams SET name = COALESCE($2, name),
                          name_hidden_at = CASE WHEN $2::text IS NULL THEN name_hidden_at END,
                          goal_steps = CASE WHEN $3 THEN $4 ELSE goal_steps END,
                          goal_period = CASE WHEN $3 THEN $5 ELSE goal_period END
         WHERE id = $1",
        team,
        draft.name,
        draft.goal.is_some(),
        goal.map(|g| g.0),
        goal.map(|g| g.1.as_str())
    )
    .execute(&mut *conn)
    .await?;
    get(conn, actor, team).await
}

/// An admin hides an offensive team name.
pub async fn hide_name(conn: &mut PgConnection, team: Uuid) -> Result<()> {
    let hidden = crate::db_query!(
        "UPDATE teams SET name_hidden_at = now() WHERE id = $1",
        team
    )
    .execute(conn)
    .await?;
    if hidden.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// A team's name as it was shown (for a report's snapshot).
pub async fn shown(conn: &mut PgConnection, team: Uuid) -> Result<Option<String>> {
    Ok(crate::db_query!(
        "SELECT name, name_hidden_at FROM teams WHERE id = $1 AND archived_at IS NULL",
        team
    )
    .fetch_optional(conn)
    .await?
    .map(|t| shown_name(&t.name, t.name_hidden_at)))
}

/// One member's part of the team's period.
#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    #[serde(flatten)]
    pub person: Person,
    pub role: Role,
    /// Their steps counting towards the team this period (days capped at 30,000), where
    /// the viewer may see their steps (`visibility`).
    pub steps: Visible<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    #[serde(flatten)]
    pub team: Team,
    pub period: GoalPeriod,
    pub period_start: NaiveDate,
    /// Average capped steps per active member.
    pub score: Visible<i64>,
    pub active_members: i64,
    pub total_steps: Visible<i64>,
    /// The goal's progress for its own period, when there is a goal.
    pub goal_progress: Visible<Option<i64>>,
    /// The team's numbers are withheld from this viewer: exactly one active member's
    /// steps are hidden from them, and the total less what they can see would be that
    /// member's steps.
    pub totals_withheld: bool,
    pub contributions: Vec<Contribution>,
}

/// The team's page for its members: this `period`'s score and every member's part, live
/// from the per-user totals (a team of 2,000 is 2,000 key lookups).
pub async fn page(
    conn: &mut PgConnection,
    viewer: Uuid,
    team_id: Uuid,
    period: GoalPeriod,
    today: NaiveDate,
) -> Result<Page> {
    let team = get(conn, viewer, team_id).await?;
    let start = period.board().start(today);
    let rows = crate::db_query!(
        r#"SELECT m.user_id, m.role AS "role: Role", COALESCE(t.capped_steps, 0) AS "capped!"
           FROM team_members m
           LEFT JOIN leaderboard_totals t ON t.period = $2 AND t.period_start = $3 AND t.user_id = m.user_id
           WHERE m.team_id = $1
           ORDER BY COALESCE(t.capped_steps, 0) DESC, m.user_id"#,
        team_id,
        period.board().as_str(),
        start
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    // `get` admitted only a member: the others are their teammates.
    let seen = visibility::of_among(conn, viewer, &ids).await?;
    let active: Vec<i64> = rows.iter().map(|r| r.capped).filter(|s| *s > 0).collect();
    let total: i64 = active.iter().sum();
    let score = if active.is_empty() {
        0
    } else {
        total / active.len() as i64
    };
    let goal_progress = match &team.goal {
        Some(goal) if goal.period == period => Some(total),
        Some(goal) => Some(
            crate::db_query_scalar!(
                r#"SELECT COALESCE(sum(t.capped_steps), 0)::int8 AS "n!" FROM team_members m
                   JOIN leaderboard_totals t ON t.period = $2 AND t.period_start = $3 AND t.user_id = m.user_id
                   WHERE m.team_id = $1"#,
                team_id,
                goal.period.board().as_str(),
                goal.period.board().start(today)
            )
            .fetch_one(&mut *conn)
            .await?,
        ),
        None => None,
    };
    let contributions: Vec<Contribution> = rows
        .iter()
        .filter_map(|r| {
            let seen = seen.get(&r.user_id).filter(|s| s.sight.person)?;
            Some(Contribution {
                person: seen.person.clone(),
                role: r.role,
                steps: seen.sight.steps(r.capped),
            })
        })
        .collect();
    // Members who walked this period but whose steps this viewer cannot see (hidden, or
    // not shown at all): one alone would be the total less everything shown.
    let hidden_walkers = rows
        .iter()
        .filter(|r| r.capped > 0)
        .filter(|r| !seen.get(&r.user_id).is_some_and(|s| s.sight.learns_steps()))
        .count();
    let sight = visibility::of_sum(hidden_walkers);
    Ok(Page {
        team,
        period,
        period_start: start,
        score: sight.steps(score),
        active_members: active.len() as i64,
        total_steps: sight.steps(total),
        goal_progress: sight.steps(goal_progress),
        totals_withheld: hidden_walkers == 1,
        contributions,
    })
}

/// Publishes every team's score for the period containing `day` (one statement), and
/// records a push for each member of a team that reached its goal in it (once per team
/// and period). Returns how many teams were scored.
pub async fn publish(pool: &PgPool, period: GoalPeriod, day: NaiveDate) -> Result<u64> {
    let start = period.board().start(day);
    let mut tx = pool.begin().await?;
    let scored = crate::db_query!(
        r#"WITH scores AS (
               SELECT m.team_id, count(*) FILTER (WHERE t.capped_steps > 0) AS active,
                      COALESCE(sum(t.capped_steps), 0)::int8 AS total
               FROM team_members m JOIN teams k ON k.id = m.team_id AND k.archived_at IS NULL
               LEFT JOIN leaderboard_totals t ON t.period = $1 AND t.period_start = $2 AND t.user_id = m.user_id
               GROUP BY m.team_id
           )
           INSERT INTO team_scores (team_id, period, period_start, active_members, total_steps, score, computed_at)
           SELECT team_id, $1, $2, active, total, CASE WHEN active > 0 THEN total / active ELSE 0 END, now()
           FROM scores
           ON CONFLICT (period, period_start, team_id) DO UPDATE SET
               active_members = EXCLUDED.active_members, total_steps = EXCLUDED.total_steps,
               score = EXCLUDED.score, computed_at = EXCLUDED.computed_at"#,
        period.board().as_str(),
        start
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let reached = crate::db_query!(
        r#"SELECT k.id, k.name, s.total_steps, m.user_id
           FROM team_scores s JOIN teams k ON k.id = s.team_id AND k.archived_at IS NULL
           JOIN team_members m ON m.team_id = k.id
           WHERE s.period = $1 AND s.period_start = $2 AND k.goal_period = $3 AND s.total_steps >= k.goal_steps"#,
        period.board().as_str(),
        start,
        period.as_str()
    )
    .fetch_all(&mut *tx)
    .await?;
    let notices: Vec<Notice> = reached
        .into_iter()
        .map(|r| {
            Notice::new(
                format!("team_goal:{}:{start}:{}", r.id, r.user_id),
                r.user_id,
                Kind::TeamGoalReached,
                serde_json::json!({ "team": r.name, "steps": r.total_steps }),
            )
        })
        .collect();
    notifications::record(&mut tx, &notices).await?;
    tx.commit().await?;
    Ok(scored)
}

#[derive(Debug, Clone, Serialize)]
pub struct BoardEntry {
    pub rank: i64,
    pub team_id: Uuid,
    pub name: String,
    pub members: i64,
    pub active_members: i64,
    /// `null` where exactly one of the team's walkers this period is someone whose steps
    /// the viewer cannot learn (the score times the walkers, less what the viewer sees,
    /// would be theirs): the rank still stands.
    pub score: Visible<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub kind: TeamKind,
    pub period: GoalPeriod,
    pub period_start: NaiveDate,
    pub last_updated: Option<DateTime<Utc>>,
    pub items: Vec<BoardEntry>,
    /// The caller's own teams of this kind, with their ranks.
    pub mine: Vec<BoardEntry>,
}

/// The team board of `kind` for the current `period`: the top `limit` by score (ties
/// share a rank) and the viewer's own teams.
pub async fn board(
    conn: &mut PgConnection,
    viewer: Uuid,
    kind: TeamKind,
    period: GoalPeriod,
    today: NaiveDate,
    limit: i64,
) -> Result<Board> {
    let start = period.board().start(today);
    let rows = crate::db_query!(
        r#"WITH ranked AS (
               SELECT s.team_id, s.score, s.active_members, s.computed_at, k.name, k.name_hidden_at,
                      rank() OVER (ORDER BY s.score DESC) AS rank,
                      (SELECT count(*) FROM team_members x WHERE x.team_id = k.id) AS members,
                      EXISTS (SELECT 1 FROM team_members x WHERE x.team_id = k.id AND x.user_id = $5) AS mine
               FROM team_scores s JOIN teams k ON k.id = s.team_id AND k.archived_at IS NULL AND k.kind = $1
               WHERE s.period = $2 AND s.period_start = $3 AND s.active_members > 0
           )
           SELECT team_id AS "team_id!", score AS "score!", active_members AS "active!", computed_at AS "computed_at!",
                  name AS "name!", name_hidden_at, rank AS "rank!", members AS "members!", mine AS "mine!"
           FROM ranked WHERE rank <= $4 OR mine
           ORDER BY rank, team_id"#,
        kind.as_str(),
        period.board().as_str(),
        start,
        limit,
        viewer
    )
    .fetch_all(&mut *conn)
    .await?;
    let mine: Vec<Uuid> = rows.iter().filter(|r| r.mine).map(|r| r.team_id).collect();
    let shown: Vec<Uuid> = rows.iter().map(|r| r.team_id).collect();
    let hidden = hidden_walkers(conn, viewer, &shown, &mine, period.board(), start).await?;
    let mut board = Board {
        kind,
        period,
        period_start: start,
        last_updated: rows.iter().map(|r| r.computed_at).max(),
        items: Vec::new(),
        mine: Vec::new(),
    };
    for r in rows {
        let sum = visibility::of_sum(hidden.get(&r.team_id).copied().unwrap_or(0));
        let entry = BoardEntry {
            rank: r.rank,
            team_id: r.team_id,
            name: shown_name(&r.name, r.name_hidden_at),
            members: r.members,
            active_members: i64::from(r.active),
            score: sum.steps(r.score),
        };
        if r.mine {
            board.mine.push(entry.clone());
        }
        if r.rank <= limit {
            board.items.push(entry);
        }
    }
    Ok(board)
}

/// For each of `teams`, how many of its walkers in the period starting `start` the viewer
/// cannot learn the steps of (`Sight::learns_steps`; the viewer's own `mine` teams show
/// them together). Counted by kind of walker, not one by one: a board of 100 clubs reads
/// a handful of rows per club, and `visibility` still decides each kind.
async fn hidden_walkers(
    conn: &mut PgConnection,
    viewer: Uuid,
    teams: &[Uuid],
    mine: &[Uuid],
    board: Period,
    start: NaiveDate,
) -> Result<std::collections::HashMap<Uuid, usize>> {
    let kinds = crate::db_query!(
        r#"SELECT m.team_id AS "team_id!", m.user_id = $1 AS "myself!", f.live, f.friend,
                  f.blocked_by_viewer, f.blocked_viewer, f.steps_visibility, f.board_visibility,
                  count(*) AS "walkers!"
           FROM team_members m
           JOIN leaderboard_totals t ON t.period = $3 AND t.period_start = $4 AND t.user_id = m.user_id
                                    AND t.capped_steps > 0
           LEFT JOIN LATERAL visibility_facts($1, m.user_id) f ON true
           WHERE m.team_id = ANY($2)
           GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"#,
        viewer,
        teams,
        board.as_str(),
        start
    )
    .fetch_all(conn)
    .await?;
    let mut hidden = std::collections::HashMap::new();
    for kind in kinds {
        let facts = visibility::Facts {
            live: kind.live,
            friend: kind.friend,
            blocked_by_viewer: kind.blocked_by_viewer,
            blocked_viewer: kind.blocked_viewer,
            steps_visibility: kind.steps_visibility,
            board_visibility: kind.board_visibility,
            ..Default::default()
        };
        if !facts
            .sight(kind.myself, mine.contains(&kind.team_id))
            .learns_steps()
        {
            *hidden.entry(kind.team_id).or_default() += kind.walkers as usize;
        }
    }
    Ok(hidden)
}

/// An account that leaves: out of every team (owned ones handed over or archived), and
/// its team codes revoked.
pub async fn forget(conn: &mut PgConnection, user: Uuid) -> Result<()> {
    let teams = crate::db_query_scalar!(
        "SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id",
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    for team in teams {
        lock_team(conn, team).await?;
        take_out(conn, team, user).await?;
    }
    Ok(())
}

/// `user`'s memberships for their export.
pub async fn export(conn: &mut PgConnection, user: Uuid) -> Result<serde_json::Value> {
    let rows = crate::db_query!(
        r#"SELECT t.id, t.kind, t.name, m.role, m.joined_at FROM team_members m JOIN teams t ON t.id = m.team_id
           WHERE m.user_id = $1 ORDER BY m.joined_at"#,
        user
    )
    .fetch_all(conn)
    .await?;
    Ok(serde_json::json!(rows
        .into_iter()
        .map(|r| serde_json::json!({ "team_id": r.id, "kind": r.kind, "name": r.name, "role": r.role, "joined_at": r.joined_at }))
        .collect::<Vec<_>>()))
}
