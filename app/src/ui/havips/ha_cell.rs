//! The 主节点 cell of the list: the VM that holds the address as the agents observe it, with a
//! dot for how the failover stands; a split brain, a HAVIP without a master, or a network that
//! sends the traffic elsewhere as a red badge, since then the address answers twice, not at all
//! or not where keepalived put it. `data-health` carries the health.

use crate::domain::ha::{HavipHa, Health};
use crate::domain::havip::VmRef;
use crate::ui::I18n;
use leptos::prelude::*;

#[component]
pub fn MasterCell(ha: HavipHa, vms: Vec<VmRef>) -> impl IntoView {
    let i18n = I18n::get();
    let health = ha.health;
    let label = move || i18n.lang.get().health(health);
    let fabric_master = ha.fabric.as_ref().and_then(|f| f.master_vm_id.clone());
    let content = match (health, ha.master_vm_id) {
        (Health::Healthy | Health::Degraded, Some(master)) => view! {
            <span class=format!("health-dot health-{}", health.as_str()) role="img" aria-label=label title=label></span>
            {vm_name(&vms, &master)}
        }
        .into_any(),
        (Health::SplitBrain, _) => {
            let holders = ha.holders.iter().map(|id| view! { <div>{vm_name(&vms, id)}</div> }).collect_view();
            view! {
                <span class="badge badge-alarm">{label}</span>
                <div class="holders">{holders}</div>
            }
            .into_any()
        }
        (Health::NoMaster, _) => view! { <span class="badge badge-alarm">{label}</span> }.into_any(),
        // Both views, since they differ: the agents' holder and where the network sends.
        (Health::FabricDisagrees, agents) => {
            let name = |id: Option<String>| id.map_or_else(|| "—".to_owned(), |id| vm_name(&vms, &id));
            view! {
                <span class="badge badge-alarm">{label}</span>
                <div class="holders">
                    <div data-source="agents">"Agent: "{name(agents)}</div>
                    <div data-source="fabric">{move || i18n.texts().fabric_master}": "{name(fabric_master)}</div>
                </div>
            }
            .into_any()
        }
        // No agent reports, but the network says where it sends the traffic.
        (Health::Unknown, Some(master)) => view! {
            <span title=move || i18n.texts().fabric_master_hint>{vm_name(&vms, &master)}</span>
            " "
            <span class="muted">{move || i18n.texts().source_fabric}</span>
        }
        .into_any(),
        // Nothing observed: no guess. With VMs bound, what is missing is their agents.
        _ => {
            let hint = (!vms.is_empty()).then(|| i18n.t(|t| t.no_agent_hint));
            view! { <span class="muted" title=hint>"—"</span> }.into_any()
        }
    };
    view! { <td class="col-master" data-health=health.as_str()>{content}</td> }
}

/// A health in words, coloured as in the list: a dot for a master that holds, a red badge for an
/// alarm, muted when nothing is known.
#[component]
pub fn HealthLabel(health: Health) -> impl IntoView {
    let i18n = I18n::get();
    let label = move || i18n.lang.get().health(health);
    match health {
        Health::Healthy | Health::Degraded => view! {
            <span class=format!("health-dot health-{}", health.as_str()) aria-hidden="true"></span>
            {label}
        }
        .into_any(),
        Health::SplitBrain | Health::NoMaster | Health::FabricDisagrees => {
            view! { <span class="badge badge-alarm">{label}</span> }.into_any()
        }
        Health::Unknown => view! { <span class="muted">{label}</span> }.into_any(),
    }
}

/// A bound VM's name; its ID if the HAVIP no longer has it.
pub fn vm_name(vms: &[VmRef], id: &str) -> String {
    vms.iter().find(|vm| vm.id == id).map_or_else(|| id.to_owned(), |vm| vm.name.clone())
}
