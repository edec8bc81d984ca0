//! Debian's haproxy in front of servers the caller started, with a configuration of its own,
//! in the foreground: for the rolling restart test and its bench row.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const HAPROXY: &str = "/usr/sbin/haproxy";

pub struct Haproxy {
    child: Child,
    /// `http://127.0.0.1:PORT`, where it takes requests.
    pub base: String,
    address: String,
    _dir: tempfile::TempDir,
}

impl Haproxy {
    /// Balances round robin over `servers` (`host:port`), checking `/readyz` every 100 ms: one
    /// failed check takes a server out, two passed put it back. A connection that fails is
    /// tried again on another server (`retry-on conn-failure`, `redispatch`). This is the
    /// configuration the README gives operators, without its TLS lines.
    pub fn start(servers: &[&str]) -> Haproxy {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let servers: String =
            servers.iter().enumerate().map(|(i, address)| format!("  server s{i} {address} check\n")).collect();
        let config = format!(
            "global\n  maxconn 1024\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  \
             timeout check 1s\n  retries 3\n  option redispatch\n  retry-on conn-failure\n\
             frontend console\n  bind 127.0.0.1:{port}\n  stats enable\n  stats uri /haproxy-stats\n  \
             default_backend servers\n\
             backend servers\n  balance roundrobin\n  option httpchk GET /readyz\n  http-check expect status 200\n  \
             default-server inter 100ms fall 1 rise 2\n{servers}"
        );
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, config).expect("write haproxy.cfg");
        let child = Command::new(HAPROXY)
            .args(["-db", "-q", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {HAPROXY} (scripts/setup.sh --tests installs it): {e}"));
        let address = format!("127.0.0.1:{port}");
        Haproxy { child, base: format!("http://{address}"), address, _dir: dir }
    }

    /// How many of the servers it sends requests to.
    pub fn servers_up(&self) -> usize {
        self.statistics()
            .lines()
            .filter(|line| line.starts_with("servers,s") && line.split(',').nth(17) == Some("UP"))
            .count()
    }

    pub async fn wait_for_servers_up(&mut self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.servers_up() != count {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("haproxy exited with {status} (run {HAPROXY} -c -f on its configuration to see why)");
            }
            assert!(Instant::now() < deadline, "haproxy did not see {count} servers up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The backend's connection errors, response errors, retries and redispatches so far: what
    /// the balancer had to rescue or could not.
    pub fn rescues(&self) -> Vec<(&'static str, u64)> {
        let statistics = self.statistics();
        let backend: Vec<&str> = statistics
            .lines()
            .find(|line| line.starts_with("servers,BACKEND,"))
            .unwrap_or_default()
            .split(',')
            .collect();
        [("econ", 13), ("eresp", 14), ("wretr", 15), ("wredis", 16)]
            .into_iter()
            .map(|(name, column)| (name, backend.get(column).and_then(|v| v.parse().ok()).unwrap_or_default()))
            .collect()
    }

    /// Its statistics page as CSV (an empty string while it does not answer yet).
    fn statistics(&self) -> String {
        let Ok(mut stream) = TcpStream::connect(&self.address) else { return String::new() };
        // A haproxy that hangs fails the caller's deadline instead of hanging it.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
        let request = format!("GET /haproxy-stats;csv HTTP/1.0\r\nHost: {}\r\n\r\n", self.address);
        let mut response = String::new();
        if stream.write_all(request.as_bytes()).is_err() || stream.read_to_string(&mut response).is_err() {
            return String::new();
        }
        response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
