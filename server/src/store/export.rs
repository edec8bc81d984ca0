//! The rows of the Excel export: one per HAVIP in creation order, its VMs already joined into
//! one text by the database, read by a single streaming query.

use crate::db::{col, Dialect, StoreError};
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
    /// `name (ip), name (ip)` in binding order.
    pub vms: String,
    pub created_at: Timestamp,
}

pub type RowBatches = tokio::sync::mpsc::Sender<Result<Vec<ExportRow>, app::domain::AppError>>;

/// Streams the tenant's rows into `out` in batches; stops early when the receiver is gone.
pub async fn stream(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
    batch_size: usize,
    out: &RowBatches,
) -> Result<(), StoreError> {
    use futures::TryStreamExt;
    let aggregate = match dialect {
        Dialect::Sqlite => "group_concat",
        Dialect::Postgres => "string_agg",
    };
    let sql = format!(
        "SELECT h.id, h.name, h.remark, h.status, h.ip, h.vpc_id, h.subnet_id, h.project_id, h.created_at, \
         COALESCE((SELECT {aggregate}(m.name || ' (' || m.private_ip || ')', ', ' ORDER BY b.havip_slot) \
                   FROM havip_bindings b JOIN vms m ON m.id = b.vm_id WHERE b.havip_id = h.id), '') \
         FROM havips h WHERE h.tenant_id = $1 ORDER BY h.created_at, h.id"
    );
    let mut rows = sqlx::query(&sql).bind(tenant_id).fetch(conn);
    let mut batch = Vec::with_capacity(batch_size);
    while let Some(row) = rows.try_next().await? {
        let status: String = col(&row, 3)?;
        let export = ExportRow {
            id: col(&row, 0)?,
            name: col(&row, 1)?,
            remark: col(&row, 2)?,
            status: HavipStatus::parse(&status).ok_or_else(|| StoreError::Config(format!("unknown status {status:?}")))?,
            ip: col(&row, 4)?,
            vpc_id: col(&row, 5)?,
            subnet_id: col(&row, 6)?,
            project_id: col(&row, 7)?,
            created_at: Timestamp::from_micros(col(&row, 8)?),
            vms: col(&row, 9)?,
        };
        batch.push(export);
        if batch.len() == batch_size && out.send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)))).await.is_err() {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = out.send(Ok(batch)).await;
    }
    Ok(())
}
