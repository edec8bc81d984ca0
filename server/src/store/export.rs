//! The rows of the Excel export, newest first (the list's default order), each HAVIP with its VMs' IDs and its observed
//! HA state (health, master, and the VMs whose agents say they hold the address). Each database
//! is read the way it is fastest: Postgres streams one query's rows; SQLite answers chunks of
//! a few thousand HAVIPs as ONE JSON text each (json_group_array), because its driver hands
//! rows over one by one through a channel, which for 100,000 rows costs more than writing
//! the workbook.

use super::StoreError;
use crate::db::{Dialect, col};
use crate::store::havips::{health_from_db, status_from_db};
use app::domain::ha::Health;
use app::domain::status::HavipStatus;
use app::domain::time::Timestamp;
use sqlx::AnyConnection;
use std::collections::HashMap;

pub struct ExportRow {
    pub id: String,
    pub name: String,
    pub remark: String,
    pub status: HavipStatus,
    /// Why a failed HAVIP failed.
    pub status_reason: Option<String>,
    pub ip: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub project_id: String,
    /// The bound VMs' IDs in binding order.
    pub vm_ids: Vec<String>,
    pub health: Health,
    /// The VM that holds the address, when exactly one does.
    pub master_vm_id: Option<String>,
    /// The bound VMs whose agents report (are not silent) that they hold the address, in
    /// binding order: two or more in a split brain.
    pub holders: Vec<String>,
    pub created_at: Timestamp,
}

pub type RowBatches = tokio::sync::mpsc::Sender<Result<Vec<ExportRow>, app::domain::AppError>>;

/// One HAVIP-and-binding pair as the chunk's JSON has it: the fields in the order of the query's
/// json_array (serde reads a struct from an array in field order).
#[derive(serde::Deserialize)]
struct Pair {
    id: String,
    name: String,
    remark: String,
    status: String,
    ip: String,
    vpc_id: String,
    subnet_id: String,
    project_id: String,
    created_at: i64,
    vm_id: Option<String>,
    havip_slot: Option<i64>,
    status_reason: Option<String>,
    health: String,
    master_vm_id: Option<String>,
}

/// The holders of each HAVIP of the tenant in a split brain, in binding order: the bound VMs whose
/// agents report (and are not silent) that they hold the address. Only a split brain names its
/// holders, so they are read apart, once: joining the agents to every binding of the export
/// made 100,000 HAVIPs 40 % slower to write.
async fn split_brain_holders(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let rows = sqlx::query(
        "SELECT b.havip_id, b.vm_id FROM havips h JOIN havip_bindings b ON b.havip_id = h.id \
         JOIN vm_agents a ON a.vm_id = b.vm_id \
         WHERE h.tenant_id = $1 AND h.health = 'split_brain' AND b.holds_vip = 1 AND a.silent = 0 \
         ORDER BY b.havip_id, b.havip_slot",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await?;
    let mut holders: HashMap<String, Vec<String>> = HashMap::new();
    for row in &rows {
        holders.entry(col(row, 0)?).or_default().push(col(row, 1)?);
    }
    Ok(holders)
}

/// Streams the tenant's rows newest first into `out`, in batches of `chunk`; stops early when
/// the receiver is gone.
pub async fn stream(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
    chunk: i64,
    out: &RowBatches,
) -> Result<(), StoreError> {
    let mut holders = split_brain_holders(conn, tenant_id).await?;
    match dialect {
        Dialect::Sqlite => stream_json_chunks(conn, tenant_id, chunk, &mut holders, out).await,
        Dialect::Postgres => stream_rows(conn, tenant_id, chunk as usize, &mut holders, out).await,
    }
}

/// SQLite: chunks of HAVIPs, each as one JSON text.
async fn stream_json_chunks(
    conn: &mut AnyConnection,
    tenant_id: &str,
    chunk: i64,
    holders: &mut HashMap<String, Vec<String>>,
    out: &RowBatches,
) -> Result<(), StoreError> {
    let sql = "SELECT json_group_array(json_array(h.id, h.name, h.remark, h.status, h.ip, h.vpc_id, h.subnet_id, \
         h.project_id, h.created_at, b.vm_id, b.havip_slot, h.status_reason, h.health, h.master_vm_id)) \
         FROM (SELECT id, name, remark, status, ip, vpc_id, subnet_id, project_id, created_at, status_reason, health, \
               master_vm_id FROM havips \
               WHERE tenant_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
               ORDER BY created_at DESC, id DESC LIMIT $4) h \
         LEFT JOIN havip_bindings b ON b.havip_id = h.id";
    // Older than the newest possible: every row. No ID sorts above U+10FFFF.
    let mut after: (i64, String) = (i64::MAX, char::MAX.to_string());
    loop {
        let row = sqlx::query(sql)
            .bind(tenant_id)
            .bind(after.0)
            .bind(after.1.clone())
            .bind(chunk)
            .fetch_one(&mut *conn)
            .await?;
        let json: Option<String> = col(&row, 0)?;
        let pairs: Vec<Pair> = serde_json::from_str(json.as_deref().unwrap_or("[]"))
            .map_err(|e| StoreError::Config(format!("export chunk: {e}")))?;
        if pairs.is_empty() {
            return Ok(());
        }
        let rows = rows_of(pairs, holders)?;
        if let Some(last) = rows.last() {
            after = (last.created_at.as_micros(), last.id.clone());
        }
        let full = rows.len() as i64 == chunk;
        if out.send(Ok(rows)).await.is_err() || !full {
            return Ok(());
        }
    }
}

