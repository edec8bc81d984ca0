//! Cursor pages (`page_token` / `next_page_token`): a walk shows every row once while rows come
//! and go, and a token not given for this tenant and query is refused.

use crate::both_stores;
use crate::support::{Tenant, TestApp, assert_error, unique};
use app::domain::ids::IdKind;
use app::domain::ipv4::Ipv4;
use app::domain::status::HavipStatus;
use serde_json::{Value, json};
use server::db::{new_id, now_micros};
use server::store::havips::{self, NewHavipRow};
use server::store::{TenantTx, inventory};
use std::collections::HashSet;

fn ids_of(page: &Value) -> Vec<String> {
    page["items"].as_array().expect("items").iter().map(|h| h["id"].as_str().expect("id").to_owned()).collect()
}

/// Creates `n` HAVIPs named `{tag}-{i}`; every third shares its name with the one before, so
/// that the name sort has ties for the ID to break.
async fn create_many(tenant: &Tenant, tag: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let name = format!("{tag}-{:02}", i - usize::from(i % 3 == 2));
        let havip =
            tenant.create(json!({"name": name, "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)})).await;
        ids.push(havip["id"].as_str().expect("id").to_owned());
    }
    ids
}

fn token_of(page: &Value) -> String {
    page["next_page_token"].as_str().expect("a next page").to_owned()
}

both_stores!(a_walk_shows_every_row_once_while_rows_come_and_go, |app: TestApp| async move {
    let tenant = app.tenant().await;
    for sort in ["sort=created_at", "sort=name", "sort=ip&order=desc"] {
        let tag = unique("walk");
        let ids = create_many(&tenant, &tag, 30).await;
        let (doomed, kept) = ids.split_at(10);
        // A HAVIP still creating cannot be deleted (409): the worker settles these first.
        for id in doomed {
            tenant.settled(id).await;
        }
        let view = format!("q={tag}&{sort}");
        let mut seen = Vec::new();
        let mut query = format!("{view}&page_size=4");
        let mut pages = 0;
        loop {
            let page = tenant.list(&query).await;
            seen.extend(ids_of(&page));
            pages += 1;
            // Meanwhile: one row is created (it may or may not be met) and one that the walk
            // may not have reached yet is deleted.
            create_many(&tenant, &tag, 1).await;
            if let Some(gone) = doomed.get(pages) {
                let answer = tenant.delete(&format!("/havips/{gone}")).await;
                assert!(answer.status().is_success(), "delete {gone}: {}", answer.status());
            }
            match page["next_page_token"].as_str() {
                Some(token) => query = format!("{view}&page_size=4&page_token={token}"),
                None => break,
            }
            assert!(pages < 40, "{view}: the walk does not end");
        }
        let unique_seen: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique_seen.len(), seen.len(), "{view}: no row twice");
        for id in kept {
            assert!(unique_seen.contains(id), "{view}: {id} existed throughout and was skipped");
        }
    }
});

both_stores!(every_page_offers_the_next_and_pages_agree_with_tokens, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let tag = unique("pages");
    create_many(&tenant, &tag, 9).await;
    let first = tenant.list(&format!("q={tag}&sort=name&page_size=4")).await;
    assert_eq!(first["total"], 9);
    let by_token = tenant.list(&format!("q={tag}&sort=name&page_size=4&page_token={}", token_of(&first))).await;
    let by_number = tenant.list(&format!("q={tag}&sort=name&page_size=4&page=2")).await;
    assert_eq!(ids_of(&by_token), ids_of(&by_number), "a page by token is the page by number");
    assert_eq!(by_token["total"], 9);
    // The page size may change along a walk; the last page says there is no next.
    let rest = tenant.list(&format!("q={tag}&sort=name&page_size=100&page_token={}", token_of(&by_number))).await;
    assert_eq!(ids_of(&rest).len(), 1);
    assert!(rest["next_page_token"].is_null(), "the last page has no next: {rest}");
    let last_by_number = tenant.list(&format!("q={tag}&sort=name&page_size=4&page=3")).await;
    assert!(last_by_number["next_page_token"].is_null());
    assert_eq!(tenant.list(&format!("q={tag}&page_token=")).await["total"], 9, "an empty token is none");
});

both_stores!(tokens_not_given_for_this_tenant_and_query_get_400, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let stranger = app.tenant().await;
    let tag = unique("forge");
    create_many(&tenant, &tag, 3).await;
    create_many(&stranger, &tag, 3).await;
    let token = token_of(&tenant.list(&format!("q={tag}&page_size=1")).await);
    let mut altered = token.clone().into_bytes();
    altered[4] = if altered[4] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).expect("ascii");
    let foreign = format!("q={tag}&page_size=1&page_token={token}");
    for (who, query) in [
        (&tenant, format!("q={tag}&page_size=1&page_token={altered}")),
        (&tenant, format!("q={tag}&page_size=1&page_token={}", &token[..token.len() - 3])),
        (&tenant, format!("q={tag}&page_size=1&page_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")),
        (&tenant, format!("q={tag}&page_size=1&page_token=not%20base64")),
        (&tenant, format!("q={tag}&sort=name&page_size=1&page_token={token}")),
        (&tenant, format!("q={tag}&order=asc&page_size=1&page_token={token}")),
        (&tenant, format!("q={tag}x&page_size=1&page_token={token}")),
        (&tenant, format!("q={tag}&status=failed&page_size=1&page_token={token}")),
        (&tenant, format!("q={tag}&page=2&page_size=1&page_token={token}")),
        (&stranger, foreign.clone()),
    ] {
        let body = assert_error(who.get(&format!("/havips?{query}")).await, 400, "InvalidParameter").await;
        assert_eq!(body["error"]["field"], "page_token", "{query}");
    }
    assert_eq!(ids_of(&tenant.list(&foreign).await).len(), 1, "the token is good for its own tenant and query");
});

