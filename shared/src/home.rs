//! `GET /v1/home`: everything the app's home screen shows, in one call.
//!
//! Each API Gateway request is billed, and an app open used to cost six of them (profile,
//! wallet, today's steps, stats for the streak, the friend board, challenges, friend
//! requests). This is the same data, read by the same domain functions in one transaction
//! (one snapshot: the wallet and the streak cannot disagree), so it can never drift from
//! what those routes answer. Other people appear only as the friend board and the friend
//! requests already show them (`visibility`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::challenges::{self, ParticipantStatus, Status, Summary};
use crate::social::friends::{self, BoardPeriod, Member, Request};
use crate::steps::{self, StepRecord};
use crate::streaks::{self, Streak};
use crate::users::{self, User};
use crate::wallet::{self, Wallet};
use crate::Result;

/// How many of the friend board's leaders the home screen shows (the caller is always
/// there too, wherever they rank).
pub const FRIENDS_SHOWN: usize = 5;

#[derive(Debug, Serialize)]
pub struct Home {
    pub me: User,
    pub wallet: Wallet,
    pub today: Today,
    pub daily_step_goal: i64,
    pub streak: Streak,
    pub friends: Friends,
    /// Challenges the caller competes in that have not ended (open or running).
    pub challenges: Vec<Summary>,
    /// Challenges the caller is invited to and has not answered, while they can still join.
    pub invitations: Vec<Summary>,
    /// Friend requests waiting for the caller's answer, newest first.
    pub friend_requests: Vec<Request>,
}

/// The caller's own day, in their time zone.
#[derive(Debug, Serialize)]
pub struct Today {
    pub date: NaiveDate,
    /// The day's record as synced and judged; none before the first sync of the day.
    pub record: Option<StepRecord>,
}

/// The top of this week's friend board: its leaders and the caller.
#[derive(Debug, Serialize)]
pub struct Friends {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The first `FRIENDS_SHOWN` by rank, and the caller if they are further down.
    pub items: Vec<Member>,
    /// How many people the whole board has (`GET /v1/boards/friends` lists them all).
    pub total: usize,
}

pub async fn get(
    conn: &mut PgConnection,
    me: Uuid,
    daily_step_goal: i64,
    now: DateTime<Utc>,
    locale: crate::i18n::Locale,
) -> Result<Home> {
    let profile = users::get(conn, me).await?;
    let tz: chrono_tz::Tz = profile.timezone.parse().unwrap_or(chrono_tz::UTC);
    let today = now.with_timezone(&tz).date_naive();
    let wallet = wallet::get(conn, me).await?;
    let record = steps::list(conn, me, today, today)
        .await?
        .pop()
        .map(|r| r.in_language(locale));
    let streak = streaks::of(conn, &[(me, today)], daily_step_goal)
        .await?
        .remove(&me)
        .unwrap_or_default();
    let board = friends::board(conn, me, BoardPeriod::Week).await?;
    let total = board.items.len();
    let items = board
        .items
        .into_iter()
        .enumerate()
        .filter(|(i, m)| *i < FRIENDS_SHOWN || m.me)
        .map(|(_, m)| m)
        .collect();
    let mut challenges = Vec::new();
    let mut invitations = Vec::new();
    for c in challenges::mine(conn, me).await? {
        let invited = c.my_status.as_deref() == Some(ParticipantStatus::Invited.as_str());
        if invited && c.status == Status::Open.as_str() {
            invitations.push(c);
        } else if !invited
            && (c.status == Status::Open.as_str() || c.status == Status::Running.as_str())
        {
            challenges.push(c);
        }
    }
    let friend_requests = friends::requests(conn, me).await?.incoming;
    Ok(Home {
        me: profile,
        wallet,
        today: Today {
            date: today,
            record,
        },
        daily_step_goal,
        streak,
        friends: Friends {
            from: board.from,
            to: board.to,
            items,
            total,
        },
        challenges,
        invitations,
        friend_requests,
    })
}
