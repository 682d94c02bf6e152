//! Random secrets (API tokens, one-time links) and their stored hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, URL-safe, with a prefix saying what the secret is for.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 of a secret, hex-encoded: what the database keeps.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_random_and_digests_stable() {
        let a = super::generate("crm_");
        let b = super::generate("crm_");
        assert_ne!(a, b);
        assert!(a.starts_with("crm_") && a.len() > 40);
        assert_eq!(super::digest("abc"), super::digest("abc"));
        assert_eq!(super::digest("abc").len(), 64);
    }
}
