//! Choosing the VMs to bind: each VM with its IP, subnet and how many HAVIPs it carries; a VM
//! that cannot be chosen says why (R9, R10).

use crate::api::havips::load_vms;
use crate::domain::AppError;
use crate::domain::binding::BindingSet;
use crate::domain::inventory::{Subnet, Vm};
use crate::domain::limits::BindingLimits;
use crate::i18n::fill;
use crate::ui::I18n;
use crate::ui::session_end::follow_session_end;
use crate::ui::widgets::form::Problem;
use leptos::prelude::*;

/// What loading a VPC's VMs answered.
type Loaded = Result<Vec<Vm>, AppError>;

/// The VMs of the VPC chosen in a dialog, loaded again when the choice changes. They are kept
/// in a signal, not a resource: a resource read inside the dialog's suspense would hold the whole
/// form back until they arrive, where the picker alone should say that it is loading.
#[derive(Clone, Copy)]
pub struct VpcVms {
    /// The latest answer, with the VPC it is for.
    answer: RwSignal<Option<(String, Loaded)>>,
    vpc_id: Signal<String>,
    attempt: RwSignal<u32>,
}

impl VpcVms {
    pub fn load(vpc_id: Signal<String>) -> VpcVms {
        let vms = VpcVms { answer: RwSignal::new(None), vpc_id, attempt: RwSignal::new(0) };
        let latest_request = StoredValue::new(0u32);
        Effect::new(move |_| {
            vms.attempt.track();
            let vpc = vpc_id.get();
            let request = latest_request.get_value().wrapping_add(1);
            latest_request.set_value(request);
            leptos::task::spawn_local(async move {
                let answer = load_vms(vpc.clone()).await;
                // Only the latest request's answer stands: a slow one for a VPC chosen before,
                // even one chosen again since (A, B, A), must not replace a newer answer.
                if latest_request.try_get_value() == Some(request) {
                    vms.answer.set(Some((vpc, answer)));
                }
            });
        });
        vms
    }

    /// The chosen VPC's VMs: None while they load (the previous VPC's answer does not count),
    /// or why they could not be loaded.
    pub fn state(self) -> Option<Loaded> {
        self.answer.get().filter(|(vpc, _)| *vpc == self.vpc_id.get()).map(|(_, vms)| vms)
    }

    /// The VMs known so far (none while loading or after a failure), for the checks that use them.
    pub fn known(self) -> Vec<Vm> {
        self.state().and_then(Result::ok).unwrap_or_default()
    }

    fn retry(self) {
        self.answer.set(None);
        self.attempt.update(|n| *n += 1);
    }

    /// Loads the VMs again, keeping the ones shown until the answer comes: after the server
    /// said a VM filled up meanwhile, the picker counts anew.
    pub fn refresh(self) {
        self.attempt.update(|n| *n += 1);
    }
}

/// What is wrong with the VMs chosen in the picker, for the create and edit forms alike: the
/// binding rules (R8, R9), then R10 as the picker sees it now: a chosen VM that carries as many
/// HAVIPs as a VM may (one in `bound_now`, bound to the HAVIP being edited, already counts it),
/// named so that the message says which.
pub fn chosen_vms_problem(
    vms: &[Vm],
    chosen: &[String],
    bound_now: &[String],
    limits: BindingLimits,
) -> Option<Problem> {
    if let Err(error) = BindingSet::parse(chosen, limits) {
        return Some(Problem::from(error));
    }
    vms.iter()
        .find(|vm| {
            chosen.contains(&vm.id) && !bound_now.contains(&vm.id) && vm.havip_count as usize >= limits.havips_per_vm
        })
        .map(|vm| Problem::VmFull(vm.name.clone(), vm.havip_count, limits.havips_per_vm))
}

