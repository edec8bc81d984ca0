//! Bulk data for benchmarks and large tests: the scale data set of quality.md, written with
//! multi-row INSERTs in big transactions (the operations would take far too long for 100,000
//! HAVIPs), and laid out so that every rule holds: addresses inside their subnets and unique,
//! at most 5 HAVIPs per VM and 3 VMs per HAVIP.

use crate::db::{StoreError, new_id, now_micros};
use crate::service::commit_tenant_write;
use crate::service::{Backend, search_text};
use crate::store::{Sql, inventory};
use app::domain::ids::IdKind;
use app::domain::ipv4::Ipv4;

/// The shape of a tenant's bulk data.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// The first VPC is 10.{first_vpc}.0.0/16 (so two layouts in a tenant do not overlap).
    pub first_vpc: usize,
    pub vpcs: usize,
    pub subnets_per_vpc: usize,
    pub vms_per_subnet: usize,
    pub havips: usize,
}

impl Layout {
    /// The large tenant of quality.md: 100,000 HAVIPs over 200 subnets of 20 VPCs, 20,000 VMs.
    pub const LARGE: Layout =
        Layout { first_vpc: 0, vpcs: 20, subnets_per_vpc: 10, vms_per_subnet: 100, havips: 100_000 };
    /// One of the 99 small tenants: 100 HAVIPs.
    pub const SMALL: Layout = Layout { first_vpc: 0, vpcs: 1, subnets_per_vpc: 2, vms_per_subnet: 10, havips: 100 };
}

/// Rows per INSERT statement (well under both databases' parameter limits).
const ROWS_PER_STATEMENT: usize = 400;
/// A subnet is a /20: 4,094 hosts, so 500 HAVIPs and 100 VMs fit with room to spare.
const SUBNET_PREFIX: u32 = 20;

/// Adds the layout's VPCs, subnets, VMs and HAVIPs (with bindings) to the tenant.
pub async fn populate(backend: &Backend, tenant_id: &str, layout: Layout) -> Result<(), StoreError> {
    let subnets = layout.vpcs * layout.subnets_per_vpc;
    assert!(
        subnets > 0 && layout.vpcs <= 250 && layout.subnets_per_vpc <= 16,
        "the layout must fit 10.x.0.0/16 VPCs of /20 subnets"
    );
    let havips_per_subnet = layout.havips.div_ceil(subnets);
    // A layout without HAVIPs only adds inventory.
    assert!(
        havips_per_subnet <= layout.vms_per_subnet * backend.settings.limits.havips_per_vm
            && havips_per_subnet + layout.vms_per_subnet < 4000,
        "too many HAVIPs for the VMs' limits or the subnets' addresses"
    );
    let stem = new_id(IdKind::Tenant).trim_start_matches("tenant-").to_owned();
    let now = now_micros();
    let mut tx = backend.db.begin().await?;
    let project = inventory::default_project(&mut tx, tenant_id).await?;

    let mut vpc_rows = Vec::new();
    let mut subnet_rows = Vec::new();
    let mut vm_rows = Vec::new();
    for v in layout.first_vpc..layout.first_vpc + layout.vpcs {
        let vpc_id = format!("vpc-{stem}{v:03}");
        vpc_rows.push(vec![
            vpc_id.clone(),
            tenant_id.to_owned(),
            project.clone(),
            format!("vpc-{v}"),
            format!("10.{v}.0.0/16"),
        ]);
        for s in 0..layout.subnets_per_vpc {
            let network = (10 << 24) | ((v as u32) << 16) | ((s as u32) << (32 - SUBNET_PREFIX));
            let subnet_id = format!("subnet-{stem}{v:03}{s:02}");
            subnet_rows.push(vec![
                subnet_id.clone(),
                tenant_id.to_owned(),
                vpc_id.clone(),
                format!("subnet-{v}-{s}"),
                format!("{}/{SUBNET_PREFIX}", Ipv4::from_u32(network)),
                Ipv4::from_u32(network + 1).to_string(),
            ]);
            for m in 0..layout.vms_per_subnet {
                let ip = network + 10 + m as u32;
                vm_rows.push((
                    vec![
                        format!("vm-{stem}{v:03}{s:02}{m:04}"),
                        tenant_id.to_owned(),
                        project.clone(),
                        vpc_id.clone(),
                        subnet_id.clone(),
                        format!("vm-{v}-{s}-{m}"),
                        Ipv4::from_u32(ip).to_string(),
                        "running".to_owned(),
                    ],
                    i64::from(ip),
                ));
            }
        }
    }
    insert_text_rows(&mut tx, "vpcs (id, tenant_id, project_id, name, cidr, created_at)", &vpc_rows, now).await?;
    insert_text_rows(&mut tx, "subnets (id, tenant_id, vpc_id, name, cidr, gateway, created_at)", &subnet_rows, now)
        .await?;
    for chunk in vm_rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "INSERT INTO vms (id, tenant_id, project_id, vpc_id, subnet_id, name, private_ip, state, ip_num, created_at) VALUES ",
        );
        for (i, (texts, ip_num)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for text in texts {
                sql.bind(text.clone()).push(", ");
            }
            sql.bind(*ip_num).push(", ").bind(now).push(")");
        }
        sql.fetch_all(&mut tx).await?;
    }
    commit_tenant_write(&backend.db, tx, tenant_id).await?;

    // HAVIPs in creation order, newest last; each bound to one VM of its subnet, which gives
    // every VM at most havips_per_vm of them.
    let mut written = 0;
    while written < layout.havips {
        let mut tx = backend.db.begin().await?;
        let batch_end = (written + 5_000).min(layout.havips);
        let mut havip_rows = Vec::with_capacity(batch_end - written);
        let mut binding_rows = Vec::with_capacity(batch_end - written);
        for j in written..batch_end {
            let subnet = j % subnets;
            let (v, s) = (layout.first_vpc + subnet / layout.subnets_per_vpc, subnet % layout.subnets_per_vpc);
            let k = j / subnets;
            let network = (10 << 24) | ((v as u32) << 16) | ((s as u32) << (32 - SUBNET_PREFIX));
            let ip = Ipv4::from_u32(network + 10 + layout.vms_per_subnet as u32 + k as u32);
            let id = new_id(IdKind::Havip);
            let name = format!("havip-{j:06}");
            let remark = if j % 7 == 0 { format!("batch {} primary", j / 1000) } else { String::new() };
            let vm = k % layout.vms_per_subnet;
            let vm_id = format!("vm-{stem}{v:03}{s:02}{vm:04}");
            let vm_name = format!("vm-{v}-{s}-{vm}");
            let failed = j % 100 == 99;
            let created = now - (layout.havips - j) as i64 * 1_000_000;
            havip_rows.push(HavipRow {
                search: search_text(&name, &remark, &id, &ip.to_string(), [vm_name.as_str()]),
                id: id.clone(),
                name,
                remark,
                vpc_id: format!("vpc-{stem}{v:03}"),
                subnet_id: format!("subnet-{stem}{v:03}{s:02}"),
                ip,
                status: if failed { "failed" } else { "available" },
                reason: failed.then(|| "driver: port security group rejected the VIP".to_owned()),
                master: vm_id.clone(),
                created,
            });
            binding_rows.push((id, vm_id, (k / layout.vms_per_subnet) as i64, created));
        }
        for chunk in havip_rows.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(
                "INSERT INTO havips (id, tenant_id, project_id, name, remark, vpc_id, subnet_id, ip, ip_num, status, status_reason, \
                 master_vm_id, search_text, created_at, updated_at, version) VALUES ",
            );
            for (i, row) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                for text in [
                    &row.id,
                    &tenant_id.to_owned(),
                    &project,
                    &row.name,
                    &row.remark,
                    &row.vpc_id,
                    &row.subnet_id,
                    &row.ip.to_string(),
                ] {
                    sql.bind(text.clone()).push(", ");
                }
                sql.bind(i64::from(row.ip.to_u32()))
                    .push(", ")
                    .bind(row.status.to_owned())
                    .push(", ")
                    .bind(row.reason.clone());
                sql.push(", ")
                    .bind(row.master.clone())
                    .push(", ")
                    .bind(row.search.clone())
                    .push(", ")
                    .bind(row.created);
                sql.push(", ").bind(row.created).push(", 1)");
            }
            sql.fetch_all(&mut tx).await?;
        }
        for chunk in binding_rows.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(
                "INSERT INTO havip_bindings (havip_id, vm_id, tenant_id, havip_slot, vm_slot, created_at) VALUES ",
            );
            for (i, (havip_id, vm_id, vm_slot, created)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(havip_id.clone()).push(", ").bind(vm_id.clone()).push(", ").bind(tenant_id.to_owned());
                sql.push(", 0, ").bind(*vm_slot).push(", ").bind(*created).push(")");
            }
            sql.fetch_all(&mut tx).await?;
        }
        commit_tenant_write(&backend.db, tx, tenant_id).await?;
        written = batch_end;
    }
    Ok(())
}

