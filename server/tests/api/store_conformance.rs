//! The store contract, checked the same way on SQLite and on Postgres: what one database
//! accepts, answers or refuses, the other does too.

use crate::both_stores;
use crate::support::{TestApp, standard_inventory, unique};
use app::domain::caller::Role;
use app::domain::ha::Health;
use app::domain::ipv4::Ipv4;
use app::domain::list_query::ListQuery;
use app::domain::status::HavipStatus;
use server::db::{new_id, now_micros};
use server::store::havips::{self, HavipFields, NewBinding, NewHavipRow};
use server::store::jobs::{self, JobKind};
use server::store::{TenantTx, UniqueTarget, accounts, ha, idempotency, inventory};

/// A tenant with the standard inventory, straight through the store.
async fn seeded(app: &TestApp) -> (String, app::domain::inventory::InventoryDocument) {
    let name = unique("store");
    let tenant_id = app.backend.ensure_tenant(&name).await.expect("tenant");
    let document = standard_inventory(&name);
    app.backend.import_inventory(&tenant_id, None, &document).await.expect("inventory");
    (tenant_id, document)
}

/// A HAVIP row as the store takes it, in the first subnet of the document.
async fn havip_row(
    tx: &mut TenantTx,
    doc: &app::domain::inventory::InventoryDocument,
    name: &str,
    ip: &str,
) -> NewHavipRow {
    let tenant = tx.tenant_id().to_owned();
    let projects = inventory::projects(tx, &tenant).await.expect("projects");
    NewHavipRow {
        id: new_id(app::domain::ids::IdKind::Havip),
        project_id: projects.into_iter().find(|p| p.is_default).expect("default project").id,
        name: name.to_owned(),
        remark: String::new(),
        vpc_id: doc.vpcs[0].id.clone(),
        subnet_id: doc.vpcs[0].subnets[0].id.clone(),
        ip: Ipv4::parse(ip).expect("ip"),
        status: HavipStatus::Creating,
        status_reason: None,
        vrid: 0,
        search_text: name.to_owned(),
        created_at: now_micros(),
    }
}

async fn insert_havip(
    app: &TestApp,
    tenant: &str,
    doc: &app::domain::inventory::InventoryDocument,
    ip: &str,
) -> String {
    let mut tx = TenantTx::begin(&app.backend.db, tenant).await.expect("begin");
    let row = havip_row(&mut tx, doc, "conformance", ip).await;
    havips::insert(&mut tx, std::slice::from_ref(&row)).await.expect("insert");
    tx.commit().await.expect("commit");
    row.id
}

fn binding(havip_id: &str, vm_id: &str) -> NewBinding {
    NewBinding {
        havip_id: havip_id.to_owned(),
        vm_id: vm_id.to_owned(),
        havip_slot: 0,
        vm_slot: 0,
        vrid: 0,
        created_at: now_micros(),
    }
}

both_stores!(havip_rows_round_trip, |app: TestApp| async move {
    let (tenant, doc) = seeded(&app).await;
    let id = insert_havip(&app, &tenant, &doc, "10.1.1.50").await;
    let mut conn = app.backend.db.read.acquire().await.expect("conn");
    let havip = havips::get(&mut conn, &tenant, &id).await.expect("get").expect("found");
    assert_eq!((havip.status, havip.ip.as_str(), havip.version), (HavipStatus::Creating, "10.1.1.50", 1));
    assert_eq!(havip.subnet.cidr, "10.1.1.0/24");
    assert!(havips::get(&mut conn, "tenant-someoneelse", &id).await.expect("get").is_none(), "scoped by tenant");
    let dialect = app.backend.db.dialect;
    let total = havips::count(&mut conn, dialect, &tenant, &ListQuery::default()).await.expect("count");
    let listed = havips::list(&mut conn, dialect, &tenant, &ListQuery::default(), havips::Start::Page, total)
        .await
        .expect("list");
    assert_eq!((listed.items.len(), total, listed.more), (1, 1, false));
    drop(conn);

    let mut tx = TenantTx::begin(&app.backend.db, &tenant).await.expect("begin");
    let locked = havips::lock(&mut tx, &id).await.expect("lock").expect("found");
    assert_eq!(locked.status, HavipStatus::Creating);
    assert!(
        havips::set_status(&mut tx, &id, HavipStatus::Creating, HavipStatus::Available, None, now_micros())
            .await
            .expect("set")
    );
    assert!(
        !havips::set_status(&mut tx, &id, HavipStatus::Creating, HavipStatus::Failed, None, now_micros())
            .await
            .expect("set"),
        "only from the status it is in"
    );
    let fields = HavipFields { name: "renamed", remark: "r", search_text: "renamed", vrid: 0, config_changed: false };
    havips::update_fields(&mut tx, &id, fields, now_micros()).await.expect("update");
    tx.commit().await.expect("commit");
    let mut conn = app.backend.db.read.acquire().await.expect("conn");
    let havip = havips::get(&mut conn, &tenant, &id).await.expect("get").expect("found");
    assert_eq!((havip.name.as_str(), havip.status, havip.version), ("renamed", HavipStatus::Available, 3));
});

