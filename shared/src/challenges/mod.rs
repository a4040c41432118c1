//! Challenges between friends: a *race* (most verified steps wins) or a *goal* challenge
//! (everyone who walks `goal_steps` on `goal_days` of the days succeeds), for 2 to 10
//! people, over 1 to 42 days, optionally with a coin stake each.
//!
//! - **Entry** (`entry`): the creator picks a template (Daily Showdown, Weekend Warrior,
//!   Workweek Hustle, a 7-day one-on-one) or a custom length and invites friends; an
//!   invitation is open for 48 hours and never past the start, which is the creator's next
//!   local midnight (the next Saturday or Monday for the weekend and workweek templates).
//!   A stake leaves the wallet at acceptance into the challenge's escrow.
//! - **Scoring**: each participant's own local days in `start_date..=end_date`, verified
//!   steps only, each day capped at [`DAY_CAP`], read from the day totals crediting
//!   moves (`daily_totals`): live within a minute of crediting, and a day held for
//!   review counts once it is approved. Ties share a place; nothing is left to chance.
//! - **Settlement** (`settlement`): results are provisional until `settles_after` (the end
//!   date is over everywhere, plus 24 hours for late syncs) and until every held day of
//!   the participants inside the window is decided; then the challenges job settles the
//!   challenge in one transaction, exactly once.
//!
//! The area owns `challenges` and `challenge_participants`; coins move only through the
//! ledger (`stake` rows in, `payout` rows out, both referencing the challenge).

pub mod entry;
pub mod settlement;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::social::Person;
use crate::visibility::{self, Sight, Visible};
use crate::{Error, Result};

/// A day counts towards a challenge up to this many steps (Pacer's cap).
pub const DAY_CAP: i64 = 30_000;
/// People in one challenge, the creator included.
pub const MAX_PEOPLE: usize = 10;
/// Challenges a person may be in at once (accepted, not yet settled or cancelled).
pub const MAX_ACTIVE: i64 = 5;
/// The longest custom challenge, in days.
pub const MAX_DAYS: i64 = 42;
/// How long an invitation stays open (never past the start).
pub const INVITATION_HOURS: i64 = 48;

crate::text_enum! {
    pub enum Kind {
        /// Most capped verified steps over the days wins; tied winners split the pot.
        Race = "race",
        /// Everyone who reaches the goal on enough days succeeds and shares the pot.
        Goal = "goal",
    }
}

crate::text_enum! {
    pub enum Template {
        /// One day, the next local day (Fitbit's Daily Showdown).
        DailyShowdown = "daily_showdown",
        /// Saturday and Sunday (Weekend Warrior).
        WeekendWarrior = "weekend_warrior",
        /// Monday to Friday (Workweek Hustle).
        WorkweekHustle = "workweek_hustle",
        /// Seven days, two people (Apple's competition).
        OneOnOne = "one_on_one",
        /// Any kind, 1 to 42 days from the next local day.
        Custom = "custom",
    }
}

crate::text_enum! {
    pub enum Status {
        /// Invitations out; it has not started.
        Open = "open",
        Running = "running",
        Settled = "settled",
        Cancelled = "cancelled",
    }
}

crate::text_enum! {
    pub enum ParticipantStatus {
        Invited = "invited",
        Accepted = "accepted",
        Declined = "declined",
        Expired = "expired",
        /// Days inside the window were rejected by review: no place, no payout, the stake
        /// stays in the pot.
        Disqualified = "disqualified",
    }
}

impl Template {
    /// The kind of challenge the template is (a custom one is either).
    pub fn kind(self) -> Option<Kind> {
        match self {
            Template::Custom => None,
            _ => Some(Kind::Race),
        }
    }

    /// Its length in days (a custom one chooses).
    pub fn days(self) -> Option<i64> {
        match self {
            Template::DailyShowdown => Some(1),
            Template::WeekendWarrior => Some(2),
            Template::WorkweekHustle => Some(5),
            Template::OneOnOne => Some(7),
            Template::Custom => None,
        }
    }

    /// The template's name in `locale`: a new challenge's title unless it is given one.
    pub fn title(self, locale: crate::i18n::Locale) -> String {
        crate::i18n::Text::named(format!(
            "challenge-template-{}",
            self.as_str().replace('_', "-")
        ))
        .render(locale)
    }

