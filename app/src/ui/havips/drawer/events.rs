//! 事件: the HAVIP's history as a timeline, newest first, in words: which VM became the master,
//! when a split brain began and ended, agents lost and back, what keepalived announced, and the
//! operations of the log. An event shows the agent's time when an agent saw it (a failover during
//! an outage of the console keeps it), else the server's. 加载更多 pages back; what a live update
//! brings goes on top of what was loaded.

use crate::api::ha::load_havip_events;
use crate::domain::AppError;
use crate::domain::ha::{HavipEvent, HavipEventPage};
use crate::domain::havip::{Havip, VmRef};
use crate::i18n::{Lang, fill};
use crate::ui::havips::PageState;
use crate::ui::havips::ha_cell::vm_name;
use crate::ui::session_end::to_login_if_session_ended;
use crate::ui::widgets::toast::{ToastKind, Toasts};
use crate::ui::{Clock, I18n};
use leptos::prelude::*;
use serde_json::Value;

#[component]
pub fn Events(havip: Signal<Havip>) -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let toasts = Toasts::get();
    let id = StoredValue::new(havip.with_untracked(|h| h.id.clone()));
    let loaded = RwSignal::new(None::<Loaded>);
    let problem = RwSignal::new(None::<AppError>);
    let newest = Resource::new(move || state.reload.get(), move |_| load_havip_events(id.get_value(), None));
    Effect::new(move |_| match newest.get() {
        Some(Ok(page)) => {
            let merged = Loaded::with_newest(loaded.get_untracked(), page);
            // The timeline redraws only when something happened.
            if loaded.with_untracked(|loaded| loaded.as_ref() != Some(&merged)) {
                loaded.set(Some(merged));
            }
            problem.set(None);
        }
        Some(Err(error)) if !to_login_if_session_ended(&error) => problem.set(Some(error)),
        _ => {}
    });
    let fetching_more = RwSignal::new(false);
    let load_more = move |_| {
        let Some(before) = loaded.with_untracked(|l| l.as_ref().and_then(|l| l.next_before.clone())) else { return };
        fetching_more.set(true);
        leptos::task::spawn_local(async move {
            match load_havip_events(id.get_value(), Some(before)).await {
                Ok(page) => loaded.update(|loaded| {
                    if let Some(loaded) = loaded {
                        loaded.append(page);
                    }
                }),
                Err(error) if to_login_if_session_ended(&error) => {}
                Err(error) => toasts.show(ToastKind::Error, i18n.lang.get_untracked().error(error.code)),
            }
            fetching_more.set(false);
        });
    };
    view! {
        {move || problem.get().map(|error| view! {
            <p class="notice notice-error" role="alert">{move || i18n.lang.get().error(error.code)}</p>
        })}
        {move || match loaded.get() {
            None => view! { <p class="muted">{i18n.t(|t| t.loading)}</p> }.into_any(),
            Some(Loaded { items, .. }) if items.is_empty() => view! { <p class="muted">{i18n.t(|t| t.no_events)}</p> }.into_any(),
            Some(Loaded { items, next_before }) => view! {
                <ol class="timeline">
                    {items.into_iter().map(|event| view! { <EventItem event havip /> }).collect_view()}
                </ol>
                {next_before.map(|_| view! {
                    <button type="button" class="btn" disabled=fetching_more aria-busy=move || fetching_more.get().to_string() on:click=load_more>
                        {move || fetching_more.get().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                        {i18n.t(|t| t.load_more)}
                    </button>
                })}
            }
            .into_any(),
        }}
    }
}

#[component]
fn EventItem(event: HavipEvent, havip: Signal<Havip>) -> impl IntoView {
    let i18n = I18n::get();
    let clock = Clock::get();
    let alarm = matches!(
        event.kind.as_str(),
        "split_brain_started" | "no_master_started" | "agent_lost" | "fabric_disagrees_started"
    );
    let (seen_at, by_agent) = match event.agent_at {
        Some(agent_at) => (agent_at, true),
        None => (event.at, false),
    };
    let text = {
        let event = event.clone();
        move || havip.with(|h| describe(&event, &h.vms, i18n.lang.get()))
    };
    let source = event.source.clone();
    view! {
        <li class:event-alarm=alarm>
            <div>{text}</div>
            <div class="event-meta">
                <time datetime=seen_at.rfc3339()>{move || seen_at.display_in(clock.offset.get())}</time>
                " · "
                {move || if by_agent { i18n.texts().agent_time } else { i18n.texts().server_time }}
                " · "
                {move || who(&source, i18n.lang.get())}
            </div>
        </li>
    }
}

