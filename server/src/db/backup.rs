//! `havip backup` and `havip restore`: a consistent snapshot of the whole database in one
//! portable file that restores into either store, so a backup of SQLite restored into Postgres
//! is how a deployment outgrows one machine.
//!
//! The file is JSON lines: a header (format, version, the HAVIP Console version that wrote it,
//! the source store), then for each table a line naming its columns followed by one line per
//! row (an array of nulls, integers and strings: every column of the schema is one of those, in
//! both stores), then an end line with the row count and the SHA-256 of every byte before it.
//! A file cut short has no end line; an altered one fails the hash: both are refused before the
//! target database is opened.

use super::{Db, Dialect};
use crate::store::StoreError;
use futures::TryStreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Column, Row};
use std::collections::HashMap;
use std::io::{BufRead, Write};

const FORMAT: &str = "havip-backup";
const FORMAT_VERSION: i64 = 1;
/// Rows per INSERT when restoring (well under both databases' parameter limits).
const ROWS_PER_INSERT: usize = 200;

/// Every table of the data, parents before children. Not `schema_writers`: each store has its
/// own schema versions, and the target's are its own.
const TABLES: [&str; 16] = [
    "tenants",
    "users",
    "sessions",
    "projects",
    "vpcs",
    "subnets",
    "vms",
    "api_tokens",
    "havips",
    "havip_bindings",
    "vm_agents",
    "havip_events",
    "jobs",
    "idempotency_keys",
    "operation_log",
    "server_secrets",
];

/// What a backup or a restore did.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub rows: u64,
    pub tables: usize,
}

/// Writes a snapshot of the database to `out`: every table read in one transaction that sees
/// one moment (SQLite: one read transaction; Postgres: REPEATABLE READ), while the server goes
/// on serving and writing.
pub async fn backup(db: &Db, out: impl Write) -> Result<Summary, StoreError> {
    let mut out = HashingWriter { inner: out, hash: Sha256::new() };
    let begin = match db.dialect {
        Dialect::Sqlite => "BEGIN",
        Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    };
    // Dropped on an error, the transaction rolls back before its connection goes back to the pool.
    let mut conn = db.read.begin_with(begin).await?;
    let header = json!({
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "app_version": env!("CARGO_PKG_VERSION"),
        "source": match db.dialect { Dialect::Sqlite => "sqlite", Dialect::Postgres => "postgres" },
        "taken_at": super::now_micros(),
    });
    out.line(&header)?;
    let mut rows = 0;
    for table in TABLES {
        let columns: Vec<String> =
            columns_of(&mut conn, db.dialect, table).await?.into_iter().map(|c| c.name).collect();
        out.line(&json!({ "table": table, "columns": columns }))?;
        let select = format!("SELECT {} FROM {table} ORDER BY 1", columns.join(", "));
        let mut stream = sqlx::query(&select).fetch(&mut *conn);
        while let Some(row) = stream.try_next().await? {
            out.line(&Value::Array(values_of(&row)?))?;
            rows += 1;
        }
    }
    conn.commit().await?;
    let hash = hex::encode(out.hash.finalize_reset());
    out.line_unhashed(&json!({ "end": true, "rows": rows, "sha256": hash }))?;
    out.inner.flush().map_err(io)?;
    Ok(Summary { rows, tables: TABLES.len() })
}

/// A backup file [`verify`] found whole: the only thing [`restore`] takes.
#[derive(Debug)]
pub struct Verified {
    file: std::path::PathBuf,
    pub summary: Summary,
}

