//! The status as a coloured badge; a failed HAVIP shows its reason.

use crate::domain::status::HavipStatus;
use crate::ui::I18n;
use leptos::prelude::*;

#[component]
pub fn StatusBadge(status: HavipStatus, reason: Option<String>) -> impl IntoView {
    let i18n = I18n::get();
    let class = format!("badge badge-{}", status.as_str());
    view! {
        <span class=class title=reason.clone()>
            {status.is_transient().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            {move || i18n.lang.get().status(status)}
        </span>
        {reason.map(|reason| view! { <div class="status-reason">{reason}</div> })}
    }
}
