//! The live HA state's budgets: agent reports per second with nothing changing (every VM of the
//! large tenant an agent), and the time from keepalived's notify to the new master in the API.

use super::{Row, Server, wrk};
use app::domain::ids::IdKind;
use server::db::{new_id, now_micros};
use server::service::Backend;
use server::service::accounts::{new_api_token, secret_hash};
use sqlx::Row as _;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Reports in flight while each VM reports once.
const IN_FLIGHT: usize = 32;

/// Every VM of the large tenant that carries HAVIPs gets an agent token and reports once, as a
/// healthy cloud's would (each HAVIP held by its first bound VM, the others its backups); then
/// wrk sends each VM's same report again and again, with growing sequence numbers, at 32
/// clients.
///
/// A report is answered from memory only when the tenant has not moved since its VM's last one
/// was checked; so the first report of each VM after any write of the tenant goes to the
/// database. That is measured too (the second pass), without a budget: after a failover in a
/// tenant of 20,000 VMs, every VM's next report takes that path once.
pub async fn reports(store: &str, server: &Server, backend: &Backend) -> anyhow::Result<Vec<Row>> {
    let agents = agents_of_the_large_tenant(backend).await?;
    eprintln!("bench[{store}]: {} agents report once", agents.len());
    let first = report_each(server, &agents, 1).await?;
    eprintln!("bench[{store}]: first reports at {first:.0}/s; again, each checked against the database");
    let checked = report_each(server, &agents, 2).await?;
    let events_before = event_count(backend).await?;
    let load = wrk(&format!("{}/api/v1/agent/reports", server.base), &[], 32, Some(&report_script(&agents)))?;
    let changed = event_count(backend).await? - events_before;
    let vms = agents.len();
    let after_a_write = Row::info(
        store,
        "  the same, right after a write of the tenant (database)",
        format!("{checked:.0}/s at 32 in flight"),
    );
    Ok(vec![
        Row::new(
            store,
            &format!("agent reports with nothing changing ({vms} VMs), 32 clients"),
            format!("{:.0}/s, {}", load.rps, load.percentiles()),
            "10,000/s, p95 under 20 ms",
            load.rps >= 10_000.0 && load.p95_ms < 20.0 && load.errors == 0 && changed == 0,
        ),
        after_a_write,
    ])
}

/// Every agent sends one report with `seq`, 32 at a time; answers the reports per second.
async fn report_each(server: &Server, agents: &[Agent], seq: u64) -> anyhow::Result<f64> {
    use futures::StreamExt;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut pending = futures::stream::iter(agents.iter().map(|agent| {
        let request = http
            .post(format!("{}/api/v1/agent/reports", server.base))
            .bearer_auth(&agent.token)
            .json(&report_body(seq, &agent.havips));
        async move { request.send().await.map(|r| r.status()) }
    }))
    .buffer_unordered(IN_FLIGHT);
    while let Some(status) = pending.next().await {
        anyhow::ensure!(status? == 200, "report {seq} was refused");
    }
    Ok(agents.len() as f64 / started.elapsed().as_secs_f64())
}

/// A VM's agent for the load: its token and its HAVIPs.
struct Agent {
    token: String,
    /// Its HAVIPs, and whether it holds each (it is the HAVIP's first bound VM).
    havips: Vec<(String, bool)>,
}

