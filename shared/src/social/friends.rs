//! Friends: mutual, both people agree. Redeeming someone's friend link asks them; they
//! accept or decline (a request both ways is a friendship at once). At most 200 friends.
//! Blocking someone ends the friendship and any request between the two, and stops a new
//! one in either direction; the blocked person sees the same "invalid link" as for any bad
//! code. The friend board ranks a person and their friends for today, this week (each
//! person's own local week) and the last 7 days, from `daily_totals`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{lock_people, people, Person};
use crate::i18n::Text;
use crate::notifications::{self, Kind, Notice};
use crate::visibility::{self, Relation, Visible};
use crate::{Error, Result};

/// Friends one person may have.
pub const MAX_FRIENDS: i64 = 200;

/// The same answer for every code that does not lead anywhere: unknown, expired, revoked,
/// one's own, or its owner blocked (or was blocked by) the redeemer.
pub fn invalid_code() -> Error {
    Error::Unprocessable {
        code: "invalid_code",
        detail: Text::new("problem-invalid-code"),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub id: Uuid,
    pub person: Person,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Requests {
    /// People who redeemed my links and wait for me.
    pub incoming: Vec<Request>,
    /// Links I redeemed whose owners have not answered yet.
    pub outgoing: Vec<Request>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Friend {
    #[serde(flatten)]
    pub person: Person,
    pub since: DateTime<Utc>,
    /// This week's verified steps (their own local week), if they share their steps.
    pub week_steps: Visible<i64>,
}

/// What redeeming a friend link did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Redeemed {
    /// The owner is asked.
    Requested { request: Request },
    /// The owner had asked me already: friends now.
    Friends { friend: Person },
}

fn ordered(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

async fn blocked_between(conn: &mut PgConnection, a: Uuid, b: Uuid) -> Result<bool> {
    Ok(crate::db_query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2)
                                             OR (blocker_id = $2 AND blocked_id = $1)) AS "b!""#,
        a,
        b
    )
    .fetch_one(conn)
    .await?)
}

async fn are_friends(conn: &mut PgConnection, a: Uuid, b: Uuid) -> Result<bool> {
    let (a, b) = ordered(a, b);
    Ok(crate::db_query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM friendships WHERE user_a = $1 AND user_b = $2) AS "f!""#,
        a,
        b
    )
    .fetch_one(conn)
    .await?)
}

async fn friend_count(conn: &mut PgConnection, user: Uuid) -> Result<i64> {
    Ok(crate::db_query_scalar!(
        r#"SELECT count(*) AS "n!" FROM friendships WHERE user_a = $1 OR user_b = $1"#,
        user
    )
    .fetch_one(conn)
    .await?)
}

fn person(people: &[Person], id: Uuid) -> Result<Person> {
    people
        .iter()
        .find(|p| p.id == id)
        .cloned()
        .ok_or(Error::NotFound)
}