/// Postgres: one streaming query, rows handed over in batches as they arrive.
async fn stream_rows(
    conn: &mut AnyConnection,
    tenant_id: &str,
    batch_size: usize,
    holders: &mut HashMap<String, Vec<String>>,
    out: &RowBatches,
) -> Result<(), StoreError> {
    use futures::TryStreamExt;
    let mut rows = sqlx::query(
        "SELECT h.id, h.name, h.remark, h.status, h.ip, h.vpc_id, h.subnet_id, h.project_id, h.created_at, \
         b.vm_id, b.havip_slot, h.status_reason, h.health, h.master_vm_id \
         FROM havips h LEFT JOIN havip_bindings b ON b.havip_id = h.id \
         WHERE h.tenant_id = $1 ORDER BY h.created_at DESC, h.id DESC",
    )
    .bind(tenant_id)
    .fetch(conn);
    let mut batch: Vec<ExportRow> = Vec::with_capacity(batch_size);
    let mut slots: Vec<BoundSlot> = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let id: String = col(&row, 0)?;
        if batch.last().is_none_or(|last| last.id != id) {
            if let Some(done) = batch.last_mut() {
                take_vms(done, &mut slots);
            }
            if batch.len() == batch_size
                && out.send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)))).await.is_err()
            {
                return Ok(());
            }
            let status: String = col(&row, 3)?;
            let health: String = col(&row, 12)?;
            batch.push(ExportRow {
                name: col(&row, 1)?,
                remark: col(&row, 2)?,
                status: status_from_db(&status)?,
                status_reason: col(&row, 11)?,
                ip: col(&row, 4)?,
                vpc_id: col(&row, 5)?,
                subnet_id: col(&row, 6)?,
                project_id: col(&row, 7)?,
                created_at: Timestamp::from_micros(col(&row, 8)?),
                vm_ids: Vec::new(),
                health: health_from_db(&health)?,
                master_vm_id: col(&row, 13)?,
                holders: holders.remove(&id).unwrap_or_default(),
                id,
            });
        }
        if let Some(vm_id) = col::<Option<String>>(&row, 9)? {
            slots.push(BoundSlot { slot: col(&row, 10)?, vm_id });
        }
    }
    if let Some(done) = batch.last_mut() {
        take_vms(done, &mut slots);
    }
    if !batch.is_empty() {
        let _ = out.send(Ok(batch)).await;
    }
    Ok(())
}

/// A bound VM of the HAVIP being read, with its binding's slot.
struct BoundSlot {
    slot: i64,
    vm_id: String,
}

/// Gives the row its VMs in slot order.
fn take_vms(row: &mut ExportRow, slots: &mut Vec<BoundSlot>) {
    slots.sort_unstable_by_key(|bound| bound.slot);
    row.vm_ids = slots.drain(..).map(|bound| bound.vm_id).collect();
}

/// Groups a chunk's pairs into rows newest first, each with its VMs in slot order. The order is
/// made here: json_group_array keeps whatever order its rows came in, which the planner picks.
fn rows_of(mut pairs: Vec<Pair>, holders: &mut HashMap<String, Vec<String>>) -> Result<Vec<ExportRow>, StoreError> {
    pairs.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)).then(a.havip_slot.cmp(&b.havip_slot)));
    let mut rows: Vec<ExportRow> = Vec::new();
    for pair in pairs {
        if rows.last().is_none_or(|row| row.id != pair.id) {
            rows.push(ExportRow {
                holders: holders.remove(&pair.id).unwrap_or_default(),
                status: status_from_db(&pair.status)?,
                status_reason: pair.status_reason,
                id: pair.id,
                name: pair.name,
                remark: pair.remark,
                ip: pair.ip,
                vpc_id: pair.vpc_id,
                subnet_id: pair.subnet_id,
                project_id: pair.project_id,
                vm_ids: Vec::new(),
                health: health_from_db(&pair.health)?,
                master_vm_id: pair.master_vm_id,
                created_at: Timestamp::from_micros(pair.created_at),
            });
        }
        if let (Some(vm_id), Some(row)) = (pair.vm_id, rows.last_mut()) {
            row.vm_ids.push(vm_id);
        }
    }
    Ok(rows)
}
