//! Forms built from field descriptions: one component renders every record's create form and
//! inline editor, so each record page only says which fields it has.

use super::picker::{RecordPicker, UserSelect};
use crate::domain::error::AppError;
use crate::domain::records::RecordKind;
use leptos::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What kind of input a field takes.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Text,
    Email,
    Tel,
    Number,
    Money,
    Date,
    TextArea,
    /// `(value, label)` pairs; an empty choice is offered when the field is optional, and a
    /// "Choose…" placeholder when it is required.
    Choice(Vec<(String, String)>),
    Check,
    /// Another record, chosen by searching.
    Pick(RecordKind),
    /// A staff member.
    User,
}

/// One field of a form: its description and its current value.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub input: Input,
    pub required: bool,
    pub wide: bool,
    /// The value as the input holds it: an id for pickers, `true`/`false` for checks.
    pub raw: String,
    /// What the read-only view shows.
    pub shown: String,
    /// Where the shown value links to.
    pub href: Option<String>,
}

impl Field {
    pub fn new(key: &'static str, label: &'static str, input: Input) -> Field {
        Field {
            key,
            label,
            input,
            required: false,
            wide: false,
            raw: String::new(),
            shown: String::new(),
            href: None,
        }
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn wide(mut self) -> Field {
        self.wide = true;
        self
    }

    /// Sets the value; what is shown is the value itself.
    pub fn value(mut self, raw: impl Into<String>) -> Field {
        self.raw = raw.into();
        self.shown = match &self.input {
            Input::Choice(options) => options
                .iter()
                .find(|(v, _)| *v == self.raw)
                .map(|(_, l)| l.clone())
                .unwrap_or_default(),
            Input::Check => {
                if self.raw == "true" {
                    "Yes".into()
                } else {
                    "No".into()
                }
            }
            _ => self.raw.clone(),
        };
        self
    }

    pub fn opt(self, raw: Option<impl ToString>) -> Field {
        self.value(raw.map(|r| r.to_string()).unwrap_or_default())
    }

    /// A reference: the id held, the name shown, the page linked.
    pub fn reference(
        mut self,
        id: Option<uuid::Uuid>,
        name: Option<String>,
        href: Option<String>,
    ) -> Field {
        self.raw = id.map(|i| i.to_string()).unwrap_or_default();
        self.shown = name.unwrap_or_default();
        self.href = id.and(href);
        self
    }

    /// Where the shown value leads: the reference's page, else an email address writes to
    /// it (`mailto:`) and a phone number calls it (`tel:`).
    pub fn link(&self) -> Option<String> {
        if self.href.is_some() {
            return self.href.clone();
        }
        let raw = self.raw.trim();
        match self.input {
            Input::Email if raw.contains('@') => Some(format!("mailto:{raw}")),
            Input::Tel => {
                let number: String = raw
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                (number.len() >= 3).then(|| format!("tel:{number}"))
            }
            _ => None,
        }
    }

    pub fn shown(mut self, shown: impl Into<String>) -> Field {
        self.shown = shown.into();
        self
    }
}

/// `(value, label)` pairs for a select box from a choice enum's options.
pub fn choices(options: Vec<(&'static str, &'static str)>) -> Vec<(String, String)> {
    options
        .into_iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect()
}

/// The JSON value of an input's text: empty is `null`.
pub fn json_of(input: &Input, raw: &str) -> Value {
    let raw = raw.trim();
    match input {
        Input::Check => Value::Bool(raw == "true"),
        _ if raw.is_empty() => Value::Null,
        Input::Number => raw
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(raw.into())),
        _ => Value::String(raw.into()),
    }
}

/// The fields whose value differs from where they started, as JSON.
pub fn changed(fields: &[Field], values: &BTreeMap<&'static str, String>) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|f| {
            let now = values.get(f.key)?;
            (now.trim() != f.raw.trim()).then(|| (f.key.to_string(), json_of(&f.input, now)))
        })
        .collect()
}

/// Every field as JSON (for a create), leaving out empty optional ones.
pub fn all_values(fields: &[Field], values: &BTreeMap<&'static str, String>) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|f| {
            let v = json_of(
                &f.input,
                values.get(f.key).map(String::as_str).unwrap_or(&f.raw),
            );
            (!v.is_null()).then(|| (f.key.to_string(), v))
        })
        .collect()
}

pub fn initial_values(fields: &[Field]) -> BTreeMap<&'static str, String> {
    fields.iter().map(|f| (f.key, f.raw.clone())).collect()
}

/// Where a form stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Submit {
    #[default]
    Idle,
    Busy,
    Failed(AppError),
    Done,
}

