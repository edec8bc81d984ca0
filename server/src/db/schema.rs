//! The schema's versions: which migrations a database has applied, which this build would
//! apply, and the refusal to run against a database that a newer build migrated. Running on
//! would read and write a schema this build does not know; going back takes a backup.

use super::Dialect;
use crate::store::StoreError;
use sqlx::AnyPool;
use sqlx::migrate::Migrator;

/// A migration this build knows and the database has not applied.
#[derive(Debug, PartialEq, Eq)]
pub struct Pending {
    pub version: i64,
    pub description: String,
}

/// How a database's schema stands against this build's migrations.
#[derive(Debug)]
pub struct SchemaState {
    pub pending: Vec<Pending>,
    /// Versions the database has applied that this build does not know: a newer build's.
    pub newer: Vec<i64>,
    /// The version of HAVIP Console that brought the schema to its newest version, if recorded.
    pub written_by: Option<String>,
    /// The newest schema version this build knows.
    pub latest_known: i64,
}

impl SchemaState {
    /// The state of a database nothing has been applied to.
    pub fn empty(migrator: &Migrator) -> SchemaState {
        SchemaState {
            pending: pending(migrator, &[]),
            newer: Vec::new(),
            written_by: None,
            latest_known: latest(migrator),
        }
    }

    /// An error that names the version the database needs, if a newer build migrated it.
    pub fn refuse_newer(&self) -> Result<(), StoreError> {
        let Some(newest) = self.newer.iter().max() else { return Ok(()) };
        let needed = match &self.written_by {
            Some(version) => format!("HAVIP Console {version}"),
            None => "a newer HAVIP Console".to_owned(),
        };
        Err(StoreError::Migrate(format!(
            "the database's schema is at version {newest}, written by {needed}; this is HAVIP Console {}, which \
             knows schema versions up to {}. Run {needed} or newer against it (or restore a backup taken before \
             the upgrade)",
            env!("CARGO_PKG_VERSION"),
            self.latest_known
        )))
    }

    /// What `havip migrate` would do to the database named `database`, for its `--dry-run`.
    pub fn plan(&self, database: &str) -> String {
        if self.pending.is_empty() {
            return format!("The database at {database} is up to date (schema version {}).\n", self.latest_known);
        }
        let mut plan =
            format!("`havip migrate` would apply {} migration(s) to the database at {database}:\n", self.pending.len());
        for migration in &self.pending {
            plan.push_str(&format!("  {:04} {}\n", migration.version, migration.description));
        }
        plan
    }
}

fn latest(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or_default()
}

/// Reads what the database has applied, without changing it.
pub async fn state(pool: &AnyPool, dialect: Dialect, migrator: &Migrator) -> Result<SchemaState, StoreError> {
    if !has_table(pool, dialect, "_sqlx_migrations").await? {
        return Ok(SchemaState::empty(migrator));
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(pool)
        .await?;
    let newer: Vec<i64> = applied.iter().copied().filter(|v| !migrator.iter().any(|m| m.version == *v)).collect();
    let written_by = if has_table(pool, dialect, "schema_writers").await? {
        sqlx::query_scalar("SELECT app_version FROM schema_writers ORDER BY schema_version DESC LIMIT 1")
            .fetch_optional(pool)
            .await?
    } else {
        None
    };
    Ok(SchemaState { pending: pending(migrator, &applied), newer, written_by, latest_known: latest(migrator) })
}

/// Records that this build brought the schema to its newest version (the first build to do so
/// stays recorded).
pub async fn record_writer(pool: &AnyPool, migrator: &Migrator, now_micros: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO schema_writers (schema_version, app_version, migrated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (schema_version) DO NOTHING",
    )
    .bind(latest(migrator))
    .bind(env!("CARGO_PKG_VERSION"))
    .bind(now_micros)
    .execute(pool)
    .await?;
    Ok(())
}

fn pending(migrator: &Migrator, applied: &[i64]) -> Vec<Pending> {
    migrator
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .map(|m| Pending { version: m.version, description: m.description.to_string() })
        .collect()
}

async fn has_table(pool: &AnyPool, dialect: Dialect, name: &str) -> Result<bool, StoreError> {
    let sql = match dialect {
        Dialect::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let count: i64 = sqlx::query_scalar(sql).bind(name).fetch_one(pool).await?;
    Ok(count > 0)
}
