//! The VIP 管理 page: the list with its toolbar, and the dialogs that change HAVIPs.

mod create;
mod delete;
mod download;
mod edit;
mod form;
mod pager;
mod table;
mod toolbar;
mod vm_picker;

use super::I18n;
use super::frame::ConsoleFrame;
use crate::api::havips::{list_havips, load_inventory};
use crate::domain::AppError;
use crate::domain::havip::{Havip, HavipPage};
use crate::domain::inventory::Inventory;
use crate::domain::list_query::ListQuery;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use std::collections::HashSet;
use std::time::Duration;

/// Which dialog is open.
#[derive(Clone, Debug, PartialEq)]
enum Dialog {
    Closed,
    Create,
    Edit(Box<Havip>),
    Delete(Vec<Havip>),
}

/// What the page's parts share: the view in the URL, the data, the selection, the dialog.
#[derive(Clone, Copy)]
struct PageState {
    query: Memo<Result<ListQuery, AppError>>,
    page: Resource<Result<HavipPage, AppError>>,
    inventory: Resource<Result<Inventory, AppError>>,
    selected: RwSignal<HashSet<String>>,
    dialog: RwSignal<Dialog>,
    reload: RwSignal<u64>,
    /// The rows shown now, for the parts outside the table's suspense (selection, toolbar).
    rows: RwSignal<Vec<Havip>>,
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
        let search = query.to_pairs().into_iter().collect::<ParamsMap>().to_query_string();
        self.selected.set(HashSet::new());
        (self.navigate.get_value())(
            &format!("/havips{search}"),
            NavigateOptions { replace, scroll: false, ..Default::default() },
        );
    }

    /// Fetches the rows again (after a change, or while some are still settling).
    fn refresh(self) {
        self.reload.update(|n| *n += 1);
    }

    /// The rows of the page shown now.
    fn rows(self) -> Vec<Havip> {
        self.rows.get()
    }
}

const LIST_KEYS: [&str; 10] =
    ["q", "status", "vpc_id", "subnet_id", "project_id", "vm_id", "sort", "order", "page", "page_size"];

fn query_from_url(params: &ParamsMap) -> Result<ListQuery, AppError> {
    let pairs: Vec<(&str, String)> = LIST_KEYS
        .iter()
        .flat_map(|key| params.get_all(key).unwrap_or_default().into_iter().map(move |v| (*key, v)))
        .collect();
    ListQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
}

/// How often rows that are creating or deleting are looked at again.
const SETTLE_POLL: Duration = Duration::from_millis(800);

#[component]
pub fn HavipsPage() -> impl IntoView {
    let i18n = I18n::get();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_from_url));
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
    let state = PageState {
        query,
        page,
        inventory,
        selected: RwSignal::new(HashSet::new()),
        dialog: RwSignal::new(Dialog::Closed),
        reload,
        rows: RwSignal::new(Vec::new()),
        navigate: StoredValue::new(std::sync::Arc::new(use_navigate())),
    };
    provide_context(state);

    // Rows in creating or deleting update by themselves until they settle.
    Effect::new(move |_| {
        let items = page.get().and_then(Result::ok).map(|p| p.items).unwrap_or_default();
        if items.iter().any(|h| h.status.is_transient()) {
            set_timeout(move || state.refresh(), SETTLE_POLL);
        }
        state.rows.set(items);
    });

    view! {
        <ConsoleFrame>
            <div class="page-head">
                <h1>{i18n.t(|t| t.page_title)}</h1>
                <p class="page-intro">{i18n.t(|t| t.page_intro)}</p>
            </div>
            <section class="panel">
                <toolbar::Toolbar />
                <table::HavipTable />
                <pager::Pager />
            </section>
            {move || match state.dialog.get() {
                Dialog::Closed => ().into_any(),
                Dialog::Create => view! { <create::CreateDialog /> }.into_any(),
                Dialog::Edit(havip) => view! { <edit::EditDialog havip=*havip /> }.into_any(),
                Dialog::Delete(havips) => view! { <delete::DeleteDialog havips /> }.into_any(),
            }}
        </ConsoleFrame>
    }
}
