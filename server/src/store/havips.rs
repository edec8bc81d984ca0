//! HAVIPs and their bindings.

use super::{Sql, StoreError, TenantTx};
use crate::db::{Dialect, col};
use app::domain::ha::{AgentPresence, FabricHa, HavipHa, Health, VmHa, VmView, VrrpState, derive};
use app::domain::havip::{Havip, ProjectRef, SubnetRef, VmRef, VpcRef};
use app::domain::inventory::HavipPlace;
use app::domain::ipv4::Ipv4;
use app::domain::list_query::{ListQuery, SortKey, SortOrder};
use app::domain::status::HavipStatus;
use app::domain::time::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::HashMap;

const SELECT_HAVIP: &str = "SELECT h.id, h.name, h.remark, h.status, h.status_reason, h.ip, h.master_vm_id, \
     h.created_at, h.updated_at, h.version, v.id, v.name, v.cidr, s.id, s.name, s.cidr, s.gateway, p.id, p.name, \
     h.vrid, h.config_revision, h.health, h.fabric_parent, h.fabric_master_vm_id, h.fabric_seen_at \
     FROM havips h JOIN vpcs v ON v.id = h.vpc_id JOIN subnets s ON s.id = h.subnet_id \
     JOIN projects p ON p.id = h.project_id";

/// A status as the database stores it; anything else there is corrupt data, not bad input.
pub fn status_from_db(status: &str) -> Result<HavipStatus, StoreError> {
    HavipStatus::parse(status).ok_or_else(|| StoreError::Config(format!("unknown status {status:?} in the database")))
}

/// A health as the database stores it.
pub fn health_from_db(health: &str) -> Result<Health, StoreError> {
    Health::parse(health).ok_or_else(|| StoreError::Config(format!("unknown health {health:?} in the database")))
}

fn havip_from_row(row: &AnyRow) -> Result<Havip, StoreError> {
    let status: String = col(row, 3)?;
    let health: String = col(row, 21)?;
    let master_vm_id: Option<String> = col(row, 6)?;
    let fabric_parent: Option<String> = col(row, 22)?;
    let fabric_master_vm_id: Option<String> = col(row, 23)?;
    let fabric_seen_at: Option<i64> = col(row, 24)?;
    Ok(Havip {
        id: col(row, 0)?,
        name: col(row, 1)?,
        remark: col(row, 2)?,
        status: status_from_db(&status)?,
        status_reason: col(row, 4)?,
        ip: col(row, 5)?,
        ha: HavipHa {
            health: health_from_db(&health)?,
            master_vm_id: master_vm_id.clone(),
            fabric: fabric_seen_at.map(|seen_at| FabricHa {
                parent_port: fabric_parent,
                master_vm_id: fabric_master_vm_id,
                seen_at: Timestamp::from_micros(seen_at),
            }),
            ..HavipHa::default()
        },
        master_vm_id,
        vrid: col(row, 19)?,
        config_revision: col(row, 20)?,
        created_at: Timestamp::from_micros(col(row, 7)?),
        updated_at: Timestamp::from_micros(col(row, 8)?),
        version: col(row, 9)?,
        vpc: VpcRef { id: col(row, 10)?, name: col(row, 11)?, cidr: col(row, 12)? },
        subnet: SubnetRef { id: col(row, 13)?, name: col(row, 14)?, cidr: col(row, 15)?, gateway: col(row, 16)? },
        project: ProjectRef { id: col(row, 17)?, name: col(row, 18)? },
        vms: Vec::new(),
    })
}

/// The bound VMs of HAVIPs of one tenant in binding order (the order of their keepalived
/// priorities), each with what its agent reported: one query, never one per HAVIP.
const BOUND_VMS: &str = "SELECT b.havip_id, m.id, m.name, m.private_ip, b.holds_vip, b.vrrp_state, \
     b.running_revision, a.last_report_at, a.silent, a.keepalived_running, COALESCE(m.ovn_port, m.id) \
     FROM havip_bindings b JOIN vms m ON m.id = b.vm_id LEFT JOIN vm_agents a ON a.vm_id = b.vm_id \
     WHERE b.tenant_id = ";

/// A bound VM with its part in the HA state.
#[derive(Clone, Debug)]
pub struct BoundVm {
    pub vm: VmRef,
    pub ha: VmHa,
    /// The VM's logical switch port in OVN (by convention its ID).
    pub port: String,
}