/// Checks a backup file whole before anything is restored from it: its format and version,
/// the version that wrote it, its end line and its hash.
pub fn verify(file: &std::path::Path) -> Result<Verified, StoreError> {
    let reader = std::io::BufReader::new(std::fs::File::open(file).map_err(io)?);
    let mut hash = Sha256::new();
    let mut header = None;
    let mut counted = 0u64;
    let mut tables = 0;
    for line in reader.split(b'\n') {
        let line = line.map_err(io)?;
        let value: Value = serde_json::from_slice(&line).map_err(|e| refused(format!("a line is not JSON ({e})")))?;
        if value.get("end").is_some() {
            let sha = value["sha256"].as_str().unwrap_or_default();
            if sha != hex::encode(hash.finalize_reset()) {
                return Err(refused("its content does not match its checksum: the file was altered".into()));
            }
            if value["rows"].as_u64() != Some(counted) {
                return Err(refused("its row count does not match its rows".into()));
            }
            check_header(header.as_ref())?;
            return Ok(Verified { file: file.to_owned(), summary: Summary { rows: counted, tables } });
        }
        hash.update(&line);
        hash.update(b"\n");
        if header.is_none() {
            header = Some(value);
        } else if value.get("table").is_some() {
            tables += 1;
        } else {
            counted += 1;
        }
    }
    Err(refused("it has no end line: the file was cut short".into()))
}

