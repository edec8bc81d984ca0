//! The background worker: claims jobs, calls the network driver, and settles each HAVIP:
//! `creating` → `available` or `failed`; `deleting` → gone (or `failed` when the driver fails);
//! a rebind of an `available` HAVIP leaves it so (or `failed` when the network refuses the VMs).

pub mod driver;

use crate::db::{Db, new_id, now_micros};
use crate::metrics::Metrics;
use crate::store::jobs::{self, Job, JobKind};
use crate::store::{StoreError, TenantTx, havips, oplog, ovn};
use app::domain::ids::IdKind;
use app::domain::status::HavipStatus;
use driver::{Driver, DriverError};
use futures::stream::{self, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How often the worker looks for jobs when nobody rings (jobs from other processes, leases
/// that ran out).
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Jobs claimed at once, and run at once.
const BATCH: i64 = 16;

pub struct Worker {
    db: Db,
    driver: Driver,
    lease: Duration,
    bell: Arc<Notify>,
    metrics: Arc<Metrics>,
    owner: String,
}

impl Worker {
    pub fn new(db: Db, driver: Driver, lease: Duration, bell: Arc<Notify>, metrics: Arc<Metrics>) -> Worker {
        Worker { db, driver, lease, bell, metrics, owner: new_id(IdKind::Job).replace("job-", "worker-") }
    }

    /// Runs until `shutdown` says so; a job under way is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, "worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.run_ready_jobs().await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(error) => tracing::warn!(%error, "worker could not claim jobs"),
            }
            tokio::select! {
                _ = self.bell.notified() => {}
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("worker stopped");
    }

    /// Claims and runs one batch; answers how many jobs it ran.
    pub async fn run_ready_jobs(&self) -> Result<usize, StoreError> {
        let claimed = jobs::claim(&self.db, &self.owner, self.lease, BATCH).await?;
        let count = claimed.len();
        stream::iter(claimed).for_each_concurrent(BATCH as usize, |job| self.run_job(job)).await;
        Ok(count)
    }

    async fn run_job(&self, job: Job) {
        let outcome = match self.settle(&job).await {
            Ok(outcome) => outcome,
            Err(error) => {
                // The job stays pending; when the lease runs out it is tried again.
                tracing::warn!(job = %job.id, %error, "job interrupted");
                "interrupted"
            }
        };
        let finished = !matches!(outcome, "interrupted" | "lease lost");
        let latency =
            finished.then(|| Duration::from_micros(u64::try_from(now_micros() - job.created_at).unwrap_or(0)));
        self.metrics.job_finished(job.kind.as_str(), outcome, latency);
    }

    async fn settle(&self, job: &Job) -> Result<&'static str, StoreError> {
        let (havip, network) = {
            let mut conn = self.db.reader().await?;
            let havip = havips::get(&mut conn, &job.tenant_id, &job.havip_id).await?;
            // Read when the job runs, not when it was asked for: a job tried again, or a rebind
            // after another, programs the VMs bound now.
            let network = match self.driver.needs_network() {
                true => ovn::target(&mut conn, &job.tenant_id, &job.havip_id).await?,
                false => None,
            };
            (havip, network)
        };
        let expected = match job.kind {
            JobKind::Create => HavipStatus::Creating,
            JobKind::Delete => HavipStatus::Deleting,
            JobKind::Rebind => HavipStatus::Available,
        };
        let now_matches = havip.as_ref().is_some_and(|h| h.status == expected);
        let driver_result = match (&havip, now_matches) {
            (Some(havip), true) => match self.driver.apply(job.kind, havip, network.as_ref(), self.lease / 2).await {
                Ok(()) => Ok(()),
                Err(DriverError::Failed(reason)) => Err(reason),
                Err(DriverError::Interrupted(why)) => {
                    // The job stays pending; when the lease runs out it is tried again.
                    tracing::warn!(job = %job.id, why, "driver interrupted");
                    return Ok("interrupted");
                }
            },
            // The HAVIP moved on (or is gone): there is nothing left to do but close the job.
            _ => Ok(()),
        };
        let now = now_micros();
        let mut tx = TenantTx::begin(&self.db, &job.tenant_id).await?;
        let outcome = match (job.kind, &driver_result, now_matches) {
            (_, _, false) => "skipped",
            (JobKind::Create, Ok(()), true) => {
                havips::set_status(&mut tx, &job.havip_id, HavipStatus::Creating, HavipStatus::Available, None, now)
                    .await?;
                "available"
            }
            (JobKind::Delete, Ok(()), true) => {
                havips::delete(&mut tx, &job.havip_id).await?;
                "deleted"
            }
            (JobKind::Rebind, Ok(()), true) => "reprogrammed",
            (_, Err(reason), true) => {
                havips::set_status(&mut tx, &job.havip_id, expected, HavipStatus::Failed, Some(reason), now).await?;
                "failed"
            }
        };
        if !jobs::finish(&mut tx, &job.id, &self.owner, driver_result.as_ref().err().map(String::as_str), now).await? {
            // Our lease ran out and another worker owns the job now: leave it to that one.
            tx.rollback().await?;
            return Ok("lease lost");
        }
        let entry = oplog::Entry {
            action: job_action(job.kind),
            resource_id: Some(&job.havip_id),
            outcome,
            detail: driver_result.err(),
        };
        oplog::record_as(&mut tx, &job.tenant_id, None, None, entry, now).await?;
        tx.commit().await?;
        tracing::info!(job = %job.id, havip = %job.havip_id, kind = job.kind.as_str(), outcome, attempts = job.attempts, "job done");
        Ok(outcome)
    }
}

fn job_action(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Create => "havip.provision",
        JobKind::Delete => "havip.deprovision",
        JobKind::Rebind => "havip.reprogram",
    }
}
