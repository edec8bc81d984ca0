//! The login page.

use super::I18n;
use super::i18n_context::LanguageSwitch;
use super::widgets::form::submitted_form;
use crate::api::session::login;
use crate::domain::{AppError, ErrorCode};
use crate::i18n::{Lang, fill};
use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = I18n::get();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    // Both fields are needed: an empty one is said here, before anything is sent.
    let missing = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let empty = username.get_untracked().trim().is_empty() || password.get_untracked().is_empty();
        missing.set(empty);
        if empty {
            error.set(None);
            focus_first_empty(submitted_form(&ev));
            return;
        }
        pending.set(true);
        error.set(None);
        let (user, pass) = (username.get_untracked(), password.get_untracked());
        leptos::task::spawn_local(async move {
            match login(user, pass).await {
                Ok(()) => {
                    let next = window()
                        .location()
                        .search()
                        .ok()
                        .and_then(|s| next_path(&s))
                        .unwrap_or_else(|| "/havips".into());
                    let _ = window().location().set_href(&next);
                }
                Err(e) => {
                    error.set(Some(e));
                    pending.set(false);
                }
            }
        });
    };
    view! {
        <div class="login-page">
            <div class="login-lang"><LanguageSwitch /></div>
            <form class="login-card" on:submit=submit method="post" action="/login" novalidate>
                <div class="brand login-brand"><span class="brand-mark" aria-hidden="true"></span>{i18n.t(|t| t.product_title)}</div>
                <h1>{i18n.t(|t| t.sign_in_title)}</h1>
                <label class="field">
                    <span class="field-label">{i18n.t(|t| t.username)}</span>
                    <input type="text" name="username" autocomplete="username" required bind:value=username />
                </label>
                <label class="field">
                    <span class="field-label">{i18n.t(|t| t.password)}</span>
                    <input type="password" name="password" autocomplete="current-password" required bind:value=password />
                </label>
                {move || missing.get().then(|| view! { <p class="form-error" role="alert">{i18n.t(|t| t.sign_in_missing)}</p> })}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{move || refusal(i18n.lang.get(), &e)}</p> })}
                <button type="submit" class="btn btn-primary btn-block" disabled=move || pending.get()>
                    {move || if pending.get() { i18n.texts().submitting } else { i18n.texts().sign_in }}
                </button>
            </form>
        </div>
    }
}

/// What a refused sign-in says; too many attempts say how long to wait, in whole minutes.
pub(crate) fn refusal(lang: Lang, error: &AppError) -> String {
    match (error.code, error.retry_after_secs) {
        (ErrorCode::TooManyRequests, Some(seconds)) => {
            fill(lang.texts().sign_in_wait, &[("minutes", &seconds.div_ceil(60).to_string())])
        }
        _ => lang.error(error.code).to_owned(),
    }
}

/// Puts the focus on the first empty field of the form.
fn focus_first_empty(form: Option<web_sys::HtmlFormElement>) {
    use web_sys::wasm_bindgen::JsCast;
    let Some(form) = form else { return };
    let Ok(fields) = form.query_selector_all("input") else { return };
    let empty = (0..fields.length())
        .filter_map(|i| fields.item(i)?.dyn_into::<web_sys::HtmlInputElement>().ok())
        .find(|input| input.value().trim().is_empty());
    if let Some(input) = empty {
        let _ = input.focus();
    }
}

/// The page to return to after signing in: a local path from `?next=`, never another site.
fn next_path(search: &str) -> Option<String> {
    let value = search.trim_start_matches('?').split('&').find_map(|pair| pair.strip_prefix("next="))?;
    let decoded = js_decode(value)?;
    is_local_path(&decoded).then_some(decoded)
}

/// A path on this site. Browsers drop tabs and line breaks from a URL and read `\` as `/`, so
/// `/\t/evil.example` would leave the site like `//evil.example`: no whitespace or control
/// characters either.
fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

#[cfg(feature = "hydrate")]
fn js_decode(value: &str) -> Option<String> {
    web_sys::js_sys::decode_uri_component(value).ok().map(String::from)
}

#[cfg(not(feature = "hydrate"))]
fn js_decode(value: &str) -> Option<String> {
    Some(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_paths_of_this_site_are_returned_to() {
        for local in ["/havips", "/havips?q=web&page=2"] {
            assert!(is_local_path(local), "{local}");
        }
        for away in
            ["//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "https://evil.example", ""]
        {
            assert!(!is_local_path(away), "{away:?}");
        }
    }
}
