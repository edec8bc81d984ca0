//! The login page.

use super::I18n;
use super::i18n_context::LanguageSwitch;
use crate::api::session::login;
use crate::domain::AppError;
use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = I18n::get();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
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
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{i18n.lang.get().error(e.code)}</p> })}
                <button type="submit" class="btn btn-primary btn-block" disabled=move || pending.get()>
                    {move || if pending.get() { i18n.texts().submitting } else { i18n.texts().sign_in }}
                </button>
            </form>
        </div>
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
