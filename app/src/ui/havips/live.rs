//! Live updates without a reload. Every change to a tenant's HAVIPs moves its revision, an
//! agent's report of a failover too, and reading the revision costs the server no database
//! round trip. So while the page is visible it asks for the revision every 2 s, and when that
//! moved since what the page shows was loaded, the rows, the banner and an open detail load
//! again (through [`PageState::refresh`]). A hidden page asks nothing: its timer stops when it is
//! hidden and starts again, with a look at once, when it is shown.

#[cfg(feature = "hydrate")]
use super::PageState;
#[cfg(not(feature = "ssr"))]
use leptos::prelude::*;

/// The revision of the tenant's data that the server rendered the page at: the server knows it
/// from the request, the browser reads it back from the list's `data-tenant-revision` (absent
/// when the browser built the page itself: then the first look sets it).
pub fn rendered_revision() -> Option<i64> {
    #[cfg(feature = "ssr")]
    {
        crate::api::port::request_context().ok()?.caller?.tenant_revision
    }
    #[cfg(not(feature = "ssr"))]
    {
        document().query_selector("[data-tenant-revision]").ok()??.get_attribute("data-tenant-revision")?.parse().ok()
    }
}

/// Follows the tenant's revision for as long as the page lives.
#[cfg(feature = "hydrate")]
pub fn follow_tenant_changes(state: PageState, rendered: Option<i64>) {
    use super::super::session_end::to_login_if_session_ended;
    use crate::api::havips::load_tenant_revision;

    const LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
    let seen = StoredValue::new(rendered);
    let asking = StoredValue::new(false);
    let look = move || {
        // One question at a time: a slow answer must not pile up more behind it.
        if asking.get_value() || document().hidden() {
            return;
        }
        asking.set_value(true);
        leptos::task::spawn_local(async move {
            match load_tenant_revision().await {
                Ok(revision) => {
                    let moved = seen.get_value().is_some_and(|seen| seen != revision);
                    // Set before the reload: what it loads is at least this new.
                    seen.set_value(Some(revision));
                    if moved {
                        state.refresh();
                    }
                }
                Err(error) => {
                    to_login_if_session_ended(&error);
                }
            }
            asking.set_value(false);
        });
    };
    let timer = StoredValue::new(None::<IntervalHandle>);
    let start = move || {
        if timer.get_value().is_none() {
            look();
            timer.set_value(set_interval_with_handle(look, LOOK_EVERY).ok());
        }
    };
    let stop = move || {
        if let Some(handle) = timer.get_value() {
            handle.clear();
            timer.set_value(None);
        }
    };
    if !document().hidden() {
        start();
    }
    // visibilitychange is fired at the document and bubbles up to the window.
    let visibility =
        window_event_listener_untyped("visibilitychange", move |_| if document().hidden() { stop() } else { start() });
    on_cleanup(move || {
        stop();
        visibility.remove();
    });
}