both_stores!(a_token_outlives_the_server_that_gave_it, |app: TestApp| async move {
    // The key is the deployment's, kept in the database: another server (or this one after a
    // restart) reads the tokens it gave.
    let tenant = app.tenant().await;
    let tag = unique("restart");
    create_many(&tenant, &tag, 3).await;
    let first = tenant.list(&format!("q={tag}&page_size=2")).await;
    let token = token_of(&first);
    let db = app.stop().await;
    let again = TestApp::spawn_on(db, |_| {}).await;
    let tenant = tenant.at(&format!("http://{}", again.address));
    let second = tenant.list(&format!("q={tag}&page_size=2&page_token={token}")).await;
    assert_eq!(ids_of(&second).len(), 1);
    assert!(!ids_of(&first).contains(&ids_of(&second)[0]));
});

both_stores!(metrics_count_list_cache_hits_and_misses, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let counter = |text: &str, outcome: &str| -> u64 {
        let series = format!("havip_list_cache_total{{outcome=\"{outcome}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(series.as_str())?.parse().ok()).expect("the series is there")
    };
    let scrape =
        || async { app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text") };
    let before = scrape().await;
    let query = format!("q={}", unique("cache"));
    tenant.list(&query).await;
    tenant.list(&query).await;
    let after = scrape().await;
    assert_eq!(counter(&after, "miss") - counter(&before, "miss"), 1, "the first ask reads the database");
    assert_eq!(counter(&after, "hit") - counter(&before, "hit"), 1, "the second is answered from memory");
});

/// A tenant whose one subnet is a /20, with `n` HAVIPs put straight into the store: names
/// repeat every 7 and creation times every 5 rows, so every sort has ties for the ID to break.
async fn tenant_with_many(app: &TestApp, n: u32) -> Tenant {
    let s = unique("deep").to_lowercase();
    let inventory = serde_json::from_value(json!({
        "vpcs": [{"id": format!("vpc-{s}"), "name": "deep", "cidr": "10.50.0.0/16", "subnets": [
            {"id": format!("subnet-{s}"), "name": "wide", "cidr": "10.50.0.0/20", "gateway": "10.50.0.1"}
        ]}],
        "vms": []
    }))
    .expect("inventory");
    let tenant = app.tenant_with(&inventory).await;
    let tenant_id = app.backend.ensure_tenant(&tenant.name).await.expect("tenant");
    let mut tx = TenantTx::begin(&app.backend.db, &tenant_id).await.expect("begin");
    let project = inventory::projects(&mut tx, &tenant_id).await.expect("projects").remove(0).id;
    let now = now_micros();
    let rows: Vec<NewHavipRow> = (0..n)
        .map(|i| {
            let name = format!("deep-{:03}", (i * 7919) % (n / 7));
            NewHavipRow {
                id: new_id(IdKind::Havip),
                project_id: project.clone(),
                search_text: name.clone(),
                name,
                remark: String::new(),
                vpc_id: format!("vpc-{s}"),
                subnet_id: format!("subnet-{s}"),
                ip: Ipv4::from_u32(0x0A32_0002 + (i * 1237) % 4000),
                status: HavipStatus::Available,
                status_reason: None,
                vrid: 0,
                created_at: now - i64::from(i / 5),
            }
        })
        .collect();
    havips::insert(&mut tx, &rows).await.expect("insert");
    tx.commit().await.expect("commit");
    tenant
}

both_stores!(deep_pages_are_the_rows_a_walk_meets_there, |app: TestApp| async move {
    // Past the first hundred rows a page starts from a kept position of its view; a search's
    // or a filter's page sorts its matches, and past the middle of a search it is counted from
    // the end: in every case it is the walk's rows there.
    let n = 2_600;
    let tenant = tenant_with_many(&app, n).await;
    for view in [
        "sort=created_at",
        "sort=created_at&order=asc",
        "sort=name",
        "sort=name&order=desc",
        "sort=ip",
        "sort=ip&order=desc",
        "q=deep-&sort=name",
        "status=available&sort=ip&order=desc",
    ] {
        let mut walk = Vec::new();
        let mut query = format!("{view}&page_size=100");
        loop {
            let page = tenant.list(&query).await;
            walk.extend(ids_of(&page));
            match page["next_page_token"].as_str() {
                Some(token) => query = format!("{view}&page_size=100&page_token={token}"),
                None => break,
            }
        }
        assert_eq!(walk.len(), n as usize, "{view}: the walk meets every row");
        for page in [2, 20, 21, 22, 30, 40, 51, 52, 53] {
            let listed = tenant.list(&format!("{view}&page_size=50&page={page}")).await;
            let from = (page - 1) * 50;
            let expected = &walk[from.min(walk.len())..(from + 50).min(walk.len())];
            assert_eq!(ids_of(&listed), expected, "{view}: page {page}");
            assert_eq!(
                listed["next_page_token"].is_string(),
                from + 50 < walk.len(),
                "{view}: page {page} says what follows"
            );
        }
    }
});