impl Submit {
    pub fn error(&self) -> Option<&AppError> {
        match self {
            Submit::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// The message above a form: everything that is not about one field.
#[component]
pub fn FormMessage(state: RwSignal<Submit>) -> impl IntoView {
    move || {
        state.with(|s| match s.error() {
            Some(AppError::Validation { message, fields }) if !fields.is_empty() => {
                Some(view! { <p class="form-error" role="alert">{message.clone()}</p> }.into_any())
            }
            Some(AppError::Conflict { .. }) => None,
            Some(e) => {
                Some(view! { <p class="form-error" role="alert">{e.message()}</p> }.into_any())
            }
            None => None,
        })
    }
}

/// The inputs of `fields`, writing into `values`; errors from `state` show beside their field.
#[component]
pub fn FieldInputs(
    fields: Vec<Field>,
    values: RwSignal<BTreeMap<&'static str, String>>,
    state: RwSignal<Submit>,
    /// Makes element ids unique when two forms share a page.
    #[prop(into)]
    prefix: String,
) -> impl IntoView {
    // The values as they were when the server refused them: a field's error stays only while
    // its value is still the refused one, so fixing a field clears its message at once.
    let refused = RwSignal::new(None::<BTreeMap<&'static str, String>>);
    Effect::new(move |_| {
        let failed = state.with(|s| s.error().is_some());
        refused.set(failed.then(|| values.get_untracked()));
    });
    fields
        .into_iter()
        .map(|f| {
            let id = format!("{prefix}-{}", f.key);
            let key = f.key;
            let unchanged = move || {
                refused.with(|r| {
                    r.as_ref()
                        .is_none_or(|r| values.with(|v| v.get(key) == r.get(key)))
                })
            };
            let error = move || {
                unchanged()
                    .then(|| state.with(|s| s.error().and_then(|e| e.field(key))))
                    .flatten()
            };
            let error_id = format!("{id}-error");
            let described = error_id.clone();
            let value = move || values.with(|v| v.get(key).cloned().unwrap_or_default());
            let set = move |text: String| values.update(|v| {
                v.insert(key, text);
            });
            let invalid = move || error().is_some().then_some("true");
            let required = f.required;
            let control = match f.input.clone() {
                Input::TextArea => view! {
                    <textarea id=id.clone() rows="4" prop:value=value aria-invalid=invalid
                        aria-describedby=described.clone()
                        on:input=move |ev| set(event_target_value(&ev))></textarea>
                }
                .into_any(),
                Input::Choice(options) => {
                    // A required choice starts unchosen ("Choose…", which cannot be submitted as
                    // an answer) rather than silently on its first option.
                    let empty = if required {
                        view! { <option value="" disabled=true>"Choose…"</option> }.into_any()
                    } else {
                        view! { <option value="">"—"</option> }.into_any()
                    };
                    view! {
                        <select id=id.clone() prop:value=value aria-invalid=invalid aria-describedby=described.clone()
                            on:change=move |ev| set(event_target_value(&ev))>
                            {empty}
                            {options.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                        </select>
                    }
                    .into_any()
                }
                Input::Check => view! {
                    <input id=id.clone() type="checkbox" prop:checked=move || value() == "true"
                        on:change=move |ev| set(event_target_checked(&ev).to_string())/>
                }
                .into_any(),
                Input::Pick(kind) => view! {
                    <RecordPicker id=id.clone() kind=kind value=values key=key initial=f.shown.clone()/>
                }
                .into_any(),
                Input::User => view! { <UserSelect id=id.clone() value=values key=key required=required/> }.into_any(),
                other => {
                    let (kind, mode) = match other {
                        Input::Email => ("email", "email"),
                        Input::Tel => ("tel", "tel"),
                        Input::Number => ("text", "numeric"),
                        Input::Money => ("text", "decimal"),
                        Input::Date => ("date", "text"),
                        _ => ("text", "text"),
                    };
                    view! {
                        <input id=id.clone() type=kind inputmode=mode prop:value=value aria-invalid=invalid
                            aria-describedby=described.clone() on:input=move |ev| set(event_target_value(&ev))/>
                    }
                    .into_any()
                }
            };
            let class = if f.wide { "field wide" } else { "field" };
            let label = if f.required { format!("{} *", f.label) } else { f.label.to_string() };
            view! {
                <div class=class>
                    <label for=id.clone()>{label}</label>
                    {control}
                    {move || error().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
                </div>
            }
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::{Field, Input};

    #[test]
    fn addresses_write_and_numbers_call() {
        let email = Field::new("email", "Email", Input::Email).value("ada@example.com");
        assert_eq!(email.link().as_deref(), Some("mailto:ada@example.com"));
        let phone = Field::new("phone", "Phone", Input::Tel).value("+44 (20) 7946-0018");
        assert_eq!(phone.link().as_deref(), Some("tel:+442079460018"));
        assert_eq!(Field::new("phone", "Phone", Input::Tel).link(), None);
        assert_eq!(
            Field::new("name", "Name", Input::Text).value("Ada").link(),
            None
        );
    }
}

/// The message a refused save has for `field`, shown under it (nothing while there is none).
pub fn field_problem(
    error: RwSignal<Option<AppError>>,
    field: &'static str,
) -> impl Fn() -> Option<AnyView> + Copy {
    move || {
        error
            .get()
            .and_then(|e| e.field(field))
            .map(|m| view! { <p class="field-error">{m}</p> }.into_any())
    }
}
