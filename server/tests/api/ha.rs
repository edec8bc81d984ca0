//! Live HA state (docs/rules.md, R17 and "HA state"): what agents report, the health and
//! master the server derives, the history, silence, agent tokens, VRIDs and the generated
//! keepalived configuration, on both stores.

use crate::both_stores;
use crate::support::{Store, Tenant, TestApp, assert_error};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// An available HAVIP bound to the first `n` VMs of the first subnet, and an agent token for
/// each of those VMs.
async fn bound(app: &TestApp, tenant: &Tenant, name: &str, n: usize) -> (String, Vec<String>, Vec<Tenant>) {
    let vms: Vec<String> = tenant.vms_of_subnet(&tenant.subnet(0, 0))[..n].to_vec();
    let created = tenant.create(tenant.create_body(name, &vms)).await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(tenant.settled(&id).await.expect("settled")["status"], "available");
    let mut agents = Vec::new();
    for vm in &vms {
        let (_, token) = app.backend.create_agent_token_at_host(vm, None).await.expect("agent token");
        agents.push(tenant.with_token(token));
    }
    (id, vms, agents)
}

/// A report of an agent about one HAVIP.
fn report(seq: u64, id: &str, holds: bool, state: Option<&str>) -> Value {
    json!({
        "seq": seq,
        "observed_at": "2026-12-04T10:00:00Z",
        "interval_ms": 1000,
        "keepalived_running": true,
        "havips": [{"havip_id": id, "holds_vip": holds, "vrrp_state": state}]
    })
}

async fn send(agent: &Tenant, body: &Value) -> reqwest::Response {
    agent.post("/agent/reports", body).await
}

async fn accepted(agent: &Tenant, body: &Value) -> Value {
    let response = send(agent, body).await;
    let status = response.status();
    let answer: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "report refused: {answer}");
    answer
}

async fn havip(tenant: &Tenant, id: &str) -> Value {
    tenant.get(&format!("/havips/{id}")).await.json().await.expect("json")
}

async fn events(tenant: &Tenant, id: &str) -> Vec<Value> {
    let page: Value = tenant.get(&format!("/havips/{id}/events?limit=200")).await.json().await.expect("json");
    page["items"].as_array().cloned().unwrap_or_default()
}

fn kinds(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["kind"].as_str().unwrap_or_default().to_owned()).collect()
}

/// Waits (without sleeping a fixed time) until `check` holds, or fails after 20 s.
async fn until<F: AsyncFnMut() -> bool>(what: &str, mut check: F) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both_stores!(each_health_follows_the_reports, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let (id, vms, agents) = bound(&app, &tenant, "ha-health", 3).await;
    let start = havip(&tenant, &id).await;
    assert_eq!((start["ha"]["health"].clone(), start["master_vm_id"].clone()), (json!("unknown"), Value::Null));

    accepted(&agents[0], &report(10, &id, true, Some("MASTER"))).await;
    accepted(&agents[1], &report(10, &id, false, Some("BACKUP"))).await;
    let answer = accepted(&agents[2], &report(10, &id, false, Some("BACKUP"))).await;
    assert_eq!(answer["havips"][0]["havip_id"], id.as_str(), "the answer says what to watch");
    let healthy = havip(&tenant, &id).await;
    assert_eq!((healthy["ha"]["health"].clone(), healthy["master_vm_id"].clone()), (json!("healthy"), json!(vms[0])));
    assert_eq!(healthy["ha"]["vms"][0]["vrrp_state"], "MASTER");
    assert_eq!(healthy["ha"]["vms"][1]["agent"], "reporting");

    accepted(&agents[1], &report(11, &id, true, Some("MASTER"))).await;
    let split = havip(&tenant, &id).await;
    assert_eq!(split["ha"]["health"], "split_brain");
    assert_eq!((split["master_vm_id"].clone(), split["ha"]["holders"].clone()), (Value::Null, json!([vms[0], vms[1]])));
    assert_eq!(tenant.list("health=split_brain").await["total"], 1, "the health filter");

    accepted(&agents[0], &report(12, &id, false, Some("BACKUP"))).await;
    let moved = havip(&tenant, &id).await;
    assert_eq!((moved["ha"]["health"].clone(), moved["master_vm_id"].clone()), (json!("healthy"), json!(vms[1])));
    let history = events(&tenant, &id).await;
    let failover = history.iter().find(|e| e["kind"] == "master_changed" && e["detail"]["to"] == vms[1].as_str());
    assert_eq!(failover.expect("a failover")["detail"]["from"], vms[0].as_str(), "it names both VMs");
    assert_eq!(failover.expect("a failover")["agent_at"], "2026-12-04T10:00:00.000000Z", "the agent's time");
    for kind in ["split_brain_started", "split_brain_ended", "vrrp_state", "havip.create"] {
        assert!(kinds(&history).contains(&kind.to_owned()), "{kind} in {history:?}");
    }

    let mut stopped = report(13, &id, false, Some("BACKUP"));
    stopped["keepalived_running"] = json!(false);
    accepted(&agents[2], &stopped).await;
    assert_eq!(havip(&tenant, &id).await["ha"]["health"], "degraded", "a VM without keepalived");

    // No holder at all counts only once the grace is over (a graceful failover leaves the VIP
    // unheld for a moment).
    accepted(&agents[1], &report(14, &id, false, Some("BACKUP"))).await;
    assert_eq!(havip(&tenant, &id).await["ha"]["health"], "degraded", "within the grace");
    until("no_master", async || havip(&tenant, &id).await["ha"]["health"] == "no_master").await;
    assert!(kinds(&events(&tenant, &id).await).contains(&"no_master_started".to_owned()));
    let metrics = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("havip_havips{health=\"no_master\"} 1"), "{metrics}");
    assert!(metrics.lines().any(|l| l == "havip_failovers_total 1"), "{metrics}");
});