/// What the drawer has of the history: the newest events down to where it stopped paging.
#[derive(Clone, Debug, PartialEq)]
struct Loaded {
    items: Vec<HavipEvent>,
    next_before: Option<String>,
}

impl Loaded {
    /// What was loaded with the newest page on top. The history only grows, so the events the
    /// newest page shares with what was loaded are the same; when it shares none (more came
    /// meanwhile than a page holds), what was loaded would leave a gap, and paging starts again.
    fn with_newest(loaded: Option<Loaded>, newest: HavipEventPage) -> Loaded {
        let fresh = Loaded { items: newest.items, next_before: newest.next_before };
        let Some(mut loaded) = loaded else { return fresh };
        let Some(first) = loaded.items.first() else { return fresh };
        match fresh.items.iter().position(|event| event.id == first.id) {
            Some(at) => {
                loaded.items.splice(0..0, fresh.items.into_iter().take(at));
                loaded
            }
            None => fresh,
        }
    }

    fn append(&mut self, older: HavipEventPage) {
        self.items.extend(older.items);
        self.next_before = older.next_before;
    }
}

/// The event in words, with the VMs by name where the HAVIP still has them.
fn describe(event: &HavipEvent, vms: &[VmRef], lang: Lang) -> String {
    let t = lang.texts();
    let text = |key: &str| event.detail.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let vm = |key: &str| vm_name(vms, &text(key));
    let number = |key: &str| event.detail.get(key).and_then(Value::as_i64).unwrap_or_default().to_string();
    let failed = event.detail.get("outcome").and_then(Value::as_str) == Some("failed");
    match event.kind.as_str() {
        "master_changed" if text("from").is_empty() => fill(t.event_master_now, &[("to", &vm("to"))]),
        "master_changed" => fill(t.event_master_changed, &[("from", &vm("from")), ("to", &vm("to"))]),
        "split_brain_started" => {
            let holders = event.detail.get("vms").and_then(Value::as_array).into_iter().flatten();
            let names: Vec<String> = holders.filter_map(Value::as_str).map(|id| vm_name(vms, id)).collect();
            fill(t.event_split_brain_started, &[("vms", &names.join(t.list_separator))])
        }
        "split_brain_ended" => t.event_split_brain_ended.to_owned(),
        "no_master_started" => t.event_no_master_started.to_owned(),
        "agent_lost" => fill(t.event_agent_lost, &[("vm", &vm("vm"))]),
        "agent_back" => fill(t.event_agent_back, &[("vm", &vm("vm"))]),
        "vrrp_state" => fill(t.event_vrrp_state, &[("vm", &vm("vm")), ("state", &text("state"))]),
        "vrid_changed" => fill(t.event_vrid_changed, &[("from", &number("from")), ("to", &number("to"))]),
        "fabric_master_changed" if text("from").is_empty() => fill(t.event_fabric_master_now, &[("to", &vm("to"))]),
        "fabric_master_changed" => fill(t.event_fabric_master_changed, &[("from", &vm("from")), ("to", &vm("to"))]),
        "fabric_disagrees_started" if text("agents").is_empty() => {
            fill(t.event_fabric_disagrees_unheld, &[("fabric", &vm("fabric"))])
        }
        "fabric_disagrees_started" if text("fabric").is_empty() => {
            fill(t.event_fabric_disagrees_unsent, &[("agents", &vm("agents"))])
        }
        "fabric_disagrees_started" => {
            fill(t.event_fabric_disagrees_started, &[("agents", &vm("agents")), ("fabric", &vm("fabric"))])
        }
        "fabric_disagrees_ended" => t.event_fabric_disagrees_ended.to_owned(),
        "havip.create" => t.event_created.to_owned(),
        "havip.provision" if failed => fill(t.event_create_failed, &[("reason", &text("text"))]),
        "havip.provision" => t.event_provisioned.to_owned(),
        "havip.update" => t.event_edited.to_owned(),
        "havip.attach_vm" => t.event_attached.to_owned(),
        "havip.detach_vm" => t.event_detached.to_owned(),
        "havip.delete" => t.event_deleted.to_owned(),
        "havip.deprovision" if failed => fill(t.event_delete_failed, &[("reason", &text("text"))]),
        "havip.reprogram" if failed => fill(t.event_reprogram_failed, &[("reason", &text("text"))]),
        "havip.reprogram" => t.event_reprogrammed.to_owned(),
        "havip.reconcile" if event.detail.get("outcome").and_then(Value::as_str) == Some("restored") => {
            t.event_reconcile_restored.to_owned()
        }
        "havip.reconcile" => t.event_reconcile_updated.to_owned(),
        // A kind this console does not know yet (a newer server): its name is still a clue.
        other => other.to_owned(),
    }
}

