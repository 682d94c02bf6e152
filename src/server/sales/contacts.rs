//! Contacts: list, read, create and edit, with one contact per email address.

use super::record::{self, Creatable, Listed};
use super::{Actor, require_exists};
use crate::domain::contact::{Contact, ContactFields, ContactPatch, ContactRole, NewContact};
use crate::domain::error::AppResult;
use crate::domain::records::{ListQuery, RecordKind};
use crate::server::db::list::{Filter, ListSpec};
use crate::server::db::narrow::Contacts;
use crate::server::db::{Conn, contacts};
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::json;
use uuid::Uuid;

impl Listed for Contact {
    const LIST: &'static ListSpec = &contacts::LIST;
    fn narrow(
        query: &ListQuery,
        sight: Option<Vec<Uuid>>,
        team: Option<Vec<Uuid>>,
    ) -> AppResult<Vec<Filter>> {
        let narrow = Contacts {
            sight,
            team,
            role: record::chosen::<ContactRole>(query.status.as_deref(), "status")?,
            owner: query.owner_id,
            account: query.account_id,
        };
        Ok(narrow.filters())
    }
}

async fn check_email_free(
    c: &mut Conn<'_>,
    staff: &Staff,
    email: Option<&str>,
    except: Option<Uuid>,
) -> AppResult<()> {
    let Some(email) = email else { return Ok(()) };
    let holder = contacts::id_by_email(c, email).await?;
    let message = format!("A contact with the email {email} already exists.");
    record::unique(c, staff, RecordKind::Contact, holder, except, message).await
}

/// Inserts and audits a contact (inside the caller's transaction).
pub async fn insert(
    c: &mut Conn<'_>,
    w: &Actor<'_>,
    fields: ContactFields,
    owner_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Contact> {
    check_email_free(c, w.staff, fields.email.as_deref(), None).await?;
    require_exists(c, RecordKind::Account, fields.account_id, "account_id").await?;
    let contact = Contact::fresh(Uuid::now_v7(), owner_id, fields, now);
    let details = json!({ "fields": &contact.fields, "owner_id": owner_id });
    record::add(c, w, &contact, details, now).await
}

impl Creatable for Contact {
    type New = NewContact;
    type Advice = ();
    type Created = Contact;
    fn prepare(_: &Staff, new: &mut NewContact) -> AppResult<()> {
        new.fields.normalize();
        new.fields.validate()
    }
    fn owner_asked(new: &NewContact) -> Option<Uuid> {
        new.owner_id
    }
    fn insert<'a>(
        c: &'a mut Conn<'_>,
        w: &'a Actor<'_>,
        new: NewContact,
        owner_id: Uuid,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, AppResult<Contact>> {
        Box::pin(insert(c, w, new.fields, owner_id, now))
    }
    fn answer(row: Contact, _: ()) -> Contact {
        row
    }
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: ContactPatch,
) -> AppResult<Contact> {
    let mut edit = record::open::<Contact>(state, principal, client, id, patch.version).await?;
    let current = &edit.current;
    let mut next = current.clone();
    patch.apply(&mut next.fields);
    next.fields.validate()?;
    if next.fields.email != current.fields.email {
        check_email_free(
            &mut edit.tx.c(),
            edit.actor.staff,
            next.fields.email.as_deref(),
            Some(id),
        )
        .await?;
    }
    if next.fields.account_id != current.fields.account_id {
        require_exists(
            &mut edit.tx.c(),
            RecordKind::Account,
            next.fields.account_id,
            "account_id",
        )
        .await?;
    }
    let saved = edit.save(next, patch.owner_id).await?;
    edit.commit(saved).await
}
