//! CSV exports of the lists, exactly as filtered: page after page through the same list code
//! (and so the same authorization and filters) the screens use, streamed out as it is read,
//! so memory stays flat at any size. Cells a spreadsheet would run as a formula are
//! neutralised. Exports are audited and refused while an admin is viewing as someone else.

use crate::domain::error::{AppError, AppResult};
use crate::domain::import::neutralise;
use crate::domain::records::{ListQuery, RecordKind};
use crate::domain::ticket::TicketQuery;
use crate::server::db::audit;
use crate::server::policy::{Action, Guarded, Target, authorize, refuse_while_impersonating};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::sales::{self, Actor};
use crate::server::state::AppState;
use crate::server::support;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Leads,
    Contacts,
    Accounts,
    Opportunities,
    Tickets,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Leads => "leads",
            ExportKind::Contacts => "contacts",
            ExportKind::Accounts => "accounts",
            ExportKind::Opportunities => "opportunities",
            ExportKind::Tickets => "tickets",
        }
    }

    fn record_kind(self) -> RecordKind {
        match self {
            ExportKind::Leads => RecordKind::Lead,
            ExportKind::Contacts => RecordKind::Contact,
            ExportKind::Accounts => RecordKind::Account,
            ExportKind::Opportunities => RecordKind::Opportunity,
            ExportKind::Tickets => RecordKind::Ticket,
        }
    }

    /// `(header, field of the record's JSON)`. Headers are the names the importer guesses,
    /// so an exported file imports back without adjusting the mapping.
    fn all_columns(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ExportKind::Leads => &[
                ("id", "id"),
                ("name", "name"),
                ("company", "company"),
                ("email", "email"),
                ("phone", "phone"),
                ("source", "source"),
                ("lead_status", "status"),
                ("utm_source", "utm_source"),
                ("utm_medium", "utm_medium"),
                ("utm_campaign", "utm_campaign"),
                ("owner", "owner_name"),
                ("created_at", "created_at"),
                ("updated_at", "updated_at"),
            ],
            ExportKind::Contacts => &[
                ("id", "id"),
                ("first_name", "first_name"),
                ("last_name", "last_name"),
                ("email", "email"),
                ("phone", "phone"),
                ("title", "title"),
                ("company", "account_name"),
                ("role", "role"),
                ("active", "active"),
                ("owner", "owner_name"),
                ("created_at", "created_at"),
                ("updated_at", "updated_at"),
            ],
            ExportKind::Accounts => &[
                ("id", "id"),
                ("name", "name"),
                ("domain", "domain"),
                ("industry", "industry"),
                ("phone", "phone"),
                ("city", "city"),
                ("annual_revenue", "annual_revenue"),
                ("contacts", "contact_count"),
                ("owner", "owner_name"),
                ("created_at", "created_at"),
                ("updated_at", "updated_at"),
            ],
            ExportKind::Opportunities => &[
                ("id", "id"),
                ("name", "name"),
                ("account", "account_name"),
                ("primary_contact", "primary_contact_name"),
                ("stage", "stage"),
                ("value", "value"),
                ("currency", "currency"),
                ("probability", "probability"),
                ("expected_close", "expected_close"),
                ("lost_reason", "lost_reason"),
                ("closed_at", "closed_at"),
                ("owner", "owner_name"),
                ("created_at", "created_at"),
            ],
            ExportKind::Tickets => &[
                ("number", "number"),
                ("subject", "subject"),
                ("account", "account_name"),
                ("contact", "contact_name"),
                ("priority", "priority"),
                ("ticket_status", "status"),
                ("channel", "channel"),
                ("assignee", "assignee_name"),
                ("first_response_due_at", "first_response_due_at"),
                ("resolution_due_at", "resolution_due_at"),
                ("resolved_at", "resolved_at"),
                ("created_at", "created_at"),
                ("id", "id"),
            ],
        }
    }
}

impl ExportKind {
    /// The columns the asker gets: money columns only for those who see money.
    fn columns(self, money: bool) -> Vec<(&'static str, &'static str)> {
        self.all_columns()
            .iter()
            .copied()
            .filter(|(_, field)| money || !crate::domain::money::is_money(field))
            .collect()
    }
}

/// One CSV line: each cell neutralised, quoted when it needs to be, CRLF-free line end.
pub fn csv_line(cells: &[&str]) -> String {
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = neutralise(cell);
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push('\n');
    out
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    }
}

/// What the list's filters were, as the export was asked for.
#[derive(Clone, Debug)]
pub enum Filters {
    Records(ListQuery),
    Tickets(TicketQuery),
}

/// Where the next page starts.
#[derive(Clone, Debug)]
enum Next {
    Start,
    Cursor(String),
    Offset(u32),
    End,
}

const PAGE: u32 = 200;

