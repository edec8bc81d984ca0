//! The Excel download (issue 6): read back with an independent reader (calamine) and compared
//! cell by cell with the REST list; formulas stay text; 10,000 rows in one request.

use crate::both_stores;
use crate::support::{Store, Tenant, TestApp};
use calamine::{Data, Reader, Xlsx};
use serde_json::{Value, json};
use std::io::Cursor;

/// Every row of the first sheet as text (dates as calamine shows them).
pub fn read_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an xlsx file");
    let sheet = workbook.worksheet_range_at(0).expect("a sheet").expect("readable");
    sheet.rows().map(|row| row.iter().map(|cell| cell.to_string()).collect()).collect()
}

/// Sends an agent's report for its VM: whether it holds each HAVIP's address.
async fn report(app: &TestApp, tenant: &Tenant, vm: &str, holds: &[(&str, bool)]) {
    let (_, token) = app.backend.create_agent_token_at_host(vm, None).await.expect("agent token");
    let havips: Vec<Value> = holds
        .iter()
        .map(|(id, held)| json!({"havip_id": id, "holds_vip": held, "vrrp_state": if *held { "MASTER" } else { "BACKUP" }}))
        .collect();
    // A long interval: no agent falls silent while the test runs.
    let body = json!({"seq": 1, "observed_at": "2026-12-04T10:00:00Z", "interval_ms": 60000, "keepalived_running": true, "havips": havips});
    assert_eq!(tenant.with_token(token).post("/agent/reports", &body).await.status(), 200);
}

