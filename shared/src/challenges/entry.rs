//! Into and out of a challenge before it settles: creating one, answering an invitation,
//! cancelling (the creator before the start, an admin any time before settlement), and
//! the stake rules and escrow.
//!
//! Stakes: the same for everyone, taken from available coins at acceptance (the creator's
//! at creation) with a `stake` ledger row and counted in the wallet's frozen coins while
//! in escrow. Allowed only where `challenge_stake_countries` lists the person's country;
//! at most `challenge_max_stake` and a quarter of the person's available coins; at most
//! `challenge_stakes_per_week` staked challenges joined in seven days; never two accounts
//! that share a phone or a shipping address in one staked challenge.
//!
//! Locks, in order: the challenge row → the people's challenge locks → wallets → users.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    lock_person, Kind, Loaded, ParticipantStatus, Status, Template, INVITATION_HOURS, MAX_ACTIVE,
    MAX_DAYS, MAX_PEOPLE,
};
use crate::i18n::{Locale, Text};
use crate::input::{self, Checks};
use crate::ledger;
use crate::notifications::{self, Kind as NoticeKind, Notice};
use crate::settings::Settings;
use crate::social::{friends, people};
use crate::transfers::{self, Channel, Toward};
use crate::{Error, Result};

/// A checked new challenge.
#[derive(Debug, Clone)]
pub struct Draft {
    pub template: Template,
    pub kind: Kind,
    pub title: String,
    pub days: i64,
    /// Goal challenges: (steps a day, days needed).
    pub goal: Option<(i64, i64)>,
    pub stake_coins: i64,
    pub invitees: Vec<Uuid>,
}

/// What a client sends to create a challenge, before checking.
#[derive(Debug, Default)]
pub struct Proposal {
    pub template: String,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub days: Option<i64>,
    pub goal_steps: Option<i64>,
    pub goal_days: Option<i64>,
    pub stake_coins: Option<i64>,
    pub invitees: Vec<String>,
}

impl Draft {
    /// Checks every field at once (one `422` naming each bad one).
    /// `locale`: the creator's language, which a template's title is written in.
    pub fn check(p: Proposal, max_stake: i64, locale: Locale) -> Result<Draft> {
        let mut checks = Checks::default();
        let template = checks.field("template", Template::parse(&p.template));
        let kind = match (template, p.kind) {
            (Some(Template::Custom), Some(k)) => checks.field("kind", Kind::parse(&k)),
            (Some(Template::Custom), None) => Some(Kind::Race),
            (Some(t), Some(k)) if Kind::parse(&k).ok() != t.kind() => {
                checks.fail("kind", "a template's challenges are races");
                None
            }
            (Some(t), _) => t.kind(),
            (None, _) => None,
        };
        let days = match (template, p.days) {
            (Some(Template::Custom), Some(d)) if (1..=MAX_DAYS).contains(&d) => Some(d),
            (Some(Template::Custom), Some(_)) => {
                checks.fail("days", format!("must be between 1 and {MAX_DAYS}"));
                None
            }
            (Some(Template::Custom), None) => {
                checks.fail("days", "is required for a custom challenge");
                None
            }
            (Some(t), Some(d)) if Some(d) != t.days() => {
                checks.fail(
                    "days",
                    format!("the template lasts {} days", t.days().unwrap_or(0)),
                );
                None
            }
            (Some(t), _) => t.days(),
            (None, _) => None,
        };
        let goal = match (kind, p.goal_steps, p.goal_days) {
            (Some(Kind::Goal), Some(steps), Some(on_days)) => {
                let steps = checks.field(
                    "goal_steps",
                    if (1_000..=super::DAY_CAP).contains(&steps) {
                        Ok(steps)
                    } else {
                        Err(format!("must be between 1000 and {}", super::DAY_CAP))
                    },
                );
                let on_days = checks.field(
                    "goal_days",
                    match days {
                        Some(d) if (1..=d).contains(&on_days) => Ok(on_days),
                        Some(d) => Err(format!("must be between 1 and the challenge's {d} days")),
                        None => Ok(on_days),
                    },
                );
                steps.zip(on_days)
            }
            (Some(Kind::Goal), steps, on_days) => {
                if steps.is_none() {
                    checks.fail("goal_steps", "is required for a goal challenge");
                }
                if on_days.is_none() {
                    checks.fail("goal_days", "is required for a goal challenge");
                }
                None
            }
            (_, None, None) => None,
            (_, steps, on_days) => {
                if steps.is_some() {
                    checks.fail("goal_steps", "only goal challenges have a goal");
                }
                if on_days.is_some() {
                    checks.fail("goal_days", "only goal challenges have a goal");
                }
                None
            }
        };
        let title = match (p.title, template) {
            (Some(t), _) => checks.field(
                "title",
                input::single_line(&t, 80).and_then(|t| {
                    if t.chars().count() < 3 {
                        Err("must be at least 3 characters".into())
                    } else {
                        Ok(t)
                    }
                }),
            ),
            (None, Some(t)) => Some(t.title(locale)),
            (None, None) => None,
        };
        let stake_coins = checks.field(
            "stake_coins",
            match p.stake_coins.unwrap_or(0) {
                s if s < 0 => Err("must not be negative".into()),
                s if s > max_stake => Err(format!("must be at most {max_stake}")),
                s => Ok(s),
            },
        );
        let mut invitees = Vec::new();
        for (i, raw) in p.invitees.iter().enumerate() {
            if let Some(id) = checks.field(
                format!("invitees[{i}]"),
                Uuid::parse_str(raw).map_err(|_| "must be an id".to_owned()),
            ) {
                if invitees.contains(&id) {
                    checks.fail(format!("invitees[{i}]"), "is listed twice");
                }
                invitees.push(id);
            }
        }
        let most = if template == Some(Template::OneOnOne) {
            1
        } else {
            MAX_PEOPLE - 1
        };
        if p.invitees.is_empty() || p.invitees.len() > most {
            checks.fail("invitees", format!("must name 1 to {most} friends"));
        }
        checks.finish()?;
        Ok(Draft {
            template: input::checked(template)?,
            kind: input::checked(kind)?,
            title: input::checked(title)?,
            days: input::checked(days)?,
            goal,
            stake_coins: input::checked(stake_coins)?,
            invitees,
        })
    }
}

