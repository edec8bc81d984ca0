//! The HAVIP table: the seed's columns in order and the observed master, sortable headers,
//! selection and row actions.

use super::ha_cell::MasterCell;
use super::sticky_head::keep_head_in_sight;
use super::{Dialog, PageState};
use crate::domain::AppError;
use crate::domain::havip::Havip;
use crate::domain::list_query::{ListQuery, SortKey};
use crate::i18n::fill;
use crate::ui::widgets::mono::Copyable;
use crate::ui::widgets::status_badge::StatusBadge;
use crate::ui::{Clock, I18n};
use leptos::prelude::*;

const COLUMNS: usize = 11;

/// The columns' width classes, in order (the widths are in the stylesheet).
const COLUMN_WIDTHS: [&str; COLUMNS] = [
    "w-select",
    "w-name",
    "w-id",
    "w-status",
    "w-network",
    "w-ip",
    "w-vms",
    "w-master",
    "w-project",
    "w-created",
    "w-actions",
];

#[component]
pub fn HavipTable() -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let pending = RwSignal::new(false);
    // Dimmed only while another view loads (a search, a filter, a sort, a page): the polls of
    // settling rows and the refreshes after a change reload the view shown, and must not make
    // the whole table flicker.
    let changing_view = move || {
        pending.get() && state.shown.with(|shown| state.query.with(|query| shown.as_ref() != query.as_ref().ok()))
    };
    let table = NodeRef::new();
    keep_head_in_sight(table);
    view! {
        <div class="table-wrap" class:is-loading=changing_view aria-busy=move || changing_view().to_string()>
            <table class="havip-table" node_ref=table>
                // Fixed widths, so that the columns stay put from one view to the next.
                <colgroup>
                    {COLUMN_WIDTHS.iter().map(|class| view! { <col class=*class /> }).collect_view()}
                </colgroup>
                <thead>
                    <tr>
                        <th class="col-select"><SelectAll /></th>
                        <SortHeader key=SortKey::Name label=i18n.t(|t| t.col_name_remark) class="col-name" />
                        <th>{i18n.t(|t| t.col_id)}</th>
                        <th>{i18n.t(|t| t.col_status)}</th>
                        <th>{i18n.t(|t| t.col_network)}</th>
                        <SortHeader key=SortKey::Ip label=i18n.t(|t| t.col_ip) />
                        <th>{i18n.t(|t| t.col_vms)}</th>
                        <th>{i18n.t(|t| t.col_master)}</th>
                        <th>{i18n.t(|t| t.col_project)}</th>
                        <SortHeader key=SortKey::CreatedAt label=i18n.t(|t| t.col_created) />
                        <th class="col-actions">{i18n.t(|t| t.col_actions)}</th>
                    </tr>
                </thead>
                <Transition fallback=move || view! { <StateRow text=i18n.t(|t| t.loading) /> } set_pending=pending.write_only()>
                    {move || Suspend::new(async move {
                        let filtered = state.current_query() != ListQuery { page: 1, ..ListQuery::default() };
                        match state.page.await {
                            Ok(page) if page.items.is_empty() => {
                                let text = if filtered { i18n.t(|t| t.empty_filtered) } else { i18n.t(|t| t.empty) };
                                view! { <StateRow text /> }.into_any()
                            }
                            Ok(page) => view! {
                                <tbody>
                                    {page.items.into_iter().map(|havip| view! { <HavipRow havip /> }).collect_view()}
                                </tbody>
                            }
                            .into_any(),
                            Err(error) => view! { <ErrorRow error /> }.into_any(),
                        }
                    })}
                </Transition>
            </table>
        </div>
    }
}

#[component]
fn StateRow(text: impl Fn() -> &'static str + Send + Sync + 'static) -> impl IntoView {
    view! {
        <tbody>
            <tr class="state-row">
                <td colspan=COLUMNS>{text}</td>
            </tr>
        </tbody>
    }
}

#[component]
fn ErrorRow(error: AppError) -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let code = error.code;
    view! {
        <tbody>
            <tr class="state-row state-error">
                <td colspan=COLUMNS role="alert">
                    <strong>{i18n.t(|t| t.load_failed)}</strong>
                    ": "
                    {move || i18n.lang.get().error(code)}
                    {error.detail.map(|d| view! { <span class="muted">" (" {d} ")"</span> })}
                    " "
                    <button type="button" class="btn btn-link" on:click=move |_| state.refresh()>{i18n.t(|t| t.retry)}</button>
                </td>
            </tr>
        </tbody>
    }
}

#[component]
fn SortHeader(
    key: SortKey,
    label: impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let active = move || state.current_query().sort == key;
    let aria_sort = move || {
        let query = state.current_query();
        match (query.sort == key, query.order) {
            (false, _) => "none",
            (true, crate::domain::list_query::SortOrder::Asc) => "ascending",
            (true, crate::domain::list_query::SortOrder::Desc) => "descending",
        }
    };
    let click = move |_| {
        let current = state.current_query();
        let order = if current.sort == key { current.order.reversed() } else { key.default_order() };
        state.show(ListQuery { sort: key, order, page: 1, ..current }, false);
    };
    view! {
        <th class=class aria-sort=aria_sort>
            <button type="button" class="sort-btn" class:active=active title=move || fill(i18n.texts().sort_by, &[("column", label())]) on:click=click>
                {label}
                <span class="sort-mark" aria-hidden="true">
                    {move || match aria_sort() {
                        "ascending" => "▲",
                        "descending" => "▼",
                        _ => "↕",
                    }}
                </span>
            </button>
        </th>
    }
}

