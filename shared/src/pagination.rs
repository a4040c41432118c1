//! Opaque keyset cursors: the sort key of the last row served, as base64url JSON. Clients
//! treat them as opaque; a tampered cursor is a `422`, never a server error.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Result};

pub fn encode<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).expect("keys are plain data");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode<K: DeserializeOwned>(cursor: &str) -> Result<K> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
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
        let cursor = encode(&(42_i64, "x"));
        assert_eq!(
            decode::<(i64, String)>(&cursor).unwrap(),
            (42, "x".to_owned())
        );
        let err = decode::<(i64, String)>("not-a-cursor!").unwrap_err();
        assert_eq!(err.status(), 422);
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
