//! The database: one pool (two on SQLite), the dialect, transactions and migrations.
//!
//! Queries go through sqlx's `Any` driver so that SQL which is the same on both databases is
//! written once; the few places where each database has its own strength (FTS5 or pg_trgm,
//! `BEGIN IMMEDIATE`, `FOR UPDATE SKIP LOCKED`) ask [`Dialect`].

pub mod backup;
pub mod change_feed;
pub mod identity_cache;
pub mod schema;

use crate::store::StoreError;
use app::domain::ids::{self, IdKind};
use identity_cache::IdentityCache;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Transaction};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

pub type Tx = Transaction<'static, Any>;

/// The database handle. On SQLite all writes go through one connection (SQLite has one writer
/// anyway; queueing in the pool beats spinning on `SQLITE_BUSY`) and reads through several.
/// Clones share the identity cache, so that a write made through any of them (a request, the
/// job worker) is seen by every request of the process.
#[derive(Clone)]
pub struct Db {
    pub read: AnyPool,
    write: AnyPool,
    pub dialect: Dialect,
    /// Keeps nothing until the server sets it up (`Backend::new`).
    pub identity_cache: Arc<IdentityCache>,
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// How long a request waits for a Postgres connection before the database counts as
/// unavailable (503): short, so that an outage is answered quickly.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

impl Db {
    /// Connects to `sqlite:PATH` or `postgres://…` and brings the schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let db = if url.starts_with("sqlite:") {
            ensure_parent_dir(url)?;
            let url = with_create_mode(url);
            let write = sqlite_pool(&url, 1).await?;
            // Migrate before the readers connect, so that they see the final schema.
            migrate(&write, Dialect::Sqlite, &SQLITE_MIGRATIONS).await?;
            let read = sqlite_pool(&url, max_connections.max(2)).await?;
            Db { read, write, dialect: Dialect::Sqlite, identity_cache: Arc::new(IdentityCache::disabled()) }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                // No ping before every use (a round trip each time): a connection broken by a
                // database restart fails its query once, answers 503, and is replaced.
                .test_before_acquire(false)
                .connect(url)
                .await?;
            migrate(&pool, Dialect::Postgres, &POSTGRES_MIGRATIONS).await?;
            Db {
                read: pool.clone(),
                write: pool,
                dialect: Dialect::Postgres,
                identity_cache: Arc::new(IdentityCache::disabled()),
            }
        } else {
            return Err(unknown_scheme(url));
        };
        Ok(db)
    }

    /// How the schema of the database at `url` stands against this build's migrations, read
    /// without changing anything (a SQLite file that does not exist is not made).
    pub async fn inspect(url: &str) -> Result<schema::SchemaState, StoreError> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let path = sqlite_path(url);
            if !path.exists() {
                return Ok(schema::SchemaState::empty(&SQLITE_MIGRATIONS));
            }
            let read_only = format!("sqlite:{}?mode=ro", path.display());
            let pool = AnyPoolOptions::new().max_connections(1).connect(&read_only).await?;
            let state = schema::state(&pool, Dialect::Sqlite, &SQLITE_MIGRATIONS).await;
            pool.close().await;
            state
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new().max_connections(1).acquire_timeout(ACQUIRE_TIMEOUT).connect(url).await?;
            let state = schema::state(&pool, Dialect::Postgres, &POSTGRES_MIGRATIONS).await;
            pool.close().await;
            state
        } else {
            Err(unknown_scheme(url))
        }
    }

    /// Opens an existing database as it is, to read it whole (`havip backup`): never made,
    /// never migrated, and refused unless its schema is this version's, so that a new binary
    /// run against a live database does not upgrade it under the servers that use it.
    pub async fn open_as_is(url: &str, max_connections: u32) -> Result<Db, StoreError> {
        let state = Db::inspect(url).await?;
        state.refuse_newer()?;
        if url.starts_with("sqlite:") && !sqlite_path(url).exists() {
            return Err(StoreError::Config(format!("there is no database at {}", sqlite_path(url).display())));
        }
        if !state.pending.is_empty() {
            return Err(StoreError::Config(format!(
                "the database's schema is older than this version's ({} migration(s) to apply): back it up with \
                 the version that serves it, or run `havip migrate` first",
                state.pending.len()
            )));
        }
        let (pool, dialect) = if url.starts_with("sqlite:") {
            let read_only = format!("sqlite:{}?mode=ro", sqlite_path(url).display());
            (sqlite_pool(&read_only, max_connections).await?, Dialect::Sqlite)
        } else {
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect(url)
                .await?;
            (pool, Dialect::Postgres)
        };
        Ok(Db { read: pool.clone(), write: pool, dialect, identity_cache: Arc::new(IdentityCache::disabled()) })
    }

    /// A connection for reads.
    pub async fn reader(&self) -> Result<PoolConnection<Any>, StoreError> {
        Ok(self.read.acquire().await?)
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction that reads before it writes cannot fail half-way on a lock.
    /// Writes to a tenant's data go through [`crate::store::TenantTx`], which begins here.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let tx = match self.dialect {
            Dialect::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.write.begin().await?,
        };
        Ok(tx)
    }

    /// How the pools are used now (for `/metrics`): one pool on Postgres, a reader and the one
    /// writer on SQLite.
    pub fn pool_use(&self) -> Vec<crate::metrics::PoolUse> {
        let of = |pool: &'static str, p: &AnyPool| crate::metrics::PoolUse {
            pool,
            open: p.size(),
            idle: u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
        };
        match self.dialect {
            Dialect::Sqlite => vec![of("read", &self.read), of("write", &self.write)],
            Dialect::Postgres => vec![of("main", &self.write)],
        }
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }

    /// The query fragment that makes `{fragment}` skip rows other workers hold (Postgres only;
    /// SQLite has one writer, so there is nothing to skip).
    pub fn skip_locked(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The database's clock, in microseconds since the Unix epoch, as an SQL expression. Job
    /// leases are given and judged by it, so that servers on several hosts agree on when a lease
    /// ran out even when their own clocks drift apart.
    pub fn clock_micros(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
            Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000000 AS BIGINT)",
        }
    }

    /// Refreshes the planner's statistics (after a bulk load, so that the first queries are
    /// planned well): `ANALYZE` on SQLite, `VACUUM ANALYZE` on Postgres.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let statement = match self.dialect {
            Dialect::Sqlite => "ANALYZE",
            Dialect::Postgres => "VACUUM ANALYZE",
        };
        sqlx::query(statement).execute(&self.write).await?;
        Ok(())
    }

    /// `PRAGMA integrity_check` on SQLite; Postgres has no equivalent and answers "ok".
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        match self.dialect {
            Dialect::Sqlite => {
                let row: (String,) = sqlx::query_as("PRAGMA integrity_check").fetch_one(&self.write).await?;
                Ok(row.0)
            }
            Dialect::Postgres => Ok("ok".to_owned()),
        }
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

