//! 概览: how the HAVIP's failover stands, and each bound VM as its agent reports it. Each VM
//! has 安装 Agent (for a first agent, or a new token for one that lost its own): an agent token
//! for the VM, shown once inside the one line that starts the agent on it.

use crate::api::ha::create_agent_token;
use crate::domain::ha::{AgentPresence, Health, VmHa};
use crate::domain::havip::{Havip, VmRef};
use crate::domain::keepalived::DEFAULT_STATE_DIR;
use crate::i18n::{Texts, fill};
use crate::ui::havips::ha_cell::{HealthLabel, vm_name};
use crate::ui::session_end::to_login_if_session_ended;
use crate::ui::widgets::mono::Copyable;
use crate::ui::widgets::status_badge::StatusBadge;
use crate::ui::widgets::toast::{ToastKind, Toasts};
use crate::ui::{Clock, I18n};
use leptos::prelude::*;

/// The command that starts the agent on a VM, with the token it made in the console.
#[derive(Clone, Debug, PartialEq)]
struct InstallLine {
    vm_name: String,
    command: String,
}

#[component]
pub fn Overview(havip: Signal<Havip>) -> impl IntoView {
    let i18n = I18n::get();
    let toasts = Toasts::get();
    // Outside the part that follows the HAVIP: the token is shown once, and a live update must
    // not take it away.
    let installed = RwSignal::new(None::<InstallLine>);
    let installing = RwSignal::new(None::<String>);
    let install = move |vm: VmRef| {
        installing.set(Some(vm.id.clone()));
        leptos::task::spawn_local(async move {
            match create_agent_token(vm.id.clone()).await {
                Ok(made) => {
                    installed.set(Some(InstallLine { vm_name: vm.name, command: install_command(&made.token) }))
                }
                Err(error) if to_login_if_session_ended(&error) => {}
                Err(error) => toasts.show(ToastKind::Error, i18n.lang.get_untracked().error(error.code)),
            }
            installing.set(None);
        });
    };
    view! {
        {move || {
            let havip = havip.get();
            let master = match (&havip.ha.master_vm_id, havip.ha.health) {
                (Some(master), _) => vm_name(&havip.vms, master),
                (None, Health::SplitBrain) => {
                    let holders = havip.ha.holders.iter().map(|id| vm_name(&havip.vms, id)).collect::<Vec<_>>();
                    holders.join(i18n.texts().list_separator)
                }
                (None, _) => "—".to_owned(),
            };
            // What the network says, when the OVN driver watches it: the VM, or the port OVN
            // names when it is of no bound VM.
            let fabric = havip.ha.fabric.as_ref().map(|fabric| match (&fabric.master_vm_id, &fabric.parent_port) {
                (Some(vm), _) => vm_name(&havip.vms, vm),
                (None, Some(port)) => port.clone(),
                (None, None) => "—".to_owned(),
            });
            view! {
                <dl class="facts">
                    <dt>{i18n.t(|t| t.col_status)}</dt>
                    <dd><StatusBadge status=havip.status reason=havip.status_reason.clone() /></dd>
                    <dt>{i18n.t(|t| t.filter_health)}</dt>
                    <dd><HealthLabel health=havip.ha.health /></dd>
                    <dt>{i18n.t(|t| t.col_master)}</dt>
                    <dd>{master}</dd>
                    {fabric.map(|fabric| view! {
                        <dt title=move || i18n.texts().fabric_master_hint>{i18n.t(|t| t.fabric_master)}</dt>
                        <dd data-source="fabric">{fabric}</dd>
                    })}
                    <dt>"VRID"</dt>
                    <dd class="mono">{havip.vrid}</dd>
                    <dt>{i18n.t(|t| t.config_revision)}</dt>
                    <dd class="mono">{havip.config_revision}</dd>
                </dl>
                <VmTable havip installing on_install=Callback::new(install) />
            }
        }}
        {move || installed.get().map(|line| view! {
            // Not a live region: a screen reader would read the secret aloud.
            <div class="notice install-line">
                <p>{move || fill(i18n.texts().install_intro, &[("vm", &line.vm_name)])}</p>
                <Copyable text=line.command.clone() secret=true />
            </div>
        })}
    }
}

