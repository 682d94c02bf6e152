//! Opportunities (deals) and the pipeline stages they move through, with the gates a stage
//! puts on the fields an opportunity must have.

use super::error::{AppError, FieldErrors};
use super::records::{Check, clean, nullable, opt_decimal_minor, patch_decimal_minor};
use super::user::Role;
use crate::choice_enum;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

choice_enum!(
    /// Why a deal was lost: a short list, so reports mean something.
    LostReason {
        Price = "price" / "Price",
        Timing = "timing" / "Timing",
        MissingFeature = "missing_feature" / "Missing feature",
        Competitor = "competitor" / "Picked a competitor",
        NoResponse = "no_response" / "No response",
        InternalChange = "internal_change" / "Internal change",
        Other = "other" / "Other",
    }
);

choice_enum!(
    /// Whether a stage is still open, or closes the deal as won or lost.
    StageKind {
        Open = "open" / "Open",
        Won = "won" / "Closed won",
        Lost = "lost" / "Closed lost",
    }
);

impl Default for StageKind {
    fn default() -> Self {
        StageKind::Open
    }
}

/// Fields a stage can require before an opportunity may enter it.
pub const GATE_FIELDS: &[(&str, &str)] = &[
    ("value", "Value"),
    ("expected_close", "Expected close"),
    ("account_id", "Account"),
    ("primary_contact_id", "Primary contact"),
    ("lost_reason", "Lost reason"),
];

pub fn gate_field_label(field: &str) -> &str {
    GATE_FIELDS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(field, |(_, l)| l)
}

/// One stage of the pipeline, as configured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StageDef {
    pub key: String,
    pub label: String,
    pub position: i32,
    pub probability: i32,
    pub kind: StageKind,
    #[serde(default)]
    pub required_fields: Vec<String>,
    #[serde(default)]
    pub aging_days: Option<i32>,
}

impl StageDef {
    pub fn is_closed(&self) -> bool {
        self.kind != StageKind::Open
    }

    /// Everything this stage requires: what it was configured with, plus what its kind
    /// always needs (a won deal has a value and an account; a lost one has a reason).
    pub fn requirements(&self) -> Vec<String> {
        let mut fields = self.required_fields.clone();
        let always: &[&str] = match self.kind {
            StageKind::Won => &["value", "account_id"],
            StageKind::Lost => &["lost_reason"],
            StageKind::Open => &[],
        };
        for f in always {
            if !fields.iter().any(|x| x == f) {
                fields.push((*f).to_string());
            }
        }
        fields
    }

    /// The required fields `f` lacks for this stage.
    pub fn missing(&self, f: &OpportunityFields) -> Vec<String> {
        self.requirements()
            .into_iter()
            .filter(|field| match field.as_str() {
                "value" => f.value.is_none_or(|v| v <= 0),
                "expected_close" => f.expected_close.is_none(),
                "account_id" => f.account_id.is_none(),
                "primary_contact_id" => f.primary_contact_id.is_none(),
                "lost_reason" => f.lost_reason.is_none(),
                _ => false,
            })
            .collect()
    }

    /// What a person can tell is missing: someone who does not see values cannot tell whether
    /// one is set (it reaches them blank), so that one the server decides.
    pub fn missing_in_sight(&self, f: &OpportunityFields, money: bool) -> Vec<String> {
        let mut missing = self.missing(f);
        if !money {
            missing.retain(|field| field != "value");
        }
        missing
    }
}

/// The pipeline of a fresh installation (seed 004): Lead, Qualified, Proposal, Negotiation,
/// Won, Lost; Proposal needs a value and an expected close, Negotiation a primary contact (seed
/// 002's exit criteria; migration 0008 gives them to the stored stages).
pub fn default_stages() -> Vec<StageDef> {
    let stage = |key: &str, label: &str, position, probability, kind, gate: &[&str]| StageDef {
        key: key.into(),
        label: label.into(),
        position,
        probability,
        kind,
        required_fields: gate.iter().map(|f| (*f).to_string()).collect(),
        aging_days: None,
    };
    vec![
        stage("lead", "Lead", 1, 10, StageKind::Open, &[]),
        stage("qualified", "Qualified", 2, 25, StageKind::Open, &[]),
        stage(
            "proposal",
            "Proposal",
            3,
            50,
            StageKind::Open,
            &["value", "expected_close"],
        ),
        stage(
            "negotiation",
            "Negotiation",
            4,
            75,
            StageKind::Open,
            &["primary_contact_id"],
        ),
        stage("won", "Won", 5, 100, StageKind::Won, &[]),
        stage("lost", "Lost", 6, 0, StageKind::Lost, &[]),
    ]
}

