//! The banner over the list while any HAVIP of the tenant is in a split brain, has no master, or
//! is sent elsewhere by the fabric than its agents say: then an address answers twice, not at
//! all, or at the wrong VM, and the page shown may not be the one with the
//! HAVIP on it. Its button filters the list to those HAVIPs.

use super::PageState;
use crate::domain::ha::Health;
use crate::domain::list_query::ListQuery;
use crate::i18n::{by_count, fill};
use crate::ui::I18n;
use leptos::prelude::*;

#[component]
pub fn AlarmBanner() -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let show_them = move |_| {
        let current = state.current_query();
        let healths = Health::ALL.into_iter().filter(|h| h.is_alarm()).collect();
        // Every other filter goes: it could hide some of them.
        let query = ListQuery {
            healths,
            sort: current.sort,
            order: current.order,
            page_size: current.page_size,
            ..ListQuery::default()
        };
        state.show(query, false);
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // Without the count (an error) the list says what went wrong; the banner keeps quiet.
                let count = state.alarms.await.unwrap_or_default();
                (count > 0).then(|| {
                    let text = move || {
                        let t = i18n.texts();
                        let n = usize::try_from(count).unwrap_or(usize::MAX);
                        fill(by_count(n, t.alarms_one, t.alarms_many), &[("n", &count.to_string())])
                    };
                    view! {
                        <div class="alarm-banner" role="alert">
                            <span class="alarm-mark" aria-hidden="true">"!"</span>
                            <span>{text}</span>
                            <button type="button" class="btn btn-link" on:click=show_them>{i18n.t(|t| t.show_alarms)}</button>
                        </div>
                    }
                })
            })}
        </Transition>
    }
}
