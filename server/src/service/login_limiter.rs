//! Failed logins counted per user and per client address; past the limit, 429 until the
//! window has passed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<Failures>,
}

struct Failures {
    counts: HashMap<String, (u32, Instant)>,
    last_pruned: Instant,
}

/// Above this many entries, stale ones are forgotten (at most once per `PRUNE_EVERY`).
const PRUNE_ABOVE: usize = 10_000;
const PRUNE_EVERY: Duration = Duration::from_secs(10);
/// Past this many live entries, new users and addresses are not tracked until old ones expire:
/// a flood from countless addresses cannot take the server's memory (the password checks, one
/// per core, still bound what it costs).
const MAX_TRACKED: usize = 200_000;

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        let failures = Failures { counts: HashMap::new(), last_pruned: Instant::now() };
        LoginLimiter { max_failures, window, failures: Mutex::new(failures) }
    }

    fn keys(username: &str, client: &str) -> [String; 2] {
        [format!("user:{}", username.to_lowercase()), format!("addr:{client}")]
    }

    /// Whether another attempt may be made now; if so, it counts as failed until
    /// [`record_success`](Self::record_success) says otherwise. Counting it before the password
    /// is checked (which takes a while) keeps a burst of parallel guesses within the limit.
    pub fn try_begin(&self, username: &str, client: &str) -> bool {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let keys = Self::keys(username, client);
        let blocked = keys.iter().any(|key| {
            failures
                .counts
                .get(key)
                .is_some_and(|(count, since)| *count >= self.max_failures && now.duration_since(*since) <= self.window)
        });
        if blocked {
            return false;
        }
        if failures.counts.len() > PRUNE_ABOVE && now.duration_since(failures.last_pruned) > PRUNE_EVERY {
            failures.counts.retain(|_, (_, since)| now.duration_since(*since) <= self.window);
            failures.last_pruned = now;
        }
        for key in keys {
            if failures.counts.len() >= MAX_TRACKED && !failures.counts.contains_key(&key) {
                continue;
            }
            let entry = failures.counts.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) > self.window {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        true
    }

    /// How long until an attempt refused by [`try_begin`](Self::try_begin) may be made: until
    /// the oldest failure of each exhausted key is a window old.
    pub fn wait(&self, username: &str, client: &str) -> Duration {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        Self::keys(username, client)
            .iter()
            .filter_map(|key| failures.counts.get(key))
            .filter(|(count, _)| *count >= self.max_failures)
            .map(|(_, since)| self.window.saturating_sub(now.duration_since(*since)))
            .max()
            .unwrap_or_default()
    }

    /// Takes back an attempt that [`try_begin`](Self::try_begin) counted but that the server
    /// failed to check (the database was unreachable): only wrong passwords count.
    pub fn take_back(&self, username: &str, client: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in Self::keys(username, client) {
            if let Some(entry) = failures.counts.get_mut(&key) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }

    pub fn record_success(&self, username: &str, client: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in Self::keys(username, client) {
            failures.counts.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(limiter.try_begin("demo", "1.2.3.4"));
        }
        assert!(!limiter.try_begin("demo", "1.2.3.4"));
        let wait = limiter.wait("demo", "1.2.3.4");
        assert!(wait > Duration::ZERO && wait <= limiter.window, "{wait:?}");
        assert_eq!(limiter.wait("other", "9.9.9.9"), Duration::ZERO);
        assert!(!limiter.try_begin("DEMO", "5.6.7.8"), "per user, whatever the address");
        assert!(limiter.try_begin("other", "5.6.7.8"));
    }

    #[test]
    fn a_success_forgets_the_failures() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.try_begin("demo", "1.2.3.4"));
        limiter.record_success("demo", "1.2.3.4");
        assert!(limiter.try_begin("demo", "1.2.3.4"));
        assert!(limiter.try_begin("demo", "1.2.3.4"));
        assert!(!limiter.try_begin("demo", "1.2.3.4"), "two attempts without a success");
    }

    #[test]
    fn an_attempt_the_server_failed_to_check_does_not_count() {
        let limiter = LoginLimiter::new(1, Duration::from_secs(60));
        assert!(limiter.try_begin("demo", "1.2.3.4"));
        limiter.take_back("demo", "1.2.3.4");
        assert!(limiter.try_begin("demo", "1.2.3.4"));
        assert!(!limiter.try_begin("demo", "1.2.3.4"));
    }
}