/// `from` redeemed a friend link of `to` (`invite`: the code's id; none for a referral
/// code). Asks `to`, or makes them friends when `to` had asked `from` already.
pub async fn request(
    conn: &mut PgConnection,
    from: Uuid,
    to: Uuid,
    invite: Option<Uuid>,
) -> Result<Redeemed> {
    if from == to {
        return Err(invalid_code());
    }
    lock_people(conn, "friends", &[from, to]).await?;
    if blocked_between(conn, from, to).await? {
        return Err(invalid_code());
    }
    if are_friends(conn, from, to).await? {
        return Err(Error::conflict(
            "already_friends",
            Text::new("problem-already-friends"),
        ));
    }
    let theirs = crate::db_query_scalar!(
        "SELECT id FROM friend_requests WHERE from_id = $1 AND to_id = $2",
        to,
        from
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(theirs) = theirs {
        let friend = befriend(conn, from, to, Some(theirs)).await?;
        return Ok(Redeemed::Friends { friend });
    }
    let row = crate::db_query!(
        r#"INSERT INTO friend_requests (from_id, to_id, invite_id) VALUES ($1, $2, $3)
           ON CONFLICT (from_id, to_id) DO UPDATE SET invite_id = COALESCE(EXCLUDED.invite_id, friend_requests.invite_id)
           RETURNING id, created_at, (xmax = 0) AS "new!""#,
        from,
        to,
        invite
    )
    .fetch_one(&mut *conn)
    .await?;
    let both = people(conn, from, &[from, to]).await?;
    if row.new {
        let asker = person(&both, from)?;
        notifications::record(
            conn,
            &[Notice::new(
                format!("friend_request:{}", row.id),
                to,
                Kind::FriendRequest,
                serde_json::json!({ "alias": asker.alias }),
            )],
        )
        .await?;
    }
    Ok(Redeemed::Requested {
        request: Request {
            id: row.id,
            person: person(&both, to)?,
            created_at: row.created_at,
        },
    })
}

/// Makes `a` and `b` friends (under both people's locks), ending any request between
/// them; the person who asked (`request`'s sender) hears about it.
async fn befriend(
    conn: &mut PgConnection,
    me: Uuid,
    asker: Uuid,
    request: Option<Uuid>,
) -> Result<Person> {
    for (who, whose) in [(me, "yours"), (asker, "theirs")] {
        if friend_count(conn, who).await? >= MAX_FRIENDS {
            return Err(Error::conflict(
                "friend_limit",
                Text::new("problem-friend-limit")
                    .arg("whose", whose)
                    .arg("limit", MAX_FRIENDS),
            ));
        }
    }
    let (a, b) = ordered(me, asker);
    crate::db_query!(
        "INSERT INTO friendships (user_a, user_b) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        a,
        b
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        "DELETE FROM friend_requests WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)",
        a,
        b
    )
    .execute(&mut *conn)
    .await?;
    let both = people(conn, me, &[me, asker]).await?;
    let accepter = person(&both, me)?;
    let friends = friend_count(conn, asker).await?;
    notifications::record(
        conn,
        &[Notice::new(
            format!("friend_accepted:{}", request.unwrap_or(me)),
            asker,
            Kind::FriendAccepted,
            serde_json::json!({ "alias": accepter.alias, "friends": friends }),
        )],
    )
    .await?;
    person(&both, asker)
}

/// `me` accepts the request `id` sent to them.
pub async fn accept(conn: &mut PgConnection, me: Uuid, id: Uuid) -> Result<Person> {
    let asker = crate::db_query_scalar!(
        "SELECT from_id FROM friend_requests WHERE id = $1 AND to_id = $2",
        id,
        me
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    lock_people(conn, "friends", &[me, asker]).await?;
    // Still there under the locks (a block or a second accept may have ended it).
    let still = crate::db_query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM friend_requests WHERE id = $1) AS "e!""#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if !still {
        return Err(Error::NotFound);
    }
    befriend(conn, me, asker, Some(id)).await
}