both_stores!(every_cell_matches_the_list, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let mut ids = Vec::new();
    for (i, name) in ["alpha", "beta", "gamma", "delta"].iter().enumerate() {
        let havip = tenant.create(json!({"name": name, "remark": format!("remark {i}"), "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0), "vm_ids": &vms[i..i + 2]})).await;
        let id = havip["id"].as_str().expect("id").to_owned();
        // Settled, so that the file and the list see the same statuses.
        tenant.settled(&id).await;
        ids.push(id);
    }
    // alpha has a master (VM 0), beta a split brain (VMs 1 and 2), gamma a master whose peer has
    // no agent (VM 2, degraded), and no agent reports on delta's VMs (unknown). No HAVIP is left
    // without a holder: that would turn into no_master while the test reads.
    let (alpha, beta, gamma) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());
    report(&app, &tenant, &vms[0], &[(alpha, true)]).await;
    report(&app, &tenant, &vms[1], &[(alpha, false), (beta, true)]).await;
    report(&app, &tenant, &vms[2], &[(beta, true), (gamma, true)]).await;
    other.create(other.create_body("not-in-this-file", &[])).await;
    let response = tenant.get("/havips/export.xlsx?lang=en").await;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().expect("header").to_owned();
    assert!(
        disposition.contains("attachment; filename=\"havips-") && disposition.ends_with(".xlsx\""),
        "{disposition}"
    );
    let bytes = response.bytes().await.expect("bytes");

    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("xlsx");
    let sheet = workbook.worksheet_range_at(0).expect("sheet").expect("range");
    let header: Vec<String> = sheet.rows().next().expect("header").iter().map(|c| c.to_string()).collect();
    assert_eq!(
        header,
        [
            "Name",
            "Remark",
            "Resource ID",
            "Status",
            "VPC",
            "Subnet",
            "IP address",
            "Bound VMs",
            "Master",
            "Project",
            "Created"
        ]
    );
    // In the list's default order: newest first.
    let listed: Value = tenant.list("page_size=100").await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(sheet.height() - 1, items.len(), "one row per HAVIP");
    for (row, havip) in sheet.rows().skip(1).zip(items) {
        let vms = havip["vms"]
            .as_array()
            .expect("vms")
            .iter()
            .map(|vm| {
                format!("{} ({})", vm["name"].as_str().unwrap_or_default(), vm["ip"].as_str().unwrap_or_default())
            })
            .collect::<Vec<_>>()
            .join(", ");
        let status = match havip["status"].as_str() {
            Some("available") => "Available",
            Some("creating") => "Creating",
            Some("failed") => "Failed",
            _ => "Deleting",
        };
        let expected = [
            havip["name"].as_str().unwrap_or_default().to_owned(),
            havip["remark"].as_str().unwrap_or_default().to_owned(),
            havip["id"].as_str().unwrap_or_default().to_owned(),
            status.to_owned(),
            havip["vpc"]["name"].as_str().unwrap_or_default().to_owned(),
            format!(
                "{} ({})",
                havip["subnet"]["name"].as_str().unwrap_or_default(),
                havip["subnet"]["cidr"].as_str().unwrap_or_default()
            ),
            havip["ip"].as_str().unwrap_or_default().to_owned(),
            vms,
            master_as_listed(havip),
            havip["project"]["name"].as_str().unwrap_or_default().to_owned(),
        ];
        let texts: Vec<String> = row[..10].iter().map(|c| c.to_string()).collect();
        assert_eq!(texts, expected);
        // The creation time is a real date-time cell, to the second.
        let Data::DateTime(created) = &row[10] else { panic!("not a date cell: {:?}", row[10]) };
        let listed_time =
            app::domain::time::Timestamp::parse_rfc3339(havip["created_at"].as_str().expect("time")).expect("rfc3339");
        let cell_seconds = (created.as_f64() - 25569.0) * 86400.0;
        assert!(
            (cell_seconds - listed_time.as_unix_seconds() as f64).abs() < 1.0,
            "{cell_seconds} vs {}",
            listed_time.as_unix_seconds()
        );
    }
    // Times in the zone asked for (the console's zone cookie by default): China is 8 hours ahead.
    let name_of = |vm: &str| {
        let listed = items.iter().flat_map(|h| h["vms"].as_array().cloned().unwrap_or_default());
        listed.into_iter().find(|v| v["id"] == vm).and_then(|v| v["name"].as_str().map(str::to_owned)).expect("a VM")
    };
    let masters: Vec<String> = sheet.rows().skip(1).map(|row| row[8].to_string()).collect();
    let split = format!("Split brain: {}, {}", name_of(&vms[1]), name_of(&vms[2]));
    assert_eq!(masters, ["—".to_owned(), name_of(&vms[2]), split, name_of(&vms[0])]);
    let seconds_of_first = |rows: &[Vec<String>]| {
        let days: f64 = rows[1][10].parse().expect("a date cell (days since 1899-12-30)");
        ((days - 25569.0) * 86400.0).round() as i64
    };
    let utc = read_rows(&tenant.get("/havips/export.xlsx").await.bytes().await.expect("bytes"));
    let asked = read_rows(&tenant.get("/havips/export.xlsx?utc_offset=480").await.bytes().await.expect("bytes"));
    let by_cookie = tenant
        .request(reqwest::Method::GET, "/havips/export.xlsx")
        .header("cookie", "havip_utc_offset=480")
        .send()
        .await
        .expect("export");
    let by_cookie = read_rows(&by_cookie.bytes().await.expect("bytes"));
    let first =
        app::domain::time::Timestamp::parse_rfc3339(items[0]["created_at"].as_str().expect("time")).expect("time");
    assert_eq!(seconds_of_first(&utc), first.as_unix_seconds());
    assert_eq!(seconds_of_first(&asked), first.as_unix_seconds() + 8 * 3600);
    assert_eq!(seconds_of_first(&by_cookie), first.as_unix_seconds() + 8 * 3600);
    crate::support::assert_error(tenant.get("/havips/export.xlsx?utc_offset=9000").await, 400, "InvalidParameter")
        .await;
    // Chinese headers and statuses by default.
    let rows = read_rows(&tenant.get("/havips/export.xlsx").await.bytes().await.expect("bytes"));
    assert_eq!(rows[0][0], "名称");
    assert!(rows[1..].iter().all(|row| row[3] == "可用"));
    assert_eq!(rows[3][8], format!("脑裂：{}、{}", name_of(&vms[1]), name_of(&vms[2])));
});

/// What the list says of a HAVIP's master, as the file's 主节点 column should say it in English.
fn master_as_listed(havip: &Value) -> String {
    let vms = havip["vms"].as_array().cloned().unwrap_or_default();
    let name = |id: &Value| vms.iter().find(|vm| vm["id"] == *id).map(|vm| vm["name"].as_str().unwrap_or_default());
    match (havip["master_vm_id"].as_str(), havip["ha"]["health"].as_str()) {
        (Some(_), _) => name(&havip["master_vm_id"]).unwrap_or_default().to_owned(),
        (None, Some("split_brain")) => {
            let holders = havip["ha"]["holders"].as_array().cloned().unwrap_or_default();
            format!("Split brain: {}", holders.iter().filter_map(name).collect::<Vec<_>>().join(", "))
        }
        (None, Some("no_master")) => "No master".to_owned(),
        _ => "—".to_owned(),
    }
}

both_stores!(formula_text_stays_text, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let hyperlink = "=HYPERLINK(\"http://example.invalid\",\"x\")";
    tenant.create(json!({"name": "-minus-first", "remark": hyperlink, "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)})).await;
    tenant
        .create(json!({"name": "plain", "remark": "+1 @a", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)}))
        .await;
    let bytes = tenant.get("/havips/export.xlsx").await.bytes().await.expect("bytes");
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("xlsx");
    let formulas = workbook.worksheet_formula("HAVIP").expect("formulas");
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no cell holds a formula");
    let rows = read_rows(&bytes);
    let cells: Vec<&String> = rows.iter().flatten().collect();
    assert!(cells.iter().any(|c| c.as_str() == hyperlink), "the remark, as text");
    assert!(cells.iter().any(|c| c.as_str() == "-minus-first"));
    assert!(cells.iter().any(|c| c.as_str() == "+1 @a"));
    // The cells starting with a formula character carry the quote prefix.
    let sheet_xml = unzip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!sheet_xml.contains("<f>"), "no formula element");
    let styles = unzip_entry(&bytes, "xl/styles.xml");
    assert!(styles.contains("quotePrefix=\"1\""), "a quote-prefix style exists");
});

fn unzip_entry(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("zip");
    let mut file = archive.by_name(name).expect("entry");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).expect("utf-8");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_rows_in_one_request() {
    for store in [Store::Sqlite, Store::Postgres] {
        let app = TestApp::spawn(store).await;
        let tenant = app.tenant().await;
        let tenant_id = app.backend.ensure_tenant(&tenant.name).await.expect("tenant");
        let layout =
            server::seed::Layout { first_vpc: 0, vpcs: 1, subnets_per_vpc: 4, vms_per_subnet: 500, havips: 10_000 };
        server::seed::populate(&app.backend, &tenant_id, layout).await.expect("seed");
        assert_eq!(tenant.list("page_size=1").await["total"], 10_000);
        let response = tenant.get("/havips/export.xlsx").await;
        assert_eq!(response.status(), 200);
        let rows = read_rows(&response.bytes().await.expect("bytes"));
        assert_eq!(rows.len(), 10_001, "{store:?}: header and 10,000 rows");
        let ids: std::collections::HashSet<&String> = rows[1..].iter().map(|row| &row[2]).collect();
        assert_eq!(ids.len(), 10_000, "each HAVIP once");
        // Newest first, as the list shows them, across the chunks the file is read in.
        assert_eq!(Some(rows[1][2].as_str()), tenant.list("page_size=1").await["items"][0]["id"].as_str());
        let created: Vec<f64> = rows[1..].iter().map(|row| row[10].parse().expect("a date cell")).collect();
        assert!(created.windows(2).all(|w| w[0] >= w[1]), "{store:?}: newest first throughout");
    }
}