both_stores!(a_late_or_repeated_report_never_moves_the_master_back, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let (id, vms, agents) = bound(&app, &tenant, "ha-order", 2).await;
    accepted(&agents[0], &report(100, &id, true, Some("MASTER"))).await;
    accepted(&agents[1], &report(100, &id, false, Some("BACKUP"))).await;
    accepted(&agents[0], &report(102, &id, false, Some("BACKUP"))).await;
    accepted(&agents[1], &report(101, &id, true, Some("MASTER"))).await;
    let before = havip(&tenant, &id).await;
    assert_eq!(before["master_vm_id"], vms[1].as_str());
    let history = events(&tenant, &id).await.len();

    // The report agent 0 sent before its newest one arrives late: refused, nothing moves.
    let late = send(&agents[0], &report(101, &id, true, Some("MASTER"))).await;
    assert_error(late, 409, "InvalidReport.Stale").await;
    // The newest one, sent again: taken, and nothing changes.
    accepted(&agents[0], &report(102, &id, false, Some("BACKUP"))).await;
    // The same number saying something else is refused.
    assert_error(send(&agents[0], &report(102, &id, true, None)).await, 409, "InvalidReport.Stale").await;
    let after = havip(&tenant, &id).await;
    assert_eq!((after["master_vm_id"].clone(), after["ha"]["health"].clone()), (json!(vms[1]), json!("healthy")));
    assert_eq!(events(&tenant, &id).await.len(), history, "no event");
});

both_stores!(a_report_about_a_havip_not_bound_to_the_vm_is_refused, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let (id, _, agents) = bound(&app, &tenant, "ha-bound", 1).await;
    let (other, _, _) = bound(&app, &tenant, "ha-other", 0).await;
    let mut body = report(5, &id, true, Some("MASTER"));
    body["havips"].as_array_mut().expect("havips").push(json!({"havip_id": other, "holds_vip": true}));
    let answer = assert_error(send(&agents[0], &body).await, 422, "InvalidReport.NotBound").await;
    assert_eq!(answer["error"]["field"], "havips");
    assert_eq!(havip(&tenant, &id).await["ha"]["health"], "unknown", "nothing changed");
    // Malformed or oversized reports are refused before anything is looked at.
    let mut slow = report(6, &id, true, None);
    slow["interval_ms"] = json!(10);
    assert_error(send(&agents[0], &slow).await, 400, "InvalidParameter").await;
    let many: Vec<Value> = (0..40).map(|i| json!({"havip_id": format!("havip-{i:08}"), "holds_vip": false})).collect();
    assert_error(
        send(
            &agents[0],
            &json!({"seq": 7, "observed_at": "2026-12-04T10:00:00Z", "interval_ms": 1000,
        "keepalived_running": true, "havips": many}),
        )
        .await,
        400,
        "InvalidParameter",
    )
    .await;
    assert_error(send(&agents[0], &json!({"seq": 8})).await, 400, "InvalidParameter").await;
    // A user's token is not an agent.
    assert_error(send(&tenant, &report(9, &id, true, None)).await, 403, "Forbidden").await;
    assert_eq!(havip(&tenant, &id).await["ha"]["health"], "unknown");
});

