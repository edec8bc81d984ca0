//! Who a session or API token belongs to, and each tenant's revision, kept in memory for a
//! moment so that a request that finds both here needs no database round trip at all. That
//! round trip was the cost of a cached list page: without this memo the list could not serve
//! more than a database query per request.
//!
//! How fresh an entry is:
//! - Writes made by this process forget what they change when they commit (a tenant's
//!   revision, a logged-out session, a revoked token), so this process reads its own writes.
//! - On Postgres, the other processes' writes arrive as notifications (see `change_feed`);
//!   until the feed listens, and whenever it loses its connection, nothing is kept.
//! - Anything else (another process on the same SQLite file, such as `havip token revoke`) is
//!   seen once the entry is `fresh_for` old: one second by default, zero turns the memo off.
//!
//! A lookup that started before a change cannot put back what the change made stale: each
//! entry is kept only if nothing was forgotten between the lookup's start and its end.

use crate::metrics::AnsweredBy;
use app::domain::caller::UserProfile;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept of each kind; beyond this the memo starts over (a flood of distinct
/// credentials costs lookups, not memory).
const MAX_ENTRIES: usize = 100_000;

/// The user behind a session or token, as authentication found it.
#[derive(Clone, Debug)]
pub struct KnownUser {
    pub user_id: String,
    pub tenant_id: String,
    pub profile: UserProfile,
    /// The VM of an agent token.
    pub agent_vm: Option<String>,
}

pub struct IdentityCache {
    fresh_for: Duration,
    state: Mutex<State>,
    /// Requests authenticated without a database round trip, and with one (for `/metrics`).
    authentications: Family<AnsweredBy, Counter>,
}

struct State {
    /// False while another process's changes could go unseen (Postgres without its feed).
    trusted: bool,
    /// Moves on every forget; a lookup keeps its answer only if it has not moved meanwhile.
    generation: u64,
    /// Keyed by the secret's hash, with when the entry stops being fresh.
    users: HashMap<String, (KnownUser, Instant)>,
    revisions: HashMap<String, (i64, Instant)>,
}

/// Taken before a lookup in the database, handed back to keep its answer.
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

impl IdentityCache {
    /// `trusted` says whether other processes' changes are covered from the start (SQLite,
    /// where `fresh_for` bounds them) or only once a change feed listens (Postgres).
    /// `authentications` counts how requests were answered.
    pub fn new(fresh_for: Duration, trusted: bool, authentications: Family<AnsweredBy, Counter>) -> IdentityCache {
        let state = State { trusted, generation: 0, users: HashMap::new(), revisions: HashMap::new() };
        IdentityCache { fresh_for, state: Mutex::new(state), authentications }
    }

    /// A memo that keeps nothing: for tools that only write, and for processes not serving.
    pub fn disabled() -> IdentityCache {
        IdentityCache::new(Duration::ZERO, false, Family::default())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one authentication, answered from memory or not.
    pub fn count(&self, from_memory: bool) {
        let answered_by = if from_memory { "memory" } else { "database" };
        self.authentications.get_or_create(&AnsweredBy { answered_by }).inc();
    }

    /// Whether answers are kept at all (on Postgres: whether the change feed listens).
    pub fn in_use(&self) -> bool {
        self.state().trusted && !self.fresh_for.is_zero()
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.state().generation)
    }

    pub fn user(&self, secret_hash: &str) -> Option<KnownUser> {
        let state = self.state();
        let (user, until) = state.users.get(secret_hash).filter(|_| state.trusted)?;
        (Instant::now() < *until).then(|| user.clone())
    }

    pub fn revision(&self, tenant_id: &str) -> Option<i64> {
        let state = self.state();
        let (revision, until) = state.revisions.get(tenant_id).filter(|_| state.trusted)?;
        (Instant::now() < *until).then_some(*revision)
    }

    /// Keeps what a lookup that began at `ticket` found, unless something changed since.
    /// `expires_in` shortens the entry for a session about to expire.
    pub fn keep_user(&self, ticket: Ticket, secret_hash: &str, user: KnownUser, expires_in: Duration) {
        let until = Instant::now() + self.fresh_for.min(expires_in);
        let mut state = self.state();
        if state.keeps(ticket, self.fresh_for) {
            insert_bounded(&mut state.users, secret_hash, (user, until));
        }
    }

    pub fn keep_revision(&self, ticket: Ticket, tenant_id: &str, revision: i64) {
        let until = Instant::now() + self.fresh_for;
        let mut state = self.state();
        if state.keeps(ticket, self.fresh_for) {
            insert_bounded(&mut state.revisions, tenant_id, (revision, until));
        }
    }

    /// A write to the tenant's data committed.
    pub fn forget_tenant(&self, tenant_id: &str) {
        let mut state = self.state();
        state.generation += 1;
        state.revisions.remove(tenant_id);
    }

    /// A session ended or a token was revoked: which one is not always known (a token revoked
    /// by its ID, a notification from another process), and such changes are rare.
    pub fn forget_credentials(&self) {
        let mut state = self.state();
        state.generation += 1;
        state.users.clear();
    }

    /// Whether other processes' changes are covered; either way everything kept is dropped,
    /// since changes may have gone unseen.
    pub fn set_trusted(&self, trusted: bool) {
        let mut state = self.state();
        state.generation += 1;
        state.trusted = trusted;
        state.users.clear();
        state.revisions.clear();
    }
}

impl State {
    fn keeps(&self, ticket: Ticket, fresh_for: Duration) -> bool {
        self.trusted && !fresh_for.is_zero() && self.generation == ticket.0
    }
}

fn insert_bounded<V>(map: &mut HashMap<String, V>, key: &str, value: V) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(key.to_owned(), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::caller::Role;

    fn user(tenant: &str) -> KnownUser {
        KnownUser {
            user_id: "usr-1".to_owned(),
            tenant_id: tenant.to_owned(),
            profile: UserProfile { username: "u".to_owned(), tenant_name: "t".to_owned(), role: Role::Admin },
            agent_vm: None,
        }
    }

    const LONG: Duration = Duration::from_secs(3600);

    #[test]
    fn keeps_answers_until_something_changes() {
        let cache = IdentityCache::new(LONG, true, Family::default());
        let ticket = cache.ticket();
        cache.keep_user(ticket, "h", user("t1"), LONG);
        cache.keep_revision(ticket, "t1", 4);
        assert_eq!(cache.user("h").map(|u| u.tenant_id), Some("t1".to_owned()));
        assert_eq!(cache.revision("t1"), Some(4));
        cache.forget_tenant("t1");
        assert_eq!(cache.revision("t1"), None, "a write forgets the revision");
        assert!(cache.user("h").is_some(), "but not who the secret belongs to");
        cache.forget_credentials();
        assert!(cache.user("h").is_none());
    }

    #[test]
    fn a_lookup_that_began_before_a_change_keeps_nothing() {
        let cache = IdentityCache::new(LONG, true, Family::default());
        let before_the_write = cache.ticket();
        cache.forget_tenant("t1");
        cache.keep_revision(before_the_write, "t1", 4);
        cache.keep_user(before_the_write, "h", user("t1"), LONG);
        assert_eq!(cache.revision("t1"), None);
        assert!(cache.user("h").is_none());
    }

    #[test]
    fn nothing_is_kept_untrusted_stale_or_switched_off() {
        let untrusted = IdentityCache::new(LONG, false, Family::default());
        untrusted.keep_revision(untrusted.ticket(), "t1", 4);
        assert_eq!(untrusted.revision("t1"), None, "Postgres before its feed listens");
        untrusted.set_trusted(true);
        untrusted.keep_revision(untrusted.ticket(), "t1", 5);
        assert_eq!(untrusted.revision("t1"), Some(5));
        untrusted.set_trusted(false);
        assert_eq!(untrusted.revision("t1"), None, "a lost feed drops everything");

        let switched_off = IdentityCache::new(Duration::ZERO, true, Family::default());
        switched_off.keep_revision(switched_off.ticket(), "t1", 4);
        assert_eq!(switched_off.revision("t1"), None);

        let fresh = IdentityCache::new(LONG, true, Family::default());
        fresh.keep_user(fresh.ticket(), "h", user("t1"), Duration::ZERO);
        assert!(fresh.user("h").is_none(), "a session that expires now is not kept");
    }
}
