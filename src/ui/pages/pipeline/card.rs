//! A card on the board and how it moves: dragged (mouse, pen or touch, scrolling near the
//! edges), moved with the keyboard, and the stage gate's form when a move needs fields.

use super::*;

#[component]
pub(super) fn Card(card: Opportunity, state: BoardState) -> impl IntoView {
    let id = card.id;
    let stage = state.stage(&card.stage);
    let now = chrono::Utc::now();
    let days = days_since(card.stage_entered_at, now);
    let aging = stage.as_ref().is_some_and(|s| is_aging(&card, s, now));
    let value = card
        .fields
        .value
        .map(|v| crate::ui::format::money(&Money::new(v, &card.fields.currency)))
        .unwrap_or_else(|| "No value".into());
    let short_value = card
        .fields
        .value
        .map(|v| compact_money(v, &card.fields.currency))
        .unwrap_or_else(|| "No value".into());
    let from = card.stage.clone();
    let dragging = move || {
        state
            .drag
            .with(|d| d.as_ref().is_some_and(|d| d.id == id && d.active))
    };
    // The lifted card follows the pointer. Set through the DOM's style object, not a `style`
    // attribute: the page's Content-Security-Policy forbids inline style attributes.
    let element = NodeRef::<leptos::html::Li>::new();
    Effect::new(move |_| {
        let transform = state.drag.with(|d| match d {
            Some(d) if d.id == id && d.active => {
                format!(
                    "translate({}px, {}px) rotate(1.5deg)",
                    d.offset.0, d.offset.1
                )
            }
            _ => String::new(),
        });
        #[cfg(feature = "hydrate")]
        if let Some(el) = element.get() {
            let _ = web_sys::HtmlElement::style(&el).set_property("transform", &transform);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (transform, element);
    });

    let on_key = {
        let from = from.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            if !ev.shift_key() {
                return;
            }
            let step = match ev.key().as_str() {
                "ArrowRight" => 1,
                "ArrowLeft" => -1,
                _ => return,
            };
            ev.prevent_default();
            if let Some(to) = state.neighbour(&from, step) {
                state.attempt(id, &to);
            }
        }
    };
    let on_down = {
        let from = from.clone();
        move |ev: leptos::ev::PointerEvent| {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                // Mouse: the whole card; pen and touch: the grip, so scrolling still works.
                let on_grip = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|e| e.closest(".card-grip").ok().flatten())
                    .is_some();
                if ev.button() != 0 || (ev.pointer_type() != "mouse" && !on_grip) {
                    return;
                }
                if let Some(el) = ev
                    .current_target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = el.set_pointer_capture(ev.pointer_id());
                }
                state.drag.set(Some(Drag {
                    id,
                    from: from.clone(),
                    start: (ev.client_x(), ev.client_y()),
                    offset: (0, 0),
                    active: false,
                }));
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (ev, &from);
        }
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        #[cfg(feature = "hydrate")]
        {
            let Some(mut d) = state.drag.get_untracked().filter(|d| d.id == id) else {
                return;
            };
            let offset = (ev.client_x() - d.start.0, ev.client_y() - d.start.1);
            if !d.active && offset.0.abs() + offset.1.abs() < 6 {
                return;
            }
            ev.prevent_default();
            d.active = true;
            d.offset = offset;
            state.drag.set(Some(d));
            state
                .hover
                .set(column_at(ev.client_x() as f64, ev.client_y() as f64));
            scroll_near_edge(ev.client_x() as f64);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_up = move |_ev: leptos::ev::PointerEvent| {
        let Some(d) = state.drag.get_untracked().filter(|d| d.id == id) else {
            return;
        };
        state.drag.set(None);
        let target = state.hover.get_untracked();
        state.hover.set(None);
        if d.active {
            // The click that ends a drag must not open the card.
            DRAGGED.with(|f| f.set(true));
            if let Some(to) = target.filter(|t| *t != d.from) {
                state.attempt(id, &to);
            }
        }
    };
    let on_cancel = move |_ev: leptos::ev::PointerEvent| {
        state.drag.set(None);
        state.hover.set(None);
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if DRAGGED.with(|f| f.replace(false)) {
            ev.prevent_default();
        }
    };
    let label = if state.money {
        format!(
            "{}, {}, {} days in stage. Shift and arrow keys move it.",
            card.fields.name, value, days
        )
    } else {
        format!(
            "{}, {} days in stage. Shift and arrow keys move it.",
            card.fields.name, days
        )
    };
    view! {
        <li class="card" class:aging=aging class:lifted=dragging data-card=id.to_string() node_ref=element
            on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_cancel>
            <span class="card-grip" aria-hidden="true">"⠿"</span>
            <a class="card-title" href=RecordKind::Opportunity.path(id) aria-label=label draggable="false" tabindex="-1"
                on:keydown=on_key on:click=on_click>{card.fields.name.clone()}</a>
            <span class="card-account muted">{card.account_name.clone().unwrap_or_default()}</span>
            {state.money.then(|| view! {
                <span class="card-value" title=value.clone()><span class="short">{short_value}</span><span class="exact">{value.clone()}</span></span>
            })}
            <span class="card-meta muted">
                {card.owner_name.clone().unwrap_or_default()}
                {card.fields.expected_close.map(|d| format!(" · closes {}", date(d)))}
            </span>
            <span class="card-age" class:aging=aging title="Days in this stage">
                {format!("{days} d in stage")}{aging.then_some(" · past its limit")}
            </span>
        </li>
    }
}