#[component]
fn SelectAll() -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let deletable =
        move || state.rows().into_iter().filter(|h| h.status.can_delete()).map(|h| h.id).collect::<Vec<_>>();
    let all_selected = move || {
        let ids = deletable();
        !ids.is_empty() && state.selected.with(|s| ids.iter().all(|id| s.contains(id)))
    };
    view! {
        <input
            type="checkbox"
            aria-label=i18n.t(|t| t.select_all)
            prop:checked=all_selected
            disabled=move || deletable().is_empty()
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                state.selected.set(if on { deletable().into_iter().collect() } else { Default::default() });
            }
        />
    }
}

#[component]
fn HavipRow(havip: Havip) -> impl IntoView {
    let i18n = I18n::get();
    let clock = Clock::get();
    let state = PageState::get();
    let id = havip.id.clone();
    let deletable = havip.status.can_delete();
    let is_selected = {
        let id = id.clone();
        move || state.selected.with(|s| s.contains(&id))
    };
    let selected_class = is_selected.clone();
    let toggle = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            state.selected.update(|s| {
                if on {
                    s.insert(id.clone());
                } else {
                    s.remove(&id);
                }
            });
        }
    };
    let name = havip.name.clone();
    let not_deletable_reason = move || (!deletable).then(|| i18n.texts().cannot_delete);
    let edit_target = havip.clone();
    let open_edit = move |_| state.dialog.set(Dialog::Edit(Box::new(edit_target.clone())));
    let delete_target = havip.clone();
    let open_delete = move |_| state.dialog.set(Dialog::Delete(vec![delete_target.clone()]));
    let details_target = havip.clone();
    let open_details = move |_| state.dialog.set(Dialog::Details(Box::new(details_target.clone())));
    let master = havip.master_vm_id.clone();
    view! {
        <tr class:selected=selected_class data-id=id.clone()>
            <td class="col-select">
                <input
                    type="checkbox"
                    aria-label={
                        let name = name.clone();
                        move || fill(i18n.texts().select_row, &[("name", &name)])
                    }
                    disabled=!deletable
                    title=not_deletable_reason
                    prop:checked=is_selected
                    on:change=toggle
                />
            </td>
            <td class="col-name">
                <div class="name-line">
                    // The ID lets the drawer give the focus back after the list reloaded under it.
                    // Two lines at most on the page; the whole name on hover.
                    <button type="button" class="name name-link" id=format!("name-{id}") title=havip.name.clone() on:click=open_details.clone()>
                        {havip.name.clone()}
                    </button>
                    <button
                        type="button"
                        class="icon-btn edit-inline"
                        title=i18n.t(|t| t.edit)
                        aria-label=i18n.about(|t| t.edit, name.clone())
                        on:click=open_edit.clone()
                    >
                        "✎"
                    </button>
                </div>
                {(!havip.remark.is_empty()).then(|| view! { <div class="remark" title=havip.remark.clone()>{havip.remark.clone()}</div> })}
            </td>
            <td><Copyable text=havip.id.clone() /></td>
            <td><StatusBadge status=havip.status reason=havip.status_reason.clone() /></td>
            <td>
                <div>{havip.vpc.name.clone()}</div>
                <div class="muted small">{havip.subnet.name.clone()} " " <span class="mono">{havip.subnet.cidr.clone()}</span></div>
            </td>
            <td><Copyable text=havip.ip.clone() /></td>
            <td class="col-vms">
                {if havip.vms.is_empty() {
                    view! { <span class="muted">"—"</span> }.into_any()
                } else {
                    havip
                        .vms
                        .iter()
                        .map(|vm| {
                            let is_master = master.as_deref() == Some(vm.id.as_str());
                            view! {
                                <div class="vm-line">
                                    {vm.name.clone()}
                                    " "
                                    <span class="mono muted">{vm.ip.clone()}</span>
                                    {is_master.then(|| view! { <span class="tag">{i18n.t(|t| t.master)}</span> })}
                                </div>
                            }
                        })
                        .collect_view()
                        .into_any()
                }}
            </td>
            <MasterCell ha=havip.ha.clone() vms=havip.vms.clone() />
            <td>{havip.project.name.clone()}</td>
            <td class="nowrap" title=havip.created_at.rfc3339()>
                {
                    let created_at = havip.created_at;
                    let shown = move || created_at.display_in(clock.offset.get());
                    view! {
                        <div>{move || shown().split_once(' ').map(|(date, _)| date.to_owned())}</div>
                        <div class="muted small">{move || shown().split_once(' ').map(|(_, time)| time.to_owned())}</div>
                    }
                }
            </td>
            <td class="col-actions">
                <button
                    type="button"
                    class="btn-link"
                    id=format!("details-{id}")
                    aria-label=i18n.about(|t| t.details, name.clone())
                    on:click=open_details
                >
                    {i18n.t(|t| t.details)}
                </button>
                <button
                    type="button"
                    class="btn-link"
                    aria-label=i18n.about(|t| t.edit, name.clone())
                    on:click=open_edit
                >
                    {i18n.t(|t| t.edit)}
                </button>
                <button
                    type="button"
                    class="btn-link danger"
                    disabled=!deletable
                    title=not_deletable_reason
                    aria-label=i18n.about(|t| t.delete, name.clone())
                    on:click=open_delete
                >
                    {i18n.t(|t| t.delete)}
                </button>
            </td>
        </tr>
    }
}
