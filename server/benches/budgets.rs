//! `make bench`: measures every speed budget of quality.md on the scale data set, on SQLite and
//! on Postgres, with the release build, and prints one line per budget with its figure, the
//! budget and whether it is met. HTTP load comes from wrk (Debian's package) on loopback.
//! Everything stops by itself within 15 minutes.

mod ha;
mod rolling;
mod uncached;

use serde_json::{Value, json};
use server::db::Db;
use server::service::Backend;
use server::settings::Settings;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(15 * 60);
const CONCURRENCY: usize = 32;
const LOAD_SECONDS: u64 = 8;

fn main() {
    // The whole run stops within 15 minutes, whatever happens.
    std::thread::spawn(|| {
        std::thread::sleep(DEADLINE);
        eprintln!("bench: 15 minutes are up; stopping");
        std::process::exit(2);
    });
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("bench: wrk is missing (apt-get install wrk); `make bench` installs it as root");
        std::process::exit(1);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let mut report = Vec::new();
    report.extend(wasm_size());
    // BENCH_STORES=postgres (or sqlite) measures one store only.
    let only = std::env::var("BENCH_STORES").unwrap_or_default();
    for store in ["sqlite", "postgres"].into_iter().filter(|s| only.is_empty() || only.split(',').any(|o| o == *s)) {
        match runtime.block_on(bench_store(store)) {
            Ok(rows) => report.extend(rows),
            Err(error) => report.push(Row::failed(store, &format!("the run failed: {error:#}"))),
        }
    }
    print_report(&report);
}

/// One line of the report.
struct Row {
    store: String,
    what: String,
    figure: String,
    budget: String,
    met: Option<bool>,
}

impl Row {
    fn new(store: &str, what: &str, figure: String, budget: &str, met: bool) -> Row {
        Row { store: store.into(), what: what.into(), figure, budget: budget.into(), met: Some(met) }
    }

    /// A latency row: the percentiles under load, met when p95 is under the budget and no
    /// request failed.
    fn p95(store: &str, what: &str, load: &Load, budget_ms: f64) -> Row {
        Row::new(
            store,
            what,
            load.percentiles(),
            &format!("p95 under {budget_ms:.0} ms"),
            load.p95_ms < budget_ms && load.errors == 0,
        )
    }

    /// A figure reported without a budget.
    fn info(store: &str, what: &str, figure: String) -> Row {
        Row { store: store.into(), what: what.into(), figure, budget: "(no budget)".into(), met: None }
    }

    fn failed(store: &str, why: &str) -> Row {
        Row { store: store.into(), what: "run".into(), figure: why.into(), budget: String::new(), met: Some(false) }
    }
}

fn print_report(rows: &[Row]) {
    println!();
    println!("{:<9} {:<58} {:<44} {:<32} met", "store", "budget row", "measured", "budget");
    println!("{}", "-".repeat(150));
    for row in rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        println!("{:<9} {:<58} {:<44} {:<32} {met}", row.store, row.what, row.figure, row.budget);
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf()
}

/// The WebAssembly as built, and as sent: brotli at quality 11, compressed at build time.
fn wasm_size() -> Vec<Row> {
    let site = workspace().join("target/site");
    let Some(name) = server::http::site_name(&site) else {
        return vec![Row::failed("-", "target/site holds no built site: build the release site first")];
    };
    let size = |suffix: &str| std::fs::metadata(site.join(format!("pkg/{name}.wasm{suffix}"))).map(|m| m.len());
    let (Ok(raw), Ok(brotli), Ok(gzip)) = (size(""), size(".br"), size(".gz")) else {
        return vec![Row::failed("-", &format!("target/site/pkg/{name}.wasm and its compressed files are missing"))];
    };
    let kb = |bytes: u64| bytes as f64 / 1024.0;
    // Its budget is on what a browser is sent, which the hydration rows measure.
    vec![Row::info(
        "-",
        "WebAssembly of the console, release, as built",
        format!("{:.0} KB raw, {:.0} KB brotli, {:.0} KB gzip", kb(raw), kb(brotli), kb(gzip)),
    )]
}

