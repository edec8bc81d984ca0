//! The real `havip` binary as a separate process, for what only a process can show: two
//! servers on one database, and a server killed with SIGKILL.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    child: Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `havip serve` on a free port against `database_url`, and waits until it listens.
    pub fn start(database_url: &str, extra: &[&str]) -> ServerProcess {
        ServerProcess::start_at("127.0.0.1:0", database_url, extra)
    }

    /// Starts `havip serve` listening on `listen` (a port it had before a restart, say).
    pub fn start_at(listen: &str, database_url: &str, extra: &[&str]) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_havip"))
            .args(["serve", "--listen", listen, "--database-url", database_url])
            .args(["--site-root", concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site")])
            .args(extra)
            .env("RUST_LOG", "warn")
            .env("HAVIP_ADMIN_PASSWORD", "unused in tests")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start havip");
        let stdout = child.stdout.take().expect("stdout");
        let (found, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("HAVIP Console is at ") {
                    let base = rest.split("/havips").next().unwrap_or_default().to_owned();
                    let _ = found.send(base);
                }
            }
        });
        let base = receive.recv_timeout(Duration::from_secs(60)).expect("the server printed its address");
        ServerProcess { child, base }
    }

    /// Kills the process without warning (SIGKILL): no request finishes, no transaction commits.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the process to stop (SIGTERM) and waits until it has.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.send_sigterm();
        self.exit_status_within(Duration::from_secs(30)).expect("the server did not stop on SIGTERM")
    }

    pub fn send_sigterm(&self) {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
    }

    /// How the process ended, if it does within `limit`.
    pub fn exit_status_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
