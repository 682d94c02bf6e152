//! Charts drawn by the app as SVG: horizontal bars (funnel, reasons, durations) and monthly
//! columns. Every bar is a link to the records behind it.

use leptos::prelude::*;

/// One bar: what it is, how big, how it reads, and where its records are.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
    pub href: String,
}

const ROW: f64 = 34.0;
const LABEL_W: f64 = 180.0;
const WIDTH: f64 = 640.0;

/// Horizontal bars, longest = full width. With `centred`, bars are centred (a funnel).
#[component]
pub fn BarChart(
    bars: Vec<Bar>,
    #[prop(into)] title: String,
    #[prop(optional)] centred: bool,
) -> impl IntoView {
    if bars.is_empty() {
        return view! { <p class="muted">"Nothing in this period yet."</p> }.into_any();
    }
    let max = bars
        .iter()
        .map(|b| b.value)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let height = ROW * bars.len() as f64 + 4.0;
    let span = WIDTH - LABEL_W - 140.0;
    let rows = bars
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let y = i as f64 * ROW + 2.0;
            let w = (b.value / max * span).max(if b.value > 0.0 { 2.0 } else { 0.0 });
            let x = if centred {
                LABEL_W + (span - w) / 2.0
            } else {
                LABEL_W
            };
            let text_x = LABEL_W + span + 8.0;
            let name = format!("{} {}", b.label, b.shown);
            view! {
                <a href=b.href.clone() aria-label=name.clone()>
                    <title>{name.clone()}</title>
                    <text x=LABEL_W - 8.0 y=y + ROW / 2.0 + 4.0 text-anchor="end" class="chart-label">{b.label.clone()}</text>
                    <rect x=x y=y + 5.0 width=w height=ROW - 10.0 rx="3" class="chart-bar"/>
                    <text x=text_x y=y + ROW / 2.0 + 4.0 class="chart-value">{b.shown.clone()}</text>
                </a>
            }
        })
        .collect_view();
    view! {
        // A group, not an image: an image's content is hidden, and these bars are links.
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {height}") role="group" aria-label=title.clone()
            preserveAspectRatio="xMinYMin meet">
            {rows}
        </svg>
    }
    .into_any()
}

/// Vertical columns over time (months), with the month under each.
#[component]
pub fn ColumnChart(bars: Vec<Bar>, #[prop(into)] title: String) -> impl IntoView {
    let max = bars
        .iter()
        .map(|b| b.value)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let n = bars.len().max(1) as f64;
    let (height, top, bottom) = (220.0, 24.0, 28.0);
    let slot = WIDTH / n;
    let plot = height - top - bottom;
    let columns = bars
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let h = (b.value / max * plot).max(if b.value > 0.0 { 2.0 } else { 0.0 });
            let x = i as f64 * slot + slot * 0.15;
            let w = slot * 0.7;
            let y = top + plot - h;
            let name = format!("{} {}", b.label, b.shown);
            view! {
                <a href=b.href.clone() aria-label=name.clone()>
                    <title>{name.clone()}</title>
                    <rect x=x y=y width=w height=h rx="3" class="chart-bar"/>
                    <text x=x + w / 2.0 y=height - 10.0 text-anchor="middle" class="chart-label">{b.label.clone()}</text>
                </a>
            }
        })
        .collect_view();
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {height}") role="group" aria-label=title>
            <line x1="0" x2=WIDTH y1=top + plot y2=top + plot class="chart-axis"/>
            {columns}
        </svg>
    }
}
