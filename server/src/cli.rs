//! The command line: `havip serve` and the admin subcommands. Every flag has an environment
//! variable, so the same settings work in a unit file or a container.

use crate::ovn::remote::{Remote, TlsFiles};
use crate::ovn::{Ovn, OvnSettings};
use crate::settings::{CookieSecurity, Settings};
use crate::trusted_proxies::TrustedProxies;
use crate::worker::driver::Driver;
use app::domain::limits::BindingLimits;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "havip",
    version,
    about = "HAVIP Console: manage the high-availability virtual IPs of a self-hosted cloud"
)]
pub struct Cli {
    /// Log format: text for people, json for log collectors.
    #[arg(long, env = "HAVIP_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the console and the REST API (migrates the database first).
    // The admin password is read from the environment only: a flag would show it in `ps`.
    #[command(
        after_help = "Environment:\n  HAVIP_ADMIN_PASSWORD  without --demo, the first start on an empty database creates \
tenant `default` and user `admin` with this password (or prints a generated one once)"
    )]
    Serve(ServeArgs),
    /// Bring the database schema up to date and exit.
    Migrate(MigrateArgs),
    /// Write a consistent snapshot of the database to FILE while it serves (restores into
    /// either store).
    Backup(BackupArgs),
    /// Restore a backup into the database (SQLite or Postgres, whichever the backup came from),
    /// with its servers stopped.
    Restore(RestoreArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage a tenant's inventory (VPCs, subnets, VMs).
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Fill an empty database with the scale data set of quality.md (for benchmarks).
    SeedScale(SeedScaleArgs),
    /// Run on a VM bound to HAVIPs, beside keepalived: report which HAVIPs' VIPs the VM holds.
    // The token is read from the environment or a file only: a flag would show it in `ps`.
    #[command(
        after_help = "Environment:\n  HAVIP_AGENT_TOKEN  the VM's agent token (havip token create --agent --vm VM_ID, \
or the console's 安装 Agent), unless --token-file names a file that holds it"
    )]
    Agent(AgentArgs),
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub notify: Option<AgentCommand>,
    /// The console's base URL, e.g. https://console.example.com.
    #[arg(long, env = "HAVIP_AGENT_SERVER")]
    pub server: Option<String>,
    /// A file holding the agent token.
    #[arg(long, env = "HAVIP_AGENT_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Milliseconds between reports (1000 to 60000); keepalived's changes go at once.
    #[arg(long, env = "HAVIP_AGENT_INTERVAL_MS", default_value_t = 2000)]
    pub interval_ms: u64,
    /// Where the agent keeps its notification socket (one directory per agent on a host).
    #[arg(long, env = "HAVIP_AGENT_STATE_DIR", default_value = app::domain::keepalived::DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
    /// The pid file of keepalived's VRRP process (keepalived -r).
    #[arg(long, env = "HAVIP_AGENT_KEEPALIVED_PID_FILE", default_value = "/run/vrrp.pid")]
    pub keepalived_pid_file: PathBuf,
    /// keepalived configuration files to read the running revision from (repeatable).
    #[arg(
        long = "keepalived-config",
        env = "HAVIP_AGENT_KEEPALIVED_CONFIG",
        value_delimiter = ',',
        default_value = "/etc/keepalived/keepalived.conf"
    )]
    pub keepalived_configs: Vec<PathBuf>,
    /// Reports kept while the console cannot be reached.
    #[arg(long, env = "HAVIP_AGENT_OUTBOX", default_value_t = 256)]
    pub outbox: usize,
}

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// What keepalived's notify runs: hands the state change to the running agent.
    Notify {
        #[arg(long, env = "HAVIP_AGENT_STATE_DIR", default_value = app::domain::keepalived::DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
        /// keepalived's words: INSTANCE <name> <state> <priority>.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// Where the embedded SQLite database lives.
    #[arg(long, env = "HAVIP_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `sqlite:PATH` or `postgres://…`; overrides --data-dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Connections in the pool (readers on SQLite).
    #[arg(long, env = "HAVIP_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The file to write (made anew; an existing one is refused).
    pub file: PathBuf,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A file `havip backup` wrote.
    pub file: PathBuf,
    /// Replace the data of a database that is not empty.
    #[arg(long)]
    pub replace: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// List the migrations this version would apply, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl DatabaseArgs {
    pub fn url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite:{}", self.data_dir.join("havip.db").display()))
    }
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HAVIP_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Load the demo data set (tenants, users, inventory, HAVIPs) when the database is empty.
    #[arg(long, env = "HAVIP_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,
    /// Where the built WebAssembly, JavaScript and CSS are (`pkg/` inside it).
    #[arg(long, env = "HAVIP_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// Network driver: noop; command (runs --driver-command for each operation); or ovn (a
    /// virtual port per HAVIP in OVN, and the master as the fabric sees it).
    #[arg(long, env = "HAVIP_DRIVER", default_value = "noop")]
    pub driver: DriverKind,
    /// The program the command driver runs; it gets the operation as JSON on standard input.
    #[arg(long, env = "HAVIP_DRIVER_COMMAND", required_if_eq("driver", "command"))]
    pub driver_command: Option<PathBuf>,
    #[command(flatten)]
    pub ovn: OvnArgs,
    /// At most this many VMs per HAVIP (R9).
    #[arg(long, env = "HAVIP_MAX_VMS_PER_HAVIP", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_vms_per_havip: u16,
    /// At most this many HAVIPs per VM (R10).
    #[arg(long, env = "HAVIP_MAX_HAVIPS_PER_VM", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_havips_per_vm: u16,
    /// Seconds a worker holds a job before another process may take it over.
    #[arg(long, env = "HAVIP_JOB_LEASE_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub job_lease_secs: u64,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "HAVIP_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u64,
    /// Hours after which a session ends, active or not.
    #[arg(long, env = "HAVIP_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: u64,
    /// When session cookies are marked Secure.
    #[arg(long, env = "HAVIP_SECURE_COOKIES", default_value = "auto")]
    pub secure_cookies: CookieSecurity,
    /// The origin browsers use (e.g. https://cloud.example.com) when a proxy changes Host.
    #[arg(long, env = "HAVIP_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,
    /// Failed logins allowed per user and per address within 15 minutes.
    #[arg(long, env = "HAVIP_LOGIN_ATTEMPTS", default_value_t = 10)]
    pub login_attempts: u32,
    /// Milliseconds a request may rely on what another request learned of its credentials and
    /// its tenant's revision; 0 asks the database on every request. Writes by this process, and
    /// on Postgres by any process, are seen at once regardless.
    #[arg(long, env = "HAVIP_IDENTITY_CACHE_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub identity_cache_ms: u64,
    /// Milliseconds to go on serving after SIGTERM while /readyz answers 503, before the
    /// listener closes: long enough for a load balancer's health checks to take the process
    /// out (haproxy: a few times `inter`). 0 stops at once.
    #[arg(long, env = "HAVIP_DRAIN_MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=300_000))]
    pub drain_ms: u64,
    /// Load balancers (addresses or networks, comma-separated) whose X-Forwarded-For names the
    /// client, e.g. 10.0.0.5,10.1.0.0/16. Others' is ignored.
    #[arg(long, env = "HAVIP_TRUSTED_PROXIES", default_value = "", value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DriverKind {
    Noop,
    Command,
    Ovn,
}

