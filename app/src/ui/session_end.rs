//! An ended session (idle or absolute expiry, a sign-out in another tab) makes every server
//! function answer Unauthenticated, which no retry can fix: the browser goes to the login page,
//! whose `next` brings the user back to the same view afterwards.

use crate::domain::{AppError, ErrorCode};
use leptos::prelude::*;

/// Sends the browser to the login page if `error` says that the session has ended, and answers
/// whether it did: then the caller has nothing more to show.
pub fn to_login_if_session_ended(error: &AppError) -> bool {
    let ended = error.code == ErrorCode::Unauthenticated;
    if ended {
        go_to_login();
    }
    ended
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
    let location = window().location();
    let here = format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
    let next = String::from(web_sys::js_sys::encode_uri_component(&here));
    let _ = location.replace(&format!("/login?next={next}"));
}

/// Server rendering never meets an ended session: the page handler sends such a request to the
/// login page before anything is rendered.
#[cfg(not(feature = "hydrate"))]
fn go_to_login() {}