/// Ends a request: declined by the person asked, or withdrawn by the person who asked.
pub async fn drop_request(conn: &mut PgConnection, me: Uuid, id: Uuid) -> Result<()> {
    let gone = crate::db_query!(
        "DELETE FROM friend_requests WHERE id = $1 AND (to_id = $2 OR from_id = $2)",
        id,
        me
    )
    .execute(conn)
    .await?;
    if gone.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// `me`'s open requests both ways, newest first.
pub async fn requests(conn: &mut PgConnection, me: Uuid) -> Result<Requests> {
    let rows = crate::db_query!(
        r#"SELECT id, from_id, to_id, created_at FROM friend_requests
           WHERE to_id = $1 OR from_id = $1 ORDER BY created_at DESC"#,
        me
    )
    .fetch_all(&mut *conn)
    .await?;
    let others: Vec<Uuid> = rows
        .iter()
        .map(|r| if r.to_id == me { r.from_id } else { r.to_id })
        .collect();
    let known = people(conn, me, &others).await?;
    let mut out = Requests {
        incoming: Vec::new(),
        outgoing: Vec::new(),
    };
    for r in rows {
        let (other, list) = if r.to_id == me {
            (r.from_id, &mut out.incoming)
        } else {
            (r.to_id, &mut out.outgoing)
        };
        if let Ok(person) = person(&known, other) {
            list.push(Request {
                id: r.id,
                person,
                created_at: r.created_at,
            });
        }
    }
    Ok(out)
}

/// `me`'s friends, by alias, with this week's steps of those who share them.
pub async fn list(conn: &mut PgConnection, me: Uuid) -> Result<Vec<Friend>> {
    let board = circle(conn, me, BoardPeriod::Week).await?;
    let mut friends: Vec<Friend> = board
        .into_iter()
        .filter(|m| m.person.id != me)
        .map(|m| Friend {
            since: m.since.unwrap_or_default(),
            week_steps: m.steps,
            person: m.person,
        })
        .collect();
    friends.sort_by(|a, b| {
        a.person
            .alias
            .cmp(&b.person.alias)
            .then(a.person.id.cmp(&b.person.id))
    });
    Ok(friends)
}

/// Ends the friendship of `me` and `other` (`404` when there is none).
pub async fn remove(conn: &mut PgConnection, me: Uuid, other: Uuid) -> Result<()> {
    let (a, b) = ordered(me, other);
    let gone = crate::db_query!(
        "DELETE FROM friendships WHERE user_a = $1 AND user_b = $2",
        a,
        b
    )
    .execute(conn)
    .await?;
    if gone.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// `me` blocks `other`: no friendship, no request either way, and none from now on.
pub async fn block(conn: &mut PgConnection, me: Uuid, other: Uuid) -> Result<Person> {
    if me == other {
        return Err(Error::invalid("user_id", "cannot be yourself"));
    }
    let found = people(conn, me, &[other]).await?;
    let blocked = person(&found, other)?;
    lock_people(conn, "friends", &[me, other]).await?;
    crate::db_query!(
        "INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        me,
        other
    )
    .execute(&mut *conn)
    .await?;
    let (a, b) = ordered(me, other);
    crate::db_query!(
        "DELETE FROM friendships WHERE user_a = $1 AND user_b = $2",
        a,
        b
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        "DELETE FROM friend_requests WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)",
        me,
        other
    )
    .execute(&mut *conn)
    .await?;
    Ok(blocked)
}

pub async fn unblock(conn: &mut PgConnection, me: Uuid, other: Uuid) -> Result<()> {
    let gone = crate::db_query!(
        "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2",
        me,
        other
    )
    .execute(conn)
    .await?;
    if gone.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The people `me` blocked.
pub async fn blocked(conn: &mut PgConnection, me: Uuid) -> Result<Vec<Person>> {
    let ids = crate::db_query_scalar!(
        "SELECT blocked_id FROM blocks WHERE blocker_id = $1 ORDER BY created_at DESC",
        me
    )
    .fetch_all(&mut *conn)
    .await?;
    let known = people(conn, me, &ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| person(&known, *id).ok())
        .collect())
}

/// Whether `a` and `b` are friends (for what friends may see of each other).
pub async fn friends_with(conn: &mut PgConnection, a: Uuid, b: Uuid) -> Result<bool> {
    are_friends(conn, a, b).await
}

/// Those of `others` who are not `me`'s friends.
pub async fn strangers(conn: &mut PgConnection, me: Uuid, others: &[Uuid]) -> Result<Vec<Uuid>> {
    Ok(crate::db_query_scalar!(
        r#"SELECT o AS "o!" FROM UNNEST($2::uuid[]) AS o
           WHERE NOT EXISTS (SELECT 1 FROM friendships f
                             WHERE (f.user_a, f.user_b) = (LEAST($1, o), GREATEST($1, o)))"#,
        me,
        others
    )
    .fetch_all(conn)
    .await?)
}

crate::text_enum! {
    /// The friend board's periods, each in every person's own local days.
    pub enum BoardPeriod {
        Today = "today",
        Week = "week",
        Last7Days = "last_7_days",
    }
}

/// One person of the friend board.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// Ties share a rank; none for a friend who does not share their steps.
    pub rank: Option<i64>,
    #[serde(flatten)]
    pub person: Person,
    pub steps: Visible<i64>,
    pub me: bool,
    #[serde(skip)]
    since: Option<DateTime<Utc>>,
    /// Their local today.
    #[serde(skip)]
    today: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub period: BoardPeriod,
    /// The caller's own days the period covers.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<Member>,
}

/// `me` and their friends with their steps for `period`, each from their own local days,
/// read from `daily_totals`: at most 201 people and 7 days each, by key.
async fn circle(conn: &mut PgConnection, me: Uuid, period: BoardPeriod) -> Result<Vec<Member>> {
    let rows = crate::db_query!(
        r#"WITH circle AS (
               SELECT $1::uuid AS id, NULL::timestamptz AS since
               UNION ALL
               SELECT CASE WHEN f.user_a = $1 THEN f.user_b ELSE f.user_a END, f.created_at
               FROM friendships f WHERE f.user_a = $1 OR f.user_b = $1
           ),
           people AS (
               SELECT u.id, u.full_name, u.profile_picture_url, c.since,
                      CASE WHEN p.alias_hidden_at IS NULL THEN p.alias END AS alias,
                      COALESCE(p.steps_visibility, 'friends') AS steps_visibility,
                      COALESCE(p.leaderboard_visibility, 'public') AS board_visibility,
                      (now() AT TIME ZONE user_timezone(u.*))::date AS today
               FROM circle c JOIN users u ON u.id = c.id AND u.deleted_at IS NULL AND u.is_active
               LEFT JOIN social_profiles p ON p.user_id = u.id
           )
           SELECT pe.id AS "id!", pe.full_name AS "full_name!", pe.profile_picture_url, pe.since, pe.alias,
                  pe.steps_visibility AS "steps_visibility!", pe.board_visibility AS "board_visibility!",
                  pe.today AS "today!",
                  -- One key lookup per person for a week (the weekly board's total) or a
                  -- day; seven for the last 7 days. Whose reach the response is
                  -- `visibility`'s to decide.
                  CASE $2
                      WHEN 'week' THEN COALESCE((
                          SELECT t.total_steps FROM leaderboard_totals t
                          WHERE t.period = 'weekly' AND t.user_id = pe.id
                            AND t.period_start = pe.today - (extract(isodow FROM pe.today)::int - 1)), 0)
                      WHEN 'today' THEN COALESCE((
                          SELECT d.steps FROM daily_totals d WHERE d.user_id = pe.id AND d.day = pe.today), 0)
                      ELSE (SELECT COALESCE(sum(d.steps), 0)::int8 FROM daily_totals d
                            WHERE d.user_id = pe.id AND d.day BETWEEN pe.today - 6 AND pe.today)
                  END AS "steps!"
           FROM people pe"#,
        me,
        period.as_str()
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            // The circle is the caller and their friends (a block ends a friendship).
            let relation = if r.id == me {
                Relation::Myself
            } else {
                Relation::Friend
            };
            let sight = visibility::sight_of(relation, &r.steps_visibility, &r.board_visibility);
            Member {
                rank: None,
                person: visibility::person(
                    sight,
                    r.id,
                    r.alias,
                    &r.full_name,
                    r.profile_picture_url,
                ),
                steps: sight.steps(r.steps),
                me: r.id == me,
                since: r.since,
                today: r.today,
            }
        })
        .collect())
}