async fn bench_store(store: &str) -> anyhow::Result<Vec<Row>> {
    let dir = tempfile::tempdir()?;
    let url = match store {
        "sqlite" => format!("sqlite:{}", dir.path().join("havip.db").display()),
        _ => testkit::postgres::fresh_database().await,
    };
    eprintln!("bench[{store}]: seeding the scale data set");
    let seeded = Instant::now();
    let settings = Settings::for_database(url.clone());
    let backend = Backend::new(Db::connect(&url, 8).await?, Arc::new(settings));
    let data = server::seed::scale(&backend, 100_000, 99).await.map_err(anyhow::Error::msg)?;
    let (_, token) = backend.create_token(&data.username).await.map_err(anyhow::Error::msg)?;
    eprintln!("bench[{store}]: seeded in {:.0} s", seeded.elapsed().as_secs_f64());
    let spare_vms = spare_vms(&backend).await?;

    let server = Server::start(&url)?;
    let http = reqwest::Client::new();
    let session = login(&http, &server.base, &data.username, &data.password).await?;
    let mut rows = Vec::new();

    // Idle memory: started, one page served, then left alone for a moment.
    http.get(format!("{}/havips", server.base)).header("cookie", format!("havip_session={session}")).send().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = server.rss_kb();
    rows.push(Row::new(
        store,
        "idle server, resident memory",
        format!("{:.1} MB", idle as f64 / 1024.0),
        "under 50 MB",
        idle < 50 * 1024,
    ));

    let auth = format!("Authorization: Bearer {token}");
    let health = wrk(&format!("{}/healthz", server.base), &[], CONCURRENCY, None)?;
    let list = wrk(&format!("{}/api/v1/havips?page_size=50", server.base), &[&auth], CONCURRENCY, None)?;
    rows.push(Row::p95(store, "GET /api/v1/havips?page_size=50, p95 at 32 clients", &list, 20.0));
    let ratio = list.rps / health.rps;
    rows.push(Row::new(
        store,
        "  its throughput as a share of GET /healthz",
        format!("{:.0}/s vs {:.0}/s = {:.2}", list.rps, health.rps, ratio),
        "at least 1/3",
        ratio >= 1.0 / 3.0,
    ));
    // Searches cycle through 60 different terms. The index's own latency is measured on terms
    // never asked before; the load then measures the steady state, every term asked once.
    let terms: Vec<String> = (0..60)
        .map(|i| if i % 3 == 0 { format!("batch {} primary", i % 100) } else { format!("havip-0{:03}", i * 37 % 1000) })
        .collect();
    let cold = Sequential::measure(searches(&http, &server.base, &token, &terms[..20])).await?;
    rows.push(Row::new(
        store,
        "the same with q= of 3+ characters, first ask (20 terms)",
        cold.figure(),
        "p95 under 50 ms",
        cold.p95 < 50.0,
    ));
    // Steady state: every term asked once before the load.
    Sequential::measure(searches(&http, &server.base, &token, &terms)).await?;
    let script = format!(
        "local terms = {{{}}}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, '/api/v1/havips?page_size=50&q=' .. terms[(n % #terms) + 1])\nend\n",
        terms.iter().map(|t| format!("\"{}\"", t.replace(' ', "%20"))).collect::<Vec<_>>().join(",")
    );
    let search = wrk(&format!("{}/api/v1/havips", server.base), &[&auth], CONCURRENCY, Some(&script))?;
    rows.push(Row::p95(store, "  under load at 32 clients, 60 terms, p95", &search, 50.0));
    // Pages are kept once rendered: the first render of a view is measured apart.
    let renders = Sequential::measure((1..=20).map(|page| {
        http.get(format!("{}/havips?page_size=50&page={page}", server.base))
            .header("cookie", format!("havip_session={session}"))
    }))
    .await?;
    rows.push(Row::new(
        store,
        "SSR of /havips (50 rows), first render of 20 views",
        renders.figure(),
        "p95 under 50 ms",
        renders.p95 < 50.0,
    ));
    let cookie = format!("Cookie: havip_session={session}");
    let ssr = wrk(&format!("{}/havips?page_size=50", server.base), &[&cookie], CONCURRENCY, None)?;
    rows.push(Row::p95(store, "  under load at 32 clients (the same view), p95", &ssr, 50.0));

    rows.extend(uncached::rows(store, &server, &token, &backend).await?);

    let create = create_load(&server.base, &token, &spare_vms)?;
    let intact = invariants_hold(&backend).await?;
    rows.push(Row::new(
        store,
        "create with 3 bindings, sustained",
        format!(
            "{:.0}/s ({} refused), invariants {}",
            create.rps,
            create.errors,
            if intact { "intact" } else { "BROKEN" }
        ),
        "at least 200/s, invariants intact",
        create.rps >= 200.0 && create.errors == 0 && intact,
    ));

    rows.extend(ha::reports(store, &server, &backend).await?);
    // A lab of namespaces that would not come up (or follow) fails its row, not the run.
    match ha::notify_latency(store, &url, &backend, &server).await {
        Ok(latency) => rows.extend(latency),
        Err(error) => rows.push(Row::failed(store, &format!("notify latency: {error:#}"))),
    }
    rows.extend(export(store, &server, &token, &backend).await?);
    if store == "postgres" {
        rows.extend(rolling::rows(store, &url, &token).await?);
    }
    rows.extend(hydration(store, &server.base, &session));
    drop(server);
    backend.db.close().await;
    Ok(rows)
}

