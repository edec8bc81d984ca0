//! The store: every SQL statement of the product, by feature, one statement per function.
//! Reads take a connection (a pool's or a transaction's) and the tenant they read for; writes
//! to a tenant's data take a [`TenantTx`], which carries the tenant (R16 holds in the SQL itself)
//! and moves the tenant's revision when it commits. The store states; the service decides.

pub mod accounts;
mod error;
pub mod export;
pub mod ha;
pub mod havips;
pub mod idempotency;
pub mod inventory;
pub mod jobs;
pub mod oplog;
pub mod ovn;
pub mod revisions;
pub mod secrets;
mod sql;
mod tenant_tx;
pub mod users;

pub use error::{LostRace, StoreError, UniqueTarget, is_unavailable, lost_race};
pub use sql::Sql;
pub use tenant_tx::TenantTx;
