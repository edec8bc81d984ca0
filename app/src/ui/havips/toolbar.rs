//! The toolbar: 新建, 删除 and 下载 on the left; search and filters on the right.

use super::check_filter::CheckFilter;
use super::{Dialog, PageState, ViewInputs};
use crate::domain::ha::Health;
use crate::domain::list_query::ListQuery;
use crate::domain::status::HavipStatus;
use crate::i18n::{Lang, fill};
use crate::ui::I18n;
use crate::ui::query_string::query_string;
use crate::ui::widgets::download::DownloadButton;
use leptos::prelude::*;
use std::time::Duration;

/// The address of the download of the list's view (its search, filters and sort, every page),
/// or None when the view is the whole tenant in the default order, which 下载 gives already.
fn view_export_url(query: &ListQuery) -> Option<String> {
    let view = ListQuery { page: 1, page_size: ListQuery::default().page_size, page_token: None, ..query.clone() };
    if view == ListQuery::default() {
        return None;
    }
    Some(format!("/api/v1/havips/export{}", query_string(view.to_pairs())))
}

/// Typing pauses this long before the search runs.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(250);

#[component]
pub fn Toolbar() -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    // Only rows that can still be deleted: a selected row may have started deleting meanwhile.
    let selected_rows = move || {
        let selected = state.selected.get();
        state.rows().into_iter().filter(|h| selected.contains(&h.id) && h.status.can_delete()).collect::<Vec<_>>()
    };
    view! {
        <div class="toolbar">
            <div class="toolbar-left">
                <button type="button" class="btn btn-primary" on:click=move |_| state.dialog.set(Dialog::Create)>
                    <span aria-hidden="true">"+ "</span>
                    {i18n.t(|t| t.create)}
                </button>
                <button
                    type="button"
                    class="btn"
                    disabled=move || state.selected.get().is_empty()
                    title=move || state.selected.get().is_empty().then(|| i18n.texts().nothing_selected)
                    on:click=move |_| {
                        let rows = selected_rows();
                        if !rows.is_empty() {
                            state.dialog.set(Dialog::Delete(rows));
                        }
                    }
                >
                    {i18n.t(|t| t.delete)}
                    {move || {
                        let n = state.selected.get().len();
                        (n > 0).then(|| format!(" ({n})"))
                    }}
                </button>
                <DownloadButton url=Callback::new(move |_| format!("/api/v1/havips/export?lang={}", i18n.lang.get_untracked().code())) />
                // With a search, a filter or another sort, the file can also be just this view.
                {move || view_export_url(&state.current_query()).map(|url| {
                    let url = StoredValue::new(url);
                    view! {
                        <DownloadButton label=|t| t.download_view url=Callback::new(move |_| format!("{}&lang={}", url.get_value(), i18n.lang.get_untracked().code())) />
                    }
                })}
            </div>
            <div class="toolbar-right">
                <CheckFilter label=i18n.t(|t| t.filter_status) options=&HavipStatus::ALL name_of=Lang::status chosen=statuses />
                <CheckFilter label=i18n.t(|t| t.filter_health) options=&Health::ALL name_of=Lang::health chosen=healths />
                <InventoryFilters />
                <SearchBox />
            </div>
        </div>
    }
}

fn statuses(query: &mut ListQuery) -> &mut Vec<HavipStatus> {
    &mut query.statuses
}

fn healths(query: &mut ListQuery) -> &mut Vec<Health> {
    &mut query.healths
}

#[component]
fn SearchBox() -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    // The box is written only when the URL changes: the server wrote the URL's search into its
    // value attribute, and hydration must not overwrite what was typed before the WebAssembly
    // arrived (early_choices.rs applies that).
    let input = NodeRef::<leptos::html::Input>::new();
    let typed = move || input.get_untracked().map(|b| b.value()).unwrap_or_default();
    let generation = StoredValue::new(0u64);
    let run = move || {
        let current = state.current_query();
        let wanted = ListQuery { q: Some(typed()), page: 1, ..current.clone() }.normalized();
        if let Ok(wanted) = wanted
            && wanted.q != current.q
        {
            state.show(wanted, true);
        }
    };
    // Back, forward and shared links change the URL: the box follows it, unless it holds that
    // search already (in another case, or with spaces around).
    Effect::new(move |ran_before: Option<()>| {
        let from_url = state.query.get().ok().and_then(|q| q.q).unwrap_or_default();
        if ran_before.is_none() {
            return;
        }
        if let Some(box_) = input.get_untracked()
            && box_.value().trim().to_lowercase() != from_url
        {
            box_.set_value(&from_url);
        }
    });
    let on_input = move |_| {
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        set_timeout(
            move || {
                if generation.get_value() == mine {
                    run()
                }
            },
            SEARCH_DEBOUNCE,
        );
    };
    // A GET form, so that Enter searches before the WebAssembly has arrived, keeping the view;
    // afterwards the page searches as the user types, and Enter at once.
    view! {
        <form
            class="search"
            role="search"
            method="get"
            action="/havips"
            on:submit=move |ev| {
                ev.prevent_default();
                generation.update_value(|g| *g += 1);
                run()
            }
        >
            {move || view! { <ViewInputs query=state.current_query() set_by_form=&["q"] /> }}
            <input
                type="search"
                name="q"
                aria-label=i18n.t(|t| t.search_label)
                placeholder=i18n.t(|t| t.search_placeholder)
                maxlength="128"
                value=state.query.get_untracked().ok().and_then(|q| q.q)
                node_ref=input
                on:input=on_input
            />
        </form>
    }
}