/// Whether a move takes a closed deal out of its outcome: won or lost to an open stage, or
/// won to lost and back. Between two stages of the same outcome (Paid → Repeat Buyer) it is not.
pub fn is_reopening(from: &StageDef, to: &StageDef) -> bool {
    from.key != to.key && from.is_closed() && from.kind != to.kind
}

/// Whether `role` may move an opportunity from `from` to `to` with these fields. Open stages
/// move freely; a closed deal reopens only by a manager or admin; the target's gate must pass.
pub fn check_stage_move(
    from: &StageDef,
    to: &StageDef,
    fields: &OpportunityFields,
    role: Role,
) -> Result<(), AppError> {
    if is_reopening(from, to) && !matches!(role, Role::Manager | Role::Admin | Role::SuperAdmin) {
        return Err(AppError::forbidden(
            "Only a manager or admin can reopen a closed opportunity.",
        ));
    }
    let missing = to.missing(fields);
    if missing.is_empty() {
        return Ok(());
    }
    let mut errors = FieldErrors::new();
    for field in &missing {
        let message = match field.as_str() {
            "value" => format!("A value above zero is required for {}.", to.label),
            _ => format!("{} is required for {}.", gate_field_label(field), to.label),
        };
        errors.insert(field.clone(), vec![message]);
    }
    Err(AppError::Validation {
        message: format!("Complete the fields {} requires.", to.label),
        fields: errors,
    })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OpportunityFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub account_id: Option<Uuid>,
    #[serde(default)]
    pub primary_contact_id: Option<Uuid>,
    /// Minor units; sent and shown as a decimal.
    #[serde(default, with = "opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub value: Option<i64>,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default)]
    pub expected_close: Option<NaiveDate>,
    #[serde(default)]
    pub lost_reason: Option<LostReason>,
}

fn default_currency() -> String {
    super::records::DEFAULT_CURRENCY.to_string()
}

impl Default for OpportunityFields {
    fn default() -> Self {
        OpportunityFields {
            name: String::new(),
            account_id: None,
            primary_contact_id: None,
            value: None,
            currency: default_currency(),
            expected_close: None,
            lost_reason: None,
        }
    }
}

impl OpportunityFields {
    pub fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
        self.currency = self.currency.trim().to_uppercase();
        if self.currency.is_empty() {
            self.currency = default_currency();
        }
    }

    pub fn check(&self, c: &mut Check) {
        c.when(self.name.trim().is_empty(), "name", "Name the opportunity.");
        c.length("name", Some(&self.name), 200);
        c.when(
            self.value.is_some_and(|v| v < 0),
            "value",
            "The value cannot be negative.",
        );
        let currency_ok =
            self.currency.len() == 3 && self.currency.chars().all(|c| c.is_ascii_uppercase());
        c.when(
            !currency_ok,
            "currency",
            "Use a three-letter currency code such as USD.",
        );
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Opportunity {
    pub id: Uuid,
    pub owner_id: Uuid,
    #[serde(default)]
    pub owner_name: Option<String>,
    #[serde(flatten)]
    pub fields: OpportunityFields,
    pub stage: String,
    /// The stage's label as configured (what people read; `stage` is its key).
    #[serde(default)]
    pub stage_label: Option<String>,
    pub probability: i32,
    #[serde(default)]
    pub account_name: Option<String>,
    #[serde(default)]
    pub primary_contact_name: Option<String>,
    pub stage_entered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub lead_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewOpportunity {
    #[serde(flatten)]
    pub fields: OpportunityFields,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub probability: Option<i32>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OpportunityPatch {
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_id: Option<Option<Uuid>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary_contact_id: Option<Option<Uuid>>,
    #[serde(
        default,
        with = "patch_decimal_minor",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub value: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub expected_close: Option<Option<NaiveDate>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub lost_reason: Option<Option<LostReason>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
}

impl OpportunityPatch {
    pub fn apply(&self, f: &mut OpportunityFields) {
        if let Some(v) = &self.name {
            f.name = v.clone();
        }
        if let Some(v) = &self.currency {
            f.currency = v.clone();
        }
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = &self.$field { f.$field = v.clone(); })* };
        }
        set!(
            account_id,
            primary_contact_id,
            value,
            expected_close,
            lost_reason
        );
        f.normalize();
    }
}

