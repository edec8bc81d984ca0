//! The identity cache across processes: a server that keeps who a token belongs to and its
//! tenant's revision still sees what another process changes: at once on Postgres, through
//! notifications, and within the cache's freshness on SQLite.

use crate::both_stores;
use crate::support::process::ServerProcess;
use crate::support::{Store, Tenant, TestApp};
use serde_json::json;
use server::db::Db;
use server::service::Backend;
use server::settings::Settings;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longer than any wait below, so that only a notification can make the second server see a
/// change in time.
pub const REMOTE_CACHE_MS: &str = "60000";
const PATIENCE: Duration = Duration::from_secs(15);

/// Changes the database the way no server does, with triggers off so that nobody is told:
/// what a server answers afterwards shows what it kept.
async fn unannounced(url: &str, sql: &str, token: &str) {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    sqlx::query("SET session_replication_role = replica").execute(&mut conn).await.expect("triggers off");
    let hash = server::service::accounts::secret_hash(token);
    sqlx::query(sql).bind(hash).execute(&mut conn).await.expect("unannounced change");
}

const REVOKE: &str = "UPDATE api_tokens SET revoked_at = 1 WHERE token_hash = $1";
const RESTORE: &str = "UPDATE api_tokens SET revoked_at = NULL WHERE token_hash = $1";

pub async fn status(tenant: &Tenant) -> u16 {
    tenant.get("/havips").await.status().as_u16()
}

/// Waits until `remote` keeps what it learns: its change feed listens from some moment after
/// it starts, and until then it asks the database on every request.
pub async fn until_remote_caches(url: &str, remote: &Tenant) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert_eq!(status(remote).await, 200);
        unannounced(url, REVOKE, &remote.token).await;
        if status(remote).await == 200 {
            return;
        }
        unannounced(url, RESTORE, &remote.token).await;
        assert!(Instant::now() < deadline, "the second server never started caching");
    }
}

pub async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done().await {
        assert!(Instant::now() < deadline, "{what} did not happen in {PATIENCE:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_processs_writes_reach_a_caching_server() {
    let app = TestApp::spawn(Store::Postgres).await;
    let tenant = app.tenant().await;
    let second = ServerProcess::start(&app.db.url, &["--identity-cache-ms", REMOTE_CACHE_MS]);
    let remote = tenant.at(&second.base);
    until_remote_caches(&app.db.url, &remote).await;

    // A token revoked by the other process ends at once here too; so does the one the second
    // server kept although it was revoked behind its back, since every server forgets all
    // credentials when told of a change to one.
    let (_, other_token) = app.backend.create_token(&tenant.username).await.expect("token");
    let other = remote.with_token(other_token.clone());
    assert_eq!(status(&other).await, 200);
    app.backend.revoke_token(&other_token).await.expect("revoke");
    until("the revoked token's refusal", async || status(&other).await == 401).await;
    assert_eq!(status(&remote).await, 401, "what was kept is gone with it");

    // A rename through the first server shows in the second server's cached list.
    let (_, token) = app.backend.create_token(&tenant.username).await.expect("token");
    let (local, remote) = (tenant.with_token(token.clone()), remote.with_token(token));
    let created = local.create(local.create_body("before", &[])).await;
    let id = created["id"].as_str().expect("id").to_owned();
    local.settled(&id).await;
    until("the new HAVIP in the second server's list", async || remote.list("q=before").await["total"] == 1).await;
    assert_eq!(remote.list("page_size=50").await["items"][0]["name"], "before", "now a cached page");
    let renamed = local.patch(&format!("/havips/{id}"), &json!({"name": "after"})).await;
    assert_eq!(renamed.status(), 200);
    until("the rename in the second server's list", async || {
        remote.list("page_size=50").await["items"][0]["name"] == "after"
    })
    .await;
}

/// SQLite has no notifications: a change by another process on the same file (here a second
/// database handle with its own cache, as `havip token revoke` would be) counts once what the
/// server kept is older than its freshness.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_processs_revocation_counts_within_the_freshness_on_sqlite() {
    let app = TestApp::spawn_with(Store::Sqlite, |s| s.identity_cache_for = Duration::from_secs(2)).await;
    let tenant = app.tenant().await;
    assert_eq!(status(&tenant).await, 200);
    let settings = Arc::new(Settings::for_database(app.db.url.clone()));
    let other_process = Backend::new(Db::connect(&app.db.url, 2).await.expect("connect"), settings);
    other_process.revoke_token(&tenant.token).await.expect("revoke");
    assert_eq!(status(&tenant).await, 200, "the server answers from what it kept a moment ago");
    until("the refusal", async || status(&tenant).await == 401).await;
}

async fn metric(app: &TestApp, line_start: &str) -> u64 {
    let body = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    let line = body.lines().find(|l| l.starts_with(line_start)).unwrap_or_else(|| panic!("no {line_start} in {body}"));
    line.rsplit(' ').next().and_then(|v| v.parse().ok()).expect("a number")
}

const FROM_MEMORY: &str = "havip_authentications_total{answered_by=\"memory\"}";
const FROM_DATABASE: &str = "havip_authentications_total{answered_by=\"database\"}";
const IN_USE: &str = "havip_identity_cache_in_use";

both_stores!(metrics_show_how_requests_were_authenticated, |app: TestApp| async move {
    // On Postgres the cache is used once the change feed listens.
    until("the cache in use", async || metric(&app, IN_USE).await == 1).await;
    let tenant = app.tenant().await;
    assert_eq!(status(&tenant).await, 200);
    // The notifications of the tenant's own setting-up may still arrive and make the server
    // forget what it kept (it is cautious); once they are in, a repeat needs no lookup.
    until("a repeat answered from memory", async || {
        let (memory, database) = (metric(&app, FROM_MEMORY).await, metric(&app, FROM_DATABASE).await);
        assert_eq!(status(&tenant).await, 200);
        metric(&app, FROM_MEMORY).await == memory + 1 && metric(&app, FROM_DATABASE).await == database
    })
    .await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_freshness_of_zero_asks_the_database_every_time() {
    let app = TestApp::spawn_with(Store::Postgres, |s| s.identity_cache_for = Duration::ZERO).await;
    assert_eq!(metric(&app, IN_USE).await, 0);
    let tenant = app.tenant().await;
    for _ in 0..3 {
        assert_eq!(status(&tenant).await, 200);
    }
    assert_eq!(metric(&app, FROM_MEMORY).await, 0);
    assert_eq!(metric(&app, FROM_DATABASE).await, 3);
}
