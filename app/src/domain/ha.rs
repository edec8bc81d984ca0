//! Live HA state: what the agents on a HAVIP's bound VMs report (which VM holds the address,
//! what keepalived announced), and what follows from it for the HAVIP: its health, the observed
//! master and the holders. Deciding health is pure, so the server derives it here, once.

use super::error::{AppError, ErrorCode, Field};
use super::ids::{IdKind, is_well_formed};
use super::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How a HAVIP's failover stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Health {
    /// Exactly one bound VM holds the VIP and every bound VM reports.
    Healthy,
    /// Exactly one holds it, and a bound VM is silent, in FAULT or without keepalived.
    Degraded,
    /// Two or more bound VMs hold it.
    SplitBrain,
    /// None holds it while at least one reports.
    NoMaster,
    /// No bound VM reports (no agent installed, or all silent).
    Unknown,
    /// The network sends the VIP's traffic to another VM than the one whose agent holds it (or
    /// to a VM while no agent holds it): the OVN driver's fabric and the agents disagree.
    FabricDisagrees,
}

impl Health {
    pub const ALL: [Health; 6] = [
        Health::Healthy,
        Health::Degraded,
        Health::SplitBrain,
        Health::NoMaster,
        Health::FabricDisagrees,
        Health::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Degraded => "degraded",
            Health::SplitBrain => "split_brain",
            Health::NoMaster => "no_master",
            Health::Unknown => "unknown",
            Health::FabricDisagrees => "fabric_disagrees",
        }
    }

    pub fn parse(text: &str) -> Option<Health> {
        Health::ALL.into_iter().find(|h| h.as_str() == text)
    }

    /// Whether the tenant should be alarmed: the address answers twice, not at all, or not
    /// where keepalived put it.
    pub fn is_alarm(self) -> bool {
        matches!(self, Health::SplitBrain | Health::NoMaster | Health::FabricDisagrees)
    }

    /// Whether the health counts only once it lasted a moment: during a graceful failover
    /// nobody holds the VIP for about 0.4 s, and the agents and the fabric learn of the new
    /// master a few milliseconds apart. Neither is an alarm.
    pub fn needs_grace(self) -> bool {
        matches!(self, Health::NoMaster | Health::FabricDisagrees)
    }
}

/// The state keepalived announced for a VRRP instance (the `notify` script's third argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum VrrpState {
    Master,
    Backup,
    Fault,
    Stop,
}

impl VrrpState {
    pub const ALL: [VrrpState; 4] = [VrrpState::Master, VrrpState::Backup, VrrpState::Fault, VrrpState::Stop];

    pub fn as_str(self) -> &'static str {
        match self {
            VrrpState::Master => "MASTER",
            VrrpState::Backup => "BACKUP",
            VrrpState::Fault => "FAULT",
            VrrpState::Stop => "STOP",
        }
    }

    /// keepalived's word for the state.
    pub fn parse(text: &str) -> Option<VrrpState> {
        VrrpState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Whether a bound VM's agent is heard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum AgentPresence {
    /// It reported within three of its intervals.
    Reporting,
    /// It reported once but has been silent for three intervals.
    Silent,
    /// It never reported (no agent installed).
    None,
}

/// One bound VM as the health rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmView {
    pub vm_id: String,
    pub agent: AgentPresence,
    pub holds_vip: bool,
    pub vrrp_state: Option<VrrpState>,
    pub keepalived_running: bool,
}

/// What follows for a HAVIP from its VMs' reports and the fabric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derived {
    pub health: Health,
    /// The one holder, when exactly one VM holds the VIP; with no agent reporting, the VM the
    /// fabric sends the traffic to.
    pub master: Option<String>,
    /// Every reporting VM that holds the VIP, in binding order.
    pub holders: Vec<String>,
    /// The bound VM the fabric sends the traffic to.
    pub fabric_master: Option<String>,
}

