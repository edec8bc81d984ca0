//! Integration tests of the server: each one starts the server on port 0 with a database of
//! its own, on SQLite and on a throwaway Postgres cluster, and talks to it over HTTP.

mod support;

mod api_contract;
mod backup_restore;
mod concurrency;
mod console_ha;
mod create_rules;
mod edit_delete;
mod export;
mod export_view;
mod fuzz;
mod ha;
mod identity_cache;
mod lifecycle;
mod list;
mod operations;
mod ovn;
mod page_tokens;
mod rolling_restart;
mod schema_versions;
mod security;
mod site_assets;
mod store_conformance;
mod tokens;
mod users;
