//! The limits and the unique address under concurrent requests (quality.md "Reliability"),
//! on both stores, and on Postgres with two server processes.

use crate::both_stores;
use crate::support::process::ServerProcess;
use crate::support::{Store, Tenant, TestApp};
use futures::future::join_all;
use serde_json::{Value, json};

/// Answers (status, error code) of each request.
async fn outcomes(requests: Vec<impl std::future::Future<Output = reqwest::Response>>) -> Vec<(u16, String)> {
    join_all(requests.into_iter().map(|request| async move {
        let response = request.await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        (status, body["error"]["code"].as_str().unwrap_or_default().to_owned())
    }))
    .await
}

fn tally(outcomes: &[(u16, String)]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for (status, code) in outcomes {
        *counts.entry(format!("{status} {code}")).or_default() += 1;
    }
    counts
}

/// 50 creates binding one VM, spread over the given servers: exactly 5 succeed.
async fn fifty_creates_on_one_vm(servers: &[Tenant]) {
    let tenant = &servers[0];
    let vm = tenant.vms_of_subnet(&tenant.subnet(0, 0))[0].clone();
    let requests: Vec<_> = (0..50)
        .map(|i| {
            let server = servers[i % servers.len()].clone();
            let body = json!({"name": format!("race-{i}"), "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0), "vm_ids": [vm]});
            async move { server.post("/havips", &body).await }
        })
        .collect();
    let results = outcomes(requests).await;
    let counts = tally(&results);
    assert_eq!(counts.get("202 ").copied(), Some(5), "{counts:?}");
    assert_eq!(counts.get("422 CountLimitExceeded.HavipsPerVm").copied(), Some(45), "{counts:?}");
    assert_eq!(tenant.list(&format!("vm_id={vm}")).await["total"], 5, "exactly 5 bindings");
}

/// 20 creates asking for one address: exactly one succeeds.
async fn twenty_creates_on_one_ip(servers: &[Tenant]) {
    let tenant = &servers[0];
    let requests: Vec<_> = (0..20)
        .map(|i| {
            let server = servers[i % servers.len()].clone();
            let body = json!({"name": format!("ip-race-{i}"), "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0), "ip": "10.1.1.222"});
            async move { server.post("/havips", &body).await }
        })
        .collect();
    let counts = tally(&outcomes(requests).await);
    assert_eq!(counts.get("202 ").copied(), Some(1), "{counts:?}");
    assert_eq!(counts.get("422 InvalidIpAddress.AlreadyUsed").copied(), Some(19), "{counts:?}");
    assert_eq!(tenant.list("q=10.1.1.222").await["total"], 1);
}

/// 50 creates without an address at once: 50 different addresses, the lowest ones.
async fn fifty_creates_get_distinct_addresses(servers: &[Tenant]) {
    let tenant = &servers[0];
    let requests: Vec<_> = (0..50)
        .map(|i| {
            let server = servers[i % servers.len()].clone();
            let body = json!({"name": format!("auto-{i}"), "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)});
            async move { server.post("/havips", &body).await }
        })
        .collect();
    let counts = tally(&outcomes(requests).await);
    assert_eq!(counts.get("202 ").copied(), Some(50), "{counts:?}");
    let page = tenant.list("q=auto-&page_size=100").await;
    let mut ips: Vec<String> =
        page["items"].as_array().expect("items").iter().map(|h| h["ip"].as_str().expect("ip").to_owned()).collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), 50, "no address twice");
}

both_stores!(one_vm_bound_by_50_parallel_creates_ends_with_5, |app: TestApp| async move {
    let tenant = app.tenant().await;
    fifty_creates_on_one_vm(&[tenant]).await;
});

both_stores!(twenty_parallel_creates_with_one_ip_give_one_success, |app: TestApp| async move {
    let tenant = app.tenant().await;
    twenty_creates_on_one_ip(&[tenant]).await;
});

both_stores!(parallel_creates_without_an_ip_never_share_one, |app: TestApp| async move {
    let tenant = app.tenant().await;
    fifty_creates_get_distinct_addresses(&[tenant]).await;
});

/// Two `havip` processes on one Postgres database, requests alternating between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_on_postgres_hold_the_limits() {
    let app = TestApp::spawn(Store::Postgres).await;
    let tenant = app.tenant().await;
    let first = ServerProcess::start(&app.db.url, &[]);
    let second = ServerProcess::start(&app.db.url, &[]);
    let servers = [tenant.at(&first.base), tenant.at(&second.base)];
    fifty_creates_on_one_vm(&servers).await;
    twenty_creates_on_one_ip(&servers).await;
    fifty_creates_get_distinct_addresses(&servers).await;
}

// Attaches racing an inventory sync that removes the VMs they attach: each attach either lands
// before the sync (and the sync then unbinds it) or finds the VM gone; never a 500, and no
// HAVIP is left with a master that is not bound to it.
both_stores!(attaches_racing_a_sync_that_removes_their_vms, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let subnet = tenant.subnet(0, 0);
    let leaving: Vec<String> = tenant.vms_of_subnet(&subnet).into_iter().take(4).collect();
    let mut havips = Vec::new();
    for i in 0..16 {
        let havip = tenant.create(tenant.create_body(&format!("sync-race-{i}"), &[])).await;
        let id = havip["id"].as_str().expect("id").to_owned();
        tenant.settled(&id).await;
        havips.push(id);
    }
    let mut document = tenant.inventory.clone();
    document.vms.retain(|vm| !leaving.contains(&vm.id));
    let sync = {
        let tenant = tenant.clone();
        let document = serde_json::to_value(&document).expect("json");
        async move { tenant.request(reqwest::Method::PUT, "/admin/inventory").json(&document).send().await.expect("put") }
    };
    let attaches: Vec<_> = havips
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (tenant, path, vm) = (tenant.clone(), format!("/havips/{id}/vms"), leaving[i % leaving.len()].clone());
            async move { tenant.post(&path, &json!({"vm_id": vm})).await }
        })
        .collect();
    let (synced, attached) = futures::join!(sync, outcomes(attaches));
    assert_eq!(synced.status(), 200, "the sync applies");
    let counts = tally(&attached);
    assert!(
        counts.keys().all(|outcome| outcome == "200 " || outcome == "422 InvalidVm.NotFound"),
        "each attach lands or finds the VM gone: {counts:?}"
    );
    for id in &havips {
        let havip: Value = tenant.get(&format!("/havips/{id}")).await.json().await.expect("json");
        assert_eq!(havip["vms"], json!([]), "the removed VMs are unbound from {id}");
        assert_eq!(havip["master_vm_id"], Value::Null, "no master left behind on {id}");
    }
});