/// Where the OVN driver finds OVN, written as OVN's own tools take it.
#[derive(Args, Debug)]
pub struct OvnArgs {
    /// OVN's Northbound database: unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT (like ovn-nbctl --db).
    #[arg(long, env = "HAVIP_OVN_NB_DB", required_if_eq("driver", "ovn"), value_parser = parse_remote)]
    pub ovn_nb_db: Option<Remote>,
    /// OVN's Southbound database, where the fabric says which VM it sends a VIP's traffic to.
    #[arg(long, env = "HAVIP_OVN_SB_DB", required_if_eq("driver", "ovn"), value_parser = parse_remote)]
    pub ovn_sb_db: Option<Remote>,
    /// For ssl: remotes, the client's private key (PEM; OVN's -p/--private-key).
    #[arg(long, env = "HAVIP_OVN_PRIVATE_KEY")]
    pub ovn_private_key: Option<PathBuf>,
    /// For ssl: remotes, the client's certificate (PEM; OVN's -c/--certificate).
    #[arg(long, env = "HAVIP_OVN_CERTIFICATE")]
    pub ovn_certificate: Option<PathBuf>,
    /// For ssl: remotes, the CA certificate the servers' certificates are checked against
    /// (PEM; OVN's -C/--ca-cert).
    #[arg(long, env = "HAVIP_OVN_CA_CERT")]
    pub ovn_ca_cert: Option<PathBuf>,
    /// Seconds between two comparisons of OVN Northbound with the HAVIPs (one runs at start).
    #[arg(long, env = "HAVIP_OVN_RECONCILE_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub ovn_reconcile_secs: u64,
}

