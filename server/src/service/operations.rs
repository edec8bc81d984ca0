//! 操作日志: the tenant's operation log, newest first, filtered, a page at a time or all of it
//! for the download. Admins read the whole tenant's log; members only their own entries.

use super::export::{ExportError, Sheet};
use super::{Backend, read_cursor};
use crate::store::{StoreError, oplog};
use app::domain::AppError;
use app::domain::caller::{Caller, Role};
use app::domain::operations::{Operation, OperationPage, OperationQuery};
use app::domain::time::UtcOffset;
use app::i18n::Lang;
use rust_xlsxwriter::Workbook;
use std::io::Write;
use tokio::sync::mpsc;

/// Entries read from the database, and handed to the download's writer, at a time.
const EXPORT_CHUNK: u32 = 2000;

pub type OperationBatches = mpsc::Receiver<Result<Vec<Operation>, AppError>>;

/// The user whose entries alone the caller may read, if it may not read the tenant's.
fn only_user(caller: &Caller) -> Option<&str> {
    (caller.profile.role != Role::Admin).then_some(caller.user_id.as_str())
}

/// The next page's `before`: the time and ID of this page's last entry.
fn cursor_after(operation: &Operation) -> String {
    format!("{}:{}", operation.at.as_micros(), operation.id)
}

impl Backend {
    /// A page of the log the caller may read, newest first.
    pub async fn operations(&self, caller: &Caller, query: &OperationQuery) -> Result<OperationPage, AppError> {
        let query = &query.validated()?;
        let before = query.before.as_deref().map(read_cursor).transpose()?;
        let mut conn = self.db.reader().await?;
        let mut items =
            oplog::page(&mut conn, &caller.tenant_id, query, only_user(caller), before.as_ref(), query.limit + 1)
                .await?;
        let next_before = (items.len() > query.limit as usize).then(|| {
            items.truncate(query.limit as usize);
            items.last().map(cursor_after).unwrap_or_default()
        });
        Ok(OperationPage { items, next_before })
    }

    /// Every entry the query selects (from its `before` on), newest first, in batches through a
    /// bounded channel, so that the reader waits for the writer and memory stays flat.
    pub async fn operation_batches(
        &self,
        caller: &Caller,
        query: OperationQuery,
    ) -> Result<OperationBatches, AppError> {
        let query = query.validated()?;
        let mut before = query.before.as_deref().map(read_cursor).transpose()?;
        let (sender, receiver) = mpsc::channel(2);
        let db = self.db.clone();
        let caller = caller.clone();
        tokio::spawn(async move {
            loop {
                let page: Result<Vec<Operation>, StoreError> = async {
                    let mut conn = db.reader().await?;
                    oplog::page(&mut conn, &caller.tenant_id, &query, only_user(&caller), before.as_ref(), EXPORT_CHUNK)
                        .await
                }
                .await;
                let batch = match page {
                    Ok(batch) => batch,
                    Err(error) => {
                        let _ = sender.send(Err(error.into())).await;
                        return;
                    }
                };
                let last = batch.len() < EXPORT_CHUNK as usize;
                before = batch.last().map(|o| (o.at.as_micros(), o.id.clone()));
                if sender.send(Ok(batch)).await.is_err() || last {
                    return;
                }
            }
        });
        Ok(receiver)
    }
}

/// The log's columns, in the order of its page.
fn headers(lang: Lang) -> [&'static str; 7] {
    let t = lang.texts();
    [t.col_time, t.col_user, t.col_action, t.col_resource, t.col_outcome, t.col_detail, t.col_request_id]
}

const WIDTHS: [f64; 7] = [20.0, 18.0, 22.0, 24.0, 12.0, 48.0, 24.0];

/// Writes the log's entries as they come into a workbook (on a blocking thread), times in the
/// zone `zone`, texts that a spreadsheet could take for a formula written as text. Answers the
/// number of entries.
pub fn write_operations_workbook(
    mut batches: OperationBatches,
    out: impl Write + Send,
    lang: Lang,
    zone: UtcOffset,
) -> Result<usize, ExportError> {
    let mut workbook = Workbook::new();
    let mut sheet = Sheet::new(&mut workbook, lang.texts().nav_operations, &headers(lang), &WIDTHS, zone)?;
    let mut row: u32 = 0;
    while let Some(batch) = batches.blocking_recv() {
        for operation in batch.map_err(ExportError::Read)? {
            row += 1;
            sheet.time(row, 0, operation.at)?;
            let texts = [
                operation.username.or(operation.user_id).unwrap_or_else(|| lang.texts().source_server.to_owned()),
                lang.action(&operation.action).to_owned(),
                operation.resource_id.unwrap_or_default(),
                lang.outcome(&operation.outcome).to_owned(),
                operation.detail.unwrap_or_default(),
                operation.request_id.unwrap_or_default(),
            ];
            for (col, text) in texts.iter().enumerate() {
                sheet.text(row, col as u16 + 1, text)?;
            }
        }
    }
    sheet.finish(row, 6)?;
    workbook.save_to_writer(out).map_err(ExportError::Xlsx)?;
    Ok(row as usize)
}
