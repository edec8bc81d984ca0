//! A rolling restart behind haproxy under load (Postgres: several servers share one database):
//! two servers with `--drain-ms`, 32 clients listing through the balancer, each server stopped
//! with SIGTERM and started again on its port in turn. Budget: no request fails. And what the
//! restarts cost: the throughput during them against the same load without them.

use super::{CONCURRENCY, Row, Server, wrk};
use testkit::haproxy::Haproxy;

const DRAIN: [&str; 2] = ["--drain-ms", "1000"];

pub async fn rows(store: &str, url: &str, token: &str) -> anyhow::Result<Vec<Row>> {
    let mut servers =
        vec![Server::start_at("127.0.0.1:0", url, &DRAIN)?, Server::start_at("127.0.0.1:0", url, &DRAIN)?];
    let addresses: Vec<String> = servers.iter().map(|s| s.base.trim_start_matches("http://").to_owned()).collect();
    let mut haproxy = Haproxy::start(&addresses.iter().map(String::as_str).collect::<Vec<_>>());
    haproxy.wait_for_servers_up(2).await;
    let list = format!("{}/api/v1/havips?page_size=50", haproxy.base);
    let auth = format!("Authorization: Bearer {token}");

    let steady = wrk(&list, &[&auth], CONCURRENCY, None)?;
    let load = {
        let (list, auth) = (list.clone(), auth.clone());
        std::thread::spawn(move || wrk(&list, &[&auth], CONCURRENCY, None))
    };
    // The load runs 8 s; the two restarts take about 2 s each.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    for address in &addresses {
        let server = servers.remove(0);
        tokio::task::spawn_blocking(move || server.terminate()).await??;
        haproxy.wait_for_servers_up(1).await;
        servers.push(Server::start_at(address, url, &DRAIN)?);
        haproxy.wait_for_servers_up(2).await;
    }
    let during = load.join().map_err(|_| anyhow::anyhow!("the load's thread panicked"))??;
    let rescued: u64 = haproxy.rescues().iter().map(|(_, n)| n).sum();
    Ok(vec![
        Row::new(
            store,
            "rolling restart of 2 servers behind haproxy, 32 clients: failed",
            format!("{} of {:.0} requests ({rescued} retried by haproxy)", during.errors, during.requests),
            "0",
            during.errors == 0 && rescued == 0,
        ),
        Row::info(
            store,
            "  its throughput against the same load without restarts",
            format!("{:.0}/s vs {:.0}/s ({:+.0} %)", during.rps, steady.rps, (during.rps / steady.rps - 1.0) * 100.0),
        ),
    ])
}
