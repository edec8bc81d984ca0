//! The identity cache across processes: a server that keeps who a token belongs to and its
//! tenant's revision still sees what another process changes: at once on Postgres, through
//! notifications, and within the cache's freshness on SQLite.

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
const REMOTE_CACHE_MS: &str = "60000";
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

async fn status(tenant: &Tenant) -> u16 {
    tenant.get("/havips").await.status().as_u16()
}

/// Waits until `remote` keeps what it learns: its change feed listens from some moment after
/// it starts, and until then it asks the database on every request.
async fn until_remote_caches(url: &str, remote: &Tenant) {
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

async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
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
