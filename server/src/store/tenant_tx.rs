//! The one way to write a tenant's HAVIPs, bindings, jobs or inventory: a transaction whose
//! commit moves the tenant's revision forward in the same transaction (so every process's caches
//! of the tenant go stale, see `revisions`) and tells this process's identity cache at once.
//! The store functions that write those tables take a `TenantTx`, and it knows its tenant, so a
//! write that forgets the revision, or reaches another tenant's rows, does not compile.

use super::{StoreError, revisions};
use crate::db::identity_cache::IdentityCache;
use crate::db::{Db, Dialect, Tx};
use sqlx::AnyConnection;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

pub struct TenantTx {
    tx: Tx,
    tenant_id: String,
    dialect: Dialect,
    cache: Arc<IdentityCache>,
}

impl TenantTx {
    /// Starts a write transaction for the tenant (on SQLite it takes the write lock at once).
    pub async fn begin(db: &Db, tenant_id: &str) -> Result<TenantTx, StoreError> {
        let tx = db.begin().await?;
        Ok(TenantTx { tx, tenant_id: tenant_id.to_owned(), dialect: db.dialect, cache: db.identity_cache.clone() })
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// Which database: the row locks that order writers exist on Postgres only (SQLite's
    /// write transaction excludes every other writer already).
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The connection and the tenant at once, for a statement that binds the tenant.
    pub fn split(&mut self) -> (&mut AnyConnection, &str) {
        (&mut self.tx, &self.tenant_id)
    }

    /// Moves the tenant's revision forward and commits. The revision is bumped last: on Postgres
    /// it takes the tenant row's lock until the commit, and taking it last keeps the lock order
    /// the same for every writer.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        revisions::bump(&mut self.tx, &self.tenant_id).await?;
        self.tx.commit().await?;
        self.cache.forget_tenant(&self.tenant_id);
        Ok(())
    }
}

impl TenantTx {
    /// Undoes the transaction's writes (dropping it does the same, later).
    pub async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.tx.rollback().await?)
    }
}

/// Reads inside the transaction take the connection as any other.
impl Deref for TenantTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for TenantTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
