//! Pages and components. They call server functions and use `domain` for every rule they can
//! check in the browser; they never see the store.

mod api_tokens;
mod clock;
mod frame;
mod havips;
mod i18n_context;
mod login;
mod operations;
mod query_string;
mod session_end;
mod users;
mod widgets;

pub use clock::Clock;
pub use i18n_context::I18n;

use crate::i18n::Lang;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app, rendered on the server only.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = use_context::<Lang>().unwrap_or_default();
    let utc_offset = use_context::<crate::domain::time::UtcOffset>().unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang=lang.html_lang()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href=format!("/{}/{}.css", options.site_pkg_dir, options.output_name) />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <title>{document_title(lang)}</title>
                <HydrationScripts options />
            </head>
            <body data-utc-offset=utc_offset.minutes()>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    let i18n = I18n::provide(initial_lang());
    widgets::toast::Toasts::provide();
    session_end::SessionEnd::provide();
    Clock::provide();
    // The title follows the language (effects run only in the browser).
    Effect::new(move |_| document().set_title(&document_title(i18n.lang.get())));
    #[cfg(feature = "hydrate")]
    widgets::menus::close_menus_on_outside_click();
    view! {
        <Router>
            <Routes fallback=|| view! { <frame::NotFound /> }>
                <Route path=path!("/havips") view=havips::HavipsPage />
                <Route path=path!("/users") view=users::UsersPage />
                <Route path=path!("/operations") view=operations::OperationsPage />
                <Route path=path!("/login") view=login::LoginPage />
            </Routes>
        </Router>
        <session_end::SignInAgain />
        <widgets::toast::ToastList />
    }
}

fn document_title(lang: Lang) -> String {
    format!("{} - {}", lang.texts().page_title, lang.texts().product_title)
}

/// The language the page was rendered in: the server knows it from the request; the browser
/// reads it back from `<html lang>` so that hydration starts from the same state.
fn initial_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<Lang>().unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .document_element()
            .and_then(|root| root.get_attribute("lang"))
            .map(|code| Lang::from_code(&code))
            .unwrap_or_default()
    }
}
