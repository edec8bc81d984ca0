//! 操作日志: the operation log, newest first, with its filters in the URL (time range, user,
//! action, resource, outcome) like the list's, more entries on demand, and the download of the
//! filtered log. Admins read the tenant's log, members their own entries.

use super::frame::{ConsoleFrame, Section};
use super::query_string::{query_pairs, query_string};
use super::session_end::{follow_session_end, report};
use super::widgets::download::DownloadButton;
use super::{Clock, I18n};
use crate::api::operations::load_operations;
use crate::api::session::whoami;
use crate::api::users::load_users;
use crate::domain::AppError;
use crate::domain::caller::Role;
use crate::domain::operations::{ACTIONS, FILTER_KEYS, OUTCOMES, Operation, OperationPage, OperationQuery};
use crate::domain::time::Timestamp;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};

/// The URL of the log filtered by `query` (from its newest entry).
fn page_url(query: &OperationQuery) -> String {
    format!("/operations{}", query_string(query.first_page().to_pairs()))
}

fn query_from_url(search: &str) -> Result<OperationQuery, AppError> {
    let pairs = query_pairs(search);
    let known = pairs.iter().filter(|(key, _)| FILTER_KEYS.contains(&key.as_str()));
    OperationQuery::from_pairs(known.map(|(k, v)| (k.as_str(), v.as_str())))
}

#[component]
pub fn OperationsPage() -> impl IntoView {
    let i18n = I18n::get();
    let search = use_location().search;
    let query = Memo::new(move |_| search.with(|search| query_from_url(search)));
    let first = Resource::new(
        move || query.get(),
        |query| async move {
            match query {
                Ok(query) => load_operations(query.first_page()).await,
                Err(error) => Err(error),
            }
        },
    );
    follow_session_end(move || first.get().and_then(Result::err));
    let download_url = Callback::new(move |_| {
        let query = query.get_untracked().unwrap_or_default().first_page();
        let mut pairs = query.to_pairs();
        pairs.push(("lang", i18n.lang.get_untracked().code().to_owned()));
        format!("/api/v1/operations/export.xlsx{}", query_string(pairs))
    });
    view! {
        <ConsoleFrame section=Section::Operations>
            <div class="page-head">
                <h1>{i18n.t(|t| t.nav_operations)}</h1>
                <p class="page-intro">{i18n.t(|t| t.operations_intro)}</p>
            </div>
            <section class="panel">
                <Filters query=Signal::derive(move || query.get().unwrap_or_default()) download_url />
                {move || query.get().err().map(|error| view! {
                    <div class="notice notice-error" role="alert">{error.detail.unwrap_or_default()}</div>
                })}
                <Transition fallback=move || view! { <p class="muted">{i18n.t(|t| t.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match first.await {
                            Ok(page) => view! { <OperationTable first=page query=query.get_untracked().unwrap_or_default() /> }.into_any(),
                            Err(error) => {
                                let code = error.code;
                                view! { <div class="notice notice-error" role="alert">{move || i18n.lang.get().error(code)}</div> }.into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
        </ConsoleFrame>
    }
}

/// The filters: a form whose 查询 puts them into the URL, which loads the entries.
#[component]
fn Filters(query: Signal<OperationQuery>, download_url: Callback<(), String>) -> impl IntoView {
    let i18n = I18n::get();
    let clock = Clock::get();
    let navigate = use_navigate();
    let local =
        move |at: Option<Timestamp>| at.map(|at| at.local_input_in(clock.offset.get_untracked())).unwrap_or_default();
    let current = query.get_untracked();
    let since = RwSignal::new(local(current.since));
    let until = RwSignal::new(local(current.until));
    let user_id = RwSignal::new(current.user_id.unwrap_or_default());
    let action = RwSignal::new(current.action.unwrap_or_default());
    let outcome = RwSignal::new(current.outcome.unwrap_or_default());
    let resource_id = RwSignal::new(current.resource_id.unwrap_or_default());
    // The form shows the filters of the URL: on first render, and after 重置, Back and Forward.
    Effect::new(move |_| {
        let current = query.get();
        since.set(local(current.since));
        until.set(local(current.until));
        user_id.set(current.user_id.unwrap_or_default());
        action.set(current.action.unwrap_or_default());
        outcome.set(current.outcome.unwrap_or_default());
        resource_id.set(current.resource_id.unwrap_or_default());
    });
    // Only an admin reads other users' entries, so only an admin picks a user.
    let users = Resource::new(
        || (),
        |_| async move {
            let admin = whoami().await.ok().flatten().is_some_and(|p| p.role == Role::Admin);
            if admin { load_users().await.unwrap_or_default() } else { Vec::new() }
        },
    );
    let apply = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let offset = clock.offset.get_untracked();
            let time = |value: RwSignal<String>| Timestamp::from_local_input(&value.get_untracked(), offset);
            let text =
                |value: RwSignal<String>| Some(value.get_untracked().trim().to_owned()).filter(|v| !v.is_empty());
            let chosen = OperationQuery {
                since: time(since),
                until: time(until),
                user_id: text(user_id),
                action: text(action),
                resource_id: text(resource_id),
                outcome: text(outcome),
                before: None,
                limit: query.get_untracked().limit,
            };
            navigate(&page_url(&chosen), NavigateOptions { scroll: false, ..Default::default() });
        }
    };
    let reset = move |_| navigate("/operations", NavigateOptions { scroll: false, ..Default::default() });
    let option = move |value: &'static str, label: String, chosen: RwSignal<String>| {
        view! { <option value=value selected=move || chosen.get() == value>{label}</option> }
    };
    view! {
        <form class="toolbar log-filters" on:submit=apply>
            <div class="toolbar-left">
                <label class="inline-field">
                    <span>{i18n.t(|t| t.filter_since)}</span>
                    <input type="datetime-local" name="since" prop:value=move || since.get() on:input=move |ev| since.set(event_target_value(&ev)) />
                </label>
                <label class="inline-field">
                    <span>{i18n.t(|t| t.filter_until)}</span>
                    <input type="datetime-local" name="until" prop:value=move || until.get() on:input=move |ev| until.set(event_target_value(&ev)) />
                </label>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = users.await;
                        (!list.is_empty()).then(|| view! {
                            <select class="select" name="user_id" aria-label=i18n.t(|t| t.filter_user) on:change=move |ev| user_id.set(event_target_value(&ev))>
                                <option value="">{i18n.t(|t| t.all_users)}</option>
                                {list.into_iter().map(|user| {
                                    let id = user.id.clone();
                                    view! { <option value=user.id selected=move || user_id.get() == id>{user.username}</option> }
                                }).collect_view()}
                            </select>
                        })
                    })}
                </Transition>
                <select class="select" name="action" aria-label=i18n.t(|t| t.filter_action) on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="">{i18n.t(|t| t.all_actions)}</option>
                    {ACTIONS.into_iter().map(|code| option(code, i18n.lang.get_untracked().action(code).to_owned(), action)).collect_view()}
                </select>
                <select class="select" name="outcome" aria-label=i18n.t(|t| t.filter_outcome) on:change=move |ev| outcome.set(event_target_value(&ev))>
                    <option value="">{i18n.t(|t| t.all_outcomes)}</option>
                    {OUTCOMES.into_iter().map(|code| option(code, i18n.lang.get_untracked().outcome(code).to_owned(), outcome)).collect_view()}
                </select>
                <input type="search" class="search-input" name="resource_id" placeholder=i18n.t(|t| t.filter_resource) aria-label=i18n.t(|t| t.filter_resource)
                    prop:value=move || resource_id.get() on:input=move |ev| resource_id.set(event_target_value(&ev)) />
                <button type="submit" class="btn btn-primary">{i18n.t(|t| t.apply_filters)}</button>
                <button type="button" class="btn" on:click=reset>{i18n.t(|t| t.reset_filters)}</button>
            </div>
            <div class="toolbar-right">
                <DownloadButton url=download_url />
            </div>
        </form>
    }
}

