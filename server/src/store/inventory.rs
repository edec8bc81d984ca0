//! VPCs, subnets, VMs and projects of a tenant.

use super::Sql;
use crate::db::{Dialect, StoreError, col, new_id};
use app::domain::havip::ProjectRef;
use app::domain::ids::IdKind;
use app::domain::inventory::{Project, Subnet, ValidInventory, Vm, Vpc};
use sqlx::AnyConnection;

pub async fn vpcs(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<Vpc>, StoreError> {
    let rows = sqlx::query("SELECT id, name, cidr, project_id FROM vpcs WHERE tenant_id = $1 ORDER BY name, id")
        .bind(tenant_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok(Vpc { id: col(r, 0)?, name: col(r, 1)?, cidr: col(r, 2)?, project_id: col(r, 3)? }))
        .collect()
}

pub async fn subnets(
    conn: &mut AnyConnection,
    tenant_id: &str,
    vpc_id: Option<&str>,
) -> Result<Vec<Subnet>, StoreError> {
    let mut sql = Sql::new("SELECT id, vpc_id, name, cidr, gateway FROM subnets WHERE tenant_id = ");
    sql.bind(tenant_id.to_owned());
    if let Some(vpc_id) = vpc_id {
        sql.push(" AND vpc_id = ").bind(vpc_id.to_owned());
    }
    sql.push(" ORDER BY name, id");
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Subnet { id: col(r, 0)?, vpc_id: col(r, 1)?, name: col(r, 2)?, cidr: col(r, 3)?, gateway: col(r, 4)? })
        })
        .collect()
}

