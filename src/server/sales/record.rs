//! One list, one read, one create and one edit routine for every sales record. Each kind says
//! how its rows are read and stored and who reaches one ([`Editable`]), how its list is read
//! and filtered ([`Listed`]) and what a new one is made from ([`Creatable`]); a list is then
//! always [`list`], a read [`read`], a create [`create`], and an edit always the same: begin, read the row in the edit's transaction, check it is the
//! asker's to change and at the version they edited ([`open`]), let the kind apply and check
//! its own rules, then reassign, diff, store against the version, audit and read back
//! ([`Edit::save`]) and commit ([`Edit::commit`]). What truly differs (stage moves, status
//! rules, unique emails and domains, duplicate warnings) stays with the kind.

use super::{
    Actor, IdemKey, changes, commit_create, owner_for_new, replay, require_active_staff, stale,
    team_people, update_action,
};
use crate::domain::account::Account;
use crate::domain::contact::Contact;
use crate::domain::error::{AppError, AppResult};
use crate::domain::lead::Lead;
use crate::domain::opportunity::Opportunity;
use crate::domain::records::{ListQuery, Page, RecordKind};
use crate::server::db::direct::FromDirect;
use crate::server::db::list::{self, Filter, ListSpec};
use crate::server::db::{Conn, Db, Tx, accounts, contacts, leads, opportunities, records};
use crate::server::policy::{
    Action, Target, authorize, authorize_record, may_sort_by, sees, shown, sight,
};
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
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
/// `holder` is the record of `kind` that has it, `except` the one being edited. The answer
/// names the holder (`message`, and its id to open it) only to someone who sees it; anyone
/// else learns that the value is taken, and nothing about whose it is.
pub async fn unique(
    c: &mut Conn<'_>,
    staff: &Staff,
    kind: RecordKind,
    holder: Option<Uuid>,
    except: Option<Uuid>,
    message: String,
) -> AppResult<()> {
    let Some(existing) = holder.filter(|h| Some(*h) != except) else {
        return Ok(());
    };
    let facts = records::facts(c, kind, existing).await?.unwrap_or_default();
    let (message, existing_id) = if sees(staff, kind, &facts) {
        (message, Some(existing.to_string()))
    } else {
        (
            format!(
                "{} outside the records you see: ask a manager before adding another.",
                message.trim_end_matches('.')
            ),
            None,
        )
    };
    Err(AppError::Conflict {
        message,
        existing_id,
        current: None,
    })
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

/// A record kind as create sees it: what a new one is made from, how that is checked, and how
/// it is written; [`create`] does the rest the same way for every kind.
pub trait Creatable: Editable + serde::de::DeserializeOwned {
    /// What the asker sends.
    type New: Serialize + Send + Sync;
    /// Read before the write begins (so it does not lengthen SQLite's one-writer section) and
    /// handed to the answer: duplicate warnings for a lead, nothing for the others.
    type Advice: Default + Send;
    /// What create answers: the record, or the record with its advice.
    type Created: Serialize + serde::de::DeserializeOwned + Send;
    /// Normalises and checks the input before anything is read: 422 naming each bad field, 403
    /// for a value the asker may not set.
    fn prepare(staff: &Staff, new: &mut Self::New) -> AppResult<()>;
    /// The owner the asker named, if any.
    fn owner_asked(new: &Self::New) -> Option<Uuid>;
    fn advise<'a>(
        _state: &'a AppState,
        _staff: &'a Staff,
        _new: &'a Self::New,
    ) -> BoxFuture<'a, AppResult<Self::Advice>> {
        Box::pin(async { Ok(Self::Advice::default()) })
    }
    /// Writes the new record and its audit row in the create's transaction.
    fn insert<'a>(
        c: &'a mut Conn<'_>,
        w: &'a Actor<'_>,
        new: Self::New,
        owner_id: Uuid,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, AppResult<Self>>;
    fn answer(row: Self, advice: Self::Advice) -> Self::Created;
}

/// Creates a record of kind `R`: authorized for the kind, the input normalised and checked,
/// an earlier answer to the same idempotency key replayed, the owner settled (the creator, or
/// whom a manager names), then written, audited and committed with the key. The answer holds
/// what the asker may read, and is what a retry with the key gets back.
pub async fn create<R: Creatable>(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    mut input: R::New,
    key: Option<&str>,
) -> AppResult<R::Created> {
    let staff = authorize(principal, Action::Create, Target::kind(R::KIND))?;
    R::prepare(staff, &mut input)?;
    let scope = format!("{}.create", R::KIND.as_str());
    let key = IdemKey::new(staff.user.id, key, &scope, &input)?;
    let now = state.now();
    let advice = R::advise(state, staff, &input).await?;
    let mut tx = state.db.begin().await?;
    if let Some(done) = replay::<R::Created>(&mut tx.c(), key.as_ref()).await? {
        return Ok(done);
    }
    let owner_id = owner_for_new(&mut tx.c(), staff, R::owner_asked(&input)).await?;
    let w = Actor { staff, client };
    let row = R::insert(&mut tx.c(), &w, input, owner_id, now).await?;
    let answer = R::answer(row.for_reader(staff), advice);
    commit_create(state, tx, key.as_ref(), answer, now).await
}

