//! Rendered console pages, kept per user, tenant revision, URL and language. A page is a pure
//! function of those (the data at that revision, the view in the URL, who is looking, in which
//! language), so a repeated view is answered without rendering it again. Only the CSP nonce
//! differs per response: it is swapped in.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub user_id: String,
    pub tenant_revision: i64,
    pub path_and_query: String,
    pub lang: app::i18n::Lang,
    pub utc_offset: app::domain::time::UtcOffset,
}

/// A rendered page and the nonce it was rendered with.
#[derive(Clone)]
pub struct RenderedPage {
    pub html: Bytes,
    pub nonce: String,
}

impl RenderedPage {
    /// The page with another nonce in place of the one it was rendered with. Nonces are 43
    /// random characters, so nothing else in the page can match one.
    pub fn with_nonce(&self, nonce: &str) -> String {
        String::from_utf8_lossy(&self.html).replace(&self.nonce, nonce)
    }
}

/// Pages kept at most; beyond this the cache starts over (a page is about 100 KB).
const PAGES: usize = 64;

#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<PageKey, RenderedPage>>,
}

impl PageCache {
    pub fn get(&self, key: &PageKey) -> Option<RenderedPage> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    pub fn put(&self, key: PageKey, page: RenderedPage) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= PAGES {
            pages.clear();
        }
        pages.insert(key, page);
    }
}