/// The entries of the first page, and the older ones 加载更多 brings.
#[component]
fn OperationTable(first: OperationPage, query: OperationQuery) -> impl IntoView {
    let i18n = I18n::get();
    let entries = RwSignal::new(first.items);
    let next = RwSignal::new(first.next_before);
    let loading = RwSignal::new(false);
    let query = StoredValue::new(query);
    let more = move |_| {
        let Some(before) = next.get_untracked() else { return };
        loading.set(true);
        leptos::task::spawn_local(async move {
            let asked = OperationQuery { before: Some(before), ..query.get_value() };
            match load_operations(asked).await {
                Ok(page) => {
                    entries.update(|shown| shown.extend(page.items));
                    next.set(page.next_before);
                }
                Err(error) => report(&error),
            }
            loading.set(false);
        });
    };
    view! {
        {move || entries.with(Vec::is_empty).then(|| view! { <p class="muted empty-log">{i18n.t(|t| t.no_operations)}</p> })}
        <table class="admin-table log-table" class:hidden=move || entries.with(Vec::is_empty)>
            <thead>
                <tr>
                    <th>{i18n.t(|t| t.col_time)}</th>
                    <th>{i18n.t(|t| t.col_user)}</th>
                    <th>{i18n.t(|t| t.col_action)}</th>
                    <th>{i18n.t(|t| t.col_resource)}</th>
                    <th>{i18n.t(|t| t.col_outcome)}</th>
                    <th>{i18n.t(|t| t.col_detail)}</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || entries.get() key=|entry| entry.id.clone() let:entry>
                    <OperationRow entry />
                </For>
            </tbody>
        </table>
        {move || next.get().is_some().then(|| view! {
            <div class="load-more">
                <button type="button" class="btn" disabled=move || loading.get() on:click=more>{i18n.t(|t| t.load_more)}</button>
            </div>
        })}
    }
}

#[component]
fn OperationRow(entry: Operation) -> impl IntoView {
    let i18n = I18n::get();
    let clock = Clock::get();
    let at = entry.at;
    let who = entry.username.or(entry.user_id);
    let failed = entry.outcome == "failed";
    let (action, outcome) = (entry.action, entry.outcome);
    let code = action.clone();
    view! {
        <tr>
            <td class="nowrap">{move || at.display_in(clock.offset.get())}</td>
            <td>{move || who.clone().unwrap_or_else(|| i18n.texts().source_server.to_owned())}</td>
            <td title=code>{move || i18n.lang.get().action(&action).to_owned()}</td>
            <td class="mono">{entry.resource_id}</td>
            <td class:danger-text=failed>{move || i18n.lang.get().outcome(&outcome).to_owned()}</td>
            <td class="log-detail">{entry.detail}</td>
        </tr>
    }
}
