//! Bulk data for benchmarks and large tests: the scale data set of quality.md, written with
//! multi-row INSERTs in big transactions (the operations would take far too long for 100,000
//! HAVIPs), and laid out so that every rule holds: addresses inside their subnets and unique,
//! at most 5 HAVIPs per VM and 3 VMs per HAVIP.

use crate::db::{new_id, now_micros};
use crate::service::{Backend, search_text};
use crate::store::havips::{self, NewBinding, NewHavipRow};
use crate::store::inventory::{self, VmRecord};
use crate::store::{StoreError, TenantTx};
use app::domain::ids::IdKind;
use app::domain::inventory::{Subnet, Vpc};
use app::domain::ipv4::Ipv4;
use app::domain::status::HavipStatus;

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

/// A subnet is a /20: 4,094 hosts, so 500 HAVIPs and 100 VMs fit with room to spare.
const SUBNET_PREFIX: u32 = 20;
/// HAVIPs written per transaction.
const HAVIPS_PER_TRANSACTION: usize = 5_000;

/// The network address of subnet `s` of VPC `v`.
fn network(v: usize, s: usize) -> u32 {
    (10 << 24) | ((v as u32) << 16) | ((s as u32) << (32 - SUBNET_PREFIX))
}

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
    let mut tx = TenantTx::begin(&backend.db, tenant_id).await?;
    let project = inventory::projects(&mut tx, tenant_id)
        .await?
        .into_iter()
        .find(|p| p.is_default)
        .map(|p| p.id)
        .ok_or_else(|| StoreError::Config(format!("tenant {tenant_id} has no default project")))?;

    let mut vpc_rows = Vec::new();
    let mut subnet_rows = Vec::new();
    let mut vm_rows = Vec::new();
    for v in layout.first_vpc..layout.first_vpc + layout.vpcs {
        let vpc_id = format!("vpc-{stem}{v:03}");
        vpc_rows.push(Vpc {
            id: vpc_id.clone(),
            name: format!("vpc-{v}"),
            cidr: format!("10.{v}.0.0/16"),
            project_id: project.clone(),
        });
        for s in 0..layout.subnets_per_vpc {
            let network = network(v, s);
            let subnet_id = format!("subnet-{stem}{v:03}{s:02}");
            subnet_rows.push(Subnet {
                id: subnet_id.clone(),
                vpc_id: vpc_id.clone(),
                name: format!("subnet-{v}-{s}"),
                cidr: format!("{}/{SUBNET_PREFIX}", Ipv4::from_u32(network)),
                gateway: Ipv4::from_u32(network + 1).to_string(),
                ovn_switch: None,
            });
            for m in 0..layout.vms_per_subnet {
                vm_rows.push(VmRecord {
                    id: format!("vm-{stem}{v:03}{s:02}{m:04}"),
                    name: format!("vm-{v}-{s}-{m}"),
                    project_id: project.clone(),
                    vpc_id: vpc_id.clone(),
                    subnet_id: subnet_id.clone(),
                    ip: Ipv4::from_u32(network + 10 + m as u32),
                    state: "running".to_owned(),
                    ovn_port: None,
                });
            }
        }
    }
    inventory::upsert_vpcs(&mut tx, &vpc_rows, now).await?;
    inventory::upsert_subnets(&mut tx, &subnet_rows, now).await?;
    inventory::upsert_vms(&mut tx, &vm_rows, now).await?;
    tx.commit().await?;

    // HAVIPs in creation order, newest last; each bound to one VM of its subnet, which gives
    // every VM at most havips_per_vm of them.
    let mut written = 0;
    while written < layout.havips {
        let mut tx = TenantTx::begin(&backend.db, tenant_id).await?;
        let batch_end = (written + HAVIPS_PER_TRANSACTION).min(layout.havips);
        let mut havip_rows = Vec::with_capacity(batch_end - written);
        let mut binding_rows = Vec::with_capacity(batch_end - written);
        for j in written..batch_end {
            let subnet = j % subnets;
            let (v, s) = (layout.first_vpc + subnet / layout.subnets_per_vpc, subnet % layout.subnets_per_vpc);
            let k = j / subnets;
            let ip = Ipv4::from_u32(network(v, s) + 10 + layout.vms_per_subnet as u32 + k as u32);
            let id = new_id(IdKind::Havip);
            let name = format!("havip-{j:06}");
            let remark = if j % 7 == 0 { format!("batch {} primary", j / 1000) } else { String::new() };
            let vm = k % layout.vms_per_subnet;
            let vm_id = format!("vm-{stem}{v:03}{s:02}{vm:04}");
            let vm_name = format!("vm-{v}-{s}-{vm}");
            let failed = j % 100 == 99;
            let created = now - (layout.havips - j) as i64 * 1_000_000;
            havip_rows.push(NewHavipRow {
                search_text: search_text(&name, &remark, &id, &ip.to_string(), [vm_name.as_str()]),
                id: id.clone(),
                project_id: project.clone(),
                name,
                remark,
                vpc_id: format!("vpc-{stem}{v:03}"),
                subnet_id: format!("subnet-{stem}{v:03}{s:02}"),
                ip,
                status: if failed { HavipStatus::Failed } else { HavipStatus::Available },
                status_reason: failed.then(|| "driver: port security group rejected the VIP".to_owned()),
                // Distinct among the HAVIPs of a VM (R17): the VM-side slot, counted from 1.
                vrid: (k / layout.vms_per_subnet) as i64 + 1,
                created_at: created,
            });
            binding_rows.push(NewBinding {
                havip_id: id,
                vm_id,
                havip_slot: 0,
                vm_slot: (k / layout.vms_per_subnet) as i64,
                vrid: (k / layout.vms_per_subnet) as i64 + 1,
                created_at: created,
            });
        }
        havips::insert(&mut tx, &havip_rows).await?;
        havips::insert_bindings(&mut tx, &binding_rows).await?;
        tx.commit().await?;
        written = batch_end;
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
    let (username, password) = ("scale".to_owned(), "scale-benchmark".to_owned());
    backend.create_user("scale", &username, &password, app::domain::caller::Role::Admin).await?;
    let large = backend.ensure_tenant("scale").await?;
    populate(backend, &large, Layout { havips, ..Layout::LARGE }).await?;
    let spare = Layout { first_vpc: 100, vpcs: 1, subnets_per_vpc: 4, vms_per_subnet: 1000, havips: 0 };
    populate(backend, &large, spare).await?;
    for i in 0..small_tenants {
        let tenant = backend.ensure_tenant(&format!("small-{i:02}")).await?;
        populate(backend, &tenant, Layout::SMALL).await?;
    }
    backend.db.analyze().await?;
    Ok(ScaleDataSet { username, password })
}