/// The health of a HAVIP bound to `vms` (in binding order), and what the fabric says when one
/// watches the HAVIP. Only VMs whose agent reports count: what a silent one last said may no
/// longer be true.
pub fn derive(vms: &[VmView], fabric: Option<&FabricHa>) -> Derived {
    let reporting: Vec<&VmView> = vms.iter().filter(|vm| vm.agent == AgentPresence::Reporting).collect();
    let holders: Vec<String> = reporting.iter().filter(|vm| vm.holds_vip).map(|vm| vm.vm_id.clone()).collect();
    let all_well = reporting.len() == vms.len()
        && reporting.iter().all(|vm| vm.keepalived_running && vm.vrrp_state != Some(VrrpState::Fault));
    let health = match (reporting.is_empty(), holders.len()) {
        (true, _) => Health::Unknown,
        (false, 0) => Health::NoMaster,
        (false, 1) if all_well => Health::Healthy,
        (false, 1) => Health::Degraded,
        (false, _) => Health::SplitBrain,
    };
    let master = (holders.len() == 1).then(|| holders[0].clone());
    let Some(fabric) = fabric else { return Derived { health, master, holders, fabric_master: None } };
    let fabric_master = fabric.master_vm_id.clone();
    let (health, master) = match health {
        Health::Healthy | Health::Degraded if fabric_master != master => (Health::FabricDisagrees, master),
        Health::NoMaster if fabric_master.is_some() => (Health::FabricDisagrees, None),
        // No agent: the network's word is all there is.
        Health::Unknown => (Health::Unknown, fabric_master.clone()),
        // A split brain stays one: the fabric follows one holder, the other still answers.
        other => (other, master),
    };
    Derived { health, master, holders, fabric_master }
}

/// What the network says of a HAVIP: OVN's Southbound `virtual_parent` of its virtual port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FabricHa {
    /// The bound VM the network sends the VIP's traffic to: the last to announce the VIP (null
    /// before any did, or when the port OVN names is of no bound VM).
    pub master_vm_id: Option<String>,
    /// The logical switch port OVN names.
    pub parent_port: Option<String>,
    /// When the fabric last changed its word.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub seen_at: Timestamp,
}

/// The HA state of a HAVIP as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HavipHa {
    pub health: Health,
    /// The VM that holds the VIP, observed (null unless exactly one holds it; with no agent
    /// reporting, the fabric's master).
    pub master_vm_id: Option<String>,
    /// The VMs that hold the VIP: two or more in a split brain.
    pub holders: Vec<String>,
    pub vms: Vec<VmHa>,
    /// What the network says, when the OVN driver watches it (null otherwise).
    pub fabric: Option<FabricHa>,
}

impl Default for HavipHa {
    fn default() -> Self {
        HavipHa { health: Health::Unknown, master_vm_id: None, holders: Vec::new(), vms: Vec::new(), fabric: None }
    }
}

/// One bound VM's part in the HA state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VmHa {
    pub id: String,
    pub agent: AgentPresence,
    pub vrrp_state: Option<VrrpState>,
    pub holds_vip: Option<bool>,
    pub keepalived_running: Option<bool>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub last_report_at: Option<Timestamp>,
    /// The configuration revision the VM's keepalived runs, as its agent read it.
    pub config_revision: Option<i64>,
}

/// The most HAVIPs one report may speak of (a VM carries at most a few).
pub const MAX_HAVIPS_PER_REPORT: usize = 32;
/// Report intervals an agent may use, in milliseconds: at least a second, so that what servers
/// heard (written in batches every second) is in the database before a silence is judged.
pub const REPORT_INTERVAL_MS: std::ops::RangeInclusive<u32> = 1_000..=60_000;

/// What an agent sends about its VM (`POST /api/v1/agent/reports`): one snapshot, every
/// interval and at once when keepalived announces a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentReport {
    /// Grows with every report of the agent: a report with a number from the past is refused.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 9007199254740991_i64))]
    pub seq: u64,
    /// The agent's clock when it saw this (a report sent late keeps the time it was seen).
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub observed_at: Timestamp,
    /// How often the agent reports, in milliseconds (1000 to 60000): three intervals without a
    /// report make the agent silent.
    #[cfg_attr(feature = "ssr", schema(minimum = 1000, maximum = 60000))]
    pub interval_ms: u32,
    pub keepalived_running: bool,
    #[cfg_attr(feature = "ssr", schema(max_items = 32))]
    pub havips: Vec<HavipObservation>,
}

/// What the agent sees of one HAVIP bound to its VM.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HavipObservation {
    pub havip_id: String,
    /// Whether the VIP is on one of the VM's interfaces.
    pub holds_vip: bool,
    /// The last state keepalived announced for the HAVIP's instance, if any since the agent started.
    #[serde(default)]
    pub vrrp_state: Option<VrrpState>,
    /// The configuration revision the VM's keepalived configuration carries.
    #[serde(default)]
    pub config_revision: Option<i64>,
}

