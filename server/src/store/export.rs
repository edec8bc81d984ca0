//! The rows of the Excel export, in creation order, each HAVIP with its VMs' IDs. Each database
//! is read the way it is fastest: Postgres streams one query's rows; SQLite answers chunks of
//! a few thousand HAVIPs as ONE JSON text each (json_group_array), because its driver hands
//! rows over one by one through a channel, which for 100,000 rows costs more than writing
//! the workbook.

use super::StoreError;
use crate::db::{Dialect, col};
use crate::store::havips::status_from_db;
use app::domain::status::HavipStatus;
use app::domain::time::Timestamp;
use sqlx::AnyConnection;

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
    pub created_at: Timestamp,
}

pub type RowBatches = tokio::sync::mpsc::Sender<Result<Vec<ExportRow>, app::domain::AppError>>;

/// One HAVIP-and-binding pair as the chunk's JSON has it.
type Pair =
    (String, String, String, String, String, String, String, String, i64, Option<String>, Option<i64>, Option<String>);

/// Streams the tenant's rows in creation order into `out`, in batches of `chunk`; stops early
/// when the receiver is gone.
pub async fn stream(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
    chunk: i64,
    out: &RowBatches,
) -> Result<(), StoreError> {
    match dialect {
        Dialect::Sqlite => stream_json_chunks(conn, tenant_id, chunk, out).await,
        Dialect::Postgres => stream_rows(conn, tenant_id, chunk as usize, out).await,
    }
}

/// SQLite: chunks of HAVIPs, each as one JSON text.
async fn stream_json_chunks(
    conn: &mut AnyConnection,
    tenant_id: &str,
    chunk: i64,
    out: &RowBatches,
) -> Result<(), StoreError> {
    let sql = "SELECT json_group_array(json_array(h.id, h.name, h.remark, h.status, h.ip, h.vpc_id, h.subnet_id, \
         h.project_id, h.created_at, b.vm_id, b.havip_slot, h.status_reason)) \
         FROM (SELECT id, name, remark, status, ip, vpc_id, subnet_id, project_id, created_at, status_reason FROM havips \
               WHERE tenant_id = $1 AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
               ORDER BY created_at, id LIMIT $4) h \
         LEFT JOIN havip_bindings b ON b.havip_id = h.id";
    let mut after: (i64, String) = (i64::MIN, String::new());
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
        let rows = rows_of(pairs)?;
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
    out: &RowBatches,
) -> Result<(), StoreError> {
    use futures::TryStreamExt;
    let mut rows = sqlx::query(
        "SELECT h.id, h.name, h.remark, h.status, h.ip, h.vpc_id, h.subnet_id, h.project_id, h.created_at, \
         b.vm_id, b.havip_slot, h.status_reason FROM havips h LEFT JOIN havip_bindings b ON b.havip_id = h.id \
         WHERE h.tenant_id = $1 ORDER BY h.created_at, h.id",
    )
    .bind(tenant_id)
    .fetch(conn);
    let mut batch: Vec<ExportRow> = Vec::with_capacity(batch_size);
    let mut slots: Vec<(i64, String)> = Vec::new();
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
            batch.push(ExportRow {
                id,
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
            });
        }
        if let Some(vm_id) = col::<Option<String>>(&row, 9)? {
            slots.push((col(&row, 10)?, vm_id));
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

/// Gives the row its VMs in slot order.
fn take_vms(row: &mut ExportRow, slots: &mut Vec<(i64, String)>) {
    slots.sort_unstable();
    row.vm_ids = slots.drain(..).map(|(_, id)| id).collect();
}

/// Groups a chunk's pairs into rows in creation order, each with its VMs in slot order.
fn rows_of(mut pairs: Vec<Pair>) -> Result<Vec<ExportRow>, StoreError> {
    pairs.sort_by(|a, b| (a.8, &a.0, a.10).cmp(&(b.8, &b.0, b.10)));
    let mut rows: Vec<ExportRow> = Vec::new();
    for (id, name, remark, status, ip, vpc_id, subnet_id, project_id, created_at, vm_id, _, status_reason) in pairs {
        if rows.last().is_none_or(|row| row.id != id) {
            rows.push(ExportRow {
                status: status_from_db(&status)?,
                status_reason,
                id,
                name,
                remark,
                ip,
                vpc_id,
                subnet_id,
                project_id,
                vm_ids: Vec::new(),
                created_at: Timestamp::from_micros(created_at),
            });
        }
        if let (Some(vm_id), Some(row)) = (vm_id, rows.last_mut()) {
            row.vm_ids.push(vm_id);
        }
    }
    Ok(rows)
}
