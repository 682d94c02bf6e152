//! One read and one edit routine for every sales record. Each kind says how its rows are read
//! and stored and who reaches one ([`Editable`]); a read is then always [`read`], and an edit
//! always the same: read the row in the edit's
//! transaction, check it is the asker's to change and at the version they edited ([`open`]),
//! let the kind apply and check its own rules, then reassign, diff, store against the version,
//! audit and read back ([`Edit::save`]). What truly differs (stage moves, status rules, unique
//! emails and domains) stays with the kind, between the two.

use super::{Actor, changes, require_active_staff, stale, update_action};
use crate::domain::account::Account;
use crate::domain::contact::Contact;
use crate::domain::error::{AppError, AppResult};
use crate::domain::lead::Lead;
use crate::domain::opportunity::Opportunity;
use crate::domain::records::RecordKind;
use crate::server::db::{Conn, Db, accounts, contacts, leads, opportunities};
use crate::server::policy::{Action, Target, authorize, authorize_record, shown};
use crate::server::principal::{Principal, Staff};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A record kind as the edit routine sees it.
pub trait Editable: Clone + Serialize + Send + Sync + Sized {
    const KIND: RecordKind;
    fn id(&self) -> Uuid;
    fn owner_id(&self) -> Uuid;
    fn set_owner(&mut self, owner: Uuid);
    fn version(&self) -> i64;
    fn touch(&mut self, now: DateTime<Utc>);
    /// Reads the row (inside the caller's transaction).
    fn load<'a>(c: &'a mut Conn<'_>, id: Uuid) -> BoxFuture<'a, Result<Option<Self>, sqlx::Error>>;
    /// Inserts a new row (inside the caller's transaction).
    fn add<'a>(c: &'a mut Conn<'_>, row: &'a Self) -> BoxFuture<'a, Result<(), sqlx::Error>>;
    /// Reads the row outside any transaction, the quickest way there is (for a page or a GET).
    fn load_now(db: &Db, id: Uuid) -> BoxFuture<'_, Result<Option<Self>, sqlx::Error>>;
    /// Writes `next` if the stored row is still at `version`; false when it is not.
    fn store<'a>(
        c: &'a mut Conn<'_>,
        next: &'a Self,
        version: i64,
    ) -> BoxFuture<'a, Result<bool, sqlx::Error>>;
    /// Whether a record is reached by its owner alone (`true`), or also through related rows
    /// the policy reads (a contact through its account's owner).
    const BY_OWNER: bool = true;
    /// The record as `staff` may read it (money blanked for those who do not see it).
    fn for_reader(self, _staff: &Staff) -> Self {
        self
    }
}

/// Inserts a new record, audits it as created (`details`: what it was made with) and reads it
/// back, inside the caller's transaction.
pub async fn add<R: Editable>(
    c: &mut Conn<'_>,
    w: &Actor<'_>,
    row: &R,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> AppResult<R> {
    R::add(c, row).await?;
    let action = format!("{}.created", R::KIND.as_str());
    w.audit(c, &action, R::KIND, row.id(), details, now).await?;
    Ok(R::load(c, row.id()).await?.ok_or(AppError::NotFound)?)
}

/// 409 when a value that must be unique (an email, a domain) is already another record's:
/// `holder` is the record that has it, `except` the one being edited.
pub fn unique(holder: Option<Uuid>, except: Option<Uuid>, message: String) -> AppResult<()> {
    match holder {
        Some(existing) if Some(existing) != except => Err(AppError::Conflict {
            message,
            existing_id: Some(existing.to_string()),
            current: None,
        }),
        _ => Ok(()),
    }
}

/// One record as the asker may read it: 404 when it does not exist or is outside their sight.
pub async fn read<R: Editable>(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<R> {
    let staff = authorize(principal, Action::Read, Target::kind(R::KIND))?;
    let row = R::load_now(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if R::BY_OWNER {
        authorize(
            principal,
            Action::Read,
            Target::owned(R::KIND, row.owner_id()),
        )?;
    } else {
        let mut h = state.db.handle().await?;
        authorize_record(&mut h.c(), principal, Action::Read, R::KIND, id).await?;
    }
    Ok(row.for_reader(staff))
}

/// An edit under way: the stored row, read in the edit's transaction.
pub struct Edit<'p, R> {
    pub current: R,
    principal: &'p Principal,
    now: DateTime<Utc>,
}

/// Opens an edit of `id`: the row as stored, once the asker may change it and edited its
/// current version (else 409 with the row as they may read it).
pub async fn open<'p, R: Editable>(
    c: &mut Conn<'_>,
    principal: &'p Principal,
    staff: &Staff,
    id: Uuid,
    version: i64,
    now: DateTime<Utc>,
) -> AppResult<Edit<'p, R>> {
    let current = R::load(c, id).await?.ok_or(AppError::NotFound)?;
    if R::BY_OWNER {
        authorize(
            principal,
            Action::Update,
            Target::owned(R::KIND, current.owner_id()),
        )?;
    } else {
        authorize_record(c, principal, Action::Update, R::KIND, id).await?;
    }
    if version != current.version() {
        return Err(stale(&current.for_reader(staff)));
    }
    Ok(Edit {
        current,
        principal,
        now,
    })
}

