//! Pipeline metrics, drawn as SVG by the app: value by stage (funnel), win/loss reasons, days in
//! each stage, won value per month, and coverage against the manager's target. Every bar opens
//! the opportunities behind it.

use crate::api::pipeline::{Metrics, pipeline_metrics, set_pipeline_target};
use crate::domain::error::AppError;
use crate::domain::opportunity::LostReason;
use crate::domain::pipeline::{Coverage, Period, StatsQuery, TargetInput, next_month};
use crate::domain::records::{DEFAULT_CURRENCY, Money, parse_decimal};
use crate::ui::components::charts::{Bar, BarChart, ColumnChart};
use crate::ui::components::filters::{OwnerFilter, TeamFilter, use_param_setter};
use crate::ui::components::shell::use_can;
use crate::ui::format::compact_money;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// An amount with its count (`$1.2M · 4`), or the count alone for those who do not see money.
fn with_count(minor: Option<i64>, count: i64) -> String {
    match minor {
        Some(m) => format!("{} · {count}", money(m)),
        None => count.to_string(),
    }
}

fn money(minor: i64) -> String {
    compact_money(minor, DEFAULT_CURRENCY)
}

#[component]
pub fn MetricsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| StatsQuery {
            period: p.get("period").and_then(|s| s.parse().ok()),
            owner_id: p.get("owner_id").and_then(|s| s.parse().ok()),
            team_id: p.get("team_id").and_then(|s| s.parse().ok()),
        })
    });
    let refresh = RwSignal::new(0u32);
    let metrics = Resource::new(
        move || (query.get(), refresh.get()),
        |(q, _)| pipeline_metrics(q),
    );
    let set_param = use_param_setter();
    view! {
        <Title text="Metrics · Pipeline · CRM"/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/pipeline">"Pipeline"</a><span aria-hidden="true">" / "</span></nav>
        <header class="page-head"><h1>"Metrics"</h1></header>
        <div class="list-tools">
            <OwnerFilter set_param=set_param/>
            <TeamFilter set_param=set_param/>
            <label class="inline-field">"Period"
                <select prop:value=move || params.with(|p| p.get("period")).unwrap_or_default()
                    on:change=move |ev| set_param.run(("period", event_target_value(&ev)))>
                    {Period::ALL.iter().map(|p| {
                        let value = if *p == Period::Quarter { "" } else { p.as_str() };
                        view! { <option value=value>{p.label()}</option> }
                    }).collect_view()}
                </select>
            </label>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match metrics.await {
                    Ok(m) => view! { <Charts metrics=m query=query.get_untracked() refresh=refresh/> }.into_any(),
                    Err(e) => view! { <p class="form-error">{e.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Charts(metrics: Metrics, query: StatsQuery, refresh: RwSignal<u32>) -> impl IntoView {
    let owner = query
        .owner_id
        .map(|o| format!("&owner_id={o}"))
        .unwrap_or_default();
    let since = metrics
        .win_loss
        .since
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let label_of = |key: &str| {
        metrics
            .stages
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.label.clone())
            .unwrap_or_else(|| key.to_string())
    };

    let funnel: Vec<Bar> = metrics
        .board
        .stages
        .iter()
        .filter(|c| !c.def.is_closed())
        .map(|c| Bar {
            label: c.def.label.clone(),
            // Without money, the funnel is drawn by counts.
            value: c.total_value.map_or(c.count as f64, |v| v as f64),
            shown: with_count(c.total_value, c.count),
            href: format!("/opportunities?stage={}{owner}", c.stage),
        })
        .collect();

    let mut outcomes = vec![Bar {
        label: "Won".into(),
        value: metrics.win_loss.won as f64,
        shown: match metrics.win_loss.won_value {
            Some(v) => format!("{} · {}", metrics.win_loss.won, money(v)),
            None => metrics.win_loss.won.to_string(),
        },
        href: format!("/opportunities?stage=closed_won&closed_from={since}{owner}"),
    }];
    outcomes.extend(metrics.win_loss.lost.iter().map(|r| {
        let label = r
            .reason
            .parse::<LostReason>()
            .map(|l| format!("Lost: {}", l.label()))
            .unwrap_or_else(|_| "Lost: no reason".into());
        Bar {
            label,
            value: r.count as f64,
            shown: match r.value {
                Some(v) => format!("{} · {}", r.count, money(v)),
                None => r.count.to_string(),
            },
            href: format!(
                "/opportunities?stage=closed_lost&lost_reason={}&closed_from={since}{owner}",
                r.reason
            ),
        }
    }));

    let durations: Vec<Bar> = metrics
        .durations
        .iter()
        .map(|d| Bar {
            label: label_of(&d.stage),
            value: d.avg_days,
            shown: format!("{:.1} d · {} stays", d.avg_days, d.count),
            href: format!("/opportunities?stage={}{owner}", d.stage),
        })
        .collect();

    let monthly: Vec<Bar> = metrics
        .monthly
        .iter()
        .map(|m| {
            let first = chrono::NaiveDate::parse_from_str(&format!("{}-01", m.month), "%Y-%m-%d")
                .unwrap_or_default();
            let last = next_month(first).pred_opt().unwrap_or(first);
            Bar {
                label: crate::ui::format::regional()
                    .locale
                    .short_month(chrono::Datelike::month0(&first) as usize),
                value: m.value.map_or(m.count as f64, |v| v as f64),
                shown: match m.value {
                    Some(v) => format!(
                        "{} {} · {} won",
                        crate::ui::format::month_year(first),
                        money(v),
                        m.count
                    ),
                    None => format!("{} · {} won", crate::ui::format::month_year(first), m.count),
                },
                href: format!(
                    "/opportunities?stage=closed_won&closed_from={first}&closed_to={last}{owner}"
                ),
            }
        })
        .collect();
    let year_total: Option<i64> = metrics.monthly.iter().map(|m| m.value).sum();
    let year_count: i64 = metrics.monthly.iter().map(|m| m.count).sum();
    let shown = use_can().money;
    let may_set = use_can().configure && shown;

    view! {
        <div class="metrics-grid">
            <section class="panel" aria-labelledby="funnel-title">
                <h2 id="funnel-title">{if shown { "Open value by stage" } else { "Open deals by stage" }}</h2>
                <BarChart bars=funnel title=if shown { "Open value by stage" } else { "Open deals by stage" } centred=true/>
            </section>
            <section class="panel" aria-labelledby="winloss-title">
                <h2 id="winloss-title">"Won and lost"</h2>
                <p class="muted">{format!("Deals closed since {}", crate::ui::format::day(metrics.win_loss.since))}</p>
                <BarChart bars=outcomes title="Won deals and lost deals by reason"/>
            </section>
            <section class="panel" aria-labelledby="durations-title">
                <h2 id="durations-title">"Average days in each stage"</h2>
                <p class="muted">"Over the stays that ended in the period, from the stage history."</p>
                <BarChart bars=durations title="Average days in each stage"/>
            </section>
            <section class="panel" aria-labelledby="monthly-title">
                <h2 id="monthly-title">"Won per month"</h2>
                <p class="muted">{match year_total {
                    Some(total) => format!("{} in the last twelve months", crate::ui::format::money(&Money::new(total, DEFAULT_CURRENCY))),
                    None => format!("{year_count} won in the last twelve months"),
                }}</p>
                <ColumnChart bars=monthly title=if shown { "Won value per month, last twelve months" } else { "Won deals per month, last twelve months" }/>
            </section>
            // Coverage is money against money targets: only for those who see money.
            {shown.then(|| view! {
            <section class="panel wide" aria-labelledby="coverage-title">
                <h2 id="coverage-title">"Pipeline coverage"</h2>
                <p class="muted">"Open value expected to close in each month, against its target."</p>
                <div class="coverage">
                    {metrics.coverage.into_iter().map(|c| view! { <CoverageMonth coverage=c may_set=may_set refresh=refresh owner=owner.clone()/> }).collect_view()}
                </div>
            </section>
            })}
        </div>
    }
}

#[component]
fn CoverageMonth(
    coverage: Coverage,
    may_set: bool,
    refresh: RwSignal<u32>,
    owner: String,
) -> impl IntoView {
    let month = coverage.month;
    let last = next_month(month).pred_opt().unwrap_or(month);
    let ratio = coverage.ratio();
    let width = ratio.map(|r| (r * 100.0).min(100.0)).unwrap_or(0.0);
    let text = RwSignal::new(
        coverage
            .target
            .map(crate::domain::records::decimal_string)
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<AppError>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let raw = text.get_untracked();
        let target = if raw.trim().is_empty() {
            None
        } else {
            match parse_decimal(&raw) {
                Ok(v) => Some(v),
                Err(m) => return error.set(Some(AppError::invalid("target", m))),
            }
        };
        leptos::task::spawn_local(async move {
            match set_pipeline_target(TargetInput { month, target }).await {
                Ok(()) => {
                    error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let input_id = format!("target-{month}");
    view! {
        <div class="coverage-month">
            <h3><a href=format!("/opportunities?stage=open&close_from={month}&close_to={last}{owner}")>{crate::ui::format::month_year(month)}</a></h3>
            <p class="figure-value">{coverage.open_value.map(money)}</p>
            <p class="muted">{format!("{} open · {}", coverage.open_count, match (coverage.target, ratio) {
                (Some(t), Some(r)) => format!("{:.0}% of the {} target", r * 100.0, money(t)),
                _ => "no target set".to_string(),
            })}</p>
            <svg class="meter" viewBox="0 0 100 6" preserveAspectRatio="none" role="meter" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=format!("{width:.0}") aria-label="Coverage of the target">
                <rect class="meter-track" x="0" y="0" width="100" height="6" rx="3"/>
                <rect class="meter-fill" x="0" y="0" width=format!("{width:.1}") height="6" rx="3"/>
            </svg>
            {may_set.then(|| view! {
                <form class="target-form" on:submit=save>
                    <label for=input_id.clone()>"Target"</label>
                    <input id=input_id type="text" inputmode="decimal" placeholder="e.g. 250000" prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))/>
                    <button type="submit" class="button subtle">"Set"</button>
                    {move || error.get().map(|e| view! { <p class="field-error">{e.field("target").unwrap_or_else(|| e.message())}</p> })}
                </form>
            })}
        </div>
    }
}
