//! 用户管理: the tenant's users, for its admins. A member who opens the page is told that only
//! admins manage users (the server refuses it too).

mod dialogs;

use super::frame::{ConsoleFrame, Section};
use super::session_end::{follow_session_end, report};
use super::widgets::toast::{ToastKind, Toasts};
use super::{Clock, I18n};
use crate::api::session::whoami;
use crate::api::users::{load_users, update_user};
use crate::domain::ErrorCode;
use crate::domain::caller::Role;
use crate::domain::users::{UpdateUserRequest, User};
use crate::i18n::fill;
use leptos::prelude::*;

/// Which dialog is open.
#[derive(Clone, Debug, PartialEq)]
enum UserDialog {
    Closed,
    Create,
    ResetPassword(User),
    Disable(User),
    Delete(User),
    /// A password the server generated, shown this once.
    Password {
        username: String,
        password: String,
    },
}

/// What the page's parts share.
#[derive(Clone, Copy)]
struct UsersState {
    dialog: RwSignal<UserDialog>,
    reload: RwSignal<u32>,
}

impl UsersState {
    fn get() -> UsersState {
        expect_context::<UsersState>()
    }

    fn refresh(self) {
        self.reload.update(|n| *n += 1);
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = I18n::get();
    let state = UsersState { dialog: RwSignal::new(UserDialog::Closed), reload: RwSignal::new(0) };
    provide_context(state);
    let users = Resource::new(move || state.reload.get(), |_| load_users());
    let me = Resource::new(|| (), |_| whoami());
    follow_session_end(move || users.get().and_then(Result::err));
    view! {
        <ConsoleFrame section=Section::Users>
            <div class="page-head">
                <h1>{i18n.t(|t| t.nav_users)}</h1>
                <p class="page-intro">{i18n.t(|t| t.users_intro)}</p>
            </div>
            <section class="panel">
                <Transition fallback=move || view! { <p class="muted">{i18n.t(|t| t.loading)}</p> }>
                    {move || Suspend::new(async move {
                        let myself = me.await.ok().flatten().map(|p| p.username).unwrap_or_default();
                        match users.await {
                            Ok(list) => view! {
                                <div class="toolbar">
                                    <div class="toolbar-left">
                                        <button type="button" class="btn btn-primary" on:click=move |_| state.dialog.set(UserDialog::Create)>
                                            {i18n.t(|t| t.new_user)}
                                        </button>
                                    </div>
                                </div>
                                <UserTable users=list myself />
                            }
                            .into_any(),
                            Err(error) if error.code == ErrorCode::Forbidden => view! {
                                <p class="notice">{i18n.t(|t| t.forbidden_page)}</p>
                            }
                            .into_any(),
                            Err(error) => {
                                let code = error.code;
                                view! {
                                    <div class="notice notice-error" role="alert">
                                        {move || i18n.lang.get().error(code)}
                                        " "
                                        <button type="button" class="btn-link" on:click=move |_| state.refresh()>{i18n.t(|t| t.retry)}</button>
                                    </div>
                                }
                                .into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
            {move || match state.dialog.get() {
                UserDialog::Closed => ().into_any(),
                UserDialog::Create => view! { <dialogs::CreateUserDialog /> }.into_any(),
                UserDialog::ResetPassword(user) => view! { <dialogs::ResetPasswordDialog user /> }.into_any(),
                UserDialog::Disable(user) => view! { <dialogs::ConfirmDialog user delete=false /> }.into_any(),
                UserDialog::Delete(user) => view! { <dialogs::ConfirmDialog user delete=true /> }.into_any(),
                UserDialog::Password { username, password } => view! { <dialogs::PasswordOnce username password /> }.into_any(),
            }}
        </ConsoleFrame>
    }
}

#[component]
fn UserTable(users: Vec<User>, myself: String) -> impl IntoView {
    let i18n = I18n::get();
    view! {
        <table class="admin-table users-table">
            <thead>
                <tr>
                    <th>{i18n.t(|t| t.col_username)}</th>
                    <th>{i18n.t(|t| t.col_role)}</th>
                    <th>{i18n.t(|t| t.col_user_state)}</th>
                    <th>{i18n.t(|t| t.col_last_login)}</th>
                    <th>{i18n.t(|t| t.col_created)}</th>
                    <th class="col-actions">{i18n.t(|t| t.col_actions)}</th>
                </tr>
            </thead>
            <tbody>
                {users.into_iter().map(|user| {
                    let is_me = user.username == myself;
                    view! { <UserRow user is_me /> }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// One user and what an admin can do to it. A change of role and an enable happen at once; a
/// disable, a reset and a delete ask first.
#[component]
fn UserRow(user: User, is_me: bool) -> impl IntoView {
    let i18n = I18n::get();
    let clock = Clock::get();
    let state = UsersState::get();
    let pending = RwSignal::new(false);
    let stored = StoredValue::new(user.clone());
    let change = move |request: UpdateUserRequest| {
        pending.set(true);
        leptos::task::spawn_local(async move {
            let user = stored.get_value();
            match update_user(user.id.clone(), request).await {
                Ok(_) => {
                    let text = fill(i18n.texts().user_updated_toast, &[("name", &user.username)]);
                    Toasts::get().show(ToastKind::Success, text);
                    state.refresh();
                }
                Err(error) => report(&error),
            }
            pending.set(false);
        });
    };
    let (role, disabled) = (user.role, user.disabled);
    let (created_at, last_login_at) = (user.created_at, user.last_login_at);
    let other_role = if role == Role::Admin { Role::Member } else { Role::Admin };
    view! {
        <tr data-username=user.username.clone()>
            <td>
                <span class="username-cell">{user.username.clone()}</span>
                {is_me.then(|| view! { <span class="muted">{i18n.t(|t| t.you_marker)}</span> })}
            </td>
            <td>{move || if role == Role::Admin { i18n.texts().role_admin } else { i18n.texts().role_member }}</td>
            <td>
                <span class="badge" class:badge-available=!disabled class:badge-muted=disabled>
                    {move || if disabled { i18n.texts().user_disabled } else { i18n.texts().user_active }}
                </span>
            </td>
            <td>{move || last_login_at.map_or_else(|| i18n.texts().never_signed_in.to_owned(), |at| at.display_in(clock.offset.get()))}</td>
            <td>{move || created_at.display_in(clock.offset.get())}</td>
            <td class="col-actions">
                <button type="button" class="btn-link" disabled=move || pending.get()
                    on:click=move |_| change(UpdateUserRequest { role: Some(other_role), disabled: None })>
                    {move || if other_role == Role::Admin { i18n.texts().make_admin } else { i18n.texts().make_member }}
                </button>
                {if disabled {
                    view! {
                        <button type="button" class="btn-link" disabled=move || pending.get()
                            on:click=move |_| change(UpdateUserRequest { role: None, disabled: Some(false) })>
                            {i18n.t(|t| t.enable)}
                        </button>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="btn-link" on:click=move |_| state.dialog.set(UserDialog::Disable(stored.get_value()))>
                            {i18n.t(|t| t.disable)}
                        </button>
                    }.into_any()
                }}
                <button type="button" class="btn-link" on:click=move |_| state.dialog.set(UserDialog::ResetPassword(stored.get_value()))>
                    {i18n.t(|t| t.reset_password)}
                </button>
                <button type="button" class="btn-link danger" on:click=move |_| state.dialog.set(UserDialog::Delete(stored.get_value()))>
                    {i18n.t(|t| t.delete)}
                </button>
            </td>
        </tr>
    }
}
