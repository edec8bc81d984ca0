//! Live HA state: agents' reports, what follows from them for each HAVIP, what happens without
//! them, the generated keepalived configuration and the history.

mod config;
mod fabric;
pub mod memory;
mod report;
pub mod state;
pub mod sweeper;

pub use config::{ConfigRequest, MAX_EVENTS_PER_PAGE};
pub use report::agent_vm;
