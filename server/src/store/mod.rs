//! The store: every SQL statement of the product, by feature. Each function takes a
//! connection (a pool's or a transaction's) and the tenant it works for (R16).

pub mod accounts;
pub mod export;
pub mod havips;
pub mod idempotency;
pub mod inventory;
pub mod jobs;
pub mod oplog;
pub mod revisions;
mod sql;

pub use sql::Sql;
