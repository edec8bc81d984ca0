//! Idempotency keys of creates (R15): the first answer, kept with a hash of its request.

use super::{StoreError, TenantTx};
use crate::db::col;
use sqlx::AnyConnection;

pub struct StoredAnswer {
    pub request_hash: String,
    pub response_body: String,
}

pub async fn find(conn: &mut AnyConnection, tenant_id: &str, key: &str) -> Result<Option<StoredAnswer>, StoreError> {
    let row = sqlx::query(
        "SELECT request_hash, response_body FROM idempotency_keys WHERE tenant_id = $1 AND idempotency_key = $2",
    )
    .bind(tenant_id)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok(StoredAnswer { request_hash: col(&r, 0)?, response_body: col(&r, 1)? })).transpose()
}

pub async fn insert(
    tx: &mut TenantTx,
    key: &str,
    request_hash: &str,
    response_body: &str,
    now: i64,
) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query(
        "INSERT INTO idempotency_keys (tenant_id, idempotency_key, request_hash, response_body, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(key)
    .bind(request_hash)
    .bind(response_body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
