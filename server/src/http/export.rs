//! The downloads: `GET /api/v1/havips/export.xlsx` and `GET /api/v1/operations/export.xlsx`.
//! Each file streams out while it is being written.

use super::AppState;
use super::error::ApiResult;
use super::identity::AuthenticatedCaller;
use crate::service::export::{ExportError, write_workbook};
use crate::service::export_formats::{write_csv, write_json_lines};
use crate::service::export_view::view_rows;
use crate::service::operations::write_operations_workbook;
use app::domain::list_query::{ListQuery, VIEW_KEYS};
use app::domain::time::{Timestamp, UtcOffset};
use app::domain::{AppError, Field};
use app::i18n::Lang;
use axum::body::{Body, Bytes};
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::io::Write;
use tokio::sync::mpsc;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportParams {
    /// `zh` (default) or `en`: the language of the headers and statuses.
    pub lang: Option<String>,
    /// The zone of the times, in minutes east of UTC (China: 480). The console's own zone
    /// cookie by default, else UTC.
    #[param(minimum = -840, maximum = 840)]
    pub utc_offset: Option<i32>,
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV: &str = "text/csv; charset=utf-8";
const JSON_LINES: &str = "application/x-ndjson";

/// The file's format: an Excel workbook for people, CSV or JSON lines for scripts.
#[derive(Clone, Copy, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Xlsx,
    Csv,
    Json,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FormatParam {
    /// xlsx (the default), csv (the workbook's columns, UTF-8 with a byte-order mark) or json
    /// (JSON lines: one object per HAVIP, with IDs and names)
    pub format: Option<ExportFormat>,
}

/// The tenant's HAVIPs as a file: every HAVIP, newest first (the list's default order); or, when the request names
/// any of the list's search, filters, sort or order, every HAVIP of that view in its order
/// (all its pages).
#[utoipa::path(get, path = "/api/v1/havips/export", tag = "havips",
    params(ExportParams, FormatParam, super::rest::havips::ViewParams),
    responses((status = 200, description = "The file, in the asked format", content(
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "text/csv; charset=utf-8"),
        (String = "application/x-ndjson"),
    ))))]
pub async fn download(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Query(params): Query<ExportParams>,
    Query(format): Query<FormatParam>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (lang, zone) = language_and_zone(&params, &headers)?;
    let pairs = super::rest::query_pairs(raw.as_deref());
    let names_a_view = pairs.iter().any(|(key, _)| VIEW_KEYS.contains(&key.as_str()));
    // The file holds every page: the list's paging parameters are not read at all.
    let view = ListQuery::from_pairs(
        pairs.iter().filter(|(key, _)| VIEW_KEYS.contains(&key.as_str())).map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    let names = state.backend.export_names(&caller).await?;
    let rows = match names_a_view {
        true => view_rows(state.backend.clone(), caller.clone(), view),
        false => state.backend.tenant_rows(&caller),
    };
    let tenant = &caller.tenant_id;
    Ok(match format.format.unwrap_or_default() {
        ExportFormat::Xlsx => stream_file(tenant, &file_name("havips", zone, "xlsx"), XLSX, move |out| {
            write_workbook(&names, rows, out, lang, zone)
        }),
        ExportFormat::Csv => stream_file(tenant, &file_name("havips", zone, "csv"), CSV, move |out| {
            write_csv(&names, rows, out, lang, zone)
        }),
        ExportFormat::Json => stream_file(tenant, &file_name("havips", zone, "jsonl"), JSON_LINES, move |out| {
            write_json_lines(&names, rows, out)
        }),
    })
}

/// The same as `GET /api/v1/havips/export`, by its first name: an Excel file unless `format`
/// says otherwise.
#[utoipa::path(get, path = "/api/v1/havips/export.xlsx", tag = "havips",
    params(ExportParams, FormatParam, super::rest::havips::ViewParams),
responses((status = 200, description = "The file, in the asked format", content(
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "text/csv; charset=utf-8"),
        (String = "application/x-ndjson"),
    ))))]
pub async fn download_xlsx(
    state: State<AppState>,
    caller: AuthenticatedCaller,
    params: Query<ExportParams>,
    format: Query<FormatParam>,
    raw: RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    download(state, caller, params, format, raw, headers).await
}

/// The operation log as an Excel file: every entry the filters select, newest first (all
/// pages, whatever the page shows). Admins get the tenant's log, members their own entries.
#[utoipa::path(get, path = "/api/v1/operations/export.xlsx", tag = "operations",
    params(ExportParams, super::rest::operations::OperationParams),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The workbook"),
))]
pub async fn operations(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Query(params): Query<ExportParams>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (lang, zone) = language_and_zone(&params, &headers)?;
    let query = super::rest::operations::parse_operation_query(raw.as_deref())?;
    let batches = state.backend.operation_batches(&caller, query).await?;
    let file_name = file_name("operations", zone, "xlsx");
    Ok(stream_file(&caller.tenant_id, &file_name, XLSX, move |out| write_operations_workbook(batches, out, lang, zone)))
}

/// The language of the headers (the parameter, else the console's cookie) and the zone of the
/// times (the parameter, else the console's zone cookie, else UTC).
fn language_and_zone(params: &ExportParams, headers: &HeaderMap) -> Result<(Lang, UtcOffset), AppError> {
    let cookies = headers.get(COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let lang = params.lang.as_deref().map_or_else(|| Lang::from_cookie_header(cookies), Lang::from_code);
    let zone = match params.utc_offset {
        Some(minutes) => UtcOffset::from_minutes(minutes).ok_or_else(|| {
            AppError::invalid_parameter(Field::UtcOffset, "utc_offset is minutes east of UTC, from -840 to 840")
        })?,
        None => UtcOffset::from_cookie_header(cookies).unwrap_or_default(),
    };
    Ok((lang, zone))
}

/// `havips-20261205-081500.xlsx`: what and when, in the zone of the times inside.
fn file_name(what: &str, zone: UtcOffset, extension: &str) -> String {
    let now_there = crate::db::now_micros() + i64::from(zone.minutes()) * 60_000_000;
    format!("{what}-{}.{extension}", Timestamp::from_micros(now_there).compact_utc())
}

/// Answers a download whose bytes `write` produces on a blocking thread while they stream out.
/// A failure midway cuts the download short rather than hand out a file that looks complete.
fn stream_file(
    tenant: &str,
    file_name: &str,
    content_type: &'static str,
    write: impl FnOnce(&mut ChunkWriter) -> Result<usize, ExportError> + Send + 'static,
) -> Response {
    let (chunks, body) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let tenant = tenant.to_owned();
    let what = file_name.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut out = ChunkWriter { chunks: chunks.clone(), buffer: Vec::with_capacity(CHUNK) };
        match write(&mut out).and_then(|n| out.flush().map(|_| n).map_err(|e| ExportError::Xlsx(e.into()))) {
            Ok(rows) => tracing::info!(%tenant, rows, file = %what, "export written"),
            Err(error) => {
                tracing::error!(%tenant, %error, file = %what, "export failed");
                let _ = chunks.blocking_send(Err(std::io::Error::other("export failed")));
            }
        }
    });
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        Body::from_stream(tokio_stream_from(body)),
    )
        .into_response()
}

fn tokio_stream_from(
    mut receiver: mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}

const CHUNK: usize = 64 * 1024;

/// A `Write` that hands the bytes to the response body in chunks.
struct ChunkWriter {
    chunks: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        // The client went away: stop writing.
        self.chunks
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "download cancelled"))
    }
}
