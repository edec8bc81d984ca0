//! Query strings of the console's own links.

use leptos_router::location::Url;

/// `?key=value&…`, each key and value percent-encoded as it is ("" without pairs). Collecting
/// into leptos_router's `ParamsMap` would decode every value first, so that a search for the
/// text `%41` would become a search for `A`.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let encoded: Vec<String> =
        pairs.into_iter().map(|(key, value)| format!("{}={}", Url::escape(key), Url::escape(&value))).collect();
    if encoded.is_empty() { String::new() } else { format!("?{}", encoded.join("&")) }
}
