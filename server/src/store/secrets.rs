//! The deployment's secrets (`server_secrets`): made by the first server that asks, then read.

use super::StoreError;
use crate::db::col;
use sqlx::AnyConnection;

/// The secret called `name`; `fresh` becomes it if none is stored yet. Two servers asking at
/// once both read the one that was stored first.
pub async fn get_or_create(conn: &mut AnyConnection, name: &str, fresh: &str) -> Result<String, StoreError> {
    sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fresh)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query("SELECT value FROM server_secrets WHERE name = $1").bind(name).fetch_one(conn).await?;
    col(&row, 0)
}
