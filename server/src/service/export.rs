//! The Excel download: every HAVIP of the tenant, one row each, written with rust_xlsxwriter
//! in constant-memory mode while the rows arrive, and streamed out as the file is zipped.
//! Memory stays flat however many rows there are: the database streams, a bounded channel
//! holds two batches, and the worksheet spills to a temporary file.

use super::Backend;
use crate::store::export::{self, ExportRow};
use crate::store::{StoreError, inventory};
use app::domain::AppError;
use app::domain::caller::Caller;
use app::domain::ha::Health;
use app::domain::time::{Timestamp, UtcOffset};
use app::i18n::{Lang, fill};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use std::collections::HashMap;
use std::io::Write;
use tokio::sync::mpsc;

/// HAVIPs read from the database, and handed to the writer, at a time.
const CHUNK_ROWS: i64 = 2000;

pub type Rows = mpsc::Receiver<Result<Vec<ExportRow>, AppError>>;

impl Backend {
    /// The tenant's VPC, subnet, project and VM names, which the rows refer to.
    pub async fn export_names(&self, caller: &Caller) -> Result<Names, AppError> {
        let mut conn = self.db.reader().await?;
        Ok(Names::of_tenant(&mut conn, &caller.tenant_id).await?)
    }

    /// Streams the tenant's HAVIPs newest first (the list's default order) into a channel. The bounded channel makes
    /// the reader wait for the writer.
    pub fn tenant_rows(&self, caller: &Caller) -> Rows {
        let (sender, receiver) = mpsc::channel(2);
        let db = self.db.clone();
        let tenant = caller.tenant_id.clone();
        tokio::spawn(async move {
            let streamed: Result<(), StoreError> = async {
                let mut conn = db.reader().await?;
                export::stream(&mut conn, db.dialect, &tenant, CHUNK_ROWS, &sender).await
            }
            .await;
            if let Err(error) = streamed {
                let _ = sender.send(Err(error.into())).await;
            }
        });
        receiver
    }
}

/// The tenant's VPC, subnet and project names, read once for the whole export.
pub struct Names {
    vpcs: HashMap<String, String>,
    /// The name and CIDR of each subnet.
    subnets: HashMap<String, (String, String)>,
    projects: HashMap<String, String>,
    /// The name and address of each VM.
    vms: HashMap<String, (String, String)>,
}

impl Names {
    async fn of_tenant(conn: &mut sqlx::AnyConnection, tenant: &str) -> Result<Names, StoreError> {
        Ok(Names {
            vpcs: inventory::vpcs(conn, tenant).await?.into_iter().map(|v| (v.id, v.name)).collect(),
            subnets: inventory::subnets(conn, tenant, None)
                .await?
                .into_iter()
                .map(|s| (s.id, (s.name, s.cidr)))
                .collect(),
            projects: inventory::projects(conn, tenant).await?.into_iter().map(|p| (p.id, p.name)).collect(),
            vms: inventory::vm_labels(conn, tenant).await?.into_iter().map(|(id, name, ip)| (id, (name, ip))).collect(),
        })
    }

    pub fn vpc(&self, id: &str) -> Option<&str> {
        self.vpcs.get(id).map(String::as_str)
    }

    pub fn subnet(&self, id: &str) -> Option<&str> {
        self.subnets.get(id).map(|(name, _)| name.as_str())
    }

    pub fn project(&self, id: &str) -> Option<&str> {
        self.projects.get(id).map(String::as_str)
    }

    /// A VM's name and address.
    pub fn vm(&self, id: &str) -> Option<(&str, &str)> {
        self.vms.get(id).map(|(name, ip)| (name.as_str(), ip.as_str()))
    }

    /// The row's texts, in the order of the list's columns (the creation time apart).
    pub fn texts(&self, row: ExportRow, lang: Lang) -> [String; 10] {
        let name_of = |map: &HashMap<String, String>, id: String| map.get(&id).cloned().unwrap_or(id);
        let master = self.master(&row, lang);
        [
            row.name,
            row.remark,
            row.id,
            // As in the list: a failed HAVIP says why.
            match row.status_reason.filter(|reason| !reason.is_empty()) {
                Some(reason) => {
                    fill(lang.texts().status_with_reason, &[("status", lang.status(row.status)), ("reason", &reason)])
                }
                None => lang.status(row.status).to_owned(),
            },
            name_of(&self.vpcs, row.vpc_id),
            self.subnets.get(&row.subnet_id).map_or(row.subnet_id, |(name, cidr)| format!("{name} ({cidr})")),
            row.ip,
            row.vm_ids
                .iter()
                .map(|id| self.vms.get(id).map_or_else(|| id.clone(), |(name, ip)| format!("{name} ({ip})")))
                .collect::<Vec<_>>()
                .join(", "),
            master,
            name_of(&self.projects, row.project_id),
        ]
    }

