//! Creating through the REST API: every rule of product.md §3 from R1 to R10 and R15 with its
//! code, bad input of every kind, and nothing created by a refused request.

use crate::both_stores;
use crate::support::{Tenant, TestApp, assert_error};
use serde_json::{Value, json};

async fn total(tenant: &Tenant) -> u64 {
    tenant.list("page_size=1").await["total"].as_u64().expect("total")
}

/// Posts the body, asserts the refusal, and that nothing was created.
async fn refused(tenant: &Tenant, body: Value, status: u16, code: &str, field: Option<&str>) {
    let before = total(tenant).await;
    let answer = assert_error(tenant.post("/havips", &body).await, status, code).await;
    if let Some(field) = field {
        assert_eq!(answer["error"]["field"], field, "{body}");
    }
    assert_eq!(total(tenant).await, before, "a refused create changed nothing: {body}");
}

fn with(tenant: &Tenant, changes: Value) -> Value {
    let mut body = json!({"name": "rule-test", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)});
    for (key, value) in changes.as_object().expect("object") {
        body[key] = value.clone();
    }
    body
}

both_stores!(r1_r2_name_and_remark, |app: TestApp| async move {
    let tenant = app.tenant().await;
    for name in [
        json!(""),
        json!("   "),
        json!("a".repeat(129)),
        json!("tab\there"),
        json!("<b>x</b>"),
        json!("x'; DROP TABLE havips;--"),
        json!("\u{301}mark-first"),
    ] {
        refused(&tenant, with(&tenant, json!({"name": name})), 422, "InvalidName", Some("name")).await;
    }
    for remark in [json!("r".repeat(256)), json!("bell\u{7}"), json!("line\nbreak")] {
        refused(&tenant, with(&tenant, json!({"remark": remark})), 422, "InvalidRemark", Some("remark")).await;
    }
    let ok = tenant
        .create(with(
            &tenant,
            json!({"name": "  数据库 主备.v1_a-b  ", "remark": "<script>alert(1)</script> ' OR 1=1"}),
        ))
        .await;
    assert_eq!(ok["name"], "数据库 主备.v1_a-b", "trimmed");
    assert_eq!(ok["remark"], "<script>alert(1)</script> ' OR 1=1", "stored as written");
    tenant.create(with(&tenant, json!({"name": "名".repeat(128)}))).await;
    // Letters of any script, with the marks they are written with (a virama, a tone mark).
    for name in ["नमस्ते", "น้ำ-vip"] {
        assert_eq!(tenant.create(with(&tenant, json!({"name": name}))).await["name"], name);
    }
});

both_stores!(r3_network, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    refused(&tenant, with(&tenant, json!({"vpc_id": "vpc-nosuchvpc1"})), 422, "InvalidVpc.NotFound", Some("vpc_id"))
        .await;
    refused(
        &tenant,
        with(&tenant, json!({"vpc_id": other.vpc(0), "subnet_id": other.subnet(0, 0)})),
        422,
        "InvalidVpc.NotFound",
        Some("vpc_id"),
    )
    .await;
    refused(
        &tenant,
        with(&tenant, json!({"subnet_id": "subnet-nosuchsub1"})),
        422,
        "InvalidSubnet.NotFound",
        Some("subnet_id"),
    )
    .await;
    refused(
        &tenant,
        with(&tenant, json!({"subnet_id": other.subnet(0, 0)})),
        422,
        "InvalidSubnet.NotFound",
        Some("subnet_id"),
    )
    .await;
    refused(
        &tenant,
        with(&tenant, json!({"subnet_id": tenant.subnet(1, 0)})),
        422,
        "InvalidSubnet.NotInVpc",
        Some("subnet_id"),
    )
    .await;
});

both_stores!(r4_r5_r6_address, |app: TestApp| async move {
    let tenant = app.tenant().await;
    for ip in ["10.1.1.256", "010.1.1.5", " 10.1.1.5 ", "::1", "10.1.1", "ten", "10.1.1.5/32"] {
        refused(&tenant, with(&tenant, json!({"ip": ip})), 422, "InvalidIpAddress.Malformed", Some("ip")).await;
    }
    refused(&tenant, with(&tenant, json!({"ip": "10.1.2.5"})), 422, "InvalidIpAddress.OutOfRange", Some("ip")).await;
    for ip in ["10.1.1.0", "10.1.1.255", "10.1.1.1"] {
        refused(&tenant, with(&tenant, json!({"ip": ip})), 422, "InvalidIpAddress.Reserved", Some("ip")).await;
    }
    refused(&tenant, with(&tenant, json!({"ip": "10.1.1.100"})), 422, "InvalidIpAddress.AlreadyUsed", Some("ip")).await;
    tenant.create(with(&tenant, json!({"ip": "10.1.1.77"}))).await;
    refused(&tenant, with(&tenant, json!({"ip": "10.1.1.77"})), 422, "InvalidIpAddress.AlreadyUsed", Some("ip")).await;
    // The same address in another tenant's (or another subnet's) network is no conflict.
    let other = app.tenant().await;
    other.create(with(&other, json!({"ip": "10.1.1.77"}))).await;
});

