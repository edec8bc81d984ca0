//! Upgrades are safe: `havip migrate --dry-run` says what a version would apply and changes
//! nothing, and no server runs against a database that a newer version migrated.

use crate::both_stores;
use crate::support::{Store, TestApp, TestDatabase};
use server::db::Db;
use sqlx::any::AnyPoolOptions;
use std::process::Command;

async fn pool(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new().max_connections(1).connect(url).await.expect("connect")
}

async fn applied(url: &str) -> Vec<i64> {
    let pool = pool(url).await;
    let versions = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&pool)
        .await
        .expect("applied migrations");
    pool.close().await;
    versions
}

/// `havip migrate` with `args` against `url`: its exit code, standard output and standard error.
fn havip_migrate(url: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["migrate", "--database-url", url])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run havip migrate");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
}

both_stores!(a_dry_run_lists_what_would_be_applied_and_changes_nothing, |app: TestApp| async move {
    let url = app.db.url.clone();
    let all = applied(&url).await;
    let newest = *all.last().expect("migrations applied");
    let state = Db::inspect(&url).await.expect("inspect");
    assert!(state.pending.is_empty() && state.newer.is_empty(), "{state:?}");
    let (code, out, _) = havip_migrate(&url, &["--dry-run"]);
    assert_eq!(code, 0);
    assert!(out.contains(&format!("is up to date (schema version {newest})")), "{out}");

    // As if this database were one version older: its newest migration is not applied.
    let pool = pool(&url).await;
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1").bind(newest).execute(&pool).await.expect("delete");
    pool.close().await;
    let state = Db::inspect(&url).await.expect("inspect");
    assert_eq!(state.pending.iter().map(|p| p.version).collect::<Vec<_>>(), [newest]);
    let (code, out, err) = havip_migrate(&url, &["--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("would apply 1 migration(s)"), "{out}");
    assert!(out.contains(&format!("  {newest:04} {}", state.pending[0].description)), "{out}");
    assert_eq!(applied(&url).await, all[..all.len() - 1], "a dry run applies nothing");
});

#[tokio::test]
async fn a_dry_run_on_a_sqlite_file_that_does_not_exist_does_not_make_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("new").join("havip.db");
    let url = format!("sqlite:{}", path.display());
    let (code, out, err) = havip_migrate(&url, &["--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let listed = out.lines().filter(|line| line.starts_with("  0")).count();
    assert!(out.contains(&format!("would apply {listed} migration(s)")) && listed >= 8, "{out}");
    assert!(!path.exists() && !path.parent().expect("dir").exists(), "nothing was made");
    let (code, out, err) = havip_migrate(&url, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("is up to date"), "{out}");
    assert_eq!(applied(&url).await.len(), listed, "what the dry run listed is what was applied");
}

both_stores!(a_database_a_newer_version_migrated_is_refused_by_name, |app: TestApp| async move {
    let url = app.db.url.clone();
    let pool = pool(&url).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, $1, 1)",
    )
    .bind(vec![0u8; 48])
    .execute(&pool)
    .await
    .expect("a newer migration");
    sqlx::query("INSERT INTO schema_writers (schema_version, app_version, migrated_at) VALUES (9999, '99.1.0', 0)")
        .execute(&pool)
        .await
        .expect("its writer");
    pool.close().await;
    let before = applied(&url).await;

    let refused = Db::connect(&url, 2).await.err().expect("a server refuses the database").to_string();
    assert!(
        refused.contains("schema is at version 9999, written by HAVIP Console 99.1.0")
            && refused.contains(&format!("this is HAVIP Console {}", env!("CARGO_PKG_VERSION")))
            && refused.contains("Run HAVIP Console 99.1.0 or newer"),
        "{refused}"
    );
    let (code, _, err) = havip_migrate(&url, &[]);
    assert_ne!(code, 0);
    assert!(err.contains("written by HAVIP Console 99.1.0"), "{err}");
    let (code, _, err) = havip_migrate(&url, &["--dry-run"]);
    assert_ne!(code, 0, "a dry run says so too");
    assert!(err.contains("schema is at version 9999"), "{err}");
    assert_eq!(applied(&url).await, before, "nothing was applied or undone");
});

#[tokio::test]
async fn each_store_records_the_version_that_migrated_it() {
    for store in [Store::Sqlite, Store::Postgres] {
        let db = TestDatabase::new(store).await;
        Db::connect(&db.url, 2).await.expect("migrate").close().await;
        let pool = pool(&db.url).await;
        let writers: Vec<(i64, String)> = sqlx::query_as("SELECT schema_version, app_version FROM schema_writers")
            .fetch_all(&pool)
            .await
            .expect("writers");
        pool.close().await;
        let newest = *applied(&db.url).await.last().expect("applied");
        assert_eq!(writers, [(newest, env!("CARGO_PKG_VERSION").to_owned())], "{store:?}");
    }
}