    /// The 主节点 column, as in the list: the master's name, or, without a single master, the
    /// health (a split brain with the VMs that hold the address; a dash when nothing is known).
    fn master(&self, row: &ExportRow, lang: Lang) -> String {
        let vm_name = |id: &String| self.vms.get(id).map_or_else(|| id.clone(), |(name, _)| name.clone());
        match (&row.master_vm_id, row.health) {
            (Some(master), _) => vm_name(master),
            (None, Health::SplitBrain) => {
                let holders = row.holders.iter().map(vm_name).collect::<Vec<_>>();
                let vms = holders.join(lang.texts().list_separator);
                fill(lang.texts().health_with_vms, &[("health", lang.health(row.health)), ("vms", &vms)])
            }
            (None, Health::NoMaster) => lang.health(row.health).to_owned(),
            (None, _) => "—".to_owned(),
        }
    }
}

/// The list's columns, in the order of the page.
pub fn headers(lang: Lang) -> [&'static str; 11] {
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
        t.col_master,
        t.col_project,
        t.col_created,
    ]
}

const WIDTHS: [f64; 11] = [24.0, 30.0, 20.0, 10.0, 18.0, 26.0, 15.0, 40.0, 24.0, 14.0, 20.0];
/// The column of the creation time, the last.
const CREATED_COLUMN: u16 = 10;

/// Whether a spreadsheet could take the text for a formula.
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Writes the workbook from the lines as they come (on a blocking thread: rust_xlsxwriter is
/// synchronous) and zips it into `out`, its times in the zone `zone` (a spreadsheet's dates have
/// none). Answers the number of rows.
pub fn write_workbook(
    names: &Names,
    mut rows: Rows,
    out: impl Write + Send,
    lang: Lang,
    zone: UtcOffset,
) -> Result<usize, ExportError> {
    let mut workbook = Workbook::new();
    let mut sheet = Sheet::new(&mut workbook, "HAVIP", &headers(lang), &WIDTHS, zone)?;
    let mut row: u32 = 0;
    while let Some(batch) = rows.blocking_recv() {
        for export_row in batch.map_err(ExportError::Read)? {
            row += 1;
            let created_at = export_row.created_at;
            for (col, text) in names.texts(export_row, lang).iter().enumerate() {
                sheet.text(row, col as u16, text)?;
            }
            sheet.time(row, CREATED_COLUMN, created_at)?;
        }
    }
    sheet.finish(row, CREATED_COLUMN)?;
    workbook.save_to_writer(out).map_err(ExportError::Xlsx)?;
    Ok(row as usize)
}

/// A download's worksheet, written row by row in constant memory: a bold header row that stays
/// in sight, the columns' widths, times as date cells in the download's zone (a spreadsheet's
/// dates have none), and text written as text even where a spreadsheet would run it.
pub struct Sheet<'a> {
    sheet: &'a mut Worksheet,
    /// The quote prefix makes a spreadsheet show the text as it is, never run it.
    literal: Format,
    date: Format,
    zone_seconds: i64,
}

impl<'a> Sheet<'a> {
    pub fn new(
        workbook: &'a mut Workbook,
        name: &str,
        headers: &[&str],
        widths: &[f64],
        zone: UtcOffset,
    ) -> Result<Sheet<'a>, ExportError> {
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(ExportError::Xlsx)?;
        sheet.set_name(name).map_err(ExportError::Xlsx)?;
        for (col, (header, width)) in headers.iter().zip(widths).enumerate() {
            sheet.set_column_width(col as u16, *width).map_err(ExportError::Xlsx)?;
            sheet.write_string_with_format(0, col as u16, *header, &bold).map_err(ExportError::Xlsx)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(ExportError::Xlsx)?;
        Ok(Sheet {
            sheet,
            literal: Format::new().set_quote_prefix(),
            date: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            zone_seconds: i64::from(zone.minutes()) * 60,
        })
    }

    pub fn text(&mut self, row: u32, col: u16, text: &str) -> Result<(), ExportError> {
        if looks_like_formula(text) {
            self.sheet.write_string_with_format(row, col, text, &self.literal)
        } else {
            self.sheet.write_string(row, col, text)
        }
        .map_err(ExportError::Xlsx)?;
        Ok(())
    }

    pub fn time(&mut self, row: u32, col: u16, at: Timestamp) -> Result<(), ExportError> {
        let local =
            ExcelDateTime::from_timestamp(at.as_unix_seconds() + self.zone_seconds).map_err(ExportError::Xlsx)?;
        self.sheet.write_datetime_with_format(row, col, &local, &self.date).map_err(ExportError::Xlsx)?;
        Ok(())
    }

    /// Puts the filter buttons on the header row, over `rows` rows up to column `last_col`.
    pub fn finish(self, rows: u32, last_col: u16) -> Result<(), ExportError> {
        self.sheet.autofilter(0, 0, rows, last_col).map_err(ExportError::Xlsx)?;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading rows: {0}")]
    Read(AppError),
    #[error("writing the workbook: {0}")]
    Xlsx(XlsxError),
    #[error("writing the CSV: {0}")]
    Csv(csv::Error),
    #[error("writing the file: {0}")]
    Write(std::io::Error),
}
