//! The Excel download: every HAVIP of the tenant, one row each, written with rust_xlsxwriter
//! in constant-memory mode while the rows arrive, and streamed out as the file is zipped.
//! Memory stays flat however many rows there are.

use super::{Backend, public_error};
use crate::store::havips;
use app::domain::AppError;
use app::domain::caller::Caller;
use app::domain::havip::Havip;
use app::i18n::Lang;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use std::io::Write;
use tokio::sync::mpsc;

/// Rows read from the database at a time.
const BATCH_ROWS: usize = 1000;

impl Backend {
    /// Reads the tenant's HAVIPs in creation order, a batch at a time, into a channel. The
    /// bounded channel makes the reader wait for the writer, so only a few batches are held.
    pub fn export_rows(&self, caller: &Caller) -> mpsc::Receiver<Result<Vec<Havip>, AppError>> {
        let (sender, receiver) = mpsc::channel(2);
        let db = self.db.clone();
        let tenant = caller.tenant_id.clone();
        tokio::spawn(async move {
            let streamed = async {
                let mut conn = db.read.acquire().await?;
                havips::stream_all(&mut conn, &tenant, BATCH_ROWS, &sender).await
            }
            .await;
            if let Err(error) = streamed {
                let _ = sender.send(Err(public_error(error))).await;
            }
        });
        receiver
    }
}

/// The list's columns, in the order of the page.
fn headers(lang: Lang) -> [&'static str; 10] {
    let t = lang.texts();
    [
        t.col_name,
        t.col_remark,
        t.col_id,
        t.col_status,
        t.col_vpc,
        t.col_subnet,
        t.col_ip,
        t.col_vms,
        t.col_project,
        t.col_created,
    ]
}

const WIDTHS: [f64; 10] = [24.0, 30.0, 20.0, 10.0, 18.0, 26.0, 15.0, 40.0, 14.0, 20.0];

/// The texts of a row's cells (the creation time goes in as a date cell separately).
pub fn row_texts(havip: &Havip, lang: Lang) -> [String; 9] {
    [
        havip.name.clone(),
        havip.remark.clone(),
        havip.id.clone(),
        lang.status(havip.status).to_owned(),
        havip.vpc.name.clone(),
        format!("{} ({})", havip.subnet.name, havip.subnet.cidr),
        havip.ip.clone(),
        havip.vms.iter().map(|vm| format!("{} ({})", vm.name, vm.ip)).collect::<Vec<_>>().join(", "),
        havip.project.name.clone(),
    ]
}

/// Whether a spreadsheet could take the text for a formula.
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Writes the workbook from the rows as they come (on a blocking thread: rust_xlsxwriter is
/// synchronous) and zips it into `out`.
pub fn write_workbook(
    mut rows: mpsc::Receiver<Result<Vec<Havip>, AppError>>,
    out: impl Write + Send,
    lang: Lang,
) -> Result<usize, ExportError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    // The quote prefix makes a spreadsheet show the text as it is, never run it.
    let literal = Format::new().set_quote_prefix();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let sheet = workbook.add_worksheet_with_constant_memory().map_err(ExportError::Xlsx)?;
    sheet.set_name("HAVIP").map_err(ExportError::Xlsx)?;
    for (col, width) in WIDTHS.iter().enumerate() {
        sheet.set_column_width(col as u16, *width).map_err(ExportError::Xlsx)?;
    }
    for (col, header) in headers(lang).iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *header, &bold).map_err(ExportError::Xlsx)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(ExportError::Xlsx)?;
    let mut row: u32 = 0;
    while let Some(batch) = rows.blocking_recv() {
        for havip in batch.map_err(ExportError::Read)? {
            row += 1;
            for (col, text) in row_texts(&havip, lang).iter().enumerate() {
                if looks_like_formula(text) {
                    sheet.write_string_with_format(row, col as u16, text, &literal)
                } else {
                    sheet.write_string(row, col as u16, text)
                }
                .map_err(ExportError::Xlsx)?;
            }
            let created =
                ExcelDateTime::from_timestamp(havip.created_at.as_unix_seconds()).map_err(ExportError::Xlsx)?;
            sheet.write_datetime_with_format(row, 9, &created, &date).map_err(ExportError::Xlsx)?;
        }
    }
    sheet.autofilter(0, 0, row, 9).map_err(ExportError::Xlsx)?;
    workbook.save_to_writer(out).map_err(ExportError::Xlsx)?;
    Ok(row as usize)
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading rows: {0}")]
    Read(AppError),
    #[error("writing the workbook: {0}")]
    Xlsx(XlsxError),
}
