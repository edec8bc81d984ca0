//! `POST /agent/reports`: an agent's report of its VM. A report that says what the last one said
//! costs no write (see `memory`); one that changes something is written with the history it
//! makes and the HA state derived again, in one transaction.

use super::memory::{Recall, fingerprint};
use super::state::{Seen, record, rederive};
use crate::db::now_micros;
use crate::service::{Backend, with_retries};
use crate::store::ha::{self, BoundHavip};
use crate::store::{StoreError, TenantTx, havips};
use app::domain::caller::Caller;
use app::domain::ha::{AgentAssignments, AgentReport, HaChange, HavipObservation};
use app::domain::{AppError, ErrorCode};

/// The VM an agent caller speaks for; anyone else may not report.
pub fn agent_vm(caller: &Caller) -> Result<&str, AppError> {
    caller
        .agent_vm
        .as_deref()
        .ok_or_else(|| AppError::with_detail(ErrorCode::Forbidden, "only an agent token of the VM may report for it"))
}

fn stale(seq: i64) -> AppError {
    AppError::with_detail(ErrorCode::StaleReport, format!("report {seq} is older than one received already"))
}

/// Whether the stored observation already says what the report says of the HAVIP. What the
/// agent does not know (the VRRP state before keepalived announced one since the agent started,
/// the revision of a file it cannot read) leaves what was known.
fn says_nothing_new(observation: &HavipObservation, stored: &BoundHavip) -> bool {
    stored.holds_vip == Some(observation.holds_vip)
        && observation.vrrp_state.is_none_or(|state| stored.vrrp_state == Some(state))
        && observation.config_revision.is_none_or(|revision| stored.running_revision == Some(revision))
}

impl Backend {
    pub async fn agent_report(&self, caller: &Caller, report: AgentReport) -> Result<AgentAssignments, AppError> {
        let vm_id = agent_vm(caller)?;
        report.validate()?;
        self.metrics.agent_report();
        let now = now_micros();
        let seq = i64::try_from(report.seq).unwrap_or(i64::MAX);
        let print = fingerprint(&report);
        let revision = self.revision(caller).await?;
        match self.agents.recall(vm_id, seq, print, revision) {
            Recall::Stale => return Err(stale(seq)),
            Recall::Repeat(assignments) => return Ok(assignments.as_ref().clone()),
            Recall::Unchanged(assignments) => {
                self.agents.heard(vm_id, seq, now);
                return Ok(assignments.as_ref().clone());
            }
            Recall::Unknown => {}
        }
        let tenant = caller.tenant_id.as_str();
        let (agent, bound) = {
            let mut conn = self.db.reader().await?;
            (ha::agent(&mut conn, tenant, vm_id).await?, ha::bound_havips(&mut conn, tenant, vm_id).await?)
        };
        let stored_of = |id: &str| bound.iter().find(|b| b.assignment.havip_id == id);
        if let Some(observation) = report.havips.iter().find(|o| stored_of(&o.havip_id).is_none()) {
            return Err(AppError::with_detail(
                ErrorCode::ReportNotBound,
                format!("{} is not bound to {vm_id}", observation.havip_id),
            ));
        }
        let nothing_new = report.havips.iter().all(|o| stored_of(&o.havip_id).is_some_and(|s| says_nothing_new(o, s)));
        match &agent {
            Some(agent) if seq < agent.last_seq => return Err(stale(seq)),
            Some(agent) if seq == agent.last_seq && !nothing_new => return Err(stale(seq)),
            _ => {}
        }
        let assignments =
            AgentAssignments { vm_id: vm_id.to_owned(), havips: bound.iter().map(|b| b.assignment.clone()).collect() };
        let unchanged = agent.is_some_and(|a| {
            !a.silent
                && a.keepalived_running == report.keepalived_running
                && a.interval_ms == i64::from(report.interval_ms)
        });
        if unchanged && nothing_new {
            self.agents.remember(vm_id, seq, print, revision, assignments.clone());
            self.agents.heard(vm_id, seq, now);
            return Ok(assignments);
        }
        with_retries(|| self.write_report(caller, vm_id, &report, &bound, now), |_| None).await?;
        // The write moved the tenant's revision: the next report is checked against it.
        self.agents.forget(vm_id);
        Ok(assignments)
    }

    async fn write_report(
        &self,
        caller: &Caller,
        vm_id: &str,
        report: &AgentReport,
        bound: &[BoundHavip],
        now: i64,
    ) -> Result<(), StoreError> {
        let seq = i64::try_from(report.seq).unwrap_or(i64::MAX);
        let mut tx = TenantTx::begin(&self.db, &caller.tenant_id).await?;
        let before = ha::agent(&mut tx, &caller.tenant_id, vm_id).await?;
        if before.as_ref().is_some_and(|a| seq < a.last_seq) {
            // Another server took a newer report of this agent meanwhile.
            return Err(stale(seq).into());
        }
        ha::upsert_agent(&mut tx, vm_id, seq, now, i64::from(report.interval_ms), report.keepalived_running).await?;
        // The HAVIPs' row locks before their bindings change, in the order an edit takes them
        // (HAVIP, then bindings): taken after, a report and a rebind of the same HAVIP could
        // each wait for the other until Postgres broke the deadlock (a second, at failover).
        let havip_ids: Vec<String> = bound.iter().map(|b| b.assignment.havip_id.clone()).collect();
        havips::lock_rows(&mut tx, &havip_ids).await?;
        let seen = Seen { source: "agent", agent_at: Some(report.observed_at.as_micros()), now };
        for observation in &report.havips {
            let Some(stored) = bound.iter().find(|b| b.assignment.havip_id == observation.havip_id) else { continue };
            if says_nothing_new(observation, stored) {
                continue;
            }
            let state = observation.vrrp_state.or(stored.vrrp_state);
            let revision = observation.config_revision.or(stored.running_revision);
            ha::record_observation(&mut tx, &observation.havip_id, vm_id, observation.holds_vip, state, revision)
                .await?;
            if let Some(state) = observation.vrrp_state.filter(|s| stored.vrrp_state != Some(*s)) {
                record(&mut tx, &observation.havip_id, &HaChange::VrrpState { vm: vm_id.to_owned(), state }, seen)
                    .await?;
            }
        }
        if before.is_some_and(|a| a.silent) {
            for id in &havip_ids {
                record(&mut tx, id, &HaChange::AgentBack { vm: vm_id.to_owned() }, seen).await?;
            }
        }
        rederive(&mut tx, &havip_ids, seen, &self.metrics).await?;
        tx.commit().await
    }

    /// What the agent of the caller's VM must watch.
    pub async fn agent_assignments(&self, caller: &Caller) -> Result<AgentAssignments, AppError> {
        let vm_id = agent_vm(caller)?;
        let mut conn = self.db.reader().await?;
        let bound = ha::bound_havips(&mut conn, &caller.tenant_id, vm_id).await?;
        Ok(AgentAssignments { vm_id: vm_id.to_owned(), havips: bound.into_iter().map(|b| b.assignment).collect() })
    }
}
