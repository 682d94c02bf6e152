//! Accounts: list, read, create and edit, with one account per web domain.

use super::{Actor, IdemKey, commit_create, edit, owner_for_new, replay, require_exists};
use crate::domain::account::{Account, AccountFields, AccountPatch, NewAccount};
use crate::domain::error::AppResult;
use crate::domain::records::{ListQuery, Page, RecordKind};
use crate::server::db::list;
use crate::server::db::narrow::Accounts;
use crate::server::db::{Conn, accounts};
use crate::server::policy::{Action, Target, authorize, may_set_money, may_sort_by, shown, sight};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

pub async fn list(
    state: &AppState,
    principal: &Principal,
    query: &ListQuery,
) -> AppResult<Page<Account>> {
    let staff = authorize(principal, Action::Read, Target::kind(RecordKind::Account))?;
    may_sort_by(staff, query.sort.as_deref())?;
    let filters = Accounts {
        sight: sight(staff).map(<[Uuid]>::to_vec),
        team: super::team_people(state, query.team_id).await?,
        owner: query.owner_id,
    }
    .filters();
    let page = list::page_now(&state.db, &accounts::LIST, query, filters).await?;
    Ok(shown(staff, page))
}

pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<Account> {
    edit::read(state, principal, id).await
}

/// 409 naming the account that already has this domain.
async fn check_domain_free(
    c: &mut Conn<'_>,
    domain: Option<&str>,
    except: Option<Uuid>,
) -> AppResult<()> {
    let Some(domain) = domain else { return Ok(()) };
    let holder = accounts::id_by_domain(c, domain).await?;
    let message = format!("An account with the domain {domain} already exists.");
    edit::unique(holder, except, message)
}

/// Inserts and audits an account (inside the caller's transaction).
pub async fn insert(
    c: &mut Conn<'_>,
    w: &Actor<'_>,
    fields: AccountFields,
    owner_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Account> {
    check_domain_free(c, fields.domain.as_deref(), None).await?;
    require_exists(
        c,
        RecordKind::Contact,
        fields.primary_contact_id,
        "primary_contact_id",
    )
    .await?;
    let id = Uuid::now_v7();
    let account = Account {
        id,
        owner_id,
        owner_name: None,
        fields,
        primary_contact_name: None,
        contact_count: 0,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let details = json!({ "fields": &account.fields, "owner_id": owner_id });
    edit::add(c, w, &account, details, now).await
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    mut input: NewAccount,
    key: Option<&str>,
) -> AppResult<Account> {
    let staff = authorize(principal, Action::Create, Target::kind(RecordKind::Account))?;
    let w = Actor { staff, client };
    may_set_money(staff, input.fields.annual_revenue.is_some())?;
    input.fields.normalize();
    input.fields.validate()?;
    let key = IdemKey::new(staff.user.id, key, "account.create", &input)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if let Some(done) = replay::<Account>(&mut tx.c(), key.as_ref()).await? {
        return Ok(shown(staff, done));
    }
    let owner_id = owner_for_new(&mut tx.c(), staff, input.owner_id).await?;
    let account = insert(&mut tx.c(), &w, input.fields, owner_id, now).await?;
    let created = commit_create(state, tx, key.as_ref(), account, now).await?;
    Ok(shown(staff, created))
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: AccountPatch,
) -> AppResult<Account> {
    let staff = authorize(principal, Action::Update, Target::kind(RecordKind::Account))?;
    let w = Actor { staff, client };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let edit: edit::Edit<Account> =
        edit::open(&mut tx.c(), principal, staff, id, patch.version, now).await?;
    let current = &edit.current;
    may_set_money(staff, patch.annual_revenue.is_some())?;
    let mut next = current.clone();
    patch.apply(&mut next.fields);
    next.fields.validate()?;
    if next.fields.domain != current.fields.domain {
        check_domain_free(&mut tx.c(), next.fields.domain.as_deref(), Some(id)).await?;
    }
    if next.fields.primary_contact_id != current.fields.primary_contact_id {
        require_exists(
            &mut tx.c(),
            RecordKind::Contact,
            next.fields.primary_contact_id,
            "primary_contact_id",
        )
        .await?;
    }
    let saved = edit.save(&mut tx.c(), &w, next, patch.owner_id).await?;
    tx.commit().await?;
    Ok(shown(staff, saved))
}
