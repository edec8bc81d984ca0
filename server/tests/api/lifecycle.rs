//! The asynchronous part: the worker settles creates, the command driver's failures become
//! the HAVIP's reason, and a killed process finishes its work after a restart.

use crate::both_stores;
use crate::support::process::ServerProcess;
use crate::support::{Store, TestApp, TestDatabase};
use serde_json::{Value, json};
use server::worker::driver::Driver;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// An operator driver program: the shell script, executable, in a temporary directory.
fn driver_script(dir: &tempfile::TempDir, body: &str) -> PathBuf {
    let path = dir.path().join("driver.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write driver");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod driver");
    path
}

both_stores!(creates_settle_available_through_the_worker, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let created = tenant.create(tenant.create_body("settles", &[])).await;
    assert_eq!(created["status"], "creating");
    let settled = tenant.settled(created["id"].as_str().expect("id")).await.expect("exists");
    assert_eq!(settled["status"], "available");
    assert!(settled["version"].as_i64() > created["version"].as_i64(), "the worker's change is a new version");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_command_driver_fails_the_havip_with_its_message() {
    for store in [Store::Sqlite, Store::Postgres] {
        let dir = tempfile::tempdir().expect("dir");
        // Creating fails with a message on standard error; deleting succeeds.
        let script = driver_script(
            &dir,
            r#"input=$(cat)
case "$input" in *'"operation":"create"'*) echo "switch sw-7 refused the VIP" >&2; exit 3;; esac
exit 0"#,
        );
        let app = TestApp::spawn_with(store, |settings| settings.driver = Driver::Command(script.clone())).await;
        let tenant = app.tenant().await;
        let created = tenant.create(tenant.create_body("doomed", &[])).await;
        let id = created["id"].as_str().expect("id");
        let failed = tenant.settled(id).await.expect("exists");
        assert_eq!(
            (failed["status"].as_str(), failed["status_reason"].as_str()),
            (Some("failed"), Some("switch sw-7 refused the VIP")),
            "{store:?}"
        );
        let listed = tenant.list("status=failed").await;
        assert_eq!(listed["items"][0]["status_reason"], "switch sw-7 refused the VIP", "shown in the list");
        // The Excel file says why as well, in the status cell, as the list does.
        for (query, status) in
            [("?lang=en", "Failed: switch sw-7 refused the VIP"), ("", "失败：switch sw-7 refused the VIP")]
        {
            let file = tenant.get(&format!("/havips/export.xlsx{query}")).await.bytes().await.expect("bytes");
            assert_eq!(crate::export::read_rows(&file)[1][3], status, "{store:?}");
        }
        // A failed HAVIP can be deleted.
        assert_eq!(tenant.delete(&format!("/havips/{id}")).await.status(), 202);
        assert!(tenant.settled(id).await.is_none(), "{store:?}: deleted");
    }
}

/// systemd stops a service by signalling all its processes: a driver stopped so has not failed,
/// and the operation runs again once its lease is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_driver_stopped_by_sigterm_is_tried_again_rather_than_failing_the_havip() {
    let dir = tempfile::tempdir().expect("dir");
    let marker = dir.path().join("stopped-once");
    let script = driver_script(
        &dir,
        &format!(
            "cat >/dev/null
if [ ! -e '{0}' ]; then touch '{0}'; kill -TERM $$; fi
exit 0",
            marker.display()
        ),
    );
    let app = TestApp::spawn_with(Store::Sqlite, |settings| {
        settings.driver = Driver::Command(script.clone());
        settings.job_lease = std::time::Duration::from_secs(1);
    })
    .await;
    let tenant = app.tenant().await;
    let created = tenant.create(tenant.create_body("interrupted", &[])).await;
    let settled = tenant.settled(created["id"].as_str().expect("id")).await.expect("exists");
    assert!(marker.exists(), "the first run was stopped");
    assert_eq!((settled["status"].as_str(), &settled["status_reason"]), (Some("available"), &Value::Null), "{settled}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_driver_that_cannot_start_fails_the_havip_and_says_so() {
    let app =
        TestApp::spawn_with(Store::Sqlite, |settings| settings.driver = Driver::Command("/nonexistent/driver".into()))
            .await;
    let tenant = app.tenant().await;
    let created = tenant.create(tenant.create_body("no-driver", &[])).await;
    let failed = tenant.settled(created["id"].as_str().expect("id")).await.expect("exists");
    assert_eq!(failed["status"], "failed");
    assert!(failed["status_reason"].as_str().is_some_and(|r| r.contains("could not start")), "{failed}");
}

