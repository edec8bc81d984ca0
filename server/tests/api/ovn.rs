//! The OVN driver (docs/architecture.md, "OVN driver") against real OVSDB servers with OVN's
//! schemas: jobs program the HAVIP's virtual port in Northbound, the fabric's word in
//! Southbound becomes the HA state's second source, reconciliation repairs what changed behind
//! the server's back, and `ssl:` remotes check the CA but not the host name. On both stores.
//! The proof with northd, Open vSwitch and keepalived is end2end/tests/ovn-proof.spec.ts.

use crate::support::ovn::{OvnDatabases, Pki};
use crate::support::{Store, Tenant, TestApp};
use serde_json::{Value, json};
use server::ovn::northbound::{self, Ensured, PortError, WantedPort};
use server::ovn::remote::{Remote, TlsConnector, TlsFiles};
use server::ovn::{Ovn, OvnSettings, database::Database};
use server::worker::driver::Driver;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A server with the OVN driver on the databases, reconciling every second.
async fn app_on(store: Store, ovn: &OvnDatabases) -> TestApp {
    let settings = OvnSettings {
        northbound: ovn.socket("nb").parse().expect("nb"),
        southbound: ovn.socket("sb").parse().expect("sb"),
        tls: None,
        reconcile_every: Duration::from_secs(1),
    };
    let driver = Driver::Ovn(Arc::new(Ovn::new(settings).expect("ovn")));
    TestApp::spawn_with(store, |s| s.driver = driver).await
}

/// A server with the OVN driver, a tenant whose first subnet is a switch with a port per VM (as
/// the inventory's convention names them), and an available HAVIP bound to its first `n` VMs.
struct Scene {
    app: TestApp,
    tenant: Tenant,
    subnet: String,
    vms: Vec<String>,
    id: String,
}

async fn scene(store: Store, ovn: &OvnDatabases, name: &str, n: usize) -> Scene {
    let app = app_on(store, ovn).await;
    let tenant = app.tenant().await;
    let subnet = tenant.subnet(0, 0);
    let vms = tenant.vms_of_subnet(&subnet);
    ovn.switch_with_ports(&subnet, &vms);
    let created = tenant.create(tenant.create_body(name, &vms[..n])).await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(tenant.settled(&id).await.expect("settled")["status"], "available");
    Scene { app, tenant, subnet, vms, id }
}

async fn havip(tenant: &Tenant, id: &str) -> Value {
    tenant.get(&format!("/havips/{id}")).await.json().await.expect("json")
}

