//! Live HA state: the agents of VMs, what they report of each binding, each HAVIP's derived
//! health, and the HA history.

use super::{Sql, StoreError, TenantTx};
use crate::db::{col, new_id};
use app::domain::ha::{Assignment, HavipEvent, Health, VrrpState};
use app::domain::ids::IdKind;
use app::domain::keepalived::instance_name;
use app::domain::time::Timestamp;
use sqlx::AnyConnection;

/// What is stored of a VM's agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentRow {
    pub last_seq: i64,
    pub interval_ms: i64,
    pub keepalived_running: bool,
    pub silent: bool,
}

pub async fn agent(conn: &mut AnyConnection, tenant_id: &str, vm_id: &str) -> Result<Option<AgentRow>, StoreError> {
    let row = sqlx::query(
        "SELECT last_seq, interval_ms, keepalived_running, silent FROM vm_agents WHERE tenant_id = $1 AND vm_id = $2",
    )
    .bind(tenant_id)
    .bind(vm_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let (running, silent): (i64, i64) = (col(&r, 2)?, col(&r, 3)?);
        Ok(AgentRow {
            last_seq: col(&r, 0)?,
            interval_ms: col(&r, 1)?,
            keepalived_running: running != 0,
            silent: silent != 0,
        })
    })
    .transpose()
}

/// A HAVIP bound to a VM, with what the VM's agent last reported of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundHavip {
    pub assignment: Assignment,
    pub holds_vip: Option<bool>,
    pub vrrp_state: Option<VrrpState>,
    pub running_revision: Option<i64>,
}

/// The HAVIPs bound to the VM, in ID order.
pub async fn bound_havips(
    conn: &mut AnyConnection,
    tenant_id: &str,
    vm_id: &str,
) -> Result<Vec<BoundHavip>, StoreError> {
    let rows = sqlx::query(
        "SELECT b.havip_id, h.ip, h.config_revision, b.holds_vip, b.vrrp_state, b.running_revision \
         FROM havip_bindings b JOIN havips h ON h.id = b.havip_id \
         WHERE b.tenant_id = $1 AND b.vm_id = $2 ORDER BY b.havip_id",
    )
    .bind(tenant_id)
    .bind(vm_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let havip_id: String = col(r, 0)?;
            let holds: Option<i64> = col(r, 3)?;
            let state: Option<String> = col(r, 4)?;
            Ok(BoundHavip {
                assignment: Assignment {
                    instance: instance_name(&havip_id),
                    havip_id,
                    ip: col(r, 1)?,
                    config_revision: col(r, 2)?,
                },
                holds_vip: holds.map(|h| h != 0),
                vrrp_state: state.as_deref().and_then(VrrpState::parse),
                running_revision: col(r, 5)?,
            })
        })
        .collect()
}

/// Records a report of the VM's agent: its sequence number, when it came, and that the agent
/// is heard again.
pub async fn upsert_agent(
    tx: &mut TenantTx,
    vm_id: &str,
    seq: i64,
    at: i64,
    interval_ms: i64,
    keepalived_running: bool,
) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query(
        "INSERT INTO vm_agents (vm_id, tenant_id, last_seq, last_report_at, interval_ms, keepalived_running, silent) \
         VALUES ($1, $2, $3, $4, $5, $6, 0) \
         ON CONFLICT (vm_id) DO UPDATE SET last_seq = excluded.last_seq, last_report_at = excluded.last_report_at, \
         interval_ms = excluded.interval_ms, keepalived_running = excluded.keepalived_running, silent = 0 \
         WHERE vm_agents.tenant_id = excluded.tenant_id",
    )
    .bind(vm_id)
    .bind(tenant_id)
    .bind(seq)
    .bind(at)
    .bind(interval_ms)
    .bind(i64::from(keepalived_running))
    .execute(conn)
    .await?;
    Ok(())
}

/// What a VM's agent saw of one HAVIP.
pub async fn record_observation(
    tx: &mut TenantTx,
    havip_id: &str,
    vm_id: &str,
    holds_vip: bool,
    vrrp_state: Option<VrrpState>,
    running_revision: Option<i64>,
) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query(
        "UPDATE havip_bindings SET holds_vip = $1, vrrp_state = $2, running_revision = $3 \
         WHERE tenant_id = $4 AND havip_id = $5 AND vm_id = $6",
    )
    .bind(i64::from(holds_vip))
    .bind(vrrp_state.map(VrrpState::as_str))
    .bind(running_revision)
    .bind(tenant_id)
    .bind(havip_id)
    .bind(vm_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A HAVIP's stored HA state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredHa {
    pub havip_id: String,
    pub health: Health,
    pub master_vm_id: Option<String>,
    /// Since when the HAVIP has been in a health that counts only after a grace (no holder, or
    /// the fabric disagreeing); the column keeps its first name.
    pub unsettled_since: Option<i64>,
    /// The port the fabric sends the traffic to, and when it said so (None: no fabric).
    pub fabric_parent: Option<String>,
    pub fabric_seen_at: Option<i64>,
    pub fabric_master_vm_id: Option<String>,
}

