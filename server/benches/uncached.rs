//! Loads the list cache cannot answer: within a run no request asks for a page that one before
//! it asked for (distinct search terms, random pages of the whole range with random sorts and
//! orders, filters), so every answer is computed. Each row says how many answers the cache gave
//! (from the server's /metrics), which shows the load is what it claims. And a client that lists
//! everything: the 100,000 HAVIPs of the large tenant by cursor.

use super::{CONCURRENCY, Load, Row, Server, wrk};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use server::service::Backend;
use sqlx::Row as _;
use std::collections::HashSet;
use std::time::Instant;

const SORTS: [&str; 6] = [
    "sort=created_at&order=desc",
    "sort=created_at&order=asc",
    "sort=name",
    "sort=name&order=desc",
    "sort=ip",
    "sort=ip&order=desc",
];
const PAGE_SIZE: u64 = 50;

pub async fn rows(store: &str, server: &Server, token: &str, backend: &Backend) -> anyhow::Result<Vec<Row>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_204);
    let mut rows = Vec::new();

    let mut searches: Vec<String> = search_terms()
        .iter()
        .flat_map(|term| SORTS.map(|sort| format!("/api/v1/havips?page_size={PAGE_SIZE}&q={term}&{sort}")))
        .collect();
    searches.shuffle(&mut rng);
    let (load, cached) = run(server, token, &searches).await?;
    rows.push(Row::p95(store, "search, 1,310 distinct terms (0.1-10 % match) x 6 sorts, 32 clients", &load, 50.0));
    rows.push(cache_row(store, &load, cached));

    let total = tenant_havips(backend).await?;
    let mut pages: Vec<String> = (1..=total.div_ceil(PAGE_SIZE))
        .flat_map(|page| SORTS.map(|sort| format!("/api/v1/havips?page_size={PAGE_SIZE}&page={page}&{sort}")))
        .collect();
    pages.shuffle(&mut rng);
    let (load, cached) = run(server, token, &pages).await?;
    rows.push(Row::p95(store, "random page of all 2,000 x 6 sorts, 32 clients", &load, 50.0));
    rows.push(cache_row(store, &load, cached));

    let mut filtered = filtered_pages(backend).await?;
    filtered.shuffle(&mut rng);
    let (load, cached) = run(server, token, &filtered).await?;
    rows.push(Row::p95(store, "random page by status, VPC or subnet x 6 sorts, 32 clients", &load, 50.0));
    rows.push(cache_row(store, &load, cached));

    rows.push(cursor_walk(store, server, token).await?);
    Ok(rows)
}

/// Terms drawn from the data, of the selectivities users type: 4-digit name prefixes (100 rows,
/// 0.1 %), the remarks' batches (143 rows), 3 digits anywhere (about 720 rows, 0.7 %) and
/// 2-digit name prefixes (10,000 rows, 10 %).
fn search_terms() -> Vec<String> {
    let mut terms: Vec<String> = (0..200).map(|n| format!("havip-{:04}", n * 5)).collect();
    terms.extend((0..100).map(|n| format!("batch%20{n}%20p")));
    terms.extend((0..1000).map(|n| format!("{n:03}")));
    terms.extend((0..10).map(|n| format!("havip-0{n}")));
    terms
}

