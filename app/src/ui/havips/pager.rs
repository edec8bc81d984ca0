//! The total, the page size (a GET form) and the links to the page before and after.

use super::{PageState, ViewInputs, href};
use crate::domain::list_query::{ListQuery, PAGE_SIZES};
use crate::i18n::{Texts, fill};
use crate::ui::I18n;
use leptos::prelude::*;

#[component]
pub fn Pager() -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let query = state.current_query();
                state.page.await.ok().map(|page| {
                    let pages = page.page_count();
                    let current = page.page;
                    let total = page.total;
                    let to_page = |page: u32| ListQuery { page, ..query.clone() };
                    view! {
                        <nav class="pager" aria-label=i18n.t(|t| t.pagination)>
                            <span class="total">{move || fill(i18n.texts().total, &[("n", &total.to_string())])}</span>
                            // A GET form, so that the size can be changed before the WebAssembly
                            // has arrived; once it has, the choice alone changes the view.
                            <form
                                class="page-size"
                                method="get"
                                action="/havips"
                                on:submit=move |ev| ev.prevent_default()
                            >
                                <ViewInputs query=query.clone() set_by_form=&["page_size"] />
                                <select
                                    class="select"
                                    name="page_size"
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
                                <button type="submit" class="btn until-hydrated">{i18n.t(|t| t.apply)}</button>
                            </form>
                            <PageLink to=(current > 1).then(|| to_page(current - 1)) label=|t| t.previous />
                            <span class="page-of">
                                {move || fill(i18n.texts().page_of, &[("page", &current.to_string()), ("pages", &pages.to_string())])}
                            </span>
                            <PageLink to=(current < pages).then(|| to_page(current + 1)) label=|t| t.next />
                        </nav>
                    }
                })
            })}
        </Transition>
    }
}

/// A link to the page before or after, which works before the WebAssembly has arrived (the
/// router takes it over afterwards, without scrolling); a link to nowhere without one. The
/// selection needs no clearing: rows that leave the page leave it (`keep_selection_in`).
#[component]
fn PageLink(to: Option<ListQuery>, label: fn(&'static Texts) -> &'static str) -> impl IntoView {
    let i18n = I18n::get();
    let disabled = to.is_none();
    view! {
        <a
            class="btn"
            role="link"
            href=to.as_ref().map(href)
            data-noscroll=""
            aria-disabled=disabled.then_some("true")
        >
            {i18n.t(label)}
        </a>
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
