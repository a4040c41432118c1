//! Walking together: friends (mutual, by invite link), the friend board, privacy and an
//! alias, blocking, teams and clubs with their boards and goals, and reports to the
//! admins. The area owns its tables (`social_profiles`, `invite_codes`, `friend_requests`,
//! `friendships`, `blocks`, `teams`, `team_members`, `team_scores`, `reports`) and reads
//! the per-user totals crediting already moves (`daily_totals`, `leaderboard_totals`):
//! no board here ever reads step history.

pub mod codes;
pub mod friends;
pub mod profiles;
pub mod reports;
pub mod teams;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::Result;

pub use crate::users::default_alias;
pub use crate::visibility::{people, Person};

/// An account that leaves: its friendships, requests and blocks, its memberships (teams it
/// owned handed over or archived), its invite codes and its choices go; the reports it
/// filed lose its id and note.
pub async fn forget(conn: &mut PgConnection, user: Uuid) -> Result<()> {
    friends::forget(conn, user).await?;
    teams::forget(conn, user).await?;
    reports::forget(conn, user).await?;
    crate::db_query!("DELETE FROM invite_codes WHERE owner_id = $1", user)
        .execute(&mut *conn)
        .await?;
    crate::db_query!("DELETE FROM social_profiles WHERE user_id = $1", user)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Everything about `user`'s social life, for their export.
pub async fn export(conn: &mut PgConnection, user: Uuid) -> Result<serde_json::Value> {
    let privacy = profiles::get(conn, user).await?;
    let friends = friends::export(conn, user).await?;
    let teams = teams::export(conn, user).await?;
    let invites = codes::list(conn, user).await?;
    let reports = reports::export(conn, user).await?;
    Ok(serde_json::json!({
        "privacy": privacy,
        "friends": friends["friends"],
        "friend_requests": friends["requests"],
        "blocked": friends["blocked"],
        "teams": teams,
        "invites": invites,
        "reports_filed": reports,
    }))
}

/// Takes the per-person lock of `what` ("friends", "teams") for each of `users`, in id
/// order (so two transactions locking the same pair never wait on each other in a cycle):
/// counts checked under it stay true until the transaction ends.
async fn lock_people(conn: &mut PgConnection, what: &str, users: &[Uuid]) -> Result<()> {
    let mut users = users.to_vec();
    users.sort();
    users.dedup();
    for user in users {
        crate::db_query!(
            "SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2::uuid, 0))",
            what,
            user
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
