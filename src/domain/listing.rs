//! List requests (filters, sort, page size, cursor) and the pages they answer.

use super::error::AppError;
use super::records::RecordKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A list request: filters, sort, page size and the cursor of the previous page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
    /// Only the records owned by this team's members and manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Activities and tasks: the record they are about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_type: Option<RecordKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_id: Option<Uuid>,
    /// Tasks: who does them, and whether only open ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    /// Opportunities: expected close from / to (inclusive days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_from: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_to: Option<chrono::NaiveDate>,
    /// Opportunities: closed (won or lost) from / to (inclusive days, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_from: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_to: Option<chrono::NaiveDate>,
    /// Opportunities: why they were lost (`unknown` for none recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

impl ListQuery {
    pub fn page_size(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }

    /// The query without its cursor: the first page of the same list.
    pub fn first_page(&self) -> ListQuery {
        ListQuery {
            cursor: None,
            ..self.clone()
        }
    }

    /// As URL query parameters (for links and exports).
    pub fn to_query_string(&self) -> String {
        use super::links::urlencode;
        let mut parts = Vec::new();
        let mut push = |k: &str, v: String| parts.push(format!("{k}={}", urlencode(&v)));
        if let Some(v) = &self.status {
            push("status", v.clone());
        }
        if let Some(v) = &self.stage {
            push("stage", v.clone());
        }
        if let Some(v) = self.owner_id {
            push("owner_id", v.to_string());
        }
        if let Some(v) = self.account_id {
            push("account_id", v.to_string());
        }
        if let Some(v) = &self.q {
            push("q", v.clone());
        }
        if let Some(v) = self.related_type {
            push("related_type", v.as_str().to_string());
        }
        if let Some(v) = self.related_id {
            push("related_id", v.to_string());
        }
        if let Some(v) = self.assignee_id {
            push("assignee_id", v.to_string());
        }
        if let Some(v) = self.open {
            push("open", v.to_string());
        }
        for (k, v) in [
            ("close_from", self.close_from),
            ("close_to", self.close_to),
            ("closed_from", self.closed_from),
            ("closed_to", self.closed_to),
        ] {
            if let Some(v) = v {
                push(k, v.format("%Y-%m-%d").to_string());
            }
        }
        if let Some(v) = &self.lost_reason {
            push("lost_reason", v.clone());
        }
        if let Some(v) = &self.sort {
            push("sort", v.clone());
        }
        if let Some(v) = self.limit {
            push("limit", v.to_string());
        }
        if let Some(v) = &self.cursor {
            push("cursor", v.clone());
        }
        parts.join("&")
    }
}

/// A sort order parsed from `sort=name` or `sort=-created_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort<'a> {
    pub field: &'a str,
    pub descending: bool,
}

impl<'a> Sort<'a> {
    /// Parses `sort` against the fields a list allows; `default` when absent.
    pub fn parse(
        sort: Option<&'a str>,
        allowed: &[&str],
        default: Sort<'a>,
    ) -> Result<Sort<'a>, AppError> {
        let Some(raw) = sort.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(default);
        };
        let (field, descending) = match raw.strip_prefix('-') {
            Some(f) => (f, true),
            None => (raw, false),
        };
        if allowed.contains(&field) {
            Ok(Sort { field, descending })
        } else {
            Err(AppError::invalid(
                "sort",
                format!("Sort by one of: {}.", allowed.join(", ")),
            ))
        }
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
