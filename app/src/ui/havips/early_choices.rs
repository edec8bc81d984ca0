//! Choices made in the server's page before the WebAssembly arrived, without sending their
//! form (a search typed, a page size picked without 应用), are applied once it has, as one
//! view: hydration leaves the controls as the user left them.

use super::PageState;
use leptos::prelude::*;

pub fn apply_early_choices(state: PageState) {
    Effect::new(move |_| {
        let Ok(current) = state.query.get_untracked() else { return };
        let (typed, size) = controls_as_left();
        let mut wanted = current.clone();
        if let Some(typed) = typed {
            wanted.q = Some(typed);
        }
        if let Some(size) = size {
            wanted.page_size = size;
        }
        if let Ok(mut wanted) = wanted.normalized()
            && wanted != current
        {
            wanted.page = 1;
            state.show(wanted, false);
        }
    });
}

/// The search box's text and the page size box's choice, as the page shows them now.
#[cfg(feature = "hydrate")]
fn controls_as_left() -> (Option<String>, Option<u32>) {
    use wasm_bindgen::JsCast;
    let find = |selector: &str| document().query_selector(selector).ok().flatten();
    let typed = find(".search input[name='q']")
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|input| input.value());
    let size = find(".pager select[name='page_size']")
        .and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok())
        .and_then(|select| select.value().parse().ok());
    (typed, size)
}

#[cfg(not(feature = "hydrate"))]
fn controls_as_left() -> (Option<String>, Option<u32>) {
    (None, None)
}
