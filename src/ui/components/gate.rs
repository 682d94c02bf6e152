//! The stage gate: the form asking for exactly the fields a stage needs before an opportunity
//! may enter it. One component for the board (on drop) and the opportunity page (on a stage
//! click), so both ask the same way and show each error on its field.

use crate::domain::error::AppError;
use crate::domain::opportunity::{LostReason, OpportunityPatch, StageDef};
use crate::domain::records::RecordKind;
use crate::ui::components::editing::CreateForm;
use crate::ui::components::form::{Field, Input, Submit, choices};
use leptos::prelude::*;
use serde_json::{Map, Value};

/// The inputs for the gate fields `missing` names, each required.
pub fn gate_fields(missing: &[String]) -> Vec<Field> {
    missing
        .iter()
        .filter_map(|f| match f.as_str() {
            "value" => Some(Field::new("value", "Value", Input::Money)),
            "expected_close" => Some(Field::new("expected_close", "Expected close", Input::Date)),
            "account_id" => Some(Field::new(
                "account_id",
                "Account",
                Input::Pick(RecordKind::Account),
            )),
            "primary_contact_id" => Some(Field::new(
                "primary_contact_id",
                "Primary contact",
                Input::Pick(RecordKind::Contact),
            )),
            // No reason is chosen for the person: a preselected one skews the lost-reason report.
            "lost_reason" => Some(Field::new(
                "lost_reason",
                "Lost reason",
                Input::Choice(choices(LostReason::options())),
            )),
            _ => None,
        })
        .map(Field::required)
        .collect()
}

/// The gate's form for moving `name` (at `version`) into `to`: on submit, `on_patch` gets the
/// stage move with the fields filled in; `state` shows progress and the server's field errors.
#[component]
pub fn StageGateForm(
    name: String,
    to: StageDef,
    missing: Vec<String>,
    version: i64,
    state: RwSignal<Submit>,
    on_patch: Callback<OpportunityPatch>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    if !crate::ui::components::shell::use_can().money && missing.iter().any(|f| f == "value") {
        // The value is the one gate field this person cannot see or set: say who can.
        return view! {
            <p class="muted gate-intro" role="alert">
                {format!("{name} needs a value above zero before it can enter ")}<strong>{to.label.clone()}</strong>
                ". Your role does not see values: ask someone who does, such as your manager, to set it."
            </p>
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| on_cancel.run(())>"Close"</button>
            </div>
        }
        .into_any();
    }
    let fields = gate_fields(&missing);
    let key = to.key.clone();
    let on_submit = Callback::new(move |mut values: Map<String, Value>| {
        values.insert("version".into(), Value::from(version));
        values.insert("stage".into(), Value::String(key.clone()));
        match serde_json::from_value::<OpportunityPatch>(Value::Object(values)) {
            Ok(patch) => on_patch.run(patch),
            Err(e) => state.set(Submit::Failed(AppError::invalid("form", e.to_string()))),
        }
    });
    view! {
        <p class="muted gate-intro">
            {format!("{name} needs this before it can enter ")}<strong>{to.label.clone()}</strong>"."
        </p>
        <CreateForm fields=fields submit_label=format!("Move to {}", to.label) prefix="gate" state=state on_submit=on_submit
            on_cancel=on_cancel/>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::gate_fields;

    #[test]
    fn every_gate_field_is_asked_for_and_required() {
        let all: Vec<String> = crate::domain::opportunity::GATE_FIELDS
            .iter()
            .map(|(f, _)| (*f).to_string())
            .collect();
        let fields = gate_fields(&all);
        assert_eq!(fields.len(), all.len());
        assert!(fields.iter().all(|f| f.required));
    }
}