fn unknown_scheme(url: &str) -> StoreError {
    StoreError::Config(format!(
        "DATABASE_URL must start with sqlite: or postgres://, not {:?}",
        url.split(':').next().unwrap_or_default()
    ))
}

/// Applies this build's pending migrations, unless a newer build migrated the database, and
/// records the build that brought the schema to its version.
async fn migrate(pool: &AnyPool, dialect: Dialect, migrator: &Migrator) -> Result<(), StoreError> {
    schema::state(pool, dialect, migrator).await?.refuse_newer()?;
    migrator.run(pool).await.map_err(StoreError::migrate)?;
    schema::record_writer(pool, migrator, now_micros()).await
}

async fn sqlite_pool(url: &str, max_connections: u32) -> Result<AnyPool, StoreError> {
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        // Writers queue here; a burst of creates may wait a while, which is fine.
        .acquire_timeout(Duration::from_secs(30))
        // No ping before every use: on SQLite each ping is a hop to the connection's own thread
        // and back, as costly as the query itself, and a file connection does not go stale.
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                use sqlx::Executor;
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; \
                     PRAGMA foreign_keys = ON; PRAGMA cache_size = -8000; PRAGMA temp_store = MEMORY;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await?;
    Ok(pool)
}

/// `sqlite:data/havip.db` → `sqlite:data/havip.db?mode=rwc`: create the file on first start.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The file of a `sqlite:` URL.
fn sqlite_path(url: &str) -> &Path {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    Path::new(path.split('?').next().unwrap_or_default())
}

fn ensure_parent_dir(url: &str) -> Result<(), StoreError> {
    if let Some(parent) = sqlite_path(url).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", parent.display())))?;
    }
    Ok(())
}

/// Microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}

/// A fresh random resource ID (`havip-k3j9x0q2m1ab`).
pub fn new_id(kind: IdKind) -> String {
    let bytes: [u8; ids::ID_RANDOM_LEN] = rand::random();
    ids::from_random_bytes(kind, &bytes)
}

/// `$first, $first+1, …` for an `IN (…)` list of `count` values.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Reads column `index` of a row; a type mismatch is a bug in our SQL, reported as such.
pub fn col<T>(row: &AnyRow, index: usize) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    use sqlx::Row;
    row.try_get(index).map_err(StoreError::from)
}
