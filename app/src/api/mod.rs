//! Server functions: thin wrappers that check input with `domain` and call the backend through
//! the [`port::Console`] port. The REST API in the `server` crate calls the same port methods.

pub mod error;
pub mod ha;
pub mod havips;
pub mod operations;
#[cfg(feature = "ssr")]
pub mod port;
pub mod session;
pub mod strict_json;
pub mod tokens;
pub mod users;

/// Where the server functions are mounted; fixed so that clients and the server agree.
pub const SERVER_FN_PREFIX: &str = "/api/fn";