/// A record kind as its list sees it: how the list is read (its select, sorts and text index)
/// and which of the query's filters are the kind's own.
pub trait Listed:
    Editable + FromDirect + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Unpin
{
    const LIST: &'static ListSpec;
    /// The list's conditions: who is in `sight` and the chosen `team` (both settled by the
    /// policy) and the kind's own filters read from `query` (422 naming a bad one).
    fn narrow(
        query: &ListQuery,
        sight: Option<Vec<Uuid>>,
        team: Option<Vec<Uuid>>,
    ) -> AppResult<Vec<Filter>>;
}

/// One page of a record list as the asker may read it: only records in their sight (in the
/// query, never after it), sorted only by what they may see.
pub async fn list<R: Listed>(
    state: &AppState,
    principal: &Principal,
    query: &ListQuery,
) -> AppResult<Page<R>> {
    let staff = authorize(principal, Action::Read, Target::kind(R::KIND))?;
    // A sort the kind has, by money, needs the money in sight; one it lacks is the list's 422.
    let by = query.sort.as_deref().map(|s| s.trim_start_matches('-'));
    if R::LIST.sorts.iter().any(|s| Some(s.field) == by) {
        may_sort_by(staff, query.sort.as_deref())?;
    }
    let team = team_people(state, query.team_id).await?;
    let filters = R::narrow(query, sight(staff).map(<[Uuid]>::to_vec), team)?;
    let page: Page<R> = list::page_now(&state.db, R::LIST, query, filters).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|r| r.for_reader(staff))
            .collect(),
        next_cursor: page.next_cursor,
    })
}

/// A list's choice filter (`status=…`): none when empty or `all`, else one of the kind's
/// values (422 naming `field` otherwise).
pub fn chosen<T: std::str::FromStr<Err = String>>(
    value: Option<&str>,
    field: &str,
) -> AppResult<Option<T>> {
    value
        .filter(|v| !v.is_empty() && *v != "all")
        .map(|v| v.parse::<T>().map_err(|e| AppError::invalid(field, e)))
        .transpose()
}

/// An edit under way: its transaction and the stored row, read in it.
pub struct Edit<'p, R> {
    pub current: R,
    /// The edit's transaction, for the kind's own reads and writes between [`open`] and
    /// [`Edit::commit`].
    pub tx: Tx,
    pub actor: Actor<'p>,
    principal: &'p Principal,
    pub now: DateTime<Utc>,
}

/// Opens an edit of `id`: begins its transaction and reads the row as stored, once the asker
/// may change records of the kind and this one, and edited its current version (else 409
/// with the row as they may read it).
pub async fn open<'p, R: Editable>(
    state: &AppState,
    principal: &'p Principal,
    client: &'p ClientInfo,
    id: Uuid,
    version: i64,
) -> AppResult<Edit<'p, R>> {
    let staff = authorize(principal, Action::Update, Target::kind(R::KIND))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let current = R::load(&mut tx.c(), id).await?.ok_or(AppError::NotFound)?;
    if R::BY_OWNER {
        authorize(
            principal,
            Action::Update,
            Target::owned(R::KIND, current.owner_id()),
        )?;
    } else {
        authorize_record(&mut tx.c(), principal, Action::Update, R::KIND, id).await?;
    }
    if version != current.version() {
        return Err(stale(&current.for_reader(staff)));
    }
    Ok(Edit {
        current,
        tx,
        actor: Actor { staff, client },
        principal,
        now,
    })
}

impl<'p, R: Editable> Edit<'p, R> {
    /// The editor.
    pub fn staff(&self) -> &'p Staff {
        self.actor.staff
    }

    /// Stores `next` (the kind's rules already applied to a copy of the current row): hands it
    /// to `new_owner` when that is someone else (the asker must be allowed to reassign), and,
    /// when anything changed, writes it against the version read, audits the changes and reads
    /// it back. Nothing changed: the record as it is. The answer is the stored row; what the
    /// editor may read of it is [`Edit::commit`]'s.
    pub async fn save(&mut self, mut next: R, new_owner: Option<Uuid>) -> AppResult<R> {
        let current = &self.current;
        let c = &mut self.tx.c();
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
            return Err(stale(&stored.for_reader(self.actor.staff)));
        }
        let details = json!({ "changes": diff });
        let action = update_action(R::KIND, &diff);
        self.actor
            .audit(c, &action, R::KIND, id, details, self.now)
            .await?;
        Ok(R::load(c, id).await?.ok_or(AppError::NotFound)?)
    }

    /// Commits the edit and answers `saved` as the editor may read it.
    pub async fn commit(self, saved: R) -> AppResult<R> {
        let staff = self.actor.staff;
        self.tx.commit().await?;
        Ok(saved.for_reader(staff))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::LeadStatus;

    #[test]
    fn a_choice_filter_is_none_when_empty_or_all_and_names_its_field_when_unknown() {
        assert_eq!(chosen::<LeadStatus>(None, "status").ok(), Some(None));
        assert_eq!(chosen::<LeadStatus>(Some(""), "status").ok(), Some(None));
        assert_eq!(chosen::<LeadStatus>(Some("all"), "status").ok(), Some(None));
        assert_eq!(
            chosen::<LeadStatus>(Some("contacted"), "status").ok(),
            Some(Some(LeadStatus::Contacted))
        );
        match chosen::<LeadStatus>(Some("bogus"), "status") {
            Err(AppError::Validation { fields, .. }) => assert!(fields.contains_key("status")),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
