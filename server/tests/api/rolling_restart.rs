//! A rolling restart behind a real load balancer loses nothing: two `havip serve` processes on
//! one Postgres behind Debian's haproxy, a load of lists, creates and edits running through it,
//! and each process restarted in turn (SIGTERM, then started again on its port). While a process
//! drains, `/readyz` answers 503, so haproxy takes it out before its listener closes.

use crate::support::process::ServerProcess;
use crate::support::{Store, Tenant, TestApp, unique};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use testkit::haproxy::Haproxy;

/// How long a server drains: a few of haproxy's 100 ms health checks.
const DRAIN_MS: &str = "1000";
/// Creates of the whole load (the subnet is a /24).
const MAX_CREATES: usize = 120;

/// What the load saw: failures (anything but the expected answer, or no answer) and the IDs
/// of the HAVIPs whose creates were answered 202.
#[derive(Default)]
struct Seen {
    failures: std::sync::Mutex<Vec<String>>,
    created: std::sync::Mutex<Vec<String>>,
    requests: AtomicUsize,
}

impl Seen {
    fn fail(&self, what: String) {
        self.failures.lock().expect("failures").push(what);
    }
}

/// One client of the load until `stop`: a list, an edit of its own HAVIP and, while fewer than
/// [`MAX_CREATES`] were made, a create (with an idempotency key, as a client that may retry).
async fn client(tenant: Tenant, mine: String, seen: Arc<Seen>, creates: Arc<AtomicUsize>, stop: Arc<AtomicBool>) {
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let expect = |what: &str, response: Result<reqwest::Response, reqwest::Error>, status: u16| match response {
            Ok(r) if r.status().as_u16() == status => Some(r),
            Ok(r) => {
                seen.fail(format!("{what}: {}", r.status()));
                None
            }
            Err(e) => {
                seen.fail(format!("{what}: {e}"));
                None
            }
        };
        let list = tenant.request(Method::GET, "/havips?page_size=20").send().await;
        expect("list", list, 200);
        let edit = tenant
            .request(Method::PATCH, &format!("/havips/{mine}"))
            .json(&json!({"remark": format!("round {round}")}));
        expect("edit", edit.send().await, 200);
        seen.requests.fetch_add(2, Ordering::Relaxed);
        if creates.fetch_add(1, Ordering::Relaxed) < MAX_CREATES {
            let body = tenant.create_body(&unique("roll"), &[]);
            let create = tenant
                .request(Method::POST, "/havips")
                .header("Idempotency-Key", unique("key"))
                .json(&body)
                .send()
                .await;
            seen.requests.fetch_add(1, Ordering::Relaxed);
            if let Some(response) = expect("create", create, 202) {
                let created: Value = response.json().await.unwrap_or_default();
                seen.created.lock().expect("created").push(created["id"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_behind_haproxy_loses_no_request() {
    let app = TestApp::spawn(Store::Postgres).await;
    let tenant = app.tenant().await;
    let extra = ["--drain-ms", DRAIN_MS];
    let mut servers = vec![ServerProcess::start(&app.db.url, &extra), ServerProcess::start(&app.db.url, &extra)];
    let addresses: Vec<String> = servers.iter().map(|s| s.base.trim_start_matches("http://").to_owned()).collect();
    let mut haproxy = Haproxy::start(&addresses.iter().map(String::as_str).collect::<Vec<_>>());
    haproxy.wait_for_servers_up(2).await;
    let balanced = tenant.at(&haproxy.base);

    let (seen, creates, stop) =
        (Arc::new(Seen::default()), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let mut clients = Vec::new();
    for i in 0..8 {
        let mine = balanced.create(balanced.create_body(&unique(&format!("mine{i}")), &[])).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        balanced.settled(&mine).await.expect("created");
        clients.push(tokio::spawn(client(balanced.clone(), mine, seen.clone(), creates.clone(), stop.clone())));
    }

    for (i, address) in addresses.iter().enumerate() {
        let before = seen.requests.load(Ordering::Relaxed);
        let server = servers.remove(0);
        let stopped = tokio::task::spawn_blocking(move || server.terminate()).await.expect("terminate");
        assert!(stopped.success(), "server {i} stopped with {stopped}");
        haproxy.wait_for_servers_up(1).await;
        servers.push(ServerProcess::start_at(address, &app.db.url, &extra));
        haproxy.wait_for_servers_up(2).await;
        assert!(seen.requests.load(Ordering::Relaxed) > before, "the load ran while server {i} restarted");
    }
    // Some more load on both restarted servers, then stop it.
    let resumed = seen.requests.load(Ordering::Relaxed);
    while seen.requests.load(Ordering::Relaxed) < resumed + 100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("client");
    }

    let failures = seen.failures.lock().expect("failures").clone();
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {failures:?}",
        failures.len(),
        seen.requests.load(Ordering::Relaxed)
    );
    // The balancer retries a connection that fails on another server: had a process closed its
    // listener while haproxy still sent it requests, that would have hidden it.
    assert!(haproxy.rescues().iter().all(|(_, n)| *n == 0), "haproxy rescued requests: {:?}", haproxy.rescues());
    let created = seen.created.lock().expect("created").clone();
    assert!(!created.is_empty(), "the load made HAVIPs");
    for id in &created {
        let havip = balanced.settled(id).await.unwrap_or_else(|| panic!("{id} was answered 202 but does not exist"));
        assert_eq!(havip["status"], "available", "the worker finished {id}'s job: {havip}");
    }
}
