//! Editing, rebinding and deleting (R11–R14) through REST, their races on both stores and on
//! two Postgres processes, and a kill in the middle of a batch delete.

use crate::both_stores;
use crate::support::process::ServerProcess;
use crate::support::{Store, Tenant, TestApp, assert_error, unique};
use futures::future::join_all;
use serde_json::{Value, json};
use server::worker::driver::Driver;
use std::os::unix::fs::PermissionsExt;

fn id(havip: &Value) -> String {
    havip["id"].as_str().expect("id").to_owned()
}

fn vm_ids(havip: &Value) -> Vec<String> {
    let mut ids: Vec<String> =
        havip["vms"].as_array().expect("vms").iter().map(|vm| vm["id"].as_str().expect("id").to_owned()).collect();
    ids.sort();
    ids
}

async fn available(tenant: &Tenant, name: &str, vms: &[String]) -> Value {
    let created = tenant.create(tenant.create_body(name, vms)).await;
    tenant.settled(&id(&created)).await.expect("exists")
}

both_stores!(r11_r14_rename_with_versions, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let havip = available(&tenant, "before", &[]).await;
    let path = format!("/havips/{}", id(&havip));
    let version = havip["version"].as_i64().expect("version");
    let renamed: Value = tenant
        .patch(&path, &json!({"name": "after", "remark": "new remark", "version": version}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!((renamed["name"].as_str(), renamed["remark"].as_str()), (Some("after"), Some("new remark")));
    assert_eq!(renamed["version"].as_i64(), Some(version + 1));
    // The old version is stale now: refused, and nothing changes.
    assert_error(
        tenant.patch(&path, &json!({"name": "lost update", "version": version})).await,
        409,
        "VersionConflict",
    )
    .await;
    assert_eq!(tenant.get(&path).await.json::<Value>().await.expect("json")["name"], "after");
    // Without a version the write goes through (last writer wins, as the client asked).
    assert_eq!(tenant.patch(&path, &json!({"remark": ""})).await.status(), 200);
    assert_error(tenant.patch(&path, &json!({"name": ""})).await, 422, "InvalidName").await;
    assert_error(tenant.patch(&path, &json!({"remark": "x".repeat(256)})).await, 422, "InvalidRemark").await;
    assert_error(tenant.patch(&path, &json!({"colour": "red"})).await, 400, "InvalidParameter").await;
    assert_error(tenant.patch("/havips/havip-nosuchone1", &json!({"name": "x"})).await, 404, "NotFound").await;
});

/// A driver that holds every operation until the test lets it go (a file appears).
fn held_driver(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("driver.sh");
    let gate = dir.path().join("go");
    std::fs::write(
        &path,
        format!("#!/bin/sh\ncat >/dev/null\nwhile [ ! -f {} ]; do sleep 0.05; done\nexit 0\n", gate.display()),
    )
    .expect("driver");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r11_r12_r13_by_status() {
    for store in [Store::Sqlite, Store::Postgres] {
        let dir = tempfile::tempdir().expect("dir");
        let driver = held_driver(&dir);
        let app = TestApp::spawn_with(store, |s| s.driver = Driver::Command(driver.clone())).await;
        let tenant = app.tenant().await;
        let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
        let creating = tenant.create(tenant.create_body("held", &vms[..1])).await;
        let path = format!("/havips/{}", id(&creating));
        // R11: name and remark change in any status, creating included.
        let renamed: Value =
            tenant.patch(&path, &json!({"name": "renamed while creating"})).await.json().await.expect("json");
        assert_eq!(
            (renamed["name"].as_str(), renamed["status"].as_str()),
            (Some("renamed while creating"), Some("creating"))
        );
        // R12: not the VMs.
        assert_error(tenant.patch(&path, &json!({"vm_ids": []})).await, 409, "IncorrectStatus").await;
        assert_error(tenant.post(&format!("{path}/vms"), &json!({"vm_id": vms[1]})).await, 409, "IncorrectStatus")
            .await;
        assert_error(tenant.delete(&format!("{path}/vms/{}", vms[0])).await, 409, "IncorrectStatus").await;
        // R13: creating cannot be deleted.
        assert_error(tenant.delete(&path).await, 409, "IncorrectStatus").await;
        let batch: Value =
            tenant.post("/havips/batch-delete", &json!({"ids": [id(&creating)]})).await.json().await.expect("json");
        assert_eq!(batch["results"][0]["error"]["code"], "IncorrectStatus");
        let after: Value = tenant.get(&path).await.json().await.expect("json");
        assert_eq!(
            (after["status"].as_str(), vm_ids(&after)),
            (Some("creating"), vec![vms[0].clone()]),
            "nothing changed"
        );
        std::fs::write(dir.path().join("go"), "").expect("release the driver");
        assert_eq!(tenant.settled(&id(&creating)).await.expect("exists")["status"], "available", "{store:?}");
    }
}

both_stores!(attach_and_detach_one_vm, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let havip = available(&tenant, "attach", &[]).await;
    let path = format!("/havips/{}/vms", id(&havip));
    for vm in &vms[..3] {
        assert_eq!(tenant.post(&path, &json!({"vm_id": vm})).await.status(), 200);
    }
    assert_error(tenant.post(&path, &json!({"vm_id": vms[0]})).await, 422, "InvalidVm.Duplicate").await;
    assert_error(tenant.post(&path, &json!({"vm_id": vms[3]})).await, 422, "CountLimitExceeded.VmsPerHavip").await;
    assert_error(
        tenant.post(&path, &json!({"vm_id": tenant.vms_of_subnet(&tenant.subnet(1, 0))[0]})).await,
        422,
        "InvalidVm.NotInVpc",
    )
    .await;
    assert_error(tenant.post(&path, &json!({"vm_id": "vm-nosuchvm001"})).await, 422, "InvalidVm.NotFound").await;
    let after: Value = tenant.delete(&format!("{path}/{}", vms[0])).await.json().await.expect("json");
    assert_eq!(vm_ids(&after), {
        let mut v = vms[1..3].to_vec();
        v.sort();
        v
    });
    assert_eq!(after["master_vm_id"], Value::Null, "no master is guessed: none is observed");
    assert!(after["config_revision"].as_i64() > havip["config_revision"].as_i64(), "the configuration moved: {after}");
    assert_error(tenant.delete(&format!("{path}/{}", vms[0])).await, 404, "NotFound").await;
    assert_eq!(tenant.list(&format!("vm_id={}", vms[1])).await["total"], 1);
});

both_stores!(r12_replace_the_whole_set, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let havip = available(&tenant, "rebind", &vms[..2]).await;
    let path = format!("/havips/{}", id(&havip));
    let replaced: Value =
        tenant.patch(&path, &json!({"vm_ids": [vms[2], vms[3], vms[4]]})).await.json().await.expect("json");
    assert_eq!(vm_ids(&replaced), {
        let mut v = vms[2..5].to_vec();
        v.sort();
        v
    });
    assert_error(tenant.patch(&path, &json!({"vm_ids": &vms[..4]})).await, 422, "CountLimitExceeded.VmsPerHavip").await;
    assert_error(tenant.patch(&path, &json!({"vm_ids": [vms[0], vms[0]]})).await, 422, "InvalidVm.Duplicate").await;
    let emptied: Value = tenant.patch(&path, &json!({"vm_ids": []})).await.json().await.expect("json");
    assert_eq!((vm_ids(&emptied).len(), emptied["master_vm_id"].clone()), (0, Value::Null));
    // The VM side of R10 holds on a rebind too.
    for i in 0..5 {
        available(&tenant, &format!("load-{i}"), &[vms[5].clone()]).await;
    }
    assert_error(tenant.patch(&path, &json!({"vm_ids": [vms[5]]})).await, 422, "CountLimitExceeded.HavipsPerVm").await;
});