/// Waits until the HAVIP's JSON satisfies `done`; answers it.
async fn until(tenant: &Tenant, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let current = havip(tenant, id).await;
        if done(&current) {
            return current;
        }
        assert!(Instant::now() < deadline, "{what} within 10 s: {current}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until Northbound's port satisfies `done`, read with ovn-nbctl.
async fn until_port(ovn: &OvnDatabases, port: &str, column: &str, what: &str, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = ovn.port_column(port, column);
        if done(&value) {
            return;
        }
        assert!(Instant::now() < deadline, "{what} within 10 s: {column} is {value:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn event_kinds(tenant: &Tenant, id: &str) -> Vec<(String, String)> {
    let page: Value = tenant.get(&format!("/havips/{id}/events?limit=200")).await.json().await.expect("json");
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (e["kind"].as_str().unwrap_or_default().to_owned(), e["source"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn parents(options: &str) -> String {
    // ovn-nbctl prints a map as {virtual-ip="198…", virtual-parents="a,b"}.
    options
        .split("virtual-parents=")
        .nth(1)
        .unwrap_or_default()
        .split(['"', '}'])
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .to_owned()
}

macro_rules! on_both_stores {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$body(crate::support::Store::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$body(crate::support::Store::Postgres).await;
            }
        }
    };
}

on_both_stores!(jobs_program_the_virtual_port, jobs_program_the_virtual_port_on);
async fn jobs_program_the_virtual_port_on(store: Store) {
    let ovn = OvnDatabases::start(None);
    let Scene { app, tenant, subnet, vms, id } = scene(store, &ovn, "ovn", 3).await;
    let ip = havip(&tenant, &id).await["ip"].as_str().expect("ip").to_owned();
    assert_eq!(ovn.port_column(&id, "type"), "virtual");
    let options = ovn.port_column(&id, "options");
    assert!(options.contains(&format!("virtual-ip=\"{ip}\"")), "{options}");
    assert_eq!(parents(&options), vms[..3].join(","), "the parents in binding order: {options}");
    assert!(ovn.nbctl(&["lsp-list", &subnet]).contains(&id), "on the subnet's switch");

    // A rebind: the parents follow in a job.
    let detach = tenant.delete(&format!("/havips/{id}/vms/{}", vms[2])).await;
    assert_eq!(detach.status(), 200);
    until_port(&ovn, &id, "options", "the parents follow the unbind", |o| parents(o) == vms[..2].join(",")).await;
    let attach = tenant.post(&format!("/havips/{id}/vms"), &json!({"vm_id": vms[3]})).await;
    assert_eq!(attach.status(), 200);
    let wanted = format!("{},{}", vms[..2].join(","), vms[3]);
    until_port(&ovn, &id, "options", "the parents follow the bind", |o| parents(o) == wanted).await;

    // A VM whose port OVN lacks fails the HAVIP with the port's name.
    let portless = tenant.vms_of_subnet(&subnet)[5].clone();
    ovn.nbctl(&["lsp-del", &portless]);
    let failing = tenant.create(tenant.create_body("portless", std::slice::from_ref(&portless))).await;
    let failing_id = failing["id"].as_str().expect("id").to_owned();
    let failed = tenant.settled(&failing_id).await.expect("settled");
    assert_eq!(failed["status"], "failed", "{failed}");
    let reason = failed["status_reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&portless), "the reason names the port: {reason}");
    assert_eq!(ovn.port_column(&failing_id, "type"), "", "nothing was written");

    // Delete: the port goes.
    assert_eq!(tenant.delete(&format!("/havips/{id}")).await.status(), 202);
    assert!(tenant.settled(&id).await.is_none());
    assert_eq!(ovn.port_column(&id, "type"), "", "the virtual port is gone");
    assert!(!ovn.nbctl(&["lsp-list", &subnet]).contains(&id));
    app.stop().await;
}

on_both_stores!(reconciliation_restores_repairs_and_removes, reconciliation_on);
async fn reconciliation_on(store: Store) {
    let ovn = OvnDatabases::start(None);
    let Scene { app, tenant, subnet, vms, id } = scene(store, &ovn, "reconciled", 2).await;

    ovn.nbctl(&["lsp-del", &id]);
    until_port(&ovn, &id, "type", "the deleted port restored", |t| t == "virtual").await;
    ovn.nbctl(&["set", "Logical_Switch_Port", &id, &format!("options:virtual-parents={}", vms[4])]);
    until_port(&ovn, &id, "options", "the parents put right", |o| parents(o) == vms[..2].join(",")).await;
    // An option added by hand is put right too: a port as wanted has exactly its options.
    ovn.nbctl(&["set", "Logical_Switch_Port", &id, "options:added-by-hand=yes"]);
    until_port(&ovn, &id, "options", "the added option removed", |o| !o.contains("added-by-hand")).await;
    let stray = "havip-0stray0000";
    ovn.nbctl(&[
        "lsp-add",
        &subnet,
        stray,
        "--",
        "set",
        "Logical_Switch_Port",
        stray,
        "type=virtual",
        "external_ids:\"havip-console:managed\"=\"true\"",
    ]);
    let foreign = "lsp-of-someone-else";
    ovn.nbctl(&["lsp-add", &subnet, foreign, "--", "set", "Logical_Switch_Port", foreign, "type=virtual"]);
    until_port(&ovn, stray, "type", "the stray port removed", str::is_empty).await;
    assert_eq!(ovn.port_column(foreign, "type"), "virtual", "a port not the console's is left alone");

    // Each repair is in the history as what it did: one restore, two updates (the parents, the
    // option added by hand), nothing for the passes that found the port as wanted.
    let page: Value = tenant.get(&format!("/havips/{id}/events?limit=200")).await.json().await.expect("json");
    let mut repairs: Vec<&str> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "havip.reconcile")
        .map(|e| e["detail"]["outcome"].as_str().unwrap_or_default())
        .collect();
    repairs.sort_unstable();
    assert_eq!(repairs, ["restored", "updated", "updated"], "the repairs in the history: {page}");
    app.stop().await;
}

on_both_stores!(the_fabric_is_a_second_source_of_the_ha_state, fabric_on);
async fn fabric_on(store: Store) {
    let ovn = OvnDatabases::start(None);
    let Scene { app, tenant, vms, id, .. } = scene(store, &ovn, "fabric", 2).await;
    let tenant_id = app.backend.ensure_tenant(&tenant.name).await.expect("tenant id");

    // What northd would write, then the fabric's word: OVN follows the first VM.
    let binding = ovn.bind_virtual_port(&id, &tenant_id);
    until(&tenant, &id, "the fabric watched", |h| h["ha"]["fabric"].is_object()).await;
    ovn.set_virtual_parent(&binding, Some(&vms[0]));
    let seen = until(&tenant, &id, "the fabric's master", |h| h["ha"]["fabric"]["master_vm_id"] == vms[0]).await;
    assert_eq!(seen["master_vm_id"], vms[0], "with no agent the fabric's master is the master");
    assert_eq!(seen["ha"]["fabric"]["parent_port"], vms[0]);
    assert_eq!(seen["ha"]["health"], "unknown");

    // The second VM's agent says it holds the VIP: the fabric disagrees (after the grace).
    let (_, token) = app.backend.create_agent_token_at_host(&vms[1], None).await.expect("agent token");
    let agent = tenant.with_token(token);
    let report = json!({"seq": 1, "observed_at": "2026-12-04T10:00:00Z", "interval_ms": 60000,
        "keepalived_running": true, "havips": [{"havip_id": id, "holds_vip": true, "vrrp_state": "MASTER"}]});
    assert_eq!(agent.post("/agent/reports", &report).await.status(), 200);
    let disagreeing = until(&tenant, &id, "fabric_disagrees", |h| h["ha"]["health"] == "fabric_disagrees").await;
    assert_eq!(
        (&disagreeing["master_vm_id"], &disagreeing["ha"]["fabric"]["master_vm_id"]),
        (&json!(vms[1]), &json!(vms[0]))
    );
    let alarms = tenant.list("health=fabric_disagrees").await;
    assert_eq!(alarms["total"], 1, "the health filter finds it");

    // OVN follows the agents' master: they agree again.
    ovn.set_virtual_parent(&binding, Some(&vms[1]));
    until(&tenant, &id, "agreement", |h| h["ha"]["health"] == "degraded").await;
    let kinds = event_kinds(&tenant, &id).await;
    for (kind, source) in [
        ("fabric_master_changed", "fabric"),
        ("fabric_disagrees_started", "server"),
        ("fabric_disagrees_ended", "fabric"),
        ("master_changed", "agent"),
    ] {
        assert!(kinds.iter().any(|(k, s)| k == kind && s == source), "{kind} by {source} in {kinds:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn ports_are_made_as_wanted_once_and_name_what_is_missing() {
    let ovn = OvnDatabases::start(None);
    ovn.switch_with_ports("ls-a", &["p1".into(), "p2".into(), "p3".into()]);
    let db = Database::new(northbound::DATABASE, ovn.socket("nb").parse().expect("nb"), None);
    let mut wanted = WantedPort {
        name: "havip-aaaaaaaa".into(),
        tenant_id: "tenant-a".into(),
        switch: "ls-a".into(),
        ip: "198.18.2.50".into(),
        parents: vec!["p1".into(), "p2".into()],
    };
    assert_eq!(northbound::ensure(&db, &wanted).await.expect("create"), Ensured::Created);
    assert_eq!(northbound::ensure(&db, &wanted).await.expect("again"), Ensured::AsWanted, "a retried job succeeds");
    wanted.parents = vec!["p3".into()];
    assert_eq!(northbound::ensure(&db, &wanted).await.expect("rebind"), Ensured::Updated);
    assert_eq!(parents(&ovn.port_column("havip-aaaaaaaa", "options")), "p3");

    let mut missing_parent = wanted.clone();
    missing_parent.parents = vec!["p1".into(), "p9".into()];
    match northbound::ensure(&db, &missing_parent).await {
        Err(PortError::Missing(reason)) => assert!(reason.contains("p9"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let mut missing_switch = wanted.clone();
    missing_switch.name = "havip-bbbbbbbb".into();
    missing_switch.switch = "ls-nowhere".into();
    match northbound::ensure(&db, &missing_switch).await {
        Err(PortError::Missing(reason)) => assert!(reason.contains("ls-nowhere"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let managed = northbound::managed_ports(&db).await.expect("managed");
    assert_eq!(managed.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec!["havip-aaaaaaaa"]);
    assert_eq!(managed[0].tenant_id.as_deref(), Some("tenant-a"));

    ovn.nbctl(&["lsp-add", "ls-a", "havip-cccccccc"]);
    assert!(matches!(northbound::remove(&db, "havip-cccccccc").await, Err(PortError::Missing(_))), "not ours");
    assert!(northbound::remove(&db, "havip-aaaaaaaa").await.expect("remove"));
    assert!(!northbound::remove(&db, "havip-aaaaaaaa").await.expect("again"), "a retried delete succeeds");
    assert_eq!(ovn.nbctl(&["lsp-list", "ls-a"]).lines().count(), 4, "p1–p3 and the foreign port stay");
}

#[tokio::test]
async fn an_ssl_remote_checks_the_chain_and_not_the_name() {
    let keys = tempfile::tempdir().expect("dir");
    let (pki, other_ca) = Pki::make(keys.path());
    let ovn = OvnDatabases::start(Some(&pki));
    ovn.switch_with_ports("ls-tls", &["p1".into()]);
    let remote: Remote = format!("ssl:127.0.0.1:{}", ovn.tls_port.expect("port")).parse().expect("remote");
    let files = |ca: &std::path::Path| TlsFiles {
        private_key: pki.client_key.clone(),
        certificate: pki.client_cert.clone(),
        ca_cert: ca.to_path_buf(),
    };
    let trusted = TlsConnector::from_files(&files(&pki.ca_cert)).expect("tls");
    let db = Database::new(northbound::DATABASE, remote.clone(), Some(trusted));
    let wanted = WantedPort {
        name: "havip-tlstls00".into(),
        tenant_id: "tenant-a".into(),
        switch: "ls-tls".into(),
        ip: "198.18.3.50".into(),
        parents: vec!["p1".into()],
    };
    assert_eq!(northbound::ensure(&db, &wanted).await.expect("over TLS"), Ensured::Created);
    assert_eq!(ovn.port_column("havip-tlstls00", "type"), "virtual");

    let stranger = TlsConnector::from_files(&files(&other_ca)).expect("tls");
    let untrusting = Database::new(northbound::DATABASE, remote, Some(stranger));
    let refused = northbound::managed_ports(&untrusting).await.expect_err("a server the CA did not sign");
    assert!(matches!(refused, PortError::Unavailable(_)), "{refused}");
}