/// Runs the paths at 32 clients, each asked at most once (the two wrk threads take turns);
/// answers wrk's figures and how many answers came from the list cache.
async fn run(server: &Server, token: &str, paths: &[String]) -> anyhow::Result<(Load, u64)> {
    let script = format!(
        r#"
local paths = {{{}}}
local counter = 0
local threads = 0
setup = function(thread) thread:set("offset", threads); threads = threads + 1 end
request = function()
  local i = counter * 2 + offset
  counter = counter + 1
  return wrk.format(nil, paths[(i % #paths) + 1])
end
"#,
        paths.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(",")
    );
    let before = cache_answers(server).await?;
    let load = wrk(
        &format!("{}/api/v1/havips", server.base),
        &[&format!("Authorization: Bearer {token}")],
        CONCURRENCY,
        Some(&script),
    )?;
    let after = cache_answers(server).await?;
    anyhow::ensure!(load.errors == 0, "{} requests failed", load.errors);
    Ok((load, after.0 - before.0))
}

fn cache_row(store: &str, load: &Load, cached: u64) -> Row {
    Row::info(
        store,
        "  its throughput, and answers the list cache gave",
        format!("{:.0}/s; {cached} of {:.0} from the cache", load.rps, load.requests),
    )
}

/// The list cache's hits and misses so far, from /metrics.
async fn cache_answers(server: &Server) -> anyhow::Result<(u64, u64)> {
    let text = reqwest::get(format!("{}/metrics", server.base)).await?.text().await?;
    let series = |outcome: &str| {
        let name = format!("havip_list_cache_total{{outcome=\"{outcome}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(name.as_str())?.parse::<u64>().ok()).unwrap_or_default()
    };
    Ok((series("hit"), series("miss")))
}

async fn tenant_havips(backend: &Backend) -> anyhow::Result<u64> {
    let row = sqlx::query("SELECT COUNT(*) FROM havips h JOIN tenants t ON t.id = h.tenant_id WHERE t.name = 'scale'")
        .fetch_one(&backend.db.read)
        .await?;
    Ok(u64::try_from(row.get::<i64, _>(0))?)
}

/// Every page of every status, VPC and subnet of the large tenant, in each sort.
async fn filtered_pages(backend: &Backend) -> anyhow::Result<Vec<String>> {
    let mut paths = Vec::new();
    for (column, parameter) in [("status", "status"), ("vpc_id", "vpc_id"), ("subnet_id", "subnet_id")] {
        let groups = sqlx::query(&format!(
            "SELECT h.{column}, COUNT(*) FROM havips h JOIN tenants t ON t.id = h.tenant_id WHERE t.name = 'scale' GROUP BY h.{column}"
        ))
        .fetch_all(&backend.db.read)
        .await?;
        for group in groups {
            let (value, count): (String, i64) = (group.get(0), group.get(1));
            for page in 1..=u64::try_from(count)?.div_ceil(PAGE_SIZE) {
                paths.extend(SORTS.map(|sort| {
                    format!("/api/v1/havips?page_size={PAGE_SIZE}&{parameter}={value}&page={page}&{sort}")
                }));
            }
        }
    }
    Ok(paths)
}

/// One client lists every HAVIP of the large tenant, 100 a page, by `next_page_token`.
async fn cursor_walk(store: &str, server: &Server, token: &str) -> anyhow::Result<Row> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut seen = HashSet::new();
    let mut rows = 0usize;
    let mut next: Option<String> = None;
    let mut pages = 0;
    let total = loop {
        let mut request =
            http.get(format!("{}/api/v1/havips", server.base)).bearer_auth(token).query(&[("page_size", "100")]);
        if let Some(token) = &next {
            request = request.query(&[("page_token", token)]);
        }
        let response = request.send().await?;
        anyhow::ensure!(response.status() == 200, "page {pages} answered {}", response.status());
        let page: serde_json::Value = response.json().await?;
        pages += 1;
        for item in page["items"].as_array().into_iter().flatten() {
            rows += 1;
            seen.insert(item["id"].as_str().unwrap_or_default().to_owned());
        }
        match page["next_page_token"].as_str() {
            Some(token) => next = Some(token.to_owned()),
            None => break page["total"].as_u64().unwrap_or_default(),
        }
    };
    let took = started.elapsed().as_secs_f64();
    let whole = rows as u64 == total && seen.len() == rows;
    Ok(Row::new(
        store,
        "list all HAVIPs by cursor, page_size=100, one client",
        format!("{rows} rows ({} distinct of {total}) in {pages} pages, {took:.1} s", seen.len()),
        "under 10 s, each row once",
        took < 10.0 && whole,
    ))
}
