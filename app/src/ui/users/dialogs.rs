//! The dialogs of 用户管理: a new user, a password reset, the confirmation of a disable or a
//! delete, and a generated password shown once. A refused request leaves the dialog open with
//! what was typed, the error beside its field.

use super::{UserDialog, UsersState};
use crate::api::users::{create_user, delete_user, reset_password, update_user};
use crate::domain::caller::Role;
use crate::domain::users::{
    CreateUserRequest, ResetPasswordRequest, UpdateUserRequest, User, UserWithPassword, check_password, check_username,
};
use crate::domain::{AppError, Field};
use crate::i18n::fill;
use crate::ui::I18n;
use crate::ui::session_end::{report, to_login_if_session_ended};
use crate::ui::widgets::dialog::Dialog;
use crate::ui::widgets::form::{
    DialogButtons, Problem, TextField, Touched, field_error, focus_first_invalid, submitted_form,
};
use crate::ui::widgets::mono::Copyable;
use crate::ui::widgets::toast::{ToastKind, Toasts};
use leptos::prelude::*;

/// An empty password field means "generate one"; anything typed follows the rule.
fn password_problem(password: &str) -> Option<Problem> {
    (!password.is_empty()).then(|| check_password(password).err().map(Problem::from)).flatten()
}

/// After a create or a reset: shows the generated password once, or closes with a toast. The
/// page's state comes from the caller: after an await only the app's own contexts are found.
fn done(state: UsersState, answer: UserWithPassword, toast: &'static str) {
    let username = answer.user.username;
    Toasts::get().show(ToastKind::Success, fill(toast, &[("name", &username)]));
    state.refresh();
    state.dialog.set(match answer.generated_password {
        Some(password) => UserDialog::Password { username, password },
        None => UserDialog::Closed,
    });
}

/// A refused request: the error goes beside its field (or into a toast), the dialog stays, and
/// the focus goes to the field.
fn refused(
    error: AppError,
    server_error: RwSignal<Option<AppError>>,
    pending: RwSignal<bool>,
    form: Option<web_sys::HtmlFormElement>,
) {
    if to_login_if_session_ended(&error) {
        pending.set(false);
        return;
    }
    if error.field.is_none() {
        Toasts::get().show(ToastKind::Error, I18n::get().lang.get_untracked().error(error.code));
    }
    server_error.set(Some(error));
    pending.set(false);
    focus_first_invalid(form);
}

#[component]
pub fn CreateUserDialog() -> impl IntoView {
    let i18n = I18n::get();
    let state = UsersState::get();
    let close = Callback::new(move |_| state.dialog.set(UserDialog::Closed));
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let submitted = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    let touched_username = Touched::new(submitted);
    let touched_password = Touched::new(submitted);
    let edited = move |touched: Touched| {
        Callback::new(move |_| {
            touched.mark();
            server_error.set(None);
        })
    };
    let username_problem = move || check_username(username.get().trim()).err().map(Problem::from);
    let password_problem = move || password_problem(&password.get());
    let username_error = field_error(username_problem, server_error, Field::Username, touched_username.visible());
    let password_error = field_error(password_problem, server_error, Field::Password, touched_password.visible());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let form = submitted_form(&ev);
        let has_problem = username_problem().is_some() || password_problem().is_some();
        if has_problem || pending.get_untracked() {
            focus_first_invalid(form.filter(|_| has_problem));
            return;
        }
        let request = CreateUserRequest {
            username: username.get_untracked().trim().to_owned(),
            role: role.get_untracked(),
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
        };
        pending.set(true);
        server_error.set(None);
        leptos::task::spawn_local(async move {
            match create_user(request).await {
                Ok(made) => done(state, made, i18n.texts().user_created_toast),
                Err(error) => refused(error, server_error, pending, form),
            }
        });
    };
    view! {
        <Dialog title=Signal::derive(move || i18n.texts().new_user.to_owned()) on_close=close>
            <form class="dialog-form" on:submit=submit novalidate>
                <div class="dialog-body">
                    <TextField id="user-username" label=i18n.t(|t| t.col_username) value=username error=username_error
                        required=true maxlength=64 autofocus=true on_edit=edited(touched_username) />
                    <div class="field">
                        <label class="field-label" for="user-role">{i18n.t(|t| t.col_role)}</label>
                        <select id="user-role" class="select" on:change=move |ev| {
                            role.set(if event_target_value(&ev) == "admin" { Role::Admin } else { Role::Member });
                        }>
                            <option value="member" selected=true>{i18n.t(|t| t.role_member)}</option>
                            <option value="admin">{i18n.t(|t| t.role_admin)}</option>
                        </select>
                    </div>
                    <TextField id="user-password" label=i18n.t(|t| t.password_label) value=password error=password_error
                        hint=Signal::derive(move || i18n.texts().password_optional_hint.to_owned()) maxlength=256
                        on_edit=edited(touched_password) />
                </div>
                <DialogButtons confirm=i18n.t(|t| t.create) pending on_cancel=close />
            </form>
        </Dialog>
    }
}

