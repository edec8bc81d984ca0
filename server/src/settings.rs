//! Settings of a running server, read from flags and environment variables (see `cli.rs`).

use crate::trusted_proxies::TrustedProxies;
use crate::worker::driver::Driver;
use app::domain::limits::BindingLimits;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub max_connections: u32,
    pub limits: BindingLimits,
    pub driver: Driver,
    /// How long a worker holds a job before another may take it over.
    pub job_lease: Duration,
    pub session_idle: Duration,
    pub session_max_age: Duration,
    pub cookies: CookieSecurity,
    /// The origin browsers use to reach the console, when a proxy makes it differ from `Host`.
    pub public_origin: Option<String>,
    /// Failed logins allowed per user and per address within `login_window`.
    pub login_attempts: u32,
    pub login_window: Duration,
    /// How long an answer of the identity cache stays fresh (`db::identity_cache`).
    pub identity_cache_for: Duration,
    /// How long the server goes on serving after a shutdown signal, not ready (`--drain-ms`).
    pub drain: Duration,
    /// Load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    pub site_root: PathBuf,
}

/// When session cookies get the `Secure` flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CookieSecurity {
    /// When the request came over HTTPS (`X-Forwarded-Proto: https` from the proxy).
    Auto,
    Always,
    Never,
}

impl Settings {
    /// Settings for tests and tools: a database URL and everything else at its default.
    pub fn for_database(database_url: impl Into<String>) -> Settings {
        Settings {
            database_url: database_url.into(),
            max_connections: 8,
            limits: BindingLimits::default(),
            driver: Driver::Noop,
            job_lease: Duration::from_secs(60),
            session_idle: Duration::from_secs(30 * 60),
            session_max_age: Duration::from_secs(12 * 3600),
            cookies: CookieSecurity::Auto,
            public_origin: None,
            login_attempts: 10,
            login_window: Duration::from_secs(15 * 60),
            identity_cache_for: Duration::from_secs(1),
            drain: Duration::ZERO,
            trusted_proxies: TrustedProxies::default(),
            site_root: PathBuf::from("target/site"),
        }
    }
}
