//! Choosing the VMs to bind: each VM with its IP, subnet and how many HAVIPs it carries; a VM
//! that cannot be chosen says why (R9, R10).

use crate::domain::inventory::{Subnet, Vm};
use crate::domain::limits::BindingLimits;
use crate::i18n::fill;
use crate::ui::I18n;
use leptos::prelude::*;

#[component]
pub fn VmPicker(
    /// The VMs of the HAVIP's VPC.
    vms: Signal<Vec<Vm>>,
    subnets: Vec<Subnet>,
    selected: RwSignal<Vec<String>>,
    limits: BindingLimits,
    /// VMs bound to the HAVIP being edited: their counts already include it.
    #[prop(optional)]
    bound_now: Vec<String>,
    error: Signal<Option<String>>,
    #[prop(into)] on_edit: Callback<()>,
) -> impl IntoView {
    let i18n = I18n::get();
    let subnet_name = move |id: &str| subnets.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
    let max_vms = limits.vms_per_havip.to_string();
    let max_havips = limits.havips_per_vm.to_string();
    view! {
        <fieldset class="field vm-picker" class:has-error=move || error.get().is_some() aria-describedby="vm-picker-error">
            <legend class="field-label">
                {i18n.t(|t| t.field_vms)}
                <span class="muted small">
                    " "
                    {
                        let max_vms = max_vms.clone();
                        move || fill(i18n.texts().vms_selected, &[("n", &selected.get().len().to_string()), ("max", &max_vms)])
                    }
                </span>
            </legend>
            {move || {
                let vms = vms.get();
                if vms.is_empty() {
                    return view! { <p class="muted">{i18n.t(|t| t.no_vms_in_vpc)}</p> }.into_any();
                }
                vms.into_iter()
                    .map(|vm| {
                        let id = vm.id.clone();
                        let already_counted = bound_now.contains(&vm.id);
                        let count = vm.havip_count;
                        let full = !already_counted && count as usize >= limits.havips_per_vm;
                        let is_checked = {
                            let id = id.clone();
                            move || selected.with(|s| s.contains(&id))
                        };
                        let reason = {
                            let is_checked = is_checked.clone();
                            let (max_vms, max_havips) = (max_vms.clone(), max_havips.clone());
                            move || {
                                if is_checked() {
                                    None
                                } else if full {
                                    Some(fill(i18n.texts().vm_full, &[("max", &max_havips)]))
                                } else if selected.with(|s| s.len()) >= limits.vms_per_havip {
                                    Some(fill(i18n.texts().vm_limit_reached, &[("max", &max_vms)]))
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
                        let toggle = {
                            let id = id.clone();
                            move |ev: leptos::ev::Event| {
                                let on = event_target_checked(&ev);
                                selected.update(|s| {
                                    s.retain(|x| *x != id);
                                    if on {
                                        s.push(id.clone());
                                    }
                                });
                                on_edit.run(());
                            }
                        };
                        let count_text = {
                            let max_havips = max_havips.clone();
                            move || fill(i18n.texts().vm_havip_count, &[("n", &count.to_string()), ("max", &max_havips)])
                        };
                        view! {
                            <label class="vm-option" class:disabled=disabled_class>
                                <input type="checkbox" prop:checked=is_checked disabled=disabled on:change=toggle />
                                <span class="vm-name">{vm.name.clone()}</span>
                                <span class="mono small">{vm.ip.clone()}</span>
                                <span class="muted small">{subnet_name(&vm.subnet_id)}</span>
                                <span class="muted small" class:warn=full>{count_text}</span>
                                <span class="vm-reason small">{reason}</span>
                            </label>
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
            <p class="field-error" id="vm-picker-error" role="alert">{move || error.get()}</p>
        </fieldset>
    }
}
