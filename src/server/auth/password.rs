//! Password hashing with argon2id (the crate's default parameters: 19 MiB of memory per hash).
//!
//! Every hash and verification of the whole server runs on a few threads of its own, one per
//! core, fed from one queue in arrival order: a flood of sign-ins waits its turn instead of
//! multiplying argon2's memory, and the memory those threads use is handed back to the system
//! after each hash (see [`return_large_blocks_to_the_system`]), so the server's resident size
//! stays flat under any flood.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, LazyLock, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The queue in front of the hashing threads (started on first use).
static QUEUE: LazyLock<Mutex<Sender<Job>>> = LazyLock::new(|| {
    return_large_blocks_to_the_system();
    let (sender, receiver) = channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    for i in 0..hashing_threads() {
        let receiver = Arc::clone(&receiver);
        let spawned = std::thread::Builder::new()
            .name(format!("crm-hash-{i}"))
            .spawn(move || work(&receiver));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start a password hashing thread");
        }
    }
    Mutex::new(sender)
});

/// One per core: hashing is all CPU, so more threads would only share the same cores.
pub fn hashing_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8))
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = match receiver.lock() {
            Ok(r) => r.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// glibc serves a large allocation from `mmap` and gives it back on free, but raises that
/// threshold after the first such free, after which every later 19 MiB argon2 block comes from
/// a heap that keeps the freed memory: a flood of sign-ins then leaves hundreds of MB resident.
/// Fixing the threshold keeps each block a mapping of its own, returned when the hash is done.
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
        // SAFETY: `mallopt` only changes allocator settings; 1 MiB is a valid threshold.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

tokio::task_local! {
    static HASHES: std::cell::Cell<u64>;
}

/// Runs `fut` and says how many hashes or verifications it asked for (those made in its own
/// task): how tests check that a request refused early cost no hashing.
pub async fn counting_hashes<F: Future>(fut: F) -> (F::Output, u64) {
    HASHES
        .scope(std::cell::Cell::new(0), async move {
            let out = fut.await;
            (out, HASHES.with(std::cell::Cell::get))
        })
        .await
}

/// Runs `f` on a hashing thread, after every job queued before it.
async fn on_hashing_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    let _ = HASHES.try_with(|n| n.set(n.get() + 1));
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(f());
    });
    QUEUE
        .lock()
        .map_err(|_| HashError("hashing queue poisoned".into()))?
        .send(job)
        .map_err(|_| HashError("no hashing thread".into()))?;
    result
        .await
        .map_err(|_| HashError("hashing thread stopped".into()))
}

/// A hash of a random password, verified against when the email is unknown, so a failed
/// sign-in costs the same whether or not the account exists.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(uuid::Uuid::new_v4().as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

pub async fn hash(password: &str) -> Result<String, HashError> {
    let password = password.to_owned();
    on_hashing_thread(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
    .await?
}

/// Checks a password against a stored hash; with no hash, checks against a dummy one and
/// answers false, taking the same time.
pub async fn verify(password: &str, stored: Option<&str>) -> bool {
    let password = password.to_owned();
    let (hash, real) = match stored {
        Some(h) => (h.to_owned(), true),
        None => (DUMMY_HASH.clone(), false),
    };
    let ok = on_hashing_thread(move || {
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

/// Starts the hashing threads and warms the dummy hash at start-up, so the first failed
/// sign-in is not slower than others.
pub fn warm_up() {
    LazyLock::force(&QUEUE);
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

    #[tokio::test]
    async fn many_at_once_all_finish() {
        let jobs: Vec<_> = (0..12)
            .map(|i| tokio::spawn(async move { hash(&format!("password number {i}")).await }))
            .collect();
        for j in jobs {
            assert!(j.await.unwrap().is_ok());
        }
    }
}
