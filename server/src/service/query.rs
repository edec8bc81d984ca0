//! Reading HAVIPs: the list of the page and of `GET /havips`.

use super::Backend;
use super::list_cache::CachedPage;
use super::page_token::{PageTokens, SECRET_NAME};
use super::view_order::ViewOrders;
use crate::db::Dialect;
use crate::store::havips::{Position, Start};
use crate::store::{StoreError, ha, havips, jobs, revisions, secrets};
use app::domain::AppError;
use app::domain::caller::Caller;
use app::domain::ha::Health;
use app::domain::havip::{Havip, HavipPage};
use app::domain::ids::{IdKind, is_well_formed};
use app::domain::list_query::ListQuery;
use std::sync::Arc;

/// Rows between two kept positions of a view: a deep page skips fewer than this many (with a
/// filter, each skipped row is a table row read), and 100,000 rows keep 1,000 positions.
const POSITION_STRIDE: u64 = 100;

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
    /// computed and kept. The count of a search or filter is kept apart, so every page of it,
    /// in any order, counts its rows once per revision. On Postgres, a narrow view (a search or
    /// filter that few rows pass) is ranked in every order once per revision ([`ViewOrders`]):
    /// its pages are rows read by ID. A deep page of any other view starts from a kept position.
    pub async fn list_page(&self, caller: &Caller, query: ListQuery) -> Result<CachedPage, AppError> {
        let query = query.normalized()?;
        let tenant = caller.tenant_id.as_str();
        let revision = self.revision(caller).await?;
        let cached = self.list_cache.get(tenant, revision, &query);
        self.metrics.list_cache_answered(cached.is_some());
        if let Some(hit) = cached {
            return Ok(hit);
        }
        let after = match &query.page_token {
            Some(token) => Some(self.page_tokens().await?.read(tenant, &query, token)?),
            None => None,
        };
        let filters = query.filters();
        let known_total = self
            .list_cache
            .count(tenant, revision, &filters)
            .or_else(|| self.list_cache.earlier_count(tenant, &filters));
        let maybe_narrow = match known_total {
            Some(total) => total <= havips::SORT_MATCHES_UP_TO,
            None => true,
        };
        // Ranked on Postgres only: there each page found its matches again through the
        // trigram index and rechecked every one against its row (1.4 ms for 720 matches), and
        // ranking once made searches 1.6 times as fast. SQLite's full-text index finds them in
        // 0.1 ms, and its window sorts cost more than they saved (p95 80 ms to 124 ms).
        if self.db.dialect == Dialect::Postgres
            && after.is_none()
            && havips::narrows(&query)
            && maybe_narrow
            && let Some(orders) = self.view_orders(tenant, revision, &filters).await?
        {
            let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
            let ids = orders.ids(&query, offset..offset.saturating_add(query.page_size as usize));
            let items = havips::by_ids(&mut *self.db.reader().await?, tenant, &ids).await?;
            let more = offset + ids.len() < orders.len();
            return self.keep_page(tenant, revision, query, items, orders.len() as u64, more).await;
        }
        let mut conn = self.db.reader().await?;
        let total = match self.list_cache.count(tenant, revision, &filters) {
            Some(total) => total,
            None => {
                let total = havips::count(&mut conn, self.db.dialect, tenant, &query).await?;
                self.list_cache.put_count(tenant, revision, filters, total);
                total
            }
        };
        let positions;
        let start = match &after {
            Some(position) => Start::After(position),
            // A deep page of a view starts from the position before it: every view's
            // positions are one pass over its index per revision, where an offset costs a
            // step per row it skips on every ask.
            None if !havips::sorts_its_matches(&query, total)
                && query.offset() >= POSITION_STRIDE
                && query.offset() < total =>
            {
                positions = self.positions(&mut conn, tenant, revision, &query).await?;
                let block = query.offset() / POSITION_STRIDE;
                match positions.get(block as usize - 1) {
                    Some(position) => Start::PageAfter { position, skip: query.offset() - block * POSITION_STRIDE },
                    None => Start::Page,
                }
            }
            None => Start::Page,
        };
        let listed = havips::list(&mut conn, self.db.dialect, tenant, &query, start, total).await?;
        drop(conn);
        self.keep_page(tenant, revision, query, listed.items, total, listed.more).await
    }

    /// The page of `items` (of `total`, with `more` after them), with the token of the page
    /// after it, kept for `revision`.
    async fn keep_page(
        &self,
        tenant: &str,
        revision: i64,
        query: ListQuery,
        items: Vec<Havip>,
        total: u64,
        more: bool,
    ) -> Result<CachedPage, AppError> {
        let next_page_token = match items.last().filter(|_| more) {
            Some(last) => Some(self.page_tokens().await?.issue(tenant, &query, &Position::after(last, query.sort))),
            None => None,
        };
        let page =
            CachedPage::new(HavipPage { items, total, page: query.page, page_size: query.page_size, next_page_token });
        self.list_cache.put(tenant, revision, query, page.clone());
        Ok(page)
    }

    /// The orders of a narrow view's matches at `revision` (see [`ViewOrders`]), kept like the
    /// pages, with the view's count; `None` when more than [`havips::SORT_MATCHES_UP_TO`] rows
    /// match (then the count is kept).
    async fn view_orders(
        &self,
        tenant: &str,
        revision: i64,
        filters: &ListQuery,
    ) -> Result<Option<Arc<ViewOrders>>, AppError> {
        let kept = || match self.list_cache.orders(tenant, revision, filters) {
            Some(orders) => Some(Some(orders)),
            None => self
                .list_cache
                .count(tenant, revision, filters)
                .filter(|t| *t > havips::SORT_MATCHES_UP_TO)
                .map(|_| None),
        };
        if let Some(known) = kept() {
            return Ok(known);
        }
        // The connection is taken once the lock is held: requests that wait hold none.
        let _one_at_a_time = self.order_passes.lock(tenant, filters).await;
        if let Some(known) = kept() {
            return Ok(known);
        }
        let mut conn = self.db.reader().await?;
        let conn = &mut *conn;
        let limit = havips::SORT_MATCHES_UP_TO;
        let matches = havips::ranked_matches(conn, self.db.dialect, tenant, filters, limit).await?;
        if matches.is_empty() {
            // None match, or too many: counted here, so the requests that wait for this lock
            // learn which at once.
            let total = havips::count(conn, self.db.dialect, tenant, filters).await?;
            if total > 0 {
                self.list_cache.put_count(tenant, revision, filters.clone(), total);
                return Ok(None);
            }
        }
        let orders = Arc::new(ViewOrders::new(&matches));
        self.list_cache.put_count(tenant, revision, filters.clone(), orders.len() as u64);
        self.list_cache.put_orders(tenant, revision, filters.clone(), orders.clone());
        Ok(Some(orders))
    }

    /// Every [`POSITION_STRIDE`]-th position of the query's view at `revision`, kept like
    /// the pages. One view is worked out at a time: the first asks of a deep page under load
    /// would otherwise all make the same pass at once.
    async fn positions(
        &self,
        conn: &mut sqlx::AnyConnection,
        tenant: &str,
        revision: i64,
        query: &ListQuery,
    ) -> Result<Arc<Vec<Position>>, AppError> {
        let view = query.ordered_filters();
        if let Some(kept) = self.list_cache.positions(tenant, revision, &view) {
            return Ok(kept);
        }
        let _one_at_a_time = self.position_passes.lock().await;
        if let Some(kept) = self.list_cache.positions(tenant, revision, &view) {
            return Ok(kept);
        }
        let positions = havips::positions_every(conn, self.db.dialect, tenant, query, POSITION_STRIDE).await?;
        let positions = Arc::new(positions);
        self.list_cache.put_positions(tenant, revision, view, positions.clone());
        Ok(positions)
    }

    /// The deployment's page-token key: read (or made) once per process.
    async fn page_tokens(&self) -> Result<&PageTokens, AppError> {
        self.page_tokens
            .get_or_try_init(|| async {
                let mut tx = self.db.begin().await?;
                let secret = secrets::get_or_create(&mut tx, SECRET_NAME, &super::accounts::new_secret()).await?;
                tx.commit().await.map_err(StoreError::from)?;
                Ok::<_, AppError>(PageTokens::new(secret.as_bytes()))
            })
            .await
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

    /// How many of the caller's HAVIPs need attention: in a split brain, without a master, or
    /// with the fabric disagreeing.
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
