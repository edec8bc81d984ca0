//! The list and get of product.md §4/§5: search, filters, sort, pages, and bad parameters.

use crate::both_stores;
use crate::support::{Tenant, TestApp, assert_error, unique};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Creates HAVIPs with the given names and remarks in the first subnet; answers their IDs.
async fn create_named(tenant: &Tenant, items: &[(&str, &str)]) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, remark) in items {
        let havip = tenant
            .create(json!({"name": name, "remark": remark, "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)}))
            .await;
        ids.push(havip["id"].as_str().expect("id").to_owned());
    }
    ids
}

fn ids_of(page: &Value) -> Vec<String> {
    page["items"].as_array().expect("items").iter().map(|h| h["id"].as_str().expect("id").to_owned()).collect()
}

both_stores!(search_matches_each_field_case_insensitively, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let tag = unique("Zq");
    let vm = tenant.vms_of_subnet(&tenant.subnet(0, 0))[0].clone();
    let by_name = tenant
        .create(json!({"name": format!("Alpha-{tag}"), "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)}))
        .await;
    let by_remark = tenant.create(json!({"name": "plain", "remark": format!("note {tag} here"), "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)})).await;
    let by_ip = tenant
        .create(json!({"name": "by-ip", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0), "ip": "10.1.1.237"}))
        .await;
    let by_vm = tenant
        .create(json!({"name": "by-vm", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0), "vm_ids": [vm]}))
        .await;
    let id = |h: &Value| h["id"].as_str().expect("id").to_owned();

    let upper = tag.to_uppercase();
    assert_eq!(
        ids_of(&tenant.list(&format!("q={upper}")).await),
        vec![id(&by_remark), id(&by_name)],
        "name and remark, any case"
    );
    assert_eq!(ids_of(&tenant.list("q=1.237").await), vec![id(&by_ip)], "part of the IP");
    let id_part = &id(&by_ip)[6..14];
    assert_eq!(ids_of(&tenant.list(&format!("q={id_part}")).await), vec![id(&by_ip)], "part of the ID");
    let vm_name = tenant.inventory.vms.iter().find(|v| v.id == by_vm["vms"][0]["id"]).expect("vm").name.clone();
    let found = ids_of(&tenant.list(&format!("q={}", vm_name.to_uppercase())).await);
    assert_eq!(found, vec![id(&by_vm)], "a bound VM's name");
    // One and two characters have no trigram: they still match, by a scan.
    assert!(ids_of(&tenant.list("q=y-").await).contains(&id(&by_ip)));
    assert_eq!(tenant.list("q=%25").await["total"], 0, "LIKE wildcards are literal");
    assert_eq!(tenant.list("q=_").await["total"], 0);
    assert_eq!(tenant.list("q=%22'%20OR%201%3D1--").await["total"], 0, "SQL in the search is text");
});

both_stores!(filters_combine_with_and, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let in_big =
        tenant.create(json!({"name": "big-one", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)})).await;
    let in_tiny =
        tenant.create(json!({"name": "tiny-one", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 1)})).await;
    let other_vpc =
        tenant.create(json!({"name": "other-one", "vpc_id": tenant.vpc(1), "subnet_id": tenant.subnet(1, 0)})).await;
    for havip in [&in_big, &in_tiny, &other_vpc] {
        tenant.settled(havip["id"].as_str().expect("id")).await;
    }
    let vpc0 = tenant.vpc(0);
    let sub1 = tenant.subnet(0, 1);
    assert_eq!(tenant.list(&format!("vpc_id={vpc0}")).await["total"], 2);
    assert_eq!(
        ids_of(&tenant.list(&format!("vpc_id={vpc0}&subnet_id={sub1}")).await),
        vec![in_tiny["id"].as_str().expect("id")]
    );
    assert_eq!(tenant.list(&format!("vpc_id={}&subnet_id={sub1}", tenant.vpc(1))).await["total"], 0, "AND, not OR");
    assert_eq!(tenant.list("status=available&status=failed").await["total"], 3);
    assert_eq!(tenant.list("status=creating").await["total"], 0);
    assert_eq!(tenant.list(&format!("status=available&q=tiny&vpc_id={vpc0}")).await["total"], 1);
    let project = in_big["project"]["id"].as_str().expect("project");
    assert_eq!(tenant.list(&format!("project_id={project}")).await["total"], 2, "the VPC's project");
});

both_stores!(each_sort_order, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let mut created = Vec::new();
    for (name, ip) in [("charlie", "10.1.1.30"), ("alpha", "10.1.1.200"), ("bravo", "10.1.1.9")] {
        let havip = tenant
            .create(json!({"name": name, "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0), "ip": ip}))
            .await;
        created.push(havip["id"].as_str().expect("id").to_owned());
    }
    let names = |page: &Value| {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|h| h["name"].as_str().expect("name").to_owned())
            .collect::<Vec<_>>()
    };
    // A search sorts its matches itself rather than walking an index: the orders are the same.
    for search in ["", "q=10.1.1.&"] {
        let tenant = &tenant;
        let list = |view: &str| {
            let query = format!("{search}{view}");
            async move { tenant.list(&query).await }
        };
        assert_eq!(names(&list("").await), ["bravo", "alpha", "charlie"], "{search}: newest first by default");
        assert_eq!(names(&list("sort=created_at&order=asc").await), ["charlie", "alpha", "bravo"], "{search}");
        assert_eq!(names(&list("sort=name").await), ["alpha", "bravo", "charlie"], "{search}");
        assert_eq!(names(&list("sort=name&order=desc").await), ["charlie", "bravo", "alpha"], "{search}");
        assert_eq!(names(&list("sort=ip").await), ["bravo", "charlie", "alpha"], "{search}: numerically, not as text");
        assert_eq!(names(&list("sort=ip&order=desc").await), ["alpha", "charlie", "bravo"], "{search}");
    }
});

both_stores!(bad_parameters_get_400, |app: TestApp| async move {
    let tenant = app.tenant().await;
    for query in [
        "page_size=0",
        "page_size=1000",
        "page_size=-1",
        "page_size=x",
        "page=0",
        "sort=colour",
        "order=up",
        "status=gone",
        &format!("q={}", "x".repeat(200)),
    ] {
        let body = assert_error(tenant.get(&format!("/havips?{query}")).await, 400, "InvalidParameter").await;
        assert!(body["error"]["field"].is_string(), "{query}: the field is named");
    }
    let page = tenant.list("page_size=100&page=99").await;
    assert_eq!(
        (page["items"].as_array().map(Vec::len), page["page"].as_u64()),
        (Some(0), Some(99)),
        "past the end is empty, not an error"
    );
});

both_stores!(get_answers_one_and_404_for_unknown_or_foreign, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let vm = tenant.vms_of_subnet(&tenant.subnet(0, 0))[0].clone();
    let created = tenant.create(json!({"name": "one", "remark": "<script>x</script>", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0), "vm_ids": [vm]})).await;
    let id = created["id"].as_str().expect("id");
    let got: Value = tenant.get(&format!("/havips/{id}")).await.json().await.expect("json");
    assert_eq!(got["remark"], "<script>x</script>", "stored as written");
    assert_eq!(got["vms"][0]["id"], vm.as_str());
    assert_eq!(got["master_vm_id"], Value::Null, "no agent has reported: no master");
    assert_eq!((got["ha"]["health"].clone(), got["vrid"].clone()), (json!("unknown"), json!(1)));
    assert_eq!(got["subnet"]["gateway"], "10.1.1.1");
    assert!(got["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "RFC 3339 UTC");
    assert_error(tenant.get("/havips/havip-doesnotexist1").await, 404, "NotFound").await;
    assert_error(tenant.get("/havips/not-an-id").await, 404, "NotFound").await;
    assert_error(other.get(&format!("/havips/{id}")).await, 404, "NotFound").await;
    assert_eq!(other.list("").await["total"], 0, "another tenant's list is empty");
});

#[test]
fn pages_partition_the_result_on_sqlite() {
    pages_partition_the_result(crate::support::Store::Sqlite);
}

#[test]
fn pages_partition_the_result_on_postgres() {
    pages_partition_the_result(crate::support::Store::Postgres);
}

/// The pages of a result together hold every matching row exactly once, for any page size,
/// sort and filter.
fn pages_partition_the_result(store: crate::support::Store) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (app, tenant, all_ids) = runtime.block_on(async {
        let app = TestApp::spawn(store).await;
        let tenant = app.tenant().await;
        let names: Vec<(String, String)> = (0..37).map(|i| (format!("n{}", i % 7), format!("r{i}"))).collect();
        let items: Vec<(&str, &str)> = names.iter().map(|(n, r)| (n.as_str(), r.as_str())).collect();
        let ids = create_named(&tenant, &items).await;
        (app, tenant, ids)
    });
    let config = ProptestConfig { cases: 24, ..ProptestConfig::default() };
    proptest!(config, |(size in 1u32..=12, sort in prop::sample::select(vec!["created_at", "name", "ip"]), desc: bool, q in prop::sample::select(vec!["", "n3", "r1", "n"]))| {
        let order = if desc { "desc" } else { "asc" };
        let (pages, expected) = runtime.block_on(async {
            let base = format!("sort={sort}&order={order}&page_size={size}&q={q}");
            let first = tenant.list(&base).await;
            let total = first["total"].as_u64().expect("total");
            let mut seen = Vec::new();
            for page in 1..=total.div_ceil(u64::from(size)) {
                seen.extend(ids_of(&tenant.list(&format!("{base}&page={page}")).await));
            }
            let expected = tenant.list(&format!("q={q}&page_size=100")).await;
            (seen, ids_of(&expected))
        });
        let unique: BTreeSet<&String> = pages.iter().collect();
        prop_assert_eq!(unique.len(), pages.len(), "no row twice");
        prop_assert_eq!(unique, expected.iter().collect::<BTreeSet<_>>(), "every matching row");
    });
    assert_eq!(all_ids.len(), 37);
    drop(app);
}
