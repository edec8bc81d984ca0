//! The built site is sent as it was built: its files named by their content's hash, kept by
//! browsers for a year, and sent compressed from the files compressed at build time.

use crate::support::{Store, TestApp};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, VARY};
use std::path::PathBuf;

#[tokio::test]
async fn the_built_site_is_sent_as_built_and_kept_for_a_year() {
    let site = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"));
    let name = server::http::site_name(&site).expect("a built site (scripts/build-site.sh debug)");
    let hash = name.strip_prefix("havip-").expect("havip-<hash>");
    assert!(hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
    let app = TestApp::spawn_with(Store::Sqlite, |settings| settings.site_root = site.clone()).await;

    let page = app.http.get(app.url("/login")).send().await.expect("login page").text().await.expect("html");
    for kind in ["js", "wasm", "css"] {
        assert!(page.contains(&format!("/pkg/{name}.{kind}")), "the page names {name}.{kind}");
    }
    for (encoding, suffix) in [("br", "br"), ("gzip", "gz")] {
        for kind in ["js", "wasm", "css"] {
            let path = format!("/pkg/{name}.{kind}");
            let answer = app.http.get(app.url(&path)).header(ACCEPT_ENCODING, encoding).send().await.expect("asset");
            assert_eq!(answer.status(), 200, "{path}");
            assert_eq!(answer.headers()[CONTENT_ENCODING], encoding, "{path}");
            assert_eq!(answer.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable", "{path}");
            assert_eq!(answer.headers()[VARY], "accept-encoding", "{path}: caches keep each encoding apart");
            let built = std::fs::read(site.join(format!("pkg/{name}.{kind}.{suffix}"))).expect("built file");
            assert!(answer.bytes().await.expect("body") == built, "{path} in {encoding} is the file built");
        }
    }
    let plain = app.http.get(app.url(&format!("/pkg/{name}.wasm"))).send().await.expect("asset");
    assert!(plain.headers().get(CONTENT_ENCODING).is_none(), "a client that takes no encoding gets the file as it is");
    let other_build = app.http.get(app.url("/pkg/havip-0000000000000000.wasm")).send().await.expect("asset");
    assert_eq!(other_build.status(), 404);
    assert_eq!(other_build.headers()[CACHE_CONTROL], "no-store", "a missing file is kept by no one");
    let icon = app.http.get(app.url("/favicon.svg")).send().await.expect("icon");
    assert_eq!(icon.headers()[CACHE_CONTROL], "no-cache", "the icon has no hash in its name");
}
