//! The demo data set (`--demo`): two tenants with users, inventory and HAVIPs in every status.
//! Everything goes through the same operations as real requests, so it obeys every rule.

use crate::db::now_micros;
use crate::service::Backend;
use crate::store::{StoreError, TenantTx, havips, jobs};
use app::domain::AppError;
use app::domain::caller::{Caller, Role};
use app::domain::input::CreateHavipRequest;
use app::domain::inventory::InventoryDocument;
use app::domain::status::HavipStatus;

pub const DEMO_USER: (&str, &str) = ("demo", "demo1234");
pub const SECOND_USER: (&str, &str) = ("acme", "acme1234");

const DEMO_INVENTORY: &str = include_str!("demo_inventory.json");
const ACME_INVENTORY: &str = include_str!("demo_inventory_acme.json");

/// A HAVIP of the demo: name, remark, subnet, VMs, and the status it is shown in.
struct DemoHavip {
    name: &'static str,
    remark: &'static str,
    vpc: &'static str,
    subnet: &'static str,
    vms: &'static [&'static str],
    status: HavipStatus,
}

const fn h(
    name: &'static str,
    remark: &'static str,
    vpc: &'static str,
    subnet: &'static str,
    vms: &'static [&'static str],
    status: HavipStatus,
) -> DemoHavip {
    DemoHavip { name, remark, vpc, subnet, vms, status }
}

use HavipStatus::{Available as A, Creating as C, Deleting as D, Failed as F};
const PROD: &str = "vpc-demoprod01";
const TEST: &str = "vpc-demotest01";

const DEMO_HAVIPS: &[DemoHavip] = &[
    h("web-vip", "官网入口，keepalived 主备", PROD, "subnet-demoweb01", &["vm-demoweb0001", "vm-demoweb0002"], A),
    h(
        "api-gateway-vip",
        "API 网关",
        PROD,
        "subnet-demoweb01",
        &["vm-demoweb0001", "vm-demoweb0002", "vm-demoweb0003"],
        A,
    ),
    h("nginx-ha", "", PROD, "subnet-demoweb01", &["vm-demoweb0002", "vm-demoweb0003"], A),
    h("mysql-master", "主备版 MySQL", PROD, "subnet-demodb001", &["vm-demodb00001", "vm-demodb00002"], A),
    h("redis-sentinel", "Redis 哨兵", PROD, "subnet-demodb001", &["vm-demodb00001", "vm-demodb00002"], A),
    h("pg-primary", "PostgreSQL 主库", PROD, "subnet-demodb001", &["vm-demodb00002"], A),
    h("haproxy-internal", "internal load balancer", PROD, "subnet-demoweb01", &["vm-demoweb0003"], A),
    h("mgmt-vip", "运维管理入口", PROD, "subnet-demomgmt1", &["vm-demomgmt001"], A),
    h("bastion-ha", "堡垒机", PROD, "subnet-demomgmt1", &["vm-demomgmt001"], A),
    h("monitor-vip", "Prometheus", PROD, "subnet-demomgmt1", &[], A),
    h("ldap-vip", "", PROD, "subnet-demomgmt1", &[], F),
    h("dns-vip", "内部 DNS", PROD, "subnet-demodb001", &[], A),
    h("kafka-vip", "消息队列", PROD, "subnet-demodb001", &[], C),
    h("es-vip", "日志检索", PROD, "subnet-demoweb01", &[], A),
    h("mq-standby", "", PROD, "subnet-demoweb01", &["vm-demoweb0001"], D),
    h("legacy-vip", "待下线", PROD, "subnet-demoweb01", &[], F),
    h("cache-vip", "memcached", PROD, "subnet-demodb001", &["vm-demodb00001"], A),
    h("ftp-vip", "", PROD, "subnet-demoweb01", &[], A),
    h("app-vip", "测试环境应用", TEST, "subnet-demoapp01", &["vm-demoapp0001", "vm-demoapp0002"], A),
    h("app-db-vip", "测试库", TEST, "subnet-demoapp01", &["vm-demoapp0002"], A),
    h("ci-runner-vip", "CI", TEST, "subnet-democi001", &["vm-democi00001", "vm-democi00002"], A),
    h("ci-cache-vip", "", TEST, "subnet-democi001", &["vm-democi00001"], A),
    h("staging-web", "预发布", TEST, "subnet-demoapp01", &["vm-demoapp0001"], A),
    h("staging-api", "", TEST, "subnet-demoapp01", &[], C),
    h("perf-test-vip", "压测", TEST, "subnet-democi001", &[], F),
    h("sandbox-vip", "", TEST, "subnet-demoapp01", &[], D),
    h("feature-x", "功能分支", TEST, "subnet-demoapp01", &[], A),
    h("feature-y", "", TEST, "subnet-democi001", &[], A),
    h("-backup-vip", "=SUM(A1) 公式样例：导出时按文本写入", TEST, "subnet-democi001", &[], A),
    h("grafana-vip", "<b>看板</b>", PROD, "subnet-demomgmt1", &[], A),
];