impl BoundVm {
    /// The VM as the health rules see it.
    pub fn view(&self) -> VmView {
        VmView {
            vm_id: self.vm.id.clone(),
            agent: self.ha.agent,
            holds_vip: self.ha.holds_vip.unwrap_or(false),
            vrrp_state: self.ha.vrrp_state,
            keepalived_running: self.ha.keepalived_running.unwrap_or(false),
        }
    }
}

fn bound_vm_from_row(row: &AnyRow) -> Result<BoundVm, StoreError> {
    let holds: Option<i64> = col(row, 4)?;
    let state: Option<String> = col(row, 5)?;
    let last_report_at: Option<i64> = col(row, 7)?;
    let silent: Option<i64> = col(row, 8)?;
    let running: Option<i64> = col(row, 9)?;
    let id: String = col(row, 1)?;
    Ok(BoundVm {
        ha: VmHa {
            id: id.clone(),
            agent: match silent {
                None => AgentPresence::None,
                Some(0) => AgentPresence::Reporting,
                Some(_) => AgentPresence::Silent,
            },
            vrrp_state: state.as_deref().and_then(VrrpState::parse),
            holds_vip: holds.map(|h| h != 0),
            keepalived_running: running.map(|r| r != 0),
            last_report_at: last_report_at.map(Timestamp::from_micros),
            config_revision: col(row, 6)?,
        },
        vm: VmRef { id, name: col(row, 2)?, ip: col(row, 3)? },
        port: col(row, 10)?,
    })
}

/// The bound VMs of the HAVIPs, by HAVIP, in binding order.
pub async fn bound_vms_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    havip_ids: &[String],
) -> Result<HashMap<String, Vec<BoundVm>>, StoreError> {
    let mut by_havip: HashMap<String, Vec<BoundVm>> = HashMap::new();
    for chunk in havip_ids.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(BOUND_VMS);
        sql.bind(tenant_id.to_owned())
            .push(" AND b.havip_id IN (")
            .bind_list(chunk)
            .push(") ORDER BY b.havip_id, b.created_at, b.havip_slot");
        for row in sql.fetch_all(conn).await? {
            by_havip.entry(col(&row, 0)?).or_default().push(bound_vm_from_row(&row)?);
        }
    }
    Ok(by_havip)
}

