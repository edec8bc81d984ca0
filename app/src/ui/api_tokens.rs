//! The API token dialog (user menu → API 密钥): the user's own tokens for scripts and tools,
//! making one (its secret shown this once) and revoking one.

use super::session_end::{report, to_login_if_session_ended};
use super::widgets::dialog::Dialog;
use super::widgets::form::{Problem, TextField, field_error, focus_first_invalid, submitted_form};
use super::widgets::mono::Copyable;
use super::widgets::toast::{ToastKind, Toasts};
use super::{Clock, I18n};
use crate::api::tokens::{create_api_token, load_api_tokens, revoke_api_token};
use crate::domain::tokens::{ApiToken, NewApiToken, TOKEN_NAME_MAX_CHARS, check_token_name};
use crate::domain::{AppError, Field};
use crate::i18n::fill;
use leptos::prelude::*;

#[component]
pub fn ApiTokensDialog(#[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let i18n = I18n::get();
    let reload = RwSignal::new(0u32);
    let tokens = Resource::new(move || reload.get(), |_| load_api_tokens());
    let made = RwSignal::new(None::<NewApiToken>);
    let pending = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    let name_problem = move || check_token_name(&name.get()).err().map(Problem::from);
    let name_error = field_error(name_problem, server_error, Field::Name, move || submitted.get());
    let make = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let form = submitted_form(&ev);
        if name_problem().is_some() || pending.get_untracked() {
            focus_first_invalid(form.filter(|_| name_problem().is_some()));
            return;
        }
        pending.set(true);
        server_error.set(None);
        leptos::task::spawn_local(async move {
            match create_api_token(name.get_untracked()).await {
                Ok(token) => {
                    made.set(Some(token));
                    name.set(String::new());
                    submitted.set(false);
                    reload.update(|n| *n += 1);
                }
                Err(error) => {
                    if error.field.is_none() {
                        report(&error);
                    }
                    server_error.set(Some(error));
                    focus_first_invalid(form);
                }
            }
            pending.set(false);
        });
    };
    let revoked = Callback::new(move |id: String| {
        if made.with_untracked(|made| made.as_ref().is_some_and(|token| token.id == id)) {
            made.set(None);
        }
        reload.update(|n| *n += 1);
    });
    view! {
        <Dialog title=Signal::derive(move || i18n.texts().api_tokens.to_owned()) on_close wide=true>
            <div class="dialog-body">
                <p class="muted">{i18n.t(|t| t.tokens_intro)}</p>
                <form class="token-form" on:submit=make novalidate>
                    <TextField id="token-name" label=i18n.t(|t| t.token_name) value=name error=name_error
                        hint=Signal::derive(move || i18n.texts().token_name_hint.to_owned()) counter=TOKEN_NAME_MAX_CHARS
                        on_edit=Callback::new(move |_| server_error.set(None)) />
                    <button type="submit" class="btn btn-primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
                        {move || pending.get().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                        {move || if pending.get() { i18n.texts().submitting } else { i18n.texts().new_token }}
                    </button>
                </form>
                {move || made.get().map(|token| view! {
                    // Not a live region: a screen reader would read the secret aloud.
                    <div class="notice token-secret">
                        <p>{i18n.t(|t| t.token_shown_once)}</p>
                        <Copyable text=token.token secret=true />
                    </div>
                })}
                <Transition fallback=move || view! { <p class="muted">{i18n.t(|t| t.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match tokens.await {
                            Ok(list) if list.is_empty() => view! { <p class="muted">{i18n.t(|t| t.tokens_none)}</p> }.into_any(),
                            Ok(list) => view! { <TokenTable tokens=list on_revoked=revoked /> }.into_any(),
                            Err(error) => {
                                let code = error.code;
                                to_login_if_session_ended(&error);
                                view! {
                                    <div class="notice notice-error" role="alert">
                                        {move || i18n.lang.get().error(code)}
                                        " "
                                        <button type="button" class="btn-link" on:click=move |_| reload.update(|n| *n += 1)>
                                            {i18n.t(|t| t.retry)}
                                        </button>
                                    </div>
                                }
                                .into_any()
                            }
                        }
                    })}
                </Transition>
            </div>
            <div class="dialog-footer">
                <button type="button" class="btn" on:click=move |_| on_close.run(())>{i18n.t(|t| t.close)}</button>
            </div>
        </Dialog>
    }
}

#[component]
fn TokenTable(tokens: Vec<ApiToken>, on_revoked: Callback<String>) -> impl IntoView {
    let i18n = I18n::get();
    view! {
        <table class="token-table">
            <thead>
                <tr>
                    <th>{i18n.t(|t| t.token_name)}</th>
                    <th>{i18n.t(|t| t.token_id)}</th>
                    <th>{i18n.t(|t| t.col_created)}</th>
                    <th>{i18n.t(|t| t.col_last_used)}</th>
                    <th class="col-actions">{i18n.t(|t| t.col_actions)}</th>
                </tr>
            </thead>
            <tbody>
                {tokens.into_iter().map(|token| view! { <TokenRow token on_revoked /> }).collect_view()}
            </tbody>
        </table>
    }
}

/// One token; 撤销 asks once more before it revokes.
#[component]
fn TokenRow(token: ApiToken, on_revoked: Callback<String>) -> impl IntoView {
    let i18n = I18n::get();
    let clock = Clock::get();
    let confirming = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let id = StoredValue::new(token.id.clone());
    let revoke = move |_| {
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        pending.set(true);
        leptos::task::spawn_local(async move {
            let id = id.get_value();
            match revoke_api_token(id.clone()).await {
                Ok(()) => {
                    Toasts::get().show(ToastKind::Success, fill(i18n.texts().token_revoked_toast, &[("id", &id)]));
                    on_revoked.run(id);
                }
                Err(error) => {
                    report(&error);
                    pending.set(false);
                }
            }
        });
    };
    let (created_at, last_used_at) = (token.created_at, token.last_used_at);
    view! {
        <tr>
            <td>{token.name.clone()}</td>
            <td><Copyable text=token.id.clone() /></td>
            <td>{move || created_at.display_in(clock.offset.get())}</td>
            <td>{move || last_used_at.map_or_else(|| i18n.texts().never_used.to_owned(), |at| at.display_in(clock.offset.get()))}</td>
            <td class="col-actions">
                <button type="button" class="btn-link danger" disabled=move || pending.get()
                    aria-label=move || format!("{} {}", if confirming.get() { i18n.texts().confirm_revoke } else { i18n.texts().revoke }, id.get_value())
                    on:click=revoke>
                    {move || if confirming.get() { i18n.texts().confirm_revoke } else { i18n.texts().revoke }}
                </button>
            </td>
        </tr>
    }
}
