//! The address a request comes from, for the login limiter and the logs: the connection's peer,
//! or the client a trusted proxy names (see [`crate::trusted_proxies`]).

/// Reads the `X-Forwarded-For` lines of a request in order (a proxy may add a line of its own
/// after the one the client sent, rather than extend it).
pub fn forwarded_for(headers: &axum::http::HeaderMap) -> String {
    headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",")
}