/// Fills in the bound VMs and their HA state of many HAVIPs (of one tenant).
async fn load_vms(conn: &mut AnyConnection, tenant_id: &str, havips: &mut [Havip]) -> Result<(), StoreError> {
    if havips.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = havips.iter().map(|h| h.id.clone()).collect();
    let mut by_havip = bound_vms_of(conn, tenant_id, &ids).await?;
    for havip in havips {
        let bound = by_havip.remove(&havip.id).unwrap_or_default();
        let views: Vec<VmView> = bound.iter().map(BoundVm::view).collect();
        havip.ha.holders = derive(&views, None).holders;
        (havip.vms, havip.ha.vms) = bound.into_iter().map(|b| (b.vm, b.ha)).unzip();
    }
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> Result<Option<Havip>, StoreError> {
    let mut sql = Sql::new(SELECT_HAVIP);
    sql.push(" WHERE h.tenant_id = ").bind(tenant_id.to_owned()).push(" AND h.id = ").bind(id.to_owned());
    let rows = sql.fetch_all(conn).await?;
    let mut havips = rows.iter().map(havip_from_row).collect::<Result<Vec<_>, _>>()?;
    load_vms(conn, tenant_id, &mut havips).await?;
    Ok(havips.pop())
}

/// The WHERE clause of a list query (shared by the page and its count).
fn push_filters(sql: &mut Sql, dialect: Dialect, tenant_id: &str, query: &ListQuery) {
    // A search on SQLite starts from the trigram index's matches and reads each row by its
    // rowid. Every index of the tenant's rows is also a way in, and the planner took a covering
    // one and tested all 100,000 rows against the matches (262 ms where 3 ms do): the unary
    // `+` keeps the tenant's indexes out of a search's plan.
    let tenant_column =
        if uses_trigram_index(dialect, query) { " WHERE +h.tenant_id = " } else { " WHERE h.tenant_id = " };
    sql.push(tenant_column).bind(tenant_id.to_owned());
    if !query.statuses.is_empty() {
        let statuses: Vec<String> = query.statuses.iter().map(|s| s.as_str().to_owned()).collect();
        sql.push(" AND h.status IN (").bind_list(&statuses).push(")");
    }
    if !query.healths.is_empty() {
        let healths: Vec<String> = query.healths.iter().map(|h| h.as_str().to_owned()).collect();
        sql.push(" AND h.health IN (").bind_list(&healths).push(")");
    }
    for (column, value) in
        [("h.vpc_id", &query.vpc_id), ("h.subnet_id", &query.subnet_id), ("h.project_id", &query.project_id)]
    {
        if let Some(value) = value {
            sql.push(&format!(" AND {column} = ")).bind(value.clone());
        }
    }
    if let Some(vm_id) = &query.vm_id {
        sql.push(" AND EXISTS (SELECT 1 FROM havip_bindings b WHERE b.havip_id = h.id AND b.vm_id = ")
            .bind(vm_id.clone())
            .push(")");
    }
    if let Some(q) = &query.q {
        push_search(sql, dialect, q);
    }
}

/// Whether the query's search goes through SQLite's trigram index (FTS5), which needs 3
/// characters.
fn uses_trigram_index(dialect: Dialect, query: &ListQuery) -> bool {
    dialect == Dialect::Sqlite && query.q.as_ref().is_some_and(|q| q.chars().count() >= 3)
}

/// Substring search over `search_text` through the trigram index of each database. Trigrams
/// need 3 characters: shorter text scans the tenant's rows with LIKE, which is still correct.
fn push_search(sql: &mut Sql, dialect: Dialect, q: &str) {
    if dialect == Dialect::Sqlite && q.chars().count() >= 3 {
        let phrase = format!("\"{}\"", q.replace('"', "\"\""));
        sql.push(" AND h.seq IN (SELECT rowid FROM havip_search WHERE havip_search MATCH ").bind(phrase).push(")");
    } else {
        let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        sql.push(" AND h.search_text LIKE ").bind(format!("%{escaped}%")).push(" ESCAPE '\\'");
    }
}

/// Searches and filters with up to this many matches sort them (see [`sorts_its_matches`]).
pub const SORT_MATCHES_UP_TO: u64 = 20_000;

/// Whether a page of the query sorts its matches rather than walk the sort column's index.
///
/// Walking the index reads rows in order and keeps those that match, so a search or a filter
/// that few rows pass reads most of the tenant's rows for one page: on the scale data set, a
/// VPC's 20th page took 59 ms and a page of `failed` HAVIPs 50 ms, where finding the matches
/// by their own index (the search's trigrams, the VPC's, the status's) and sorting them takes
/// 1–3 ms. The planner cannot tell: it guesses a pattern's or a value's share from the index
/// alone, often high. Up to a few thousand matches sorting is cheap whatever their place, so
/// then the sort key becomes an expression that no index serves.
pub fn sorts_its_matches(query: &ListQuery, total: u64) -> bool {
    narrows(query) && total <= SORT_MATCHES_UP_TO
}

/// Whether the query searches or filters (rather than list all the tenant's HAVIPs).
pub fn narrows(query: &ListQuery) -> bool {
    query.q.is_some()
        || !query.statuses.is_empty()
        || !query.healths.is_empty()
        || query.vpc_id.is_some()
        || query.subnet_id.is_some()
        || query.project_id.is_some()
        || query.vm_id.is_some()
}

/// A HAVIP a narrow view matches, with its ranks (from 1) in the list's orders: by creation
/// time, by IP and by name, each ascending with the ID breaking ties.
pub struct Ranked {
    pub id: String,
    pub ranks: [i64; 3],
}

/// The HAVIPs the query matches, ranked in every order by one statement, if there are at most
/// `limit`: the matches are found once (by the search's or the filter's own index, as
/// [`sorts_its_matches`] does) and sorted three times, where each order's pages found them
/// again. Nothing when more match: then no more than `limit + 1` rows are read, and none is
/// sorted.
pub async fn ranked_matches(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
    query: &ListQuery,
    limit: u64,
) -> Result<Vec<Ranked>, StoreError> {
    let mut sql = Sql::new("WITH m AS MATERIALIZED (SELECT h.id, h.created_at, h.ip_num, h.name FROM havips h");
    push_filters(&mut sql, dialect, tenant_id, query);
    sql.push(" LIMIT ").bind(limit as i64 + 1);
    let rank = |key| format!("ROW_NUMBER() OVER (ORDER BY {}, h.id)", sort_expression(key));
    sql.push(&format!(
        ") SELECT h.id, {}, {}, {} FROM m h WHERE (SELECT COUNT(*) FROM m) <= ",
        rank(SortKey::CreatedAt),
        rank(SortKey::Ip),
        rank(SortKey::Name)
    ))
    .bind(limit as i64);
    plan_for_values(&mut sql, dialect, query);
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok(Ranked { id: col(row, 0)?, ranks: [col(row, 1)?, col(row, 2)?, col(row, 3)?] }))
        .collect()
}

