//! A modal dialog: centred, with a title, the content, and the buttons at the bottom right; or,
//! as a drawer, a panel along the right edge for the detail of a row. Escape closes it; focus
//! moves into it on open, stays inside it while it is open (a modal dialog), and goes back to
//! where it was on close.

use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Dialog(
    #[prop(into)] title: Signal<String>,
    #[prop(into)] on_close: Callback<()>,
    children: Children,
    #[prop(optional, into)] wide: bool,
    /// A panel along the right edge, the full height of the window, rather than a centred box.
    #[prop(optional)]
    drawer: bool,
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
                focus_first_field(&panel);
            }
        });
        // The keys are watched on the whole window, not on the dialog: the focus can leave the
        // dialog without the user moving it (the button just clicked disappears, or the content
        // is still loading), and Escape must close the dialog and Tab bring the focus back even then.
        let keys = window_event_listener(leptos::ev::keydown, move |ev| match ev.key().as_str() {
            // The sign-in over the dialogs (the session ended) has the keyboard to itself.
            _ if document().query_selector(".session-overlay").ok().flatten().is_some() => {}
            "Escape" => on_close.run(()),
            "Tab" => {
                if let Some(panel) = panel.get_untracked() {
                    keep_tab_inside(&panel, &ev);
                }
            }
            _ => {}
        });
        let opener = send_wrapper::SendWrapper::new(opener);
        on_cleanup(move || {
            keys.remove();
            if let Some(opener) = opener.take().map(found_again) {
                let _ = opener.focus();
            }
        });
    }
    view! {
        <div class="dialog-backdrop" class:drawer-backdrop=drawer>
            <div class="dialog" class:dialog-wide=wide class:drawer=drawer role="dialog" aria-modal="true" aria-labelledby=title_id tabindex="-1" node_ref=panel>
                <div class="dialog-header">
                    <h2 id=title_id>{move || title.get()}</h2>
                    <button type="button" class="icon-btn" aria-label=move || crate::ui::I18n::get().texts().close_dialog on:click=move |_| on_close.run(())>
                        "×"
                    </button>
                </div>
                {children()}
            </div>
        </div>
    }
}

/// The element that opened the dialog, or, when that was rendered anew while the dialog was
/// open (the list reloads under an open drawer), the element that took its place: the one with
/// its ID.
#[cfg(feature = "hydrate")]
fn found_again(opener: web_sys::HtmlElement) -> web_sys::HtmlElement {
    use wasm_bindgen::JsCast;
    if opener.is_connected() || opener.id().is_empty() {
        return opener;
    }
    document()
        .get_element_by_id(&opener.id())
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        .unwrap_or(opener)
}

/// Moves the focus to the dialog's chosen tab or first field; in a dialog without either, to the
/// first button of its footer that destroys nothing (取消 of a delete confirmation, so that Enter
/// does not delete at once); or to the panel itself while there is none yet, so that the
/// keyboard starts inside the dialog.
#[cfg(feature = "hydrate")]
fn focus_first_field(panel: &web_sys::HtmlDivElement) {
    use wasm_bindgen::JsCast;
    // One query: tabs and fields come before the footer in the document, so they win.
    let first = panel
        .query_selector(
            "[role='tab'][aria-selected='true'], input:not([disabled]), select:not([disabled]), \
             textarea:not([disabled]), .dialog-footer button:not(.btn-danger):not([disabled])",
        )
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let _ = match first {
        Some(first) => first.focus(),
        None => panel.focus(),
    };
}

/// Tab from the last control goes to the first and Shift+Tab from the first to the last, so the
/// keyboard never reaches the page behind the modal; from outside the dialog it comes back in. The
/// panel itself is focusable (tabindex -1) so that a click on its text keeps the focus inside.
#[cfg(feature = "hydrate")]
pub(crate) fn keep_tab_inside(panel: &web_sys::HtmlDivElement, ev: &web_sys::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), select:not([disabled]), \
        textarea:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";
    let Ok(nodes) = panel.query_selector_all(FOCUSABLE) else { return };
    let controls: Vec<web_sys::HtmlElement> = (0..nodes.length())
        .filter_map(|i| nodes.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|control| control.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else { return };
    let active = document().active_element();
    let on = |control: &web_sys::HtmlElement| active.as_ref() == Some(control.unchecked_ref::<web_sys::Element>());
    let focus_outside = !active.as_ref().is_some_and(|element| panel.contains(Some(element)));
    let panel_has_focus = active.as_ref() == Some(panel.unchecked_ref::<web_sys::Element>());
    let wrap_to = if focus_outside {
        Some(if ev.shift_key() { last } else { first })
    } else if ev.shift_key() && (on(first) || panel_has_focus) {
        Some(last)
    } else if !ev.shift_key() && on(last) {
        Some(first)
    } else {
        None
    };
    if let Some(target) = wrap_to {
        ev.prevent_default();
        let _ = target.focus();
    }
}
