//! Administration: the index of admin pages, SLA targets and kickoff forms.

use crate::api::support::{list_forms, save_form, save_sla_policies, sla_policies};
use crate::domain::error::AppError;
use crate::domain::form::{CustomField, FieldKind, FormCreates, FormDef, FormInput, StandardField};
use crate::domain::ticket::SlaPolicy;
use crate::domain::user::Area;
use crate::ui::pages::status::area_denied;
use leptos::prelude::*;
use leptos_meta::Title;

/// Every field's problem of a refused save, on one line.
pub fn problems(e: &AppError) -> String {
    match e {
        AppError::Validation { fields, .. } if !fields.is_empty() => fields
            .iter()
            .map(|(k, v)| format!("{}: {}", k.replace('_', " "), v.join(" ")))
            .collect::<Vec<_>>()
            .join(" · "),
        other => other.message(),
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    if let Some(denied) = area_denied(Area::Admin) {
        return denied;
    }
    view! {
        <Title text="Admin · CRM"/>
        <header class="page-head"><h1>"Administration"</h1></header>
        <ul class="admin-links">
            <li><a href="/admin/users">"Users"</a><span class="muted">" Who can sign in, their roles and sessions; view the CRM as one of them."</span></li>
            <li><a href="/admin/teams">"Teams and visibility"</a><span class="muted">" Who works together, and per role whose records its users see and edit."</span></li>
            <li><a href="/admin/outbox">"Outbox"</a><span class="muted">" Every mail the CRM sends, where it is, and a test mail."</span></li>
            <li><a href="/admin/audit">"Audit log"</a><span class="muted">" Every change and sign-in, tamper-evident."</span></li>
            <li><a href="/admin/forms">"Kickoff forms"</a><span class="muted">" Public sign-up pages that create leads or prospects."</span></li>
            <li><a href="/admin/sla">"Support SLAs"</a><span class="muted">" First-response and resolution targets per priority."</span></li>
            <li><a href="/pipeline/stages">"Pipeline stages"</a><span class="muted">" Stages, probabilities, required fields and aging limits."</span></li>
        </ul>
    }
    .into_any()
}

#[component]
pub fn SlaPage() -> impl IntoView {
    if let Some(denied) = area_denied(Area::Admin) {
        return denied;
    }
    let policies = Resource::new(|| (), |_| sla_policies());
    view! {
        <Title text="Support SLAs · CRM"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/admin">"Admin"</a><span aria-hidden="true">" / "</span></nav>
        <header class="page-head"><h1>"Support SLAs"</h1></header>
        <p class="muted">"Due times are set when a ticket opens and when its priority changes. Changing a target here applies to new tickets and priority changes; breaches already recorded stay recorded."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match policies.await {
                    Ok(list) => {
                        let rows: Vec<(SlaPolicy, RwSignal<String>, RwSignal<String>)> = list.into_iter().map(|p| {
                            let f = RwSignal::new(p.first_response_hours.to_string());
                            let r = RwSignal::new(p.resolution_hours.to_string());
                            (p, f, r)
                        }).collect();
                        let error = RwSignal::new(None::<AppError>);
                        let saved = RwSignal::new(false);
                        let rows_for_save = rows.clone();
                        let save = move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            let policies: Vec<SlaPolicy> = rows_for_save.iter().map(|(p, f, r)| SlaPolicy {
                                priority: p.priority,
                                first_response_hours: f.get_untracked().trim().parse().unwrap_or(0),
                                resolution_hours: r.get_untracked().trim().parse().unwrap_or(0),
                            }).collect();
                            leptos::task::spawn_local(async move {
                                match save_sla_policies(policies).await {
                                    Ok(_) => { error.set(None); saved.set(true); }
                                    Err(e) => { saved.set(false); error.set(Some(e)); }
                                }
                            });
                        };
                        view! {
                            <form class="panel stack" on:submit=save novalidate>
                                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{problems(&e)}</p> })}
                                {move || saved.get().then(|| view! { <p class="notice" role="status">"Saved."</p> })}
                                <table class="records sla">
                                    <thead><tr><th scope="col">"Priority"</th><th scope="col">"First response (hours)"</th><th scope="col">"Resolution (hours)"</th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|(p, f, r)| {
                                            let fid = format!("sla-{}-first", p.priority.as_str());
                                            let rid = format!("sla-{}-resolution", p.priority.as_str());
                                            view! {
                                                <tr>
                                                    <th scope="row">{p.priority.label()}</th>
                                                    <td><label class="sr-only" for=fid.clone()>{format!("{} first response hours", p.priority.label())}</label><input id=fid inputmode="numeric" bind:value=f/></td>
                                                    <td><label class="sr-only" for=rid.clone()>{format!("{} resolution hours", p.priority.label())}</label><input id=rid inputmode="numeric" bind:value=r/></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <div class="form-actions"><button type="submit" class="button primary">"Save targets"</button></div>
                            </form>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// One question being edited.
#[derive(Clone, Copy)]
struct QuestionRow {
    key: RwSignal<String>,
    label: RwSignal<String>,
    kind: RwSignal<String>,
    required: RwSignal<bool>,
    choices: RwSignal<String>,
}

impl QuestionRow {
    fn new(f: Option<&CustomField>) -> QuestionRow {
        QuestionRow {
            key: RwSignal::new(f.map(|f| f.key.clone()).unwrap_or_default()),
            label: RwSignal::new(f.map(|f| f.label.clone()).unwrap_or_default()),
            kind: RwSignal::new(f.map(|f| f.kind.as_str()).unwrap_or("text").to_string()),
            required: RwSignal::new(f.is_some_and(|f| f.required)),
            choices: RwSignal::new(f.map(|f| f.choices.join(", ")).unwrap_or_default()),
        }
    }

    fn field(&self) -> CustomField {
        CustomField {
            key: self.key.get_untracked(),
            label: self.label.get_untracked(),
            kind: self.kind.get_untracked().parse().unwrap_or(FieldKind::Text),
            required: self.required.get_untracked(),
            choices: self
                .choices
                .get_untracked()
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect(),
        }
    }
}

#[component]
pub fn FormsPage() -> impl IntoView {
    if let Some(denied) = area_denied(Area::Admin) {
        return denied;
    }
    let refresh = RwSignal::new(0);
    let forms = Resource::new(move || refresh.get(), |_| list_forms());
    let editing = RwSignal::new(None::<Option<FormDef>>);
    view! {
        <Title text="Kickoff forms · CRM"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/admin">"Admin"</a><span aria-hidden="true">" / "</span></nav>
        <header class="page-head">
            <h1>"Kickoff forms"</h1>
            <button type="button" class="button primary" on:click=move |_| editing.set(Some(None))>"New form"</button>
        </header>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match forms.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty-state">"No forms yet. A form is a public page at /forms/your-name that creates a lead or a prospect."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="records">
                            <thead><tr><th scope="col">"Title"</th><th scope="col">"Address"</th><th scope="col">"Creates"</th><th scope="col">"Submissions"</th><th scope="col"></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|f| {
                                    let path = format!("/forms/{}", f.input.slug);
                                    let edit = f.clone();
                                    view! {
                                        <tr>
                                            <td>{f.input.title.clone()}{(!f.input.active).then(|| view! { " " <span class="badge muted">"Closed"</span> })}</td>
                                            <td><a href=path.clone()>{path.clone()}</a></td>
                                            <td>{f.input.creates.label()}</td>
                                            <td>{f.submissions}</td>
                                            <td><button type="button" class="button subtle" on:click=move |_| editing.set(Some(Some(edit.clone())))>"Edit"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
        {move || editing.get().map(|current| view! {
            <FormEditor current=current on_done=Callback::new(move |_| { editing.set(None); refresh.update(|n| *n += 1); })/>
        })}
    }
    .into_any()
}

#[component]
fn FormEditor(current: Option<FormDef>, on_done: Callback<()>) -> impl IntoView {
    let id = current.as_ref().map(|f| f.id);
    let version = current.as_ref().map(|f| f.version).unwrap_or(0);
    let input = current.map(|f| f.input).unwrap_or(FormInput {
        slug: String::new(),
        title: String::new(),
        intro: String::new(),
        standard_fields: vec![StandardField::Name, StandardField::Email],
        custom_fields: vec![],
        creates: FormCreates::Lead,
        active: true,
    });
    let slug = RwSignal::new(input.slug.clone());
    let title = RwSignal::new(input.title.clone());
    let intro = RwSignal::new(input.intro.clone());
    let creates = RwSignal::new(input.creates.as_str().to_string());
    let active = RwSignal::new(input.active);
    let standard: Vec<(StandardField, RwSignal<bool>)> = StandardField::ALL
        .iter()
        .map(|s| (*s, RwSignal::new(input.standard_fields.contains(s))))
        .collect();
    let questions = RwSignal::new(
        input
            .custom_fields
            .iter()
            .map(|f| QuestionRow::new(Some(f)))
            .collect::<Vec<_>>(),
    );
    let error = RwSignal::new(None::<AppError>);
    let standard_for_save = standard.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = FormInput {
            slug: slug.get_untracked(),
            title: title.get_untracked(),
            intro: intro.get_untracked(),
            standard_fields: standard_for_save
                .iter()
                .filter(|(_, on)| on.get_untracked())
                .map(|(s, _)| *s)
                .collect(),
            custom_fields: questions
                .get_untracked()
                .iter()
                .map(QuestionRow::field)
                .collect(),
            creates: creates.get_untracked().parse().unwrap_or(FormCreates::Lead),
            active: active.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match save_form(id, version, input).await {
                Ok(_) => on_done.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="panel form-editor" aria-labelledby="form-editor-title">
            <h2 id="form-editor-title">{if id.is_some() { "Edit form" } else { "New form" }}</h2>
            <form class="stack" on:submit=save novalidate>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{problems(&e)}</p> })}
                <div class="form-grid">
                    <div class="field"><label for="fe-title">"Title"</label><input id="fe-title" bind:value=title/></div>
                    <div class="field"><label for="fe-slug">"Address: /forms/…"</label><input id="fe-slug" bind:value=slug placeholder="free-trial"/></div>
                    <div class="field"><label for="fe-creates">"A submission creates"</label>
                        <select id="fe-creates" on:change=move |ev| creates.set(event_target_value(&ev))>
                            {FormCreates::ALL.iter().map(|c| view! { <option value=c.as_str() selected=c.as_str() == input.creates.as_str()>{c.label()}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field"><label class="check"><input type="checkbox" bind:checked=active/>" Open for submissions"</label></div>
                </div>
                <div class="field"><label for="fe-intro">"Introduction"</label><textarea id="fe-intro" rows="2" bind:value=intro></textarea></div>
                <fieldset class="field">
                    <legend>"Ask for"</legend>
                    {standard.into_iter().map(|(s, on)| view! { <label class="check"><input type="checkbox" bind:checked=on/>" "{s.label()}</label> }).collect_view()}
                </fieldset>
                <fieldset class="field">
                    <legend>"Questions of your own"</legend>
                    {move || questions.get().into_iter().enumerate().map(|(i, q)| view! {
                        <div class="question-row">
                            <input aria-label=format!("Question {} label", i + 1) placeholder="Label" bind:value=q.label/>
                            <input aria-label=format!("Question {} key", i + 1) placeholder="key_name" bind:value=q.key/>
                            <select aria-label=format!("Question {} kind", i + 1) on:change=move |ev| q.kind.set(event_target_value(&ev))>
                                {FieldKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=k.as_str() == q.kind.get_untracked()>{k.label()}</option> }).collect_view()}
                            </select>
                            <input aria-label=format!("Question {} choices", i + 1) placeholder="Choices, comma separated" bind:value=q.choices/>
                            <label class="check"><input type="checkbox" bind:checked=q.required/>" Required"</label>
                            <button type="button" class="button subtle" on:click=move |_| questions.update(|qs| { qs.remove(i); })>"Remove"</button>
                        </div>
                    }).collect_view()}
                    <button type="button" class="button" on:click=move |_| questions.update(|qs| qs.push(QuestionRow::new(None)))>"Add a question"</button>
                </fieldset>
                <div class="form-actions">
                    <button type="submit" class="button primary">"Save form"</button>
                    <button type="button" class="button subtle" on:click=move |_| on_done.run(())>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}