/// The tenant's HAVIPs of `ids`, in that order, with their bound VMs (an ID deleted meanwhile
/// is left out).
pub async fn by_ids(conn: &mut AnyConnection, tenant_id: &str, ids: &[String]) -> Result<Vec<Havip>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The tenant through an expression no index serves: Postgres's plan for the kept statement,
    // made without the values, otherwise read the tenant's whole index to intersect it with the
    // 50 IDs (5 ms where 1 ms does).
    let mut sql = Sql::new(SELECT_HAVIP);
    sql.push(" WHERE h.id IN (").bind_list(ids).push(") AND h.tenant_id || '' = ").bind(tenant_id.to_owned());
    let mut found: HashMap<String, Havip> = HashMap::new();
    for row in sql.fetch_all(conn).await? {
        let havip = havip_from_row(&row)?;
        found.insert(havip.id.clone(), havip);
    }
    let mut items: Vec<Havip> = ids.iter().filter_map(|id| found.remove(id)).collect();
    load_vms(conn, tenant_id, &mut items).await?;
    Ok(items)
}

/// How many of the tenant's HAVIPs match the query's filters and search.
pub async fn count(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
    query: &ListQuery,
) -> Result<u64, StoreError> {
    let mut count = Sql::new("SELECT COUNT(*) FROM havips h");
    push_filters(&mut count, dialect, tenant_id, query);
    let total: i64 = col(&count.fetch_one(conn).await?, 0)?;
    Ok(u64::try_from(total).unwrap_or_default())
}

/// The row a page ended with, by the list's sort: a cursor walk goes on after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub key: SortValue,
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortValue {
    /// `created_at` (microseconds) or `ip_num`.
    Int(i64),
    /// `name`.
    Text(String),
}

impl Position {
    /// Where a page that ended with `havip` ends, under `sort`.
    pub fn after(havip: &Havip, sort: SortKey) -> Position {
        let key = match sort {
            SortKey::CreatedAt => SortValue::Int(havip.created_at.as_micros()),
            SortKey::Ip => SortValue::Int(Ipv4::parse(&havip.ip).map_or(0, |ip| i64::from(ip.to_u32()))),
            SortKey::Name => SortValue::Text(havip.name.clone()),
        };
        Position { key, id: havip.id.clone() }
    }
}

/// The position of every `stride`-th row the query matches, in its order (the rows at
/// `stride - 1`, `2 * stride - 1`, …): one pass over the sort's index that lets any deep page
/// start from the position before it instead of skipping its whole offset.
pub async fn positions_every(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
    query: &ListQuery,
    stride: u64,
) -> Result<Vec<Position>, StoreError> {
    let (column, direction) = sort_of(query);
    let mut sql = Sql::new(&format!(
        "SELECT k, id FROM (SELECT {column} AS k, h.id AS id, ROW_NUMBER() OVER (ORDER BY {column} {direction}, h.id {direction}) AS n FROM havips h"
    ));
    push_filters(&mut sql, dialect, tenant_id, query);
    sql.push(") ranked WHERE n % ").bind(stride as i64).push(" = 0 ORDER BY n");
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            let key = match query.sort {
                SortKey::Name => SortValue::Text(col(row, 0)?),
                SortKey::CreatedAt | SortKey::Ip => SortValue::Int(col(row, 0)?),
            };
            Ok(Position { key, id: col(row, 1)? })
        })
        .collect()
}

/// The query's sort column and direction in SQL.
fn sort_of(query: &ListQuery) -> (&'static str, &'static str) {
    let column = match query.sort {
        SortKey::CreatedAt => "h.created_at",
        SortKey::Name => "h.name",
        SortKey::Ip => "h.ip_num",
    };
    (column, if query.order == SortOrder::Asc { "ASC" } else { "DESC" })
}

/// The query's sort column through an expression that no index serves: the same order, for
/// matches found by another index and sorted (see [`sorts_its_matches`]).
fn sort_expression(key: SortKey) -> &'static str {
    match key {
        SortKey::CreatedAt => "h.created_at + 0",
        SortKey::Name => "h.name || ''",
        SortKey::Ip => "h.ip_num + 0",
    }
}