#[component]
fn InventoryFilters() -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let set = move |apply: fn(&mut ListQuery, Option<String>), value: String| {
        let mut query = state.current_query();
        apply(&mut query, (!value.is_empty()).then_some(value));
        query.page = 1;
        state.show(query, false);
    };
    let any_filter = move || {
        let q = state.current_query();
        !q.statuses.is_empty()
            || !q.healths.is_empty()
            || q.vpc_id.is_some()
            || q.subnet_id.is_some()
            || q.project_id.is_some()
            || q.vm_id.is_some()
            || q.q.is_some()
    };
    // A link may filter by VM (`?vm_id=`, as the API does); the toolbar has no picker for it,
    // so it shows as a tag that can be removed rather than filtering unseen.
    let vm_filter = move || state.current_query().vm_id;
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let query = state.current_query();
                let inventory = state.inventory.await;
                // Without the inventory nothing can be called unknown: the IDs show as they are.
                let loaded = inventory.is_ok();
                let inventory = inventory.unwrap_or_default();
                let all_subnets = inventory
                    .subnets
                    .iter()
                    .map(|s| (s.id.clone(), format!("{} ({})", s.name, s.cidr)))
                    .collect::<Vec<_>>();
                let vpc_options = inventory.vpcs.iter().map(|v| (v.id.clone(), v.name.clone())).collect::<Vec<_>>();
                let subnet_options = inventory
                    .subnets
                    .iter()
                    .filter(|s| query.vpc_id.as_ref().is_none_or(|vpc| *vpc == s.vpc_id))
                    .map(|s| (s.id.clone(), format!("{} ({})", s.name, s.cidr)))
                    .collect::<Vec<_>>();
                let project_options = inventory.projects.iter().map(|p| (p.id.clone(), p.name.clone())).collect::<Vec<_>>();
                view! {
                    <FilterSelect
                        label=i18n.t(|t| t.filter_vpc)
                        all=i18n.t(|t| t.all_vpcs)
                        unknown=i18n.t(|t| t.unknown_vpc)
                        known=if loaded { vpc_options.clone() } else { Vec::new() }
                        loaded
                        options=vpc_options
                        value=query.vpc_id.clone()
                        on_change=move |v| set(|q, v| { q.vpc_id = v; q.subnet_id = None; }, v)
                    />
                    <FilterSelect
                        label=i18n.t(|t| t.filter_subnet)
                        all=i18n.t(|t| t.all_subnets)
                        unknown=i18n.t(|t| t.unknown_subnet)
                        known=all_subnets
                        loaded
                        options=subnet_options
                        value=query.subnet_id.clone()
                        on_change=move |v| set(|q, v| q.subnet_id = v, v)
                    />
                    <FilterSelect
                        label=i18n.t(|t| t.filter_project)
                        all=i18n.t(|t| t.all_projects)
                        unknown=i18n.t(|t| t.unknown_project)
                        known=project_options.clone()
                        loaded
                        options=project_options
                        value=query.project_id.clone()
                        on_change=move |v| set(|q, v| q.project_id = v, v)
                    />
                }
            })}
        </Transition>
        {move || vm_filter().map(|id| view! {
            <span class="filter-tag">
                {move || fill(i18n.texts().vm_filter, &[("id", &id)])}
                <button type="button" class="btn-link" aria-label=i18n.t(|t| t.remove_vm_filter) on:click=move |_| {
                    set(|q, v| q.vm_id = v, String::new())
                }>"×"</button>
            </span>
        })}
        {move || any_filter().then(|| view! {
            <button type="button" class="btn btn-link" on:click=move |_| {
                let current = state.current_query();
                state.show(ListQuery { sort: current.sort, order: current.order, page_size: current.page_size, ..ListQuery::default() }, false)
            }>
                {i18n.t(|t| t.clear_filters)}
            </button>
        })}
    }
}

/// One of the toolbar's pickers. A link may name an ID the tenant does not have (an old link, a
/// typo, another tenant's): it shows as unknown, chosen, rather than as "all", which it is not.
#[component]
fn FilterSelect(
    label: impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    all: impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    /// `{id}`.
    unknown: impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    /// Every item of the tenant of this kind, with its name: a chosen one not among `options`
    /// (a subnet of another VPC than the one chosen) still shows by its name.
    known: Vec<(String, String)>,
    /// Whether the inventory loaded: only then can an ID be called unknown.
    loaded: bool,
    options: Vec<(String, String)>,
    value: Option<String>,
    on_change: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let current = value.unwrap_or_default();
    // The chosen ID when the options lack it: by its name if the tenant has it, else unknown.
    let unlisted = (!current.is_empty() && !options.iter().any(|(id, _)| *id == current)).then(|| {
        let name = known.iter().find(|(id, _)| *id == current).map(|(_, name)| name.clone());
        (current.clone(), name)
    });
    view! {
        <select class="select" aria-label=label on:change=move |ev| on_change(event_target_value(&ev))>
            <option value="" selected=current.is_empty()>{all}</option>
            {unlisted.map(|(id, name)| {
                let shown = id.clone();
                let label = move || match (&name, loaded) {
                    (Some(name), _) => name.clone(),
                    (None, true) => fill(unknown(), &[("id", &shown)]),
                    (None, false) => shown.clone(),
                };
                view! { <option value=id selected=true>{label}</option> }
            })}
            {options
                .into_iter()
                .map(|(id, name)| {
                    let selected = id == current;
                    view! { <option value=id selected=selected>{name}</option> }
                })
                .collect_view()}
        </select>
    }
}