    /// The first day, given the creator's local today: the next local day, or the next
    /// Saturday / Monday after today for the weekend and workweek templates.
    pub fn start_date(self, today: NaiveDate) -> NaiveDate {
        use chrono::Datelike;
        let weekday = i64::from(today.weekday().num_days_from_monday());
        let ahead = match self {
            Template::WeekendWarrior => (5 - weekday).rem_euclid(7),
            Template::WorkweekHustle => (-weekday).rem_euclid(7),
            _ => 1,
        };
        today + chrono::Days::new(if ahead == 0 { 7 } else { ahead } as u64)
    }
}

/// The moment results stop being provisional on time alone: the end date is over in every
/// time zone on Earth (the last is UTC-12), plus 24 hours for late syncs.
pub fn settles_after(end_date: NaiveDate) -> DateTime<Utc> {
    (end_date + chrono::Days::new(1))
        .and_hms_opt(12, 0, 0)
        .expect("noon exists")
        .and_utc()
        + Duration::hours(24)
}

#[derive(Debug, Clone, Serialize)]
pub struct GoalSpec {
    pub steps: i64,
    pub days: i64,
}

/// Where a challenge stands, as people see it: `provisional` is running past its last
/// day, waiting for late syncs and reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Upcoming,
    Running,
    Provisional,
    Settled,
    Cancelled,
}

/// One participant's line in the standings.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    #[serde(flatten)]
    pub person: Person,
    pub status: ParticipantStatus,
    /// Capped verified steps in the window (final once settled): only a competing
    /// participant's, and only where the viewer may see their steps (`visibility`).
    pub steps: Visible<i64>,
    /// Days at or over the goal (goal challenges), shown like the steps.
    pub goal_days_met: Visible<i64>,
    /// Race place, ties sharing it (accepted participants once it has started).
    pub place: Option<i32>,
    /// Goal challenges: reached the goal (provisional until settled).
    pub succeeded: Option<bool>,
    pub stake_coins: i64,
    /// Coins paid out at settlement or cancellation (a stake back, or winnings).
    pub payout_coins: Option<i64>,
    pub joined_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Challenge {
    pub id: Uuid,
    pub kind: Kind,
    pub template: Template,
    pub title: String,
    pub goal: Option<GoalSpec>,
    pub stake_coins: i64,
    /// Coins in escrow now (stakes held).
    pub pot_coins: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub starts_at: DateTime<Utc>,
    /// The end of the last day in the creator's time zone.
    pub ends_at: DateTime<Utc>,
    pub settles_after: DateTime<Utc>,
    pub status: Status,
    pub phase: Phase,
    pub cancel_reason: Option<String>,
    /// Settled on time, but its payout waits for an admin: the transfer policy found a
    /// winner and a loser linked, or one of them under a fraud hold.
    pub payout_held_reason: Option<String>,
    pub creator_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The caller's own status (absent for admins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_status: Option<ParticipantStatus>,
    pub standings: Vec<Standing>,
}

/// A challenge row with the participants' live totals: what `get` shows and the job
/// settles from.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub id: Uuid,
    pub kind: Kind,
    pub template: Template,
    pub title: String,
    pub goal_steps: Option<i64>,
    pub goal_days: Option<i64>,
    pub stake_coins: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub settles_after: DateTime<Utc>,
    pub status: Status,
    pub cancel_reason: Option<String>,
    pub payout_held_reason: Option<String>,
    pub creator_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub participants: Vec<Line>,
}

#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub user_id: Uuid,
    pub status: ParticipantStatus,
    /// When an invitation stops being open.
    pub expires_at: DateTime<Utc>,
    pub joined_at: Option<DateTime<Utc>>,
    pub stake_coins: i64,
    pub stake_held: bool,
    pub place: Option<i32>,
    pub final_steps: Option<i64>,
    pub succeeded: Option<bool>,
    pub payout_coins: Option<i64>,
    pub live_steps: i64,
    pub live_goal_days: i64,
}

impl Loaded {
    pub fn days(&self) -> i64 {
        (self.end_date - self.start_date).num_days() + 1
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + Duration::days(self.days())
    }

    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        match self.status {
            Status::Open => Phase::Upcoming,
            Status::Running if now >= self.ends_at() => Phase::Provisional,
            Status::Running => Phase::Running,
            Status::Settled => Phase::Settled,
            Status::Cancelled => Phase::Cancelled,
        }
    }

    /// Who competes: accepted and (once settled) disqualified participants.
    pub fn competitors(&self) -> impl Iterator<Item = &Line> {
        self.participants.iter().filter(|p| {
            matches!(
                p.status,
                ParticipantStatus::Accepted | ParticipantStatus::Disqualified
            )
        })
    }

    /// The live race places of the accepted participants (1 for the most steps; equal
    /// steps share a place and the next place skips, 1, 1, 3).
    pub fn live_places(&self) -> Vec<(Uuid, i32)> {
        let steps: Vec<(Uuid, i64)> = self
            .participants
            .iter()
            .filter(|p| p.status == ParticipantStatus::Accepted)
            .map(|p| (p.user_id, p.live_steps))
            .collect();
        steps
            .iter()
            .map(|&(id, mine)| {
                let ahead = steps.iter().filter(|(_, s)| *s > mine).count();
                (id, ahead as i32 + 1)
            })
            .collect()
    }
}

