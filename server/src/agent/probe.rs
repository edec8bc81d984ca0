//! What the agent looks at on its VM, without root and without parsing any command's output:
//! the addresses of its interfaces (getifaddrs), whether keepalived runs (its pid file and the
//! process it names), and which configuration revisions its keepalived files carry.

use app::domain::keepalived::revisions_in;
use nix::sys::signal::kill;
use nix::unistd::Pid;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// The IPv4 addresses on the VM's interfaces (a VIP shows as one more address of an interface).
pub fn local_addresses() -> Vec<Ipv4Addr> {
    match nix::ifaddrs::getifaddrs() {
        Ok(interfaces) => {
            interfaces.filter_map(|interface| interface.address?.as_sockaddr_in().map(|address| address.ip())).collect()
        }
        Err(error) => {
            tracing::warn!(%error, "cannot read the interfaces' addresses");
            Vec::new()
        }
    }
}

/// Whether the keepalived process that `pid_file` names runs. All namespaces of a host share
/// one process table, so the pid file, not a scan of processes, says which keepalived is this
/// VM's; a pid file left by a killed keepalived, or naming a zombie, counts as not running.
pub fn keepalived_running(pid_file: &Path) -> bool {
    let Some(pid) = std::fs::read_to_string(pid_file).ok().and_then(|text| text.trim().parse::<i32>().ok()) else {
        return false;
    };
    let exists = match kill(Pid::from_raw(pid), None) {
        Ok(()) => true,
        // It exists but belongs to another user (keepalived runs as root, the agent need not).
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    };
    exists && is_live_keepalived(pid)
}

/// Whether /proc says the process is keepalived and not a zombie (its pid may be reused).
fn is_live_keepalived(pid: i32) -> bool {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state follows the parenthesised command name: `123 (keepalived) S …`.
    let state = stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next());
    comm.trim() == "keepalived" && !matches!(state, Some('Z' | 'X'))
}

/// The configuration revision each HAVIP's instance runs, as the files declare it.
pub fn running_revisions(files: &[PathBuf]) -> HashMap<String, i64> {
    files.iter().filter_map(|file| std::fs::read_to_string(file).ok()).flat_map(|text| revisions_in(&text)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loopback_address_is_seen() {
        assert!(local_addresses().contains(&Ipv4Addr::LOCALHOST));
    }

    #[test]
    fn a_pid_file_that_names_no_keepalived_is_not_running() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("vrrp.pid");
        assert!(!keepalived_running(&file), "no file");
        std::fs::write(&file, std::process::id().to_string()).expect("write");
        assert!(!keepalived_running(&file), "a live process that is not keepalived");
        std::fs::write(&file, "not a pid").expect("write");
        assert!(!keepalived_running(&file));
    }
}