#[component]
pub fn VmPicker(
    /// The VMs of the HAVIP's VPC.
    vms: VpcVms,
    subnets: Vec<Subnet>,
    /// The HAVIP's subnet: a VM outside it cannot take the address over by ARP.
    #[prop(into)]
    havip_subnet: Signal<String>,
    selected: RwSignal<Vec<String>>,
    limits: BindingLimits,
    /// VMs bound to the HAVIP being edited: their counts already include it.
    #[prop(optional)]
    bound_now: Vec<String>,
    error: Signal<Option<String>>,
    #[prop(into)] on_edit: Callback<()>,
) -> impl IntoView {
    let i18n = I18n::get();
    follow_session_end(move || vms.state().and_then(Result::err));
    let subnet_name = move |id: &str| subnets.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
    let max_vms = limits.vms_per_havip.to_string();
    view! {
        <fieldset class="field vm-picker" class:has-error=move || error.get().is_some() aria-describedby="vm-picker-error">
            <legend class="field-label">
                {i18n.t(|t| t.field_vms)}
                <span class="muted small">
                    " "
                    {move || fill(i18n.texts().vms_selected, &[("n", &selected.get().len().to_string()), ("max", &max_vms)])}
                </span>
            </legend>
            {move || match vms.state() {
                None => view! { <p class="muted">{i18n.t(|t| t.loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <LoadFailed error on_retry=move || vms.retry() /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">{i18n.t(|t| t.no_vms_in_vpc)}</p> }.into_any(),
                Some(Ok(list)) => list
                    .into_iter()
                    .map(|vm| {
                        let subnet = subnet_name(&vm.subnet_id);
                        let counted = bound_now.contains(&vm.id);
                        view! { <VmOption vm subnet havip_subnet counted selected limits on_edit /> }
                    })
                    .collect_view()
                    .into_any(),
            }}
            <p class="field-error" id="vm-picker-error" role="alert">{move || error.get()}</p>
        </fieldset>
    }
}

/// The VMs could not be loaded: why, and a way to try again.
#[component]
fn LoadFailed(error: AppError, on_retry: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let i18n = I18n::get();
    let code = error.code;
    view! {
        <p class="form-error" role="alert">
            {move || i18n.lang.get().error(code)}
            " "
            <button type="button" class="btn btn-link" on:click=move |_| on_retry()>{i18n.t(|t| t.retry)}</button>
        </p>
    }
}

/// One VM to choose, or the reason it cannot be chosen.
#[component]
fn VmOption(
    vm: Vm,
    subnet: String,
    havip_subnet: Signal<String>,
    /// Bound to the HAVIP being edited: its count already includes it.
    counted: bool,
    selected: RwSignal<Vec<String>>,
    limits: BindingLimits,
    on_edit: Callback<()>,
) -> impl IntoView {
    let i18n = I18n::get();
    let id = vm.id.clone();
    let count = vm.havip_count;
    let vm_subnet = vm.subnet_id.clone();
    let outside = move || havip_subnet.with(|chosen| !chosen.is_empty() && *chosen != vm_subnet);
    let state = vm.state.clone();
    let full = !counted && count as usize >= limits.havips_per_vm;
    let is_checked = {
        let id = id.clone();
        move || selected.with(|s| s.contains(&id))
    };
    let reason = {
        let is_checked = is_checked.clone();
        move || {
            if is_checked() {
                None
            } else if full {
                Some(fill(i18n.texts().vm_full, &[("max", &limits.havips_per_vm.to_string())]))
            } else if selected.with(|s| s.len()) >= limits.vms_per_havip {
                Some(fill(i18n.texts().vm_limit_reached, &[("max", &limits.vms_per_havip.to_string())]))
            } else {
                None
            }
        }
    };
    let disabled = {
        let reason = reason.clone();
        move || reason().is_some()
    };
    let disabled_class = disabled.clone();
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        selected.update(|s| {
            s.retain(|x| *x != id);
            if on {
                s.push(id.clone());
            }
        });
        on_edit.run(());
    };
    let count_text = move || {
        fill(i18n.texts().vm_havip_count, &[("n", &count.to_string()), ("max", &limits.havips_per_vm.to_string())])
    };
    view! {
        <label class="vm-option" class:disabled=disabled_class>
            <input type="checkbox" prop:checked=is_checked disabled=disabled on:change=toggle />
            <span class="vm-name">{vm.name}</span>
            <span class="mono small">{vm.ip}</span>
            <span class="muted small">{subnet}</span>
            <span class="muted small" class:warn=full>{count_text}</span>
            {(state != "running").then(|| view! {
                <span class="badge badge-muted small">{move || i18n.lang.get().vm_state(&state).to_owned()}</span>
            })}
            <span class="vm-reason small">{reason}</span>
            {move || outside().then(|| view! { <span class="vm-reason warn small">{i18n.t(|t| t.vm_other_subnet)}</span> })}
        </label>
    }
}
