//! Kickoff forms: admins define them; anyone may submit one at `/forms/:slug`, which creates
//! a lead or a prospect contact owned by the form's owner.

use crate::domain::contact::{Contact, ContactFields, ContactRole};
use crate::domain::error::{AppError, AppResult, FieldErrors};
use crate::domain::form::{FormCreates, FormDef, FormInput, HONEYPOT, SUBMISSION_KEY};
use crate::domain::lead::{Lead, LeadFields, LeadSource, LeadStatus};
use crate::domain::records::RecordKind;
use crate::server::auth::secret;
use crate::server::db::{self, audit, contacts, forms, leads, throttle};
use crate::server::policy::{Action, Target, authorize};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::sales::{Actor, stale};
use crate::server::state::AppState;
use chrono::Duration;
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Submissions allowed per client address in the window, across all forms.
pub const MAX_SUBMISSIONS: i64 = 10;
pub const SUBMISSION_WINDOW: Duration = Duration::minutes(10);

pub async fn list(state: &AppState, principal: &Principal) -> AppResult<Vec<FormDef>> {
    authorize(
        principal,
        Action::Administer,
        Target::kind(RecordKind::Form),
    )?;
    let mut h = state.db.handle().await?;
    Ok(forms::list(&mut h.c()).await?)
}

pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<FormDef> {
    authorize(
        principal,
        Action::Administer,
        Target::kind(RecordKind::Form),
    )?;
    let mut h = state.db.handle().await?;
    forms::by_id(&mut h.c(), id)
        .await?
        .ok_or(AppError::NotFound)
}

