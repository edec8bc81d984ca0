//! The matches of a narrow view (a search or a filter that at most
//! [`crate::store::havips::SORT_MATCHES_UP_TO`] rows pass) in every order the list offers,
//! found and ranked by one statement. Kept per revision like the pages, any page of the view,
//! in any sort, is then its IDs' rows read by primary key, where each page otherwise found and
//! sorted all the view's matches again: a search's six sorts searched six times. (Postgres
//! only: see `query::list_page`.)

use crate::store::havips::Ranked;
use app::domain::list_query::{ListQuery, SortKey, SortOrder};
use std::hash::{BuildHasher, RandomState};
use std::ops::Range;

/// The IDs of a view's matches, packed into one string, and for each sort key the order of
/// the matches (a descending order is the ascending one read backwards: the ID breaks ties in
/// the same direction as the key). A view of 20,000 HAVIPs keeps about 680 KB.
#[derive(Debug, Default)]
pub struct ViewOrders {
    ids: String,
    /// Where each ID ends in `ids`.
    ends: Vec<u32>,
    /// By sort key ([`key_index`]): the matches' indexes in ascending order.
    ascending: [Vec<u32>; 3],
}

impl ViewOrders {
    /// The matches with their ranks (1-based) in each order, as the database ranked them:
    /// its collation orders the names, as it does for every other page.
    pub fn new(matches: &[Ranked]) -> ViewOrders {
        let mut orders = ViewOrders::default();
        for order in &mut orders.ascending {
            *order = vec![0; matches.len()];
        }
        for (index, ranked) in matches.iter().enumerate() {
            orders.ids.push_str(&ranked.id);
            orders.ends.push(u32::try_from(orders.ids.len()).unwrap_or(u32::MAX));
            for (key, rank) in [SortKey::CreatedAt, SortKey::Ip, SortKey::Name].into_iter().zip(ranked.ranks) {
                let slot = usize::try_from(rank - 1).ok().and_then(|r| orders.ascending[key_index(key)].get_mut(r));
                if let Some(slot) = slot {
                    *slot = index as u32;
                }
            }
        }
        orders
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// What the orders keep in memory, for the cache's budget.
    pub fn bytes(&self) -> usize {
        self.ids.len() + self.ends.len() * size_of::<u32>() * 4
    }

    /// The IDs at `range` of the query's order (clamped to the view).
    pub fn ids(&self, query: &ListQuery, range: Range<usize>) -> Vec<String> {
        let ascending = &self.ascending[key_index(query.sort)];
        let range = range.start.min(self.len())..range.end.min(self.len());
        range
            .map(|at| {
                let at = if query.order == SortOrder::Desc { self.len() - 1 - at } else { at };
                let index = ascending[at] as usize;
                let start = if index == 0 { 0 } else { self.ends[index - 1] as usize };
                self.ids[start..self.ends[index] as usize].to_owned()
            })
            .collect()
    }
}

fn key_index(key: SortKey) -> usize {
    match key {
        SortKey::CreatedAt => 0,
        SortKey::Ip => 1,
        SortKey::Name => 2,
    }
}

/// Locks that let one request at a time work out the orders of one search or filter. Under
/// load, the first asks of a view come at once, in every sort and page, and each would rank
/// all its matches. Striped: two filters share a lock one time in [`STRIPES`], and nothing
/// grows with them.
pub struct OrderPasses {
    stripes: [tokio::sync::Mutex<()>; STRIPES],
    hasher: RandomState,
}

const STRIPES: usize = 1024;

impl Default for OrderPasses {
    fn default() -> OrderPasses {
        OrderPasses { stripes: std::array::from_fn(|_| tokio::sync::Mutex::new(())), hasher: RandomState::new() }
    }
}

impl OrderPasses {
    /// Held while the orders of `filters` (a query's [`ListQuery::filters`]) are worked out.
    pub async fn lock(&self, tenant: &str, filters: &ListQuery) -> tokio::sync::MutexGuard<'_, ()> {
        let stripe = self.hasher.hash_one((tenant, filters)) as usize % STRIPES;
        self.stripes[stripe].lock().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(id: &str, ranks: [i64; 3]) -> Ranked {
        Ranked { id: id.into(), ranks }
    }

    fn page(orders: &ViewOrders, sort: SortKey, order: SortOrder, range: Range<usize>) -> Vec<String> {
        orders.ids(&ListQuery { sort, order, ..ListQuery::default() }, range)
    }

    #[test]
    fn answers_a_range_of_each_order() {
        // Created: b, a, ccc. IP: ccc, b, a. Name: a, ccc, b.
        let orders = ViewOrders::new(&[ranked("b", [1, 2, 3]), ranked("a", [2, 3, 1]), ranked("ccc", [3, 1, 2])]);
        assert_eq!(orders.len(), 3);
        assert_eq!(page(&orders, SortKey::CreatedAt, SortOrder::Asc, 0..2), ["b", "a"]);
        assert_eq!(page(&orders, SortKey::CreatedAt, SortOrder::Desc, 0..2), ["ccc", "a"]);
        assert_eq!(page(&orders, SortKey::Ip, SortOrder::Asc, 1..3), ["b", "a"]);
        assert_eq!(page(&orders, SortKey::Name, SortOrder::Asc, 0..3), ["a", "ccc", "b"]);
        assert_eq!(page(&orders, SortKey::Name, SortOrder::Desc, 2..50), ["a"], "a last page is cut at the end");
        assert!(page(&orders, SortKey::Name, SortOrder::Asc, 3..53).is_empty(), "a page past the end is empty");
        assert_eq!(orders.bytes(), 5 + 3 * 16);
    }
}
