//! Store errors, the database constraints they name, and the one conversion of them into what
//! a caller may see ([`AppError`]): product rules as they are, an unreachable database as 503,
//! anything else logged in full and answered as `Internal`.

use app::domain::{AppError, ErrorCode, Field};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A rule of the product, found while writing.
    #[error("{0}")]
    Rule(AppError),
    /// A unique index refused a write.
    #[error("unique violation on {0:?}")]
    Unique(UniqueTarget),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(String),
    #[error("configuration: {0}")]
    Config(String),
}

/// The unique indexes whose violations mean something to the product. Both schemas give them
/// the same names; SQLite reports the columns instead, so both forms are recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueTarget {
    /// havips_subnet_ip_unique: R6 between HAVIPs.
    HavipIp,
    /// bindings_havip_slot_unique: R9.
    HavipSlot,
    /// bindings_vm_slot_unique: R10.
    VmSlot,
    /// The binding's primary key: the VM is bound already.
    Binding,
    /// idempotency_keys' primary key.
    IdempotencyKey,
    /// bindings_vm_vrid_unique: R17, one VRID per VM.
    VmVrid,
    Other,
}

impl StoreError {
    pub fn migrate(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(error.to_string())
    }

    /// The unique index a failed write ran into, if that is why it failed.
    pub fn unique_target(&self) -> Option<UniqueTarget> {
        match self {
            StoreError::Unique(target) => Some(*target),
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                let name = db.constraint().unwrap_or_default().to_owned();
                let message = db.message().to_owned();
                let says = |index: &str, columns: &str| name == index || message.contains(columns);
                Some(if says("havips_subnet_ip_unique", "havips.subnet_id, havips.ip_num") {
                    UniqueTarget::HavipIp
                } else if says("bindings_havip_slot_unique", "havip_bindings.havip_id, havip_bindings.havip_slot") {
                    UniqueTarget::HavipSlot
                } else if says("bindings_vm_slot_unique", "havip_bindings.vm_id, havip_bindings.vm_slot") {
                    UniqueTarget::VmSlot
                } else if says("havip_bindings_pkey", "havip_bindings.havip_id, havip_bindings.vm_id") {
                    UniqueTarget::Binding
                } else if says("idempotency_keys_pkey", "idempotency_keys.tenant_id") {
                    UniqueTarget::IdempotencyKey
                } else if says("bindings_vm_vrid_unique", "havip_bindings.vm_id, havip_bindings.vrid") {
                    UniqueTarget::VmVrid
                } else {
                    UniqueTarget::Other
                })
            }
            _ => None,
        }
    }
}

/// How a transaction lost to a concurrent one on Postgres, in a way that running it again
/// resolves. Nothing was written. (SQLite has one writer: there, such errors are bugs.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LostRace {
    /// Postgres aborted it to break a deadlock or a serialization conflict.
    Aborted,
    /// A row it refers to (a VM, a subnet) was deleted after it looked; the next run sees the
    /// row gone and says so.
    RowGone,
}

/// The race the transaction lost, if that is why it failed.
pub fn lost_race(error: &StoreError) -> Option<LostRace> {
    let StoreError::Database(sqlx::Error::Database(db)) = error else { return None };
    match db.code().as_deref() {
        Some("40P01" | "40001") => Some(LostRace::Aborted),
        Some("23503") => Some(LostRace::RowGone),
        _ => None,
    }
}

/// Whether the error means the database cannot be reached (answer 503, not 500).
pub fn is_unavailable(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Database(
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::Tls(_)
        )
    ) || matches!(error, StoreError::Database(sqlx::Error::Database(db)) if db.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")))
}

impl From<AppError> for StoreError {
    fn from(error: AppError) -> Self {
        StoreError::Rule(error)
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Rule(rule) => rule,
            // Text the database cannot store (a NUL byte in Postgres) is the request's fault.
            StoreError::Database(sqlx::Error::Database(db))
                if matches!(db.code().as_deref(), Some("22021" | "22P05")) =>
            {
                AppError::invalid_parameter(Field::Body, "the request contains characters that cannot be stored")
            }
            error if is_unavailable(&error) => {
                tracing::warn!(%error, "database unavailable");
                AppError::new(ErrorCode::ServiceUnavailable)
            }
            error => {
                tracing::error!(%error, "store error");
                AppError::internal()
            }
        }
    }
}
