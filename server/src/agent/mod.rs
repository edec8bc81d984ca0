//! `havip agent`: runs on each bound VM beside keepalived and reports, every interval and at
//! once when keepalived announces a change, whether the VM holds each of its HAVIPs' VIPs, the
//! last VRRP state keepalived announced, whether keepalived runs, and the configuration
//! revision it runs. It needs no root. `havip agent notify` is what keepalived's `notify` runs.

pub mod notify;
mod outbox;
pub mod probe;

use crate::db::now_micros;
use app::domain::ha::{AgentAssignments, AgentReport, Assignment, HavipObservation, MAX_SEQ, VrrpState};
use app::domain::time::Timestamp;
use outbox::Outbox;
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// How an agent runs.
#[derive(Clone, Debug)]
pub struct AgentSettings {
    /// The console's base URL (`https://console.example.com`).
    pub server: String,
    pub token: String,
    pub interval: Duration,
    pub state_dir: PathBuf,
    /// The pid file of keepalived's VRRP process (`keepalived -r`).
    pub keepalived_pid_file: PathBuf,
    /// The keepalived configuration files to read revisions from.
    pub keepalived_configs: Vec<PathBuf>,
    /// Reports kept while the console cannot be reached.
    pub outbox: usize,
}

/// How the console answered a report.
enum Delivery {
    Accepted(AgentAssignments),
    /// The console refused this report for good (stale, malformed, or about a HAVIP the VM is
    /// no longer bound to): it goes, and the agent asks again what to watch.
    Refused(String),
    /// Not now (unreachable, overloaded, the token refused): keep it and try again.
    Later(String),
}

struct Agent {
    settings: AgentSettings,
    http: reqwest::Client,
    assignments: Vec<Assignment>,
    /// The last state keepalived announced, by instance.
    announced: HashMap<String, VrrpState>,
    last_seq: u64,
    outbox: Outbox,
}

/// Runs until `shutdown` completes.
pub async fn run(settings: AgentSettings, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let socket = notify::listen(&settings.state_dir)
        .map_err(|e| anyhow::anyhow!("cannot listen in {}: {e}", settings.state_dir.display()))?;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let mut agent = Agent {
        outbox: Outbox::new(settings.outbox),
        http,
        assignments: Vec::new(),
        announced: HashMap::new(),
        last_seq: 0,
        settings,
    };
    tracing::info!(server = %agent.settings.server, state_dir = %agent.settings.state_dir.display(), "agent started");
    agent.refresh_assignments().await;
    let mut ticks = tokio::time::interval(agent.settings.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buffer = vec![0u8; 1024];
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            received = socket.recv(&mut buffer) => match received.map(|n| notify::parse(&String::from_utf8_lossy(&buffer[..n]))) {
                Ok(Some(announced)) => {
                    tracing::info!(instance = %announced.instance, state = announced.state.as_str(), "keepalived announced");
                    agent.announced.insert(announced.instance, announced.state);
                }
                Ok(None) => continue,
                Err(error) => tracing::warn!(%error, "cannot read a notification"),
            },
            _ = &mut shutdown => break,
        }
        let report = agent.observe();
        agent.outbox.push(report);
        agent.deliver().await;
    }
    let _ = std::fs::remove_file(notify::socket_path(&agent.settings.state_dir));
    tracing::info!("agent stopped");
    Ok(())
}

impl Agent {
    /// A number larger than every one sent before, also after a restart: the clock's
    /// microseconds, or one more than the last.
    fn next_seq(&mut self) -> u64 {
        let clock = u64::try_from(now_micros()).unwrap_or(0);
        self.last_seq = clock.max(self.last_seq + 1).min(MAX_SEQ);
        self.last_seq
    }

    fn observe(&mut self) -> AgentReport {
        let addresses = probe::local_addresses();
        let revisions = probe::running_revisions(&self.settings.keepalived_configs);
        let havips = self
            .assignments
            .iter()
            .map(|assignment| HavipObservation {
                havip_id: assignment.havip_id.clone(),
                holds_vip: assignment.ip.parse().is_ok_and(|vip| addresses.contains(&vip)),
                vrrp_state: self.announced.get(&assignment.instance).copied(),
                config_revision: revisions.get(&assignment.havip_id).copied(),
            })
            .collect();
        AgentReport {
            seq: self.next_seq(),
            observed_at: Timestamp::from_micros(now_micros()),
            interval_ms: u32::try_from(self.settings.interval.as_millis()).unwrap_or(u32::MAX),
            keepalived_running: probe::keepalived_running(&self.settings.keepalived_pid_file),
            havips,
        }
    }

    /// Sends what waits, oldest first, until the console stops taking reports.
    async fn deliver(&mut self) {
        while let Some(report) = self.outbox.front().cloned() {
            match self.send(&report).await {
                Delivery::Accepted(answer) => {
                    self.outbox.pop();
                    self.assignments = answer.havips;
                }
                Delivery::Refused(why) => {
                    tracing::warn!(seq = report.seq, why, "the console refused a report");
                    self.outbox.pop();
                    self.refresh_assignments().await;
                }
                Delivery::Later(why) => {
                    tracing::warn!(waiting = self.outbox.waiting(), why, "cannot report now; will try again");
                    return;
                }
            }
        }
    }

    async fn send(&self, report: &AgentReport) -> Delivery {
        let url = format!("{}/api/v1/agent/reports", self.settings.server.trim_end_matches('/'));
        let answer = match self.http.post(url).bearer_auth(&self.settings.token).json(report).send().await {
            Ok(answer) => answer,
            Err(error) => return Delivery::Later(error.to_string()),
        };
        let status = answer.status();
        if status.is_success() {
            return match answer.json::<AgentAssignments>().await {
                Ok(assignments) => Delivery::Accepted(assignments),
                Err(error) => Delivery::Later(format!("an answer it cannot read: {error}")),
            };
        }
        let body = answer.text().await.unwrap_or_default();
        match status.as_u16() {
            400 | 409 | 422 => Delivery::Refused(format!("{status}: {body}")),
            _ => Delivery::Later(format!("{status}: {body}")),
        }
    }

    async fn refresh_assignments(&mut self) {
        let url = format!("{}/api/v1/agent/assignments", self.settings.server.trim_end_matches('/'));
        let answer = self.http.get(url).bearer_auth(&self.settings.token).send().await;
        match answer {
            Ok(answer) if answer.status().is_success() => match answer.json::<AgentAssignments>().await {
                Ok(assignments) => self.assignments = assignments.havips,
                Err(error) => tracing::warn!(%error, "cannot read the assignments"),
            },
            Ok(answer) => tracing::warn!(status = %answer.status(), "the console refused to say what to watch"),
            Err(error) => tracing::warn!(%error, "cannot ask the console what to watch"),
        }
    }
}