impl AgentReport {
    /// The checks that need no database.
    pub fn validate(&self) -> Result<(), AppError> {
        let bad = |field: Field, why: String| Err(AppError::invalid_parameter(field, why));
        if self.seq == 0 || self.seq > MAX_SEQ {
            return bad(Field::Seq, format!("seq must be from 1 to {MAX_SEQ}"));
        }
        if !REPORT_INTERVAL_MS.contains(&self.interval_ms) {
            return bad(Field::IntervalMs, "interval_ms must be from 1000 to 60000".to_owned());
        }
        if self.havips.len() > MAX_HAVIPS_PER_REPORT {
            return bad(Field::Havips, format!("a report speaks of at most {MAX_HAVIPS_PER_REPORT} HAVIPs"));
        }
        for (i, observation) in self.havips.iter().enumerate() {
            if !is_well_formed(IdKind::Havip, &observation.havip_id) {
                return Err(AppError::with_detail(
                    ErrorCode::ReportNotBound,
                    format!("havips[{i}]: {:?} is not a HAVIP of this VM", observation.havip_id),
                ));
            }
            if self.havips[..i].iter().any(|o| o.havip_id == observation.havip_id) {
                return bad(Field::Havips, format!("havips[{i}]: {} is listed twice", observation.havip_id));
            }
        }
        Ok(())
    }
}

/// The largest sequence number: what JSON numbers carry exactly, and the database's BIGINT.
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// What the agent of a VM must watch: the HAVIPs bound to it (the answer to every report).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AgentAssignments {
    pub vm_id: String,
    pub havips: Vec<Assignment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub havip_id: String,
    /// The VIP, whose presence on an interface the agent reports.
    pub ip: String,
    /// keepalived's `vrrp_instance` name for the HAVIP, which its notifications carry.
    pub instance: String,
    pub config_revision: i64,
}

/// An event of a HAVIP's history, newest first in the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HavipEvent {
    pub id: String,
    /// `master_changed`, `split_brain_started`, `split_brain_ended`, `no_master_started`,
    /// `agent_lost`, `agent_back`, `vrrp_state`, `vrid_changed`, `fabric_master_changed`,
    /// `fabric_disagrees_started`, `fabric_disagrees_ended`, or an operation of the log
    /// (`havip.create`, `havip.update`, `havip.attach_vm`, `havip.reconcile`, …).
    pub kind: String,
    /// When the server learned of it.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// When the agent saw it, for what an agent reported (a failover during an outage of the
    /// console keeps the agent's time).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub agent_at: Option<Timestamp>,
    /// Who or what saw it: `agent`, `fabric` (the network, through the OVN driver), `server`
    /// (silence, an operation's outcome) or a user.
    pub source: String,
    /// The kind's particulars: `{from, to}`, `{vms}`, `{vm}`, `{vm, state}`, `{agents, fabric}`,
    /// an operation's outcome.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub detail: serde_json::Value,
}

/// A page of a HAVIP's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HavipEventPage {
    pub items: Vec<HavipEvent>,
    /// Pass as `before` for the next (older) page; null on the last.
    pub next_before: Option<String>,
}

/// A change of HA state, as the server records it in the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HaChange {
    MasterChanged {
        from: Option<String>,
        to: Option<String>,
    },
    SplitBrainStarted {
        vms: Vec<String>,
    },
    SplitBrainEnded,
    NoMasterStarted,
    AgentLost {
        vm: String,
    },
    AgentBack {
        vm: String,
    },
    VrrpState {
        vm: String,
        state: VrrpState,
    },
    VridChanged {
        from: i64,
        to: i64,
    },
    FabricMasterChanged {
        from: Option<String>,
        to: Option<String>,
    },
    /// The agents' master (null: none holds) and the fabric's.
    FabricDisagreesStarted {
        agents: Option<String>,
        fabric: Option<String>,
    },
    FabricDisagreesEnded,
}

impl HaChange {
    /// The event's kind and its particulars, as they are stored.
    pub fn kind_and_detail(&self) -> (String, serde_json::Value) {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_owned();
        if let Some(map) = value.as_object_mut() {
            map.remove("kind");
        }
        (kind, value)
    }

