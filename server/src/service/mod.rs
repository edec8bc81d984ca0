//! The backend operations of product.md (create, list, update, delete, inventory, accounts),
//! with their transactions. The console's server functions (through [`app::api::port`]) and
//! the REST handlers both call these, so no rule is written twice.

pub mod accounts;
pub mod bindings;
pub mod create;
pub mod delete;
pub mod export;
pub mod export_formats;
pub mod export_view;
pub mod ha;
pub mod inventory;
pub mod inventory_sync;
pub mod list_cache;
pub mod login_limiter;
pub mod operations;
pub mod page_token;
mod port;
pub mod query;
pub mod token_uses;
pub mod tokens;
pub mod update;
pub mod users;
pub mod view_order;

use crate::db::identity_cache::IdentityCache;
use crate::db::{Db, Dialect};
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::store::{LostRace, StoreError, UniqueTarget, lost_race};
use app::domain::{AppError, ErrorCode, Field};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Notify;

/// The backend: the database, the settings, the metrics, and a bell that wakes the job worker.
pub struct Backend {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub worker_bell: Arc<Notify>,
    pub list_cache: list_cache::ListCache,
    /// Signs and reads the list's page tokens; its key is read from the database at first use.
    page_tokens: tokio::sync::OnceCell<page_token::PageTokens>,
    /// Held while a view's positions are worked out (see `query::positions`).
    position_passes: tokio::sync::Mutex<()>,
    /// Held while a search's or filter's orders are worked out (see `query::view_order`).
    order_passes: view_order::OrderPasses,
    /// What this process remembers of the agents (see `ha::memory`).
    pub agents: ha::memory::AgentMemory,
    login_limiter: login_limiter::LoginLimiter,
    /// Password checks (argon2) that may run at once: one per core.
    password_checks: tokio::sync::Semaphore,
    /// When this process last wrote each API token's use.
    token_uses: token_uses::TokenUses,
}

impl Backend {
    pub fn new(mut db: Db, settings: Arc<Settings>) -> Backend {
        // On Postgres the cache is trusted only once the change feed listens (`startup.rs`).
        let trusted = db.dialect == Dialect::Sqlite;
        let metrics = Arc::new(Metrics::new());
        let authentications = metrics.authentications.clone();
        db.identity_cache = Arc::new(IdentityCache::new(settings.identity_cache_for, trusted, authentications));
        let login_limiter = login_limiter::LoginLimiter::new(settings.login_attempts, settings.login_window);
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Backend {
            db,
            settings,
            metrics,
            worker_bell: Arc::new(Notify::new()),
            list_cache: Default::default(),
            page_tokens: tokio::sync::OnceCell::new(),
            position_passes: tokio::sync::Mutex::new(()),
            order_passes: Default::default(),
            agents: Default::default(),
            login_limiter,
            password_checks: tokio::sync::Semaphore::new(cores),
            token_uses: Default::default(),
        }
    }
}

/// How many times a write runs again after losing a race on a unique index.
const MAX_ATTEMPTS: usize = 64;

/// How many times a write may find a row it refers to gone. One run after a concurrent delete
/// sees the row missing and says so; a foreign key that keeps refusing is a bug, and is
/// reported as one (logged, `Internal`) rather than retried like a race and answered 503.
const MAX_ROW_GONE_ATTEMPTS: usize = 3;

/// Runs a write transaction again when a concurrent writer took the slot or address it
/// chose, or when Postgres broke a deadlock with one (two creates taking the same VMs' slots
/// in opposite orders); each lost race means another write committed, so this makes progress.
/// `on_unique` decides which unique violations are worth another attempt and which are the
/// caller's error.
pub async fn with_retries<T, F, Fut>(
    mut attempt: F,
    on_unique: impl Fn(UniqueTarget) -> Option<AppError>,
) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut last_conflict = None;
    let mut rows_gone = 0;
    for _ in 0..MAX_ATTEMPTS {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => match error.unique_target() {
                Some(target) => {
                    if let Some(final_error) = on_unique(target) {
                        return Err(final_error);
                    }
                    last_conflict = Some(error);
                }
                None => match lost_race(&error) {
                    Some(LostRace::RowGone) if rows_gone + 1 >= MAX_ROW_GONE_ATTEMPTS => return Err(error.into()),
                    Some(LostRace::RowGone) => {
                        rows_gone += 1;
                        last_conflict = Some(error);
                    }
                    Some(LostRace::Aborted) => last_conflict = Some(error),
                    None => return Err(error.into()),
                },
            },
        }
    }
    let last = last_conflict.map(|error| error.to_string()).unwrap_or_default();
    tracing::warn!(last = %last, "gave up after {MAX_ATTEMPTS} conflicting attempts");
    Err(AppError::new(ErrorCode::ServiceUnavailable))
}

