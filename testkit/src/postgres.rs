//! A throwaway Postgres cluster for tests and benchmarks: started on first use, in a temporary directory,
//! on a free port, and removed by a watchdog when the test process ends (even if it is killed).
//! `HAVIP_TEST_POSTGRES=postgres://…/postgres` uses an existing server instead.

use sqlx::Connection;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ADMIN_URL: OnceLock<String> = OnceLock::new();

/// The URL of a new, empty database on the test cluster.
pub async fn fresh_database() -> String {
    let admin = ADMIN_URL.get_or_init(start_cluster).clone();
    let name = format!("t_{}", hex_id());
    let mut conn = sqlx::postgres::PgConnection::connect(&admin).await.expect("connect to the test cluster");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create the test database");
    let base = admin.rsplit_once('/').map(|(base, _)| base.to_owned()).expect("admin URL has a database");
    format!("{base}/{name}")
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
fn pg_command(program: PathBuf, as_postgres: bool) -> Command {
    if as_postgres {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn start_cluster() -> String {
    if let Ok(url) = std::env::var("HAVIP_TEST_POSTGRES") {
        return url;
    }
    let bin = bin_dir();
    let as_postgres = is_root();
    let dir = std::env::temp_dir().join(format!("havip-pg-{}", hex_id()));
    std::fs::create_dir_all(&dir).expect("cluster directory");
    if as_postgres {
        let status = Command::new("chown").args(["postgres:postgres"]).arg(&dir).status().expect("chown");
        assert!(status.success(), "could not give {} to the postgres user", dir.display());
    }
    let status = pg_command(bin.join("initdb"), as_postgres)
        .args(["-D"])
        .arg(&dir)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
        .stdout(Stdio::null())
        .status()
        .expect("initdb");
    assert!(status.success(), "initdb failed");
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    // The watchdog shell runs Postgres and removes it when this test process is gone.
    let script = r#"
        "$BIN/postgres" -D "$DIR" -p "$PORT" -k "$DIR" -c listen_addresses=127.0.0.1 -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB >"$DIR/log" 2>&1 &
        pg=$!
        while [ -d "/proc/$WATCH" ]; do sleep 0.5; done
        kill -INT "$pg"; wait "$pg"; rm -rf "$DIR"
    "#;
    let mut shell = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    };
    shell
        .env("BIN", &bin)
        .env("DIR", &dir)
        .env("PORT", port.to_string())
        .env("WATCH", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start postgres");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "postgres did not start; see {}/log", dir.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    // Accepting TCP comes slightly before accepting logins: wait for a real connection.
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let probe = url.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            loop {
                if sqlx::postgres::PgConnection::connect(&probe).await.is_ok() {
                    break;
                }
                assert!(Instant::now() < deadline, "postgres does not accept connections");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    })
    .join()
    .expect("probe");
    url
}
