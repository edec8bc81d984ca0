//! The delete confirmation (删除, single or batch): lists the HAVIPs and the VMs that will be
//! unbound, then reports each item's outcome; failures stay listed with their reason.

use super::{Dialog as DialogState, PageState};
use crate::api::havips::delete_havips;
use crate::domain::havip::Havip;
use crate::domain::input::BatchItemResult;
use crate::i18n::{by_count, fill};
use crate::ui::I18n;
use crate::ui::session_end::to_login_if_session_ended;
use crate::ui::widgets::dialog::Dialog;
use crate::ui::widgets::toast::{ToastKind, Toasts};
use leptos::prelude::*;

#[component]
pub fn DeleteDialog(havips: Vec<Havip>) -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let close = Callback::new(move |_| state.dialog.set(DialogState::Closed));
    let pending = RwSignal::new(false);
    let failures = RwSignal::new(Vec::<BatchItemResult>::new());
    // How many were deleted, once the answer came with failures.
    let deleted = RwSignal::new(0usize);
    let count = havips.len();
    let ids: Vec<String> = havips.iter().map(|h| h.id.clone()).collect();
    let names = StoredValue::new(havips.iter().map(|h| (h.id.clone(), h.name.clone())).collect::<Vec<_>>());

    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        let ids = ids.clone();
        leptos::task::spawn_local(async move {
            let toasts = Toasts::get();
            match delete_havips(ids).await {
                Ok(results) => {
                    let ok = results.iter().filter(|r| r.ok).count();
                    let failed: Vec<_> = results.into_iter().filter(|r| !r.ok).collect();
                    if ok > 0 {
                        let t = i18n.texts();
                        toasts.show(
                            ToastKind::Success,
                            fill(by_count(ok, t.deleting_toast_one, t.deleting_toast), &[("n", &ok.to_string())]),
                        );
                    }
                    state.selected.set(Default::default());
                    state.refresh();
                    if failed.is_empty() {
                        state.dialog.set(DialogState::Closed);
                    } else {
                        toasts.show(
                            ToastKind::Error,
                            fill(i18n.texts().delete_failed_toast, &[("n", &failed.len().to_string())]),
                        );
                        deleted.set(ok);
                        failures.set(failed);
                    }
                }
                // The sign-in comes over the dialog; afterwards the delete can be confirmed again.
                Err(error) if to_login_if_session_ended(&error) => {}
                Err(error) => toasts.show(ToastKind::Error, i18n.lang.get_untracked().error(error.code)),
            }
            pending.set(false);
        });
    };

    view! {
        <Dialog title=Signal::derive(move || by_count(count, i18n.texts().delete_title_one, i18n.texts().delete_title).to_owned()) on_close=close>
            <form class="dialog-form" on:submit=confirm>
                <div class="dialog-body">
                    {move || {
                        let failed = failures.get();
                        if failed.is_empty() {
                            return ().into_any();
                        }
                        view! {
                            <div class="notice notice-error" role="alert">
                                <strong>{move || fill(i18n.texts().delete_result, &[("ok", &deleted.get().to_string()), ("failed", &failures.with(Vec::len).to_string())])}</strong>
                                <ul class="failure-list">
                                    {failed
                                        .into_iter()
                                        .map(|item| {
                                            let name = names.with_value(|n| n.iter().find(|(id, _)| *id == item.id).map(|(_, name)| name.clone())).unwrap_or_default();
                                            let code = item.error.map(|e| e.code);
                                            view! {
                                                <li>
                                                    <strong>{name}</strong>
                                                    " "
                                                    <span class="mono small">{item.id.clone()}</span>
                                                    ": "
                                                    {move || code.map(|c| i18n.lang.get().error(c))}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </div>
                        }
                        .into_any()
                    }}
                    // Once answered, the dialog says what happened rather than asking again.
                    <p class:hidden=move || !failures.with(Vec::is_empty)>
                        {move || fill(by_count(count, i18n.texts().delete_intro_one, i18n.texts().delete_intro), &[("n", &count.to_string())])}
                    </p>
                    <ul class="delete-list" class:hidden=move || !failures.with(Vec::is_empty)>
                        {havips
                            .into_iter()
                            .map(|havip| {
                                let vms = havip.vms.iter().map(|vm| format!("{} ({})", vm.name, vm.ip)).collect::<Vec<_>>().join(", ");
                                let has_vms = !havip.vms.is_empty();
                                view! {
                                    <li>
                                        <div>
                                            <strong>{havip.name.clone()}</strong>
                                            " "
                                            <span class="mono small muted">{havip.id.clone()} " · " {havip.ip.clone()}</span>
                                        </div>
                                        <div class="small">
                                            {move || if has_vms { i18n.texts().delete_unbinds } else { i18n.texts().no_bound_vms }}
                                            " "
                                            {vms}
                                        </div>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </div>
                <div class="dialog-footer">
                    <button type="button" class="btn" on:click=move |_| close.run(())>
                        {move || if failures.get().is_empty() { i18n.texts().cancel } else { i18n.texts().close }}
                    </button>
                    {move || failures.get().is_empty().then(|| view! {
                        <button type="submit" class="btn btn-primary btn-danger" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
                            {move || pending.get().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                            {move || if pending.get() { i18n.texts().submitting } else { i18n.texts().confirm_delete }}
                        </button>
                    })}
                </div>
            </form>
        </Dialog>
    }
}
