//! The console frame: top bar (product, language, user menu) and the left navigation.

use super::I18n;
use super::api_tokens::ApiTokensDialog;
use super::i18n_context::LanguageSwitch;
use crate::api::session::{logout, whoami};
use crate::domain::AppError;
use crate::domain::caller::{Role, UserProfile};
use crate::i18n::Texts;
use leptos::prelude::*;

/// The console's pages, for the navigation's current item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Section {
    #[default]
    Havips,
    Users,
    Operations,
}

#[component]
pub fn ConsoleFrame(#[prop(optional)] section: Section, children: Children) -> impl IntoView {
    let i18n = I18n::get();
    let profile = Resource::new(|| (), |_| whoami());
    let item = move |target: Section, href: &'static str, label: fn(&'static Texts) -> &'static str| {
        let current = target == section;
        view! {
            <a class="sidenav-item" class:active=current href=href aria-current=current.then_some("page")>
                {i18n.t(label)}
            </a>
        }
    };
    view! {
        <div class="console">
            <header class="topbar">
                <a class="brand" href="/havips">
                    <span class="brand-mark" aria-hidden="true"></span>
                    {i18n.t(|t| t.product_title)}
                </a>
                <div class="topbar-right">
                    <LanguageSwitch />
                    <UserMenu profile />
                </div>
            </header>
            <div class="console-body">
                <nav class="sidenav" aria-label=i18n.t(|t| t.console_name)>
                    <div class="sidenav-group">{i18n.t(|t| t.console_name)}</div>
                    {item(Section::Havips, "/havips", |t| t.nav_havips)}
                    <div class="sidenav-group">{i18n.t(|t| t.nav_admin_group)}</div>
                    // Only admins manage users: members see no entry (the page refuses them too).
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let admin = profile.await.ok().flatten().is_some_and(|p| p.role == Role::Admin);
                            admin.then(|| item(Section::Users, "/users", |t| t.nav_users))
                        })}
                    </Transition>
                    {item(Section::Operations, "/operations", |t| t.nav_operations)}
                </nav>
                <main class="content">{children()}</main>
            </div>
        </div>
    }
}

#[component]
fn UserMenu(profile: Resource<Result<Option<UserProfile>, AppError>>) -> impl IntoView {
    let i18n = I18n::get();
    let tokens_open = RwSignal::new(false);
    let menu = NodeRef::<leptos::html::Details>::new();
    // A dialog opened from the menu closes it: left open, the menu would lie over the dialog.
    let open_tokens = move |_| {
        if let Some(menu) = menu.get_untracked() {
            menu.set_open(false);
            // The dialog gives the focus back to what had it: the menu's button, still shown.
            #[cfg(feature = "hydrate")]
            super::widgets::menus::focus_menu_button(&menu);
        }
        tokens_open.set(true);
    };
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
                    <details class="user-menu" node_ref=menu>
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
                            <button type="button" class="menu-item" on:click=open_tokens>{i18n.t(|t| t.api_tokens)}</button>
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