both_stores!(r7_lowest_free_address_then_exhausted, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let tiny = json!({"vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 1)});
    // 10.1.2.0/28: .1 is the gateway, .2 and .3 are VMs, so .4 to .14 are free.
    let mut assigned = Vec::new();
    for i in 0..11 {
        let havip = tenant
            .create(with(
                &tenant,
                json!({"name": format!("fill-{i}"), "vpc_id": tiny["vpc_id"], "subnet_id": tiny["subnet_id"]}),
            ))
            .await;
        assigned.push(havip["ip"].as_str().expect("ip").to_owned());
    }
    let expected: Vec<String> = (4..=14).map(|i| format!("10.1.2.{i}")).collect();
    assert_eq!(assigned, expected, "lowest free first");
    refused(&tenant, with(&tenant, tiny.clone()), 422, "SubnetExhausted", Some("subnet_id")).await;
});

both_stores!(r8_r9_r10_bound_vms, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let foreign_vpc_vm = tenant.vms_of_subnet(&tenant.subnet(1, 0))[0].clone();
    let other_tenant_vm = other.vms_of_subnet(&other.subnet(0, 0))[0].clone();
    refused(&tenant, with(&tenant, json!({"vm_ids": ["vm-nosuchvm001"]})), 422, "InvalidVm.NotFound", Some("vm_ids"))
        .await;
    refused(&tenant, with(&tenant, json!({"vm_ids": [other_tenant_vm]})), 422, "InvalidVm.NotFound", Some("vm_ids"))
        .await;
    refused(&tenant, with(&tenant, json!({"vm_ids": [foreign_vpc_vm]})), 422, "InvalidVm.NotInVpc", Some("vm_ids"))
        .await;
    refused(&tenant, with(&tenant, json!({"vm_ids": [vms[0], vms[0]]})), 422, "InvalidVm.Duplicate", Some("vm_ids"))
        .await;
    refused(
        &tenant,
        with(&tenant, json!({"vm_ids": &vms[..4]})),
        422,
        "CountLimitExceeded.VmsPerHavip",
        Some("vm_ids"),
    )
    .await;
    let three = tenant.create(with(&tenant, json!({"vm_ids": &vms[..3]}))).await;
    assert_eq!(three["vms"].as_array().map(Vec::len), Some(3));
    for i in 0..4 {
        tenant.create(with(&tenant, json!({"name": format!("on-vm0-{i}"), "vm_ids": [vms[0]]}))).await;
    }
    refused(&tenant, with(&tenant, json!({"vm_ids": [vms[0]]})), 422, "CountLimitExceeded.HavipsPerVm", Some("vm_ids"))
        .await;
    let vm: Vec<Value> = tenant.get(&format!("/vms?vpc_id={}", tenant.vpc(0))).await.json().await.expect("json");
    let count = vm.iter().find(|v| v["id"] == vms[0].as_str()).expect("vm")["havip_count"].clone();
    assert_eq!(count, 5, "the picker's count");
});

both_stores!(r15_retries_sent_while_the_first_create_runs_get_its_answer, |app: TestApp| async move {
    let tenant = app.tenant().await;
    // An explicit address: a retry that missed the first answer would find it taken.
    let body = with(&tenant, json!({"name": "idem-race", "ip": "10.1.1.77"}));
    let retries = (0..8).map(|_| {
        tenant.request(reqwest::Method::POST, "/havips").header("Idempotency-Key", "key-race").json(&body).send()
    });
    let mut answers = Vec::new();
    for response in futures::future::join_all(retries).await {
        let response = response.expect("post");
        assert_eq!(response.status(), 202);
        answers.push(response.json::<Value>().await.expect("json"));
    }
    assert!(answers.iter().all(|answer| answer == &answers[0]), "one answer for all: {answers:?}");
    assert_eq!(total(&tenant).await, 1, "created once");
});

both_stores!(r15_idempotency_key, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let body = with(&tenant, json!({"name": "idem"}));
    let post = |body: Value, key: &'static str| {
        let tenant = tenant.clone();
        async move {
            tenant
                .request(reqwest::Method::POST, "/havips")
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .expect("post")
        }
    };
    let first = post(body.clone(), "key-abc").await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.expect("json");
    let again = post(body.clone(), "key-abc").await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.expect("json"), first, "the first answer again");
    assert_eq!(total(&tenant).await, 1, "created once");
    assert_error(post(with(&tenant, json!({"name": "other"})), "key-abc").await, 409, "IdempotencyKeyMismatch").await;
    assert_eq!(total(&tenant).await, 1);
    // Keys are the tenant's own: another tenant may use the same key.
    let other = app.tenant().await;
    let response = other
        .request(reqwest::Method::POST, "/havips")
        .header("Idempotency-Key", "key-abc")
        .json(&with(&other, json!({})))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 202);
});

both_stores!(malformed_requests_get_400_and_change_nothing, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let raw = |body: &'static str| {
        let tenant = tenant.clone();
        async move {
            tenant
                .request(reqwest::Method::POST, "/havips")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("post")
        }
    };
    for body in [
        "{",
        "[]",
        "null",
        "{\"name\": 5}",
        "{\"name\": \"x\"}",
        "{\"name\":\"x\",\"vpc_id\":\"a\",\"subnet_id\":\"b\",\"colour\":1}",
        "{\"name\":\"x\",\"vpc_id\":\"a\",\"subnet_id\":\"b\",\"vm_ids\":\"vm-1\"}",
    ] {
        assert_error(raw(body).await, 400, "InvalidParameter").await;
    }
    let no_type = tenant.request(reqwest::Method::POST, "/havips").body("{}").send().await.expect("post");
    assert_error(no_type, 400, "InvalidParameter").await;
    // The server answers 413 without reading the body and closes the connection: a client of
    // its own keeps the shared one's pool clean.
    let huge = json!({"name": "x", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0), "remark": "x".repeat(1_100_000)});
    let answer = reqwest::Client::new()
        .post(app.url("/api/v1/havips"))
        .bearer_auth(&tenant.token)
        .json(&huge)
        .send()
        .await
        .expect("post");
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff", "the refusal carries the security headers");
    assert_error(answer, 413, "PayloadTooLarge").await;
    assert_eq!(total(&tenant).await, 0);
});