async fn page(
    state: &AppState,
    principal: &Principal,
    kind: ExportKind,
    filters: &Filters,
    next: &Next,
) -> AppResult<(Vec<Value>, Next)> {
    fn values<T: serde::Serialize>(items: Vec<T>) -> Vec<Value> {
        items
            .into_iter()
            .filter_map(|i| serde_json::to_value(i).ok())
            .collect()
    }
    match filters {
        Filters::Records(q) => {
            let mut q = q.clone();
            q.limit = Some(PAGE);
            q.cursor = match next {
                Next::Cursor(c) => Some(c.clone()),
                _ => None,
            };
            let (items, cursor) = match kind {
                ExportKind::Leads => {
                    let p = sales::record::list::<crate::domain::lead::Lead>(state, principal, &q)
                        .await?;
                    (values(p.items), p.next_cursor)
                }
                ExportKind::Contacts => {
                    let p = sales::record::list::<crate::domain::contact::Contact>(
                        state, principal, &q,
                    )
                    .await?;
                    (values(p.items), p.next_cursor)
                }
                ExportKind::Accounts => {
                    let p = sales::record::list::<crate::domain::account::Account>(
                        state, principal, &q,
                    )
                    .await?;
                    (values(p.items), p.next_cursor)
                }
                ExportKind::Opportunities => {
                    let p = sales::record::list::<crate::domain::opportunity::Opportunity>(
                        state, principal, &q,
                    )
                    .await?;
                    (values(p.items), p.next_cursor)
                }
                ExportKind::Tickets => return Err(AppError::NotFound),
            };
            Ok((items, cursor.map_or(Next::End, Next::Cursor)))
        }
        Filters::Tickets(q) => {
            let mut q = q.clone();
            let offset = match next {
                Next::Offset(o) => *o,
                _ => 0,
            };
            q.limit = Some(PAGE);
            q.offset = Some(offset);
            let list = support::tickets::list(state, principal, &q).await?;
            let n = list.items.len() as u32;
            let next = if n < PAGE {
                Next::End
            } else {
                Next::Offset(offset + n)
            };
            Ok((values(list.items), next))
        }
    }
}

fn lines(columns: &[(&str, &str)], items: &[Value]) -> String {
    let mut out = String::with_capacity(items.len() * 160);
    for item in items {
        let cells: Vec<String> = columns
            .iter()
            .map(|(_, key)| cell(item.get(*key)))
            .collect();
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        out.push_str(&csv_line(&refs));
    }
    out
}

/// Starts an export: checks who is asking and the filters (reading the first page), audits
/// it, and returns the file name and the stream of its text.
pub async fn export(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    kind: ExportKind,
    filters: Filters,
) -> AppResult<(String, BoxStream<'static, Result<String, std::io::Error>>)> {
    let staff = authorize(principal, Action::Read, Target::kind(kind.record_kind()))?;
    refuse_while_impersonating(principal, Guarded::Export)?;
    let (first, next) = page(state, principal, kind, &filters, &Next::Start).await?;
    let described = match &filters {
        Filters::Records(q) => serde_json::to_value(q).unwrap_or(Value::Null),
        Filters::Tickets(q) => serde_json::to_value(q).unwrap_or(Value::Null),
    };
    let now = state.now();
    {
        let mut tx = state.db.begin().await?;
        let w = Actor { staff, client };
        let mut entry = w.entry(
            &format!("{}.exported", kind.as_str()),
            kind.record_kind(),
            staff.user.id,
            json!({ "filters": described }),
        );
        entry.target_type = Some("export".into());
        entry.target_id = None;
        audit::insert(&mut tx.c(), &entry, now).await?;
        tx.commit().await?;
    }
    let columns = kind.columns(crate::server::policy::sees_money(staff));
    let headers: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
    let head = format!("{}{}", csv_line(&headers), lines(&columns, &first));
    let state = state.clone();
    let principal = principal.clone();
    let rest = futures::stream::unfold(next, move |next| {
        let (state, principal, filters) = (state.clone(), principal.clone(), filters.clone());
        let columns = columns.clone();
        async move {
            if matches!(next, Next::End) {
                return None;
            }
            match page(&state, &principal, kind, &filters, &next).await {
                Ok((items, after)) => Some((Ok(lines(&columns, &items)), after)),
                Err(e) => {
                    tracing::error!(error = ?e, "export stopped");
                    Some((Err(std::io::Error::other("export stopped")), Next::End))
                }
            }
        }
    });
    let name = format!("{}-{}.csv", kind.as_str(), now.format("%Y-%m-%d"));
    // Fused: a body may be polled again after it ended (the compression layer does).
    Ok((
        name,
        futures::stream::once(async move { Ok(head) })
            .chain(rest)
            .fuse()
            .boxed(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_quote_and_neutralise() {
        assert_eq!(
            csv_line(&["a", "b,c", "say \"hi\"", "=1+1", ""]),
            "a,\"b,c\",\"say \"\"hi\"\"\",'=1+1,\n"
        );
        assert_eq!(csv_line(&["multi\nline"]), "\"multi\nline\"\n");
    }
}
