//! Throwaway Postgres clusters for tests and benchmarks: made in a temporary directory, on a
//! free port, and removed by a watchdog shell when the process that made them ends (even when
//! it is killed). One shared cluster serves ordinary tests, each with a database of its own;
//! a test may also make a cluster of its own to stop and start.
//! `HAVIP_TEST_POSTGRES=postgres://…/postgres` uses an existing server instead of the shared one.

use sqlx::Connection;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static SHARED: OnceLock<String> = OnceLock::new();

/// The URL of a new, empty database on the shared cluster.
pub async fn fresh_database() -> String {
    let admin = SHARED
        .get_or_init(|| std::env::var("HAVIP_TEST_POSTGRES").unwrap_or_else(|_| Cluster::start().admin_url()))
        .clone();
    create_database(&admin).await
}

/// Creates a database with a random name on the server of `admin_url`; answers its URL.
pub async fn create_database(admin_url: &str) -> String {
    let name = format!("t_{}", hex_id());
    let mut conn = sqlx::postgres::PgConnection::connect(admin_url).await.expect("connect to the test cluster");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create the test database");
    let base = admin_url.rsplit_once('/').map(|(base, _)| base.to_owned()).expect("admin URL has a database");
    format!("{base}/{name}")
}

/// A cluster of our own. It lives until the process ends (the watchdog removes it then).
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// initdb, settings for speed (no fsync: the data is thrown away), start, and wait until
    /// it accepts logins.
    pub fn start() -> Cluster {
        let bin = bin_dir();
        let as_postgres = is_root();
        let dir = std::env::temp_dir().join(format!("havip-pg-{}", hex_id()));
        std::fs::create_dir_all(&dir).expect("cluster directory");
        if as_postgres {
            let status = Command::new("chown").args(["postgres:postgres"]).arg(&dir).status().expect("chown");
            assert!(status.success(), "could not give {} to the postgres user", dir.display());
        }
        let data = dir.join("data");
        let status = pg_command(&bin.join("initdb"), as_postgres)
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
            .stdout(Stdio::null())
            .status()
            .expect("initdb");
        assert!(status.success(), "initdb failed");
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let settings = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n\
             synchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\nshared_buffers = 64MB\n",
            dir.display()
        );
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("postgresql.conf");
        text.push_str(&settings);
        std::fs::write(&conf, text).expect("write postgresql.conf");
        let cluster = Cluster { bin, dir, port, as_postgres };
        cluster.watch();
        cluster.start_server();
        cluster
    }

    /// The watchdog: when this process is gone, stop the server and remove the directory.
    fn watch(&self) {
        let script = r#"
            while [ -d "/proc/$WATCH" ]; do sleep 0.5; done
            "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1
            rm -rf "$DIR"
        "#;
        let mut shell = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "sh", "-c", script]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", script]);
            c
        };
        // The watchdog outlives us by design: it is what cleans up after this process.
        #[allow(clippy::zombie_processes)]
        shell
            .env("BIN", &self.bin)
            .env("DIR", &self.dir)
            .env("WATCH", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the watchdog");
    }

    fn pg_ctl(&self, args: &[&str]) {
        let status = pg_command(&self.bin.join("pg_ctl"), self.as_postgres)
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl");
        assert!(status.success(), "pg_ctl {args:?} failed; see {}/log", self.dir.display());
    }

    /// Starts the server and waits until it accepts logins.
    pub fn start_server(&self) {
        self.pg_ctl(&["-w", "start"]);
        let url = self.admin_url();
        let deadline = Instant::now() + Duration::from_secs(30);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                while sqlx::postgres::PgConnection::connect(&url).await.is_err() {
                    assert!(Instant::now() < deadline, "postgres does not accept connections");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        })
        .join()
        .expect("probe");
    }

    /// Stops the server (fast shutdown: open connections are cut).
    pub fn stop_server(&self) {
        self.pg_ctl(&["-w", "-m", "fast", "stop"]);
    }

    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

fn hex_id() -> String {
    let bytes: [u8; 6] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("HAVIP_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.filter_map(|d| d.ok()).map(|d| d.path().join("bin")).filter(|p| p.join("initdb").exists()).collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates.pop().expect("Postgres server binaries not found under /usr/lib/postgresql (or set HAVIP_PG_BIN)")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// Runs a Postgres program, as the `postgres` user when we are root (Postgres refuses root).
fn pg_command(program: &PathBuf, as_postgres: bool) -> Command {
    if as_postgres {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}