/// Restores a verified backup into `db` (checked before the database was opened, so a damaged
/// file never touches it), in one transaction: all of it or, on any error, nothing. A database that holds a tenant is refused unless `replace`, which empties it first.
/// The servers of the database are stopped meanwhile: what they keep in memory (pages,
/// identities) is of the data replaced.
pub async fn restore(db: &Db, backup: &Verified, replace: bool) -> Result<Summary, StoreError> {
    let mut tx = db.begin().await?;
    let tenants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants").fetch_one(&mut *tx).await?;
    if tenants > 0 && !replace {
        return Err(refused(format!(
            "the target database is not empty ({tenants} tenant(s)); restore with --replace to replace its data"
        )));
    }
    for table in TABLES.iter().rev() {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
    }
    let reader = std::io::BufReader::new(std::fs::File::open(&backup.file).map_err(io)?);
    let mut table: Option<Insert> = None;
    for line in reader.split(b'\n').skip(1) {
        let value: Value = serde_json::from_slice(&line.map_err(io)?).map_err(|e| refused(e.to_string()))?;
        if value.get("end").is_some() || value.get("table").is_some() {
            if let Some(mut insert) = table.take() {
                insert.flush(&mut tx).await?;
            }
            if value.get("end").is_some() {
                break;
            }
            let name = value["table"].as_str().unwrap_or_default();
            if !TABLES.contains(&name) {
                return Err(refused(format!("it holds an unknown table {name:?}")));
            }
            let columns: Vec<String> = value["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect();
            let target = columns_of(&mut tx, db.dialect, name).await?;
            table = Some(Insert::new(name, &columns, target));
        } else if let (Some(insert), Value::Array(values)) = (table.as_mut(), value) {
            insert.rows.push(values);
            if insert.rows.len() == ROWS_PER_INSERT {
                insert.flush(&mut tx).await?;
            }
        }
    }
    // The workers that held leases on pending jobs were of the deployment backed up: the
    // restored database's workers take the jobs up at once.
    sqlx::query("UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE state = 'pending'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(backup.summary)
}

/// The rows of one table waiting to be inserted, with the columns both the backup and the
/// target have (SQLite's `havips.seq` is its own, made anew on insert).
struct Insert {
    table: String,
    /// Indexes into a backup row of the columns the target has, and those columns.
    kept: Vec<(usize, TableColumn)>,
    rows: Vec<Vec<Value>>,
}

impl Insert {
    fn new(table: &str, columns: &[String], target: Vec<TableColumn>) -> Insert {
        let mut target: HashMap<String, TableColumn> = target.into_iter().map(|c| (c.name.clone(), c)).collect();
        let kept = columns.iter().enumerate().filter_map(|(i, name)| Some((i, target.remove(name)?))).collect();
        Insert { table: table.to_owned(), kept, rows: Vec::new() }
    }

    async fn flush(&mut self, conn: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
        if self.rows.is_empty() || self.kept.is_empty() {
            self.rows.clear();
            return Ok(());
        }
        let names: Vec<&str> = self.kept.iter().map(|(_, column)| column.name.as_str()).collect();
        let mut sql = crate::store::Sql::new(&format!("INSERT INTO {} ({}) VALUES ", self.table, names.join(", ")));
        for (r, row) in self.rows.drain(..).enumerate() {
            sql.push(if r == 0 { "(" } else { ", (" });
            for (k, (index, column)) in self.kept.iter().enumerate() {
                if k > 0 {
                    sql.push(", ");
                }
                // A null is bound with its column's type: Postgres takes an untyped one as text.
                match row.get(*index) {
                    Some(Value::Number(n)) => {
                        sql.bind(n.as_i64().ok_or_else(|| refused(format!("{n} is not an integer")))?)
                    }
                    Some(Value::String(s)) => sql.bind(s.clone()),
                    Some(Value::Null) | None if column.integer => sql.bind(Option::<i64>::None),
                    Some(Value::Null) | None => sql.bind(Option::<String>::None),
                    Some(other) => return Err(refused(format!("{other} is not a value of a column"))),
                };
            }
            sql.push(")");
        }
        sql.execute(conn).await?;
        Ok(())
    }
}

/// A column of a table: its name, and whether it holds integers (else text).
struct TableColumn {
    name: String,
    integer: bool,
}

/// The table's columns, in their order in the table.
async fn columns_of(
    conn: &mut sqlx::AnyConnection,
    dialect: Dialect,
    table: &str,
) -> Result<Vec<TableColumn>, StoreError> {
    let sql = match dialect {
        Dialect::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Dialect::Postgres => {
            "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows: Vec<(String, String)> = sqlx::query_as(sql).bind(table).fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(name, kind)| TableColumn { name, integer: kind.to_ascii_lowercase().contains("int") })
        .collect())
}

/// A row's values: every column of the schema is an integer or text, or null.
fn values_of(row: &AnyRow) -> Result<Vec<Value>, StoreError> {
    (0..row.columns().len())
        .map(|i| {
            if let Ok(value) = row.try_get::<Option<i64>, _>(i) {
                return Ok(value.map_or(Value::Null, Value::from));
            }
            let value: Option<String> = row.try_get(i).map_err(|e| {
                StoreError::Config(format!("column {} is neither an integer nor text: {e}", row.column(i).name()))
            })?;
            Ok(value.map_or(Value::Null, Value::from))
        })
        .collect()
}

fn check_header(header: Option<&Value>) -> Result<(), StoreError> {
    let header = header.ok_or_else(|| refused("it is empty".into()))?;
    if header["format"] != FORMAT || header["version"] != FORMAT_VERSION {
        return Err(refused("it is not a HAVIP Console backup of a format this version reads".into()));
    }
    let written_by = header["app_version"].as_str().unwrap_or_default();
    if written_by != env!("CARGO_PKG_VERSION") {
        return Err(refused(format!(
            "it was written by HAVIP Console {written_by} and this is {}: restore it with {written_by}, then upgrade",
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(())
}

fn refused(why: String) -> StoreError {
    StoreError::Config(format!("the backup is refused: {why}"))
}

fn io(error: std::io::Error) -> StoreError {
    StoreError::Config(format!("backup file: {error}"))
}

/// Writes lines and hashes what it writes.
struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn line(&mut self, value: &Value) -> Result<(), StoreError> {
        let bytes = Self::encode(value)?;
        self.hash.update(&bytes);
        self.inner.write_all(&bytes).map_err(io)
    }

    /// The end line, which holds the hash of the lines before it.
    fn line_unhashed(&mut self, value: &Value) -> Result<(), StoreError> {
        self.inner.write_all(&Self::encode(value)?).map_err(io)
    }

    fn encode(value: &Value) -> Result<Vec<u8>, StoreError> {
        let mut bytes = serde_json::to_vec(value).map_err(|e| StoreError::Config(e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
