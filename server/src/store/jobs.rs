//! The job queue of the background worker. A job is leased for a while; a process that dies
//! mid-job leaves its lease to run out, and another worker (or the restarted one) takes it.

use super::{StoreError, TenantTx};
use crate::db::{Db, col, new_id};
use app::domain::ids::IdKind;
use sqlx::AnyConnection;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Create,
    Delete,
    /// The HAVIP's VMs changed: the network follows them.
    Rebind,
}

impl JobKind {
    pub const ALL: [JobKind; 3] = [JobKind::Create, JobKind::Delete, JobKind::Rebind];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Create => "create",
            JobKind::Delete => "delete",
            JobKind::Rebind => "rebind",
        }
    }

    fn parse(text: &str) -> Result<JobKind, StoreError> {
        JobKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| StoreError::Config(format!("unknown job kind {text:?} in the database")))
    }
}

#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub tenant_id: String,
    pub havip_id: String,
    pub kind: JobKind,
    pub attempts: i64,
    /// When the request that made the job wrote it.
    pub created_at: i64,
}

pub async fn enqueue(tx: &mut TenantTx, havip_id: &str, kind: JobKind, now: i64) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query(
        "INSERT INTO jobs (id, tenant_id, havip_id, kind, state, attempts, lease_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, 0, $5, $5)",
    )
    .bind(new_id(IdKind::Job))
    .bind(tenant_id)
    .bind(havip_id)
    .bind(kind.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Leases up to `limit` pending jobs whose lease is free, for `lease` from now by the
/// database's clock. On Postgres `SKIP LOCKED` lets several processes claim at once without
/// taking the same job; on SQLite the write transaction makes the claim atomic.
pub async fn claim(db: &Db, owner: &str, lease: Duration, limit: i64) -> Result<Vec<Job>, StoreError> {
    let lease_micros = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX / 4);
    let mut tx = db.begin().await?;
    let clock = db.clock_micros();
    let sql = format!(
        "UPDATE jobs SET lease_owner = $1, lease_until = {clock} + $2, attempts = attempts + 1, updated_at = {clock} \
         WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND lease_until < {clock} ORDER BY created_at LIMIT $3{}) \
         RETURNING id, tenant_id, havip_id, kind, attempts, created_at",
        db.skip_locked()
    );
    let rows = sqlx::query(&sql).bind(owner).bind(lease_micros).bind(limit).fetch_all(&mut *tx).await?;
    tx.commit().await?;
    rows.iter()
        .map(|row| {
            let kind: String = col(row, 3)?;
            Ok(Job {
                id: col(row, 0)?,
                tenant_id: col(row, 1)?,
                havip_id: col(row, 2)?,
                kind: JobKind::parse(&kind)?,
                attempts: col(row, 4)?,
                created_at: col(row, 5)?,
            })
        })
        .collect()
}

/// Marks a job done, if this worker still holds its lease; false when the lease was lost
/// (the caller then rolls back what it did).
pub async fn finish(
    tx: &mut TenantTx,
    job_id: &str,
    owner: &str,
    outcome: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let (conn, tenant_id) = tx.split();
    let done = sqlx::query(
        "UPDATE jobs SET state = 'done', last_error = $1, updated_at = $2 \
         WHERE tenant_id = $3 AND id = $4 AND lease_owner = $5 AND state = 'pending'",
    )
    .bind(outcome)
    .bind(now)
    .bind(tenant_id)
    .bind(job_id)
    .bind(owner)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes the pending jobs of a HAVIP without running them (the demo settles its HAVIPs itself).
pub async fn close_for_havip(tx: &mut TenantTx, havip_id: &str, now: i64) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query(
        "UPDATE jobs SET state = 'done', updated_at = $1 WHERE tenant_id = $2 AND havip_id = $3 AND state = 'pending'",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(havip_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Holds back a HAVIP's pending jobs until `until` (the demo's slow data plane).
pub async fn delay_for_havip(tx: &mut TenantTx, havip_id: &str, until: i64) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query("UPDATE jobs SET lease_until = $1 WHERE tenant_id = $2 AND havip_id = $3 AND state = 'pending'")
        .bind(until)
        .bind(tenant_id)
        .bind(havip_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many jobs wait (for metrics and tests).
pub async fn pending_count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) FROM jobs WHERE state = 'pending'").fetch_one(conn).await?;
    col(&row, 0)
}
