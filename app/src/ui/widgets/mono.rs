//! IDs and addresses: monospace, with a button that copies them.

use super::toast::{ToastKind, Toasts};
use crate::ui::I18n;
use leptos::prelude::*;

#[component]
pub fn Copyable(text: String) -> impl IntoView {
    let i18n = I18n::get();
    let copied = text.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&copied);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &copied;
        Toasts::get().show(ToastKind::Info, format!("{} {}", i18n.texts().copied, copied));
    };
    view! {
        <span class="mono">
            {text.clone()}
            <button type="button" class="copy-btn" title=i18n.t(|t| t.copy) aria-label=move || format!("{} {}", i18n.texts().copy, text) on:click=copy>
                <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
                    <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" />
                    <path d="M3 11V3a1 1 0 0 1 1-1h7" fill="none" stroke="currentColor" />
                </svg>
            </button>
        </span>
    }
}