both_stores!(delete_single_and_batch, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let single = available(&tenant, "single", &vms[..2]).await;
    let deleting: Value = tenant.delete(&format!("/havips/{}", id(&single))).await.json().await.expect("json");
    assert_eq!(deleting["status"], "deleting");
    assert!(tenant.settled(&id(&single)).await.is_none(), "gone");
    assert_eq!(tenant.list(&format!("vm_id={}", vms[0])).await["total"], 0, "its VMs were unbound");
    let a = available(&tenant, "batch-a", &vms[..1]).await;
    let b = available(&tenant, "batch-b", &[]).await;
    let foreign = available(&other, "not-yours", &[]).await;
    let answer: Value = tenant
        .post("/havips/batch-delete", &json!({"ids": [id(&a), id(&b), "havip-nosuchone1", id(&foreign), id(&a)]}))
        .await
        .json()
        .await
        .expect("json");
    let results = answer["results"].as_array().expect("results");
    let outcome = |i: usize| (results[i]["ok"].as_bool(), results[i]["error"]["code"].as_str().map(str::to_owned));
    assert_eq!(results.len(), 4, "repeated IDs count once: {answer}");
    assert_eq!(outcome(0), (Some(true), None));
    assert_eq!(outcome(1), (Some(true), None));
    assert_eq!(outcome(2), (Some(false), Some("NotFound".to_owned())));
    assert_eq!(outcome(3), (Some(false), Some("NotFound".to_owned())), "another tenant's ID is unknown");
    assert!(tenant.settled(&id(&a)).await.is_none() && tenant.settled(&id(&b)).await.is_none());
    assert!(other.settled(&id(&foreign)).await.is_some(), "the other tenant's HAVIP is untouched");
    assert_error(tenant.post("/havips/batch-delete", &json!({"ids": []})).await, 400, "InvalidParameter").await;
});

