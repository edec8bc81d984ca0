//! The HAVIP Console server: settings, store, backend operations, worker, HTTP and CLI.

pub mod agent;
pub mod bootstrap;
pub mod cli;
pub mod db;
pub mod demo;
pub mod http;
pub mod metrics;
pub mod ovn;
pub mod seed;
pub mod service;
pub mod settings;
pub mod startup;
pub mod store;
pub mod trusted_proxies;
pub mod worker;
