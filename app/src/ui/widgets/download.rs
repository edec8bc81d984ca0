//! 下载: an Excel file from the server (the tenant's HAVIPs, the operation log). The file is
//! fetched by the page rather than by a plain link, so that the button can say it is being
//! prepared (a large tenant's file takes a few seconds), a refusal shows as a message rather than a broken file, and a session that
//! ended leads to the login page as everywhere else in the console. Files the page makes itself
//! (a keepalived configuration) go to the downloads the same way.

use crate::domain::AppError;
use crate::i18n::Texts;
use crate::ui::I18n;
use crate::ui::session_end::to_login_if_session_ended;
use crate::ui::widgets::toast::{ToastKind, Toasts};
use leptos::prelude::*;

/// Downloads the file at the address `url` gives when clicked (in the language shown then).
/// Its label is 下载 unless `label` picks another text.
#[component]
pub fn DownloadButton(
    url: Callback<(), String>,
    #[prop(optional)] label: Option<fn(&'static Texts) -> &'static str>,
) -> impl IntoView {
    let i18n = I18n::get();
    let preparing = RwSignal::new(false);
    let download = move |_| {
        if preparing.get_untracked() {
            return;
        }
        preparing.set(true);
        let url = url.run(());
        leptos::task::spawn_local(async move {
            if let Err(error) = save_file_from(&url).await
                && !to_login_if_session_ended(&error)
            {
                Toasts::get().show(ToastKind::Error, i18n.lang.get_untracked().error(error.code).to_owned());
            }
            preparing.set(false);
        });
    };
    view! {
        <button type="button" class="btn" aria-busy=move || preparing.get().to_string() disabled=preparing on:click=download>
            {move || if preparing.get() { i18n.texts().downloading } else { label.map_or(i18n.texts().download, |label| label(i18n.texts())) }}
        </button>
    }
}

/// How long the downloaded file's `blob:` address stays valid.
#[cfg(feature = "hydrate")]
const KEEP_FILE_ADDRESS: std::time::Duration = std::time::Duration::from_secs(60);

/// Fetches the file and hands it to the browser's downloads under the server's file name.
#[cfg(feature = "hydrate")]
async fn save_file_from(url: &str) -> Result<(), AppError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let unreachable = || AppError::new(crate::domain::ErrorCode::ServiceUnavailable);
    let response: web_sys::Response = JsFuture::from(window().fetch_with_str(url))
        .await
        .ok()
        .and_then(|r| r.dyn_into().ok())
        .ok_or_else(unreachable)?;
    if !response.ok() {
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        return Err(refusal(&text).unwrap_or_else(unreachable));
    }
    let file_name = response
        .headers()
        .get("content-disposition")
        .ok()
        .flatten()
        .and_then(|header| header.split("filename=\"").nth(1).map(|rest| rest.trim_end_matches('"').to_owned()))
        .unwrap_or_else(|| "export.xlsx".to_owned());
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(|_| unreachable())?)
        .await
        .ok()
        .and_then(|b| b.dyn_into().ok())
        .ok_or_else(unreachable)?;
    hand_to_downloads(&blob, &file_name).ok_or_else(unreachable)
}

/// Hands text the page made (a keepalived configuration) to the browser's downloads as a file.
#[cfg(feature = "hydrate")]
pub fn save_text_file(text: &str, file_name: &str) {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let parts = web_sys::js_sys::Array::of1(&text.into());
    if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) {
        hand_to_downloads(&blob, file_name);
    }
}

/// The server never runs the click.
#[cfg(not(feature = "hydrate"))]
pub fn save_text_file(_text: &str, _file_name: &str) {}

/// Downloads the blob under the name; None if the browser would not give it an address.
#[cfg(feature = "hydrate")]
fn hand_to_downloads(blob: &web_sys::Blob, file_name: &str) -> Option<()> {
    use wasm_bindgen::JsCast;
    let href = web_sys::Url::create_object_url_with_blob(blob).ok()?;
    let link = document().create_element("a").ok()?;
    let _ = link.set_attribute("href", &href);
    let _ = link.set_attribute("download", file_name);
    // Some browsers download only from a link in the page, and read the file after the click
    // returns: the link goes in for the click, the file's address lives on for a while.
    if let (Some(body), Ok(link)) = (document().body(), link.dyn_into::<web_sys::HtmlElement>()) {
        let _ = body.append_child(&link);
        link.click();
        link.remove();
    }
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&href);
        },
        KEEP_FILE_ADDRESS,
    );
    Some(())
}

/// The server never runs the click.
#[cfg(not(feature = "hydrate"))]
async fn save_file_from(_url: &str) -> Result<(), AppError> {
    Ok(())
}

/// The error of a §5 error body.
#[cfg(feature = "hydrate")]
fn refusal(body: &str) -> Option<AppError> {
    #[derive(serde::Deserialize)]
    struct Refusal {
        error: Code,
    }
    #[derive(serde::Deserialize)]
    struct Code {
        code: crate::domain::ErrorCode,
    }
    serde_json::from_str::<Refusal>(body).ok().map(|refusal| AppError::new(refusal.error.code))
}
