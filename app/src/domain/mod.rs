//! Pure rules and types, no I/O. Everything in product.md §3 that can be decided without the
//! database is decided here, once, for the browser and the server alike.

pub mod binding;
pub mod caller;
pub mod cidr;
mod combining_marks;
pub mod error;
pub mod ha;
pub mod havip;
pub mod ids;
pub mod input;
pub mod inventory;
pub mod ipv4;
pub mod keepalived;
pub mod limits;
pub mod list_query;
pub mod name;
pub mod operations;
pub mod remark;
pub mod status;
pub mod time;
pub mod tokens;
pub mod users;
pub mod vrid;

pub use error::{AppError, ErrorCode, Field};