/// An agent token for each VM of the large tenant that carries HAVIPs, made in one transaction
/// (as `havip token create --agent` would, one by one).
async fn agents_of_the_large_tenant(backend: &Backend) -> anyhow::Result<Vec<Agent>> {
    let rows = sqlx::query(
        "SELECT b.vm_id, b.havip_id, u.id, b.havip_slot FROM havip_bindings b JOIN tenants t ON t.id = b.tenant_id \
         JOIN users u ON u.tenant_id = t.id WHERE t.name = 'scale' ORDER BY b.vm_id, b.havip_id",
    )
    .fetch_all(&backend.db.read)
    .await?;
    let mut by_vm: BTreeMap<String, (String, Vec<(String, bool)>)> = BTreeMap::new();
    for row in &rows {
        let entry = by_vm.entry(row.get(0)).or_insert_with(|| (row.get(2), Vec::new()));
        let slot: i64 = row.get(3);
        entry.1.push((row.get(1), slot == 0));
    }
    let mut agents = Vec::with_capacity(by_vm.len());
    let mut tx = backend.db.begin().await?;
    let now = now_micros();
    for chunk in by_vm.into_iter().collect::<Vec<_>>().chunks(400) {
        let mut sql = String::from("INSERT INTO api_tokens (id, user_id, token_hash, vm_id, created_at) VALUES ");
        let mut values = Vec::new();
        for (i, (vm, (user, havips))) in chunk.iter().enumerate() {
            let token = new_api_token();
            let n = i * 5;
            sql.push_str(&format!(
                "{}(${}, ${}, ${}, ${}, ${})",
                if i == 0 { "" } else { ", " },
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5
            ));
            values.push((new_id(IdKind::Token), user.clone(), secret_hash(&token), vm.clone()));
            agents.push(Agent { token, havips: havips.clone() });
        }
        let mut query = sqlx::query(&sql);
        for (id, user, hash, vm) in values {
            query = query.bind(id).bind(user).bind(hash).bind(vm).bind(now);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(agents)
}

/// What a VM says of one HAVIP: the master holds the VIP, a backup does not.
fn observation(havip_id: &str, holds: bool) -> serde_json::Value {
    serde_json::json!({"havip_id": havip_id, "holds_vip": holds, "vrrp_state": if holds { "MASTER" } else { "BACKUP" }})
}

/// A report of a VM about its HAVIPs.
fn report_body(seq: u64, havips: &[(String, bool)]) -> serde_json::Value {
    serde_json::json!({
        "seq": seq,
        "observed_at": "2026-12-04T00:00:00Z",
        // A long interval: the load goes round all the VMs every few seconds anyway, and a
        // silence noticed during the run would be a change.
        "interval_ms": 60000,
        "keepalived_running": true,
        "havips": havips.iter().map(|(id, holds)| observation(id, *holds)).collect::<Vec<_>>(),
    })
}

/// wrk's script: each thread takes its share of the VMs in turn, each VM's numbers growing.
fn report_script(agents: &[Agent]) -> String {
    let table: Vec<String> = agents
        .iter()
        .map(|agent| {
            let observations: Vec<String> = agent
                .havips
                .iter()
                // As Lua string literals: the JSON with its quotes escaped.
                .map(|(id, holds)| observation(id, *holds).to_string().replace('"', "\\\""))
                .collect();
            format!("{{\"{}\",\"{}\"}}", agent.token, observations.join(","))
        })
        .collect();
    format!(
        r#"
local agents = {{{}}}
local threads = 0
setup = function(thread) thread:set("share", threads); threads = threads + 1 end
local turn = 0
local seqs = {{}}
request = function()
  local n = #agents
  local i = ((turn * 2 + share) % n) + 1
  turn = turn + 1
  seqs[i] = (seqs[i] or 2) + 1
  local agent = agents[i]
  local body = string.format('{{"seq":%d,"observed_at":"2026-12-04T00:00:00Z","interval_ms":60000,"keepalived_running":true,"havips":[%s]}}', seqs[i], agent[2])
  return wrk.format("POST", "/api/v1/agent/reports", {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. agent[1]}}, body)
end
"#,
        table.join(",\n")
    )
}

async fn event_count(backend: &Backend) -> anyhow::Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM havip_events").fetch_one(&backend.db.read).await?.get(0))
}

