//! The operation log: one row for every write, who did it and how it ended.

use super::StoreError;
use crate::db::new_id;
use app::domain::caller::Caller;
use app::domain::ids::IdKind;
use sqlx::AnyConnection;

pub struct Entry<'a> {
    pub action: &'a str,
    pub resource_id: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: Option<String>,
}

pub async fn record(conn: &mut AnyConnection, caller: &Caller, entry: Entry<'_>, now: i64) -> Result<(), StoreError> {
    record_as(conn, &caller.tenant_id, Some(&caller.user_id), Some(&caller.request_id), entry, now).await
}

/// A record written by the system itself (the worker, an import) rather than by a user.
pub async fn record_as(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: Option<&str>,
    request_id: Option<&str>,
    entry: Entry<'_>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO operation_log (id, tenant_id, user_id, action, resource_id, request_id, outcome, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id(IdKind::Operation))
    .bind(tenant_id)
    .bind(user_id)
    .bind(entry.action)
    .bind(entry.resource_id)
    .bind(request_id)
    .bind(entry.outcome)
    .bind(entry.detail)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
