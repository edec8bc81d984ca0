//! Reading HAVIPs: the list of the page and of `GET /havips`.

use super::Backend;
use super::list_cache::CachedPage;
use crate::store::{ha, havips, jobs, revisions};
use app::domain::AppError;
use app::domain::caller::Caller;
use app::domain::ha::Health;
use app::domain::havip::{Havip, HavipPage};
use app::domain::ids::{IdKind, is_well_formed};
use app::domain::list_query::ListQuery;

impl Backend {
    /// One HAVIP of the caller's tenant; another tenant's ID is as unknown as a made-up one.
    pub async fn havip(&self, caller: &Caller, id: &str) -> Result<Havip, AppError> {
        if !is_well_formed(IdKind::Havip, id) {
            return Err(AppError::not_found());
        }
        let mut conn = self.db.reader().await?;
        havips::get(&mut conn, &caller.tenant_id, id).await?.ok_or_else(AppError::not_found)
    }

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
        let mut conn = self.db.reader().await?;
        let (items, total) = havips::list(&mut conn, self.db.dialect, tenant, &query).await?;
        let page = CachedPage::new(HavipPage { items, total, page: query.page, page_size: query.page_size });
        self.list_cache.put(tenant, revision, query, page.clone());
        Ok(page)
    }

    /// The revision of the caller's tenant: as authentication saw it, or looked up.
    pub async fn revision(&self, caller: &Caller) -> Result<i64, AppError> {
        match caller.tenant_revision {
            Some(revision) => Ok(revision),
            None => {
                let mut conn = self.db.reader().await?;
                Ok(revisions::current(&mut conn, &caller.tenant_id).await?)
            }
        }
    }

    /// The revision of the caller's tenant as authentication read it, with the user: the console
    /// polls it to learn that something changed, so it costs no database round trip.
    pub async fn tenant_revision(&self, caller: &Caller) -> Result<i64, AppError> {
        self.revision(caller).await
    }

    /// How many of the caller's HAVIPs need attention: in a split brain or without a master.
    pub async fn ha_alarms(&self, caller: &Caller) -> Result<u64, AppError> {
        let mut conn = self.db.reader().await?;
        let count = havips::alarm_count(&mut conn, &caller.tenant_id).await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// How many jobs wait for a worker, in every tenant (for `/metrics`).
    pub async fn pending_jobs(&self) -> Result<i64, AppError> {
        let mut conn = self.db.reader().await?;
        Ok(jobs::pending_count(&mut conn).await?)
    }

    /// HAVIPs by health and silent agents, in every tenant (for `/metrics`).
    pub async fn ha_figures(&self) -> Result<(Vec<(Health, i64)>, i64), AppError> {
        let mut conn = self.db.reader().await?;
        Ok((ha::health_counts(&mut conn).await?, ha::silent_agents(&mut conn).await?))
    }
}