/// Who saw or did it: an agent, the server itself, or a user by name.
fn who(source: &str, lang: Lang) -> String {
    match source {
        "agent" => "Agent".to_owned(),
        "server" => lang.texts().source_server.to_owned(),
        "fabric" => lang.texts().source_fabric.to_owned(),
        user => user.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::Timestamp;
    use serde_json::json;

    fn event(id: &str, kind: &str, detail: Value) -> HavipEvent {
        HavipEvent {
            id: id.into(),
            kind: kind.into(),
            at: Timestamp::from_micros(0),
            agent_at: None,
            source: "agent".into(),
            detail,
        }
    }

    fn vms() -> Vec<VmRef> {
        ["a", "b"].map(|n| VmRef { id: format!("vm-{n}"), name: format!("web-{n}"), ip: String::new() }).to_vec()
    }

    #[test]
    fn events_name_the_vms_by_name() {
        let said = |e: HavipEvent, lang: Lang| describe(&e, &vms(), lang);
        let failover = event("e1", "master_changed", json!({"from": "vm-a", "to": "vm-b"}));
        assert_eq!(said(failover.clone(), Lang::En), "Master changed from web-a to web-b");
        assert_eq!(said(failover, Lang::Zh), "主节点由 web-a 切换为 web-b");
        let first = event("e2", "master_changed", json!({"from": null, "to": "vm-a"}));
        assert_eq!(said(first, Lang::En), "web-a became the master");
        let split = event("e3", "split_brain_started", json!({"vms": ["vm-a", "vm-b"]}));
        assert_eq!(said(split, Lang::En), "Split brain began on web-a, web-b");
        let gone = event("e4", "agent_lost", json!({"vm": "vm-gone0001"}));
        assert_eq!(said(gone, Lang::En), "Agent of vm-gone0001 lost", "an unbound VM by its ID");
        let vrid = event("e5", "vrid_changed", json!({"from": 1, "to": 3}));
        assert_eq!(said(vrid, Lang::En), "VRID changed from 1 to 3");
        let failed = event("e6", "havip.provision", json!({"outcome": "failed", "text": "no route"}));
        assert_eq!(said(failed, Lang::En), "Creation failed: no route");
        assert_eq!(said(event("e7", "something_new", json!({})), Lang::En), "something_new");
    }

    #[test]
    fn the_newest_page_goes_on_top_of_what_was_loaded() {
        let page = |ids: &[&str], next: Option<&str>| HavipEventPage {
            items: ids.iter().map(|id| event(id, "split_brain_ended", json!({}))).collect(),
            next_before: next.map(str::to_owned),
        };
        let ids = |loaded: &Loaded| loaded.items.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        let mut loaded = Loaded::with_newest(None, page(&["e5", "e4"], Some("c4")));
        loaded.append(page(&["e3", "e2"], Some("c2")));
        let newer = Loaded::with_newest(Some(loaded.clone()), page(&["e6", "e5"], Some("c5")));
        assert_eq!(
            (ids(&newer), newer.next_before.as_deref()),
            (vec!["e6", "e5", "e4", "e3", "e2"].into_iter().map(String::from).collect(), Some("c2"))
        );
        let far_ahead = Loaded::with_newest(Some(loaded), page(&["e9", "e8"], Some("c8")));
        assert_eq!(
            (ids(&far_ahead), far_ahead.next_before.as_deref()),
            (vec!["e9".to_owned(), "e8".to_owned()], Some("c8")),
            "a gap: start again"
        );
    }
}
