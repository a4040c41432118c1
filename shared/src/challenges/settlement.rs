//! The challenges job (every 15 minutes, or on demand): invitations past 48 hours expire;
//! challenges due to start start (or, with fewer than two people in, are cancelled with
//! every stake back); running races tell people who passed them; challenges past their
//! last day say so; and challenges due settle.
//!
//! Settlement is one transaction per challenge under its row lock, which re-reads the
//! status: a retry, a duplicate delivery or a concurrent run finds the challenge settled
//! (or locked, and skips it), and a crash mid-run rolls the whole challenge back. A
//! challenge waits while any participant has a day inside the window still pending or
//! held for review.
//!
//! The split is written down in [`outcome`]: the pot (every stake, a disqualified
//! participant's included) goes to the winners (race: the most steps; goal: everyone who
//! succeeded) in equal shares, and the coins an integer split leaves over go one each to
//! the winners in the order they joined, earliest first. With no winner, each participant
//! not disqualified gets their own stake back and the disqualified stakes are split among
//! them the same way; if everyone is disqualified, every stake goes back.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::entry::{self, CancelReason};
use super::{Kind, Loaded, ParticipantStatus, Status};
use crate::i18n::Text;
use crate::notifications::{self, Kind as NoticeKind, Notice};
use crate::settings::Settings;
use crate::transfers;
use crate::{Error, Result};

/// One competitor as the split sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entrant {
    pub user_id: Uuid,
    pub steps: i64,
    pub goal_days_met: i64,
    pub disqualified: bool,
    pub stake: i64,
}

/// What settlement decides for one competitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placing {
    pub user_id: Uuid,
    /// Race place (ties share it), none when disqualified or in a goal challenge.
    pub place: Option<i32>,
    /// Goal challenges: reached the goal.
    pub succeeded: Option<bool>,
    pub won: bool,
    pub payout: i64,
}

/// The results of a challenge of `kind` (goal challenges need `goal_days`) for
/// `entrants` in the order they joined. The payouts add up to the pot exactly.
pub fn outcome(kind: Kind, goal_days: Option<i64>, entrants: &[Entrant]) -> Vec<Placing> {
    let eligible: Vec<&Entrant> = entrants.iter().filter(|e| !e.disqualified).collect();
    let best = eligible.iter().map(|e| e.steps).max();
    let is_winner = |e: &Entrant| {
        !e.disqualified
            && match kind {
                Kind::Race => Some(e.steps) == best,
                Kind::Goal => e.goal_days_met >= goal_days.unwrap_or(i64::MAX),
            }
    };
    let pot: i64 = entrants.iter().map(|e| e.stake).sum();
    let winners: Vec<&Entrant> = entrants.iter().filter(|e| is_winner(e)).collect();
    let mut payouts: Vec<i64> = vec![0; entrants.len()];
    let share = |among: &[usize], coins: i64, payouts: &mut Vec<i64>| {
        if among.is_empty() || coins == 0 {
            return;
        }
        let each = coins / among.len() as i64;
        let left = coins % among.len() as i64;
        for (n, &i) in among.iter().enumerate() {
            payouts[i] += each + i64::from((n as i64) < left);
        }
    };
    let index_of = |pick: &dyn Fn(&Entrant) -> bool| -> Vec<usize> {
        entrants
            .iter()
            .enumerate()
            .filter(|(_, e)| pick(e))
            .map(|(i, _)| i)
            .collect()
    };
    if !winners.is_empty() {
        share(&index_of(&|e| is_winner(e)), pot, &mut payouts);
    } else if !eligible.is_empty() {
        for (i, e) in entrants.iter().enumerate() {
            if !e.disqualified {
                payouts[i] = e.stake;
            }
        }
        let forfeited: i64 = entrants
            .iter()
            .filter(|e| e.disqualified)
            .map(|e| e.stake)
            .sum();
        share(&index_of(&|e| !e.disqualified), forfeited, &mut payouts);
    } else {
        for (i, e) in entrants.iter().enumerate() {
            payouts[i] = e.stake;
        }
    }
    entrants
        .iter()
        .zip(payouts)
        .map(|(e, payout)| Placing {
            user_id: e.user_id,
            place: (kind == Kind::Race && !e.disqualified)
                .then(|| eligible.iter().filter(|o| o.steps > e.steps).count() as i32 + 1),
            succeeded: (kind == Kind::Goal).then(|| is_winner(e)),
            won: is_winner(e),
            payout,
        })
        .collect()
}

