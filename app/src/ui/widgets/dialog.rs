//! A centred modal dialog: a title, the content, and the buttons at the bottom right.
//! Escape closes it; focus moves into it on open and back to where it was on close.

use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Dialog(
    #[prop(into)] title: Signal<String>,
    #[prop(into)] on_close: Callback<()>,
    children: Children,
    #[prop(optional, into)] wide: bool,
) -> impl IntoView {
    let panel = NodeRef::<html::Div>::new();
    let title_id = "dialog-title";
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let opener: Option<web_sys::HtmlElement> =
            document().active_element().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        Effect::new(move |_| {
            if let Some(panel) = panel.get() {
                let first = panel
                    .query_selector("input:not([disabled]), select:not([disabled]), textarea, button.btn-primary")
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(first) = first {
                    let _ = first.focus();
                }
            }
        });
        let opener = send_wrapper::SendWrapper::new(opener);
        on_cleanup(move || {
            if let Some(opener) = opener.take() {
                let _ = opener.focus();
            }
        });
    }
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.stop_propagation();
            on_close.run(());
        }
    };
    view! {
        <div class="dialog-backdrop" on:keydown=on_keydown>
            <div class="dialog" class:dialog-wide=wide role="dialog" aria-modal="true" aria-labelledby=title_id node_ref=panel>
                <div class="dialog-header">
                    <h2 id=title_id>{move || title.get()}</h2>
                    <button type="button" class="icon-btn" aria-label=move || crate::ui::I18n::get().texts().close on:click=move |_| on_close.run(())>
                        "×"
                    </button>
                </div>
                {children()}
            </div>
        </div>
    }
}