/// The p50 and p95 in milliseconds of requests sent one after the other (each a first ask).
struct Sequential {
    p50: f64,
    p95: f64,
}

impl Sequential {
    async fn measure(requests: impl IntoIterator<Item = reqwest::RequestBuilder>) -> anyhow::Result<Sequential> {
        let mut times = Vec::new();
        for request in requests {
            let started = Instant::now();
            let response = request.send().await?;
            anyhow::ensure!(response.status() == 200, "{} answered {}", response.url(), response.status());
            response.bytes().await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        anyhow::ensure!(!times.is_empty(), "nothing was measured");
        times.sort_by(f64::total_cmp);
        let at = |p: f64| times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)];
        Ok(Sequential { p50: at(0.5), p95: at(0.95) })
    }

    fn figure(&self) -> String {
        format!("p50 {:.1} / p95 {:.1} ms", self.p50, self.p95)
    }
}

/// First asks of search terms through the REST API.
fn searches<'a>(
    http: &'a reqwest::Client,
    base: &'a str,
    token: &'a str,
    terms: &'a [String],
) -> impl Iterator<Item = reqwest::RequestBuilder> + 'a {
    terms.iter().map(move |term| {
        http.get(format!("{base}/api/v1/havips")).query(&[("page_size", "50"), ("q", term)]).bearer_auth(token)
    })
}

/// The spare VMs of the large tenant (its last VPC), for the create load.
async fn spare_vms(backend: &Backend) -> anyhow::Result<Vec<(String, String, String)>> {
    let rows = sqlx::query("SELECT m.id, m.vpc_id, m.subnet_id FROM vms m JOIN tenants t ON t.id = m.tenant_id WHERE t.name = 'scale' AND m.private_ip LIKE '10.100.%' ORDER BY m.id")
        .fetch_all(&backend.db.read)
        .await?;
    use sqlx::Row as _;
    Ok(rows.iter().map(|r| (r.get::<String, _>(0), r.get::<String, _>(1), r.get::<String, _>(2))).collect())
}

async fn login(http: &reqwest::Client, base: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let response = http
        .post(format!("{base}/api/fn/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await?;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("havip_session="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("login gave no session"))?;
    Ok(cookie.to_owned())
}

/// The release server as its own process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(url: &str) -> anyhow::Result<Server> {
        Server::start_at("127.0.0.1:0", url, &[])
    }

    /// A server listening on `listen` (a port it had before a restart, say), with more flags.
    fn start_at(listen: &str, url: &str, extra: &[&str]) -> anyhow::Result<Server> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_havip"))
            .args(["serve", "--listen", listen, "--database-url", url])
            .args(extra)
            .arg("--site-root")
            .arg(workspace().join("target/site"))
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()?;
        let base = listening_on(&mut child)?;
        Ok(Server { child, base })
    }

    fn rss_kb(&self) -> u64 {
        rss_kb(self.child.id())
    }

    /// Stops it as a service manager does (SIGTERM) and waits until it has.
    fn terminate(mut self) -> anyhow::Result<()> {
        use nix::sys::signal::{Signal, kill};
        kill(nix::unistd::Pid::from_raw(self.child.id() as i32), Signal::SIGTERM)?;
        let status = self.child.wait()?;
        anyhow::ensure!(status.success(), "the server stopped with {status}");
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The base URL a server started with a piped stdout says it listens on.
fn listening_on(child: &mut Child) -> anyhow::Result<String> {
    let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines.next().ok_or_else(|| anyhow::anyhow!("the server exited"))??;
        if let Some(rest) = line.strip_prefix("HAVIP Console is at ") {
            return Ok(rest.split("/havips").next().unwrap_or_default().to_owned());
        }
    }
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// What wrk measured.
struct Load {
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    rps: f64,
    requests: f64,
    errors: u64,
}

impl Load {
    fn percentiles(&self) -> String {
        format!("p50 {:.1} / p95 {:.1} / p99 {:.1} ms", self.p50_ms, self.p95_ms, self.p99_ms)
    }
}

/// Prints wrk's percentiles and counts in one line that `wrk()` reads.
const REPORT_LUA: &str = r#"
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("BENCH p50=%f p95=%f p99=%f requests=%d seconds=%f errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.duration / 1e6, errors))
end
"#;

fn wrk(url: &str, headers: &[&str], connections: usize, script: Option<&str>) -> anyhow::Result<Load> {
    let dir = tempfile::tempdir()?;
    let lua = dir.path().join("bench.lua");
    std::fs::write(&lua, format!("{}\n{REPORT_LUA}", script.unwrap_or_default()))?;
    let mut command = Command::new("wrk");
    command
        .args(["-t", "2", "-c", &connections.to_string(), "-d", &format!("{LOAD_SECONDS}s"), "--timeout", "10s", "-s"])
        .arg(&lua);
    for header in headers {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().find(|l| l.starts_with("BENCH ")).ok_or_else(|| anyhow::anyhow!("wrk said: {text}"))?;
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).and_then(|v| v.parse().ok()))
            .unwrap_or(f64::NAN)
    };
    Ok(Load {
        p50_ms: field("p50"),
        p95_ms: field("p95"),
        p99_ms: field("p99"),
        rps: field("requests") / field("seconds"),
        requests: field("requests"),
        errors: field("errors") as u64,
    })
}

