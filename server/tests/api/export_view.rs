//! The download of the list's current view (issue 18): the same search, filters and sort as
//! the list, every page of it, as Excel, CSV (formula-safe) or JSON lines; without view
//! parameters, the whole tenant as before.

use crate::both_stores;
use crate::export::read_rows;
use crate::support::{Tenant, TestApp, assert_error};
use serde_json::{Value, json};

/// Every name the list shows for `query`, over all its pages.
async fn listed_names(tenant: &Tenant, query: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page = tenant.list(&format!("{query}&page_size=7&page_token={token}")).await;
        names.extend(
            page["items"].as_array().expect("items").iter().map(|h| h["name"].as_str().expect("name").to_owned()),
        );
        match page["next_page_token"].as_str() {
            Some(next) => token = next.to_owned(),
            None => return names,
        }
    }
}

async fn download(tenant: &Tenant, query: &str) -> (String, Vec<u8>) {
    let response = tenant.get(&format!("/havips/export?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    let kind = response.headers()["content-type"].to_str().expect("type").to_owned();
    (kind, response.bytes().await.expect("bytes").to_vec())
}

both_stores!(a_view_downloads_as_the_list_shows_it, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let stranger = app.tenant().await;
    stranger.create(stranger.create_body("view-of-another-tenant", &[])).await;
    for i in 0..23 {
        let mut body = tenant.create_body(&format!("view-{i:02}"), &[]);
        body["remark"] = json!(if i == 5 { "=HYPERLINK(\"http://x\")" } else { "plain" });
        tenant.create(body).await;
    }
    tenant.create(tenant.create_body("unrelated", &[])).await;

    // JSON lines: every page of the view, in its order, with stable keys.
    let query = "q=view&sort=name&order=desc";
    let expected = listed_names(&tenant, query).await;
    assert_eq!(expected.len(), 23);
    let (kind, body) = download(&tenant, &format!("{query}&format=json")).await;
    assert_eq!(kind, "application/x-ndjson");
    let lines: Vec<Value> = String::from_utf8(body)
        .expect("utf-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let names: Vec<&str> = lines.iter().filter_map(|line| line["name"].as_str()).collect();
    assert_eq!(names, expected);
    let first = &lines[0];
    assert_eq!(first["vpc"]["id"], tenant.vpc(0).as_str());
    assert!(first["vpc"]["name"].is_string() && first["subnet"]["name"].is_string(), "{first}");
    assert!(first["created_at"].as_str().is_some_and(|at| at.ends_with('Z')), "{first}");
    assert!(first["status"].is_string() && first["health"].is_string(), "{first}");

    // CSV: the workbook's columns in the asked language, formulas kept as text.
    let (kind, body) = download(&tenant, &format!("{query}&format=csv&lang=en")).await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark for spreadsheet programs");
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    assert_eq!(header[..3], ["Name", "Remark", "Resource ID"]);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    let csv_names: Vec<&str> = records.iter().map(|r| &r[0]).collect();
    assert_eq!(csv_names, expected);
    let formula = records.iter().find(|r| &r[0] == "view-05").expect("view-05");
    assert_eq!(&formula[1], "'=HYPERLINK(\"http://x\")");

    // Excel, filtered by status too; the same rows.
    let (_, body) = download(&tenant, "q=view&status=creating&status=available&sort=name").await;
    let rows = read_rows(&body);
    let mut ascending = expected.clone();
    ascending.reverse();
    assert_eq!(rows[1..].iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ascending);

    // Without view parameters: the whole tenant, as before, by either name.
    let (_, whole) = download(&tenant, "format=json").await;
    assert_eq!(String::from_utf8(whole).expect("utf-8").lines().count(), 24);
    let old_name = tenant.get("/havips/export.xlsx?q=unrelated").await;
    assert_eq!(read_rows(&old_name.bytes().await.expect("bytes")).len(), 2);

    // The file holds every page, whatever paging the request names.
    let (_, paged) = download(&tenant, "q=view&page=9&page_size=500&format=json").await;
    assert_eq!(String::from_utf8(paged).expect("utf-8").lines().count(), 23);

    // A view that cannot be is refused like the list's.
    for bad in ["status=bogus", "sort=size", "format=pdf", "q=%01"] {
        assert_error(tenant.get(&format!("/havips/export?{bad}")).await, 400, "InvalidParameter").await;
    }
});