#[component]
fn VmTable(havip: Havip, installing: RwSignal<Option<String>>, on_install: Callback<VmRef>) -> impl IntoView {
    let i18n = I18n::get();
    if havip.vms.is_empty() {
        return view! { <p class="muted">{i18n.t(|t| t.no_bound_vms)}</p> }.into_any();
    }
    let current_revision = havip.config_revision;
    // The HAVIP lists its VMs and their HA state side by side, both in binding order.
    let rows = havip
        .vms
        .into_iter()
        .zip(havip.ha.vms)
        .map(|(vm, ha)| view! { <VmRow vm ha current_revision installing on_install /> })
        .collect_view();
    view! {
        <table class="detail-table">
            <thead>
                <tr>
                    <th>{i18n.t(|t| t.vm)}</th>
                    <th>{i18n.t(|t| t.col_ip)}</th>
                    <th>"Agent"</th>
                    <th>{i18n.t(|t| t.vrrp_state)}</th>
                    <th>{i18n.t(|t| t.holds_vip)}</th>
                    <th>"keepalived"</th>
                    <th>{i18n.t(|t| t.last_report)}</th>
                    <th>{i18n.t(|t| t.running_config)}</th>
                    <th class="col-actions">{i18n.t(|t| t.col_actions)}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn VmRow(
    vm: VmRef,
    ha: VmHa,
    current_revision: i64,
    installing: RwSignal<Option<String>>,
    on_install: Callback<VmRef>,
) -> impl IntoView {
    let i18n = I18n::get();
    let clock = Clock::get();
    let agent = move || {
        let t = i18n.texts();
        match ha.agent {
            AgentPresence::Reporting => t.agent_reporting,
            AgentPresence::Silent => t.agent_silent,
            AgentPresence::None => t.agent_none,
        }
    };
    let silent = ha.agent == AgentPresence::Silent;
    let last_report = ha.last_report_at;
    let out_of_date = ha.config_revision.is_some_and(|running| running != current_revision);
    let busy = {
        let id = vm.id.clone();
        move || installing.with(|vm| vm.as_deref() == Some(id.as_str()))
    };
    let label = i18n.about(|t| t.install_agent, vm.name.clone());
    let target = vm.clone();
    view! {
        <tr>
            <td>{vm.name.clone()}</td>
            <td class="mono">{vm.ip.clone()}</td>
            <td class:warn=silent>{agent}</td>
            <td class="mono">{ha.vrrp_state.map_or("—", |state| state.as_str())}</td>
            <td>{yes_no(i18n, ha.holds_vip, |t| t.yes, |t| t.no)}</td>
            <td>{yes_no(i18n, ha.keepalived_running, |t| t.running, |t| t.not_running)}</td>
            <td class="nowrap">{move || last_report.map_or_else(|| "—".to_owned(), |at| at.display_in(clock.offset.get()))}</td>
            <td>
                <span class="mono">{ha.config_revision.map_or_else(|| "—".to_owned(), |r| r.to_string())}</span>
                {out_of_date.then(|| view! { <span class="tag tag-warn">{i18n.t(|t| t.config_out_of_date)}</span> })}
            </td>
            <td class="col-actions">
                <button type="button" class="btn-link" aria-label=label disabled=busy
                    on:click=move |_| on_install.run(target.clone())>
                    {i18n.t(|t| t.install_agent)}
                </button>
            </td>
        </tr>
    }
}

/// The one line that starts the agent on a VM: the token from the environment (a flag would
/// show it in `ps`), this console's address, the state directory the configuration's notify uses.
fn install_command(token: &str) -> String {
    format!("HAVIP_AGENT_TOKEN={token} havip agent --server {} --state-dir {DEFAULT_STATE_DIR}", console_origin())
}

/// The address the browser reached the console at: the agent reaches it there too.
#[cfg(feature = "hydrate")]
fn console_origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// The server renders the button but never runs its click.
#[cfg(not(feature = "hydrate"))]
fn console_origin() -> String {
    String::new()
}

type Pick = fn(&'static Texts) -> &'static str;

/// A yes-or-no of an agent's report, `—` where it has said nothing.
fn yes_no(i18n: I18n, value: Option<bool>, yes: Pick, no: Pick) -> impl Fn() -> &'static str {
    move || value.map_or("—", |on| if on { yes(i18n.texts()) } else { no(i18n.texts()) })
}