#[component]
pub fn ResetPasswordDialog(user: User) -> impl IntoView {
    let i18n = I18n::get();
    let state = UsersState::get();
    let close = Callback::new(move |_| state.dialog.set(UserDialog::Closed));
    let password = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    let touched = Touched::new(submitted);
    let problem = move || password_problem(&password.get());
    let error = field_error(problem, server_error, Field::Password, touched.visible());
    let (id, name) = (StoredValue::new(user.id), StoredValue::new(user.username));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let form = submitted_form(&ev);
        if problem().is_some() || pending.get_untracked() {
            focus_first_invalid(form.filter(|_| problem().is_some()));
            return;
        }
        let request = ResetPasswordRequest { password: Some(password.get_untracked()).filter(|p| !p.is_empty()) };
        pending.set(true);
        server_error.set(None);
        leptos::task::spawn_local(async move {
            match reset_password(id.get_value(), request).await {
                Ok(answer) => done(state, answer, i18n.texts().password_reset_toast),
                Err(error) => refused(error, server_error, pending, form),
            }
        });
    };
    let title = Signal::derive(move || fill(i18n.texts().reset_password_title, &[("name", &name.get_value())]));
    view! {
        <Dialog title on_close=close>
            <form class="dialog-form" on:submit=submit novalidate>
                <div class="dialog-body">
                    <p class="muted">{i18n.t(|t| t.reset_password_note)}</p>
                    <TextField id="reset-password" label=i18n.t(|t| t.password_label) value=password error
                        hint=Signal::derive(move || i18n.texts().password_optional_hint.to_owned()) maxlength=256 autofocus=true
                        on_edit=Callback::new(move |_| { touched.mark(); server_error.set(None); }) />
                </div>
                <DialogButtons confirm=i18n.t(|t| t.reset_password) pending on_cancel=close />
            </form>
        </Dialog>
    }
}

/// Asks before a disable (`delete` false) or a delete, which both end the user's access.
#[component]
pub fn ConfirmDialog(user: User, delete: bool) -> impl IntoView {
    let i18n = I18n::get();
    let state = UsersState::get();
    let close = Callback::new(move |_| state.dialog.set(UserDialog::Closed));
    let pending = RwSignal::new(false);
    let (id, name) = (StoredValue::new(user.id), StoredValue::new(user.username));
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        leptos::task::spawn_local(async move {
            let answer = if delete {
                delete_user(id.get_value()).await
            } else {
                update_user(id.get_value(), UpdateUserRequest { role: None, disabled: Some(true) }).await.map(|_| ())
            };
            match answer {
                Ok(()) => {
                    let toast = if delete { i18n.texts().user_deleted_toast } else { i18n.texts().user_updated_toast };
                    Toasts::get().show(ToastKind::Success, fill(toast, &[("name", &name.get_value())]));
                    state.refresh();
                    state.dialog.set(UserDialog::Closed);
                }
                Err(error) => {
                    report(&error);
                    pending.set(false);
                }
            }
        });
    };
    let title = move || if delete { i18n.texts().delete_user_title } else { i18n.texts().disable };
    let question = move || {
        let template = if delete { i18n.texts().delete_user_confirm } else { i18n.texts().disable_user_confirm };
        fill(template, &[("name", &name.get_value())])
    };
    view! {
        <Dialog title=Signal::derive(move || title().to_owned()) on_close=close>
            <form class="dialog-form" on:submit=confirm>
                <div class="dialog-body"><p>{question}</p></div>
                <DialogButtons confirm=move || if delete { i18n.texts().delete } else { i18n.texts().disable } pending on_cancel=close danger=true />
            </form>
        </Dialog>
    }
}

/// A password the server generated: shown this once, to be handed to the user.
#[component]
pub fn PasswordOnce(username: String, password: String) -> impl IntoView {
    let i18n = I18n::get();
    let state = UsersState::get();
    let close = Callback::new(move |_| state.dialog.set(UserDialog::Closed));
    let name = StoredValue::new(username);
    view! {
        <Dialog title=Signal::derive(move || i18n.texts().password_label.to_owned()) on_close=close>
            <div class="dialog-body">
                // Not a live region: a screen reader would read the password aloud.
                <div class="notice token-secret">
                    <p>{move || fill(i18n.texts().password_shown_once, &[("name", &name.get_value())])}</p>
                    <Copyable text=password secret=true />
                </div>
            </div>
            <div class="dialog-footer">
                <button type="button" class="btn btn-primary" on:click=move |_| close.run(())>{i18n.t(|t| t.close)}</button>
            </div>
        </Dialog>
    }
}