fn slug_taken() -> AppError {
    AppError::invalid("slug", "Another form already uses this address.")
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    mut input: FormInput,
) -> AppResult<FormDef> {
    let staff = authorize(
        principal,
        Action::Administer,
        Target::kind(RecordKind::Form),
    )?;
    let w = Actor { staff, client };
    input.normalize();
    input.validate()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if forms::by_slug(&mut tx.c(), &input.slug).await?.is_some() {
        return Err(slug_taken());
    }
    let id = Uuid::now_v7();
    forms::insert(&mut tx.c(), id, &input, staff.user.id, now).await?;
    w.audit(
        &mut tx.c(),
        "form.created",
        RecordKind::Form,
        id,
        json!({ "form": &input }),
        now,
    )
    .await?;
    let saved = forms::by_id(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    version: i64,
    mut input: FormInput,
) -> AppResult<FormDef> {
    let staff = authorize(
        principal,
        Action::Administer,
        Target::kind(RecordKind::Form),
    )?;
    let w = Actor { staff, client };
    input.normalize();
    input.validate()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let current = forms::by_id(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if current.version != version {
        return Err(stale(&current));
    }
    if input.slug != current.input.slug && forms::by_slug(&mut tx.c(), &input.slug).await?.is_some()
    {
        return Err(slug_taken());
    }
    if !forms::update(&mut tx.c(), id, version, &input, now).await? {
        return Err(stale(&current));
    }
    w.audit(
        &mut tx.c(),
        "form.updated",
        RecordKind::Form,
        id,
        json!({ "before": current.input, "after": &input }),
        now,
    )
    .await?;
    let saved = forms::by_id(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

/// The public definition of an active form (anyone may read it).
pub async fn public_form(state: &AppState, slug: &str) -> AppResult<FormDef> {
    let mut h = state.db.handle().await?;
    forms::by_slug(&mut h.c(), &slug.to_lowercase())
        .await?
        .filter(|f| f.input.active)
        .ok_or(AppError::NotFound)
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    Created {
        kind: RecordKind,
        id: Uuid,
    },
    /// The same submission again (double click, reload): nothing new was created.
    Repeated {
        kind: RecordKind,
        id: Uuid,
    },
    /// A bot filled the honeypot: thanked, and nothing is stored.
    Ignored,
    /// The answers need fixing.
    Invalid(FieldErrors),
}

/// Takes a posted form. The caller shows the thank-you page for everything but `Invalid`.
pub async fn submit(
    state: &AppState,
    client: &ClientInfo,
    slug: &str,
    posted: &BTreeMap<String, String>,
) -> AppResult<Submitted> {
    let form = public_form(state, slug).await?;
    if posted.get(HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!(form = %form.input.slug, ip = %client.ip, "form honeypot filled: ignored");
        return Ok(Submitted::Ignored);
    }
    let answers = match form.input.read(posted) {
        Ok(a) => a,
        Err(fields) => return Ok(Submitted::Invalid(fields)),
    };
    // The page carries a key made when it was served; without one (a hand-made post), the
    // content itself is the key, so the same post twice still creates one record.
    let key = match posted
        .get(SUBMISSION_KEY)
        .map(|k| k.trim())
        .filter(|k| !k.is_empty() && k.len() <= 100)
    {
        Some(k) => k.to_string(),
        None => secret::digest(&format!("{}\n{:?}", client.ip, posted)),
    };
    let now = state.now();
    let throttle_key = format!("form:{}", client.ip);
    let mut tx = state.db.begin().await?;
    if let Some((kind, id)) = forms::submission(&mut tx.c(), form.id, &key).await? {
        let kind = kind.parse().unwrap_or(RecordKind::Lead);
        return Ok(Submitted::Repeated { kind, id });
    }
    let (recent, _) =
        throttle::failures_since(&mut tx.c(), &throttle_key, now - SUBMISSION_WINDOW).await?;
    if recent >= MAX_SUBMISSIONS {
        return Err(AppError::RateLimited {
            retry_after_secs: SUBMISSION_WINDOW.num_seconds().unsigned_abs(),
        });
    }
    throttle::record_failure(&mut tx.c(), &throttle_key, now).await?;
    let utm = |k: &str| answers.utm.get(k).cloned();
    let custom = serde_json::Value::Object(answers.custom.clone());
    let (kind, id, fields_json) = match form.input.creates {
        FormCreates::Lead => {
            let mut fields = LeadFields {
                name: answers.name.clone().unwrap_or_default(),
                company: answers.company.clone(),
                email: answers.email.clone(),
                phone: answers.phone.clone(),
                source: LeadSource::Web,
                utm_source: utm("utm_source"),
                utm_medium: utm("utm_medium"),
                utm_campaign: utm("utm_campaign"),
            };
            fields.normalize();
            let id = Uuid::now_v7();
            let lead = Lead::fresh(id, form.owner_id, fields, LeadStatus::New, now);
            leads::insert(&mut tx.c(), &lead).await?;
            forms::set_custom(&mut tx.c(), "leads", id, &custom).await?;
            (RecordKind::Lead, id, json!(lead.fields))
        }
        FormCreates::Contact => {
            let email = answers.email.clone().unwrap_or_default();
            if let Some(existing) = contacts::id_by_email(&mut tx.c(), &email).await? {
                // Someone we know: nothing is duplicated; staff see the submission on the audit log.
                forms::insert_submission(
                    &mut tx.c(),
                    form.id,
                    &key,
                    RecordKind::Contact.as_str(),
                    existing,
                    &client.ip,
                    now,
                )
                .await?;
                let entry = form_entry(
                    &form,
                    client,
                    "form.submitted_existing",
                    RecordKind::Contact,
                    existing,
                    json!({ "custom": custom, "utm": answers.utm }),
                );
                audit::insert(&mut tx.c(), &entry, now).await?;
                tx.commit().await?;
                return Ok(Submitted::Created {
                    kind: RecordKind::Contact,
                    id: existing,
                });
            }
            let name = answers.name.clone().unwrap_or_default();
            let (first, last) = match name.rsplit_once(' ') {
                Some((f, l)) => (Some(f.to_string()), Some(l.to_string())),
                None => (None, Some(name)),
            };
            let mut fields = ContactFields {
                first_name: first,
                last_name: last,
                email: Some(email),
                phone: answers.phone.clone(),
                role: ContactRole::Prospect,
                ..Default::default()
            };
            fields.normalize();
            let id = Uuid::now_v7();
            let mut custom = answers.custom.clone();
            if let Some(company) = &answers.company {
                custom.insert("company".into(), company.clone().into());
            }
            for (k, v) in &answers.utm {
                custom.insert(k.clone(), v.clone().into());
            }
            let contact = Contact::fresh(id, form.owner_id, fields, now);
            contacts::insert(&mut tx.c(), &contact).await?;
            forms::set_custom(
                &mut tx.c(),
                "contacts",
                id,
                &serde_json::Value::Object(custom),
            )
            .await?;
            (RecordKind::Contact, id, json!(contact.fields))
        }
    };
    forms::insert_submission(
        &mut tx.c(),
        form.id,
        &key,
        kind.as_str(),
        id,
        &client.ip,
        now,
    )
    .await?;
    let entry = form_entry(
        &form,
        client,
        &format!("{}.created", kind.as_str()),
        kind,
        id,
        json!({ "fields": fields_json, "custom": custom, "utm": answers.utm, "form_id": form.id }),
    );
    audit::insert(&mut tx.c(), &entry, now).await?;
    if let Err(e) = tx.commit().await {
        // Two identical posts raced: the other one created the record.
        if db::forms::SUBMISSION_SEEN.violated_by(&e) {
            return Ok(Submitted::Ignored);
        }
        return Err(e.into());
    }
    Ok(Submitted::Created { kind, id })
}

fn form_entry(
    form: &FormDef,
    client: &ClientInfo,
    action: &str,
    kind: RecordKind,
    id: Uuid,
    details: serde_json::Value,
) -> audit::NewEntry {
    audit::NewEntry {
        actor_label: Some(format!("form:{}", form.input.slug)),
        action: action.into(),
        target_type: Some(kind.as_str().into()),
        target_id: Some(id.to_string()),
        ip: Some(client.ip.clone()),
        user_agent: Some(client.user_agent.clone()),
        details,
        ..Default::default()
    }
}
