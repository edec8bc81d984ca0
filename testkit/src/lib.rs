//! Tooling shared by the server's integration tests and its benchmark: a throwaway Postgres
//! cluster, and haproxy in front of servers.

pub mod haproxy;
pub mod postgres;
