//! The HA state as the console reads it: through its server functions (the `Console` port),
//! which must say what the REST API says, and move the tenant's revision the page polls.

use crate::both_stores;
use crate::security::{cookie_pair, login, session_cookie};
use crate::support::{PASSWORD, TestApp};
use reqwest::header::COOKIE;
use serde_json::{Value, json};

async fn call(app: &TestApp, cookie: &str, function: &str, arguments: Value) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/fn/{function}")))
        .header(COOKIE, cookie)
        .json(&arguments)
        .send()
        .await
        .expect("server function")
}

async fn answer(app: &TestApp, cookie: &str, function: &str, arguments: Value) -> Value {
    let response = call(app, cookie, function, arguments).await;
    assert_eq!(response.status(), 200, "{function}");
    response.json().await.expect("json")
}

both_stores!(the_console_follows_a_split_brain_through_its_server_functions, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0))[..2].to_vec();
    let created = tenant.create(tenant.create_body("console-ha", &vms)).await;
    let id = created["id"].as_str().expect("id").to_owned();
    tenant.settled(&id).await.expect("settled");
    let cookie = cookie_pair(&session_cookie(login(&app, &tenant.username, PASSWORD, &[]).await.headers()));
    let revision_before = answer(&app, &cookie, "tenant_revision", json!({})).await;
    assert_eq!(answer(&app, &cookie, "ha_alarms", json!({})).await, 0);

    // Both VMs hold the address.
    for vm in &vms {
        let (_, token) = app.backend.create_agent_token_at_host(vm, None).await.expect("agent token");
        let report = json!({"seq": 1, "observed_at": "2026-12-04T10:00:00Z", "interval_ms": 60000,
            "keepalived_running": true, "havips": [{"havip_id": id, "holds_vip": true, "vrrp_state": "MASTER"}]});
        assert_eq!(tenant.with_token(token).post("/agent/reports", &report).await.status(), 200);
    }
    let revision_after = answer(&app, &cookie, "tenant_revision", json!({})).await;
    assert!(revision_after.as_i64() > revision_before.as_i64(), "{revision_before} → {revision_after}");
    assert_eq!(answer(&app, &cookie, "ha_alarms", json!({})).await, 1);
    let havip = answer(&app, &cookie, "havip", json!({"id": id})).await;
    assert_eq!(havip, tenant.get(&format!("/havips/{id}")).await.json::<Value>().await.expect("json"), "as REST");
    assert_eq!((havip["ha"]["health"].clone(), havip["ha"]["holders"].clone()), (json!("split_brain"), json!(vms)));
    let events = answer(&app, &cookie, "havip_events", json!({"id": id, "before": null})).await;
    let kinds: Vec<&str> =
        events["items"].as_array().expect("items").iter().filter_map(|e| e["kind"].as_str()).collect();
    // Newest first: the last report wrote the split brain and its VRRP state at one time.
    assert!(kinds[..2].contains(&"split_brain_started"), "newest first: {kinds:?}");
    assert!(kinds.contains(&"havip.create"), "the operations too: {kinds:?}");

    let config =
        answer(&app, &cookie, "keepalived_config", json!({"id": id, "vm_id": vms[1], "interface": "ens3"})).await;
    let config = config.as_str().expect("the file");
    assert!(config.contains("interface ens3"), "{config}");
    let refused =
        call(&app, &cookie, "keepalived_config", json!({"id": id, "vm_id": vms[1], "interface": "eth0; x"})).await;
    assert_eq!(refused.status(), 422);
    let error: app::domain::AppError = refused.json().await.expect("typed error");
    assert_eq!(
        (error.code, error.field),
        (app::domain::ErrorCode::InvalidInterfaceName, Some(app::domain::Field::Interface))
    );

    // An agent token made in the console speaks for its VM.
    let made = answer(&app, &cookie, "create_agent_token", json!({"vm_id": vms[0]})).await;
    let agent = tenant.with_token(made["token"].as_str().expect("token").to_owned());
    let report = json!({"seq": 2, "observed_at": "2026-12-04T10:00:01Z", "interval_ms": 60000,
        "keepalived_running": true, "havips": [{"havip_id": id, "holds_vip": false, "vrrp_state": "BACKUP"}]});
    assert_eq!(agent.post("/agent/reports", &report).await.status(), 200);
    let havip = answer(&app, &cookie, "havip", json!({"id": id})).await;
    assert_eq!((havip["ha"]["health"].clone(), havip["master_vm_id"].clone()), (json!("healthy"), json!(vms[1])));
    assert_eq!(answer(&app, &cookie, "ha_alarms", json!({})).await, 0);
});
