//! The total, the page size and the page buttons.

use super::PageState;
use crate::domain::list_query::{ListQuery, PAGE_SIZES};
use crate::i18n::fill;
use crate::ui::I18n;
use leptos::prelude::*;

#[component]
pub fn Pager() -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let go = move |page: u32| state.show(ListQuery { page, ..state.current_query() }, false);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let query = state.current_query();
                state.page.await.ok().map(|page| {
                    let pages = page.page_count();
                    let current = page.page;
                    let total = page.total;
                    view! {
                        <nav class="pager" aria-label=i18n.t(|t| t.pagination)>
                            <span class="total">{move || fill(i18n.texts().total, &[("n", &total.to_string())])}</span>
                            <select
                                class="select"
                                aria-label=i18n.t(|t| t.page_size)
                                on:change=move |ev| {
                                    if let Ok(size) = event_target_value(&ev).parse() {
                                        state.show(ListQuery { page_size: size, page: 1, ..state.current_query() }, false);
                                    }
                                }
                            >
                                {page_sizes_with(query.page_size)
                                    .into_iter()
                                    .map(|size| view! {
                                        <option value=size.to_string() selected=size == query.page_size>
                                            {move || fill(i18n.texts().per_page, &[("n", &size.to_string())])}
                                        </option>
                                    })
                                    .collect_view()}
                            </select>
                            <button type="button" class="btn" disabled={current <= 1} on:click=move |_| go(current - 1)>
                                {i18n.t(|t| t.previous)}
                            </button>
                            <span class="page-of">
                                {move || fill(i18n.texts().page_of, &[("page", &current.to_string()), ("pages", &pages.to_string())])}
                            </span>
                            <button type="button" class="btn" disabled={current >= pages} on:click=move |_| go(current + 1)>
                                {i18n.t(|t| t.next)}
                            </button>
                        </nav>
                    }
                })
            })}
        </Transition>
    }
}

/// The sizes the box offers: the usual ones, and the one in use when a link asked for another
/// (the API takes 1 to 100), so that the box says how many rows are shown.
fn page_sizes_with(current: u32) -> Vec<u32> {
    let mut sizes = PAGE_SIZES.to_vec();
    if !sizes.contains(&current) {
        sizes.push(current);
        sizes.sort_unstable();
    }
    sizes
}
