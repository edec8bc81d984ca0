//! The Excel download (issue 6): read back with an independent reader (calamine) and compared
//! cell by cell with the REST list; formulas stay text; 10,000 rows in one request.

use crate::both_stores;
use crate::support::{Store, TestApp};
use calamine::{Data, Reader, Xlsx};
use serde_json::{Value, json};
use std::io::Cursor;

/// Every row of the first sheet as text (dates as calamine shows them).
pub fn read_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an xlsx file");
    let sheet = workbook.worksheet_range_at(0).expect("a sheet").expect("readable");
    sheet.rows().map(|row| row.iter().map(|cell| cell.to_string()).collect()).collect()
}

both_stores!(every_cell_matches_the_list, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    for (i, name) in ["alpha", "beta", "gamma"].iter().enumerate() {
        let havip = tenant.create(json!({"name": name, "remark": format!("remark {i}"), "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0), "vm_ids": &vms[i..i + 2]})).await;
        // Settled, so that the file and the list see the same statuses.
        tenant.settled(havip["id"].as_str().expect("id")).await;
    }
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
        ["Name", "Remark", "Resource ID", "Status", "VPC", "Subnet", "IP address", "Bound VMs", "Project", "Created"]
    );
    let listed: Value = tenant.list("sort=created_at&order=asc&page_size=100").await;
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
            havip["project"]["name"].as_str().unwrap_or_default().to_owned(),
        ];
        let texts: Vec<String> = row[..9].iter().map(|c| c.to_string()).collect();
        assert_eq!(texts, expected);
        // The creation time is a real date-time cell, to the second.
        let Data::DateTime(created) = &row[9] else { panic!("not a date cell: {:?}", row[9]) };
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
    let seconds_of_first = |rows: &[Vec<String>]| {
        let days: f64 = rows[1][9].parse().expect("a date cell (days since 1899-12-30)");
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
});

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
    }
}