/// A statement filtered by status or health is planned for its values on Postgres: 99 % of the
/// rows may have one status and 1 % another, and the generic plan of a kept statement, made
/// without the values, sorted all 99,000 `available` HAVIPs of the scale tenant for one page
/// (217 ms where 0.1 ms do). Other statements stay prepared: planning each one anew cost a
/// quarter of the unfiltered pages' throughput.
fn plan_for_values(sql: &mut Sql, dialect: Dialect, query: &ListQuery) {
    if dialect == Dialect::Postgres && (!query.statuses.is_empty() || !query.healths.is_empty()) {
        sql.one_off();
    }
}

fn reversed(direction: &str) -> &'static str {
    if direction == "ASC" { "DESC" } else { "ASC" }
}

/// One page of the list and whether rows follow it.
pub struct ListedPage {
    pub items: Vec<Havip>,
    pub more: bool,
}

/// Where a page starts.
#[derive(Clone, Copy, Debug)]
pub enum Start<'a> {
    /// At the query's page number: its offset is skipped.
    Page,
    /// At the query's page number, known to start `skip` rows after `position` (a row of
    /// [`positions_every`]): only those rows are skipped.
    PageAfter { position: &'a Position, skip: u64 },
    /// Right after `position`: the next page of a cursor walk.
    After(&'a Position),
}

/// One page of the tenant's HAVIPs matching the query, of `total` matching in all.
pub async fn list(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tenant_id: &str,
    query: &ListQuery,
    start: Start<'_>,
    total: u64,
) -> Result<ListedPage, StoreError> {
    let walk = matches!(start, Start::After(_));
    if total == 0 || (!walk && query.offset() >= total) {
        return Ok(ListedPage { items: Vec::new(), more: false });
    }
    let after = match start {
        Start::Page => None,
        Start::PageAfter { position, .. } | Start::After(position) => Some(position),
    };
    // A deferred join: the page's IDs first, from the sort's index alone (a deep page skips
    // its offset there, reading no table row), then the rows and their VPC, subnet and
    // project for those IDs only. Joined first, every skipped row was joined too.
    let mut sql = Sql::new(SELECT_HAVIP);
    sql.push(" WHERE h.id IN (SELECT h.id FROM havips h");
    push_filters(&mut sql, dialect, tenant_id, query);
    let (column, direction) = sort_of(query);
    if let Some(after) = after {
        // A row value: the sort column, then the ID that breaks its ties (both indexed so).
        let beyond = if query.order == SortOrder::Asc { ">" } else { "<" };
        sql.push(&format!(" AND ({column}, h.id) {beyond} ("));
        match &after.key {
            SortValue::Int(value) => sql.bind(*value),
            SortValue::Text(text) => sql.bind(text.clone()),
        };
        sql.push(", ").bind(after.id.clone()).push(")");
    }
    let sort_by = if sorts_its_matches(query, total) { sort_expression(query.sort) } else { column };
    // The ID breaks ties, so pages never overlap or skip rows. A walk asks for one row more
    // than it shows, to know whether another page follows. A page past the middle is counted
    // from the end, in the opposite order: an offset costs a step per row it skips.
    let page_size = u64::from(query.page_size);
    let (inner_direction, wanted, offset) = match start {
        Start::After(_) => (direction, page_size + 1, None),
        Start::PageAfter { skip, .. } => (direction, page_size, Some(skip)),
        Start::Page if query.offset() > total / 2 => {
            let end = (query.offset() + page_size).min(total);
            (reversed(direction), end - query.offset(), Some(total - end))
        }
        Start::Page => (direction, page_size, Some(query.offset())),
    };
    sql.push(&format!(" ORDER BY {sort_by} {inner_direction}, h.id {inner_direction} LIMIT ")).bind(wanted as i64);
    if let Some(offset) = offset {
        sql.push(" OFFSET ").bind(offset as i64);
    }
    sql.push(&format!(") ORDER BY {column} {direction}, h.id {direction}"));
    plan_for_values(&mut sql, dialect, query);
    let rows = sql.fetch_all(conn).await?;
    let mut items = rows.iter().map(havip_from_row).collect::<Result<Vec<_>, _>>()?;
    let more =
        if walk { items.len() > query.page_size as usize } else { query.offset() + (items.len() as u64) < total };
    items.truncate(query.page_size as usize);
    load_vms(conn, tenant_id, &mut items).await?;
    Ok(ListedPage { items, more })
}

/// A new HAVIP row: one created by a request, or many of the scale data set at once.
pub struct NewHavipRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub remark: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub ip: Ipv4,
    pub status: HavipStatus,
    pub status_reason: Option<String>,
    pub vrid: i64,
    pub search_text: String,
    pub created_at: i64,
}