struct HavipRow {
    id: String,
    name: String,
    remark: String,
    vpc_id: String,
    subnet_id: String,
    ip: Ipv4,
    status: &'static str,
    reason: Option<String>,
    master: String,
    search: String,
    created: i64,
}

/// Inserts rows of text columns followed by `created_at`.
async fn insert_text_rows(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    rows: &[Vec<String>],
    now: i64,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(&format!("INSERT INTO {table} VALUES "));
        for (i, row) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for text in row {
                sql.bind(text.clone()).push(", ");
            }
            sql.bind(now).push(")");
        }
        sql.fetch_all(conn).await?;
    }
    Ok(())
}

/// What `havip seed-scale` made: the large tenant's user and password, for the benchmark.
pub struct ScaleDataSet {
    pub username: String,
    pub password: String,
}

/// The scale data set of quality.md: the large tenant (with one more VPC of VMs that carry
/// nothing yet, for the create benchmark) and the small tenants.
pub async fn scale(
    backend: &Backend,
    havips: usize,
    small_tenants: usize,
) -> Result<ScaleDataSet, app::domain::AppError> {
    let public = crate::service::public_error;
    let (username, password) = ("scale".to_owned(), "scale-benchmark".to_owned());
    backend.create_user("scale", &username, &password, app::domain::caller::Role::Admin).await?;
    let large = backend.ensure_tenant("scale").await?;
    populate(backend, &large, Layout { havips, ..Layout::LARGE }).await.map_err(public)?;
    let spare = Layout { first_vpc: 100, vpcs: 1, subnets_per_vpc: 4, vms_per_subnet: 1000, havips: 0 };
    populate(backend, &large, spare).await.map_err(public)?;
    for i in 0..small_tenants {
        let tenant = backend.ensure_tenant(&format!("small-{i:02}")).await?;
        populate(backend, &tenant, Layout::SMALL).await.map_err(public)?;
    }
    backend.db.analyze().await.map_err(public)?;
    Ok(ScaleDataSet { username, password })
}