const ACME_HAVIPS: &[DemoHavip] = &[
    h("acme-web", "ACME storefront", "vpc-acmemain01", "subnet-acmeweb01", &["vm-acmeweb0001", "vm-acmeweb0002"], A),
    h("acme-db", "", "vpc-acmemain01", "subnet-acmeweb01", &["vm-acmeweb0002"], A),
    h("acme-old", "", "vpc-acmemain01", "subnet-acmeweb01", &[], F),
];

/// Loads the demo data set into an empty database.
pub async fn load(backend: &Backend) -> Result<(), AppError> {
    load_tenant(backend, "demo", DEMO_USER, DEMO_INVENTORY, DEMO_HAVIPS).await?;
    load_tenant(backend, "acme", SECOND_USER, ACME_INVENTORY, ACME_HAVIPS).await?;
    Ok(())
}

async fn load_tenant(
    backend: &Backend,
    tenant: &str,
    (username, password): (&str, &str),
    inventory: &str,
    list: &[DemoHavip],
) -> Result<(), AppError> {
    backend.create_user(tenant, username, password, Role::Admin).await?;
    let tenant_id = backend.ensure_tenant(tenant).await?;
    let document: InventoryDocument = serde_json::from_str(inventory).map_err(|e| {
        tracing::error!(error = %e, "the demo inventory does not parse");
        AppError::internal()
    })?;
    backend.import_inventory(&tenant_id, None, &document).await?;
    let caller = Caller {
        user_id: String::new(),
        tenant_id: tenant_id.clone(),
        profile: app::domain::caller::UserProfile {
            username: username.to_owned(),
            tenant_name: tenant.to_owned(),
            role: Role::Admin,
        },
        request_id: "demo".to_owned(),
        by_token: false,
        tenant_revision: None,
        agent_vm: None,
    };
    let now = now_micros();
    let count = list.len() as i64;
    for (i, demo) in list.iter().enumerate() {
        let request = CreateHavipRequest {
            name: demo.name.to_owned(),
            remark: Some(demo.remark.to_owned()),
            vpc_id: demo.vpc.to_owned(),
            subnet_id: demo.subnet.to_owned(),
            ip: None,
            vm_ids: Some(demo.vms.iter().map(|s| (*s).to_owned()).collect()),
            project_id: None,
            vrid: None,
        };
        let havip = backend.create_havip(&caller, request, None).await?;
        // Spread the creation times over the past weeks, oldest first.
        let created = now - (count - i as i64) * 7 * 3_600_000_000;
        settle(backend, &tenant_id, &havip.id, demo.status, created).await?;
    }
    Ok(())
}

/// Puts a new demo HAVIP into its shown status. Creating and deleting ones keep a job that
/// waits ten minutes, so the console shows them in progress for a while, then settles them.
async fn settle(
    backend: &Backend,
    tenant_id: &str,
    id: &str,
    status: HavipStatus,
    created_at: i64,
) -> Result<(), StoreError> {
    let now = now_micros();
    let later = now + 600_000_000;
    let mut tx = TenantTx::begin(&backend.db, tenant_id).await?;
    havips::backdate(&mut tx, id, created_at).await?;
    match status {
        HavipStatus::Available => {
            havips::set_status(&mut tx, id, HavipStatus::Creating, HavipStatus::Available, None, now).await?;
            jobs::close_for_havip(&mut tx, id, now).await?;
        }
        HavipStatus::Failed => {
            let reason = "driver: switch port sw-12/0/7 did not answer";
            havips::set_status(&mut tx, id, HavipStatus::Creating, HavipStatus::Failed, Some(reason), now).await?;
            jobs::close_for_havip(&mut tx, id, now).await?;
        }
        HavipStatus::Creating => jobs::delay_for_havip(&mut tx, id, later).await?,
        HavipStatus::Deleting => {
            havips::set_status(&mut tx, id, HavipStatus::Creating, HavipStatus::Deleting, None, now).await?;
            jobs::close_for_havip(&mut tx, id, now).await?;
            jobs::enqueue(&mut tx, id, jobs::JobKind::Delete, now).await?;
            jobs::delay_for_havip(&mut tx, id, later).await?;
        }
    }
    tx.commit().await
}