/// Rows per multi-row INSERT (well under both databases' parameter limits).
const ROWS_PER_STATEMENT: usize = 400;

/// Inserts HAVIPs, many rows per statement.
pub async fn insert(tx: &mut TenantTx, rows: &[NewHavipRow]) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let (conn, tenant_id) = tx.split();
        let mut sql = Sql::new(
            "INSERT INTO havips (id, tenant_id, project_id, name, remark, vpc_id, subnet_id, ip, ip_num, status, \
             status_reason, vrid, search_text, created_at, updated_at, version) VALUES ",
        );
        for (i, row) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for text in [&row.id, tenant_id, &row.project_id, &row.name, &row.remark, &row.vpc_id, &row.subnet_id] {
                sql.bind(text.to_owned()).push(", ");
            }
            sql.bind(row.ip.to_string()).push(", ").bind(i64::from(row.ip.to_u32())).push(", ");
            sql.bind(row.status.as_str().to_owned()).push(", ").bind(row.status_reason.clone()).push(", ");
            sql.bind(row.vrid).push(", ");
            sql.bind(row.search_text.clone()).push(", ").bind(row.created_at).push(", ").bind(row.created_at);
            sql.push(", 1)");
        }
        sql.fetch_all(conn).await?;
    }
    Ok(())
}

/// What a write needs to know of a HAVIP it is about to change.
pub struct LockedHavip {
    pub status: HavipStatus,
    pub version: i64,
    pub vpc_id: String,
    pub name: String,
    pub remark: String,
    pub ip: String,
    pub subnet_id: String,
    pub vrid: i64,
}

/// Takes the row locks of the tenant's HAVIPs among `ids`, in ID order (so two writers that lock
/// the same HAVIPs cannot wait for each other), until the transaction ends. On SQLite the write
/// transaction excludes every other writer already.
pub async fn lock_rows(tx: &mut TenantTx, ids: &[String]) -> Result<(), StoreError> {
    if tx.dialect() != Dialect::Postgres || ids.is_empty() {
        return Ok(());
    }
    let (conn, tenant_id) = tx.split();
    let mut sql = Sql::new("SELECT id FROM havips WHERE tenant_id = ");
    // NO KEY UPDATE: writers still exclude each other, but an event inserted for the HAVIP (whose
    // foreign key takes a KEY SHARE lock on its row) does not wait, nor make a deadlock.
    sql.bind(tenant_id.to_owned()).push(" AND id IN (").bind_list(ids).push(") ORDER BY id FOR NO KEY UPDATE");
    sql.fetch_all(conn).await?;
    Ok(())
}

/// Takes the HAVIP's row lock (Postgres; SQLite's write transaction already excludes other
/// writers), so that concurrent writes to one HAVIP happen one after the other.
pub async fn lock(tx: &mut TenantTx, id: &str) -> Result<Option<LockedHavip>, StoreError> {
    let (conn, tenant_id) = tx.split();
    let row = sqlx::query(
        "UPDATE havips SET version = version WHERE tenant_id = $1 AND id = $2 \
         RETURNING status, version, vpc_id, name, remark, ip, subnet_id, vrid",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let status: String = col(&row, 0)?;
        Ok(LockedHavip {
            status: status_from_db(&status)?,
            version: col(&row, 1)?,
            vpc_id: col(&row, 2)?,
            name: col(&row, 3)?,
            remark: col(&row, 4)?,
            ip: col(&row, 5)?,
            subnet_id: col(&row, 6)?,
            vrid: col(&row, 7)?,
        })
    })
    .transpose()
}

/// What a change leaves of a HAVIP's own fields.
pub struct HavipFields<'a> {
    pub name: &'a str,
    pub remark: &'a str,
    pub search_text: &'a str,
    pub vrid: i64,
    /// Whether the keepalived configuration changed (VMs or VRID): its revision moves.
    pub config_changed: bool,
}

