//! Password hashing with argon2id (the crate's default parameters), off the async runtime and
//! at most two at a time, so a burst of sign-ins cannot exhaust memory (19 MiB each).

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

static HASHING: Semaphore = Semaphore::const_new(2);

/// A hash of a random password, verified against when the email is unknown, so a failed
/// sign-in costs the same whether or not the account exists.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(uuid::Uuid::new_v4().as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

pub async fn hash(password: &str) -> Result<String, HashError> {
    let password = password.to_owned();
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| HashError(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

/// Checks a password against a stored hash; with no hash, checks against a dummy one and
/// answers false, taking the same time.
pub async fn verify(password: &str, stored: Option<&str>) -> bool {
    let password = password.to_owned();
    let (hash, real) = match stored {
        Some(h) => (h.to_owned(), true),
        None => (DUMMY_HASH.clone(), false),
    };
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    ok && real
}

/// Warms the dummy hash at start-up so the first failed sign-in is not slower than others.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_by_salt() {
        let a = hash("correct horse battery").await.unwrap();
        let b = hash("correct horse battery").await.unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&a)).await);
        assert!(!verify("wrong horse battery", Some(&a)).await);
        assert!(!verify("correct horse battery", None).await);
        assert!(!verify("anything", Some("not a phc string")).await);
    }
}