/// Reads challenge `id` with its participants and their capped totals in the window
/// (`daily_totals`, by key: at most 10 people and 42 days). `lock` takes the challenge's
/// row lock first (every change to a challenge holds it; `FOR UPDATE` waits for the
/// holder, so what is read after it is what the holder committed).
pub(crate) async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Loaded> {
    if lock {
        crate::db_query!("SELECT id FROM challenges WHERE id = $1 FOR UPDATE", id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    let row = crate::db_query!(
        r#"SELECT id, kind, template, title, goal_steps, goal_days, stake_coins, start_date, end_date,
                  starts_at, settles_after, status, cancel_reason, payout_held_reason, creator_id, created_at,
                  finished_at
           FROM challenges WHERE id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let lines = crate::db_query!(
        r#"SELECT p.user_id, p.status, p.expires_at, p.joined_at, p.stake_coins, p.stake_held, p.place, p.steps,
                  p.succeeded, p.payout_coins,
                  COALESCE(t.steps, 0)::int8 AS "live_steps!", COALESCE(t.goal_days, 0)::int8 AS "live_goal_days!"
           FROM challenge_participants p
           LEFT JOIN LATERAL (
               SELECT sum(LEAST(d.steps, $3))::int8 AS steps,
                      count(*) FILTER (WHERE d.steps >= $4)::int8 AS goal_days
               FROM daily_totals d
               WHERE d.user_id = p.user_id AND d.day BETWEEN $1 AND $2
           ) t ON true
           WHERE p.challenge_id = $5
           ORDER BY p.joined_at NULLS LAST, p.invited_at, p.user_id"#,
        row.start_date,
        row.end_date,
        DAY_CAP,
        row.goal_steps.map_or(i64::MAX, i64::from),
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let parse = |raw: &str| Error::internal(format!("challenge {id}: unknown value {raw:?}"));
    Ok(Loaded {
        id: row.id,
        kind: Kind::parse(&row.kind).map_err(|_| parse(&row.kind))?,
        template: Template::parse(&row.template).map_err(|_| parse(&row.template))?,
        title: row.title,
        goal_steps: row.goal_steps.map(i64::from),
        goal_days: row.goal_days.map(i64::from),
        stake_coins: row.stake_coins,
        start_date: row.start_date,
        end_date: row.end_date,
        starts_at: row.starts_at,
        settles_after: row.settles_after,
        status: Status::parse(&row.status).map_err(|_| parse(&row.status))?,
        cancel_reason: row.cancel_reason,
        payout_held_reason: row.payout_held_reason,
        creator_id: row.creator_id,
        created_at: row.created_at,
        finished_at: row.finished_at,
        participants: lines
            .into_iter()
            .map(|l| {
                Ok(Line {
                    user_id: l.user_id,
                    status: ParticipantStatus::parse(&l.status).map_err(|_| parse(&l.status))?,
                    expires_at: l.expires_at,
                    joined_at: l.joined_at,
                    stake_coins: l.stake_coins,
                    stake_held: l.stake_held,
                    place: l.place,
                    final_steps: l.steps,
                    succeeded: l.succeeded,
                    payout_coins: l.payout_coins,
                    live_steps: l.live_steps,
                    live_goal_days: l.live_goal_days,
                })
            })
            .collect::<Result<_>>()?,
    })
}

/// The challenge as its participants (and admins) see it: the standings are live until
/// it settles, then final.
async fn view(
    conn: &mut PgConnection,
    loaded: Loaded,
    viewer: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Challenge> {
    let ids: Vec<Uuid> = loaded.participants.iter().map(|p| p.user_id).collect();
    // What the viewer may see of each; an admin (no viewer) sees every standing.
    let seen: std::collections::HashMap<Uuid, (Person, Sight)> = match viewer {
        // Only someone in it sees a challenge (`get`): the others race with them.
        Some(viewer) => visibility::of_among(conn, viewer, &ids)
            .await?
            .into_iter()
            .map(|(id, seen)| (id, (seen.person, seen.sight)))
            .collect(),
        None => visibility::for_admin(conn, &ids)
            .await?
            .into_iter()
            .map(|person| (person.id, (person, Sight::EVERYTHING)))
            .collect(),
    };
    let phase = loaded.phase(now);
    let live_places = loaded.live_places();
    let started = !matches!(phase, Phase::Upcoming);
    let standings = loaded
        .participants
        .iter()
        .map(|p| {
            let (person, sight) = seen
                .get(&p.user_id)
                .cloned()
                .unwrap_or((Person::unnamed(p.user_id), Sight::NOTHING));
            let settled = loaded.status == Status::Settled;
            let competing = p.status == ParticipantStatus::Accepted;
            // Someone who never joined has no score to show, whoever looks.
            let sight = if competing { sight } else { Sight::NOTHING };
            let steps = if settled {
                p.final_steps.unwrap_or(0)
            } else {
                p.live_steps
            };
            let place = match (loaded.kind, settled) {
                (Kind::Race, true) => p.place,
                (Kind::Race, false) if started && competing => live_places
                    .iter()
                    .find(|(id, _)| *id == p.user_id)
                    .map(|(_, place)| *place),
                _ => None,
            };
            let succeeded = match (loaded.kind, settled) {
                (Kind::Goal, true) => p.succeeded,
                (Kind::Goal, false) if started && competing => {
                    Some(p.live_goal_days >= loaded.goal_days.unwrap_or(i64::MAX))
                }
                _ => None,
            };
            Standing {
                person,
                status: p.status,
                steps: sight.steps(steps),
                goal_days_met: sight.steps(p.live_goal_days),
                place,
                succeeded,
                stake_coins: p.stake_coins,
                payout_coins: p.payout_coins,
                joined_at: p.joined_at,
            }
        })
        .collect();
    Ok(Challenge {
        id: loaded.id,
        kind: loaded.kind,
        template: loaded.template,
        title: loaded.title.clone(),
        goal: loaded
            .goal_steps
            .zip(loaded.goal_days)
            .map(|(steps, days)| GoalSpec { steps, days }),
        stake_coins: loaded.stake_coins,
        pot_coins: loaded
            .participants
            .iter()
            .filter(|p| p.stake_held)
            .map(|p| p.stake_coins)
            .sum(),
        start_date: loaded.start_date,
        end_date: loaded.end_date,
        starts_at: loaded.starts_at,
        ends_at: loaded.ends_at(),
        settles_after: loaded.settles_after,
        status: loaded.status,
        phase,
        cancel_reason: loaded.cancel_reason.clone(),
        payout_held_reason: loaded.payout_held_reason.clone(),
        creator_id: loaded.creator_id,
        created_at: loaded.created_at,
        finished_at: loaded.finished_at,
        my_status: viewer.and_then(|v| {
            loaded
                .participants
                .iter()
                .find(|p| p.user_id == v)
                .map(|p| p.status)
        }),
        standings,
    })
}

/// Challenge `id` for one of its invitees or participants (anyone else: `404`).
pub async fn get(
    conn: &mut PgConnection,
    viewer: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Challenge> {
    let loaded = load(conn, id, false).await?;
    if !loaded.participants.iter().any(|p| p.user_id == viewer) {
        return Err(Error::NotFound);
    }
    view(conn, loaded, Some(viewer), now).await
}

/// Challenge `id` for an admin: standings and escrow.
pub async fn inspect(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> Result<Challenge> {
    let loaded = load(conn, id, false).await?;
    view(conn, loaded, None, now).await
}

/// A challenge in a list: what it is and where it stands, without the standings.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Summary {
    pub id: Uuid,
    pub kind: String,
    pub template: String,
    pub title: String,
    pub stake_coins: i64,
    pub pot_coins: i64,
    pub people: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// The caller's own status (lists of their own challenges).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_status: Option<String>,
}

/// The caller's challenges (invitations they have not answered included; declined and
/// expired ones left out), newest first, the last 100.
pub async fn mine(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Summary>> {
    Ok(crate::db_query_as!(
        Summary,
        r#"SELECT c.id, c.kind, c.template, c.title, c.stake_coins,
                  (SELECT COALESCE(sum(x.stake_coins) FILTER (WHERE x.stake_held), 0)::int8
                   FROM challenge_participants x WHERE x.challenge_id = c.id) AS "pot_coins!",
                  (SELECT count(*) FILTER (WHERE x.status IN ('accepted', 'disqualified'))
                   FROM challenge_participants x WHERE x.challenge_id = c.id) AS "people!",
                  c.start_date, c.end_date, c.status, c.created_at, p.status AS "my_status?"
           FROM challenge_participants p JOIN challenges c ON c.id = p.challenge_id
           WHERE p.user_id = $1 AND p.status IN ('invited', 'accepted', 'disqualified')
           ORDER BY c.created_at DESC, c.id LIMIT 100"#,
        user
    )
    .fetch_all(conn)
    .await?)
}

/// Challenges for the admins, newest first, optionally of one status; keyset pages.
pub async fn list(
    conn: &mut PgConnection,
    status: Option<Status>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<Summary>, Option<String>)> {
    let (before_at, before_id): (DateTime<Utc>, Uuid) = match cursor {
        Some(c) => crate::pagination::decode(c)?,
        None => (DateTime::<Utc>::MAX_UTC, Uuid::max()),
    };
    let rows = crate::db_query_as!(
        Summary,
        r#"SELECT c.id, c.kind, c.template, c.title, c.stake_coins,
                  (SELECT COALESCE(sum(x.stake_coins) FILTER (WHERE x.stake_held), 0)::int8
                   FROM challenge_participants x WHERE x.challenge_id = c.id) AS "pot_coins!",
                  (SELECT count(*) FILTER (WHERE x.status IN ('accepted', 'disqualified'))
                   FROM challenge_participants x WHERE x.challenge_id = c.id) AS "people!",
                  c.start_date, c.end_date, c.status, c.created_at, NULL::text AS "my_status?"
           FROM challenges c
           WHERE ($1::text IS NULL OR c.status = $1) AND (c.created_at, c.id) < ($2, $3)
           ORDER BY c.created_at DESC, c.id DESC LIMIT $4"#,
        status.map(Status::as_str),
        before_at,
        before_id,
        limit + 1
    )
    .fetch_all(conn)
    .await?;
    Ok(crate::pagination::finish(rows, limit, |r| {
        (r.created_at, r.id)
    }))
}

/// Takes `user`'s challenge lock for the transaction: their count of active and staked
/// challenges, checked under it, stays true until it ends.
pub(crate) async fn lock_person(conn: &mut PgConnection, user: Uuid) -> Result<()> {
    crate::db_query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('challenges:' || $1::uuid, 0))",
        user
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The challenges `user` takes part in that are not over: for their export and deletion.
pub async fn export(conn: &mut PgConnection, user: Uuid) -> Result<serde_json::Value> {
    let rows = crate::db_query!(
        r#"SELECT c.id, c.title, c.kind, c.start_date, c.end_date, c.status, p.status AS my_status,
                  p.stake_coins, p.steps, p.place, p.succeeded, p.payout_coins
           FROM challenge_participants p JOIN challenges c ON c.id = p.challenge_id
           WHERE p.user_id = $1 ORDER BY c.created_at"#,
        user
    )
    .fetch_all(conn)
    .await?;
    Ok(serde_json::Value::Array(
        rows.into_iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "title": r.title, "kind": r.kind, "start_date": r.start_date,
                    "end_date": r.end_date, "status": r.status, "my_status": r.my_status,
                    "stake_coins": r.stake_coins, "steps": r.steps, "place": r.place,
                    "succeeded": r.succeeded, "payout_coins": r.payout_coins,
                })
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn templates_start_on_the_next_local_day_or_the_next_weekend_or_week() {
        // 2026-12-06 is a Sunday.
        let sunday = date("2026-12-06");
        assert_eq!(
            Template::DailyShowdown.start_date(sunday),
            date("2026-12-07")
        );
        assert_eq!(
            Template::WorkweekHustle.start_date(sunday),
            date("2026-12-07")
        );
        assert_eq!(
            Template::WeekendWarrior.start_date(sunday),
            date("2026-12-12")
        );
        // On a Saturday the weekend has begun: the next one.
        let saturday = date("2026-12-12");
        assert_eq!(
            Template::WeekendWarrior.start_date(saturday),
            date("2026-12-19")
        );
        // On a Monday the week has begun: the next Monday.
        assert_eq!(
            Template::WorkweekHustle.start_date(date("2026-12-07")),
            date("2026-12-14")
        );
        assert_eq!(Template::OneOnOne.start_date(saturday), date("2026-12-13"));
    }

    #[test]
    fn results_wait_until_the_last_day_is_over_everywhere_and_a_day_more() {
        // The 10th ends last at UTC-12: 12:00 UTC on the 11th; plus 24 hours.
        assert_eq!(
            settles_after(date("2026-12-10")).to_rfc3339(),
            "2026-12-12T12:00:00+00:00"
        );
    }
}