pub async fn stored_ha(
    conn: &mut AnyConnection,
    tenant_id: &str,
    havip_ids: &[String],
) -> Result<Vec<StoredHa>, StoreError> {
    if havip_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT id, health, master_vm_id, no_master_since, fabric_parent, fabric_seen_at, fabric_master_vm_id \
         FROM havips WHERE tenant_id = ",
    );
    sql.bind(tenant_id.to_owned()).push(" AND id IN (").bind_list(havip_ids).push(") ORDER BY id");
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            let health: String = col(r, 1)?;
            Ok(StoredHa {
                havip_id: col(r, 0)?,
                health: super::havips::health_from_db(&health)?,
                master_vm_id: col(r, 2)?,
                unsettled_since: col(r, 3)?,
                fabric_parent: col(r, 4)?,
                fabric_seen_at: col(r, 5)?,
                fabric_master_vm_id: col(r, 6)?,
            })
        })
        .collect()
}

/// A HAVIP's derived HA state, as it is written.
pub struct HaWrite<'a> {
    pub health: Health,
    pub master_vm_id: Option<&'a str>,
    pub unsettled_since: Option<i64>,
    pub fabric_master_vm_id: Option<&'a str>,
}

/// Writes a HAVIP's derived HA state.
pub async fn set_ha(tx: &mut TenantTx, havip_id: &str, state: HaWrite<'_>) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query(
        "UPDATE havips SET health = $1, master_vm_id = $2, no_master_since = $3, fabric_master_vm_id = $4 \
         WHERE tenant_id = $5 AND id = $6",
    )
    .bind(state.health.as_str())
    .bind(state.master_vm_id)
    .bind(state.unsettled_since)
    .bind(state.fabric_master_vm_id)
    .bind(tenant_id)
    .bind(havip_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes what the fabric says of a HAVIP: the port OVN sends its traffic to (the VM of that
/// port is derived with the rest of the HA state).
pub async fn set_fabric_parent(
    tx: &mut TenantTx,
    havip_id: &str,
    parent: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query("UPDATE havips SET fabric_parent = $1, fabric_seen_at = $2 WHERE tenant_id = $3 AND id = $4")
        .bind(parent)
        .bind(now)
        .bind(tenant_id)
        .bind(havip_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// An event to add to a HAVIP's history.
pub struct NewEvent<'a> {
    pub havip_id: &'a str,
    pub kind: &'a str,
    pub source: &'a str,
    pub detail: &'a serde_json::Value,
    pub agent_at: Option<i64>,
    pub at: i64,
}

pub async fn insert_event(tx: &mut TenantTx, event: NewEvent<'_>) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query(
        "INSERT INTO havip_events (id, tenant_id, havip_id, kind, source, detail, agent_at, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id(IdKind::Event))
    .bind(tenant_id)
    .bind(event.havip_id)
    .bind(event.kind)
    .bind(event.source)
    .bind(event.detail.to_string())
    .bind(event.agent_at)
    .bind(event.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The VM a HAVIP's last `master_changed` event named as the new master.
pub async fn last_master(
    conn: &mut AnyConnection,
    tenant_id: &str,
    havip_id: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(
        "SELECT detail FROM havip_events WHERE tenant_id = $1 AND havip_id = $2 AND kind = 'master_changed' \
         ORDER BY at DESC, id DESC LIMIT 1",
    )
    .bind(tenant_id)
    .bind(havip_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let detail: String = col(&row, 0)?;
    let value: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
    Ok(value.get("to").and_then(|to| to.as_str()).map(str::to_owned))
}

/// When and what a VM's agent was last heard: written in batches, never moving back.
pub struct Heard {
    pub vm_id: String,
    pub seq: i64,
    pub at: i64,
}

/// Rows per multi-row statement.
const ROWS_PER_STATEMENT: usize = 400;

/// Writes when agents were last heard (a report that changes nothing writes nothing at once).
pub async fn touch_agents(conn: &mut AnyConnection, heard: &[Heard]) -> Result<(), StoreError> {
    for chunk in heard.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new("UPDATE vm_agents SET last_report_at = CASE vm_id");
        for h in chunk {
            sql.push(" WHEN ").bind(h.vm_id.clone()).push(" THEN ").bind(h.at);
        }
        sql.push(" END, last_seq = CASE vm_id");
        for h in chunk {
            sql.push(" WHEN ").bind(h.vm_id.clone()).push(" THEN ").bind(h.seq);
        }
        let ids: Vec<String> = chunk.iter().map(|h| h.vm_id.clone()).collect();
        // Only forward: a batch from a process that heard an older report changes nothing.
        sql.push(" END WHERE vm_id IN (").bind_list(&ids).push(") AND last_report_at <= CASE vm_id");
        for h in chunk {
            sql.push(" WHEN ").bind(h.vm_id.clone()).push(" THEN ").bind(h.at);
        }
        sql.push(" END");
        sql.execute(conn).await?;
    }
    Ok(())
}

/// VMs whose agent has been silent three intervals (and since `listening_since`, so that a
/// server just started does not count the time it was away), by tenant.
pub async fn silent_candidates(
    conn: &mut AnyConnection,
    now: i64,
    listening_since: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT tenant_id, vm_id FROM vm_agents WHERE silent = 0 \
         AND last_report_at + 3 * interval_ms * 1000 < $1 AND $2 + 3 * interval_ms * 1000 < $1 ORDER BY tenant_id",
    )
    .bind(now)
    .bind(listening_since)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
}

/// Marks the VMs' agents silent if they still are; answers those this call marked, so that of
/// several servers sweeping at once exactly one records each silence.
pub async fn mark_silent(tx: &mut TenantTx, vm_ids: &[String], now: i64) -> Result<Vec<String>, StoreError> {
    let (conn, tenant_id) = tx.split();
    let mut sql = Sql::new("UPDATE vm_agents SET silent = 1 WHERE tenant_id = ");
    sql.bind(tenant_id.to_owned()).push(" AND vm_id IN (").bind_list(vm_ids).push(")");
    sql.push(" AND silent = 0 AND last_report_at + 3 * interval_ms * 1000 < ").bind(now).push(" RETURNING vm_id");
    sql.fetch_all(conn).await?.iter().map(|r| col(r, 0)).collect()
}

/// The HAVIPs unsettled (no holder, or the fabric disagreeing) since before `before`, by tenant.
pub async fn no_master_due(conn: &mut AnyConnection, before: i64) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT tenant_id, id FROM havips WHERE no_master_since IS NOT NULL AND no_master_since < $1 ORDER BY tenant_id",
    )
    .bind(before)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
}

/// The (HAVIP, VM) bindings of the VMs.
pub async fn bindings_of_vms(
    conn: &mut AnyConnection,
    tenant_id: &str,
    vm_ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut sql = Sql::new("SELECT havip_id, vm_id FROM havip_bindings WHERE tenant_id = ");
    sql.bind(tenant_id.to_owned()).push(" AND vm_id IN (").bind_list(vm_ids).push(") ORDER BY havip_id, vm_id");
    sql.fetch_all(conn).await?.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
}

/// A page of a HAVIP's history, newest first: its HA events and the operations of the log
/// on it. `before` is the (time, ID) of the last event of the previous page.
pub async fn events(
    conn: &mut AnyConnection,
    tenant_id: &str,
    havip_id: &str,
    limit: u32,
    before: Option<(i64, String)>,
) -> Result<Vec<HavipEvent>, StoreError> {
    let mut sql = Sql::new("SELECT id, kind, source, detail, outcome, agent_at, at FROM (");
    sql.push("SELECT id, kind, source, detail, NULL AS outcome, agent_at, at FROM havip_events WHERE tenant_id = ")
        .bind(tenant_id.to_owned())
        .push(" AND havip_id = ")
        .bind(havip_id.to_owned());
    // The log's entries on the HAVIP: who did what (the worker's are the server's own).
    sql.push(" UNION ALL SELECT o.id, o.action, COALESCE(u.username, 'server'), o.detail, o.outcome, NULL, o.at ")
        .push("FROM operation_log o LEFT JOIN users u ON u.id = o.user_id WHERE o.tenant_id = ")
        .bind(tenant_id.to_owned())
        .push(" AND o.resource_id = ")
        .bind(havip_id.to_owned());
    sql.push(") e");
    if let Some((at, id)) = before {
        sql.push(" WHERE e.at < ").bind(at).push(" OR (e.at = ").bind(at).push(" AND e.id < ").bind(id).push(")");
    }
    sql.push(" ORDER BY e.at DESC, e.id DESC LIMIT ").bind(i64::from(limit));
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            let detail: Option<String> = col(r, 3)?;
            let outcome: Option<String> = col(r, 4)?;
            let agent_at: Option<i64> = col(r, 5)?;
            // HA events keep their particulars as JSON; the log's entries an outcome and a text.
            let detail = match outcome {
                Some(outcome) => serde_json::json!({ "outcome": outcome, "text": detail }),
                None => detail.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default(),
            };
            Ok(HavipEvent {
                id: col(r, 0)?,
                kind: col(r, 1)?,
                source: col(r, 2)?,
                detail,
                agent_at: agent_at.map(Timestamp::from_micros),
                at: Timestamp::from_micros(col(r, 6)?),
            })
        })
        .collect()
}

/// How many HAVIPs are in each health, and how many agents are silent (for `/metrics`).
pub async fn health_counts(conn: &mut AnyConnection) -> Result<Vec<(Health, i64)>, StoreError> {
    let rows = sqlx::query("SELECT health, COUNT(*) FROM havips GROUP BY health").fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            let health: String = col(r, 0)?;
            Ok((super::havips::health_from_db(&health)?, col(r, 1)?))
        })
        .collect()
}

pub async fn silent_agents(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) FROM vm_agents WHERE silent = 1").fetch_one(conn).await?;
    col(&row, 0)
}