/// An inventory whose first subnet has `count` VMs.
fn many_vms(stem: &str, count: usize) -> app::domain::inventory::InventoryDocument {
    let vms: Vec<Value> = (0..count).map(|i| json!({"id": format!("vm-{stem}{i:03}"), "name": format!("m{i}"), "subnet_id": format!("subnet-{stem}0"), "ip": format!("10.5.{}.{}", i / 200, 10 + i % 200)})).collect();
    serde_json::from_value(json!({
        "vpcs": [{"id": format!("vpc-{stem}0"), "name": "wide", "cidr": "10.5.0.0/16", "subnets": [
            {"id": format!("subnet-{stem}0"), "name": "wide", "cidr": "10.5.0.0/20", "gateway": "10.5.0.1"}]}],
        "vms": vms
    }))
    .expect("inventory")
}

async fn attach_races(servers: &[Tenant]) {
    let tenant = &servers[0];
    let all_vms: Vec<String> = tenant.inventory.vms.iter().map(|vm| vm.id.clone()).collect();
    // 50 different VMs onto one HAVIP: 3 bindings, the rest refused.
    let target = tenant.create(tenant.create_body("crowded", &[])).await;
    tenant.settled(&id(&target)).await;
    let requests = (0..50).map(|i| {
        let server = servers[i % servers.len()].clone();
        let (path, vm) = (format!("/havips/{}/vms", id(&target)), all_vms[i].clone());
        async move {
            let response = server.post(&path, &json!({"vm_id": vm})).await;
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or_default()["error"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        }
    });
    let results = join_all(requests).await;
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 3, "{results:?}");
    assert!(
        results.iter().filter(|(s, _)| *s != 200).all(|(s, c)| *s == 422 && c == "CountLimitExceeded.VmsPerHavip"),
        "{results:?}"
    );
    assert_eq!(
        vm_ids(&tenant.get(&format!("/havips/{}", id(&target))).await.json::<Value>().await.expect("json")).len(),
        3
    );

    // One VM onto 50 different HAVIPs: 5 bindings.
    let mut targets = Vec::new();
    for i in 0..50 {
        targets.push(id(&tenant.create(tenant.create_body(&format!("spread-{i}"), &[])).await));
    }
    for target in &targets {
        tenant.settled(target).await;
    }
    let vm = all_vms[60].clone();
    let requests = targets.iter().enumerate().map(|(i, target)| {
        let server = servers[i % servers.len()].clone();
        let (path, vm) = (format!("/havips/{target}/vms"), vm.clone());
        async move {
            let response = server.post(&path, &json!({"vm_id": vm})).await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or_default();
            (status, body["error"]["code"].as_str().unwrap_or_default().to_owned())
        }
    });
    let outcomes = join_all(requests).await;
    assert_eq!(outcomes.iter().filter(|(status, _)| *status == 200).count(), 5, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|(status, code)| *status == 200 || (*status == 422 && code == "CountLimitExceeded.HavipsPerVm")),
        "the others are refused for the VM's limit (R10): {outcomes:?}"
    );
    assert_eq!(tenant.list(&format!("vm_id={vm}")).await["total"], 5);
}

