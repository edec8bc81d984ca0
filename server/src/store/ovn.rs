//! What the OVN driver reads of a HAVIP: its subnet's logical switch and its VMs' logical ports
//! (the inventory's names, or by convention the subnet's and the VMs' IDs).

use super::{Sql, StoreError};
use crate::db::col;
use app::domain::status::HavipStatus;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// A HAVIP as the network should have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkTarget {
    pub havip_id: String,
    pub tenant_id: String,
    pub status: HavipStatus,
    pub ip: String,
    pub switch: String,
    /// The bound VMs' ports, in binding order.
    pub parents: Vec<String>,
}

const TARGETS: &str = "SELECT h.id, h.tenant_id, h.status, h.ip, COALESCE(s.ovn_switch, s.id) \
     FROM havips h JOIN subnets s ON s.id = h.subnet_id";
const PARENTS: &str =
    "SELECT b.havip_id, COALESCE(m.ovn_port, m.id) FROM havip_bindings b JOIN vms m ON m.id = b.vm_id";
const BINDING_ORDER: &str = " ORDER BY b.havip_id, b.created_at, b.havip_slot";

/// The network target of one HAVIP of the tenant.
pub async fn target(
    conn: &mut AnyConnection,
    tenant_id: &str,
    havip_id: &str,
) -> Result<Option<NetworkTarget>, StoreError> {
    let mut sql = Sql::new(TARGETS);
    sql.push(" WHERE h.tenant_id = ").bind(tenant_id.to_owned()).push(" AND h.id = ").bind(havip_id.to_owned());
    let mut targets = targets_from(sql.fetch_all(conn).await?)?;
    let mut sql = Sql::new(PARENTS);
    sql.push(" WHERE b.tenant_id = ").bind(tenant_id.to_owned()).push(" AND b.havip_id = ").bind(havip_id.to_owned());
    sql.push(BINDING_ORDER);
    add_parents(&mut targets, sql.fetch_all(conn).await?)?;
    Ok(targets.pop())
}

/// Every HAVIP of every tenant, for reconciliation (one read of each table, not one per HAVIP).
pub async fn all_targets(conn: &mut AnyConnection) -> Result<Vec<NetworkTarget>, StoreError> {
    let mut targets = targets_from(Sql::new(TARGETS).fetch_all(conn).await?)?;
    let mut sql = Sql::new(PARENTS);
    sql.push(BINDING_ORDER);
    add_parents(&mut targets, sql.fetch_all(conn).await?)?;
    Ok(targets)
}

fn targets_from(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<NetworkTarget>, StoreError> {
    rows.iter()
        .map(|row| {
            let status: String = col(row, 2)?;
            Ok(NetworkTarget {
                havip_id: col(row, 0)?,
                tenant_id: col(row, 1)?,
                status: super::havips::status_from_db(&status)?,
                ip: col(row, 3)?,
                switch: col(row, 4)?,
                parents: Vec::new(),
            })
        })
        .collect()
}

fn add_parents(targets: &mut [NetworkTarget], rows: Vec<sqlx::any::AnyRow>) -> Result<(), StoreError> {
    let mut by_havip: HashMap<String, Vec<String>> = HashMap::new();
    for row in &rows {
        by_havip.entry(col(row, 0)?).or_default().push(col(row, 1)?);
    }
    for target in targets {
        target.parents = by_havip.remove(&target.havip_id).unwrap_or_default();
    }
    Ok(())
}