/// keepalived's notify to the new master in the API: two agents in network namespaces of their
/// own, the VIP moved from one to the other, `havip agent notify` run, and the API asked every
/// 2 ms until it names the new master. Needs root (namespaces); says so otherwise.
pub async fn notify_latency(
    store: &str,
    database_url: &str,
    backend: &Backend,
    server: &Server,
) -> anyhow::Result<Vec<Row>> {
    const WHAT: &str = "notify to the new master in the API, 20 failovers";
    if !nix::unistd::Uid::effective().is_root() {
        return Ok(vec![Row::failed(store, "the notify latency needs network namespaces: run make bench as root")]);
    }
    let lab = NotifyLab::up(store, database_url, backend).await?;
    let http = reqwest::Client::new();
    let havip = || async {
        let havip: serde_json::Value = http
            .get(format!("{}/api/v1/havips/{}", server.base, lab.havip))
            .bearer_auth(&lab.token)
            .send()
            .await?
            .json()
            .await?;
        Ok::<_, anyhow::Error>(havip)
    };
    let master = || async { Ok::<_, anyhow::Error>(havip().await?["master_vm_id"].as_str().map(str::to_owned)) };
    // What the API said last, to tell a wrong answer from none.
    let last = || async { Ok::<_, anyhow::Error>(havip().await?["ha"].to_string()) };
    let mut holder = 0;
    lab.move_vip(None, holder)?;
    lab.notify(holder, "MASTER")?;
    if let Err(error) = until(|| async { Ok(master().await?.as_deref() == Some(lab.vms[holder].as_str())) }).await {
        return Err(error.context(format!("the first master {}; the API says {}", lab.vms[holder], last().await?)));
    }
    let mut times = Vec::new();
    for _ in 0..20 {
        let next = 1 - holder;
        lab.move_vip(Some(holder), next)?;
        lab.notify(holder, "BACKUP")?;
        let started = Instant::now();
        lab.notify(next, "MASTER")?;
        if let Err(error) = until(|| async { Ok(master().await?.as_deref() == Some(lab.vms[next].as_str())) }).await {
            let failover = times.len() + 1;
            return Err(error.context(format!(
                "failover {failover} to {}; the API says {}",
                lab.vms[next],
                last().await?
            )));
        }
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        holder = next;
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    Ok(vec![Row::new(
        store,
        WHAT,
        format!("p50 {:.0} / p95 {:.0} ms", at(0.5), at(0.95)),
        "p95 under 500 ms",
        at(0.95) < 500.0,
    )])
}

/// Waits until `check` holds (10 s at most), asking every 2 ms.
async fn until<F, Fut>(check: F) -> anyhow::Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await? {
        anyhow::ensure!(Instant::now() < deadline, "the API did not follow within 10 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// Two VMs' namespaces, each with a veth to the host and an agent that reports to a server
/// listening on the host's end; a HAVIP bound to both.
struct NotifyLab {
    prefix: String,
    dir: tempfile::TempDir,
    server: Child,
    agents: Vec<Child>,
    vms: Vec<String>,
    havip: String,
    token: String,
}

const LAB_VIP: &str = "198.18.9.50";

impl NotifyLab {
    async fn up(store: &str, database_url: &str, backend: &Backend) -> anyhow::Result<NotifyLab> {
        let prefix = format!("hb{}", &new_id(IdKind::Job)[4..9]);
        let ip = |args: &[&str]| -> anyhow::Result<()> {
            let status = Command::new("ip").args(args).status()?;
            anyhow::ensure!(status.success(), "ip {} failed", args.join(" "));
            Ok(())
        };
        for n in 0..2 {
            let (ns, host, inside) =
                (format!("{prefix}{n}"), format!("198.19.2.{}/30", 4 * n + 1), format!("198.19.2.{}/30", 4 * n + 2));
            ip(&["netns", "add", &ns])?;
            ip(&["link", "add", &format!("{prefix}h{n}"), "type", "veth", "peer", "name", "eth0", "netns", &ns])?;
            ip(&["addr", "add", &host, "dev", &format!("{prefix}h{n}")])?;
            ip(&["link", "set", &format!("{prefix}h{n}"), "up"])?;
            ip(&["-n", &ns, "addr", "add", &inside, "dev", "eth0"])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            ip(&["-n", &ns, "route", "add", "default", "via", &format!("198.19.2.{}", 4 * n + 1)])?;
        }
        // The tenant: a subnet in 198.18.9.0/24 and two VMs; a HAVIP bound to both.
        let tenant = backend.ensure_tenant(&format!("notify-{store}")).await.map_err(anyhow::Error::msg)?;
        let stem = &prefix[2..];
        let vms = vec![format!("vm-{stem}0001"), format!("vm-{stem}0002")];
        let document: app::domain::inventory::InventoryDocument = serde_json::from_value(serde_json::json!({
            "vpcs": [{"id": format!("vpc-{stem}0001"), "name": "notify", "cidr": "198.18.0.0/16",
                "subnets": [{"id": format!("subnet-{stem}0001"), "name": "notify", "cidr": "198.18.9.0/24", "gateway": "198.18.9.1"}]}],
            "vms": [
                {"id": vms[0], "name": "notify-a", "subnet_id": format!("subnet-{stem}0001"), "ip": "198.18.9.11"},
                {"id": vms[1], "name": "notify-b", "subnet_id": format!("subnet-{stem}0001"), "ip": "198.18.9.12"}
            ]
        }))?;
        backend.import_inventory(&tenant, None, &document).await.map_err(anyhow::Error::msg)?;
        let username = format!("notify{stem}");
        backend
            .create_user(&format!("notify-{store}"), &username, "notify-password", app::domain::caller::Role::Admin)
            .await
            .map_err(anyhow::Error::msg)?;
        let (_, token) = backend.create_token(&username).await.map_err(anyhow::Error::msg)?;
        let dir = tempfile::tempdir()?;
        // A second server of the same database, on the host's ends of the veths.
        let mut server = Command::new(env!("CARGO_BIN_EXE_havip"))
            .args(["serve", "--listen", "198.19.2.1:0", "--database-url", database_url])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()?;
        let address = super::listening_on(&mut server)?;
        let created: serde_json::Value = reqwest::Client::new()
            .post(format!("{address}/api/v1/havips"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": "notify", "vpc_id": format!("vpc-{stem}0001"), "subnet_id": format!("subnet-{stem}0001"), "ip": LAB_VIP, "vm_ids": vms}))
            .send()
            .await?
            .json()
            .await?;
        let havip = created["id"].as_str().ok_or_else(|| anyhow::anyhow!("no HAVIP: {created}"))?.to_owned();
        let mut agents = Vec::new();
        for (n, vm) in vms.iter().enumerate() {
            let (_, agent_token) = backend.create_agent_token_at_host(vm, None).await.map_err(anyhow::Error::msg)?;
            let state_dir = dir.path().join(format!("vm{n}"));
            agents.push(
                Command::new("ip")
                    .args([
                        "netns",
                        "exec",
                        &format!("{prefix}{n}"),
                        env!("CARGO_BIN_EXE_havip"),
                        "agent",
                        "--server",
                        &address,
                    ])
                    .arg("--state-dir")
                    .arg(&state_dir)
                    .args(["--interval-ms", "2000"])
                    .env("HAVIP_AGENT_TOKEN", agent_token)
                    .env("RUST_LOG", "error")
                    .spawn()?,
            );
            until(|| async { Ok(state_dir.join("notify.sock").exists()) }).await?;
        }
        Ok(NotifyLab { prefix, dir, server, agents, vms, havip, token })
    }

    /// Takes the VIP from VM `from` (if any) and gives it to VM `to`.
    fn move_vip(&self, from: Option<usize>, to: usize) -> anyhow::Result<()> {
        if let Some(from) = from {
            Command::new("ip")
                .args(["-n", &format!("{}{from}", self.prefix), "addr", "del", &format!("{LAB_VIP}/32"), "dev", "lo"])
                .status()?;
        }
        let status = Command::new("ip")
            .args(["-n", &format!("{}{to}", self.prefix), "addr", "add", &format!("{LAB_VIP}/32"), "dev", "lo"])
            .status()?;
        anyhow::ensure!(status.success(), "could not give the VIP to VM {to}");
        Ok(())
    }

    /// What keepalived's notify runs on VM `n`.
    fn notify(&self, n: usize, state: &str) -> anyhow::Result<()> {
        let instance = app::domain::keepalived::instance_name(&self.havip);
        let status = Command::new(env!("CARGO_BIN_EXE_havip"))
            .args(["agent", "notify", "--state-dir"])
            .arg(self.dir.path().join(format!("vm{n}")))
            .args(["INSTANCE", &instance, state, "200"])
            .status()?;
        anyhow::ensure!(status.success(), "havip agent notify failed");
        Ok(())
    }
}

impl Drop for NotifyLab {
    fn drop(&mut self) {
        for child in self.agents.iter_mut().chain(std::iter::once(&mut self.server)) {
            let _ = child.kill();
            let _ = child.wait();
        }
        for n in 0..2 {
            // Deleting the namespace deletes its end of the veth, and with it the host's end.
            let _ = Command::new("ip").args(["netns", "del", &format!("{}{n}", self.prefix)]).status();
        }
    }
}
