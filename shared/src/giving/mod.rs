//! Giving: coins as gifts between friends (`gifts`) and donations to charity campaigns
//! (`campaigns`), with the monthly payout report per charity (`payouts`). The area owns
//! `gifts`, `campaigns`, `donations` and `charity_payouts`; coins move only through the
//! ledger (`gift_sent`, `gift_received`, `gift_returned`, `donation` rows), and
//! reconciliation checks each gift and each campaign against it.

pub mod campaigns;
pub mod gifts;
pub mod payouts;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::Result;

/// An account that leaves: the gifts it sent that are still pending go back to it (its
/// wallet stays with the ledger), and those waiting for it go back to their senders. Its
/// donations stay: the charity was promised them.
pub async fn forget(conn: &mut PgConnection, user: Uuid) -> Result<()> {
    gifts::reverse_pending(conn, user, true, gifts::Reversal::SenderLeft).await?;
    gifts::reverse_pending(conn, user, false, gifts::Reversal::RecipientLeft).await?;
    Ok(())
}

/// Everything `user` gave and was given, for their export.
pub async fn export(conn: &mut PgConnection, user: Uuid) -> Result<serde_json::Value> {
    Ok(serde_json::json!({
        "gifts": gifts::export(conn, user).await?,
        "donations": campaigns::donations_of(conn, user).await?,
    }))
}