async fn rebind_races(servers: &[Tenant]) {
    let tenant = &servers[0];
    let vms: Vec<String> = tenant.inventory.vms.iter().take(9).map(|vm| vm.id.clone()).collect();
    let sets: Vec<Vec<String>> =
        vec![vms[0..3].to_vec(), vms[3..6].to_vec(), vms[6..9].to_vec(), vms[1..2].to_vec(), vec![]];
    for round in 0..5 {
        let havip = tenant.create(tenant.create_body(&format!("rebind-{round}"), &vms[0..1])).await;
        tenant.settled(&id(&havip)).await;
        let path = format!("/havips/{}", id(&havip));
        let requests = (0..20).map(|i| {
            let server = servers[i % servers.len()].clone();
            let (path, set) = (path.clone(), sets[i % sets.len()].clone());
            async move { server.patch(&path, &json!({"vm_ids": set})).await.status().as_u16() }
        });
        let statuses = join_all(requests).await;
        assert!(statuses.iter().all(|s| *s == 200), "every whole-set replace applies in turn: {statuses:?}");
        let mut final_set = vm_ids(&tenant.get(&path).await.json::<Value>().await.expect("json"));
        final_set.sort();
        let requested: Vec<Vec<String>> = sets
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.sort();
                s
            })
            .collect();
        assert!(requested.contains(&final_set), "one of the requested sets, never a mix: {final_set:?}");
    }
}

async fn delete_rebind_races(servers: &[Tenant]) {
    let tenant = &servers[0];
    let vms: Vec<String> = tenant.inventory.vms.iter().take(3).map(|vm| vm.id.clone()).collect();
    for round in 0..5 {
        let havip = tenant.create(tenant.create_body(&format!("dr-{round}"), &vms[..1])).await;
        tenant.settled(&id(&havip)).await;
        let path = format!("/havips/{}", id(&havip));
        let delete = servers[round % servers.len()].delete(&path);
        let body = json!({"vm_ids": vms});
        let rebind = servers[(round + 1) % servers.len()].patch(&path, &body);
        let (deleted, rebound) = tokio::join!(delete, rebind);
        assert_eq!(deleted.status(), 202, "the delete always applies (alone or after the rebind)");
        let rebound_status = rebound.status().as_u16();
        assert!(
            matches!(rebound_status, 200 | 404 | 409),
            "the rebind applies first, or finds it deleting, or finds it gone: {rebound_status} {}",
            rebound.text().await.unwrap_or_default()
        );
        assert!(tenant.settled(&id(&havip)).await.is_none(), "then it is gone");
        for vm in &vms {
            assert!(tenant.list(&format!("vm_id={vm}&q={}", id(&havip))).await["total"] == 0, "no binding outlives it");
        }
    }
}

