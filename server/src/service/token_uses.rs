//! When each API token was last used, written at most once a minute per token and process: a
//! request authenticated from the identity cache makes no database round trip, and recording
//! every use would give it one write.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How stale a token's `last_used_at` may be.
pub const WRITE_EVERY: Duration = Duration::from_secs(60);
/// Tokens remembered; beyond this the memory starts over (costing a few early writes).
const MAX_TOKENS: usize = 100_000;

#[derive(Default)]
pub struct TokenUses {
    /// When this process last wrote each token's use, by the token's hash.
    written: Mutex<HashMap<String, Instant>>,
}

impl TokenUses {
    /// Whether a use of the token at `now` should be written, and if so notes it as written.
    pub fn due(&self, token_hash: &str, now: Instant) -> bool {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if written.get(token_hash).is_some_and(|at| now.duration_since(*at) < WRITE_EVERY) {
            return false;
        }
        if written.len() >= MAX_TOKENS {
            written.clear();
        }
        written.insert(token_hash.to_owned(), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_written_once_a_minute() {
        let uses = TokenUses::default();
        let start = Instant::now();
        assert!(uses.due("a", start));
        assert!(!uses.due("a", start + Duration::from_secs(59)));
        assert!(uses.due("b", start + Duration::from_secs(1)), "each token on its own");
        assert!(uses.due("a", start + WRITE_EVERY));
    }
}
