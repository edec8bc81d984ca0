//! IDs and addresses: monospace, with a button that copies them.

use super::toast::{ToastKind, Toasts};
use crate::ui::I18n;
use leptos::prelude::*;

/// `secret`: the text is a secret (an API token), which neither the button's name nor the toast
/// repeats: both outlive the one time it is shown.
#[component]
pub fn Copyable(text: String, #[prop(optional)] secret: bool) -> impl IntoView {
    let i18n = I18n::get();
    let copied = text.clone();
    let copy = move |_| copy_and_tell(copied.clone(), !secret);
    view! {
        <span class="mono">
            {text.clone()}
            <button type="button" class="copy-btn" title=i18n.t(|t| t.copy) aria-label=i18n.about(|t| t.copy, if secret { i18n.texts().the_secret.to_owned() } else { text })
                on:click=copy>
                <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
                    <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" />
                    <path d="M3 11V3a1 1 0 0 1 1-1h7" fill="none" stroke="currentColor" />
                </svg>
            </button>
        </span>
    }
}

/// Copies `text`, and says in a toast that it did (repeating the text if `repeat`: an ID, not a
/// secret or a whole file) or that it could not.
pub fn copy_and_tell(text: String, repeat: bool) {
    let i18n = I18n::get();
    let toasts = Toasts::get();
    leptos::task::spawn_local(async move {
        if copy_to_clipboard(&text).await {
            let said = if repeat { format!(" {text}") } else { String::new() };
            toasts.show(ToastKind::Info, format!("{}{said}", i18n.texts().copied));
        } else {
            toasts.show(ToastKind::Error, i18n.texts().copy_failed.to_owned());
        }
    });
}

/// Copies through the Clipboard API where the page has it (HTTPS or localhost). A console served
/// over plain HTTP on a private network has no `navigator.clipboard`: there the older way,
/// copying a selected input, still works.
#[cfg(feature = "hydrate")]
async fn copy_to_clipboard(text: &str) -> bool {
    use wasm_bindgen::JsCast;
    let navigator = window().navigator();
    let has_clipboard_api =
        web_sys::js_sys::Reflect::get(&navigator, &"clipboard".into()).is_ok_and(|clipboard| !clipboard.is_undefined());
    if has_clipboard_api {
        let written = wasm_bindgen_futures::JsFuture::from(navigator.clipboard().write_text(text)).await;
        return written.is_ok();
    }
    let Some(body) = document().body() else { return false };
    let Some(input) =
        document().create_element("input").ok().and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return false;
    };
    input.set_value(text);
    let copied = body.append_child(&input).is_ok() && {
        input.select();
        document().unchecked_into::<web_sys::HtmlDocument>().exec_command("copy").unwrap_or(false)
    };
    input.remove();
    copied
}

/// The server renders the button but never runs its click.
#[cfg(not(feature = "hydrate"))]
async fn copy_to_clipboard(_text: &str) -> bool {
    false
}