/// Creates in flight when the process is killed: every one answered 202 is there after a
/// restart and settles.
async fn answered_creates_survive_a_kill(store: Store) {
    let app = TestApp::spawn(store).await;
    let tenant = app.tenant().await;
    let db: TestDatabase = app.stop().await;
    let dir = tempfile::tempdir().expect("dir");
    // A slow data plane, so that jobs are under way at the kill.
    let slow = driver_script(&dir, "cat >/dev/null; sleep 0.3; exit 0");
    let slow = slow.to_str().expect("path");
    let server =
        ServerProcess::start(&db.url, &["--job-lease-secs", "1", "--driver", "command", "--driver-command", slow]);
    let remote = tenant.at(&server.base);
    let (answered_tx, mut answered_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let remote = remote.clone();
        let answered = answered_tx.clone();
        let body = json!({"name": format!("kill-{i}"), "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)});
        tasks.push(tokio::spawn(async move {
            if let Ok(response) = remote.request(reqwest::Method::POST, "/havips").json(&body).send().await
                && response.status() == 202
                && let Ok(havip) = response.json::<Value>().await
            {
                let _ = answered.send(havip["id"].as_str().unwrap_or_default().to_owned());
            }
        }));
    }
    drop(answered_tx);
    let mut answered = Vec::new();
    while answered.len() < 15 {
        answered.push(answered_rx.recv().await.expect("some creates are answered"));
    }
    server.kill();
    for task in tasks {
        let _ = task.await;
    }
    while let Ok(id) = answered_rx.try_recv() {
        answered.push(id);
    }
    let restarted = ServerProcess::start(&db.url, &["--job-lease-secs", "1"]);
    let remote = tenant.at(&restarted.base);
    for id in &answered {
        let havip = remote.settled(id).await.unwrap_or_else(|| panic!("{store:?}: {id} was answered 202 but is gone"));
        assert_eq!(havip["status"], "available", "{store:?}");
    }
    assert!(answered.len() >= 15);
    drop(db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn answered_creates_survive_a_kill_on_sqlite() {
    answered_creates_survive_a_kill(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn answered_creates_survive_a_kill_on_postgres() {
    answered_creates_survive_a_kill(Store::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite:{}", dir.path().join("havip.db").display());
    let server = ServerProcess::start(&url, &[]);
    let health = reqwest::get(format!("{}/healthz", server.base)).await.expect("healthz");
    assert_eq!(health.text().await.expect("text"), "ok");
    assert!(server.terminate().success(), "exits cleanly on SIGTERM");
    // A signal the moment the server has said where it listens is a graceful stop too: the
    // handlers are in place before that line is printed.
    let just_started = ServerProcess::start(&url, &[]);
    assert!(just_started.terminate().success(), "exits cleanly on SIGTERM right after start");
}

/// The first SIGTERM waits for the job under way (its driver may take half the lease); a
/// second one, from an operator who will not wait, stops the server at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_sigterm_stops_the_server_at_once() {
    let app = TestApp::spawn(Store::Sqlite).await;
    let tenant = app.tenant().await;
    let db = app.stop().await;
    let dir = tempfile::tempdir().expect("dir");
    let running = dir.path().join("running");
    let stuck = driver_script(&dir, &format!("cat >/dev/null; touch '{}'; sleep 30; exit 0", running.display()));
    let mut server =
        ServerProcess::start(&db.url, &["--driver", "command", "--driver-command", stuck.to_str().expect("path")]);
    let remote = tenant.at(&server.base);
    remote.create(remote.create_body("stuck", &[])).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !running.exists() {
        assert!(std::time::Instant::now() < deadline, "the driver never ran");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.send_sigterm();
    // The first signal has been taken once the server stops accepting connections.
    while reqwest::get(format!("{}/healthz", server.base)).await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "the server kept listening after SIGTERM");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.send_sigterm();
    let status = server.exit_status_within(std::time::Duration::from_secs(10)).expect("stopped at once");
    assert!(!status.success(), "a forced stop is not a clean one: {status}");
}

/// Postgres stops: requests answer 503 quickly, /readyz fails, /healthz does not; when the
/// database is back, the server is too, by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreachable_database_answers_503_and_recovers() {
    let cluster = testkit::postgres::Cluster::start();
    let url = testkit::postgres::create_database(&cluster.admin_url()).await;
    let app = TestApp::spawn_on(TestDatabase::at(url), |_| {}).await;
    let tenant = app.tenant().await;
    assert_eq!(tenant.get("/havips").await.status(), 200);
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.stop_server();
        cluster
    })
    .await
    .expect("stop");
    let started = std::time::Instant::now();
    // A list read a moment ago may be served from memory until the server notices the lost
    // connection (at worst the identity cache's freshness, a second by default); then 503.
    loop {
        let status = tenant.get("/havips").await.status();
        if status == 503 {
            break;
        }
        assert_eq!(status, 200, "served from memory until then");
        assert!(started.elapsed() < std::time::Duration::from_secs(6), "still answering after {:?}", started.elapsed());
    }
    crate::support::assert_error(tenant.get("/havips").await, 503, "ServiceUnavailable").await;
    crate::support::assert_error(
        tenant.post("/havips", &tenant.create_body("down", &[])).await,
        503,
        "ServiceUnavailable",
    )
    .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(6), "answered in {:?}", started.elapsed());
    assert_eq!(app.http.get(app.url("/readyz")).send().await.expect("readyz").status(), 503);
    assert_eq!(app.http.get(app.url("/healthz")).send().await.expect("healthz").status(), 200);
    let probe_with_credentials = app.http.get(app.url("/healthz")).bearer_auth(&tenant.token).send().await;
    assert_eq!(probe_with_credentials.expect("healthz").status(), 200, "the process is up, whoever asks");
    let metrics = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    let server_errors: u64 = metrics
        .lines()
        .filter(|line| line.starts_with("havip_http_request_duration_seconds_count{") && line.contains("class=\"5xx\""))
        .filter_map(|line| line.rsplit(' ').next().and_then(|n| n.parse::<u64>().ok()))
        .sum();
    assert!(server_errors >= 3, "the outage's 503s are counted: {metrics}");
    assert!(
        metrics.contains("havip_http_request_duration_seconds_count{route=\"/api/v1/havips\",class=\"5xx\"}"),
        "by route: {metrics}"
    );
    assert!(metrics.contains("havip_database_up 0"), "{metrics}");
    tokio::task::spawn_blocking(move || cluster.start_server()).await.expect("start");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.http.get(app.url("/readyz")).send().await.expect("readyz").status() != 200 {
        assert!(std::time::Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(tenant.get("/havips").await.status(), 200, "back by itself");
    let created = tenant.create(tenant.create_body("after the outage", &[])).await;
    assert_eq!(tenant.settled(created["id"].as_str().expect("id")).await.expect("exists")["status"], "available");
}