/// What one run of the job did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub invitations_expired: u64,
    pub started: u64,
    pub cancelled_too_few: u64,
    pub overtaken_notices: u64,
    pub settled: u64,
    /// Due, but a participant's day in the window is still pending or held for review.
    pub waiting_for_review: u64,
    /// Settled, but the payout waits for an admin (`transfers::payout_hold`).
    pub payout_held: u64,
}

/// What settling a challenge came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Paid,
    /// A day in the window is still to be decided.
    Waiting,
    /// The payout waits for an admin.
    Held,
}

/// One run of the challenges job at `now`.
pub async fn run(pool: &PgPool, settings: &Settings, now: DateTime<Utc>) -> Result<Report> {
    let mut report = Report {
        invitations_expired: crate::db_query!(
            "UPDATE challenge_participants SET status = 'expired' WHERE status = 'invited' AND expires_at <= $1",
            now
        )
        .execute(pool)
        .await?
        .rows_affected(),
        ..Report::default()
    };
    let due = crate::db_query!(
        r#"SELECT id, status FROM challenges
           WHERE status IN ('open', 'running') AND starts_at <= $1 AND payout_held_reason IS NULL
           ORDER BY starts_at, id"#,
        now
    )
    .fetch_all(pool)
    .await?;
    for challenge in due {
        let mut tx = pool.begin().await?;
        // Another run holds it: that run does the work.
        let locked = crate::db_query_scalar!(
            "SELECT id FROM challenges WHERE id = $1 FOR UPDATE SKIP LOCKED",
            challenge.id
        )
        .fetch_optional(&mut *tx)
        .await?;
        if locked.is_none() {
            continue;
        }
        let mut loaded = super::load(&mut tx, challenge.id, false).await?;
        if loaded.status == Status::Open {
            if start(&mut tx, &loaded, now).await? {
                report.started += 1;
                loaded = super::load(&mut tx, challenge.id, false).await?;
            } else {
                report.cancelled_too_few += 1;
            }
        }
        if loaded.status == Status::Running {
            if now < loaded.settles_after {
                report.overtaken_notices += follow(&mut tx, &loaded, now).await?;
            } else {
                match settle(&mut tx, settings, &loaded, now, false).await? {
                    Settled::Paid => report.settled += 1,
                    Settled::Waiting => report.waiting_for_review += 1,
                    Settled::Held => report.payout_held += 1,
                }
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// Starts an open challenge whose time has come, or cancels it when fewer than two people
/// accepted. Returns whether it started.
async fn start(conn: &mut PgConnection, challenge: &Loaded, now: DateTime<Utc>) -> Result<bool> {
    let accepted: Vec<Uuid> = challenge
        .participants
        .iter()
        .filter(|p| p.status == ParticipantStatus::Accepted)
        .map(|p| p.user_id)
        .collect();
    if accepted.len() < 2 {
        entry::cancel(conn, challenge, CancelReason::TooFew, now).await?;
        return Ok(false);
    }
    crate::db_query!(
        "UPDATE challenge_participants SET status = 'expired' WHERE challenge_id = $1 AND status = 'invited'",
        challenge.id
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        "UPDATE challenges SET status = 'running', started_at = now() WHERE id = $1",
        challenge.id
    )
    .execute(&mut *conn)
    .await?;
    let notices: Vec<Notice> = accepted
        .iter()
        .map(|&user| {
            Notice::new(
                format!("challenge:{}:started:{user}", challenge.id),
                user,
                NoticeKind::ChallengeStarted,
                json!({ "challenge_id": challenge.id, "title": challenge.title }),
            )
        })
        .collect();
    notifications::record(conn, &notices).await?;
    Ok(true)
}

/// A running challenge: in a race, each person whom someone passed since the last run is
/// told who (at most once a day per challenge), and the places are kept for the next run;
/// once its last day is over, everyone is told results are coming. Returns the overtaken
/// notices recorded.
async fn follow(conn: &mut PgConnection, challenge: &Loaded, now: DateTime<Utc>) -> Result<u64> {
    let mut notices = Vec::new();
    if now >= challenge.ends_at() {
        notices.extend(
            challenge
                .participants
                .iter()
                .filter(|p| p.status == ParticipantStatus::Accepted)
                .map(|p| {
                    Notice::new(
                        format!("challenge:{}:ended:{}", challenge.id, p.user_id),
                        p.user_id,
                        NoticeKind::ChallengeEnded,
                        json!({ "challenge_id": challenge.id, "title": challenge.title }),
                    )
                }),
        );
    }
    let mut overtaken = 0;
    if challenge.kind == Kind::Race {
        let places = challenge.live_places();
        let before = |id: Uuid| {
            challenge
                .participants
                .iter()
                .find(|p| p.user_id == id)
                .and_then(|p| p.place)
        };
        for &(me, place) in &places {
            let Some(was) = before(me) else { continue };
            // Someone now ahead of me who was behind me at the last run.
            let passer = places.iter().find(|&&(other, other_place)| {
                other != me && other_place < place && before(other).is_some_and(|p| p > was)
            });
            if let Some(&(other, _)) = passer {
                // As the one overtaken sees the other.
                let alias = crate::social::people(conn, me, &[other])
                    .await?
                    .pop()
                    .map_or("A friend".to_owned(), |p| p.alias);
                overtaken += 1;
                notices.push(Notice::new(
                    format!(
                        "challenge:{}:overtaken:{me}:{}",
                        challenge.id,
                        now.date_naive()
                    ),
                    me,
                    NoticeKind::ChallengeOvertaken,
                    json!({ "challenge_id": challenge.id, "title": challenge.title, "alias": alias }),
                ));
            }
        }
        let users: Vec<Uuid> = places.iter().map(|p| p.0).collect();
        let ranks: Vec<i32> = places.iter().map(|p| p.1).collect();
        crate::db_query!(
            r#"UPDATE challenge_participants p SET place = q.place
               FROM UNNEST($2::uuid[], $3::int4[]) AS q(user_id, place)
               WHERE p.challenge_id = $1 AND p.user_id = q.user_id"#,
            challenge.id,
            &users,
            &ranks
        )
        .execute(&mut *conn)
        .await?;
    }
    notifications::record(conn, &notices).await?;
    Ok(overtaken)
}

/// Settles a running challenge whose row lock the caller holds, unless a participant's
/// day inside the window is still undecided. Returns whether it settled.
/// Settles a running challenge past its time whose row lock the caller holds: waits while a
/// day in the window is undecided, holds the payout where the transfer policy says so
/// (unless an admin `released` it), else pays.
async fn settle(
    conn: &mut PgConnection,
    settings: &Settings,
    challenge: &Loaded,
    now: DateTime<Utc>,
    released: bool,
) -> Result<Settled> {
    let competitors: Vec<Uuid> = challenge.competitors().map(|p| p.user_id).collect();
    let days = crate::db_query!(
        r#"SELECT user_id, bool_or(status IN ('pending', 'suspicious')) AS "undecided!",
                  bool_or(status = 'rejected') AS "rejected!"
           FROM step_records
           WHERE user_id = ANY($1) AND recorded_date BETWEEN $2 AND $3
           GROUP BY user_id"#,
        &competitors,
        challenge.start_date,
        challenge.end_date
    )
    .fetch_all(&mut *conn)
    .await?;
    if days.iter().any(|d| d.undecided) {
        return Ok(Settled::Waiting);
    }
    let entrants: Vec<Entrant> = challenge
        .competitors()
        .map(|p| Entrant {
            user_id: p.user_id,
            steps: p.live_steps,
            goal_days_met: p.live_goal_days,
            disqualified: days.iter().any(|d| d.user_id == p.user_id && d.rejected),
            stake: if p.stake_held { p.stake_coins } else { 0 },
        })
        .collect();
    let results = outcome(challenge.kind, challenge.goal_days, &entrants);
    if results.iter().map(|r| r.payout).sum::<i64>()
        != entrants.iter().map(|e| e.stake).sum::<i64>()
    {
        return Err(Error::internal(format!(
            "challenge {}: the split does not add up to the pot",
            challenge.id
        )));
    }
    let payouts: Vec<(Uuid, i64)> = results.iter().map(|r| (r.user_id, r.payout)).collect();
    // The pot is coins from the losers to the winners: the transfer policy looks at it
    // again now, before anything is paid.
    let shares = entry::shares(challenge, &payouts);
    if !released {
        if let Some(reason) = transfers::payout_hold(conn, settings, &shares, now).await? {
            crate::db_query!(
                "UPDATE challenges SET payout_held_reason = $2 WHERE id = $1",
                challenge.id,
                reason
            )
            .execute(&mut *conn)
            .await?;
            tracing::warn!(challenge = %challenge.id, %reason, "challenge payout held for an admin");
            return Ok(Settled::Held);
        }
    }
    entry::release(conn, challenge, &payouts, "Challenge payout", now).await?;
    let users: Vec<Uuid> = results.iter().map(|r| r.user_id).collect();
    let places: Vec<Option<i32>> = results.iter().map(|r| r.place).collect();
    let steps: Vec<i64> = entrants.iter().map(|e| e.steps).collect();
    let succeeded: Vec<Option<bool>> = results.iter().map(|r| r.succeeded).collect();
    let paid: Vec<i64> = results.iter().map(|r| r.payout).collect();
    let disqualified: Vec<bool> = entrants.iter().map(|e| e.disqualified).collect();
    crate::db_query!(
        r#"UPDATE challenge_participants p SET
               place = q.place, steps = q.steps, succeeded = q.succeeded, payout_coins = q.paid,
               stake_held = false,
               status = CASE WHEN q.disqualified THEN 'disqualified' ELSE p.status END
           FROM UNNEST($2::uuid[], $3::int4[], $4::int8[], $5::bool[], $6::int8[], $7::bool[])
                AS q(user_id, place, steps, succeeded, paid, disqualified)
           WHERE p.challenge_id = $1 AND p.user_id = q.user_id"#,
        challenge.id,
        &users,
        &places as &[Option<i32>],
        &steps,
        &succeeded as &[Option<bool>],
        &paid,
        &disqualified
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        "UPDATE challenges SET status = 'settled', finished_at = now(), payout_held_reason = NULL WHERE id = $1",
        challenge.id
    )
    .execute(&mut *conn)
    .await?;
    let notices: Vec<Notice> = results
        .iter()
        .zip(&entrants)
        .map(|(r, e)| {
            let result = match (r.won, challenge.kind) {
                (true, Kind::Race) => "won",
                (true, Kind::Goal) => "goal_met",
                (false, _) if r.payout > 0 => "stake_returned",
                _ => "lost",
            };
            Notice::new(
                format!("challenge:{}:result:{}", challenge.id, r.user_id),
                r.user_id,
                NoticeKind::ChallengeResult,
                json!({ "challenge_id": challenge.id, "title": challenge.title, "result": result,
                        "payout_coins": r.payout, "place": r.place, "disqualified": e.disqualified }),
            )
        })
        .collect();
    notifications::record(conn, &notices).await?;
    Ok(Settled::Paid)
}

/// An admin releases challenge `id`'s held payout: it is paid as settled, the hold's
/// reason overruled (`409 payout_not_held` when nothing is held).
pub async fn release_held(
    conn: &mut PgConnection,
    settings: &Settings,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let challenge = super::load(conn, id, true).await?;
    if challenge.payout_held_reason.is_none() || challenge.status != Status::Running {
        return Err(Error::conflict(
            "payout_not_held",
            Text::new("problem-payout-not-held"),
        ));
    }
    match settle(conn, settings, &challenge, now, true).await? {
        Settled::Paid => Ok(()),
        _ => Err(Error::conflict(
            "challenge_undecided",
            Text::new("problem-challenge-undecided"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entrant(n: u128, steps: i64, stake: i64) -> Entrant {
        Entrant {
            user_id: Uuid::from_u128(n),
            steps,
            goal_days_met: 0,
            disqualified: false,
            stake,
        }
    }

    fn payouts(results: &[Placing]) -> Vec<i64> {
        results.iter().map(|r| r.payout).collect()
    }

    #[test]
    fn a_race_winner_takes_the_pot_and_places_share_ties() {
        let results = outcome(
            Kind::Race,
            None,
            &[
                entrant(1, 9_000, 100),
                entrant(2, 12_000, 100),
                entrant(3, 9_000, 100),
            ],
        );
        assert_eq!(payouts(&results), [0, 300, 0]);
        let places: Vec<Option<i32>> = results.iter().map(|r| r.place).collect();
        assert_eq!(places, [Some(2), Some(1), Some(2)]);
    }

    #[test]
    fn tied_winners_split_and_the_remainder_goes_to_the_earliest_joiners() {
        // 3 x 101 = 303 among 2 winners: 151 and 152; the earlier joiner (listed first)
        // gets the odd coin.
        let results = outcome(
            Kind::Race,
            None,
            &[
                entrant(1, 5_000, 101),
                entrant(2, 8_000, 101),
                entrant(3, 8_000, 101),
            ],
        );
        assert_eq!(payouts(&results), [0, 152, 151]);
        // Four winners of 10 coins: 3, 3, 2, 2.
        let results = outcome(
            Kind::Race,
            None,
            &[
                entrant(1, 1, 3),
                entrant(2, 1, 3),
                entrant(3, 1, 2),
                entrant(4, 1, 2),
            ],
        );
        assert_eq!(payouts(&results), [3, 3, 2, 2]);
    }

    #[test]
    fn a_goal_is_shared_by_everyone_who_met_it_and_nobody_meeting_it_refunds() {
        let mut people = vec![entrant(1, 0, 50), entrant(2, 0, 50), entrant(3, 0, 50)];
        people[0].goal_days_met = 3;
        people[1].goal_days_met = 2;
        people[2].goal_days_met = 4;
        let results = outcome(Kind::Goal, Some(3), &people);
        assert_eq!(payouts(&results), [75, 0, 75]);
        assert_eq!(results[1].succeeded, Some(false));
        let nobody = outcome(Kind::Goal, Some(5), &people);
        assert_eq!(payouts(&nobody), [50, 50, 50]);
        assert!(nobody.iter().all(|r| !r.won));
    }

    #[test]
    fn a_disqualified_stake_stays_in_the_pot() {
        let mut people = vec![
            entrant(1, 90_000, 100),
            entrant(2, 10_000, 100),
            entrant(3, 5_000, 100),
        ];
        people[0].disqualified = true;
        let results = outcome(Kind::Race, None, &people);
        assert_eq!(payouts(&results), [0, 300, 0]);
        assert_eq!(results[0].place, None);
        assert_eq!(results[1].place, Some(1));
        // A goal nobody met: the others get their own back and share the forfeited stake.
        let mut goal = people.clone();
        goal[1].goal_days_met = 1;
        let results = outcome(Kind::Goal, Some(3), &goal);
        assert_eq!(payouts(&results), [0, 150, 150]);
        // Everyone disqualified: every stake back.
        let all: Vec<Entrant> = people
            .iter()
            .cloned()
            .map(|mut e| {
                e.disqualified = true;
                e
            })
            .collect();
        assert_eq!(payouts(&outcome(Kind::Race, None, &all)), [100, 100, 100]);
    }

    #[test]
    fn without_stakes_nobody_is_paid_but_places_still_count() {
        let results = outcome(Kind::Race, None, &[entrant(1, 3, 0), entrant(2, 4, 0)]);
        assert_eq!(payouts(&results), [0, 0]);
        assert!(results[1].won);
    }
}
