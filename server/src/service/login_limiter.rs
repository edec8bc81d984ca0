//! Failed logins counted per user and per client address; past the limit, 429 until the
//! window has passed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        LoginLimiter { max_failures, window, failures: Mutex::new(HashMap::new()) }
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
                .get(key)
                .is_some_and(|(count, since)| *count >= self.max_failures && now.duration_since(*since) <= self.window)
        });
        if blocked {
            return false;
        }
        // Forget stale entries now and then, so the map stays small.
        if failures.len() > 10_000 {
            failures.retain(|_, (_, since)| now.duration_since(*since) <= self.window);
        }
        for key in keys {
            let entry = failures.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) > self.window {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        true
    }

    pub fn record_success(&self, username: &str, client: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in Self::keys(username, client) {
            failures.remove(&key);
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
}