both_stores!(alarms_are_the_alarming_healths_of_the_tenant, |app: TestApp| async move {
    let (owner, doc) = seeded(&app).await;
    let (stranger, _) = seeded(&app).await;
    let healths = [
        Health::SplitBrain,
        Health::NoMaster,
        Health::FabricDisagrees,
        Health::Healthy,
        Health::Degraded,
        Health::Unknown,
    ];
    for (i, health) in healths.into_iter().enumerate() {
        let id = insert_havip(&app, &owner, &doc, &format!("10.1.1.{}", 90 + i)).await;
        let mut tx = TenantTx::begin(&app.backend.db, &owner).await.expect("begin");
        let state = ha::HaWrite { health, master_vm_id: None, unsettled_since: None, fabric_master_vm_id: None };
        ha::set_ha(&mut tx, &id, state).await.expect("set health");
        tx.commit().await.expect("commit");
    }
    let mut conn = app.backend.db.reader().await.expect("conn");
    assert_eq!(havips::alarm_count(&mut conn, &owner).await.expect("count"), 3);
    assert_eq!(havips::alarm_count(&mut conn, &stranger).await.expect("count"), 0, "scoped by tenant");
});

both_stores!(unique_indexes_refuse_and_are_named, |app: TestApp| async move {
    let (tenant, doc) = seeded(&app).await;
    let first = insert_havip(&app, &tenant, &doc, "10.1.1.60").await;
    // The same address in the same subnet.
    let mut tx = TenantTx::begin(&app.backend.db, &tenant).await.expect("begin");
    let twin = havip_row(&mut tx, &doc, "twin", "10.1.1.60").await;
    let duplicate = havips::insert(&mut tx, &[twin]).await;
    drop(tx);
    assert_eq!(duplicate.expect_err("refused").unique_target(), Some(UniqueTarget::HavipIp));

    let vm = doc.vms[0].id.clone();
    let mut tx = TenantTx::begin(&app.backend.db, &tenant).await.expect("begin");
    havips::insert_bindings(&mut tx, &[binding(&first, &vm)]).await.expect("bind");
    let same_havip_slot = havips::insert_bindings(&mut tx, &[binding(&first, &doc.vms[1].id)]).await;
    assert_eq!(same_havip_slot.expect_err("slot").unique_target(), Some(UniqueTarget::HavipSlot));
    drop(tx);
    let second = insert_havip(&app, &tenant, &doc, "10.1.1.61").await;
    let mut tx = TenantTx::begin(&app.backend.db, &tenant).await.expect("begin");
    havips::insert_bindings(&mut tx, &[binding(&first, &vm)]).await.expect("bind");
    let same_vm_slot = havips::insert_bindings(&mut tx, &[binding(&second, &vm)]).await;
    assert_eq!(same_vm_slot.expect_err("vm slot").unique_target(), Some(UniqueTarget::VmSlot));
    drop(tx);

    let mut tx = TenantTx::begin(&app.backend.db, &tenant).await.expect("begin");
    idempotency::insert(&mut tx, "key-1", "hash", "{}", now_micros()).await.expect("key");
    let again = idempotency::insert(&mut tx, "key-1", "hash", "{}", now_micros()).await;
    assert_eq!(again.expect_err("twice").unique_target(), Some(UniqueTarget::IdempotencyKey));
});

