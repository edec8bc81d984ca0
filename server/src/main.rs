//! `havip`: the HAVIP Console server and its admin commands.

use clap::Parser;
use server::bootstrap::{self, FirstStart};
use server::cli::{
    AgentArgs, AgentCommand, BackupArgs, Cli, Command, DatabaseArgs, InventoryCommand, LogFormat, MigrateArgs,
    RestoreArgs, SeedScaleArgs, ServeArgs, TokenCommand, UserCommand,
};
use server::db::{Db, backup};
use server::service::Backend;
use server::settings::Settings;
use server::startup::{Application, shutdown_signal};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::sync::Arc;

#[tokio::main]
async fn main() -> ExitCode {
    // Without a subcommand, serve (so `cargo leptos watch` can start the binary bare).
    let cli = match Cli::try_parse() {
        Err(error) if error.kind() == clap::error::ErrorKind::MissingSubcommand && std::env::args().len() == 1 => {
            Cli::parse_from(["havip", "serve"])
        }
        parsed => parsed.unwrap_or_else(|error| error.exit()),
    };
    init_logging(cli.log_format);
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Backup(BackupArgs { file, database }) => {
            let db = Db::open_as_is(&database.url(), 2).await?;
            anyhow::ensure!(!file.exists(), "{} exists: name a new file", file.display());
            let written = write_backup(&db, &file).await;
            db.close().await;
            let summary = written?;
            println!("Wrote {} rows of {} tables to {}.", summary.rows, summary.tables, file.display());
            Ok(())
        }
        Command::Restore(RestoreArgs { file, replace, database }) => {
            // The file is checked whole before the database is opened (or made).
            let verified = backup::verify(&file)?;
            let db = Db::connect(&database.url(), 2).await?;
            let summary = backup::restore(&db, &verified, replace).await?;
            db.close().await;
            println!("Restored {} rows of {} tables into {}.", summary.rows, summary.tables, redact(&database.url()));
            Ok(())
        }
        Command::Migrate(MigrateArgs { database, dry_run: true }) => {
            let url = database.url();
            let state = Db::inspect(&url).await?;
            state.refuse_newer()?;
            print!("{}", state.plan(&redact(&url)));
            Ok(())
        }
        Command::Migrate(MigrateArgs { database, dry_run: false }) => {
            backend(&database).await?.assign_missing_vrids().await.map_err(anyhow::Error::msg)?;
            println!("The database at {} is up to date.", redact(&database.url()));
            Ok(())
        }
        Command::User(UserCommand::Create { tenant, username, admin, database }) => {
            let backend = backend(&database).await?;
            let (password, generated) = password_from_stdin()?;
            let role = if admin { app::domain::caller::Role::Admin } else { app::domain::caller::Role::Member };
            backend.create_user(&tenant, &username, &password, role).await.map_err(anyhow::Error::msg)?;
            println!("Created user {username} in tenant {tenant}.");
            if generated {
                println!("Password (shown once): {password}");
            }
            Ok(())
        }
        Command::Token(TokenCommand::Create { username, vm, database, .. }) => {
            let backend = backend(&database).await?;
            let made = match &vm {
                Some(vm) => backend.create_agent_token_at_host(vm, username.as_deref()).await,
                None => backend.create_token(username.as_deref().unwrap_or_default()).await,
            };
            let (id, token) = made.map_err(anyhow::Error::msg)?;
            match &vm {
                Some(vm) => {
                    println!("Agent token {id} for {vm} (shown once; give it to `havip agent` as HAVIP_AGENT_TOKEN):")
                }
                None => println!(
                    "Token {id} for {} (shown once; use it as 'Authorization: Bearer …'):",
                    username.unwrap_or_default()
                ),
            }
            println!("{token}");
            Ok(())
        }
        Command::Agent(args) => agent(args).await,
        Command::Token(TokenCommand::Revoke { token, database }) => {
            let backend = backend(&database).await?;
            backend.revoke_token(&token).await.map_err(anyhow::Error::msg)?;
            println!("Revoked.");
            Ok(())
        }
        Command::SeedScale(SeedScaleArgs { database, havips, small_tenants }) => {
            let backend = backend(&database).await?;
            anyhow::ensure!(
                backend.tenant_count().await.map_err(anyhow::Error::msg)? == 0,
                "seed-scale fills an empty database only"
            );
            let started = std::time::Instant::now();
            let data = server::seed::scale(&backend, havips, small_tenants).await.map_err(anyhow::Error::msg)?;
            println!(
                "Seeded {havips} HAVIPs in tenant scale and {small_tenants} small tenants in {:.1} s. Sign in as {} / {}.",
                started.elapsed().as_secs_f64(),
                data.username,
                data.password
            );
            Ok(())
        }
        Command::Inventory(InventoryCommand::Import { file, tenant, database }) => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let document = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{} is not an inventory document: {e}", file.display()))?;
            let backend = backend(&database).await?;
            let tenant_id = backend.ensure_tenant(&tenant).await.map_err(anyhow::Error::msg)?;
            let report = backend.import_inventory(&tenant_id, None, &document).await.map_err(anyhow::Error::msg)?;
            println!(
                "Tenant {tenant} now has {} VPCs, {} subnets and {} VMs ({} VMs removed).",
                report.vpcs,
                report.subnets,
                report.vms,
                report.removed_vms.len()
            );
            Ok(())
        }
    }
}

