//! bcrypt, run on the blocking pool: one hash at cost 12 takes a quarter of a second of
//! CPU, which must not stall the async threads serving other work.

use tokio::sync::OnceCell;

use crate::{Error, Result};

pub async fn hash(password: String, cost: u32) -> Result<String> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)
}

/// Checks `password` against `hash`. Without a hash (unknown email, OAuth-only account)
/// it still spends one bcrypt verification on a dummy hash of the same cost, so response
/// times do not reveal whether an account exists.
///
/// A password over bcrypt's 72 bytes never matches: bcrypt would compare only its first
/// 72 bytes, and registration refuses such passwords anyway.
pub async fn verify(password: String, hash: Option<String>, cost: u32) -> Result<bool> {
    let (hash, real) = match hash {
        Some(h) if password.len() <= 72 => (h, true),
        _ => (dummy_hash(cost).await?.to_owned(), false),
    };
    let matches =
        tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
            .await
            .map_err(Error::internal)?;
    Ok(real && matches)
}

async fn dummy_hash(cost: u32) -> Result<&'static str> {
    static DUMMY: OnceCell<String> = OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| hash("not-a-real-password".into(), cost))
        .await
        .map(String::as_str)
}
