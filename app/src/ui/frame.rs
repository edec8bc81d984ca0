//! The console frame: top bar (product, language, user menu) and the left navigation.

use super::I18n;
use super::api_tokens::ApiTokensDialog;
use super::i18n_context::LanguageSwitch;
use crate::api::session::{logout, whoami};
use leptos::prelude::*;

#[component]
pub fn ConsoleFrame(children: Children) -> impl IntoView {
    let i18n = I18n::get();
    view! {
        <div class="console">
            <header class="topbar">
                <a class="brand" href="/havips">
                    <span class="brand-mark" aria-hidden="true"></span>
                    {i18n.t(|t| t.product_title)}
                </a>
                <div class="topbar-right">
                    <LanguageSwitch />
                    <UserMenu />
                </div>
            </header>
            <div class="console-body">
                <nav class="sidenav" aria-label=i18n.t(|t| t.console_name)>
                    <div class="sidenav-group">{i18n.t(|t| t.console_name)}</div>
                    <a class="sidenav-item active" href="/havips" aria-current="page">
                        {i18n.t(|t| t.nav_havips)}
                    </a>
                </nav>
                <main class="content">{children()}</main>
            </div>
        </div>
    }
}

#[component]
fn UserMenu() -> impl IntoView {
    let i18n = I18n::get();
    let profile = Resource::new(|| (), |_| whoami());
    let tokens_open = RwSignal::new(false);
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            // Whatever the answer, the session cookie is gone or useless: go to the login page.
            let _ = logout().await;
            let _ = window().location().set_href("/login");
        });
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                profile.await.ok().flatten().map(|profile| view! {
                    <details class="user-menu">
                        <summary aria-label=i18n.t(|t| t.user_menu)>
                            <span class="avatar" aria-hidden="true">{profile.username.chars().next().map(|c| c.to_uppercase().to_string())}</span>
                            <span class="username">{profile.username.clone()}</span>
                        </summary>
                        <div class="menu">
                            <div class="menu-info">
                                <span class="muted">{i18n.t(|t| t.tenant)}</span>
                                " "
                                {profile.tenant_name.clone()}
                            </div>
                            <button type="button" class="menu-item" on:click=move |_| tokens_open.set(true)>{i18n.t(|t| t.api_tokens)}</button>
                            <button type="button" class="menu-item" on:click=sign_out>{i18n.t(|t| t.sign_out)}</button>
                        </div>
                    </details>
                })
            })}
        </Transition>
        {move || tokens_open.get().then(|| view! { <ApiTokensDialog on_close=move |_| tokens_open.set(false) /> })}
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = I18n::get();
    view! {
        <div class="not-found">
            <h1>"404"</h1>
            <p>{move || i18n.lang.get().error(crate::domain::ErrorCode::NotFound)}</p>
            <a href="/havips">{i18n.t(|t| t.nav_havips)}</a>
        </div>
    }
}
