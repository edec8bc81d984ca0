//! Choices made in the server's page before the WebAssembly arrived, without sending their
//! form (a search typed, a page size picked without 应用), are applied once it has, as one
//! view: hydration leaves the controls as the user left them.

use super::PageState;
use leptos::prelude::*;

/// Call after the page's other effects are made: they correct the URL (a page past the end)
/// with what the server sent, and this must come after them so that its view is the last.
pub fn apply_early_choices(state: PageState) {
    Effect::new(move |_| {
        let Ok(current) = state.query.get_untracked() else { return };
        let (typed, size) = changed_controls();
        if typed.is_none() && size.is_none() {
            return;
        }
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
            // As a search typed later replaces the entry; another page size is a step of its own.
            let replace = wanted.page_size == current.page_size;
            state.show(wanted, replace);
        }
    });
}

/// The search box's text and the page size box's choice, each only where the user changed it
/// from what the server rendered (its value attribute, its selected option).
#[cfg(feature = "hydrate")]
fn changed_controls() -> (Option<String>, Option<u32>) {
    use wasm_bindgen::JsCast;
    let find = |selector: &str| document().query_selector(selector).ok().flatten();
    let typed = find(".search input[name='q']")
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        .filter(|input| input.value() != input.default_value())
        .map(|input| input.value());
    let rendered_size = find(".pager select[name='page_size'] option[selected]").and_then(|o| o.get_attribute("value"));
    let size = find(".pager select[name='page_size']")
        .and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok())
        .map(|select| select.value())
        .filter(|chosen| Some(chosen) != rendered_size.as_ref())
        .and_then(|chosen| chosen.parse().ok());
    (typed, size)
}

#[cfg(not(feature = "hydrate"))]
fn changed_controls() -> (Option<String>, Option<u32>) {
    (None, None)
}
