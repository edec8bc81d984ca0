//! Query strings of the console's own links, written and read with one encoding each way.

use leptos_router::location::Url;

/// `?key=value&…`, each key and value percent-encoded as it is ("" without pairs). Collecting
/// into leptos_router's `ParamsMap` would decode every value first, so that a search for the
/// text `%41` would become a search for `A`.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let encoded: Vec<String> =
        pairs.into_iter().map(|(key, value)| format!("{}={}", Url::escape(key), Url::escape(&value))).collect();
    if encoded.is_empty() { String::new() } else { format!("?{}", encoded.join("&")) }
}

/// The pairs of a raw query string (with or without its `?`), each key and value decoded once:
/// `+` is a space, as a GET form sends it, then percent-escapes. leptos_router's query map
/// decodes its values a second time, which [`query_string`] must not meet.
pub fn query_pairs(search: &str) -> Vec<(String, String)> {
    let decode = |text: &str| Url::unescape(&text.replace('+', " "));
    search
        .strip_prefix('?')
        .unwrap_or(search)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}