/// The person's time zone and the country they have held for 30 days (what they can
/// change on the spot counts only after that), for a live account (`404` otherwise).
async fn person(
    conn: &mut PgConnection,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(chrono_tz::Tz, Option<String>)> {
    let tz = crate::db_query_scalar!(
        r#"SELECT user_timezone(u.*) AS "tz!" FROM users u
           WHERE u.id = $1 AND u.deleted_at IS NULL AND u.is_active"#,
        user
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let country = crate::users::settled_country(conn, user, now).await?;
    Ok((tz.parse().unwrap_or(chrono_tz::UTC), country))
}

/// `409 too_many_challenges` when `user` is already in `MAX_ACTIVE` challenges that are
/// not over. Call under the person's challenge lock.
async fn check_active(conn: &mut PgConnection, user: Uuid) -> Result<()> {
    let active = crate::db_query_scalar!(
        r#"SELECT count(*) AS "n!" FROM challenge_participants p JOIN challenges c ON c.id = p.challenge_id
           WHERE p.user_id = $1 AND p.status = 'accepted' AND c.status IN ('open', 'running')"#,
        user
    )
    .fetch_one(conn)
    .await?;
    if active >= MAX_ACTIVE {
        return Err(Error::conflict(
            "too_many_challenges",
            Text::new("problem-too-many-challenges").arg("limit", MAX_ACTIVE),
        ));
    }
    Ok(())
}

/// The stake rules that do not depend on the wallet, for `user` joining a staked
/// challenge of `stake` with `others` (everyone else invited or in it) on `invited_by`'s
/// invitation: where stakes are offered and how many a week, then the transfer policy,
/// since the pot is coins moving between the people in it.
#[allow(clippy::too_many_arguments)]
async fn check_stake_rules(
    conn: &mut PgConnection,
    settings: &Settings,
    user: Uuid,
    country: Option<&str>,
    others: &[Uuid],
    invited_by: Option<Uuid>,
    stake: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    if !country.is_some_and(|c| settings.challenge_stake_countries.contains(c)) {
        return Err(Error::denied(
            "stakes_not_available",
            Text::new("problem-stakes-not-available"),
        ));
    }
    let this_week = crate::db_query_scalar!(
        r#"SELECT count(*) AS "n!" FROM challenge_participants
           WHERE user_id = $1 AND stake_coins > 0 AND joined_at > $2::timestamptz - interval '7 days'"#,
        user,
        now
    )
    .fetch_one(&mut *conn)
    .await?;
    if this_week >= settings.challenge_stakes_per_week {
        return Err(Error::conflict(
            "stake_limit_reached",
            Text::new("problem-stake-limit-reached")
                .arg("limit", settings.challenge_stakes_per_week),
        ));
    }
    transfers::check(
        conn,
        settings,
        user,
        Toward::Pot { others, invited_by },
        stake,
        Channel::Stake,
        now,
    )
    .await
}

/// Puts `stake` of `user`'s coins into challenge `challenge`'s escrow: at most a quarter
/// of their available coins (checked under the wallet's lock), a `stake` ledger row out,
/// the coins frozen.
async fn escrow(
    conn: &mut PgConnection,
    settings: &Settings,
    user: Uuid,
    challenge: Uuid,
    stake: i64,
    title: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    ledger::lock_wallets(conn, &[user]).await?;
    let available = crate::wallet::get(conn, user).await?.available_coins;
    if stake > settings.challenge_max_stake || stake.saturating_mul(4) > available {
        return Err(Error::conflict(
            "stake_too_large",
            Text::new("problem-stake-too-large")
                .arg("quarter", available / 4)
                .arg("max", settings.challenge_max_stake),
        ));
    }
    transfers::stake(
        conn,
        user,
        challenge,
        stake,
        format!("Stake in {title}"),
        now,
    )
    .await
}

/// Creates a challenge with `creator` in it (their stake in escrow) and invites
/// `draft.invitees`, who must all be the creator's friends. Returns its id.
pub async fn create(
    conn: &mut PgConnection,
    settings: &Settings,
    creator: Uuid,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    if draft.invitees.contains(&creator) {
        return Err(Error::invalid("invitees", "must not name yourself"));
    }
    let strangers = friends::strangers(conn, creator, &draft.invitees).await?;
    if let Some(i) = draft.invitees.iter().position(|id| strangers.contains(id)) {
        return Err(Error::invalid(
            format!("invitees[{i}]"),
            "must be one of your friends",
        ));
    }
    lock_person(conn, creator).await?;
    check_active(conn, creator).await?;
    let (tz, country) = person(conn, creator, now).await?;
    if draft.stake_coins > 0 {
        check_stake_rules(
            conn,
            settings,
            creator,
            country.as_deref(),
            &draft.invitees,
            None,
            draft.stake_coins,
            now,
        )
        .await?;
    }
    let today = now.with_timezone(&tz).date_naive();
    let start_date = draft.template.start_date(today);
    let end_date = start_date + chrono::Days::new(draft.days as u64 - 1);
    let starts_at = crate::clock::local_day_start(start_date, tz);
    let id = crate::db_query_scalar!(
        r#"INSERT INTO challenges (creator_id, kind, template, title, goal_steps, goal_days, stake_coins,
                                   start_date, end_date, starts_at, settles_after)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"#,
        creator,
        draft.kind.as_str(),
        draft.template.as_str(),
        draft.title,
        draft.goal.map(|g| g.0 as i32),
        draft.goal.map(|g| g.1 as i32),
        draft.stake_coins,
        start_date,
        end_date,
        starts_at,
        super::settles_after(end_date),
    )
    .fetch_one(&mut *conn)
    .await?;
    let expires = (now + Duration::hours(INVITATION_HOURS)).min(starts_at);
    crate::db_query!(
        r#"INSERT INTO challenge_participants (challenge_id, user_id, status, expires_at, joined_at, stake_coins, stake_held)
           SELECT $1, u, CASE WHEN u = $2 THEN 'accepted' ELSE 'invited' END, $3,
                  CASE WHEN u = $2 THEN now() END, CASE WHEN u = $2 THEN $4::int8 ELSE 0 END, u = $2 AND $4::int8 > 0
           FROM UNNEST($5::uuid[]) AS u"#,
        id,
        creator,
        expires,
        draft.stake_coins,
        &[&[creator][..], &draft.invitees[..]].concat(),
    )
    .execute(&mut *conn)
    .await?;
    if draft.stake_coins > 0 {
        escrow(
            conn,
            settings,
            creator,
            id,
            draft.stake_coins,
            &draft.title,
            now,
        )
        .await?;
    }
    let alias = people(conn, creator, &[creator])
        .await?
        .pop()
        .map(|p| p.alias)
        .unwrap_or_default();
    let notices: Vec<Notice> = draft
        .invitees
        .iter()
        .map(|&invitee| Notice {
            expires_at: Some(expires),
            ..Notice::new(
                format!("challenge:{id}:invited:{invitee}"),
                invitee,
                NoticeKind::ChallengeInvited,
                json!({ "challenge_id": id, "title": draft.title, "alias": alias,
                        "stake_coins": draft.stake_coins }),
            )
        })
        .collect();
    notifications::record(conn, &notices).await?;
    Ok(id)
}

fn invitation_closed() -> Error {
    Error::conflict("invitation_closed", Text::new("problem-invitation-closed"))
}

/// `me` accepts their invitation to challenge `id`; a stake goes into escrow. Accepting
/// twice is the same as once.
pub async fn accept(
    conn: &mut PgConnection,
    settings: &Settings,
    me: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let challenge = super::load(conn, id, true).await?;
    let mine = challenge
        .participants
        .iter()
        .find(|p| p.user_id == me)
        .ok_or(Error::NotFound)?;
    match mine.status {
        ParticipantStatus::Accepted => return Ok(()),
        ParticipantStatus::Invited
            if challenge.status == Status::Open
                && now < challenge.starts_at
                && now < mine.expires_at => {}
        _ => return Err(invitation_closed()),
    }
    lock_person(conn, me).await?;
    check_active(conn, me).await?;
    if challenge.stake_coins > 0 {
        let (_, country) = person(conn, me, now).await?;
        let others: Vec<Uuid> = challenge
            .participants
            .iter()
            .filter(|p| {
                // Those with money in it already: a pair of invitees who share a phone can
                // still play, only not both.
                p.user_id != me && p.status == ParticipantStatus::Accepted
            })
            .map(|p| p.user_id)
            .collect();
        check_stake_rules(
            conn,
            settings,
            me,
            country.as_deref(),
            &others,
            Some(challenge.creator_id),
            challenge.stake_coins,
            now,
        )
        .await?;
    }
    crate::db_query!(
        r#"UPDATE challenge_participants SET status = 'accepted', joined_at = now(), stake_coins = $3::int8,
                  stake_held = $3::int8 > 0
           WHERE challenge_id = $1 AND user_id = $2"#,
        id,
        me,
        challenge.stake_coins
    )
    .execute(&mut *conn)
    .await?;
    if challenge.stake_coins > 0 {
        escrow(
            conn,
            settings,
            me,
            id,
            challenge.stake_coins,
            &challenge.title,
            now,
        )
        .await?;
    }
    Ok(())
}

/// `me` declines their invitation (only while it is open).
pub async fn decline(conn: &mut PgConnection, me: Uuid, id: Uuid) -> Result<()> {
    let challenge = super::load(conn, id, true).await?;
    let mine = challenge
        .participants
        .iter()
        .find(|p| p.user_id == me)
        .ok_or(Error::NotFound)?;
    if mine.status != ParticipantStatus::Invited || challenge.status != Status::Open {
        return Err(invitation_closed());
    }
    crate::db_query!(
        "UPDATE challenge_participants SET status = 'declined' WHERE challenge_id = $1 AND user_id = $2",
        id,
        me
    )
    .execute(conn)
    .await?;
    Ok(())
}

crate::text_enum! {
    pub enum CancelReason {
        /// The creator, before the start.
        Creator = "creator",
        /// Fewer than two people had accepted at the start.
        TooFew = "too_few",
        /// An admin (audited by the caller).
        Admin = "admin",
    }
}

/// The creator cancels their challenge before it starts: every stake comes back.
pub async fn cancel_by_creator(
    conn: &mut PgConnection,
    me: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let challenge = super::load(conn, id, true).await?;
    if !challenge.participants.iter().any(|p| p.user_id == me) {
        return Err(Error::NotFound);
    }
    if challenge.creator_id != me {
        return Err(Error::denied(
            "not_allowed",
            Text::new("problem-not-allowed-cancel-challenge"),
        ));
    }
    if challenge.status != Status::Open {
        return Err(Error::conflict(
            "challenge_started",
            Text::new("problem-challenge-started"),
        ));
    }
    cancel(conn, &challenge, CancelReason::Creator, now).await
}

/// An admin cancels challenge `id` before it settles: every stake comes back. Returns
/// the challenge's status before.
pub async fn cancel_by_admin(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Status> {
    let challenge = super::load(conn, id, true).await?;
    if matches!(challenge.status, Status::Settled | Status::Cancelled) {
        return Err(Error::conflict(
            "challenge_finished",
            Text::new("problem-challenge-finished"),
        ));
    }
    cancel(conn, &challenge, CancelReason::Admin, now).await?;
    Ok(challenge.status)
}

/// Cancels a challenge whose row lock the caller holds: each stake in escrow goes back
/// to its owner with a `payout` row, open invitations expire, everyone in it is told.
pub(crate) async fn cancel(
    conn: &mut PgConnection,
    challenge: &Loaded,
    reason: CancelReason,
    now: DateTime<Utc>,
) -> Result<()> {
    let refunds: Vec<(Uuid, i64)> = challenge
        .participants
        .iter()
        .filter(|p| p.stake_held)
        .map(|p| (p.user_id, p.stake_coins))
        .collect();
    release(conn, challenge, &refunds, "Stake back", now).await?;
    crate::db_query!(
        r#"UPDATE challenge_participants SET
               status = CASE WHEN status = 'invited' THEN 'expired' ELSE status END,
               payout_coins = CASE WHEN stake_held THEN stake_coins END,
               stake_held = false
           WHERE challenge_id = $1"#,
        challenge.id
    )
    .execute(&mut *conn)
    .await?;
    crate::db_query!(
        "UPDATE challenges SET status = 'cancelled', cancel_reason = $2, finished_at = now() WHERE id = $1",
        challenge.id,
        reason.as_str()
    )
    .execute(&mut *conn)
    .await?;
    let notices: Vec<Notice> = challenge
        .participants
        .iter()
        .filter(|p| p.status == ParticipantStatus::Accepted)
        .map(|p| {
            Notice::new(
                format!("challenge:{}:ended:{}", challenge.id, p.user_id),
                p.user_id,
                NoticeKind::ChallengeEnded,
                json!({ "challenge_id": challenge.id, "title": challenge.title, "cancelled": true }),
            )
        })
        .collect();
    notifications::record(conn, &notices).await
}

/// Pays coins out of the challenge's escrow, through the transfer gate: `payout` ledger
/// rows, each held stake released. The caller marks the stakes released.
pub(crate) async fn release(
    conn: &mut PgConnection,
    challenge: &Loaded,
    payouts: &[(Uuid, i64)],
    why: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    transfers::pay_out(
        conn,
        challenge.id,
        &shares(challenge, payouts),
        &format!("{why}: {}", challenge.title),
        now,
    )
    .await
}

/// Each participant's stake held and what `payouts` gives them.
pub(crate) fn shares(challenge: &Loaded, payouts: &[(Uuid, i64)]) -> Vec<transfers::Share> {
    let mut people: Vec<Uuid> = challenge
        .participants
        .iter()
        .filter(|p| p.stake_held)
        .map(|p| p.user_id)
        .chain(payouts.iter().map(|p| p.0))
        .collect();
    people.sort();
    people.dedup();
    people
        .into_iter()
        .map(|user_id| transfers::Share {
            user_id,
            stake: challenge
                .participants
                .iter()
                .find(|p| p.user_id == user_id && p.stake_held)
                .map_or(0, |p| p.stake_coins),
            payout: payouts.iter().filter(|p| p.0 == user_id).map(|p| p.1).sum(),
        })
        .collect()
}

/// A leaving account: its open invitations are declined, and from challenges that have
/// not started it withdraws with its stake back. (In a running challenge it stays to
/// the end; the settlement pays into its wallet like anyone's.)
pub async fn forget(conn: &mut PgConnection, user: Uuid, now: DateTime<Utc>) -> Result<()> {
    let upcoming = crate::db_query_scalar!(
        r#"SELECT c.id FROM challenge_participants p JOIN challenges c ON c.id = p.challenge_id
           WHERE p.user_id = $1 AND c.status = 'open' AND p.status IN ('invited', 'accepted')
           ORDER BY c.id"#,
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    for id in upcoming {
        let challenge = super::load(conn, id, true).await?;
        let Some(mine) = challenge.participants.iter().find(|p| p.user_id == user) else {
            continue;
        };
        if mine.stake_held {
            let only_me = Loaded {
                participants: vec![mine.clone()],
                ..challenge.clone()
            };
            release(
                conn,
                &only_me,
                &[(user, mine.stake_coins)],
                "Stake back",
                now,
            )
            .await?;
        }
        crate::db_query!(
            r#"UPDATE challenge_participants SET status = 'declined', joined_at = NULL,
                      payout_coins = CASE WHEN stake_held THEN stake_coins END, stake_held = false
               WHERE challenge_id = $1 AND user_id = $2"#,
            id,
            user
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
