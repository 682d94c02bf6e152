//! Contacts: list, read, create and edit, with one contact per email address.

use super::{Actor, IdemKey, commit_create, edit, owner_for_new, replay, require_exists};
use crate::domain::contact::{Contact, ContactFields, ContactPatch, ContactRole, NewContact};
use crate::domain::error::{AppError, AppResult};
use crate::domain::records::{ListQuery, Page, RecordKind};
use crate::server::db::list;
use crate::server::db::narrow::Contacts;
use crate::server::db::{Conn, contacts};
use crate::server::policy::{Action, Target, authorize, sight};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

pub async fn list(
    state: &AppState,
    principal: &Principal,
    query: &ListQuery,
) -> AppResult<Page<Contact>> {
    let staff = authorize(principal, Action::Read, Target::kind(RecordKind::Contact))?;
    let role = match query
        .status
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "all")
    {
        Some(role) => Some(
            role.parse::<ContactRole>()
                .map_err(|e: String| AppError::invalid("status", e))?,
        ),
        None => None,
    };
    let filters = Contacts {
        sight: sight(staff).map(<[Uuid]>::to_vec),
        team: super::team_people(state, query.team_id).await?,
        role,
        owner: query.owner_id,
        account: query.account_id,
    }
    .filters();
    list::page_now(&state.db, &contacts::LIST, query, filters).await
}

pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<Contact> {
    edit::read(state, principal, id).await
}

async fn check_email_free(
    c: &mut Conn<'_>,
    email: Option<&str>,
    except: Option<Uuid>,
) -> AppResult<()> {
    let Some(email) = email else { return Ok(()) };
    let holder = contacts::id_by_email(c, email).await?;
    let message = format!("A contact with the email {email} already exists.");
    edit::unique(holder, except, message)
}

/// Inserts and audits a contact (inside the caller's transaction).
pub async fn insert(
    c: &mut Conn<'_>,
    w: &Actor<'_>,
    fields: ContactFields,
    owner_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Contact> {
    check_email_free(c, fields.email.as_deref(), None).await?;
    require_exists(c, RecordKind::Account, fields.account_id, "account_id").await?;
    let id = Uuid::now_v7();
    let contact = Contact {
        id,
        owner_id,
        owner_name: None,
        fields,
        account_name: None,
        created_at: now,
        updated_at: now,
        version: 1,
        custom: Default::default(),
    };
    let details = json!({ "fields": &contact.fields, "owner_id": owner_id });
    edit::add(c, w, &contact, details, now).await
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    mut input: NewContact,
    key: Option<&str>,
) -> AppResult<Contact> {
    let staff = authorize(principal, Action::Create, Target::kind(RecordKind::Contact))?;
    let w = Actor { staff, client };
    input.fields.normalize();
    input.fields.validate()?;
    let key = IdemKey::new(staff.user.id, key, "contact.create", &input)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if let Some(done) = replay::<Contact>(&mut tx.c(), key.as_ref()).await? {
        return Ok(done);
    }
    let owner_id = owner_for_new(&mut tx.c(), staff, input.owner_id).await?;
    let contact = insert(&mut tx.c(), &w, input.fields, owner_id, now).await?;
    commit_create(state, tx, key.as_ref(), contact, now).await
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: ContactPatch,
) -> AppResult<Contact> {
    let staff = authorize(principal, Action::Update, Target::kind(RecordKind::Contact))?;
    let w = Actor { staff, client };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let edit: edit::Edit<Contact> =
        edit::open(&mut tx.c(), principal, staff, id, patch.version, now).await?;
    let current = &edit.current;
    let mut next = current.clone();
    patch.apply(&mut next.fields);
    next.fields.validate()?;
    if next.fields.email != current.fields.email {
        check_email_free(&mut tx.c(), next.fields.email.as_deref(), Some(id)).await?;
    }
    if next.fields.account_id != current.fields.account_id {
        require_exists(
            &mut tx.c(),
            RecordKind::Account,
            next.fields.account_id,
            "account_id",
        )
        .await?;
    }
    let saved = edit.save(&mut tx.c(), &w, next, patch.owner_id).await?;
    tx.commit().await?;
    Ok(saved)
}