/// Writes the editable and derived fields, and bumps the version.
pub async fn update_fields(tx: &mut TenantTx, id: &str, fields: HavipFields<'_>, now: i64) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query(
        "UPDATE havips SET name = $1, remark = $2, search_text = $3, vrid = $4, \
         config_revision = config_revision + $5, updated_at = $6, version = version + 1 \
         WHERE tenant_id = $7 AND id = $8",
    )
    .bind(fields.name)
    .bind(fields.remark)
    .bind(fields.search_text)
    .bind(fields.vrid)
    .bind(i64::from(fields.config_changed))
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a HAVIP from one status to another; false when it was not in `from` any more.
pub async fn set_status(
    tx: &mut TenantTx,
    id: &str,
    from: HavipStatus,
    to: HavipStatus,
    reason: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let (conn, tenant_id) = tx.split();
    let done = sqlx::query(
        "UPDATE havips SET status = $1, status_reason = $2, updated_at = $3, version = version + 1 \
         WHERE tenant_id = $4 AND id = $5 AND status = $6",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .bind(from.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a HAVIP; its bindings go with it (the foreign key cascades).
pub async fn delete(tx: &mut TenantTx, id: &str) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query("DELETE FROM havips WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id).execute(conn).await?;
    Ok(())
}

/// Whether a HAVIP of the subnet holds the address.
pub async fn ip_taken(
    conn: &mut AnyConnection,
    tenant_id: &str,
    subnet_id: &str,
    ip_num: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 FROM havips WHERE tenant_id = $1 AND subnet_id = $2 AND ip_num = $3")
        .bind(tenant_id)
        .bind(subnet_id)
        .bind(ip_num)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// How many of the tenant's HAVIPs are in a health that alarms (split brain, no master, the
/// fabric disagreeing): the console's banner asks on every load, so it counts through the
/// `havips_tenant_health` index.
pub async fn alarm_count(conn: &mut AnyConnection, tenant_id: &str) -> Result<i64, StoreError> {
    let alarms: Vec<String> = Health::ALL.into_iter().filter(|h| h.is_alarm()).map(|h| h.as_str().to_owned()).collect();
    let mut sql = Sql::new("SELECT COUNT(*) FROM havips WHERE tenant_id = ");
    sql.bind(tenant_id.to_owned()).push(" AND health IN (").bind_list(&alarms).push(")");
    col(&sql.fetch_one(conn).await?, 0)
}

/// Where each HAVIP of the tenant is (for an inventory sync's rules).
pub async fn places(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<HavipPlace>, StoreError> {
    let rows = sqlx::query("SELECT id, subnet_id, ip_num FROM havips WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            let ip: i64 = col(row, 2)?;
            Ok(HavipPlace { id: col(row, 0)?, subnet_id: col(row, 1)?, ip: Ipv4::from_u32(ip as u32) })
        })
        .collect()
}

/// The VMs bound to a HAVIP with their names, in slot order.
pub async fn bound_vms(conn: &mut AnyConnection, tenant_id: &str, havip_id: &str) -> Result<Vec<VmRef>, StoreError> {
    let rows = sqlx::query(
        "SELECT m.id, m.name, m.private_ip FROM havip_bindings b JOIN vms m ON m.id = b.vm_id \
         WHERE b.tenant_id = $1 AND b.havip_id = $2 ORDER BY b.havip_slot",
    )
    .bind(tenant_id)
    .bind(havip_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|row| Ok(VmRef { id: col(row, 0)?, name: col(row, 1)?, ip: col(row, 2)? })).collect()
}

pub async fn remove_bindings(tx: &mut TenantTx, havip_id: &str) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query("DELETE FROM havip_bindings WHERE tenant_id = $1 AND havip_id = $2")
        .bind(tenant_id)
        .bind(havip_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn remove_binding(tx: &mut TenantTx, havip_id: &str, vm_id: &str) -> Result<bool, StoreError> {
    let (conn, tenant_id) = tx.split();
    let done = sqlx::query("DELETE FROM havip_bindings WHERE tenant_id = $1 AND havip_id = $2 AND vm_id = $3")
        .bind(tenant_id)
        .bind(havip_id)
        .bind(vm_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The slots a HAVIP's bindings take.
pub async fn havip_slots(conn: &mut AnyConnection, tenant_id: &str, havip_id: &str) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query("SELECT havip_slot FROM havip_bindings WHERE tenant_id = $1 AND havip_id = $2")
        .bind(tenant_id)
        .bind(havip_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|row| col(row, 0)).collect()
}

/// The VM-side slots taken by each of the VMs: (vm_id, vm_slot) pairs.
pub async fn vm_slots(
    conn: &mut AnyConnection,
    tenant_id: &str,
    vm_ids: &[String],
) -> Result<Vec<(String, i64)>, StoreError> {
    if vm_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT vm_id, vm_slot FROM havip_bindings WHERE tenant_id = ");
    sql.bind(tenant_id.to_owned()).push(" AND vm_id IN (").bind_list(vm_ids).push(")");
    sql.fetch_all(conn).await?.iter().map(|row| Ok((col(row, 0)?, col(row, 1)?))).collect()
}

/// A binding to insert, with the slots it takes on either side and its HAVIP's VRID.
pub struct NewBinding {
    pub havip_id: String,
    pub vm_id: String,
    pub havip_slot: i64,
    pub vm_slot: i64,
    pub vrid: i64,
    pub created_at: i64,
}

/// Inserts bindings, many rows per statement.
pub async fn insert_bindings(tx: &mut TenantTx, rows: &[NewBinding]) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let (conn, tenant_id) = tx.split();
        let mut sql = Sql::new(
            "INSERT INTO havip_bindings (havip_id, vm_id, tenant_id, havip_slot, vm_slot, vrid, created_at) VALUES ",
        );
        for (i, row) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(row.havip_id.clone()).push(", ").bind(row.vm_id.clone()).push(", ").bind(tenant_id.to_owned());
            sql.push(", ").bind(row.havip_slot).push(", ").bind(row.vm_slot).push(", ").bind(row.vrid);
            sql.push(", ").bind(row.created_at).push(")");
        }
        sql.fetch_all(conn).await?;
    }
    Ok(())
}

/// HAVIPs bound to any of the VMs (for an inventory sync that renames them).
pub async fn ids_bound_to(
    conn: &mut AnyConnection,
    tenant_id: &str,
    vm_ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::new();
    for chunk in vm_ids.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new("SELECT DISTINCT havip_id FROM havip_bindings WHERE tenant_id = ");
        sql.bind(tenant_id.to_owned()).push(" AND vm_id IN (").bind_list(chunk).push(")");
        for row in sql.fetch_all(conn).await? {
            ids.push(col(&row, 0)?);
        }
    }
    Ok(ids)
}

/// Sets the creation time (the demo data set spreads its HAVIPs over the past weeks).
pub async fn backdate(tx: &mut TenantTx, id: &str, created_at: i64) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query("UPDATE havips SET created_at = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(created_at)
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The VRIDs of the HAVIPs bound to any of the VMs, except `except`'s own.
pub async fn vrids_on_vms(
    conn: &mut AnyConnection,
    tenant_id: &str,
    vm_ids: &[String],
    except: &str,
) -> Result<Vec<i64>, StoreError> {
    if vm_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT DISTINCT vrid FROM havip_bindings WHERE tenant_id = ");
    sql.bind(tenant_id.to_owned()).push(" AND havip_id <> ").bind(except.to_owned());
    sql.push(" AND vm_id IN (").bind_list(vm_ids).push(")");
    sql.fetch_all(conn).await?.iter().map(|row| col(row, 0)).collect()
}

/// The VRIDs of the subnet's HAVIPs other than `except`.
pub async fn vrids_in_subnet(
    conn: &mut AnyConnection,
    tenant_id: &str,
    subnet_id: &str,
    except: &str,
) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query("SELECT vrid FROM havips WHERE tenant_id = $1 AND subnet_id = $2 AND id <> $3")
        .bind(tenant_id)
        .bind(subnet_id)
        .bind(except)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|row| col(row, 0)).collect()
}

/// Gives a HAVIP's bindings its (new) VRID.
pub async fn set_bindings_vrid(tx: &mut TenantTx, havip_id: &str, vrid: i64) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query("UPDATE havip_bindings SET vrid = $1 WHERE tenant_id = $2 AND havip_id = $3")
        .bind(vrid)
        .bind(tenant_id)
        .bind(havip_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// HAVIPs of every tenant without a VRID (made before VRIDs existed), oldest first:
/// (tenant, HAVIP, subnet).
pub async fn without_vrid(conn: &mut AnyConnection, limit: i64) -> Result<Vec<(String, String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT tenant_id, id, subnet_id FROM havips WHERE vrid = 0 ORDER BY tenant_id, created_at, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?))).collect()
}

/// Gives a HAVIP its VRID (its bindings take it with `set_bindings_vrid`).
pub async fn set_vrid(tx: &mut TenantTx, havip_id: &str, vrid: i64) -> Result<(), StoreError> {
    let (conn, tenant_id) = tx.split();
    sqlx::query("UPDATE havips SET vrid = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(vrid)
        .bind(tenant_id)
        .bind(havip_id)
        .execute(conn)
        .await?;
    Ok(())
}
