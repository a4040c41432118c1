//! Opaque keyset cursors: the sort key of the last row served, as base64url JSON. Clients
//! treat them as opaque; a tampered cursor is a `422`, never a server error.

use base64::Engine;
use chrono::{DateTime, Datelike, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::{Error, Result};

/// A keyset position. `valid` refuses what no row of ours can hold, so a crafted cursor
/// (a time in the year 200000, say) is a `422` before Postgres sees it.
pub trait Key: Serialize + DeserializeOwned {
    fn valid(&self) -> bool {
        true
    }
}

impl Key for i64 {}
impl Key for i32 {}
impl Key for (i32, Uuid) {}

impl Key for (DateTime<Utc>, Uuid) {
    fn valid(&self) -> bool {
        (1970..=9999).contains(&self.0.year())
    }
}

pub fn encode<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).expect("keys are plain data");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode<K: Key>(cursor: &str) -> Result<K> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|json| serde_json::from_slice::<K>(&json).ok())
        .filter(Key::valid)
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this API issued"))
}

/// Splits one extra fetched row off `rows` (fetch `limit + 1` to know whether a next page
/// exists) and builds the next cursor from the last row kept.
pub fn finish<T, K: Serialize>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Option<String>) {
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if has_more {
        rows.last().map(|r| encode(&key(r)))
    } else {
        None
    };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_a_422() {
        let id = Uuid::new_v4();
        let cursor = encode(&(42_i32, id));
        assert_eq!(decode::<(i32, Uuid)>(&cursor).unwrap(), (42, id));
        let err = decode::<(i32, Uuid)>("not-a-cursor!").unwrap_err();
        assert_eq!(err.status(), 422);
    }

    #[test]
    fn a_time_no_row_can_hold_is_a_422() {
        let far = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"["+200000-01-01T00:00:00Z","{}"]"#, Uuid::nil()));
        assert_eq!(
            decode::<(DateTime<Utc>, Uuid)>(&far).unwrap_err().status(),
            422
        );
        let leap_day = DateTime::parse_from_rfc3339("2028-02-29T23:59:59.999999Z")
            .unwrap()
            .with_timezone(&Utc);
        let now = encode(&(leap_day, Uuid::nil()));
        assert!(decode::<(DateTime<Utc>, Uuid)>(&now).is_ok());
    }

    #[test]
    fn one_extra_row_means_a_next_page() {
        let (rows, next) = finish(vec![1, 2, 3], 2, |r| *r);
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(decode::<i32>(&next.unwrap()).unwrap(), 2);
        let (rows, next) = finish(vec![1, 2], 2, |r| *r);
        assert_eq!(rows.len(), 2);
        assert!(next.is_none());
    }
}