/// The board as a grid for the keyboard: each column is one tab stop; ↑ ↓ Home End move among
/// its cards, ← → to the card at the same height in the next column. (Shift+arrows, handled on
/// the card, move the card itself.)
pub(super) fn move_focus(ev: leptos::ev::KeyboardEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if ev.shift_key() || ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
            return;
        }
        let key = ev.key();
        if !matches!(
            key.as_str(),
            "ArrowUp" | "ArrowDown" | "ArrowLeft" | "ArrowRight" | "Home" | "End"
        ) {
            return;
        }
        let Some(list) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let titles = |l: &web_sys::Element| -> Vec<web_sys::HtmlElement> {
            let Ok(nodes) = l.query_selector_all(".card-title") else {
                return Vec::new();
            };
            (0..nodes.length())
                .filter_map(|i| nodes.item(i))
                .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
                .collect()
        };
        let here = titles(&list);
        let active = document().active_element();
        let at = here.iter().position(|t| {
            active
                .as_ref()
                .is_some_and(|a| a == t.unchecked_ref::<web_sys::Element>())
        });
        let target = match key.as_str() {
            "ArrowDown" => here
                .get(at.map_or(0, |i| (i + 1).min(here.len().saturating_sub(1))))
                .cloned(),
            "ArrowUp" => at.and_then(|i| here.get(i.saturating_sub(1))).cloned(),
            "Home" => here.first().cloned(),
            "End" => here.last().cloned(),
            _ => {
                let lists = document().query_selector_all(".board .cards").ok();
                let lists: Vec<web_sys::Element> = lists
                    .map(|n| {
                        (0..n.length())
                            .filter_map(|i| n.item(i))
                            .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
                            .collect()
                    })
                    .unwrap_or_default();
                let Some(col) = lists.iter().position(|l| *l == list) else {
                    return;
                };
                let next = if key == "ArrowRight" {
                    col + 1
                } else if col == 0 {
                    return;
                } else {
                    col - 1
                };
                let Some(next_list) = lists.get(next) else {
                    return;
                };
                let there = titles(next_list);
                match there.get(at.unwrap_or(0)).or(there.last()) {
                    Some(t) => Some(t.clone()),
                    None => next_list.clone().dyn_into::<web_sys::HtmlElement>().ok(),
                }
            }
        };
        if let Some(t) = target {
            ev.prevent_default();
            let _ = t.focus();
            t.scroll_into_view_with_bool(false);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

thread_local! {
    /// Set when a drag ends, so the click the browser fires next does not follow the link.
    static DRAGGED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The stage of the column under the pointer, if any.
#[cfg(feature = "hydrate")]
pub(super) fn column_at(x: f64, y: f64) -> Option<String> {
    use wasm_bindgen::JsCast;
    document()
        .elements_from_point(x as f32, y as f32)
        .iter()
        .filter_map(|v| v.dyn_into::<web_sys::Element>().ok())
        .find_map(|e| e.closest("[data-stage]").ok().flatten())
        .and_then(|e| e.get_attribute("data-stage"))
}

/// While dragging near the board's left or right edge, scrolls it that way, so a card can
/// reach columns that are off screen (on a phone, most of them).
#[cfg(feature = "hydrate")]
pub(super) fn scroll_near_edge(x: f64) {
    let Some(board) = document().query_selector(".board").ok().flatten() else {
        return;
    };
    let rect = board.get_bounding_client_rect();
    let edge = 60.0;
    let step = if x < rect.left() + edge {
        -24
    } else if x > rect.right() - edge {
        24
    } else {
        return;
    };
    board.set_scroll_left(board.scroll_left() + step);
}

/// The form a stage gate opens on drop: exactly the fields the stage needs (the same form the
/// opportunity page opens).
#[component]
pub(super) fn GateForm(gate: Gate, state: BoardState) -> impl IntoView {
    let form = RwSignal::new(Submit::Idle);
    let card = gate.card.clone();
    let to = gate.to.clone();
    let on_patch = Callback::new(move |patch: OpportunityPatch| {
        state.save(card.clone(), to.clone(), patch, Some(form))
    });
    view! {
        <StageGateForm name=gate.card.fields.name.clone() to=gate.to.clone() missing=gate.missing.clone()
            version=gate.card.version state=form on_patch=on_patch
            on_cancel=Callback::new(move |_| state.gate.set(None))/>
    }
}