both_stores!(jobs_are_claimed_once, |app: TestApp| async move {
    let (tenant, doc) = seeded(&app).await;
    let id = insert_havip(&app, &tenant, &doc, "10.1.1.70").await;
    let mut tx = TenantTx::begin(&app.backend.db, &tenant).await.expect("begin");
    jobs::enqueue(&mut tx, &id, JobKind::Create, now_micros()).await.expect("enqueue");
    tx.commit().await.expect("commit");
    let now = now_micros();
    let lease = std::time::Duration::from_secs(60);
    let claimed = jobs::claim(&app.backend.db, "worker-a", lease, 10).await.expect("claim");
    // The server's own worker may have taken it first; either way only one holder exists.
    let again = jobs::claim(&app.backend.db, "worker-b", lease, 10).await.expect("claim");
    assert!(again.iter().all(|job| job.havip_id != id), "a leased job is not handed out twice");
    if let Some(job) = claimed.iter().find(|job| job.havip_id == id) {
        // The lease runs for its length on the database's clock, which every server shares.
        let sql = format!("SELECT lease_until - {} FROM jobs WHERE id = $1", app.backend.db.clock_micros());
        let row = sqlx::query(&sql).bind(&job.id).fetch_one(&app.backend.db.read).await.expect("lease");
        let left: i64 = sqlx::Row::get(&row, 0);
        assert!((50_000_000..=60_000_000).contains(&left), "lease left: {left} µs");
        let mut tx = TenantTx::begin(&app.backend.db, &tenant).await.expect("begin");
        assert!(
            !jobs::finish(&mut tx, &job.id, "worker-b", None, now).await.expect("finish"),
            "only the holder finishes it"
        );
        assert!(jobs::finish(&mut tx, &job.id, "worker-a", None, now).await.expect("finish"));
        tx.commit().await.expect("commit");
    }
});

both_stores!(accounts_sessions_and_tokens, |app: TestApp| async move {
    let username = unique("acct");
    app.backend.create_user("acct-tenant", &username, "long enough password", Role::Member).await.expect("user");
    let mut conn = app.backend.db.read.acquire().await.expect("conn");
    let user = accounts::user_by_name(&mut conn, &username).await.expect("find").expect("found");
    assert!(user.password_hash.starts_with("$argon2id$"), "argon2id");
    assert_eq!(user.profile.role, Role::Member);
    drop(conn);
    let now = now_micros();
    let mut tx = app.backend.db.begin().await.expect("begin");
    let stale = accounts::create_session(&mut tx, "hash-0", &user.id, "another hash", now, now + 1).await;
    assert!(!stale.expect("checked"), "no session for a password that is no longer the user's");
    let opened = accounts::create_session(&mut tx, "hash-1", &user.id, &user.password_hash, now, now + 1_000_000).await;
    assert!(opened.expect("session"), "a session for the password checked");
    tx.commit().await.expect("commit");
    let mut conn = app.backend.db.read.acquire().await.expect("conn");
    assert!(accounts::session_user(&mut conn, "hash-1", now, now - 1).await.expect("live").is_some());
    assert!(
        accounts::session_user(&mut conn, "hash-1", now + 2_000_000, now - 1).await.expect("expired").is_none(),
        "absolute expiry"
    );
    assert!(accounts::session_user(&mut conn, "hash-1", now, now + 1).await.expect("idle").is_none(), "idle expiry");
});

both_stores!(a_vm_moved_to_another_vpc_leaves_its_havips, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let havip = tenant.create(tenant.create_body("moving", &vms[..1])).await;
    let id = havip["id"].as_str().expect("id");
    let before = tenant.settled(id).await.expect("settled");
    assert_eq!(before["vms"][0]["id"], vms[0].as_str());
    let vm_name = tenant.inventory.vms.iter().find(|vm| vm.id == vms[0]).expect("vm").name.clone();
    assert_eq!(tenant.list(&format!("q={vm_name}")).await["total"], 1);
    // The VM, same ID and name, is now in the other VPC's subnet.
    let mut document = tenant.inventory.clone();
    for vm in document.vms.iter_mut().filter(|vm| vm.id == vms[0]) {
        vm.subnet_id = tenant.subnet(1, 0);
        vm.ip = "10.9.1.50".into();
    }
    let tenant_id = app.backend.ensure_tenant(&tenant.name).await.expect("tenant");
    app.backend.import_inventory(&tenant_id, None, &document).await.expect("sync");
    let after: serde_json::Value = tenant.get(&format!("/havips/{id}")).await.json().await.expect("json");
    assert_eq!(after["vms"].as_array().map(Vec::len), Some(0), "{after}");
    assert_eq!(after["master_vm_id"], serde_json::Value::Null, "no master without VMs: {after}");
    assert!(after["version"].as_i64() > before["version"].as_i64(), "a stale copy is refused from now on");
    assert_eq!(tenant.list(&format!("q={vm_name}")).await["total"], 0, "search follows the binding");
});

