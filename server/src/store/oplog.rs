//! The operation log: one row for every write, sign-in and sign-out, who did it and how it
//! ended; and its pages, newest first, as 操作日志 and `GET /operations` read them.

use super::StoreError;
use super::sql::Sql;
use crate::db::{col, new_id};
use app::domain::caller::Caller;
use app::domain::ids::IdKind;
use app::domain::operations::{Operation, OperationQuery};
use app::domain::time::Timestamp;
use sqlx::AnyConnection;

pub struct Entry<'a> {
    pub action: &'a str,
    pub resource_id: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: Option<String>,
}

pub async fn record(conn: &mut AnyConnection, caller: &Caller, entry: Entry<'_>, now: i64) -> Result<(), StoreError> {
    record_as(conn, &caller.tenant_id, Some(&caller.user_id), Some(&caller.request_id), entry, now).await
}

/// A record written by the system itself (the worker, an import) rather than by a user.
pub async fn record_as(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: Option<&str>,
    request_id: Option<&str>,
    entry: Entry<'_>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO operation_log (id, tenant_id, user_id, action, resource_id, request_id, outcome, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id(IdKind::Operation))
    .bind(tenant_id)
    .bind(user_id)
    .bind(entry.action)
    .bind(entry.resource_id)
    .bind(request_id)
    .bind(entry.outcome)
    .bind(entry.detail)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Up to `limit` entries of the tenant that pass the query's filters, newest first, older than
/// `before` (the time and ID of the last entry of the previous page). `only_user` limits them
/// to one user's own entries whatever the query says (a member reads only its own).
pub async fn page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    query: &OperationQuery,
    only_user: Option<&str>,
    before: Option<&(i64, String)>,
    limit: u32,
) -> Result<Vec<Operation>, StoreError> {
    let mut sql = Sql::new(
        "SELECT o.id, o.at, o.user_id, u.username, o.action, o.resource_id, o.request_id, o.outcome, o.detail \
         FROM operation_log o LEFT JOIN users u ON u.id = o.user_id AND u.tenant_id = o.tenant_id WHERE o.tenant_id = ",
    );
    sql.bind(tenant_id.to_owned());
    if let Some(user) = only_user.or(query.user_id.as_deref()) {
        sql.push(" AND o.user_id = ").bind(user.to_owned());
    }
    if let (Some(mine), Some(asked)) = (only_user, query.user_id.as_deref())
        && mine != asked
    {
        // Another user's entries, asked for by one who may read only its own: none.
        sql.push(" AND 1 = 0");
    }
    for (column, value) in
        [("o.action", &query.action), ("o.resource_id", &query.resource_id), ("o.outcome", &query.outcome)]
    {
        if let Some(value) = value {
            sql.push(&format!(" AND {column} = ")).bind(value.clone());
        }
    }
    if let Some(since) = query.since {
        sql.push(" AND o.at >= ").bind(since.as_micros());
    }
    if let Some(until) = query.until {
        sql.push(" AND o.at < ").bind(until.as_micros());
    }
    if let Some((at, id)) = before {
        sql.push(" AND (o.at < ").bind(*at).push(" OR (o.at = ").bind(*at).push(" AND o.id < ").bind(id.clone());
        sql.push("))");
    }
    sql.push(" ORDER BY o.at DESC, o.id DESC LIMIT ").bind(i64::from(limit));
    sql.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Operation {
                id: col(r, 0)?,
                at: Timestamp::from_micros(col(r, 1)?),
                user_id: col(r, 2)?,
                username: col(r, 3)?,
                action: col(r, 4)?,
                resource_id: col(r, 5)?,
                request_id: col(r, 6)?,
                outcome: col(r, 7)?,
                detail: col(r, 8)?,
            })
        })
        .collect()
}
