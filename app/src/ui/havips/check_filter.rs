//! A toolbar filter that lets several values of one kind through (状态, 健康状态): a drop-down
//! of checkboxes whose choice lives, like every filter, in the list's query in the URL.

use super::PageState;
use crate::domain::list_query::ListQuery;
use crate::i18n::Lang;
use crate::ui::I18n;
use leptos::prelude::*;

/// `chosen` gives the query's list of wanted values (`statuses`, `healths`); an empty list lets
/// everything through.
#[component]
pub fn CheckFilter<T>(
    label: impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    options: &'static [T],
    name_of: fn(Lang, T) -> &'static str,
    chosen: fn(&mut ListQuery) -> &mut Vec<T>,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    let i18n = I18n::get();
    let state = PageState::get();
    let count = move || chosen(&mut state.current_query()).len();
    let any_chosen = move || count() > 0;
    let is_chosen = move |value: T| chosen(&mut state.current_query()).contains(&value);
    let toggle = move |value: T, on: bool| {
        let mut query = state.current_query();
        let values = chosen(&mut query);
        values.retain(|v| *v != value);
        if on {
            values.push(value);
        }
        query.page = 1;
        if let Ok(query) = query.normalized() {
            state.show(query, false);
        }
    };
    view! {
        <details class="dropdown">
            <summary class="btn" role="button" aria-haspopup="true" class:filter-on=any_chosen>
                {label}
                {move || {
                    let n = count();
                    (n > 0).then(|| format!(" ({n})"))
                }}
            </summary>
            <fieldset class="dropdown-menu">
                <legend class="sr-only">{label}</legend>
                {options
                    .iter()
                    .map(|&value| {
                        view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    prop:checked=move || is_chosen(value)
                                    on:change=move |ev| toggle(value, event_target_checked(&ev))
                                />
                                {move || name_of(i18n.lang.get(), value)}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
        </details>
    }
}
