//! Reading HAVIPs: the list of the page and of `GET /havips`.

use super::list_cache::CachedPage;
use super::{Backend, public_error};
use crate::store::{havips, revisions};
use app::domain::AppError;
use app::domain::caller::Caller;
use app::domain::havip::HavipPage;
use app::domain::list_query::ListQuery;

impl Backend {
    pub async fn list_havips(&self, caller: &Caller, query: ListQuery) -> Result<HavipPage, AppError> {
        Ok(self.list_page(caller, query).await?.page.as_ref().clone())
    }

    /// A page of the list: from the cache while the tenant's revision has not moved, else
    /// computed and kept.
    pub async fn list_page(&self, caller: &Caller, query: ListQuery) -> Result<CachedPage, AppError> {
        let query = query.normalized()?;
        let tenant = caller.tenant_id.as_str();
        let revision = self.revision(caller).await?;
        if let Some(hit) = self.list_cache.get(tenant, revision, &query) {
            return Ok(hit);
        }
        let mut conn = self.db.read.acquire().await.map_err(|e| public_error(e.into()))?;
        let (items, total) = havips::list(&mut conn, self.db.dialect, tenant, &query).await.map_err(public_error)?;
        let page = CachedPage::new(HavipPage { items, total, page: query.page, page_size: query.page_size });
        self.list_cache.put(tenant, revision, query, page.clone());
        Ok(page)
    }

    /// The revision of the caller's tenant: as authentication saw it, or looked up.
    pub async fn revision(&self, caller: &Caller) -> Result<i64, AppError> {
        match caller.tenant_revision {
            Some(revision) => Ok(revision),
            None => {
                let mut conn = self.db.read.acquire().await.map_err(|e| public_error(e.into()))?;
                revisions::current(&mut conn, &caller.tenant_id).await.map_err(public_error)
            }
        }
    }
}