fn parse_remote(text: &str) -> Result<Remote, String> {
    text.parse()
}

impl OvnArgs {
    fn settings(&self) -> anyhow::Result<OvnSettings> {
        let (Some(northbound), Some(southbound)) = (self.ovn_nb_db.clone(), self.ovn_sb_db.clone()) else {
            anyhow::bail!("--driver ovn needs --ovn-nb-db and --ovn-sb-db");
        };
        let tls = match (&self.ovn_private_key, &self.ovn_certificate, &self.ovn_ca_cert) {
            (Some(key), Some(certificate), Some(ca)) => {
                Some(TlsFiles { private_key: key.clone(), certificate: certificate.clone(), ca_cert: ca.clone() })
            }
            (None, None, None) => None,
            _ => anyhow::bail!("--ovn-private-key, --ovn-certificate and --ovn-ca-cert go together"),
        };
        let reconcile_every = Duration::from_secs(self.ovn_reconcile_secs);
        Ok(OvnSettings { northbound, southbound, tls, reconcile_every })
    }
}

impl ServeArgs {
    /// The settings; an OVN driver whose TLS files cannot be read stops here, naming the file.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let driver = match (self.driver, &self.driver_command) {
            (DriverKind::Command, Some(program)) => Driver::Command(program.clone()),
            (DriverKind::Ovn, _) => Driver::Ovn(Arc::new(Ovn::new(self.ovn.settings()?).map_err(anyhow::Error::msg)?)),
            _ => Driver::Noop,
        };
        Ok(Settings {
            database_url: self.database.url(),
            max_connections: self.database.db_max_connections,
            limits: BindingLimits {
                vms_per_havip: usize::from(self.max_vms_per_havip),
                havips_per_vm: usize::from(self.max_havips_per_vm),
            },
            driver,
            job_lease: Duration::from_secs(self.job_lease_secs),
            session_idle: Duration::from_secs(self.session_idle_minutes * 60),
            session_max_age: Duration::from_secs(self.session_max_hours * 3600),
            cookies: self.secure_cookies,
            public_origin: self.public_origin.clone(),
            login_attempts: self.login_attempts,
            login_window: Duration::from_secs(15 * 60),
            identity_cache_for: Duration::from_millis(self.identity_cache_ms),
            drain: Duration::from_millis(self.drain_ms),
            trusted_proxies: self.trusted_proxies.clone(),
            site_root: self.site_root.clone(),
        })
    }
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input, or generated and printed.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        /// The user also manages the tenant's inventory.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (only its hash is stored); with --agent, an
    /// agent token that only reports for the VM --vm.
    Create {
        /// The token's user (for an agent token: by default the first admin of the VM's tenant).
        #[arg(long, required_unless_present = "agent")]
        username: Option<String>,
        #[arg(long, requires = "vm")]
        agent: bool,
        /// The VM an agent token speaks for.
        #[arg(long, requires = "agent")]
        vm: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token, given the token or its ID (tok-…).
    Revoke {
        token: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum InventoryCommand {
    /// Make a tenant's VPCs, subnets and VMs those of a JSON file (format in the README).
    Import {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Args, Debug)]
pub struct SeedScaleArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// HAVIPs of the large tenant.
    #[arg(long, default_value_t = 100_000)]
    pub havips: usize,
    /// Small tenants of 100 HAVIPs each.
    #[arg(long, default_value_t = 99)]
    pub small_tenants: usize,
}
