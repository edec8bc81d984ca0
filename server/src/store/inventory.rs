//! VPCs, subnets, VMs and projects of a tenant.

use super::{Sql, StoreError, TenantTx};
use crate::db::{Dialect, col, new_id};
use app::domain::havip::ProjectRef;
use app::domain::ids::IdKind;
use app::domain::inventory::{Project, Subnet, Vm, VmPlace, Vpc};
use app::domain::ipv4::Ipv4;
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
    let mut sql = Sql::new("SELECT id, vpc_id, name, cidr, gateway, ovn_switch FROM subnets WHERE tenant_id = ");
    sql.bind(tenant_id.to_owned());
    if let Some(vpc_id) = vpc_id {
        sql.push(" AND vpc_id = ").bind(vpc_id.to_owned());
    }
    sql.push(" ORDER BY name, id");
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Subnet {
                id: col(r, 0)?,
                vpc_id: col(r, 1)?,
                name: col(r, 2)?,
                cidr: col(r, 3)?,
                gateway: col(r, 4)?,
                ovn_switch: col(r, 5)?,
            })
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
    let row =
        sqlx::query("SELECT id, vpc_id, name, cidr, gateway, ovn_switch FROM subnets WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| {
        Ok(Subnet {
            id: col(&r, 0)?,
            vpc_id: col(&r, 1)?,
            name: col(&r, 2)?,
            cidr: col(&r, 3)?,
            gateway: col(&r, 4)?,
            ovn_switch: col(&r, 5)?,
        })
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
pub async fn lock_subnet(tx: &mut TenantTx, subnet_id: &str) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Postgres {
        let (conn, tenant_id) = tx.split();
        sqlx::query("SELECT id FROM subnets WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(tenant_id)
            .bind(subnet_id)
            .fetch_optional(conn)
            .await?;
    }
    Ok(())
}

/// Shares the lock of a HAVIP's subnet (Postgres; SQLite has one writer anyway), for a change
/// that binds VMs: it then waits for an inventory sync, which may remove or move those VMs,
/// instead of binding one that the sync is taking away.
pub async fn share_subnet_of_havip(tx: &mut TenantTx, havip_id: &str) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Postgres {
        let (conn, tenant_id) = tx.split();
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
pub async fn lock_subnets_of_tenant(tx: &mut TenantTx) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Postgres {
        let (conn, tenant_id) = tx.split();
        sqlx::query("SELECT id FROM subnets WHERE tenant_id = $1 ORDER BY id FOR UPDATE")
            .bind(tenant_id)
            .fetch_all(conn)
            .await?;
    }
    Ok(())
}

/// Addresses of the subnet held by VMs and HAVIPs (for the allocator, R7).
pub async fn used_addresses(
    conn: &mut AnyConnection,
    tenant_id: &str,
    subnet_id: &str,
) -> Result<Vec<u32>, StoreError> {
    let rows = sqlx::query(
        "SELECT ip_num FROM vms WHERE tenant_id = $1 AND subnet_id = $2 \
         UNION ALL SELECT ip_num FROM havips WHERE tenant_id = $1 AND subnet_id = $2",
    )
    .bind(tenant_id)
    .bind(subnet_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| col::<i64>(r, 0).map(|n| n as u32)).collect()
}

pub async fn vm_holds_address(
    conn: &mut AnyConnection,
    tenant_id: &str,
    subnet_id: &str,
    ip_num: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 FROM vms WHERE tenant_id = $1 AND subnet_id = $2 AND ip_num = $3")
        .bind(tenant_id)
        .bind(subnet_id)
        .bind(ip_num)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
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

/// Creates a project of the tenant; answers its ID.
pub async fn create_project(tx: &mut TenantTx, name: &str, is_default: bool, now: i64) -> Result<String, StoreError> {
    let id = new_id(IdKind::Project);
    let (conn, tenant_id) = tx.split();
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

/// The tenant's VPC IDs.
pub async fn vpc_ids(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT id FROM vpcs WHERE tenant_id = $1").bind(tenant_id).fetch_all(conn).await?;
    rows.iter().map(|r| col(r, 0)).collect()
}

/// Where each VM of the tenant is.
pub async fn vm_places(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<VmPlace>, StoreError> {
    let rows = sqlx::query("SELECT id, name, vpc_id, subnet_id, ip_num, ovn_port FROM vms WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            let ip: i64 = col(r, 4)?;
            Ok(VmPlace {
                id: col(r, 0)?,
                name: col(r, 1)?,
                vpc_id: col(r, 2)?,
                subnet_id: col(r, 3)?,
                ip: Ipv4::from_u32(ip as u32),
                ovn_port: col(r, 5)?,
            })
        })
        .collect()
}

/// Which of `ids` (VPC, subnet or VM IDs) another tenant owns: IDs are global.
pub async fn foreign_ids(conn: &mut AnyConnection, tenant_id: &str, ids: &[String]) -> Result<Vec<String>, StoreError> {
    let mut foreign = Vec::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new("");
        for (i, table) in ["vpcs", "subnets", "vms"].into_iter().enumerate() {
            sql.push(if i == 0 { "" } else { " UNION ALL " });
            sql.push(&format!("SELECT id FROM {table} WHERE tenant_id <> ")).bind(tenant_id.to_owned());
            sql.push(" AND id IN (").bind_list(chunk).push(")");
        }
        for row in sql.fetch_all(conn).await? {
            foreign.push(col(&row, 0)?);
        }
    }
    Ok(foreign)
}

/// Rows per multi-row statement (well under both databases' parameter limits).
const ROWS_PER_STATEMENT: usize = 400;

/// Inserts or updates VPCs of the tenant; answers how many rows were written. An ID another
/// tenant owns is not written (the upserts change only the tenant's own rows).
pub async fn upsert_vpcs(tx: &mut TenantTx, vpcs: &[Vpc], now: i64) -> Result<u64, StoreError> {
    let mut written = 0;
    for chunk in vpcs.chunks(ROWS_PER_STATEMENT) {
        let (conn, tenant_id) = tx.split();
        let mut sql = Sql::new("INSERT INTO vpcs (id, tenant_id, project_id, name, cidr, created_at) VALUES ");
        for (i, vpc) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for text in [&vpc.id, tenant_id, &vpc.project_id, &vpc.name, &vpc.cidr] {
                sql.bind(text.to_owned()).push(", ");
            }
            sql.bind(now).push(")");
        }
        sql.push(
            " ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, name = excluded.name, \
             cidr = excluded.cidr WHERE vpcs.tenant_id = excluded.tenant_id",
        );
        written += sql.execute(conn).await?;
    }
    Ok(written)
}

/// Inserts or updates subnets of the tenant; answers how many rows were written.
pub async fn upsert_subnets(tx: &mut TenantTx, subnets: &[Subnet], now: i64) -> Result<u64, StoreError> {
    let mut written = 0;
    for chunk in subnets.chunks(ROWS_PER_STATEMENT) {
        let (conn, tenant_id) = tx.split();
        let mut sql = Sql::new(
            "INSERT INTO subnets (id, tenant_id, vpc_id, name, cidr, gateway, ovn_switch, created_at) VALUES ",
        );
        for (i, subnet) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for text in [&subnet.id, tenant_id, &subnet.vpc_id, &subnet.name, &subnet.cidr, &subnet.gateway] {
                sql.bind(text.to_owned()).push(", ");
            }
            sql.bind(subnet.ovn_switch.clone()).push(", ").bind(now).push(")");
        }
        sql.push(
            " ON CONFLICT (id) DO UPDATE SET vpc_id = excluded.vpc_id, name = excluded.name, cidr = excluded.cidr, \
             gateway = excluded.gateway, ovn_switch = excluded.ovn_switch WHERE subnets.tenant_id = excluded.tenant_id",
        );
        written += sql.execute(conn).await?;
    }
    Ok(written)
}

