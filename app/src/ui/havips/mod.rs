//! The VIP 管理 page: the list with its toolbar, and the dialogs that change HAVIPs.

mod alarm_banner;
mod check_filter;
mod create;
mod delete;
mod drawer;
mod early_choices;
mod edit;
mod ha_cell;
mod live;
mod pager;
mod sticky_head;
mod table;
mod toolbar;
mod vm_picker;

use super::I18n;
use super::frame::ConsoleFrame;
use super::query_string::{query_pairs, query_string};
use super::session_end::{follow_session_end, to_login_if_session_ended};
use crate::api::ha::load_ha_alarms;
use crate::api::havips::{list_havips, load_inventory};
use crate::domain::AppError;
use crate::domain::havip::{Havip, HavipPage};
use crate::domain::inventory::Inventory;
use crate::domain::list_query::{ListQuery, VIEW_KEYS};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use std::collections::HashSet;
use std::time::Duration;

/// Which dialog is open.
#[derive(Clone, Debug, PartialEq)]
enum Dialog {
    Closed,
    Create,
    Edit(Box<Havip>),
    Delete(Vec<Havip>),
    /// The detail drawer, from the row's copy of the HAVIP.
    Details(Box<Havip>),
}

/// What the page's parts share: the view in the URL, the data, the selection, the dialog.
#[derive(Clone, Copy)]
struct PageState {
    query: Memo<Result<ListQuery, AppError>>,
    page: Resource<Result<HavipPage, AppError>>,
    inventory: Resource<Result<Inventory, AppError>>,
    /// How many of the tenant's HAVIPs need attention (the banner's count), loaded with the rows.
    alarms: Resource<Result<u64, AppError>>,
    selected: RwSignal<HashSet<String>>,
    dialog: RwSignal<Dialog>,
    reload: RwSignal<u64>,
    /// The rows shown now, for the parts outside the table's suspense (selection, toolbar).
    rows: RwSignal<Vec<Havip>>,
    /// The view those rows belong to (None before the first load).
    shown: RwSignal<Option<ListQuery>>,
    navigate: StoredValue<Navigate>,
}

type Navigate = std::sync::Arc<dyn Fn(&str, NavigateOptions) + Send + Sync>;

impl PageState {
    fn get() -> PageState {
        expect_context::<PageState>()
    }

    /// The valid view in the URL, or the default one while the URL is being corrected.
    fn current_query(self) -> ListQuery {
        self.query.get().unwrap_or_default()
    }

    /// Shows another view: it goes into the URL, and the URL drives the data.
    fn show(self, query: ListQuery, replace: bool) {
        self.selected.set(HashSet::new());
        (self.navigate.get_value())(&href(&query), NavigateOptions { replace, scroll: false, ..Default::default() });
    }

    /// Fetches the rows again, and the banner's count (after a change, or while some rows are
    /// still settling).
    fn refresh(self) {
        self.reload.update(|n| *n += 1);
    }

    /// Shows where a new HAVIP appears: the default view (newest first, no filter, page 1) at
    /// the page size in use; a filter, another sort or another page could hide it.
    fn show_newest(self) {
        let current = self.query.get_untracked().unwrap_or_default();
        let newest = ListQuery { page_size: current.page_size, ..ListQuery::default() };
        if newest == current { self.refresh() } else { self.show(newest, false) }
    }

    /// A page past the last (its rows were deleted, or the link is old) gives way to the last
    /// page, replacing it in the history.
    fn leave_page_past_end(self, loaded: &HavipPage) {
        let Ok(query) = self.query.get_untracked() else { return };
        if let Some(last) = loaded.last_page_if_past_end()
            && query.page == loaded.page
        {
            self.show(ListQuery { page: last, ..query }, true);
        }
    }

    /// Keeps only the selected rows that are still shown and still deletable, so that a batch
    /// delete never takes a row that left the page or started deleting. The selection is
    /// written only when something goes: every poll would wake what watches it otherwise.
    fn keep_selection_in(self, rows: &[Havip]) {
        let keep = |id: &String| rows.iter().any(|h| h.id == *id && h.status.can_delete());
        if !self.selected.with_untracked(|s| s.iter().all(keep)) {
            self.selected.update(|s| s.retain(keep));
        }
    }

    /// The rows of the page shown now.
    fn rows(self) -> Vec<Havip> {
        self.rows.get()
    }
}

/// The page's address for a view: what [`PageState::show`] navigates to, and what the pager's
/// links lead to before the WebAssembly has arrived.
fn href(query: &ListQuery) -> String {
    format!("/havips{}", query_string(query.to_pairs()))
}

