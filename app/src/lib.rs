//! The console: pure domain rules, UI catalogs, the server functions, and the pages.
//!
//! `domain` and `i18n` compile everywhere (native and WebAssembly). `api` holds the server
//! functions; on the server they reach the backend through the [`api::port::Console`] port, which
//! the `server` crate implements. `ui` holds the pages and components.

#![recursion_limit = "256"]

pub mod api;
pub mod domain;
pub mod i18n;
pub mod ui;
