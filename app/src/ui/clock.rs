//! The user's UTC offset, at which the page shows times. The server renders at the offset the
//! browser put in a cookie last time; once hydrated, the browser corrects it if it differs
//! (the first visit, a laptop that travelled, a change of daylight saving time) and remembers it
//! for the next page. It is the offset of now: in a zone with daylight saving time, a time from
//! the other season shows an hour apart from the local clock of its day. (The server would need
//! the zone's rules to do better, and the WebAssembly a time zone database.)

use crate::domain::time::UtcOffset;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Clock {
    pub offset: RwSignal<UtcOffset>,
}

impl Clock {
    pub fn provide() -> Clock {
        let clock = Clock { offset: RwSignal::new(rendered_offset()) };
        provide_context(clock);
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| clock.follow_the_browser());
        clock
    }

    pub fn get() -> Clock {
        expect_context::<Clock>()
    }

    #[cfg(feature = "hydrate")]
    fn follow_the_browser(self) {
        use crate::domain::time::UTC_OFFSET_COOKIE;
        use wasm_bindgen::JsCast;
        // getTimezoneOffset counts minutes west of UTC; the offset counts east.
        let minutes_east = -(web_sys::js_sys::Date::new_0().get_timezone_offset() as i32);
        let Some(browser) = UtcOffset::from_minutes(minutes_east) else { return };
        if browser == self.offset.get_untracked() {
            return;
        }
        if let Ok(html) = document().dyn_into::<web_sys::HtmlDocument>() {
            let _ = html.set_cookie(&format!(
                "{UTC_OFFSET_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                browser.minutes()
            ));
        }
        self.offset.set(browser);
    }
}

/// The zone the page was rendered in: the server knows it from the request; the browser reads
/// it back from `<body data-utc-offset>` so that hydration starts from the same state.
fn rendered_offset() -> UtcOffset {
    #[cfg(feature = "ssr")]
    {
        use_context::<UtcOffset>().unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .body()
            .and_then(|body| body.get_attribute("data-utc-offset"))
            .and_then(|minutes| minutes.parse().ok())
            .and_then(UtcOffset::from_minutes)
            .unwrap_or_default()
    }
}
