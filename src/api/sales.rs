//! Server functions for the sales pages. Each is thin: who is asking → the sales service
//! (which authorizes) → the shared type back.

use crate::domain::account::{Account, AccountPatch, NewAccount};
use crate::domain::activity::{
    Activity, NewActivity, NewTask, SearchResult, Task, TaskPatch, TimelineEntry,
};
use crate::domain::contact::{Contact, ContactPatch, NewContact};
use crate::domain::error::AppError;
use crate::domain::lead::{
    CreatedLead, DuplicateWarning, Lead, LeadPatch, NewLead, QualifyInput, QualifyResult,
};
use crate::domain::opportunity::{NewOpportunity, Opportunity, OpportunityPatch, StageDef};
use crate::domain::records::{ListQuery, Page, RecordKind};
use crate::domain::user::UserOption;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {super::ctx, crate::server::sales};

/// Declares the list / get / create / update server functions of one record kind.
macro_rules! record_fns {
    ($list:ident, $get:ident, $create:ident, $update:ident, $service:ident, $Record:ty, $New:ty, $Created:ty, $Patch:ty) => {
        #[server(prefix = "/api/fn", input = Json)]
        pub async fn $list(query: ListQuery) -> Result<Page<$Record>, AppError> {
            let (state, principal) = ctx::request().await?;
            ctx::answer(sales::record::list::<$Record>(&state, &principal, &query).await)
        }

        #[server(prefix = "/api/fn", input = Json)]
        pub async fn $get(id: Uuid) -> Result<$Record, AppError> {
            let (state, principal) = ctx::request().await?;
            ctx::answer(sales::record::read::<$Record>(&state, &principal, id).await)
        }

        /// `key` is made by the form once per submission: a retry creates nothing new.
        #[server(prefix = "/api/fn/w", input = Json)]
        pub async fn $create(input: $New, key: String) -> Result<$Created, AppError> {
            let (state, principal) = ctx::request().await?;
            ctx::answer(
                sales::record::create::<$Record>(
                    &state,
                    &principal,
                    &ctx::client(),
                    input,
                    Some(&key),
                )
                .await,
            )
        }

        #[server(prefix = "/api/fn/w", input = Json)]
        pub async fn $update(id: Uuid, patch: $Patch) -> Result<$Record, AppError> {
            let (state, principal) = ctx::request().await?;
            ctx::answer(
                sales::$service::update(&state, &principal, &ctx::client(), id, patch).await,
            )
        }
    };
}

record_fns!(
    list_leads,
    get_lead,
    create_lead,
    update_lead,
    leads,
    Lead,
    NewLead,
    CreatedLead,
    LeadPatch
);
record_fns!(
    list_accounts,
    get_account,
    create_account,
    update_account,
    accounts,
    Account,
    NewAccount,
    Account,
    AccountPatch
);
record_fns!(
    list_contacts,
    get_contact,
    create_contact,
    update_contact,
    contacts,
    Contact,
    NewContact,
    Contact,
    ContactPatch
);
record_fns!(
    list_opportunities,
    get_opportunity,
    create_opportunity,
    update_opportunity,
    opportunities,
    Opportunity,
    NewOpportunity,
    Opportunity,
    OpportunityPatch
);

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn qualify_lead(id: Uuid, input: QualifyInput) -> Result<QualifyResult, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(sales::qualify::qualify(&state, &principal, &ctx::client(), id, input).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn lead_duplicates(email: String) -> Result<Vec<DuplicateWarning>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(sales::leads::check_duplicates(&state, &principal, &email).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn pipeline_stages() -> Result<Vec<StageDef>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(sales::opportunities::stages(&state, &principal).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn record_timeline(kind: RecordKind, id: Uuid) -> Result<Vec<TimelineEntry>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(sales::activities::timeline(&state, &principal, kind, id).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn record_tasks(kind: RecordKind, id: Uuid) -> Result<Vec<Task>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(sales::activities::tasks_for(&state, &principal, kind, id).await)
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn log_activity(input: NewActivity, key: String) -> Result<Activity, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(
        sales::activities::create_activity(&state, &principal, &ctx::client(), input, Some(&key))
            .await,
    )
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn create_task(input: NewTask, key: String) -> Result<Task, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(
        sales::activities::create_task(&state, &principal, &ctx::client(), input, Some(&key)).await,
    )
}

#[server(prefix = "/api/fn/w", input = Json)]
pub async fn update_task(id: Uuid, patch: TaskPatch) -> Result<Task, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(sales::activities::update_task(&state, &principal, &ctx::client(), id, patch).await)
}

/// The signed-in person's open tasks (overdue first) and those finished this week.
#[server(prefix = "/api/fn", input = Json)]
pub async fn my_tasks() -> Result<(Vec<Task>, Vec<Task>), AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(sales::activities::my_tasks(&state, &principal).await)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn search_records(q: String) -> Result<Vec<SearchResult>, AppError> {
    let (state, principal) = ctx::request().await?;
    ctx::answer(sales::search::search(&state, &principal, &q).await)
}

/// Active staff, for owner and assignee pickers.
#[server(prefix = "/api/fn", input = Json)]
pub async fn staff_options() -> Result<Vec<UserOption>, AppError> {
    let (state, principal) = ctx::request().await?;
    let result = async {
        principal.require_staff()?;
        let mut h = state.db.handle().await?;
        Ok(crate::server::db::users::active_staff(&mut h.c()).await?)
    };
    ctx::answer(result.await)
}