/// POSTs creates, each binding three spare VMs (no VM ever gets more than it may carry).
fn create_load(base: &str, token: &str, vms: &[(String, String, String)]) -> anyhow::Result<Load> {
    anyhow::ensure!(vms.len() >= 300, "the spare VPC has too few VMs");
    let ids: Vec<String> = vms.iter().map(|(id, _, _)| format!("\"{id}\"")).collect();
    let subnets: Vec<String> = vms.iter().map(|(_, _, subnet)| format!("\"{subnet}\"")).collect();
    let vpc = &vms[0].1;
    let script = format!(
        r#"
local vms = {{{}}}
local subnets = {{{}}}
local counter = 0
local threads = 0
setup = function(thread) thread:set("offset", threads); threads = threads + 1 end
request = function()
  local i = (counter * 2 + offset) * 3
  counter = counter + 1
  local n = #vms
  local body = string.format('{{"name":"bench-%d-%d","vpc_id":"{vpc}","subnet_id":"%s","vm_ids":["%s","%s","%s"]}}',
    offset, counter, subnets[(i % n) + 1], vms[(i % n) + 1], vms[((i + 1) % n) + 1], vms[((i + 2) % n) + 1])
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, body)
end
"#,
        ids.join(","),
        subnets.join(","),
    );
    // Each create is a write transaction: 8 clients keep the single SQLite writer busy.
    wrk(&format!("{base}/api/v1/havips"), &[], 8, Some(&script))
}

/// No VM over its limit, no HAVIP over its limit, no address twice in a subnet.
async fn invariants_hold(backend: &Backend) -> anyhow::Result<bool> {
    let limits = backend.settings.limits;
    let over_vm = sqlx::query(&format!(
        "SELECT vm_id FROM havip_bindings GROUP BY vm_id HAVING COUNT(*) > {}",
        limits.havips_per_vm
    ))
    .fetch_all(&backend.db.read)
    .await?;
    let over_havip = sqlx::query(&format!(
        "SELECT havip_id FROM havip_bindings GROUP BY havip_id HAVING COUNT(*) > {}",
        limits.vms_per_havip
    ))
    .fetch_all(&backend.db.read)
    .await?;
    let twice = sqlx::query("SELECT subnet_id FROM havips GROUP BY subnet_id, ip_num HAVING COUNT(*) > 1")
        .fetch_all(&backend.db.read)
        .await?;
    Ok(over_vm.is_empty() && over_havip.is_empty() && twice.is_empty())
}

