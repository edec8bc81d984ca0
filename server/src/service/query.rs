//! Reading HAVIPs: the list of the page and of `GET /havips`.

use super::{Backend, public_error};
use crate::store::havips;
use app::domain::AppError;
use app::domain::caller::Caller;
use app::domain::havip::HavipPage;
use app::domain::list_query::ListQuery;

impl Backend {
    pub async fn list_havips(&self, caller: &Caller, query: ListQuery) -> Result<HavipPage, AppError> {
        let query = query.normalized()?;
        let mut conn = self.db.read.acquire().await.map_err(|e| public_error(e.into()))?;
        let (items, total) =
            havips::list(&mut conn, self.db.dialect, &caller.tenant_id, &query).await.map_err(public_error)?;
        Ok(HavipPage { items, total, page: query.page, page_size: query.page_size })
    }
}
