//! Accounts: list, read, create and edit, with one account per web domain.

use super::record::{self, Creatable, Listed};
use super::{Actor, require_exists};
use crate::domain::account::{Account, AccountFields, AccountPatch, NewAccount};
use crate::domain::error::AppResult;
use crate::domain::records::{ListQuery, RecordKind};
use crate::server::db::list::{Filter, ListSpec};
use crate::server::db::narrow::Accounts;
use crate::server::db::{Conn, accounts};
use crate::server::policy::may_set_money;
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::json;
use uuid::Uuid;

impl Listed for Account {
    const LIST: &'static ListSpec = &accounts::LIST;
    fn narrow(
        query: &ListQuery,
        sight: Option<Vec<Uuid>>,
        team: Option<Vec<Uuid>>,
    ) -> AppResult<Vec<Filter>> {
        let narrow = Accounts {
            sight,
            team,
            owner: query.owner_id,
        };
        Ok(narrow.filters())
    }
}

/// 409 when the domain is another account's (named only to those who see it).
async fn check_domain_free(
    c: &mut Conn<'_>,
    staff: &Staff,
    domain: Option<&str>,
    except: Option<Uuid>,
) -> AppResult<()> {
    let Some(domain) = domain else { return Ok(()) };
    let holder = accounts::id_by_domain(c, domain).await?;
    let message = format!("An account with the domain {domain} already exists.");
    record::unique(c, staff, RecordKind::Account, holder, except, message).await
}

/// Inserts and audits an account (inside the caller's transaction).
pub async fn insert(
    c: &mut Conn<'_>,
    w: &Actor<'_>,
    fields: AccountFields,
    owner_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Account> {
    check_domain_free(c, w.staff, fields.domain.as_deref(), None).await?;
    require_exists(
        c,
        RecordKind::Contact,
        fields.primary_contact_id,
        "primary_contact_id",
    )
    .await?;
    let account = Account::fresh(Uuid::now_v7(), owner_id, fields, now);
    let details = json!({ "fields": &account.fields, "owner_id": owner_id });
    record::add(c, w, &account, details, now).await
}

impl Creatable for Account {
    type New = NewAccount;
    type Advice = ();
    type Created = Account;
    fn prepare(staff: &Staff, new: &mut NewAccount) -> AppResult<()> {
        may_set_money(staff, new.fields.annual_revenue.is_some())?;
        new.fields.normalize();
        new.fields.validate()
    }
    fn owner_asked(new: &NewAccount) -> Option<Uuid> {
        new.owner_id
    }
    fn insert<'a>(
        c: &'a mut Conn<'_>,
        w: &'a Actor<'_>,
        new: NewAccount,
        owner_id: Uuid,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, AppResult<Account>> {
        Box::pin(insert(c, w, new.fields, owner_id, now))
    }
    fn answer(row: Account, _: ()) -> Account {
        row
    }
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: AccountPatch,
) -> AppResult<Account> {
    let mut edit = record::open::<Account>(state, principal, client, id, patch.version).await?;
    let current = &edit.current;
    may_set_money(edit.staff(), patch.annual_revenue.is_some())?;
    let mut next = current.clone();
    patch.apply(&mut next.fields);
    next.fields.validate()?;
    if next.fields.domain != current.fields.domain {
        check_domain_free(
            &mut edit.tx.c(),
            edit.actor.staff,
            next.fields.domain.as_deref(),
            Some(id),
        )
        .await?;
    }
    if next.fields.primary_contact_id != current.fields.primary_contact_id {
        require_exists(
            &mut edit.tx.c(),
            RecordKind::Contact,
            next.fields.primary_contact_id,
            "primary_contact_id",
        )
        .await?;
    }
    let saved = edit.save(next, patch.owner_id).await?;
    edit.commit(saved).await
}