/// The export of the large tenant: time, the server's memory growth, and the ratio to
/// rust_xlsxwriter writing the same cells from memory.
async fn export(store: &str, server: &Server, token: &str, backend: &Backend) -> anyhow::Result<Vec<Row>> {
    let http = reqwest::Client::new();
    let pid = server.child.id();
    let mut times = Vec::new();
    let mut growth = 0u64;
    for _ in 0..3 {
        let before = rss_kb(pid);
        let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let peak = {
            let sampling = sampling.clone();
            std::thread::spawn(move || {
                let mut peak = 0;
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(rss_kb(pid));
                    std::thread::sleep(Duration::from_millis(5));
                }
                peak
            })
        };
        let started = Instant::now();
        let response = http.get(format!("{}/api/v1/havips/export.xlsx", server.base)).bearer_auth(token).send().await?;
        anyhow::ensure!(response.status() == 200, "export answered {}", response.status());
        let bytes = response.bytes().await?;
        times.push(started.elapsed().as_secs_f64());
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        let peak = peak.join().unwrap_or(0);
        growth = growth.max(peak.saturating_sub(before));
        anyhow::ensure!(bytes.len() > 1_000_000, "the file is too small to hold 100,000 rows");
    }
    times.sort_by(f64::total_cmp);
    let median = times[1];

    // The same cells, written from memory by the same writer: every row read first.
    let tenant: String = {
        use sqlx::Row as _;
        sqlx::query("SELECT id FROM tenants WHERE name = 'scale'").fetch_one(&backend.db.read).await?.get(0)
    };
    let caller = app::domain::caller::Caller {
        user_id: String::new(),
        tenant_id: tenant,
        profile: app::domain::caller::UserProfile {
            username: String::new(),
            tenant_name: String::new(),
            role: app::domain::caller::Role::Admin,
        },
        request_id: "bench".into(),
        by_token: false,
        tenant_revision: None,
        agent_vm: None,
    };
    let names = backend.export_names(&caller).await.map_err(anyhow::Error::msg)?;
    let mut streamed = backend.tenant_rows(&caller);
    let mut batches = Vec::new();
    while let Some(batch) = streamed.recv().await {
        batches.push(batch);
    }
    let count: usize = batches.iter().map(|b| b.as_ref().map_or(0, Vec::len)).sum();
    let baseline = tokio::task::spawn_blocking(move || {
        let (sender, receiver) = tokio::sync::mpsc::channel(batches.len().max(1));
        for batch in batches {
            let _ = sender.try_send(batch);
        }
        drop(sender);
        let started = Instant::now();
        let sink = std::io::sink();
        server::service::export::write_workbook(&names, receiver, sink, app::i18n::Lang::Zh, Default::default())
            .map(|_| started.elapsed().as_secs_f64())
    })
    .await??;
    let ratio = median / baseline;
    Ok(vec![
        Row::new(
            store,
            &format!("Excel export of the {count} HAVIPs: time"),
            format!("{median:.2} s (median of 3)"),
            "under 3 s",
            median < 3.0,
        ),
        Row::new(
            store,
            "  ratio to rust_xlsxwriter from memory",
            format!("{median:.2} s / {baseline:.2} s = {ratio:.2}"),
            "within 1.5x",
            ratio <= 1.5,
        ),
        Row::new(
            store,
            "  server memory growth",
            format!("{:.1} MB", growth as f64 / 1024.0),
            "under 100 MB",
            growth < 100 * 1024,
        ),
    ])
}

/// Time until the page is interactive, measured in Chromium by end2end/hydration-time.mjs: on
/// loopback, and over an emulated link of 10 Mbit/s with 40 ms round trips, first and repeat.
fn hydration(store: &str, base: &str, session: &str) -> Vec<Row> {
    let output = Command::new("node")
        .current_dir(workspace().join("end2end"))
        .args(["hydration-time.mjs", base, session, "5"])
        .output();
    let (measured, complaint) = match output {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout).to_string();
            let errors = String::from_utf8_lossy(&o.stderr).to_string();
            let last_error = errors.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().trim().to_owned();
            (serde_json::from_str::<Value>(text.lines().last().unwrap_or_default()).ok(), last_error)
        }
        Err(error) => (None, error.to_string()),
    };
    let Some(measured) = measured else {
        return vec![Row::failed(store, &format!("could not measure hydration (is Chromium installed?): {complaint}"))];
    };
    let ms = |key: &str| measured[key].as_f64().unwrap_or(f64::INFINITY);
    let time_row = |what: &str, key: &str, budget_ms: f64| {
        Row::new(
            store,
            what,
            format!("{:.0} ms (median of 5)", ms(key)),
            &format!("under {budget_ms:.0} ms"),
            ms(key) < budget_ms,
        )
    };
    // No WebAssembly seen is no figure, not 0 KB.
    let wasm_kb = measured["wasm_transferred_bytes"].as_f64().filter(|b| *b > 0.0).unwrap_or(f64::INFINITY) / 1024.0;
    let encoding = measured["wasm_encoding"].as_str().unwrap_or("unknown");
    vec![
        time_row("page interactive (hydrated) on loopback", "median_ms", 1000.0),
        time_row("  first visit, 10 Mbit/s, 40 ms round trips", "link_first_ms", 1200.0),
        time_row("  repeat visit, same link", "link_repeat_ms", 400.0),
        Row::new(
            store,
            "  WebAssembly transferred on a first visit",
            format!("{wasm_kb:.0} KB ({encoding})"),
            "under 300 KB (brotli)",
            wasm_kb < 300.0 && encoding == "br",
        ),
    ]
}
