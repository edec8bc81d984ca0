//! The rows of the Excel export, read in chunks of a few thousand HAVIPs. Each chunk comes back
//! as ONE row holding a JSON array that the database builds (json_group_array on SQLite,
//! json_agg on Postgres): handing a hundred thousand rows one by one through the driver costs
//! more than writing the workbook, while a few dozen large texts cost almost nothing.

use crate::db::{Dialect, StoreError, col};
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

/// One HAVIP-and-binding pair as the chunk's JSON has it.
type Pair = (String, String, String, String, String, String, String, String, i64, Option<String>, Option<i64>);

/// Streams the tenant's rows in creation order into `out`, `chunk` HAVIPs at a time; stops
/// early when the receiver is gone.
pub async fn stream(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
    chunk: i64,
    out: &RowBatches,
) -> Result<(), StoreError> {
    let (open, close) = match dialect {
        Dialect::Sqlite => ("json_group_array(json_array(", "))"),
        Dialect::Postgres => ("json_agg(json_build_array(", "))::text"),
    };
    let sql = format!(
        "SELECT {open}h.id, h.name, h.remark, h.status, h.ip, h.vpc_id, h.subnet_id, h.project_id, h.created_at, \
         b.vm_id, b.havip_slot{close} \
         FROM (SELECT id, name, remark, status, ip, vpc_id, subnet_id, project_id, created_at FROM havips \
               WHERE tenant_id = $1 AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
               ORDER BY created_at, id LIMIT $4) h \
         LEFT JOIN havip_bindings b ON b.havip_id = h.id"
    );
    let mut after: (i64, String) = (i64::MIN, String::new());
    loop {
        let row = sqlx::query(&sql)
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

/// Groups a chunk's pairs into rows in creation order, each with its VMs in slot order.
fn rows_of(mut pairs: Vec<Pair>) -> Result<Vec<ExportRow>, StoreError> {
    pairs.sort_by(|a, b| (a.8, &a.0, a.10).cmp(&(b.8, &b.0, b.10)));
    let mut rows: Vec<ExportRow> = Vec::new();
    for (id, name, remark, status, ip, vpc_id, subnet_id, project_id, created_at, vm_id, _) in pairs {
        if rows.last().is_none_or(|row| row.id != id) {
            rows.push(ExportRow {
                status: HavipStatus::parse(&status)
                    .ok_or_else(|| StoreError::Config(format!("unknown status {status:?}")))?,
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
