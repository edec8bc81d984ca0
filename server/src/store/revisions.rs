//! The tenant revision: moved forward by every write to a tenant's HAVIPs, bindings or
//! inventory, read by the list cache to know whether its pages are still current.

use super::StoreError;
use crate::db::col;
use sqlx::AnyConnection;

/// Moves the tenant's revision forward. Call it last in a write transaction: on Postgres it
/// takes the tenant row's lock until commit, and taking it last keeps lock order the same
/// for every writer.
pub async fn bump(conn: &mut AnyConnection, tenant_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE tenants SET revision = revision + 1 WHERE id = $1").bind(tenant_id).execute(conn).await?;
    Ok(())
}

pub async fn current(conn: &mut AnyConnection, tenant_id: &str) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT revision FROM tenants WHERE id = $1").bind(tenant_id).fetch_optional(conn).await?;
    row.map_or(Ok(0), |row| col(&row, 0))
}
