//! The global search, limited to the kinds of record the asker may read.

use crate::domain::activity::SearchResult;
use crate::domain::error::AppResult;
use crate::domain::records::RecordKind;
use crate::server::db::search;
use crate::server::policy::{Action, Target, allows};
use crate::server::principal::Principal;
use crate::server::state::AppState;

pub const PER_KIND: i64 = 6;

pub async fn search(
    state: &AppState,
    principal: &Principal,
    q: &str,
) -> AppResult<Vec<SearchResult>> {
    let staff = principal.require_staff()?;
    let kinds: Vec<RecordKind> = [
        RecordKind::Lead,
        RecordKind::Contact,
        RecordKind::Account,
        RecordKind::Opportunity,
    ]
    .into_iter()
    .filter(|k| {
        allows(
            staff.user.role,
            staff.user.id,
            Action::Read,
            Target::kind(*k),
        )
    })
    .collect();
    if q.trim().chars().count() < 2 || kinds.is_empty() {
        return Ok(vec![]);
    }
    let mut h = state.db.handle().await?;
    let within = crate::server::policy::sight(staff);
    Ok(search::search(&mut h.c(), q, &kinds, PER_KIND, within).await?)
}
