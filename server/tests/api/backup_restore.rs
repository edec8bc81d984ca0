//! `havip backup` and `havip restore`: a snapshot taken while the server writes restores into
//! either store with the same answers; a damaged file or a non-empty target is refused and the
//! target left as it was.

use crate::support::{Store, Tenant, TestApp, TestDatabase, unique};
use serde_json::{Value, json};
use server::db::{Db, backup};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the API answers about the tenant's HAVIPs: every page of the list, and each HAVIP.
async fn answers(tenant: &Tenant) -> Vec<Value> {
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let listed = tenant.list(&format!("page_size=100&page={page}&sort=name&order=asc")).await;
        let items = listed["items"].as_array().cloned().unwrap_or_default();
        for item in &items {
            let id = item["id"].as_str().expect("id");
            all.push(tenant.get(&format!("/havips/{id}")).await.json().await.expect("havip"));
        }
        all.push(json!({ "page": page, "total": listed["total"], "items": items }));
        if items.len() < 100 {
            return all;
        }
        page += 1;
    }
}

/// HAVIPs with bindings, one edited, one deleted: rows in most tables.
async fn some_history(tenant: &Tenant) {
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let mut ids = Vec::new();
    for i in 0..4 {
        let created = tenant.create(tenant.create_body(&format!("bk-{i}"), &vms[i..i + 2])).await;
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    for id in &ids {
        tenant.settled(id).await.expect("settled");
    }
    assert_eq!(tenant.patch(&format!("/havips/{}", ids[0]), &json!({"remark": "edited 备注"})).await.status(), 200);
    assert_eq!(tenant.delete(&format!("/havips/{}", ids[3])).await.status(), 202);
    assert!(tenant.settled(&ids[3]).await.is_none());
}

async fn backup_of(db: &Db, dir: &Path, name: &str) -> PathBuf {
    let file = dir.join(name);
    backup::backup(db, std::io::BufWriter::new(std::fs::File::create(&file).expect("create"))).await.expect("backup");
    file
}

/// Restores `file` into a fresh database of `store`, and serves it.
async fn restored(store: Store, file: &Path) -> TestApp {
    let target = TestDatabase::new(store).await;
    let db = Db::connect(&target.url, 2).await.expect("target");
    backup::restore(&db, &backup::verify(file).expect("verified"), false).await.expect("restore");
    db.close().await;
    TestApp::spawn_on(target, |_| {}).await
}

fn base(app: &TestApp) -> String {
    format!("http://{}", app.address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_to_postgres_and_back_give_the_same_answers() {
    let dir = tempfile::tempdir().expect("dir");
    let source = TestApp::spawn(Store::Sqlite).await;
    let tenant = source.tenant().await;
    some_history(&tenant).await;
    let expected = answers(&tenant).await;

    let to_postgres = backup_of(&source.backend.db, dir.path(), "sqlite.jsonl").await;
    let on_postgres = restored(Store::Postgres, &to_postgres).await;
    assert_eq!(answers(&tenant.at(&base(&on_postgres))).await, expected, "SQLite restored into Postgres");

    let back = backup_of(&on_postgres.backend.db, dir.path(), "postgres.jsonl").await;
    let on_sqlite = restored(Store::Sqlite, &back).await;
    let tenant_again = tenant.at(&base(&on_sqlite));
    assert_eq!(answers(&tenant_again).await, expected, "and back into SQLite");
    assert_eq!(on_sqlite.backend.db.integrity_check().await.expect("check"), "ok");
    // The restored full-text index finds what the source's found.
    assert_eq!(tenant_again.list("q=bk-1").await["total"], 1);
    // And the restored database takes writes.
    tenant_again.create(tenant_again.create_body(&unique("after"), &[])).await;
}

/// `havip restore` through the real binary: its exit code and what it printed.
fn havip_restore(file: &Path, url: &str, extra: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_havip"))
        .arg("restore")
        .arg(file)
        .args(["--database-url", url])
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run havip restore");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

crate::both_stores!(a_damaged_backup_is_refused_and_the_target_left_alone, |app: TestApp| async move {
    let dir = tempfile::tempdir().expect("dir");
    let source = app.tenant().await;
    some_history(&source).await;
    let expected = answers(&source).await;
    let good = backup_of(&app.backend.db, dir.path(), "good.jsonl").await;
    let text = std::fs::read_to_string(&good).expect("read");
    let lines: Vec<&str> = text.lines().collect();

    let cut = dir.path().join("cut.jsonl");
    std::fs::write(&cut, lines[..lines.len() - 1].join("\n") + "\n").expect("write");
    let altered = dir.path().join("altered.jsonl");
    std::fs::write(&altered, text.replacen("bk-1", "bk-9", 1)).expect("write");
    for (file, why) in [(&cut, "cut short"), (&altered, "altered")] {
        let refused = backup::verify(file).expect_err("refused").to_string();
        assert!(refused.contains(why), "{refused}");
        let target = dir.path().join(format!("target-{why}.db")).display().to_string();
        let (code, said) = havip_restore(file, &format!("sqlite:{target}"), &[]);
        assert_ne!(code, 0);
        assert!(said.contains(why), "{said}");
        assert!(!Path::new(&target).exists(), "the target was not even made");
    }

    // A target with data (its servers stopped, as for any restore): refused without --replace,
    // and left as it was.
    let busy = TestApp::spawn(Store::Postgres).await;
    let resident = busy.tenant().await;
    let before = answers(&resident).await;
    let target = busy.stop().await;
    let db = Db::connect(&target.url, 2).await.expect("target");
    let good = backup::verify(&good).expect("verified");
    let refused = backup::restore(&db, &good, false).await.expect_err("refused").to_string();
    assert!(refused.contains("not empty") && refused.contains("--replace"), "{refused}");
    let (code, said) = havip_restore(&altered, &target.url, &["--replace"]);
    assert!(code != 0 && said.contains("altered"), "even with --replace: {said}");
    let busy = TestApp::spawn_on(target, |_| {}).await;
    assert_eq!(answers(&resident.at(&base(&busy))).await, before, "the target's data is as it was");
    let target = busy.stop().await;
    backup::restore(&db, &good, true).await.expect("--replace restores");
    db.close().await;
    let replaced = TestApp::spawn_on(target, |_| {}).await;
    assert_eq!(resident.at(&base(&replaced)).get("/havips").await.status(), 401, "the resident tenant is gone");
    assert_eq!(answers(&source.at(&base(&replaced))).await, expected, "and the backup's data is there");
});

crate::both_stores!(a_backup_during_creates_holds_those_committed_before_it, |app: TestApp| async move {
    let dir = tempfile::tempdir().expect("dir");
    let tenant = app.tenant().await;
    let creating = {
        let tenant = tenant.clone();
        tokio::spawn(async move {
            let mut answered = Vec::new();
            for i in 0..60 {
                let sent = std::time::Instant::now();
                let id = tenant.create(tenant.create_body(&format!("stream-{i:02}"), &[])).await["id"]
                    .as_str()
                    .expect("id")
                    .to_owned();
                answered.push((sent, std::time::Instant::now(), id));
            }
            answered
        })
    };
    // Once some creates are in, back up while the others go on.
    while tenant.list("q=stream-").await["total"].as_u64().unwrap_or(0) < 10 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let started = std::time::Instant::now();
    let file = backup_of(&app.backend.db, dir.path(), "during.jsonl").await;
    let finished = std::time::Instant::now();
    let answered = creating.await.expect("creates");

    let copy = restored(if app.db.url.starts_with("sqlite") { Store::Sqlite } else { Store::Postgres }, &file).await;
    let in_copy = tenant.at(&base(&copy));
    let listed = in_copy.list("q=stream-&page_size=100").await;
    let ids: Vec<&str> = listed["items"].as_array().expect("items").iter().filter_map(|h| h["id"].as_str()).collect();
    for (_, answered_at, id) in &answered {
        if *answered_at < started {
            assert!(ids.contains(&id.as_str()), "{id} was answered before the backup began but is not in it");
        }
    }
    let after: Vec<&String> = answered.iter().filter(|(sent, _, _)| *sent > finished).map(|(_, _, id)| id).collect();
    assert!(after.iter().all(|id| !ids.contains(&id.as_str())), "a create that began after the backup is in it");
    assert!(ids.len() >= 10 && ids.len() < 60, "the backup was taken mid-stream: {} of 60", ids.len());
    assert_eq!(copy.backend.db.integrity_check().await.expect("check"), "ok");
    for id in ids {
        in_copy.settled(id).await.expect("a restored create is finished by the copy's worker");
    }
});

/// `havip backup` through the real binary: its exit code and what it printed.
fn havip_backup(file: &Path, url: &str) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_havip"))
        .arg("backup")
        .arg(file)
        .args(["--database-url", url])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run havip backup");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn a_backup_changes_nothing_it_reads_and_only_its_owner_reads_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    // No database there: refused, and none made.
    let missing = dir.path().join("none").join("havip.db");
    let (code, said) = havip_backup(&dir.path().join("a.jsonl"), &format!("sqlite:{}", missing.display()));
    assert!(code != 0 && said.contains("there is no database"), "{said}");
    assert!(!missing.parent().expect("dir").exists(), "nothing was made");

    // A database a migration behind this version: refused, not migrated.
    let app = TestApp::spawn(Store::Sqlite).await;
    let db = app.stop().await;
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&db.url).await.expect("connect");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
        .execute(&pool)
        .await
        .expect("one migration back");
    let behind: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&pool).await.expect("count");
    let (code, said) = havip_backup(&dir.path().join("b.jsonl"), &db.url);
    assert!(code != 0 && said.contains("older than this version"), "{said}");
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&pool).await.expect("count");
    assert_eq!(after, behind, "the backup did not migrate the database");
    pool.close().await;

    // As it is: written whole under its name, readable by its owner only.
    let db = TestDatabase::new(Store::Sqlite).await;
    Db::connect(&db.url, 2).await.expect("migrate").close().await;
    let file = dir.path().join("c.jsonl");
    let (code, said) = havip_backup(&file, &db.url);
    assert_eq!(code, 0, "{said}");
    assert_eq!(std::fs::metadata(&file).expect("file").permissions().mode() & 0o777, 0o600);
    assert!(!dir.path().join("c.jsonl.partial").exists());
    backup::verify(&file).expect("a whole backup");
    let (code, said) = havip_backup(&file, &db.url);
    assert!(code != 0 && said.contains("exists"), "an existing file is not overwritten: {said}");
}