/// The view's parameters as hidden fields of a GET form (the search's, the page size's), so
/// that a form sent before the WebAssembly has arrived keeps the view; the page is left out (a
/// new search or size starts at page 1), and so are the fields the form sets itself.
#[component]
fn ViewInputs(query: ListQuery, set_by_form: &'static [&'static str]) -> impl IntoView {
    query
        .to_pairs()
        .into_iter()
        .filter(|(key, _)| *key != "page" && !set_by_form.contains(key))
        .map(|(key, value)| view! { <input type="hidden" name=key value=value /> })
        .collect_view()
}

/// The list's keys in the console's URL: the view's and the page's; `page_token` is the API's
/// (the console pages by number).
fn query_from_url(search: &str) -> Result<ListQuery, AppError> {
    let pairs = query_pairs(search);
    let wanted =
        pairs.iter().filter(|(key, _)| VIEW_KEYS.contains(&key.as_str()) || key == "page" || key == "page_size");
    ListQuery::from_pairs(wanted.map(|(k, v)| (k.as_str(), v.as_str())))
}

/// How often rows that are creating or deleting are looked at again.
const SETTLE_POLL: Duration = Duration::from_millis(800);

#[component]
pub fn HavipsPage() -> impl IntoView {
    let i18n = I18n::get();
    let search = use_location().search;
    let query = Memo::new(move |_| search.with(|search| query_from_url(search)));
    let reload = RwSignal::new(0u64);
    let page = Resource::new(
        move || (query.get(), reload.get()),
        |(query, _)| async move {
            match query {
                Ok(query) => list_havips(query).await,
                Err(error) => Err(error),
            }
        },
    );
    let inventory = Resource::new(|| (), |_| load_inventory());
    let alarms = Resource::new(move || reload.get(), |_| load_ha_alarms());
    let state = PageState {
        query,
        page,
        inventory,
        alarms,
        selected: RwSignal::new(HashSet::new()),
        dialog: RwSignal::new(Dialog::Closed),
        reload,
        rows: RwSignal::new(Vec::new()),
        shown: RwSignal::new(None),
        navigate: StoredValue::new(std::sync::Arc::new(use_navigate())),
    };
    provide_context(state);

    // A view that cannot be (page 0, an unknown sort), reached by back or forward: the server
    // sends such a link to the default view on a full load, the browser does it here.
    Effect::new(move |_| {
        if query.with(Result::is_err) {
            state.show(ListQuery::default(), true);
        }
    });
    Effect::new(move |_| {
        let Some(loaded) = page.get() else { return };
        state.shown.set(query.get_untracked().ok());
        let items = match loaded {
            Ok(loaded) => {
                state.leave_page_past_end(&loaded);
                loaded.items
            }
            Err(error) => {
                to_login_if_session_ended(&error);
                Vec::new()
            }
        };
        // Rows in creating or deleting update by themselves until they settle.
        if items.iter().any(|h| h.status.is_transient()) {
            set_timeout(move || state.refresh(), SETTLE_POLL);
        }
        state.keep_selection_in(&items);
        state.rows.set(items);
    });
    follow_session_end(move || inventory.get().and_then(Result::err));
    early_choices::apply_early_choices(state);
    let rendered_revision = live::rendered_revision();
    #[cfg(feature = "hydrate")]
    live::follow_tenant_changes(state, rendered_revision);

    view! {
        <ConsoleFrame>
            <div class="page-head">
                <h1>{i18n.t(|t| t.page_title)}</h1>
                <p class="page-intro">{i18n.t(|t| t.page_intro)}</p>
            </div>
            <alarm_banner::AlarmBanner />
            // The revision the rows were rendered at, for the live updates (see live.rs).
            <section class="panel" data-tenant-revision=rendered_revision>
                <toolbar::Toolbar />
                <table::HavipTable />
                <pager::Pager />
            </section>
            {move || match state.dialog.get() {
                Dialog::Closed => ().into_any(),
                Dialog::Create => view! { <create::CreateDialog /> }.into_any(),
                Dialog::Edit(havip) => view! { <edit::EditDialog havip=*havip /> }.into_any(),
                Dialog::Delete(havips) => view! { <delete::DeleteDialog havips /> }.into_any(),
                Dialog::Details(havip) => view! { <drawer::DetailDrawer havip=*havip /> }.into_any(),
            }}
        </ConsoleFrame>
    }
}