both_stores!(inventory_sync_replaces_and_unbinds, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let havip = tenant.create(tenant.create_body("bound", &vms[..2])).await;
    let id = havip["id"].as_str().expect("id");
    // The document without the first VM, and the second one renamed.
    let mut document = tenant.inventory.clone();
    document.vms.retain(|vm| vm.id != vms[0]);
    document.vms.iter_mut().filter(|vm| vm.id == vms[1]).for_each(|vm| vm.name = "renamed-vm".into());
    let tenant_id = app.backend.ensure_tenant(&tenant.name).await.expect("tenant");
    let report = app.backend.import_inventory(&tenant_id, None, &document).await.expect("sync");
    assert_eq!(report.removed_vms, vec![vms[0].clone()]);
    let after: serde_json::Value = tenant.get(&format!("/havips/{id}")).await.json().await.expect("json");
    assert_eq!(after["vms"].as_array().map(Vec::len), Some(1), "the removed VM lost its binding: {after}");
    assert!(after["config_revision"].as_i64() > havip["config_revision"].as_i64(), "its configuration moved");
    assert_eq!(tenant.list("q=renamed-vm").await["total"], 1, "search follows the VM's new name");
    // A subnet that HAVIPs use cannot leave.
    let mut without_subnet = document.clone();
    without_subnet.vpcs[0].subnets.remove(0);
    without_subnet.vms.retain(|vm| vm.subnet_id != tenant.subnet(0, 0));
    let refused = app.backend.import_inventory(&tenant_id, None, &without_subnet).await.expect_err("refused");
    assert_eq!(refused.code, app::domain::ErrorCode::InvalidInventory);
    assert_eq!(
        tenant.get("/vms").await.json::<Vec<serde_json::Value>>().await.expect("json").len(),
        9,
        "nothing changed"
    );
});

both_stores!(every_statement_keeps_to_its_tenant, |app: TestApp| async move {
    // R16 in the SQL itself: a transaction of one tenant neither reads nor changes another's
    // rows, even given their IDs.
    let (owner, doc) = seeded(&app).await;
    let id = insert_havip(&app, &owner, &doc, "10.1.1.80").await;
    let vm = doc.vms[0].id.clone();
    let mut tx = TenantTx::begin(&app.backend.db, &owner).await.expect("begin");
    havips::insert_bindings(&mut tx, &[binding(&id, &vm)]).await.expect("bind");
    tx.commit().await.expect("commit");
    let (stranger, _) = seeded(&app).await;

    let now = now_micros();
    let mut tx = TenantTx::begin(&app.backend.db, &stranger).await.expect("begin");
    assert!(havips::lock(&mut tx, &id).await.expect("lock").is_none());
    assert!(
        !havips::set_status(&mut tx, &id, HavipStatus::Creating, HavipStatus::Failed, None, now).await.expect("set")
    );
    let fields = HavipFields { name: "taken", remark: "", search_text: "taken", vrid: 0, config_changed: false };
    havips::update_fields(&mut tx, &id, fields, now).await.expect("update");
    assert!(!havips::remove_binding(&mut tx, &id, &vm).await.expect("unbind"));
    havips::remove_bindings(&mut tx, &id).await.expect("unbind all");
    let subnet = doc.vpcs[0].subnets[0].id.clone();
    assert!(havips::bound_vms(&mut tx, &stranger, &id).await.expect("bound").is_empty());
    assert!(!havips::ip_taken(&mut tx, &stranger, &subnet, 0x0A01_0150).await.expect("taken"));
    assert!(inventory::used_addresses(&mut tx, &stranger, &subnet).await.expect("used").is_empty());
    assert!(inventory::delete_bindings_of_vms(&mut tx, std::slice::from_ref(&vm)).await.expect("unbind").is_empty());
    havips::delete(&mut tx, &id).await.expect("delete");
    tx.commit().await.expect("commit");

    let mut conn = app.backend.db.reader().await.expect("conn");
    let havip = havips::get(&mut conn, &owner, &id).await.expect("get").expect("still there");
    assert_eq!((havip.name.as_str(), havip.status, havip.version), ("conformance", HavipStatus::Creating, 1));
    assert_eq!(havip.vms.len(), 1, "still bound");
});