impl<R: Editable> Edit<'_, R> {
    /// Stores `next` (the kind's rules already applied to a copy of the current row): hands it
    /// to `new_owner` when that is someone else (the asker must be allowed to reassign), and,
    /// when anything changed, writes it against the version read, audits the changes and reads
    /// it back. Nothing changed: the record as it is.
    pub async fn save(
        &self,
        c: &mut Conn<'_>,
        w: &Actor<'_>,
        mut next: R,
        new_owner: Option<Uuid>,
    ) -> AppResult<R> {
        let current = &self.current;
        if let Some(owner) = new_owner.filter(|o| *o != current.owner_id()) {
            authorize(
                self.principal,
                Action::Reassign,
                Target::owned(R::KIND, current.owner_id()),
            )?;
            require_active_staff(c, owner, "owner_id").await?;
            next.set_owner(owner);
        }
        next.touch(self.now);
        let diff = changes(current, &next);
        if diff.is_empty() {
            return Ok(current.clone());
        }
        let id = current.id();
        if !R::store(c, &next, current.version()).await? {
            let stored = R::load(c, id).await?.ok_or(AppError::NotFound)?;
            return Err(stale(&stored.for_reader(w.staff)));
        }
        let details = json!({ "changes": diff });
        let action = update_action(R::KIND, &diff);
        w.audit(c, &action, R::KIND, id, details, self.now).await?;
        Ok(R::load(c, id).await?.ok_or(AppError::NotFound)?)
    }
}

macro_rules! editable {
    ($ty:ty, $kind:expr, $db:ident, by_owner = $by_owner:expr, $($reader:tt)*) => {
        impl Editable for $ty {
            const KIND: RecordKind = $kind;
            const BY_OWNER: bool = $by_owner;
            fn id(&self) -> Uuid {
                self.id
            }
            fn owner_id(&self) -> Uuid {
                self.owner_id
            }
            fn set_owner(&mut self, owner: Uuid) {
                self.owner_id = owner;
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn touch(&mut self, now: DateTime<Utc>) {
                self.updated_at = now;
            }
            fn load<'a>(c: &'a mut Conn<'_>, id: Uuid) -> BoxFuture<'a, Result<Option<Self>, sqlx::Error>> {
                Box::pin($db::get(c, id))
            }
            fn store<'a>(c: &'a mut Conn<'_>, next: &'a Self, version: i64) -> BoxFuture<'a, Result<bool, sqlx::Error>> {
                Box::pin($db::update(c, next, version))
            }
            fn add<'a>(c: &'a mut Conn<'_>, row: &'a Self) -> BoxFuture<'a, Result<(), sqlx::Error>> {
                Box::pin($db::insert(c, row))
            }
            fn load_now(db: &Db, id: Uuid) -> BoxFuture<'_, Result<Option<Self>, sqlx::Error>> {
                Box::pin($db::get_now(db, id))
            }
            $($reader)*
        }
    };
}

editable!(Lead, RecordKind::Lead, leads, by_owner = true,);
editable!(Contact, RecordKind::Contact, contacts, by_owner = false,);
editable!(
    Account,
    RecordKind::Account,
    accounts,
    by_owner = true,
    fn for_reader(self, staff: &Staff) -> Self {
        shown(staff, self)
    }
);
editable!(
    Opportunity,
    RecordKind::Opportunity,
    opportunities,
    by_owner = true,
    fn for_reader(self, staff: &Staff) -> Self {
        shown(staff, self)
    }
);
