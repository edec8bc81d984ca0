//! List pages cached per tenant and revision. Every write moves the tenant's revision forward
//! in its own transaction (`store::revisions`), so a cached page is served only while no write
//! has happened since, in this process or any other: reading the revision is one indexed
//! lookup, where computing a page of a large tenant counts its rows.

use crate::store::havips::Position;
use app::domain::havip::HavipPage;
use app::domain::inventory::Inventory;
use app::domain::list_query::ListQuery;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A page and its JSON, made once and shared by every request that wants it.
#[derive(Clone)]
pub struct CachedPage {
    pub page: Arc<HavipPage>,
    pub json: Bytes,
}

impl CachedPage {
    pub fn new(page: HavipPage) -> CachedPage {
        let json = Bytes::from(serde_json::to_vec(&page).unwrap_or_default());
        CachedPage { page: Arc::new(page), json }
    }
}

/// Pages kept per tenant; beyond this the tenant's pages are dropped and made again.
const PAGES_PER_TENANT: usize = 256;
/// Counts kept per tenant (a count is a few bytes; a search's is worth keeping for its pages).
const COUNTS_PER_TENANT: usize = 4096;
/// Views whose positions are kept per tenant (up to 40 KB each for 100,000 rows).
const VIEWS_WITH_POSITIONS_PER_TENANT: usize = 256;
/// Tenants kept; beyond this the cache starts over.
const TENANTS: usize = 4096;

#[derive(Default)]
pub struct ListCache {
    tenants: Mutex<HashMap<String, TenantPages>>,
}

struct TenantPages {
    revision: i64,
    pages: HashMap<ListQuery, CachedPage>,
    /// How many rows match, by the filters and search alone (`ListQuery::filters`).
    counts: HashMap<ListQuery, u64>,
    /// Every hundredth position of a view, by its [`ListQuery::ordered_filters`].
    positions: HashMap<ListQuery, Arc<Vec<Position>>>,
    inventory: Option<Arc<Inventory>>,
}

impl TenantPages {
    fn at(revision: i64) -> TenantPages {
        TenantPages {
            revision,
            pages: HashMap::new(),
            counts: HashMap::new(),
            positions: HashMap::new(),
            inventory: None,
        }
    }
}

impl ListCache {
    pub fn get(&self, tenant: &str, revision: i64, query: &ListQuery) -> Option<CachedPage> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.get(tenant).filter(|t| t.revision == revision).and_then(|t| t.pages.get(query).cloned())
    }

    /// Keeps a page computed at `revision` (a newer revision replaces all older pages).
    pub fn put(&self, tenant: &str, revision: i64, query: ListQuery, page: CachedPage) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = Self::at_revision(&mut tenants, tenant, revision) {
            if entry.pages.len() >= PAGES_PER_TENANT {
                entry.pages.clear();
            }
            entry.pages.insert(query, page);
        }
    }

    /// The count of `filters` (a query's [`ListQuery::filters`]) at `revision`, if kept.
    pub fn count(&self, tenant: &str, revision: i64, filters: &ListQuery) -> Option<u64> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.get(tenant).filter(|t| t.revision == revision).and_then(|t| t.counts.get(filters).copied())
    }

    pub fn put_count(&self, tenant: &str, revision: i64, filters: ListQuery, total: u64) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = Self::at_revision(&mut tenants, tenant, revision) {
            if entry.counts.len() >= COUNTS_PER_TENANT {
                entry.counts.clear();
            }
            entry.counts.insert(filters, total);
        }
    }

    pub fn positions(&self, tenant: &str, revision: i64, view: &ListQuery) -> Option<Arc<Vec<Position>>> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.get(tenant).filter(|t| t.revision == revision).and_then(|t| t.positions.get(view).cloned())
    }

    pub fn put_positions(&self, tenant: &str, revision: i64, view: ListQuery, positions: Arc<Vec<Position>>) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = Self::at_revision(&mut tenants, tenant, revision) {
            if entry.positions.len() >= VIEWS_WITH_POSITIONS_PER_TENANT {
                entry.positions.clear();
            }
            entry.positions.insert(view, positions);
        }
    }

    pub fn inventory(&self, tenant: &str, revision: i64) -> Option<Arc<Inventory>> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.get(tenant).filter(|t| t.revision == revision).and_then(|t| t.inventory.clone())
    }

    pub fn put_inventory(&self, tenant: &str, revision: i64, inventory: Inventory) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = Self::at_revision(&mut tenants, tenant, revision) {
            entry.inventory = Some(Arc::new(inventory));
        }
    }

    /// The tenant's entry for `revision`: a newer revision starts it afresh; an older one
    /// (a slow request that read before a write) gets none.
    fn at_revision<'a>(
        tenants: &'a mut HashMap<String, TenantPages>,
        tenant: &str,
        revision: i64,
    ) -> Option<&'a mut TenantPages> {
        if tenants.len() >= TENANTS && !tenants.contains_key(tenant) {
            tenants.clear();
        }
        let entry = tenants.entry(tenant.to_owned()).or_insert_with(|| TenantPages::at(revision));
        if entry.revision < revision {
            *entry = TenantPages::at(revision);
        }
        (entry.revision == revision).then_some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: u64) -> CachedPage {
        CachedPage::new(HavipPage { items: Vec::new(), total, page: 1, page_size: 20, next_page_token: None })
    }

    #[test]
    fn pages_live_until_the_revision_moves() {
        let cache = ListCache::default();
        let query = ListQuery::default();
        cache.put("t", 3, query.clone(), page(7));
        assert_eq!(cache.get("t", 3, &query).map(|p| p.page.total), Some(7));
        assert!(cache.get("t", 4, &query).is_none(), "a newer revision misses");
        cache.put("t", 2, query.clone(), page(1));
        assert_eq!(
            cache.get("t", 3, &query).map(|p| p.page.total),
            Some(7),
            "an older page does not replace a newer one"
        );
        assert!(cache.get("other", 3, &query).is_none());
    }

    #[test]
    fn counts_are_kept_by_filters_until_the_revision_moves() {
        let cache = ListCache::default();
        let filters = ListQuery { q: Some("web".into()), ..ListQuery::default() }.filters();
        cache.put_count("t", 3, filters.clone(), 42);
        assert_eq!(cache.count("t", 3, &filters), Some(42));
        assert_eq!(cache.count("t", 4, &filters), None);
        cache.put("t", 4, ListQuery::default(), page(1));
        assert_eq!(cache.count("t", 4, &filters), None, "a write forgets the counts");
    }
}
