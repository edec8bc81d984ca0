//! Network drivers: the part that programs the data plane for a HAVIP.
//!
//! `noop` succeeds (the embedded default and the demo). `command` runs an operator's program
//! with the operation as JSON on standard input: exit status 0 is success; anything else is a
//! failure whose standard error becomes the HAVIP's `status_reason`.

use crate::store::jobs::JobKind;
use app::domain::havip::Havip;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Driver {
    Noop,
    /// An operator program that receives each operation as JSON on standard input.
    Command(PathBuf),
}

/// The longest reason kept from a failing program.
const MAX_REASON_CHARS: usize = 500;

impl Driver {
    /// Applies the operation; `Err` carries the reason to show.
    pub async fn apply(&self, kind: JobKind, havip: &Havip, timeout: Duration) -> Result<(), String> {
        match self {
            Driver::Noop => Ok(()),
            Driver::Command(program) => run_command(program, kind, havip, timeout).await,
        }
    }
}

async fn run_command(program: &PathBuf, kind: JobKind, havip: &Havip, timeout: Duration) -> Result<(), String> {
    let input = serde_json::json!({
        "operation": kind.as_str(),
        "havip": havip,
    });
    let mut child = tokio::process::Command::new(program)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("driver {} could not start: {e}", program.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A program that does not read its input is its own business; the exit status decides.
        let _ = stdin.write_all(input.to_string().as_bytes()).await;
    }
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(output) => output.map_err(|e| format!("driver failed: {e}"))?,
        Err(_) => return Err(format!("driver did not finish within {} s", timeout.as_secs())),
    };
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reason: String = stderr.trim().chars().filter(|c| !c.is_control()).take(MAX_REASON_CHARS).collect();
    Err(if reason.is_empty() { format!("driver exited with {}", output.status) } else { reason })
}