/// The tenant's VMs with how many HAVIPs each carries, counted in one grouped query.
pub async fn vms(conn: &mut AnyConnection, tenant_id: &str, vpc_id: Option<&str>) -> Result<Vec<Vm>, StoreError> {
    let mut sql = Sql::new(
        "SELECT m.id, m.name, m.private_ip, m.vpc_id, m.subnet_id, m.project_id, m.state, COALESCE(c.n, 0) \
         FROM vms m LEFT JOIN (SELECT vm_id, COUNT(*) AS n FROM havip_bindings WHERE tenant_id = ",
    );
    sql.bind(tenant_id.to_owned())
        .push(" GROUP BY vm_id) c ON c.vm_id = m.id WHERE m.tenant_id = ")
        .bind(tenant_id.to_owned());
    if let Some(vpc_id) = vpc_id {
        sql.push(" AND m.vpc_id = ").bind(vpc_id.to_owned());
    }
    sql.push(" ORDER BY m.name, m.id");
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            let count: i64 = col(r, 7)?;
            Ok(Vm {
                id: col(r, 0)?,
                name: col(r, 1)?,
                ip: col(r, 2)?,
                vpc_id: col(r, 3)?,
                subnet_id: col(r, 4)?,
                project_id: col(r, 5)?,
                state: col(r, 6)?,
                havip_count: u32::try_from(count).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// Each VM's ID, name and address, without the counts (for the export's names).
pub async fn vm_labels(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<(String, String, String)>, StoreError> {
    let rows = sqlx::query("SELECT id, name, private_ip FROM vms WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?))).collect()
}

pub async fn projects(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<Project>, StoreError> {
    let rows =
        sqlx::query("SELECT id, name, is_default FROM projects WHERE tenant_id = $1 ORDER BY is_default DESC, name")
            .bind(tenant_id)
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|r| {
            let is_default: i64 = col(r, 2)?;
            Ok(Project { id: col(r, 0)?, name: col(r, 1)?, is_default: is_default == 1 })
        })
        .collect()
}

pub async fn find_vpc(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> Result<Option<Vpc>, StoreError> {
    let row = sqlx::query("SELECT id, name, cidr, project_id FROM vpcs WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok(Vpc { id: col(&r, 0)?, name: col(&r, 1)?, cidr: col(&r, 2)?, project_id: col(&r, 3)? })).transpose()
}

pub async fn find_subnet(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> Result<Option<Subnet>, StoreError> {
    let row = sqlx::query("SELECT id, vpc_id, name, cidr, gateway FROM subnets WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(Subnet { id: col(&r, 0)?, vpc_id: col(&r, 1)?, name: col(&r, 2)?, cidr: col(&r, 3)?, gateway: col(&r, 4)? })
    })
    .transpose()
}

/// A VM as the binding rules need it.
pub struct VmBrief {
    pub id: String,
    pub vpc_id: String,
    pub name: String,
    pub ip: String,
}

/// The tenant's VMs among `ids` (the ones missing are not the tenant's or do not exist).
pub async fn find_vms(conn: &mut AnyConnection, tenant_id: &str, ids: &[String]) -> Result<Vec<VmBrief>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, vpc_id, name, private_ip FROM vms WHERE tenant_id = ");
    sql.bind(tenant_id.to_owned()).push(" AND id IN (").bind_list(ids).push(")");
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok(VmBrief { id: col(r, 0)?, vpc_id: col(r, 1)?, name: col(r, 2)?, ip: col(r, 3)? }))
        .collect()
}

/// Makes concurrent creates in one subnet take turns (Postgres): each then picks its address
/// after the previous one committed, instead of racing for the same lowest free address.
/// SQLite's write transaction excludes other writers already.
pub async fn lock_subnet(conn: &mut AnyConnection, dialect: Dialect, subnet_id: &str) -> Result<(), StoreError> {
    if dialect == Dialect::Postgres {
        sqlx::query("SELECT id FROM subnets WHERE id = $1 FOR UPDATE").bind(subnet_id).fetch_optional(conn).await?;
    }
    Ok(())
}

/// Shares the lock of a HAVIP's subnet (Postgres; SQLite has one writer anyway), for a change
/// that binds VMs: it then waits for an inventory sync, which may remove or move those VMs,
/// instead of binding one that the sync is taking away.
pub async fn share_subnet_of_havip(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
    havip_id: &str,
) -> Result<(), StoreError> {
    if dialect == Dialect::Postgres {
        sqlx::query(
            "SELECT s.id FROM subnets s JOIN havips h ON h.subnet_id = s.id \
             WHERE h.tenant_id = $1 AND h.id = $2 FOR SHARE OF s",
        )
        .bind(tenant_id)
        .bind(havip_id)
        .fetch_optional(conn)
        .await?;
    }
    Ok(())
}

/// Takes every subnet of the tenant (Postgres; SQLite has one writer anyway), for an inventory
/// sync: creates and changes that bind VMs wait for it, so neither a new HAVIP, a binding, a
/// removed subnet nor a VM's new address can slip between its checks and its writes.
pub async fn lock_subnets_of_tenant(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
) -> Result<(), StoreError> {
    if dialect == Dialect::Postgres {
        sqlx::query("SELECT id FROM subnets WHERE tenant_id = $1 ORDER BY id FOR UPDATE")
            .bind(tenant_id)
            .fetch_all(conn)
            .await?;
    }
    Ok(())
}

/// Addresses of the subnet held by VMs and HAVIPs (for the allocator, R7).
pub async fn used_addresses(conn: &mut AnyConnection, subnet_id: &str) -> Result<Vec<u32>, StoreError> {
    let rows = sqlx::query(
        "SELECT ip_num FROM vms WHERE subnet_id = $1 UNION ALL SELECT ip_num FROM havips WHERE subnet_id = $1",
    )
    .bind(subnet_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| col::<i64>(r, 0).map(|n| n as u32)).collect()
}

pub async fn vm_holds_address(conn: &mut AnyConnection, subnet_id: &str, ip_num: i64) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 FROM vms WHERE subnet_id = $1 AND ip_num = $2")
        .bind(subnet_id)
        .bind(ip_num)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

pub async fn default_project(conn: &mut AnyConnection, tenant_id: &str) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT id FROM projects WHERE tenant_id = $1 AND is_default = 1")
        .bind(tenant_id)
        .fetch_one(conn)
        .await?;
    col(&row, 0)
}

pub async fn find_project(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ProjectRef>, StoreError> {
    let row = sqlx::query("SELECT id, name FROM projects WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok(ProjectRef { id: col(&r, 0)?, name: col(&r, 1)? })).transpose()
}

pub async fn create_project(
    conn: &mut AnyConnection,
    tenant_id: &str,
    name: &str,
    is_default: bool,
    now: i64,
) -> Result<String, StoreError> {
    let id = new_id(IdKind::Project);
    sqlx::query("INSERT INTO projects (id, tenant_id, name, is_default, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(tenant_id)
        .bind(name)
        .bind(i64::from(is_default))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(id)
}

/// What an inventory sync changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub vpcs: usize,
    pub subnets: usize,
    pub vms: usize,
    pub removed_vms: Vec<String>,
    /// VMs that kept their ID but changed name.
    pub renamed_vms: Vec<String>,
    /// HAVIPs that lost bindings (their VMs left or moved to another VPC), as the deletes
    /// found them.
    pub unbound_havips: Vec<String>,
}

/// Makes the tenant's inventory exactly the document's (in the caller's transaction): upserts
/// what it lists, removes the VMs, subnets and VPCs it leaves out. Removing a VM removes its
/// bindings; a subnet or VPC that HAVIPs still use cannot be removed.
pub async fn sync(
    conn: &mut AnyConnection,
    tenant_id: &str,
    inventory: &ValidInventory,
    now: i64,
) -> Result<SyncReport, StoreError> {
    // Projects by name; the default one always exists.
    let mut project_ids = std::collections::HashMap::new();
    for project in projects(conn, tenant_id).await? {
        project_ids.insert(project.name.clone(), project.id.clone());
    }
    let default_project = default_project(conn, tenant_id).await?;
    for name in &inventory.projects {
        if !project_ids.contains_key(name) {
            let id = create_project(conn, tenant_id, name, false, now).await?;
            project_ids.insert(name.clone(), id);
        }
    }
    let project_of = |name: &Option<String>| {
        name.as_ref().and_then(|n| project_ids.get(n).cloned()).unwrap_or_else(|| default_project.clone())
    };

    // IDs are global: one that another tenant owns cannot be taken over.
    let all_ids: Vec<String> = inventory
        .vpcs
        .iter()
        .map(|(v, _)| v.id.clone())
        .chain(inventory.subnets.iter().map(|(_, s)| s.id.clone()))
        .chain(inventory.vms.iter().map(|vm| vm.entry.id.clone()))
        .collect();
    for (table, kind) in [("vpcs", "VPC"), ("subnets", "subnet"), ("vms", "VM")] {
        for chunk in all_ids.chunks(500) {
            let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE tenant_id <> "));
            sql.bind(tenant_id.to_owned()).push(" AND id IN (").bind_list(chunk).push(") LIMIT 1");
            if let Some(row) = sql.fetch_all(conn).await?.first() {
                let id: String = col(row, 0)?;
                return Err(invalid(format!("{kind} {id} belongs to another tenant")));
            }
        }
    }

    for (vpc, project) in &inventory.vpcs {
        let written = sqlx::query(
            "INSERT INTO vpcs (id, tenant_id, project_id, name, cidr, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, name = excluded.name, cidr = excluded.cidr \
             WHERE vpcs.tenant_id = excluded.tenant_id",
        )
        .bind(&vpc.id)
        .bind(tenant_id)
        .bind(project_of(project))
        .bind(&vpc.name)
        .bind(&vpc.cidr)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        owned_by_tenant(written, "VPC", &vpc.id)?;
    }
    for (vpc_id, subnet) in &inventory.subnets {
        let existing = find_subnet(conn, tenant_id, &subnet.id).await?;
        if let Some(existing) = &existing {
            let changed =
                existing.cidr != subnet.cidr || existing.gateway != subnet.gateway || existing.vpc_id != *vpc_id;
            if changed && count(conn, "SELECT COUNT(*) FROM havips WHERE subnet_id = $1", &subnet.id).await? > 0 {
                return Err(invalid(format!(
                    "subnet {} has HAVIPs: its CIDR, gateway and VPC cannot change",
                    subnet.id
                )));
            }
        }
        let written = sqlx::query(
            "INSERT INTO subnets (id, tenant_id, vpc_id, name, cidr, gateway, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO UPDATE SET vpc_id = excluded.vpc_id, name = excluded.name, cidr = excluded.cidr, gateway = excluded.gateway \
             WHERE subnets.tenant_id = excluded.tenant_id",
        )
        .bind(&subnet.id)
        .bind(tenant_id)
        .bind(vpc_id)
        .bind(&subnet.name)
        .bind(&subnet.cidr)
        .bind(&subnet.gateway)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        owned_by_tenant(written, "subnet", &subnet.id)?;
    }
    // The VMs as they were: those renamed are reported (their HAVIPs' search text changes);
    // those new or with another address are judged by R6 below (what stays as it was is not
    // judged again, so one old conflict does not block every later sync).
    let before: std::collections::HashMap<String, (String, String, i64)> =
        sqlx::query("SELECT id, name, subnet_id, ip_num FROM vms WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| Ok((col(row, 0)?, (col(row, 1)?, col(row, 2)?, col(row, 3)?))))
            .collect::<Result<_, StoreError>>()?;
    let mut renamed_vms = Vec::new();
    let mut readdressed = Vec::new();
    for vm in &inventory.vms {
        match before.get(&vm.entry.id) {
            Some((name, subnet_id, ip_num)) => {
                if *name != vm.entry.name {
                    renamed_vms.push(vm.entry.id.clone());
                }
                if *subnet_id != vm.entry.subnet_id || *ip_num != i64::from(vm.ip.to_u32()) {
                    readdressed.push(vm.entry.id.clone());
                }
            }
            None => readdressed.push(vm.entry.id.clone()),
        }
    }
    let mut unbound_havips = Vec::new();
    for vm in &inventory.vms {
        // A VM that moved to another VPC keeps no bindings: they were made for the old one.
        let moved = sqlx::query("SELECT 1 FROM vms WHERE id = $1 AND tenant_id = $2 AND vpc_id <> $3")
            .bind(&vm.entry.id)
            .bind(tenant_id)
            .bind(&vm.vpc_id)
            .fetch_optional(&mut *conn)
            .await?;
        if moved.is_some() {
            let rows = sqlx::query("DELETE FROM havip_bindings WHERE vm_id = $1 RETURNING havip_id")
                .bind(&vm.entry.id)
                .fetch_all(&mut *conn)
                .await?;
            for row in &rows {
                unbound_havips.push(col(row, 0)?);
            }
        }
        let written = sqlx::query(
            "INSERT INTO vms (id, tenant_id, project_id, vpc_id, subnet_id, name, private_ip, ip_num, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, vpc_id = excluded.vpc_id, subnet_id = excluded.subnet_id, \
             name = excluded.name, private_ip = excluded.private_ip, ip_num = excluded.ip_num, state = excluded.state \
             WHERE vms.tenant_id = excluded.tenant_id",
        )
        .bind(&vm.entry.id)
        .bind(tenant_id)
        .bind(project_of(&vm.project))
        .bind(&vm.vpc_id)
        .bind(&vm.entry.subnet_id)
        .bind(&vm.entry.name)
        .bind(vm.ip.to_string())
        .bind(i64::from(vm.ip.to_u32()))
        .bind(vm.entry.state.clone().unwrap_or_else(|| "running".to_owned()))
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        owned_by_tenant(written, "VM", &vm.entry.id)?;
    }

    // Remove what the document leaves out: VMs (with their bindings), then subnets, then VPCs.
    let keep_vms: Vec<String> = inventory.vms.iter().map(|vm| vm.entry.id.clone()).collect();
    let removed_vms = ids_not_in(conn, "vms", tenant_id, &keep_vms).await?;
    for chunk in removed_vms.chunks(500) {
        let mut sql = Sql::new("DELETE FROM havip_bindings WHERE vm_id IN (");
        sql.bind_list(chunk).push(") RETURNING havip_id");
        for row in sql.fetch_all(conn).await? {
            unbound_havips.push(col(&row, 0)?);
        }
        let mut sql = Sql::new("DELETE FROM vms WHERE id IN (");
        sql.bind_list(chunk).push(")");
        sql.fetch_all(conn).await?;
    }
    let keep_subnets: Vec<String> = inventory.subnets.iter().map(|(_, s)| s.id.clone()).collect();
    for subnet in ids_not_in(conn, "subnets", tenant_id, &keep_subnets).await? {
        if count(conn, "SELECT COUNT(*) FROM havips WHERE subnet_id = $1", &subnet).await? > 0 {
            return Err(invalid(format!("subnet {subnet} still has HAVIPs and cannot be removed")));
        }
        if count(conn, "SELECT COUNT(*) FROM vms WHERE subnet_id = $1", &subnet).await? > 0 {
            return Err(invalid(format!("subnet {subnet} still has VMs and cannot be removed")));
        }
        sqlx::query("DELETE FROM subnets WHERE id = $1").bind(&subnet).execute(&mut *conn).await?;
    }
    let keep_vpcs: Vec<String> = inventory.vpcs.iter().map(|(v, _)| v.id.clone()).collect();
    for vpc in ids_not_in(conn, "vpcs", tenant_id, &keep_vpcs).await? {
        if count(conn, "SELECT COUNT(*) FROM havips WHERE vpc_id = $1", &vpc).await? > 0 {
            return Err(invalid(format!("VPC {vpc} still has HAVIPs and cannot be removed")));
        }
        sqlx::query("DELETE FROM vpcs WHERE id = $1").bind(&vpc).execute(&mut *conn).await?;
    }
    refuse_vms_on_havip_addresses(conn, &readdressed).await?;
    unbound_havips.sort();
    unbound_havips.dedup();
    Ok(SyncReport {
        vpcs: keep_vpcs.len(),
        subnets: keep_subnets.len(),
        vms: keep_vms.len(),
        removed_vms,
        renamed_vms,
        unbound_havips,
    })
}

/// R6 for VMs: none of `vm_ids` may have the address a HAVIP of its subnet holds.
async fn refuse_vms_on_havip_addresses(conn: &mut AnyConnection, vm_ids: &[String]) -> Result<(), StoreError> {
    for chunk in vm_ids.chunks(500) {
        let mut sql = Sql::new(
            "SELECT m.id, m.private_ip, h.id FROM vms m \
             JOIN havips h ON h.subnet_id = m.subnet_id AND h.ip_num = m.ip_num WHERE m.id IN (",
        );
        sql.bind_list(chunk).push(") LIMIT 1");
        if let Some(row) = sql.fetch_all(conn).await?.first() {
            let (vm, ip, havip): (String, String, String) = (col(row, 0)?, col(row, 1)?, col(row, 2)?);
            return Err(invalid(format!("VM {vm} cannot have {ip}: HAVIP {havip} holds that address")));
        }
    }
    Ok(())
}

async fn count(conn: &mut AnyConnection, sql: &str, id: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(sql).bind(id).fetch_one(conn).await?;
    col(&row, 0)
}

/// IDs of the tenant's rows in `table` that are not in `keep`.
async fn ids_not_in(
    conn: &mut AnyConnection,
    table: &str,
    tenant_id: &str,
    keep: &[String],
) -> Result<Vec<String>, StoreError> {
    let rows =
        sqlx::query(&format!("SELECT id FROM {table} WHERE tenant_id = $1")).bind(tenant_id).fetch_all(conn).await?;
    let keep: std::collections::HashSet<&String> = keep.iter().collect();
    let mut gone = Vec::new();
    for row in &rows {
        let id: String = col(row, 0)?;
        if !keep.contains(&id) {
            gone.push(id);
        }
    }
    Ok(gone)
}

fn invalid(detail: String) -> StoreError {
    StoreError::Rule(app::domain::AppError::with_detail(app::domain::ErrorCode::InvalidInventory, detail))
}

/// An upsert that wrote nothing met an ID another tenant took since the check above (the
/// upserts change only the tenant's own rows): the document cannot be applied.
fn owned_by_tenant(rows_written: u64, kind: &str, id: &str) -> Result<(), StoreError> {
    if rows_written == 0 {
        return Err(invalid(format!("{kind} {id} belongs to another tenant")));
    }
    Ok(())
}