pub fn check_probability(p: Option<i32>, c: &mut Check) {
    c.when(
        p.is_some_and(|p| !(0..=100).contains(&p)),
        "probability",
        "Use a probability from 0 to 100.",
    );
}

/// A stage change as the history keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct StageChange {
    pub id: Uuid,
    pub opportunity_id: Uuid,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub at: DateTime<Utc>,
    pub by_user_id: Option<Uuid>,
}

/// Trims an optional name-like field for an opportunity created elsewhere (qualify, import).
pub fn opportunity_name_for(company: Option<&str>, person: &str) -> String {
    match clean(company.map(str::to_string)) {
        Some(c) => format!("{c} deal"),
        None => format!("{} deal", person.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(key: &str) -> StageDef {
        default_stages().into_iter().find(|s| s.key == key).unwrap()
    }

    #[test]
    fn won_needs_a_value_and_an_account_and_lost_needs_a_reason() {
        let mut f = OpportunityFields {
            name: "Deal".into(),
            ..Default::default()
        };
        let err = check_stage_move(&stage("proposal"), &stage("won"), &f, Role::Sales).unwrap_err();
        assert!(
            err.field("value").is_some() && err.field("account_id").is_some(),
            "{err:?}"
        );
        f.value = Some(0);
        f.account_id = Some(Uuid::nil());
        assert!(
            check_stage_move(&stage("proposal"), &stage("won"), &f, Role::Sales)
                .unwrap_err()
                .field("value")
                .is_some()
        );
        f.value = Some(100);
        assert!(check_stage_move(&stage("proposal"), &stage("won"), &f, Role::Sales).is_ok());
        let lost = check_stage_move(&stage("lead"), &stage("lost"), &f, Role::Sales).unwrap_err();
        assert!(lost.field("lost_reason").is_some());
    }

    #[test]
    fn open_stages_move_freely_and_only_managers_reopen() {
        let f = OpportunityFields {
            name: "Deal".into(),
            ..Default::default()
        };
        assert!(check_stage_move(&stage("negotiation"), &stage("lead"), &f, Role::Sales).is_ok());
        let reopen =
            check_stage_move(&stage("won"), &stage("negotiation"), &f, Role::Sales).unwrap_err();
        assert_eq!(reopen.status(), 403);
        assert!(check_stage_move(&stage("won"), &stage("qualified"), &f, Role::Manager).is_ok());
        // Negotiation's shipped gate asks for a primary contact, reopening or not.
        let gated =
            check_stage_move(&stage("won"), &stage("negotiation"), &f, Role::Manager).unwrap_err();
        assert!(gated.field("primary_contact_id").is_some(), "{gated:?}");
    }

    #[test]
    fn configured_gates_add_to_the_built_in_ones() {
        let mut proposal = stage("proposal");
        proposal.required_fields = vec!["value".into(), "expected_close".into()];
        let f = OpportunityFields {
            name: "Deal".into(),
            value: Some(5),
            ..Default::default()
        };
        assert_eq!(proposal.missing(&f), vec!["expected_close".to_string()]);
    }

    #[test]
    fn values_travel_as_decimals() {
        let f: OpportunityFields =
            serde_json::from_str(r#"{"name":"D","value":"1250.50"}"#).unwrap();
        assert_eq!(f.value, Some(125_050));
        assert_eq!(
            serde_json::to_value(&f).unwrap()["value"],
            serde_json::json!(1250.5)
        );
        let p: OpportunityPatch = serde_json::from_str(r#"{"version":1,"value":null}"#).unwrap();
        assert_eq!(p.value, Some(None));
    }
}