both_stores!(an_agent_token_is_refused_everywhere_but_its_own_routes, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let (id, vms, agents) = bound(&app, &tenant, "ha-token", 2).await;
    let agent = &agents[0];
    for path in [
        "/havips".to_owned(),
        format!("/havips/{id}"),
        "/vpcs".to_owned(),
        "/tokens".to_owned(),
        format!("/havips/{id}/events"),
    ] {
        assert_error(agent.get(&path).await, 403, "Forbidden").await;
    }
    assert_error(agent.post("/havips", &tenant.create_body("by-agent", &[])).await, 403, "Forbidden").await;
    assert_error(agent.delete(&format!("/havips/{id}")).await, 403, "Forbidden").await;
    let page = app.http.get(app.url("/havips")).bearer_auth(&agent.token).send().await.expect("page");
    assert_eq!(page.status(), 403, "the console page");
    let function = app
        .http
        .post(app.url("/api/fn/list_havips"))
        .bearer_auth(&agent.token)
        .json(&json!({"query": {"page": 1}}))
        .send()
        .await
        .expect("fn");
    assert_eq!(function.status(), 403, "a server function");
    let own = agent.get(&format!("/havips/{id}/keepalived.conf?vm_id={}", vms[0])).await;
    assert_eq!(own.status(), 200, "its own VM's configuration");
    let other = agent.get(&format!("/havips/{id}/keepalived.conf?vm_id={}", vms[1])).await;
    assert_error(other, 403, "Forbidden").await;
    assert_eq!(agent.get("/agent/assignments").await.status(), 200);
    assert_eq!(tenant.get(&format!("/havips/{id}")).await.status(), 200, "the user's token still works");
});

