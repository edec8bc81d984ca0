//! The session cookie: its name, how a request's `Cookie` header carries it, and the
//! `Set-Cookie` values that open and end a session with this deployment's flags (`Secure`
//! when the browser reached us over HTTPS, or always, or never, as the operator set).

use crate::settings::CookieSecurity;
use std::time::Duration;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "havip_session";

/// The session token a `Cookie` header carries, if any.
pub fn session_from_cookie_header(header: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// How one request's answer sets and clears the session cookie.
pub struct SessionCookies {
    pub security: CookieSecurity,
    pub max_age: Duration,
    /// Whether the browser reached us over HTTPS (through a proxy that says so).
    pub https: bool,
}

impl SessionCookies {
    fn secure_flag(&self) -> &'static str {
        match (self.security, self.https) {
            (CookieSecurity::Always, _) | (CookieSecurity::Auto, true) => "; Secure",
            _ => "",
        }
    }
}

impl app::api::port::SessionCookies for SessionCookies {
    fn set(&self, token: &str) -> String {
        let max_age = self.max_age.as_secs();
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}", self.secure_flag())
    }

    fn clear(&self) -> String {
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", self.secure_flag())
    }
}
