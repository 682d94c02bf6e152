//! What every request can reach: the database, the settings, the clock.

use super::config::Config;
use super::db::{Db, truncate_micros};
use crate::domain::team::StaffReach;
use crate::domain::user::Role;
use axum::extract::FromRef;
use chrono::{DateTime, Duration, Utc};
use leptos::config::LeptosOptions;
use std::sync::{Arc, Mutex};

/// Shared by every request; cloning it (axum does, per request and per layer) copies one
/// pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Where background work (imports, and later mail and automations) runs: the runtime the
    /// state was made on, never the writer thread a request that starts the work is on.
    pub background: tokio::runtime::Handle,
    /// Whose records each signed-in user reaches, kept between their requests.
    pub reach: ReachMemo,
    /// The SMTP server mail goes to (`CRM_SMTP_URL`); none: mail stays in the outbox unsent.
    pub mailer: Option<super::mail::smtp::Mailer>,
    /// Wakes the mail worker when a change has written mail.
    pub mail_wake: Arc<tokio::sync::Notify>,
}

impl Shared {
    /// Whether mail leaves this server (the pages offer links to copy when it does not).
    pub fn sends_mail(&self) -> bool {
        self.mailer.is_some()
    }

    /// The domain Message-IDs are made under: the sender's, or this server's name.
    pub fn mail_domain(&self) -> String {
        match &self.mailer {
            Some(m) => m.domain(),
            None => "crm.invalid".into(),
        }
    }
}

impl Shared {
    /// Starts background work on the [`Shared::background`] runtime.
    pub fn spawn_background<F>(&self, work: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.background.spawn(work)
    }
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

/// The server's idea of now. Tests use a fixed clock they can move forward, so timeouts,
/// expiry and SLAs are tested without sleeping.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    pub fn system() -> Clock {
        Clock(None)
    }

    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    /// Now, truncated to microseconds (what PostgreSQL stores), so a value read back
    /// compares equal to the value written on both backends.
    pub fn now(&self) -> DateTime<Utc> {
        let now = match &self.0 {
            None => Utc::now(),
            Some(at) => *at.lock().unwrap_or_else(|p| p.into_inner()),
        };
        truncate_micros(now)
    }

    /// Moves a fixed clock forward; does nothing on the system clock.
    pub fn advance(&self, by: Duration) {
        if let Some(at) = &self.0 {
            let mut at = at.lock().unwrap_or_else(|p| p.into_inner());
            *at += by;
        }
    }
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// Whose records each signed-in staff user reaches (their role's visibility and their teams),
/// kept between requests so a request does not read it again. Each entry is labelled with the
/// reach generation it was read under; every change to teams or visibility moves the
/// generation on in its own transaction, and every request reads the generation with its
/// sign-in row, so an entry is used only while nothing it depends on has changed, on any
/// server. Keyed by user and role (a role change is a different reach).
#[derive(Default)]
pub struct ReachMemo(Mutex<Memo>);

#[derive(Default)]
struct Memo {
    generation: i64,
    users: std::collections::HashMap<(uuid::Uuid, Role), StaffReach>,
}

/// More users than a company has staff: past it the memo starts over rather than grow.
const MEMO_USERS: usize = 10_000;

impl ReachMemo {
    pub fn get(&self, user: uuid::Uuid, role: Role, generation: i64) -> Option<StaffReach> {
        let memo = self.0.lock().unwrap_or_else(|p| p.into_inner());
        (memo.generation == generation)
            .then(|| memo.users.get(&(user, role)).cloned())
            .flatten()
    }

    pub fn put(&self, user: uuid::Uuid, role: Role, generation: i64, reach: &StaffReach) {
        let mut memo = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if memo.generation != generation {
            // A newer generation retires every entry; an older one (a request that read before
            // a change and finished after it) is not kept.
            if generation < memo.generation {
                return;
            }
            memo.users.clear();
            memo.generation = generation;
        }
        if memo.users.len() >= MEMO_USERS {
            memo.users.clear();
        }
        memo.users.insert((user, role), reach.clone());
    }
}