both_stores!(a_silent_agent_is_lost_and_comes_back, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let (id, _, agents) = bound(&app, &tenant, "ha-silence", 2).await;
    accepted(&agents[0], &report(1, &id, true, Some("MASTER"))).await;
    accepted(&agents[1], &report(1, &id, false, Some("BACKUP"))).await;
    assert_eq!(havip(&tenant, &id).await["ha"]["health"], "healthy");
    // Agent 1 says nothing for three intervals (3 s); agent 0 goes on.
    let mut seq = 1;
    until("agent_lost", async || {
        seq += 1;
        accepted(&agents[0], &report(seq, &id, true, Some("MASTER"))).await;
        kinds(&events(&tenant, &id).await).contains(&"agent_lost".to_owned())
    })
    .await;
    let lost = havip(&tenant, &id).await;
    assert_eq!(
        (lost["ha"]["health"].clone(), lost["ha"]["vms"][1]["agent"].clone()),
        (json!("degraded"), json!("silent"))
    );
    accepted(&agents[1], &report(2, &id, false, Some("BACKUP"))).await;
    assert_eq!(havip(&tenant, &id).await["ha"]["health"], "healthy");
    assert!(kinds(&events(&tenant, &id).await).contains(&"agent_back".to_owned()));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_servers_notice_a_silence_once() {
    let first = TestApp::spawn(Store::Postgres).await;
    let second = TestApp::spawn_on(crate::support::TestDatabase::at(first.db.url.clone()), |_| {}).await;
    let tenant = first.tenant().await;
    let (id, _, agents) = bound(&first, &tenant, "ha-twice", 1).await;
    accepted(&agents[0].at(&second.url("")), &report(1, &id, true, Some("MASTER"))).await;
    until("agent_lost", async || kinds(&events(&tenant, &id).await).contains(&"agent_lost".to_owned())).await;
    // Both servers sweep every second: give each a few sweeps to record it again (it must not).
    let settle = Instant::now();
    until("a few more sweeps", async || settle.elapsed() > Duration::from_secs(3)).await;
    let lost = kinds(&events(&tenant, &id).await).iter().filter(|k| *k == "agent_lost").count();
    assert_eq!(lost, 1, "recorded once");
}

both_stores!(vrids_are_distinct_where_keepalived_needs_them, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let a = tenant.create(tenant.create_body("vrid-a", &vms[..1])).await;
    let b = tenant.create(tenant.create_body("vrid-b", &vms[..1])).await;
    assert_eq!((a["vrid"].clone(), b["vrid"].clone()), (json!(1), json!(2)), "lowest free, distinct in the subnet");
    let mut given = tenant.create_body("vrid-given", &vms[1..2]);
    given["vrid"] = json!(42);
    assert_eq!(tenant.create(given.clone()).await["vrid"], 42, "a tenant keeps the VRID it runs");
    given["name"] = json!("vrid-taken");
    assert_error(tenant.post("/havips", &given).await, 422, "InvalidVrid.AlreadyUsed").await;
    given["vrid"] = json!(256);
    assert_error(tenant.post("/havips", &given).await, 422, "InvalidVrid.OutOfRange").await;

    // A HAVIP in the other subnet with VRID 1 binds a VM that carries `a` (VRID 1): it gets
    // another VRID, and the history says so.
    let other_subnet = tenant.vms_of_subnet(&tenant.subnet(0, 1));
    let c = tenant
        .create(json!({"name": "vrid-c", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 1),
        "vm_ids": [other_subnet[0]]}))
        .await;
    let c_id = c["id"].as_str().expect("id");
    assert_eq!(c["vrid"], 1, "another subnet's VRIDs are its own");
    tenant.settled(c_id).await.expect("settled");
    let attached: Value =
        tenant.post(&format!("/havips/{c_id}/vms"), &json!({"vm_id": vms[0]})).await.json().await.expect("json");
    assert_ne!(attached["vrid"], 1, "{attached}");
    assert_ne!(attached["vrid"], 2, "not b's either");
    assert!(attached["config_revision"].as_i64() > c["config_revision"].as_i64());
    let changed = events(&tenant, c_id).await.into_iter().find(|e| e["kind"] == "vrid_changed").expect("vrid_changed");
    assert_eq!(changed["detail"]["from"], 1);
});

both_stores!(the_keepalived_configuration_is_right_by_construction, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let (id, vms, _) = bound(&app, &tenant, "ha-config", 3).await;
    let path = |query: &str| format!("/havips/{id}/keepalived.conf?{query}");
    // keepalived checks that the interface exists and refuses the loopback one: name one of
    // this host's.
    let interface = host_interface();
    let response = tenant.get(&path(&format!("vm_id={}&interface={interface}", vms[1]))).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("type").starts_with("text/plain"));
    let text = response.text().await.expect("text");
    let peers = "    unicast_peer {\n        10.1.1.100\n        10.1.1.102\n    }\n";
    assert!(text.contains(peers), "one peer per line: {text}");
    assert!(text.contains("unicast_src_ip 10.1.1.101") && text.contains("priority 150"), "{text}");
    assert!(text.contains(&format!("/24 dev {interface}")) && text.contains("virtual_router_id 1"), "{text}");
    assert!(text.contains(&format!("# havip-config {id} revision 1")), "{text}");
    keepalived_accepts(&text).await;

    for bad in ["eth0;reboot", "eth0%20x", "this-is-too-long0", "..", "eth0%0A"] {
        assert_error(
            tenant.get(&path(&format!("vm_id={}&interface={bad}", vms[0]))).await,
            422,
            "InvalidInterfaceName",
        )
        .await;
    }
    let notify = tenant.get(&path(&format!("vm_id={}&agent=/usr/bin/havip%20--evil", vms[0]))).await;
    assert_error(notify, 400, "InvalidParameter").await;
    let other = tenant.vms_of_subnet(&tenant.subnet(0, 0))[4].clone();
    assert_error(tenant.get(&path(&format!("vm_id={other}"))).await, 422, "InvalidVm.NotBound").await;
    let stranger = app.tenant().await;
    assert_error(stranger.get(&path(&format!("vm_id={}", vms[0]))).await, 404, "NotFound").await;
});

