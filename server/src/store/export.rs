//! The rows of the Excel export: one per HAVIP in creation order with the IDs of its VMs, read
//! by a single streaming query that joins nothing but the bindings (names come from maps the
//! export reads first, whose size is the inventory's, not the number of rows).

use crate::db::{StoreError, col};
use app::domain::status::HavipStatus;
use app::domain::time::Timestamp;
use sqlx::AnyConnection;

pub struct ExportRow {
    pub id: String,
    pub name: String,
    pub remark: String,
    pub status: HavipStatus,
    pub ip: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub project_id: String,
    /// The bound VMs' IDs in binding order.
    pub vm_ids: Vec<String>,
    pub created_at: Timestamp,
}

pub type RowBatches = tokio::sync::mpsc::Sender<Result<Vec<ExportRow>, app::domain::AppError>>;

/// Streams the tenant's rows into `out` in batches; stops early when the receiver is gone.
pub async fn stream(
    conn: &mut AnyConnection,
    tenant_id: &str,
    batch_size: usize,
    out: &RowBatches,
) -> Result<(), StoreError> {
    use futures::TryStreamExt;
    let mut rows = sqlx::query(
        "SELECT h.id, h.name, h.remark, h.status, h.ip, h.vpc_id, h.subnet_id, h.project_id, h.created_at, \
         b.vm_id, b.havip_slot FROM havips h LEFT JOIN havip_bindings b ON b.havip_id = h.id \
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
                status: HavipStatus::parse(&status)
                    .ok_or_else(|| StoreError::Config(format!("unknown status {status:?}")))?,
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