/// What the list's search matches: name, remark, ID, IP and the bound VMs' names, lowercased,
/// separated by a character no name or remark can contain.
pub fn search_text<'a>(
    name: &str,
    remark: &str,
    id: &str,
    ip: &str,
    vm_names: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut text = [name, remark, id, ip].join("\u{1f}");
    for vm in vm_names {
        text.push('\u{1f}');
        text.push_str(vm);
    }
    text.to_lowercase()
}

/// `before`, as `next_before` gave it: the time and ID of the last entry of a page (of a
/// HAVIP's history or of the operation log).
pub(crate) fn read_cursor(text: &str) -> Result<(i64, String), AppError> {
    let bad = || AppError::invalid_parameter(Field::Before, "before must be a next_before the API gave");
    if text.len() > 100 {
        return Err(bad());
    }
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    let at = at.parse::<i64>().map_err(|_| bad())?;
    let fits = !id.is_empty()
        && id.len() <= 80
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !fits {
        return Err(bad());
    }
    Ok((at, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::error::{DatabaseError, ErrorKind};
    use std::borrow::Cow;
    use std::cell::Cell;

    /// A database refusal with a Postgres SQLSTATE, as sqlx reports one.
    #[derive(Debug)]
    struct Refusal(&'static str);

    impl std::fmt::Display for Refusal {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "refused with {}", self.0)
        }
    }

    impl std::error::Error for Refusal {}

    impl DatabaseError for Refusal {
        fn message(&self) -> &str {
            "refused"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> ErrorKind {
            if self.0 == "23503" { ErrorKind::ForeignKeyViolation } else { ErrorKind::Other }
        }
    }

    /// Runs `with_retries` on a write that is refused with `code` its first `refusals` times;
    /// answers the outcome and how many times the write ran.
    async fn run(code: &'static str, refusals: usize) -> (Result<(), AppError>, usize) {
        let runs = Cell::new(0);
        let outcome = with_retries(
            || {
                runs.set(runs.get() + 1);
                let refused = runs.get() <= refusals;
                async move {
                    if refused {
                        Err(StoreError::Database(sqlx::Error::Database(Box::new(Refusal(code)))))
                    } else {
                        Ok(())
                    }
                }
            },
            |_| None,
        )
        .await;
        (outcome, runs.get())
    }

    #[tokio::test]
    async fn a_row_found_gone_runs_the_write_again() {
        let (outcome, runs) = run("23503", MAX_ROW_GONE_ATTEMPTS - 1).await;
        assert!(outcome.is_ok());
        assert_eq!(runs, MAX_ROW_GONE_ATTEMPTS);
    }

    #[tokio::test]
    async fn a_foreign_key_that_keeps_refusing_is_an_internal_error_after_a_few_runs() {
        let (outcome, runs) = run("23503", usize::MAX).await;
        assert_eq!(outcome.expect_err("refused").code, ErrorCode::Internal);
        assert_eq!(runs, MAX_ROW_GONE_ATTEMPTS);
    }

    #[tokio::test]
    async fn deadlocks_are_run_again_until_the_attempts_run_out() {
        let (outcome, runs) = run("40P01", 5).await;
        assert!(outcome.is_ok());
        assert_eq!(runs, 6);
        let (outcome, runs) = run("40001", usize::MAX).await;
        assert_eq!(outcome.expect_err("refused").code, ErrorCode::ServiceUnavailable);
        assert_eq!(runs, MAX_ATTEMPTS);
    }

    #[tokio::test]
    async fn other_database_errors_are_not_run_again() {
        let (outcome, runs) = run("42601", usize::MAX).await;
        assert_eq!(outcome.expect_err("refused").code, ErrorCode::Internal);
        assert_eq!(runs, 1);
    }
}
