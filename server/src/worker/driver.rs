//! Network drivers: the part that programs the data plane for a HAVIP.
//!
//! `noop` succeeds (the embedded default and the demo). `command` runs an operator's program
//! with the operation as JSON on standard input: exit status 0 is success; anything else is a
//! failure whose standard error becomes the HAVIP's `status_reason`, except a program stopped by
//! SIGTERM, SIGINT or SIGHUP: that is a host shutting down (systemd signals the whole service),
//! not the data plane refusing, and the operation is tried again. `ovn` keeps the HAVIP's
//! virtual port in OVN's Northbound database (`crate::ovn`); OVN that cannot be reached is tried
//! again too, while a switch or port missing in OVN fails the HAVIP with its name.

use crate::ovn::northbound::{self, PortError};
use crate::ovn::{Ovn, wanted_port};
use crate::store::jobs::JobKind;
use crate::store::ovn::NetworkTarget;
use app::domain::havip::Havip;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[derive(Clone, Debug)]
pub enum Driver {
    Noop,
    /// An operator program that receives each operation as JSON on standard input.
    Command(PathBuf),
    /// OVN's Northbound database, through OVSDB.
    Ovn(Arc<Ovn>),
}

/// The longest reason kept from a failing program.
const MAX_REASON_CHARS: usize = 500;

/// Why an operation did not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DriverError {
    /// The data plane refused, or the program failed: the HAVIP fails with this reason.
    Failed(String),
    /// The program was stopped from outside before it could answer: try again later.
    Interrupted(String),
}

impl Driver {
    /// Whether there is a network to program: a rebind is then a job too.
    pub fn programs_network(&self) -> bool {
        !matches!(self, Driver::Noop)
    }

    /// Whether the driver needs the HAVIP's place in the network (`NetworkTarget`).
    pub fn needs_network(&self) -> bool {
        matches!(self, Driver::Ovn(_))
    }

    /// Applies the operation; `network` is the HAVIP as the network should have it, for the
    /// drivers that need it.
    pub async fn apply(
        &self,
        kind: JobKind,
        havip: &Havip,
        network: Option<&NetworkTarget>,
        timeout: Duration,
    ) -> Result<(), DriverError> {
        match self {
            Driver::Noop => Ok(()),
            Driver::Command(program) => run_command(program, kind, havip, timeout).await,
            Driver::Ovn(ovn) => {
                let work = apply_ovn(ovn, kind, havip, network);
                tokio::time::timeout(timeout, work).await.unwrap_or_else(|_| {
                    Err(DriverError::Interrupted(format!("OVN did not answer within {} s", timeout.as_secs())))
                })
            }
        }
    }
}

async fn apply_ovn(
    ovn: &Ovn,
    kind: JobKind,
    havip: &Havip,
    network: Option<&NetworkTarget>,
) -> Result<(), DriverError> {
    let outcome = match (kind, network) {
        (JobKind::Delete, _) => northbound::remove(&ovn.northbound, &havip.id).await.map(drop),
        (JobKind::Create | JobKind::Rebind, Some(target)) => {
            northbound::ensure(&ovn.northbound, &wanted_port(target)).await.map(drop)
        }
        (JobKind::Create | JobKind::Rebind, None) => return Ok(()),
    };
    outcome.map_err(|error| match error {
        PortError::Unavailable(why) => DriverError::Interrupted(format!("OVN Northbound: {why}")),
        PortError::Missing(reason) | PortError::Refused(reason) => DriverError::Failed(reason),
    })
}

async fn run_command(program: &PathBuf, kind: JobKind, havip: &Havip, timeout: Duration) -> Result<(), DriverError> {
    use DriverError::{Failed, Interrupted};
    use std::os::unix::process::ExitStatusExt;
    let input = serde_json::json!({
        "operation": kind.as_str(),
        "havip": havip,
    });
    let mut child = tokio::process::Command::new(program)
        // Its own process group: a Ctrl-C meant for the server does not reach the program
        // mid-operation (the server finishes its jobs before it stops).
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failed(format!("driver {} could not start: {e}", program.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A program that does not read its input is its own business; the exit status decides.
        let _ = stdin.write_all(input.to_string().as_bytes()).await;
    }
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(output) => output.map_err(|e| Failed(format!("driver failed: {e}")))?,
        Err(_) => return Err(Failed(format!("driver did not finish within {} s", timeout.as_secs()))),
    };
    if output.status.success() {
        return Ok(());
    }
    const SIGHUP: i32 = 1;
    const SIGINT: i32 = 2;
    const SIGTERM: i32 = 15;
    if let Some(signal @ (SIGHUP | SIGINT | SIGTERM)) = output.status.signal() {
        return Err(Interrupted(format!("driver stopped by signal {signal}")));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reason: String = stderr.trim().chars().filter(|c| !c.is_control()).take(MAX_REASON_CHARS).collect();
    Err(Failed(if reason.is_empty() { format!("driver exited with {}", output.status) } else { reason }))
}
