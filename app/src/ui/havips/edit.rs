//! The edit dialog (编辑): name and remark in any status (R11); the bound VMs replaced as a
//! whole while the HAVIP is available (R12), under the create rules; a stale copy is refused
//! by its version (R14) and the dialog stays open with what was typed.

use super::vm_picker::{VmPicker, VpcVms, chosen_vms_problem};
use super::{Dialog as DialogState, PageState};
use crate::api::havips::{load_havip, load_inventory, update_havip};
use crate::domain::havip::Havip;
use crate::domain::input::UpdateHavipRequest;
use crate::domain::inventory::Inventory;
use crate::domain::name::{NAME_MAX_CHARS, name_problem as problem_of_name};
use crate::domain::remark::{REMARK_MAX_CHARS, Remark};
use crate::domain::{AppError, ErrorCode, Field};
use crate::i18n::fill;
use crate::ui::I18n;
use crate::ui::session_end::{follow_session_end, report, to_login_if_session_ended};
use crate::ui::widgets::dialog::Dialog;
use crate::ui::widgets::form::{
    DialogButtons, Problem, TextField, Touched, field_error, focus_first_invalid, submitted_form,
};
use crate::ui::widgets::toast::{ToastKind, Toasts};
use leptos::prelude::*;

#[component]
pub fn EditDialog(havip: Havip) -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let close = Callback::new(move |_| state.dialog.set(DialogState::Closed));
    let inventory = Resource::new(|| (), |_| load_inventory());
    follow_session_end(move || inventory.get().and_then(Result::err));
    let havip = StoredValue::new(havip);
    view! {
        <Dialog title=Signal::derive(move || i18n.texts().edit_title.to_owned()) on_close=close wide=true>
            <Suspense fallback=move || view! { <p class="dialog-body">{i18n.t(|t| t.loading)}</p> }>
                {move || Suspend::new(async move {
                    match inventory.await {
                        Ok(inventory) => view! { <EditForm havip=havip.get_value() inventory on_close=close /> }.into_any(),
                        Err(error) => view! {
                            <p class="dialog-body form-error" role="alert">{move || i18n.lang.get().error(error.code)}</p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </Dialog>
    }
}

#[component]
fn EditForm(havip: Havip, inventory: Inventory, on_close: Callback<()>) -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let limits = inventory.limits;
    let bound_now: Vec<String> = havip.vms.iter().map(|vm| vm.id.clone()).collect();
    let can_rebind = havip.status.can_rebind();
    // What is bound now, shown as it is where the VMs cannot be changed.
    let bound_list: Vec<(String, String)> = havip.vms.iter().map(|vm| (vm.name.clone(), vm.ip.clone())).collect();
    let name = RwSignal::new(havip.name.clone());
    let remark = RwSignal::new(havip.remark.clone());
    let vm_ids = RwSignal::new(bound_now.clone());
    let submitted = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    let touched_name = Touched::new(submitted);
    let touched_remark = Touched::new(submitted);
    let touched_vms = Touched::new(submitted);
    let edited = move |touched: Touched| {
        Callback::new(move |_| {
            touched.mark();
            server_error.set(None);
        })
    };

    let name_problem = move || problem_of_name(&name.get()).map(Problem::Name);
    let remark_problem = move || Remark::parse(&remark.get()).err().map(Problem::from);
    let vpc_vms = VpcVms::load(Signal::stored(havip.vpc.id.clone()));
    let counted_vms = StoredValue::new(bound_now.clone());
    let vms_problem = move || {
        vm_ids.with(|chosen| {
            counted_vms.with_value(|counted| chosen_vms_problem(&vpc_vms.known(), chosen, counted, limits))
        })
    };
    let name_error = field_error(name_problem, server_error, Field::Name, touched_name.visible());
    let remark_error = field_error(remark_problem, server_error, Field::Remark, touched_remark.visible());
    let vms_error = field_error(vms_problem, server_error, Field::VmIds, touched_vms.visible());
    // Set by a VersionConflict, cleared only by loading the latest version: typing in a field
    // clears the server's error, but the way out must stay until it is taken.
    let conflicted = RwSignal::new(false);
    // What others changed, as the latest copy showed it once loaded (R14's way out).
    let changed = RwSignal::new(None::<Vec<String>>);

    let subnets = inventory.subnets.clone();
    let id = havip.id.clone();
    let opened = StoredValue::new(havip.clone());
    let original_vms = StoredValue::new(bound_now.clone());
    let load_latest = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            pending.set(true);
            leptos::task::spawn_local(async move {
                match load_havip(id).await {
                    Ok(latest) => {
                        let before = opened.get_value();
                        let texts = i18n.texts();
                        let vm_names =
                            |h: &Havip| h.vms.iter().map(|vm| vm.name.clone()).collect::<Vec<_>>().join(", ");
                        let mut said = Vec::new();
                        for (label, old, new) in [
                            (texts.field_name, before.name.clone(), latest.name.clone()),
                            (texts.field_remark, before.remark.clone(), latest.remark.clone()),
                            (texts.field_vms, vm_names(&before), vm_names(&latest)),
                        ] {
                            if old != new {
                                said.push(fill(texts.changed_field, &[("field", label), ("old", &old), ("new", &new)]));
                            }
                        }
                        // The fields the user changed keep the user's text; the others take theirs.
                        if !touched_name.was_edited() {
                            name.set(latest.name.clone());
                        }
                        if !touched_remark.was_edited() {
                            remark.set(latest.remark.clone());
                        }
                        let latest_vms: Vec<String> = latest.vms.iter().map(|vm| vm.id.clone()).collect();
                        if !touched_vms.was_edited() {
                            vm_ids.set(latest_vms.clone());
                        }
                        // The latest copy's VMs already count it; count the picker's VMs anew.
                        counted_vms.set_value(latest_vms.clone());
                        vpc_vms.refresh();
                        original_vms.set_value(latest_vms);
                        opened.set_value(latest);
                        changed.set(Some(said));
                        conflicted.set(false);
                        server_error.set(None);
                    }
                    // It could not be loaded (deleted meanwhile, the server away): said in a
                    // toast, and the way out stays.
                    Err(error) => report(&error),
                }
                pending.set(false);
            });
        }
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let form = submitted_form(&ev);
        let has_problem = name_problem().is_some() || remark_problem().is_some() || vms_problem().is_some();
        if has_problem || pending.get_untracked() {
            focus_first_invalid(form.filter(|_| has_problem));
            return;
        }
        let chosen = vm_ids.get_untracked();
        let rebinding = can_rebind && original_vms.with_value(|original| chosen != *original);
        let request = UpdateHavipRequest {
            name: Some(name.get_untracked()),
            remark: Some(remark.get_untracked()),
            vm_ids: rebinding.then_some(chosen),
            // The list keeps polling a row that is settling: a version the system moved on
            // meanwhile is taken, one that someone else's edit moved is not (R14).
            version: Some(Havip::edit_version(
                &opened.get_value(),
                state.rows.get_untracked().iter().find(|row| row.id == id),
            )),
        };
        let id = id.clone();
        pending.set(true);
        server_error.set(None);
        leptos::task::spawn_local(async move {
            match update_havip(id, request).await {
                Ok(havip) => {
                    Toasts::get().show(ToastKind::Success, fill(i18n.texts().saved_toast, &[("name", &havip.name)]));
                    state.dialog.set(DialogState::Closed);
                    state.refresh();
                }
                // The sign-in comes over the dialog; afterwards the same request can go again.
                Err(error) if to_login_if_session_ended(&error) => pending.set(false),
                Err(error) => {
                    if error.code == ErrorCode::VersionConflict {
                        // The list shows what changed, and the next edit starts from it.
                        state.refresh();
                    }
                    if error.field.is_none() {
                        Toasts::get().show(ToastKind::Error, i18n.lang.get_untracked().error(error.code));
                    }
                    if error.code == ErrorCode::HavipsPerVmExceeded {
                        vpc_vms.refresh();
                    }
                    conflicted.set(error.code == ErrorCode::VersionConflict);
                    server_error.set(Some(error));
                    pending.set(false);
                    focus_first_invalid(form);
                }
            }
        });
    };

    view! {
        <form class="dialog-form" on:submit=submit novalidate>
            <div class="dialog-body">
                <p class="muted small mono">{havip.id.clone()} " · " {havip.ip.clone()} " · " {havip.vpc.name.clone()} " / " {havip.subnet.name.clone()}</p>
                <TextField autofocus=true id="havip-name" label=i18n.t(|t| t.field_name) value=name error=name_error required=true counter=NAME_MAX_CHARS
                    hint=Signal::derive(move || i18n.texts().name_hint.to_owned()) on_edit=edited(touched_name) />
                // One line: a remark may hold no control characters (R2), so Enter cannot add a line break.
                <TextField id="havip-remark" label=i18n.t(|t| t.field_remark) value=remark error=remark_error counter=REMARK_MAX_CHARS
                    on_edit=edited(touched_remark) />
                {if can_rebind {
                    view! {
                        <VmPicker vms=vpc_vms subnets havip_subnet=Signal::stored(havip.subnet.id.clone()) selected=vm_ids limits bound_now error=vms_error on_edit=edited(touched_vms) />
                    }
                    .into_any()
                } else {
                    view! {
                        <div class="field">
                            <span class="field-label">{i18n.t(|t| t.field_vms)}</span>
                            <p class="notice">{i18n.t(|t| t.rebind_only_available)}</p>
                            {if bound_list.is_empty() {
                                view! { <p class="muted">{i18n.t(|t| t.no_bound_vms)}</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="bound-vms">
                                        {bound_list.into_iter().map(|(name, ip)| view! { <li>{name} " " <span class="mono muted">{ip}</span></li> }).collect_view()}
                                    </ul>
                                }
                                .into_any()
                            }}
                        </div>
                    }
                    .into_any()
                }}
                {move || conflicted.get().then(|| view! {
                    <div class="notice notice-error" role="alert">
                        {i18n.t(|t| t.version_conflict_in_dialog)}
                        " "
                        <button type="button" class="btn btn-link" disabled=move || pending.get() on:click=load_latest.clone()>
                            {i18n.t(|t| t.load_latest)}
                        </button>
                    </div>
                })}
                {move || changed.get().map(|said| {
                    let nothing = said.is_empty();
                    view! {
                    <div class="notice" role="status">
                        <p>{move || if nothing { i18n.texts().latest_same } else { i18n.texts().latest_loaded }}</p>
                        <ul class="changed-fields">{said.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ul>
                    </div>
                    }
                })}
            </div>
            <DialogButtons confirm=i18n.t(|t| t.save) pending on_cancel=on_close />
        </form>
    }
}
