//! The detail drawer of a HAVIP, opened from its name or its 详情 action: its HA state in tabs.
//! It starts from the row's copy of the HAVIP and loads it afresh whenever the list does (after
//! a change, and when the tenant's revision moves: see live.rs), so a failover shows here too.

mod config;
mod events;
mod overview;

use super::{Dialog as DialogState, PageState};
use crate::api::havips::load_havip;
use crate::domain::AppError;
use crate::domain::havip::Havip;
use crate::ui::I18n;
use crate::ui::session_end::to_login_if_session_ended;
use crate::ui::widgets::dialog::Dialog;
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Overview,
    Events,
    Config,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Overview, Tab::Events, Tab::Config];

    fn key(self) -> &'static str {
        match self {
            Tab::Overview => "overview",
            Tab::Events => "events",
            Tab::Config => "config",
        }
    }

    fn label(self) -> fn(&'static crate::i18n::Texts) -> &'static str {
        match self {
            Tab::Overview => |t| t.tab_overview,
            Tab::Events => |t| t.tab_events,
            Tab::Config => |t| t.tab_config,
        }
    }
}

#[component]
pub fn DetailDrawer(havip: Havip) -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let close = Callback::new(move |_| state.dialog.set(DialogState::Closed));
    let id = havip.id.clone();
    let shown = RwSignal::new(havip);
    let problem = RwSignal::new(None::<AppError>);
    let fresh = Resource::new(move || state.reload.get(), move |_| load_havip(id.clone()));
    Effect::new(move |_| match fresh.get() {
        Some(Ok(havip)) => {
            // The list reloads often while rows settle: the tabs redraw only for a change.
            if shown.with_untracked(|shown| *shown != havip) {
                shown.set(havip);
            }
            problem.set(None);
        }
        // What was shown stays, and the drawer says why it is not fresh (deleted, say).
        Some(Err(error)) if !to_login_if_session_ended(&error) => problem.set(Some(error)),
        _ => {}
    });
    let havip = Signal::from(shown);
    let tab = RwSignal::new(Tab::Overview);
    view! {
        <Dialog title=Signal::derive(move || shown.with(|h| h.name.clone())) on_close=close drawer=true>
            <div class="drawer-body">
                <p class="muted small mono">{move || shown.with(|h| format!("{} · {}", h.id, h.ip))}</p>
                {move || problem.get().map(|error| view! {
                    <p class="notice notice-error" role="alert">{move || i18n.lang.get().error(error.code)}</p>
                })}
                <Tabs tab />
                <div class="tab-panel" role="tabpanel" id=move || format!("drawer-panel-{}", tab.get().key())
                    aria-labelledby=move || format!("drawer-tab-{}", tab.get().key())>
                    {move || match tab.get() {
                        Tab::Overview => view! { <overview::Overview havip /> }.into_any(),
                        Tab::Events => view! { <events::Events havip /> }.into_any(),
                        Tab::Config => view! { <config::Config havip /> }.into_any(),
                    }}
                </div>
            </div>
        </Dialog>
    }
}

/// The tab list: arrow keys move between the tabs, as in any tab list.
#[component]
fn Tabs(tab: RwSignal<Tab>) -> impl IntoView {
    let i18n = I18n::get();
    let step = move |by: isize| {
        let at = Tab::ALL.iter().position(|t| *t == tab.get_untracked()).unwrap_or_default() as isize;
        let next = Tab::ALL[(at + by).rem_euclid(Tab::ALL.len() as isize) as usize];
        tab.set(next);
        #[cfg(feature = "hydrate")]
        if let Some(button) = document().get_element_by_id(&format!("drawer-tab-{}", next.key())) {
            use wasm_bindgen::JsCast;
            if let Ok(button) = button.dyn_into::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        }
    };
    view! {
        <div class="tabs" role="tablist" on:keydown=move |ev| match ev.key().as_str() {
            "ArrowRight" => step(1),
            "ArrowLeft" => step(-1),
            _ => {}
        }>
            {Tab::ALL
                .into_iter()
                .map(|this| {
                    let selected = move || tab.get() == this;
                    view! {
                        <button type="button" class="tab" role="tab" id=format!("drawer-tab-{}", this.key())
                            aria-controls=format!("drawer-panel-{}", this.key())
                            aria-selected=move || selected().to_string()
                            tabindex=move || if selected() { "0" } else { "-1" }
                            on:click=move |_| tab.set(this)>
                            {i18n.t(this.label())}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}
