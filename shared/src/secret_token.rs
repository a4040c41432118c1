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