/// A VM as the store writes it.
pub struct VmRecord {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub ip: Ipv4,
    pub state: String,
    /// The VM's port in OVN, when the inventory names one.
    pub ovn_port: Option<String>,
}

/// Inserts or updates VMs of the tenant; answers how many rows were written.
pub async fn upsert_vms(tx: &mut TenantTx, vms: &[VmRecord], now: i64) -> Result<u64, StoreError> {
    let mut written = 0;
    for chunk in vms.chunks(ROWS_PER_STATEMENT) {
        let (conn, tenant_id) = tx.split();
        let mut sql = Sql::new(
            "INSERT INTO vms (id, tenant_id, project_id, vpc_id, subnet_id, name, private_ip, ip_num, state, ovn_port, \
             created_at) VALUES ",
        );
        for (i, vm) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for text in [&vm.id, tenant_id, &vm.project_id, &vm.vpc_id, &vm.subnet_id, &vm.name] {
                sql.bind(text.to_owned()).push(", ");
            }
            sql.bind(vm.ip.to_string()).push(", ").bind(i64::from(vm.ip.to_u32())).push(", ");
            sql.bind(vm.state.clone()).push(", ").bind(vm.ovn_port.clone()).push(", ").bind(now).push(")");
        }
        sql.push(
            " ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, vpc_id = excluded.vpc_id, \
             subnet_id = excluded.subnet_id, name = excluded.name, private_ip = excluded.private_ip, \
             ip_num = excluded.ip_num, state = excluded.state, ovn_port = excluded.ovn_port \
             WHERE vms.tenant_id = excluded.tenant_id",
        );
        written += sql.execute(conn).await?;
    }
    Ok(written)
}

/// Removes every binding of the VMs; answers the HAVIPs that lost one.
pub async fn delete_bindings_of_vms(tx: &mut TenantTx, vm_ids: &[String]) -> Result<Vec<String>, StoreError> {
    let mut unbound = Vec::new();
    for chunk in vm_ids.chunks(ROWS_PER_STATEMENT) {
        let (conn, tenant_id) = tx.split();
        let mut sql = Sql::new("DELETE FROM havip_bindings WHERE tenant_id = ");
        sql.bind(tenant_id.to_owned()).push(" AND vm_id IN (").bind_list(chunk).push(") RETURNING havip_id");
        for row in sql.fetch_all(conn).await? {
            unbound.push(col(&row, 0)?);
        }
    }
    Ok(unbound)
}

/// Deletes rows of the tenant from `table` (`vms`, `subnets` or `vpcs`) by ID.
async fn delete_ids(tx: &mut TenantTx, table: &str, ids: &[String]) -> Result<(), StoreError> {
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let (conn, tenant_id) = tx.split();
        let mut sql = Sql::new(&format!("DELETE FROM {table} WHERE tenant_id = "));
        sql.bind(tenant_id.to_owned()).push(" AND id IN (").bind_list(chunk).push(")");
        sql.execute(conn).await?;
    }
    Ok(())
}

pub async fn delete_vms(tx: &mut TenantTx, ids: &[String]) -> Result<(), StoreError> {
    delete_ids(tx, "vms", ids).await
}

pub async fn delete_subnets(tx: &mut TenantTx, ids: &[String]) -> Result<(), StoreError> {
    delete_ids(tx, "subnets", ids).await
}

pub async fn delete_vpcs(tx: &mut TenantTx, ids: &[String]) -> Result<(), StoreError> {
    delete_ids(tx, "vpcs", ids).await
}
