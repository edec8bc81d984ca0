//! List pages cached per tenant and revision. Every write moves the tenant's revision forward
//! in its own transaction (`store::revisions`), so a cached page is served only while no write
//! has happened since, in this process or any other: reading the revision is one indexed
//! lookup, where computing a page of a large tenant counts its rows.

use super::view_order::ViewOrders;
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
/// Memory the narrow views' orders may keep in all tenants together (about 1 million matches);
/// beyond this, the tenant that asks drops orders of its own to make room, and orders that
/// alone exceed it are not kept.
const ORDER_BYTES: usize = 64 << 20;

#[derive(Default)]
pub struct ListCache {
    tenants: Mutex<Tenants>,
}

#[derive(Default)]
struct Tenants {
    by_id: HashMap<String, TenantPages>,
    /// What the orders of all tenants keep ([`ViewOrders::bytes`]).
    order_bytes: usize,
}

struct TenantPages {
    revision: i64,
    pages: HashMap<ListQuery, CachedPage>,
    /// How many rows match, by the filters and search alone (`ListQuery::filters`).
    counts: HashMap<ListQuery, u64>,
    /// The counts of the revision before, as hints: a filter that most rows passed then is
    /// not ranked as a narrow view now only to learn that it still is not one.
    earlier_counts: HashMap<ListQuery, u64>,
    /// Every hundredth position of a view, by its [`ListQuery::ordered_filters`].
    positions: HashMap<ListQuery, Arc<Vec<Position>>>,
    /// The orders of narrow views, by their filters and search (`ListQuery::filters`).
    orders: HashMap<ListQuery, Arc<ViewOrders>>,
    inventory: Option<Arc<Inventory>>,
}

impl TenantPages {
    fn at(revision: i64) -> TenantPages {
        TenantPages {
            revision,
            pages: HashMap::new(),
            counts: HashMap::new(),
            earlier_counts: HashMap::new(),
            positions: HashMap::new(),
            orders: HashMap::new(),
            inventory: None,
        }
    }

    fn order_bytes(&self) -> usize {
        self.orders.values().map(|order| order.bytes()).sum()
    }
}

