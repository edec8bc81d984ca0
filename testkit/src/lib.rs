//! Tooling shared by the server's integration tests and its benchmark.

pub mod postgres;