    /// The changes of the history from one derived state to the next.
    pub fn between(before: &Derived, after: &Derived, previous_master: Option<&str>) -> Vec<HaChange> {
        let mut changes = Vec::new();
        if after.master.is_some() && after.master.as_deref() != previous_master {
            changes
                .push(HaChange::MasterChanged { from: previous_master.map(str::to_owned), to: after.master.clone() });
        }
        match (before.health == Health::SplitBrain, after.health == Health::SplitBrain) {
            (false, true) => changes.push(HaChange::SplitBrainStarted { vms: after.holders.clone() }),
            (true, false) => changes.push(HaChange::SplitBrainEnded),
            _ => {}
        }
        if after.health == Health::NoMaster && before.health != Health::NoMaster {
            changes.push(HaChange::NoMasterStarted);
        }
        match (before.health == Health::FabricDisagrees, after.health == Health::FabricDisagrees) {
            (false, true) => changes.push(HaChange::FabricDisagreesStarted {
                agents: after.holders.first().cloned(),
                fabric: after.fabric_master.clone(),
            }),
            (true, false) => changes.push(HaChange::FabricDisagreesEnded),
            _ => {}
        }
        if after.fabric_master.is_some() && after.fabric_master != before.fabric_master {
            let change =
                HaChange::FabricMasterChanged { from: before.fabric_master.clone(), to: after.fabric_master.clone() };
            changes.push(change);
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(id: &str, agent: AgentPresence, holds: bool) -> VmView {
        VmView {
            vm_id: id.into(),
            agent,
            holds_vip: holds,
            vrrp_state: Some(if holds { VrrpState::Master } else { VrrpState::Backup }),
            keepalived_running: true,
        }
    }

    use AgentPresence::{None as NoAgent, Reporting, Silent};

    fn derive_agents(vms: &[VmView]) -> Derived {
        derive(vms, None)
    }

    #[test]
    fn each_health_from_the_vms() {
        let healthy = derive_agents(&[vm("vm-a", Reporting, true), vm("vm-b", Reporting, false)]);
        assert_eq!((healthy.health, healthy.master.as_deref()), (Health::Healthy, Some("vm-a")));
        let silent = derive_agents(&[vm("vm-a", Reporting, true), vm("vm-b", Silent, false)]);
        assert_eq!((silent.health, silent.master.as_deref()), (Health::Degraded, Some("vm-a")));
        let no_agent = derive_agents(&[vm("vm-a", Reporting, true), vm("vm-b", NoAgent, false)]);
        assert_eq!(no_agent.health, Health::Degraded);
        let mut fault = vm("vm-b", Reporting, false);
        fault.vrrp_state = Some(VrrpState::Fault);
        assert_eq!(derive_agents(&[vm("vm-a", Reporting, true), fault]).health, Health::Degraded);
        let mut stopped = vm("vm-b", Reporting, false);
        stopped.keepalived_running = false;
        assert_eq!(derive_agents(&[vm("vm-a", Reporting, true), stopped]).health, Health::Degraded);
        let split =
            derive_agents(&[vm("vm-a", Reporting, true), vm("vm-b", Reporting, true), vm("vm-c", Reporting, false)]);
        assert_eq!((split.health, split.master.clone()), (Health::SplitBrain, None));
        assert_eq!(split.holders, vec!["vm-a".to_owned(), "vm-b".to_owned()]);
        let none = derive_agents(&[vm("vm-a", Reporting, false), vm("vm-b", Silent, true)]);
        assert_eq!((none.health, none.master.clone()), (Health::NoMaster, None), "a silent holder does not count");
        assert_eq!(derive_agents(&[vm("vm-a", Silent, true), vm("vm-b", NoAgent, false)]).health, Health::Unknown);
        assert_eq!(derive_agents(&[]).health, Health::Unknown);
    }

    fn fabric(master: Option<&str>) -> FabricHa {
        FabricHa {
            master_vm_id: master.map(str::to_owned),
            parent_port: master.map(str::to_owned),
            seen_at: Timestamp::from_micros(0),
        }
    }

    #[test]
    fn the_fabric_is_a_second_witness() {
        let vms = [vm("vm-a", Reporting, true), vm("vm-b", Reporting, false)];
        let agrees = derive(&vms, Some(&fabric(Some("vm-a"))));
        assert_eq!((agrees.health, agrees.fabric_master.as_deref()), (Health::Healthy, Some("vm-a")));
        let elsewhere = derive(&vms, Some(&fabric(Some("vm-b"))));
        assert_eq!((elsewhere.health, elsewhere.master.as_deref()), (Health::FabricDisagrees, Some("vm-a")));
        let nobody_announced = derive(&vms, Some(&fabric(None)));
        assert_eq!(nobody_announced.health, Health::FabricDisagrees, "the VIP is held but the network sends nowhere");
        let unheld = derive(&[vm("vm-a", Reporting, false)], Some(&fabric(Some("vm-a"))));
        assert_eq!((unheld.health, unheld.master.clone()), (Health::FabricDisagrees, None));
        let split = derive(&[vm("vm-a", Reporting, true), vm("vm-b", Reporting, true)], Some(&fabric(Some("vm-b"))));
        assert_eq!(split.health, Health::SplitBrain, "the stronger alarm stays");
        let no_agents = derive(&[vm("vm-a", NoAgent, false)], Some(&fabric(Some("vm-a"))));
        assert_eq!((no_agents.health, no_agents.master.as_deref()), (Health::Unknown, Some("vm-a")));
        assert!(Health::FabricDisagrees.is_alarm() && Health::FabricDisagrees.needs_grace());

        let changes = HaChange::between(&agrees, &elsewhere, Some("vm-a"));
        assert_eq!(
            changes,
            vec![
                HaChange::FabricDisagreesStarted { agents: Some("vm-a".into()), fabric: Some("vm-b".into()) },
                HaChange::FabricMasterChanged { from: Some("vm-a".into()), to: Some("vm-b".into()) },
            ]
        );
        assert_eq!(HaChange::between(&elsewhere, &agrees, Some("vm-a")).first(), Some(&HaChange::FabricDisagreesEnded));
    }

    #[test]
    fn the_history_names_what_changed() {
        let a = derive_agents(&[vm("vm-a", Reporting, true), vm("vm-b", Reporting, false)]);
        let b = derive_agents(&[vm("vm-a", Reporting, false), vm("vm-b", Reporting, true)]);
        assert_eq!(
            HaChange::between(&a, &b, Some("vm-a")),
            vec![HaChange::MasterChanged { from: Some("vm-a".into()), to: Some("vm-b".into()) }]
        );
        let split = derive_agents(&[vm("vm-a", Reporting, true), vm("vm-b", Reporting, true)]);
        assert_eq!(
            HaChange::between(&b, &split, Some("vm-b")),
            vec![HaChange::SplitBrainStarted { vms: vec!["vm-a".into(), "vm-b".into()] }]
        );
        assert_eq!(HaChange::between(&split, &b, Some("vm-b")), vec![HaChange::SplitBrainEnded]);
        let (kind, detail) = HaChange::AgentLost { vm: "vm-a".into() }.kind_and_detail();
        assert_eq!((kind.as_str(), detail), ("agent_lost", serde_json::json!({"vm": "vm-a"})));
    }

    #[test]
    fn a_report_is_checked_before_anything_is_looked_up() {
        let report = |seq, interval_ms, ids: &[&str]| AgentReport {
            seq,
            observed_at: Timestamp::from_micros(0),
            interval_ms,
            keepalived_running: true,
            havips: ids
                .iter()
                .map(|id| HavipObservation {
                    havip_id: (*id).into(),
                    holds_vip: false,
                    vrrp_state: None,
                    config_revision: None,
                })
                .collect(),
        };
        assert!(report(1, 2000, &["havip-aaaaaaaa"]).validate().is_ok());
        assert_eq!(report(0, 2000, &[]).validate().expect_err("seq").field, Some(Field::Seq));
        assert_eq!(report(1, 500, &[]).validate().expect_err("interval").field, Some(Field::IntervalMs));
        let twice = report(1, 2000, &["havip-aaaaaaaa", "havip-aaaaaaaa"]).validate().expect_err("twice");
        assert_eq!(twice.field, Some(Field::Havips));
        assert_eq!(report(1, 2000, &["nope"]).validate().expect_err("id").code, ErrorCode::ReportNotBound);
    }
}
