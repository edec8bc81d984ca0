//! An ended session (idle or absolute expiry, a sign-out in another tab) makes every server
//! function answer Unauthenticated, which no retry can fix. While a dialog is open, what the
//! user typed there must not be lost: a sign-in comes over it ([`SignInAgain`]) and the dialog's
//! request can be sent again afterwards. Otherwise the browser goes to the login page, whose
//! `next` brings the user back to the same view.

use crate::api::session::login;
use crate::domain::{AppError, ErrorCode};
use crate::ui::I18n;
use crate::ui::login::refusal;
use crate::ui::widgets::toast::{ToastKind, Toasts};
use leptos::prelude::*;

/// Whether the session ended while a dialog was open (the sign-in over it shows).
#[derive(Clone, Copy)]
pub struct SessionEnd {
    ended: RwSignal<bool>,
}

impl SessionEnd {
    pub fn provide() {
        provide_context(SessionEnd { ended: RwSignal::new(false) });
    }
}

/// Handles an ended session if `error` says the session has ended, and answers whether it did:
/// then the caller shows nothing more (but leaves its dialog usable: the request may be sent
/// again once the user signed in).
pub fn to_login_if_session_ended(error: &AppError) -> bool {
    let ended = error.code == ErrorCode::Unauthenticated;
    if ended {
        match use_context::<SessionEnd>().filter(|_| a_dialog_is_open()) {
            Some(session) => session.ended.set(true),
            None => go_to_login(),
        }
    }
    ended
}

/// The username the page's user menu shows (empty on the server, and where there is none).
#[cfg(feature = "hydrate")]
fn signed_in_username() -> String {
    document()
        .query_selector(".user-menu .username")
        .ok()
        .flatten()
        .and_then(|element| element.text_content())
        .unwrap_or_default()
}

#[cfg(not(feature = "hydrate"))]
fn signed_in_username() -> String {
    String::new()
}

/// The login page, told to come back to the view shown now.
#[cfg(feature = "hydrate")]
fn login_here() -> String {
    let location = window().location();
    let here = format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
    format!("/login?next={}", String::from(web_sys::js_sys::encode_uri_component(&here)))
}

#[cfg(not(feature = "hydrate"))]
fn login_here() -> String {
    "/login".to_owned()
}

#[cfg(feature = "hydrate")]
fn a_dialog_is_open() -> bool {
    document().query_selector(".dialog-backdrop").ok().flatten().is_some()
}

#[cfg(not(feature = "hydrate"))]
fn a_dialog_is_open() -> bool {
    false
}

/// The sign-in that comes over an open dialog when the session ended. It is not a [`Dialog`]
/// (crate::ui::widgets::dialog): the dialog under it keeps its content and its keys, which it
/// leaves alone while this is shown; Tab goes round this one's controls instead.
#[component]
pub fn SignInAgain() -> impl IntoView {
    let i18n = I18n::get();
    let Some(session) = use_context::<SessionEnd>() else { return ().into_any() };
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let toasts = Toasts::get();
    // Who was signed in: the page shows that user's data, so another user signing in here
    // gets the page anew rather than a mix of both.
    let previous = StoredValue::new(String::new());
    let password_input = NodeRef::<leptos::html::Input>::new();
    let panel = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    {
        let keys = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Tab"
                && session.ended.get_untracked()
                && let Some(panel) = panel.get_untracked()
            {
                crate::ui::widgets::dialog::keep_tab_inside(&panel, &ev);
            }
        });
        on_cleanup(move || keys.remove());
    }
    Effect::new(move |_| {
        if session.ended.get() {
            let shown = signed_in_username();
            previous.set_value(shown.clone());
            username.set(shown);
            request_animation_frame(move || {
                if let Some(input) = password_input.get_untracked() {
                    let _ = input.focus();
                }
            });
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        let (user, pass) = (username.get_untracked(), password.get_untracked());
        leptos::task::spawn_local(async move {
            match login(user, pass).await {
                Ok(()) if previous.with_value(|before| !before.is_empty() && *before != username.get_untracked()) => {
                    let _ = window().location().reload();
                }
                Ok(()) => {
                    password.set(String::new());
                    error.set(None);
                    session.ended.set(false);
                    toasts.show(ToastKind::Success, i18n.texts().signed_in_again);
                }
                Err(refused) => error.set(Some(refused)),
            }
            pending.set(false);
        });
    };
    view! {
        {move || session.ended.get().then(|| view! {
            <div class="dialog-backdrop session-overlay">
                <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="session-ended-title" tabindex="-1" node_ref=panel>
                    <div class="dialog-header"><h2 id="session-ended-title">{i18n.t(|t| t.session_ended_title)}</h2></div>
                    <form class="dialog-form" on:submit=submit novalidate>
                        <div class="dialog-body">
                            <p>{i18n.t(|t| t.session_ended)}</p>
                            <label class="field">
                                <span class="field-label">{i18n.t(|t| t.username)}</span>
                                <input type="text" autocomplete="username" bind:value=username />
                            </label>
                            <label class="field">
                                <span class="field-label">{i18n.t(|t| t.password)}</span>
                                <input type="password" autocomplete="current-password" node_ref=password_input bind:value=password />
                            </label>
                            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{move || refusal(i18n.lang.get(), &e)}</p> })}
                        </div>
                        <div class="dialog-footer">
                            <a class="btn" href=login_here>{i18n.t(|t| t.to_login_page)}</a>
                            <button type="submit" class="btn btn-primary" disabled=move || pending.get()>{i18n.t(|t| t.sign_in)}</button>
                        </div>
                    </form>
                </div>
            </div>
        })}
    }
    .into_any()
}

/// Says what went wrong in an error toast, or leads to the login page when the session ended.
pub fn report(error: &AppError) {
    if !to_login_if_session_ended(error) {
        let i18n = crate::ui::I18n::get();
        crate::ui::widgets::toast::Toasts::get()
            .show(crate::ui::widgets::toast::ToastKind::Error, i18n.lang.get_untracked().error(error.code));
    }
}

/// Watches the error of a load (the inventory, a VPC's VMs) for an ended session.
pub fn follow_session_end(load_error: impl Fn() -> Option<AppError> + 'static) {
    Effect::new(move |_| {
        if let Some(error) = load_error() {
            to_login_if_session_ended(&error);
        }
    });
}

/// The login page, told to come back to the view shown now. The page whose session ended is
/// replaced in the history: going back to it would only lead to the login page again.
#[cfg(feature = "hydrate")]
fn go_to_login() {
    let _ = window().location().replace(&login_here());
}

/// Server rendering never meets an ended session: the page handler sends such a request to the
/// login page before anything is rendered.
#[cfg(not(feature = "hydrate"))]
fn go_to_login() {}