/// Writes the backup beside its name and renames it when whole and on disk: a backup cut short
/// is never left under the name. Only its owner may read it: it holds password and token
/// hashes and the deployment's signing key.
async fn write_backup(db: &Db, file: &std::path::Path) -> anyhow::Result<backup::Summary> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut partial = file.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", partial.display()))?;
    let written = async {
        let mut writer = std::io::BufWriter::new(out);
        let summary = backup::backup(db, &mut writer).await?;
        writer.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&partial, file)?;
        anyhow::Ok(summary)
    }
    .await;
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown = shutdown_signal()?;
    let settings = args.settings()?;
    if server::http::site_name(&settings.site_root).is_none() {
        tracing::warn!(
            "{} holds no built site: the page will not hydrate (build it with `make build`)",
            settings.site_root.display()
        );
    }
    let application = Application::build(settings, &args.listen).await?;
    let backend = application.backend();
    let first = bootstrap::prepare(&backend, args.demo, std::env::var("HAVIP_ADMIN_PASSWORD").ok())
        .await
        .map_err(anyhow::Error::msg)?;
    let url = format!("http://{}", application.address());
    println!("HAVIP Console is at {url}/havips  (database: {})", redact(&backend.settings.database_url));
    match first {
        FirstStart::Existing => {}
        FirstStart::Demo => {
            let (user, password) = server::demo::DEMO_USER;
            let (other, other_password) = server::demo::SECOND_USER;
            println!("Demo data loaded. Sign in as {user} / {password} (a second tenant: {other} / {other_password}).");
        }
        FirstStart::Admin { password, generated } => {
            println!("Created tenant 'default' with user 'admin'.");
            if generated {
                println!("Its password (shown once, change it by creating another admin): {password}");
            }
        }
    }
    application.run(shutdown).await
}

async fn agent(args: AgentArgs) -> anyhow::Result<()> {
    if let Some(AgentCommand::Notify { state_dir, words }) = args.notify {
        if let Err(error) = server::agent::notify::send(&state_dir, &words).await {
            // keepalived goes on either way: say why the console will learn it only at the next tick.
            eprintln!("havip agent notify: the agent in {} did not take it: {error}", state_dir.display());
        }
        return Ok(());
    }
    let server = args.server.ok_or_else(|| anyhow::anyhow!("--server (or HAVIP_AGENT_SERVER) names the console"))?;
    let token = match &args.token_file {
        Some(file) => {
            std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
        }
        None => std::env::var("HAVIP_AGENT_TOKEN")
            .map_err(|_| anyhow::anyhow!("the agent token comes from HAVIP_AGENT_TOKEN or --token-file"))?,
    };
    anyhow::ensure!(
        app::domain::ha::REPORT_INTERVAL_MS.contains(&u32::try_from(args.interval_ms).unwrap_or(0)),
        "--interval-ms must be from 1000 to 60000"
    );
    let settings = server::agent::AgentSettings {
        server,
        token: token.trim().to_owned(),
        interval: std::time::Duration::from_millis(args.interval_ms),
        state_dir: args.state_dir,
        keepalived_pid_file: args.keepalived_pid_file,
        keepalived_configs: args.keepalived_configs,
        outbox: args.outbox,
    };
    server::agent::run(settings, shutdown_signal()?).await
}

async fn backend(database: &DatabaseArgs) -> anyhow::Result<Backend> {
    let settings = Settings::for_database(database.url());
    let db = Db::connect(&settings.database_url, database.db_max_connections).await?;
    Ok(Backend::new(db, Arc::new(settings)))
}

/// The first line of standard input when something is piped in; a generated password otherwise.
fn password_from_stdin() -> anyhow::Result<(String, bool)> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut text = String::new();
        stdin.lock().read_to_string(&mut text)?;
        if let Some(line) = text.lines().next().filter(|l| !l.is_empty()) {
            return Ok((line.to_owned(), false));
        }
    }
    Ok((server::service::accounts::new_secret()[..20].to_owned(), true))
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
