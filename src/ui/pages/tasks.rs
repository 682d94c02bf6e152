//! My tasks: overdue first, then by due date, then undated; and what was finished this week.

use crate::api::sales::my_tasks;
use crate::domain::activity::Task;
use crate::ui::components::panels::{Refresh, TaskItem};
use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TasksPage() -> impl IntoView {
    let refresh: Refresh = RwSignal::new(0);
    let tasks = Resource::new(move || refresh.get(), |_| my_tasks());
    let section = move |title: &'static str, list: Vec<Task>| {
        (!list.is_empty()).then(|| view! {
            <section class="panel task-group">
                <h2>{title}" "<span class="count">{list.len()}</span></h2>
                <ul class="task-list">{list.into_iter().map(|t| view! { <TaskItem task=t refresh=refresh show_record=true/> }).collect_view()}</ul>
            </section>
        })
    };
    view! {
        <Title text="My tasks · CRM"/>
        <header class="page-head"><h1>"My tasks"</h1></header>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tasks.await {
                    Ok((open, done)) => {
                        let now = Utc::now();
                        let (overdue, rest): (Vec<Task>, Vec<Task>) = open.into_iter().partition(|t| t.is_overdue(now));
                        let (dated, undated): (Vec<Task>, Vec<Task>) = rest.into_iter().partition(|t| t.due_at.is_some());
                        let nothing = overdue.is_empty() && dated.is_empty() && undated.is_empty();
                        view! {
                            {nothing.then(|| view! { <section class="empty-state"><p>"Nothing to do. Add tasks from any lead, account, contact or opportunity."</p></section> })}
                            {section("Overdue", overdue)}
                            {section("Upcoming", dated)}
                            {section("No due date", undated)}
                            {section("Done this week", done)}
                        }.into_any()
                    }
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