async fn racing_tenant(app: &TestApp) -> Tenant {
    app.tenant_with(&many_vms(&unique("r"), 70)).await
}

both_stores!(fifty_parallel_attaches_respect_both_limits, |app: TestApp| async move {
    let tenant = racing_tenant(&app).await;
    attach_races(&[tenant]).await;
});

both_stores!(concurrent_rebinds_end_in_one_requested_set, |app: TestApp| async move {
    let tenant = racing_tenant(&app).await;
    rebind_races(&[tenant]).await;
});

both_stores!(concurrent_delete_and_rebind_stay_consistent, |app: TestApp| async move {
    let tenant = racing_tenant(&app).await;
    delete_rebind_races(&[tenant]).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn binding_races_on_two_postgres_processes() {
    let app = TestApp::spawn(Store::Postgres).await;
    let tenant = racing_tenant(&app).await;
    let first = ServerProcess::start(&app.db.url, &[]);
    let second = ServerProcess::start(&app.db.url, &[]);
    let servers = [tenant.at(&first.base), tenant.at(&second.base)];
    attach_races(&servers).await;
    rebind_races(&servers).await;
    delete_rebind_races(&servers).await;
}

/// SIGKILL while a batch delete of 100 runs: afterwards every HAVIP is either gone with its
/// bindings or still there, the restarted worker finishes every `deleting` one, and the
/// SQLite file is intact.
async fn kill_during_batch_delete(store: Store) {
    let app = TestApp::spawn(store).await;
    let tenant = racing_tenant(&app).await;
    let vms: Vec<String> = tenant.inventory.vms.iter().map(|vm| vm.id.clone()).collect();
    let mut ids = Vec::new();
    for i in 0..100 {
        ids.push(id(&tenant.create(tenant.create_body(&format!("doomed-{i}"), &[vms[i % vms.len()].clone()])).await));
    }
    for id in &ids {
        tenant.settled(id).await;
    }
    let db = app.stop().await;
    let server = ServerProcess::start(&db.url, &["--job-lease-secs", "1"]);
    let remote = tenant.at(&server.base);
    let batch = {
        let (remote, ids) = (remote.clone(), ids.clone());
        tokio::spawn(async move {
            remote.request(reqwest::Method::POST, "/havips/batch-delete").json(&json!({"ids": ids})).send().await
        })
    };
    // Kill as soon as the batch is under way.
    loop {
        if remote.list("status=deleting&page_size=1").await["total"].as_u64().unwrap_or(0) > 0 {
            break;
        }
    }
    server.kill();
    let _ = batch.await;

    let restarted = ServerProcess::start(&db.url, &["--job-lease-secs", "1"]);
    let remote = tenant.at(&restarted.base);
    let mut gone = 0;
    for id in &ids {
        match remote.settled(id).await {
            None => gone += 1,
            Some(havip) => {
                assert_eq!(havip["status"], "available", "{store:?}: untouched ones stay whole");
                assert_eq!(havip["vms"].as_array().map(Vec::len), Some(1), "with their binding");
            }
        }
    }
    assert!(gone > 0, "the batch had started");
    let remaining = remote.list("q=doomed-&page_size=100").await["total"].as_u64().expect("total");
    assert_eq!(remaining + gone, 100);
    let mut vm_total = 0;
    for vm in &vms {
        vm_total += remote.list(&format!("vm_id={vm}")).await["total"].as_u64().unwrap_or(0);
    }
    assert_eq!(vm_total, remaining, "no binding outlived its HAVIP");
    drop(restarted);
    if store == Store::Sqlite {
        let db = server::db::Db::connect(&db.url, 1).await.expect("open");
        assert_eq!(db.integrity_check().await.expect("check"), "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_during_batch_delete_on_sqlite() {
    kill_during_batch_delete(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_during_batch_delete_on_postgres() {
    kill_during_batch_delete(Store::Postgres).await;
}
