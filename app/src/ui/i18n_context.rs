//! The chosen language, shared by every component, and the switch that changes it.

use crate::i18n::{LANG_COOKIE, Lang, Texts};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    pub fn provide(lang: Lang) -> I18n {
        let i18n = I18n { lang: RwSignal::new(lang) };
        provide_context(i18n);
        i18n
    }

    pub fn get() -> I18n {
        expect_context::<I18n>()
    }

    /// The current catalog (tracked: a view that calls this follows the language).
    pub fn texts(self) -> &'static Texts {
        self.lang.get().texts()
    }

    /// A reactive text followed by what it is about (`编辑 web-vip`): the accessible name of one
    /// of many like buttons, which a screen reader must tell apart.
    pub fn about(
        self,
        pick: fn(&'static Texts) -> &'static str,
        subject: String,
    ) -> impl Fn() -> String + Send + Sync + 'static {
        move || format!("{} {}", pick(self.lang.get().texts()), subject)
    }

    /// A reactive text: `{i18n.t(|t| t.create)}`.
    pub fn t(
        self,
        pick: fn(&'static Texts) -> &'static str,
    ) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || pick(self.lang.get().texts())
    }

    /// Switches the language and remembers it in a cookie, so the server renders it next time.
    pub fn switch(self, lang: Lang) {
        self.lang.set(lang);
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Ok(html) = document().dyn_into::<web_sys::HtmlDocument>() {
                let _ =
                    html.set_cookie(&format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code()));
            }
            if let Some(root) = document().document_element() {
                let _ = root.set_attribute("lang", lang.html_lang());
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = LANG_COOKIE;
    }
}

#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let i18n = I18n::get();
    let option = move |lang: Lang, label: &'static str| {
        view! {
            <button
                type="button"
                class="lang-option"
                class:active=move || i18n.lang.get() == lang
                aria-pressed=move || (i18n.lang.get() == lang).to_string()
                lang=lang.html_lang()
                on:click=move |_| i18n.switch(lang)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="lang-switch" role="group" aria-label=i18n.t(|t| t.language)>
            {option(Lang::Zh, "中文")}
            {option(Lang::En, "English")}
        </div>
    }
}
