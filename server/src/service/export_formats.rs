//! The download's other formats, for scripts: CSV (the Excel file's columns and texts, in the
//! same language) and JSON lines (one object per HAVIP, with stable keys and IDs beside names).

use super::export::{ExportError, Names, Rows, headers, looks_like_formula};
use app::domain::time::UtcOffset;
use app::i18n::Lang;
use serde::Serialize;
use std::io::Write;

/// The byte-order mark that makes spreadsheet programs read the CSV as UTF-8 (Chinese text
/// otherwise comes out garbled in Excel).
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes the rows as CSV with the Excel file's header row and texts; times as
/// `2026-12-05 08:15:00` in the zone `zone`. A text a spreadsheet would take for a formula gets
/// a leading apostrophe, as the workbook's quote prefix does. Answers the number of rows.
pub fn write_csv(
    names: &Names,
    mut rows: Rows,
    mut out: impl Write,
    lang: Lang,
    zone: UtcOffset,
) -> Result<usize, ExportError> {
    out.write_all(UTF8_BOM).map_err(ExportError::Write)?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(headers(lang)).map_err(ExportError::Csv)?;
    let mut count = 0;
    while let Some(batch) = rows.blocking_recv() {
        for row in batch.map_err(ExportError::Read)? {
            let created = row.created_at.display_in(zone);
            let mut record: Vec<String> = names.texts(row, lang).into_iter().map(formula_safe).collect();
            record.push(created);
            writer.write_record(&record).map_err(ExportError::Csv)?;
            count += 1;
        }
    }
    writer.flush().map_err(ExportError::Write)?;
    Ok(count)
}

fn formula_safe(text: String) -> String {
    if looks_like_formula(&text) { format!("'{text}") } else { text }
}

/// One HAVIP as a line of the JSON lines download.
#[derive(Serialize)]
struct Line<'a> {
    id: String,
    name: String,
    remark: String,
    status: &'static str,
    status_reason: Option<String>,
    ip: String,
    vpc: Named<'a>,
    subnet: Named<'a>,
    project: Named<'a>,
    vms: Vec<LineVm<'a>>,
    health: &'static str,
    master_vm_id: Option<String>,
    /// RFC 3339 in UTC, as the API answers.
    created_at: String,
}

#[derive(Serialize)]
struct Named<'a> {
    id: String,
    name: Option<&'a str>,
}

#[derive(Serialize)]
struct LineVm<'a> {
    id: String,
    name: Option<&'a str>,
    ip: Option<&'a str>,
}

/// Writes one JSON object per line per HAVIP. Answers the number of rows.
pub fn write_json_lines(names: &Names, mut rows: Rows, mut out: impl Write) -> Result<usize, ExportError> {
    let mut count = 0;
    while let Some(batch) = rows.blocking_recv() {
        for row in batch.map_err(ExportError::Read)? {
            let vm = |id: String| {
                let known = names.vm(&id);
                LineVm { name: known.map(|(name, _)| name), ip: known.map(|(_, ip)| ip), id }
            };
            let line = Line {
                vpc: Named { name: names.vpc(&row.vpc_id), id: row.vpc_id },
                subnet: Named { name: names.subnet(&row.subnet_id), id: row.subnet_id },
                project: Named { name: names.project(&row.project_id), id: row.project_id },
                vms: row.vm_ids.into_iter().map(vm).collect(),
                id: row.id,
                name: row.name,
                remark: row.remark,
                status: row.status.as_str(),
                status_reason: row.status_reason,
                ip: row.ip,
                health: row.health.as_str(),
                master_vm_id: row.master_vm_id,
                created_at: row.created_at.rfc3339(),
            };
            serde_json::to_writer(&mut out, &line).map_err(|e| ExportError::Write(e.into()))?;
            out.write_all(b"\n").map_err(ExportError::Write)?;
            count += 1;
        }
    }
    Ok(count)
}
