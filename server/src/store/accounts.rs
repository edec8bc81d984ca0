//! Tenants, users, sessions and API tokens.

use super::{StoreError, TenantTx};
use crate::db::{col, new_id};
use app::domain::caller::{Role, UserProfile};
use app::domain::ids::IdKind;
use app::domain::time::Timestamp;
use app::domain::tokens::ApiToken;
use sqlx::AnyConnection;

pub async fn tenant_id(conn: &mut AnyConnection, name: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT id FROM tenants WHERE name = $1").bind(name).fetch_optional(conn).await?;
    row.map(|r| col(&r, 0)).transpose()
}

pub async fn tenant_count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) FROM tenants").fetch_one(conn).await?;
    col(&row, 0)
}

/// Creates the transaction's tenant (its ID chosen when the transaction began) named `name`.
pub async fn create_tenant(tx: &mut TenantTx, name: &str, now: i64) -> Result<(), StoreError> {
    let (conn, id) = tx.split();
    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn create_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    username: &str,
    password_hash: &str,
    role: Role,
    now: i64,
) -> Result<String, StoreError> {
    let id = new_id(IdKind::User);
    sqlx::query(
        "INSERT INTO users (id, tenant_id, username, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(tenant_id)
    .bind(username)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

/// A user as authentication sees it.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: String,
    pub tenant_id: String,
    pub password_hash: String,
    pub profile: UserProfile,
    /// The tenant's data revision as this lookup saw it (see `store::revisions`).
    pub tenant_revision: i64,
    /// The VM an agent token speaks for (none for sessions and users' tokens).
    pub agent_vm: Option<String>,
}

const USER_COLUMNS: &str = "u.id, u.tenant_id, u.password_hash, u.username, t.name, u.role, t.revision";
const USERS: &str = "users u JOIN tenants t ON t.id = u.tenant_id";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<UserRecord, StoreError> {
    let role: String = col(row, 5)?;
    Ok(UserRecord {
        id: col(row, 0)?,
        tenant_id: col(row, 1)?,
        password_hash: col(row, 2)?,
        profile: UserProfile {
            username: col(row, 3)?,
            tenant_name: col(row, 4)?,
            role: Role::parse(&role).unwrap_or(Role::Member),
        },
        tenant_revision: col(row, 6)?,
        agent_vm: None,
    })
}

pub async fn user_by_name(conn: &mut AnyConnection, username: &str) -> Result<Option<UserRecord>, StoreError> {
    // A disabled user neither signs in nor gets a token at the host.
    let row =
        sqlx::query(&format!("SELECT {USER_COLUMNS} FROM {USERS} WHERE u.username = $1 AND u.disabled_at IS NULL"))
            .bind(username)
            .fetch_optional(conn)
            .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Opens a session for the user if its password hash is still `password_hash` and it is still
/// enabled; false when not.
pub async fn create_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    password_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) \
         SELECT $1, id, $3, $3, $4 FROM users WHERE id = $2 AND password_hash = $5 AND disabled_at IS NULL",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .bind(password_hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A live session: its user, when it was last seen and when it expires.
pub struct LiveSession {
    pub user: UserRecord,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// The live session with this hash: not past its absolute expiry, seen since `idle_since`.
pub async fn session_user(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
    idle_since: i64,
) -> Result<Option<LiveSession>, StoreError> {
    let row = sqlx::query(
        "SELECT u.id, u.tenant_id, u.password_hash, u.username, t.name, u.role, t.revision, s.last_seen_at, s.expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.disabled_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .bind(idle_since)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(LiveSession { user: user_from_row(&row)?, last_seen_at: col(&row, 7)?, expires_at: col(&row, 8)? })
    })
    .transpose()
}

pub async fn touch_session(conn: &mut AnyConnection, token_hash: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends a session; answers its user and the user's tenant, if it was there.
pub async fn delete_session(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let row = sqlx::query(
        "DELETE FROM sessions WHERE token_hash = $1 \
         RETURNING user_id, (SELECT tenant_id FROM users WHERE users.id = sessions.user_id)",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|row| Ok((col(&row, 0)?, col(&row, 1)?))).transpose()
}

pub async fn delete_expired_sessions(conn: &mut AnyConnection, now: i64, idle_since: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(idle_since)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// A token to make: its owner, its secret's hash, its name, and for an agent token the VM it
/// speaks for (that VM only).
pub struct NewToken<'a> {
    pub user_id: &'a str,
    pub token_hash: &'a str,
    pub name: &'a str,
    pub agent_vm: Option<&'a str>,
}

pub async fn create_token(conn: &mut AnyConnection, token: NewToken<'_>, now: i64) -> Result<String, StoreError> {
    let id = new_id(IdKind::Token);
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, token_hash, name, vm_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(token.user_id)
    .bind(token.token_hash)
    .bind(token.name)
    .bind(token.agent_vm)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn record_token_use(conn: &mut AnyConnection, token_hash: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn token_user(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<UserRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, k.vm_id FROM {USERS} JOIN api_tokens k ON k.user_id = u.id \
         WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND (u.disabled_at IS NULL OR k.vm_id IS NOT NULL)"
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|row| Ok(UserRecord { agent_vm: col(&row, 7)?, ..user_from_row(&row)? })).transpose()
}

/// Revokes a token by its ID or its hash; false when there was no such live token.
pub async fn revoke_token(conn: &mut AnyConnection, id_or_hash: &str, now: i64) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE (id = $2 OR token_hash = $2) AND revoked_at IS NULL")
            .bind(now)
            .bind(id_or_hash)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The user's live tokens, oldest first, without their secrets.
pub async fn live_tokens_of_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<ApiToken>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL \
         ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let last_used_at: Option<i64> = col(row, 3)?;
            Ok(ApiToken {
                id: col(row, 0)?,
                name: col(row, 1)?,
                created_at: Timestamp::from_micros(col(row, 2)?),
                last_used_at: last_used_at.map(Timestamp::from_micros),
            })
        })
        .collect()
}

/// Revokes one of the user's live tokens by its ID; false when the user has no such live token
/// (another user's token included).
pub async fn revoke_token_of_user(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The tenant a VM belongs to (for the host's CLI, which speaks for no tenant).
pub async fn tenant_of_vm(conn: &mut AnyConnection, vm_id: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT tenant_id FROM vms WHERE id = $1").bind(vm_id).fetch_optional(conn).await?;
    row.map(|r| col(&r, 0)).transpose()
}

/// The tenant's first admin.
pub async fn first_admin(conn: &mut AnyConnection, tenant_id: &str) -> Result<Option<UserRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM {USERS} WHERE u.tenant_id = $1 AND u.role = 'admin' AND u.disabled_at IS NULL \
         ORDER BY u.created_at, u.id LIMIT 1"
    ))
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}
