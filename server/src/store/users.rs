//! A tenant's users as its admins manage them. Every statement that finds or changes a user
//! by its ID is scoped by the tenant (R16): an ID of another tenant's user matches nothing. The
//! statements on a user's credentials take a user the caller found so.

use super::StoreError;
use crate::db::{Dialect, col};
use app::domain::caller::Role;
use app::domain::time::Timestamp;
use app::domain::users::User;
use sqlx::AnyConnection;

const COLUMNS: &str = "id, username, role, created_at, last_login_at, disabled_at";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = col(row, 2)?;
    let last_login_at: Option<i64> = col(row, 4)?;
    let disabled_at: Option<i64> = col(row, 5)?;
    Ok(User {
        id: col(row, 0)?,
        username: col(row, 1)?,
        role: Role::parse(&role).unwrap_or(Role::Member),
        created_at: Timestamp::from_micros(col(row, 3)?),
        last_login_at: last_login_at.map(Timestamp::from_micros),
        disabled: disabled_at.is_some(),
    })
}

/// The tenant's users by username.
pub async fn list(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<User>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY username"))
        .bind(tenant_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(user_from_row).collect()
}

pub async fn find(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> Result<Option<User>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Orders the tenant's user changes one after another until the transaction ends, so that two
/// admins demoting each other at once cannot both pass the check for the last enabled admin.
/// SQLite's write transaction excludes every other writer already.
pub async fn lock_tenant(conn: &mut AnyConnection, dialect: Dialect, tenant_id: &str) -> Result<(), StoreError> {
    if dialect == Dialect::Postgres {
        sqlx::query("SELECT id FROM tenants WHERE id = $1 FOR UPDATE").bind(tenant_id).execute(conn).await?;
    }
    Ok(())
}

/// How many enabled admins the tenant has.
pub async fn enabled_admins(conn: &mut AnyConnection, tenant_id: &str) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = 'admin' AND disabled_at IS NULL")
        .bind(tenant_id)
        .fetch_one(conn)
        .await?;
    col(&row, 0)
}

pub async fn set_role(conn: &mut AnyConnection, tenant_id: &str, id: &str, role: Role) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET role = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(role.as_str())
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Disables the user from `at`, or enables it again with `None`.
pub async fn set_disabled(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    at: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(at)
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_password_hash(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    hash: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(hash)
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes the user; its sessions and tokens go with it (the foreign keys cascade), its entries
/// in the operation log stay.
pub async fn delete(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id).execute(conn).await?;
    Ok(())
}

/// Ends the user's sessions and revokes its live API tokens. Agent tokens stay: they speak for
/// VMs, not for the person, and revoking them would stop the VMs' HA reports. On Postgres the
/// statements' triggers tell every other server process to forget them (migration 0004).
pub async fn end_credentials(conn: &mut AnyConnection, user_id: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND vm_id IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Another enabled admin of the tenant than `except`, the earliest made.
pub async fn another_enabled_admin(
    conn: &mut AnyConnection,
    tenant_id: &str,
    except: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(
        "SELECT id FROM users WHERE tenant_id = $1 AND id <> $2 AND role = 'admin' AND disabled_at IS NULL \
         ORDER BY created_at, id LIMIT 1",
    )
    .bind(tenant_id)
    .bind(except)
    .fetch_optional(conn)
    .await?;
    row.map(|r| col(&r, 0)).transpose()
}

/// Hands the user's live agent tokens to another user of the tenant (an admin who stays),
/// so that its VMs keep reporting after it is gone.
pub async fn hand_over_agent_tokens(conn: &mut AnyConnection, from: &str, to: &str) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE api_tokens SET user_id = $1 WHERE user_id = $2 AND vm_id IS NOT NULL AND revoked_at IS NULL",
    )
    .bind(to)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

pub async fn record_login(conn: &mut AnyConnection, user_id: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2").bind(now).bind(user_id).execute(conn).await?;
    Ok(())
}