impl ListCache {
    pub fn get(&self, tenant: &str, revision: i64, query: &ListQuery) -> Option<CachedPage> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.by_id.get(tenant).filter(|t| t.revision == revision).and_then(|t| t.pages.get(query).cloned())
    }

    /// Keeps a page computed at `revision` (a newer revision replaces all older pages).
    pub fn put(&self, tenant: &str, revision: i64, query: ListQuery, page: CachedPage) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let Tenants { by_id, order_bytes } = &mut *tenants;
        if let Some(entry) = Self::at_revision(by_id, order_bytes, tenant, revision) {
            if entry.pages.len() >= PAGES_PER_TENANT {
                entry.pages.clear();
            }
            entry.pages.insert(query, page);
        }
    }

    /// The count of `filters` (a query's [`ListQuery::filters`]) at `revision`, if kept.
    pub fn count(&self, tenant: &str, revision: i64, filters: &ListQuery) -> Option<u64> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.by_id.get(tenant).filter(|t| t.revision == revision).and_then(|t| t.counts.get(filters).copied())
    }

    /// The count of `filters` at the tenant's revision before the one kept, if kept then.
    pub fn earlier_count(&self, tenant: &str, filters: &ListQuery) -> Option<u64> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.by_id.get(tenant).and_then(|t| t.earlier_counts.get(filters).copied())
    }

    pub fn put_count(&self, tenant: &str, revision: i64, filters: ListQuery, total: u64) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let Tenants { by_id, order_bytes } = &mut *tenants;
        if let Some(entry) = Self::at_revision(by_id, order_bytes, tenant, revision) {
            if entry.counts.len() >= COUNTS_PER_TENANT {
                entry.counts.clear();
            }
            entry.counts.insert(filters, total);
        }
    }

    pub fn positions(&self, tenant: &str, revision: i64, view: &ListQuery) -> Option<Arc<Vec<Position>>> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.by_id.get(tenant).filter(|t| t.revision == revision).and_then(|t| t.positions.get(view).cloned())
    }

    pub fn put_positions(&self, tenant: &str, revision: i64, view: ListQuery, positions: Arc<Vec<Position>>) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let Tenants { by_id, order_bytes } = &mut *tenants;
        if let Some(entry) = Self::at_revision(by_id, order_bytes, tenant, revision) {
            if entry.positions.len() >= VIEWS_WITH_POSITIONS_PER_TENANT {
                entry.positions.clear();
            }
            entry.positions.insert(view, positions);
        }
    }

    pub fn inventory(&self, tenant: &str, revision: i64) -> Option<Arc<Inventory>> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.by_id.get(tenant).filter(|t| t.revision == revision).and_then(|t| t.inventory.clone())
    }

    pub fn put_inventory(&self, tenant: &str, revision: i64, inventory: Inventory) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let Tenants { by_id, order_bytes } = &mut *tenants;
        if let Some(entry) = Self::at_revision(by_id, order_bytes, tenant, revision) {
            entry.inventory = Some(Arc::new(inventory));
        }
    }

    pub fn orders(&self, tenant: &str, revision: i64, filters: &ListQuery) -> Option<Arc<ViewOrders>> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.by_id.get(tenant).filter(|t| t.revision == revision).and_then(|t| t.orders.get(filters).cloned())
    }

    /// Keeps a view's orders within the memory all orders may take ([`ORDER_BYTES`]): the
    /// tenant's own older orders make room first, then everyone's.
    pub fn put_orders(&self, tenant: &str, revision: i64, filters: ListQuery, orders: Arc<ViewOrders>) {
        if orders.bytes() > ORDER_BYTES {
            return;
        }
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let Tenants { by_id, order_bytes } = &mut *tenants;
        let Some(entry) = Self::at_revision(by_id, order_bytes, tenant, revision) else { return };
        if let Some(replaced) = entry.orders.remove(&filters) {
            *order_bytes -= replaced.bytes();
        }
        while *order_bytes + orders.bytes() > ORDER_BYTES {
            let Some(dropped) = entry.orders.keys().next().cloned() else { break };
            *order_bytes -= entry.orders.remove(&dropped).map_or(0, |o| o.bytes());
        }
        // Still no room: the other tenants' orders go. Idle tenants would otherwise hold the
        // memory until they write, and every narrow page here would be ranked anew.
        if *order_bytes + orders.bytes() > ORDER_BYTES {
            for other in by_id.values_mut() {
                other.orders.clear();
            }
            *order_bytes = 0;
        }
        if let Some(entry) = by_id.get_mut(tenant) {
            *order_bytes += orders.bytes();
            entry.orders.insert(filters, orders);
        }
    }

    /// The tenant's entry for `revision`: a newer revision starts it afresh; an older one
    /// (a slow request that read before a write) gets none. What the orders it drops kept
    /// leaves `order_bytes`.
    fn at_revision<'a>(
        tenants: &'a mut HashMap<String, TenantPages>,
        order_bytes: &mut usize,
        tenant: &str,
        revision: i64,
    ) -> Option<&'a mut TenantPages> {
        if tenants.len() >= TENANTS && !tenants.contains_key(tenant) {
            tenants.clear();
            *order_bytes = 0;
        }
        let entry = tenants.entry(tenant.to_owned()).or_insert_with(|| TenantPages::at(revision));
        if entry.revision < revision {
            *order_bytes -= entry.order_bytes();
            let earlier_counts = std::mem::take(&mut entry.counts);
            *entry = TenantPages { earlier_counts, ..TenantPages::at(revision) };
        }
        (entry.revision == revision).then_some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::havips::Ranked;

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
    fn orders_are_kept_within_their_memory_until_the_revision_moves() {
        let cache = ListCache::default();
        let view = |q: &str| ListQuery { q: Some(q.into()), ..ListQuery::default() }.filters();
        let matches: Vec<Ranked> =
            (0..ORDER_BYTES / 120).map(|n| Ranked { id: format!("havip-{n:026}"), ranks: [n as i64 + 1; 3] }).collect();
        let orders = || Arc::new(ViewOrders::new(&matches));
        assert!(orders().bytes() * 2 <= ORDER_BYTES && orders().bytes() * 3 > ORDER_BYTES);
        cache.put_orders("t", 3, view("a"), orders());
        cache.put_orders("t", 3, view("b"), orders());
        assert!(cache.orders("t", 3, &view("a")).is_some() && cache.orders("t", 3, &view("b")).is_some());
        cache.put_orders("t", 3, view("c"), orders());
        assert!(cache.orders("t", 3, &view("c")).is_some(), "the newest orders are kept");
        let kept = ["a", "b"].iter().filter(|q| cache.orders("t", 3, &view(q)).is_some()).count();
        assert_eq!(kept, 1, "an older view of the tenant's makes room for them");
        cache.put_orders("u", 3, view("a"), orders());
        assert!(cache.orders("u", 3, &view("a")).is_some(), "another tenant's orders are kept");
        assert!(cache.orders("t", 3, &view("c")).is_none(), "in the memory of the tenants before it");
        cache.put_orders("u", 3, view("b"), orders());
        cache.put("u", 4, ListQuery::default(), page(1));
        assert!(cache.orders("u", 4, &view("a")).is_none(), "a write forgets the orders");
        cache.put_orders("t", 3, view("a"), orders());
        cache.put_orders("t", 3, view("b"), orders());
        assert!(
            cache.orders("t", 3, &view("a")).is_some() && cache.orders("t", 3, &view("b")).is_some(),
            "and their memory"
        );
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
        assert_eq!(cache.earlier_count("t", &filters), Some(42), "but keeps them as hints");
        cache.put("t", 5, ListQuery::default(), page(1));
        assert_eq!(cache.earlier_count("t", &filters), None, "for one revision");
    }
}