/// keepalived itself checks the file, where it is installed (the project's set-up installs it
/// as root); without it the test says so and checks only the text.
async fn keepalived_accepts(text: &str) {
    let Ok(binary) = which("keepalived") else {
        assert!(!is_root(), "keepalived is missing: scripts/setup.sh installs it (apt-get install keepalived)");
        eprintln!("keepalived is not installed: the generated file was not given to keepalived -t");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("keepalived.conf");
    std::fs::write(&file, text).expect("write");
    let out =
        tokio::process::Command::new(binary).arg("-t").arg("-f").arg(&file).output().await.expect("keepalived -t");
    assert!(
        out.status.success(),
        "keepalived -t refused it: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An interface of this host that is not the loopback one.
fn host_interface() -> String {
    use nix::net::if_::InterfaceFlags;
    nix::ifaddrs::getifaddrs()
        .expect("interfaces")
        .find(|i| !i.flags.contains(InterfaceFlags::IFF_LOOPBACK) && i.interface_name.len() <= 15)
        .map(|i| i.interface_name)
        .expect("a network interface")
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|dir| std::path::Path::new(dir).join(name))
        .find(|p| p.exists())
        .ok_or(())
}

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

both_stores!(the_history_is_paged_newest_first, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let (id, _, agents) = bound(&app, &tenant, "ha-pages", 1).await;
    for seq in 1..=4 {
        let state = if seq % 2 == 0 { "MASTER" } else { "BACKUP" };
        accepted(&agents[0], &report(seq, &id, seq % 2 == 0, Some(state))).await;
    }
    let all = events(&tenant, &id).await;
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let query = match &before {
            Some(cursor) => format!("limit=2&before={cursor}"),
            None => "limit=2".to_owned(),
        };
        let page: Value = tenant.get(&format!("/havips/{id}/events?{query}")).await.json().await.expect("json");
        seen.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_before"].as_str() {
            Some(cursor) => before = Some(cursor.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, all, "the pages are the whole history, newest first, each event once");
    assert!(all.windows(2).all(|w| w[0]["at"].as_str() >= w[1]["at"].as_str()));
    assert_error(tenant.get(&format!("/havips/{id}/events?before=nonsense")).await, 400, "InvalidParameter").await;
    assert_error(tenant.get(&format!("/havips/{id}/events?limit=0")).await, 400, "InvalidParameter").await;
});

both_stores!(reports_of_two_vms_at_once_leave_the_state_they_say, |app: TestApp| async move {
    // A failover as keepalived makes it: the old master's agent says it dropped the VIP and the
    // new one's says it took it, at the same moment, through two transactions. Whatever their
    // order, the HAVIP ends healthy with the new master (on Postgres, each reads the other's
    // committed report under the HAVIP's lock).
    let tenant = app.tenant().await;
    let (id, vms, agents) = bound(&app, &tenant, "at-once", 2).await;
    accepted(&agents[0], &report(1, &id, true, Some("MASTER"))).await;
    accepted(&agents[1], &report(1, &id, false, Some("BACKUP"))).await;
    for round in 0..20u64 {
        let (from, to) = if round % 2 == 0 { (0, 1) } else { (1, 0) };
        let seq = round + 2;
        let dropped = report(seq, &id, false, Some("BACKUP"));
        let took = report(seq, &id, true, Some("MASTER"));
        let (a, b) = tokio::join!(send(&agents[from], &dropped), send(&agents[to], &took));
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200), "round {round}");
        let state = havip(&tenant, &id).await;
        assert_eq!(
            (state["ha"]["health"].as_str(), state["master_vm_id"].as_str()),
            (Some("healthy"), Some(vms[to].as_str())),
            "round {round}: {}",
            state["ha"]
        );
    }
});