/// The friend board of `me` for `period`: everyone who shares their steps ranked by them
/// (ties share a rank: 1, 2, 2, 4), then friends who don't, without numbers. One
/// statement; `from` and `to` are the caller's own days.
pub async fn board(conn: &mut PgConnection, me: Uuid, period: BoardPeriod) -> Result<Board> {
    let mut items = circle(conn, me, period).await?;
    let today = items
        .iter()
        .find(|m| m.me)
        .map(|m| m.today)
        .ok_or(Error::NotFound)?;
    items.sort_by(|a, b| {
        b.steps
            .is_shown()
            .cmp(&a.steps.is_shown())
            .then(b.steps.get().cmp(&a.steps.get()))
            .then(a.person.alias.cmp(&b.person.alias))
            .then(a.person.id.cmp(&b.person.id))
    });
    let mut ranks: HashMap<i64, i64> = HashMap::new();
    for (i, m) in items.iter_mut().enumerate() {
        if let Some(&steps) = m.steps.get() {
            m.rank = Some(*ranks.entry(steps).or_insert(i as i64 + 1));
        }
    }
    let from = match period {
        BoardPeriod::Today => today,
        BoardPeriod::Week => {
            use chrono::Datelike;
            today - chrono::Days::new(today.weekday().num_days_from_monday() as u64)
        }
        BoardPeriod::Last7Days => today - chrono::Days::new(6),
    };
    Ok(Board {
        period,
        from,
        to: today,
        items,
    })
}

/// Everything about `me`'s friendships for their export: friends, requests both ways,
/// blocks.
pub async fn export(conn: &mut PgConnection, me: Uuid) -> Result<serde_json::Value> {
    let friends = list(conn, me).await?;
    let requests = requests(conn, me).await?;
    let blocked = blocked(conn, me).await?;
    Ok(serde_json::json!({ "friends": friends, "requests": requests, "blocked": blocked }))
}

/// An account that leaves: its friendships, requests and blocks go.
pub async fn forget(conn: &mut PgConnection, me: Uuid) -> Result<()> {
    crate::db_query!(
        "DELETE FROM friendships WHERE user_a = $1 OR user_b = $1",
        me
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        "DELETE FROM friend_requests WHERE from_id = $1 OR to_id = $1",
        me
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        "DELETE FROM blocks WHERE blocker_id = $1 OR blocked_id = $1",
        me
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
