//! Opaque secrets handed to a client (refresh tokens, the tokens in verification and
//! reset mails): 256 random bits, URL-safe, and stored only as a SHA-256 digest, so a
//! leaked table holds nothing anyone can present.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, base64url: 256 bits an attacker cannot guess.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The lower-case hex SHA-256 of `token`: what the database keeps.
pub fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Crockford's base32 alphabet: digits and letters without I, L, O and U, so a code read
/// off a screen or paper is typed right.
const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `chars` random Crockford base32 characters (5 bits each): short codes people type.
pub fn crockford(chars: usize) -> String {
    let mut rng = rand::rng();
    (0..chars)
        .map(|_| CROCKFORD[(rng.next_u32() % 32) as usize] as char)
        .collect()
}

/// A code as typed, in the canonical form it is compared in: upper case, separators
/// (spaces, dashes) dropped, and the look-alikes read as Crockford reads them (O as 0,
/// I and L as 1).
pub fn crockford_normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crockford_codes_use_the_unambiguous_alphabet() {
        let code = crockford(64);
        assert_eq!(code.len(), 64);
        assert!(code.bytes().all(|b| CROCKFORD.contains(&b)));
        assert_eq!(crockford_normalise("ab1o-il 9z"), "AB10119Z");
    }
}
