//! The rows of a download of the list's current view (its search, filters and sort): the
//! list's own pages, walked by cursor, so the file holds exactly what the list shows over all
//! its pages, in its order. The whole tenant's download reads the table directly instead
//! (`store::export`), which is faster for every HAVIP at once.

use super::Backend;
use super::export::Rows;
use crate::store::export::ExportRow;
use app::domain::caller::Caller;
use app::domain::havip::Havip;
use app::domain::list_query::{ListQuery, MAX_PAGE_SIZE};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Streams every HAVIP of the view into a channel, a page at a time; the bounded channel
/// makes the walk wait for the writer.
pub fn view_rows(backend: Arc<Backend>, caller: Caller, query: ListQuery) -> Rows {
    let (sender, receiver) = mpsc::channel(2);
    tokio::spawn(async move {
        let mut query = ListQuery { page: 1, page_size: MAX_PAGE_SIZE, page_token: None, ..query };
        loop {
            let page = match backend.list_havips(&caller, query.clone()).await {
                Ok(page) => page,
                Err(error) => {
                    let _ = sender.send(Err(error)).await;
                    return;
                }
            };
            let rows = page.items.into_iter().map(row_of).collect();
            if sender.send(Ok(rows)).await.is_err() {
                return;
            }
            match page.next_page_token {
                Some(token) => query.page_token = Some(token),
                None => return,
            }
        }
    });
    receiver
}

/// A HAVIP of the list as a row of the file.
fn row_of(havip: Havip) -> ExportRow {
    ExportRow {
        id: havip.id,
        name: havip.name,
        remark: havip.remark,
        status: havip.status,
        status_reason: havip.status_reason,
        ip: havip.ip,
        vpc_id: havip.vpc.id,
        subnet_id: havip.subnet.id,
        project_id: havip.project.id,
        vm_ids: havip.vms.into_iter().map(|vm| vm.id).collect(),
        health: havip.ha.health,
        master_vm_id: havip.master_vm_id,
        holders: havip.ha.holders,
        created_at: havip.created_at,
    }
}
