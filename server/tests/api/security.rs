//! Accounts and security (product.md §6, quality.md "Security tests"): tenant isolation on
//! every route, authentication, cross-site refusal, cookies, sessions, tokens, rate limits,
//! security headers.

use crate::both_stores;
use crate::support::{PASSWORD, Store, TestApp, assert_error, client, unique};
use app::domain::caller::Role;
use reqwest::header::{COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// Signs in through the console's login server function; answers the session cookie pair.
pub async fn login(app: &TestApp, username: &str, password: &str, headers: &[(&str, &str)]) -> Response {
    let mut request =
        app.http.post(app.url("/api/fn/login")).json(&json!({"username": username, "password": password}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("login")
}

pub fn session_cookie(headers: &HeaderMap) -> String {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("havip_session="))
        .expect("a session cookie")
        .to_owned()
}

pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().expect("pair").to_owned()
}

async fn rest_with_cookie(app: &TestApp, cookie: &str, path: &str) -> Response {
    app.http.get(app.url(&format!("/api/v1{path}"))).header(COOKIE, cookie).send().await.expect("request")
}

both_stores!(another_tenants_ids_are_unknown_everywhere, |app: TestApp| async move {
    let a = app.tenant().await;
    let b = app.tenant().await;
    let a_vms = a.vms_of_subnet(&a.subnet(0, 0));
    let havip = a.create(a.create_body("secret-of-a", &a_vms[..1])).await;
    let id = havip["id"].as_str().expect("id").to_owned();
    a.settled(&id).await;
    let before: Value = a.get(&format!("/havips/{id}")).await.json().await.expect("json");

    assert_error(b.get(&format!("/havips/{id}")).await, 404, "NotFound").await;
    assert_error(b.patch(&format!("/havips/{id}"), &json!({"name": "stolen"})).await, 404, "NotFound").await;
    assert_error(b.delete(&format!("/havips/{id}")).await, 404, "NotFound").await;
    assert_error(b.post(&format!("/havips/{id}/vms"), &json!({"vm_id": a_vms[1]})).await, 404, "NotFound").await;
    assert_error(b.delete(&format!("/havips/{id}/vms/{}", a_vms[0])).await, 404, "NotFound").await;
    let batch: Value = b.post("/havips/batch-delete", &json!({"ids": [id]})).await.json().await.expect("json");
    assert_eq!(batch["results"][0]["error"]["code"], "NotFound");
    // B cannot use A's inventory either.
    let b_vms = b.vms_of_subnet(&b.subnet(0, 0));
    let b_havip = b.create(b.create_body("b-own", &[])).await;
    b.settled(b_havip["id"].as_str().expect("id")).await;
    assert_error(
        b.post(&format!("/havips/{}/vms", b_havip["id"].as_str().expect("id")), &json!({"vm_id": a_vms[1]})).await,
        422,
        "InvalidVm.NotFound",
    )
    .await;
    assert_error(
        b.post("/havips", &json!({"name": "x", "vpc_id": a.vpc(0), "subnet_id": a.subnet(0, 0)})).await,
        422,
        "InvalidVpc.NotFound",
    )
    .await;

    // Nothing changed for A.
    let after: Value = a.get(&format!("/havips/{id}")).await.json().await.expect("json");
    assert_eq!(before, after);

    // B's list, search, filters, pickers and export never show A's rows.
    assert_eq!(b.list("").await["total"], 1);
    assert_eq!(b.list("q=secret-of-a").await["total"], 0);
    assert_eq!(b.list(&format!("q={id}")).await["total"], 0);
    assert_eq!(b.list(&format!("vpc_id={}", a.vpc(0))).await["total"], 0);
    assert_eq!(b.list(&format!("vm_id={}", a_vms[0])).await["total"], 0);
    for picker in ["/vpcs", "/subnets", "/vms", "/projects"] {
        let text = b.get(picker).await.text().await.expect("text");
        for a_id in [a.vpc(0), a.subnet(0, 0), a_vms[0].clone()] {
            assert!(!text.contains(&a_id), "{picker} shows {a_id}");
        }
    }
    let vms: Vec<Value> = b.get(&format!("/vms?vpc_id={}", a.vpc(0))).await.json().await.expect("json");
    assert!(vms.is_empty());
    let subnets: Vec<Value> = b.get(&format!("/subnets?vpc_id={}", a.vpc(0))).await.json().await.expect("json");
    assert!(subnets.is_empty());
    let a_projects: Vec<Value> = a.get("/projects").await.json().await.expect("json");
    let a_project = a_projects[0]["id"].as_str().expect("project id");
    assert_eq!(b.list(&format!("subnet_id={}", a.subnet(0, 0))).await["total"], 0);
    assert_eq!(b.list(&format!("project_id={a_project}")).await["total"], 0);
    let mut in_a_project = b.create_body("into-a-project", &[]);
    in_a_project["project_id"] = json!(a_project);
    assert_error(b.post("/havips", &in_a_project).await, 422, "InvalidProject.NotFound").await;
    assert_eq!(b_vms.len(), 6);
    let export = b.get("/havips/export.xlsx").await.bytes().await.expect("bytes");
    let rows = crate::export::read_rows(&export);
    assert_eq!(rows.len(), 2, "B's header and B's one row");
    assert!(!rows.iter().flatten().any(|cell| cell.contains("secret-of-a") || cell.contains(&id)));
});

both_stores!(unauthenticated_requests_are_refused, |app: TestApp| async move {
    let http = client();
    let page = http.get(app.url("/havips?q=x")).send().await.expect("page");
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login?next=/havips%3Fq%3Dx");
    assert_eq!(http.get(app.url("/")).send().await.expect("root").headers()["location"], "/havips");
    assert_eq!(http.get(app.url("/login")).send().await.expect("login page").status(), 200);
    assert_error(http.get(app.url("/api/v1/havips")).send().await.expect("rest"), 401, "Unauthenticated").await;
    assert_error(
        http.get(app.url("/api/v1/havips")).bearer_auth("havip_forged").send().await.expect("rest"),
        401,
        "Unauthenticated",
    )
    .await;
    assert_error(
        http.get(app.url("/api/v1/havips")).header(COOKIE, "havip_session=forged").send().await.expect("rest"),
        401,
        "Unauthenticated",
    )
    .await;
    let server_fn = http
        .post(app.url("/api/fn/list_havips"))
        .json(&json!({"query": app::domain::list_query::ListQuery::default()}))
        .send()
        .await
        .expect("fn");
    assert_eq!(server_fn.status(), 401);
    let error: app::domain::AppError = server_fn.json().await.expect("typed error");
    assert_eq!(error.code, app::domain::ErrorCode::Unauthenticated);
    let create = http
        .post(app.url("/api/fn/create_havip"))
        .json(&json!({"request": {"name": "x", "vpc_id": "vpc-aaaaaaaa", "subnet_id": "subnet-aaaaaaaa"}}))
        .send()
        .await
        .expect("fn");
    assert_eq!(create.status(), 401);
});

both_stores!(cross_site_writes_are_refused, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let body = tenant.create_body("csrf", &[]);
    let foreign = tenant
        .request(Method::POST, "/havips")
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_error(foreign, 403, "Forbidden").await;
    let cross = tenant
        .request(Method::POST, "/havips")
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_error(cross, 403, "Forbidden").await;
    let fn_call = app
        .http
        .post(app.url("/api/fn/login"))
        .header("origin", "https://evil.example")
        .json(&json!({"username": tenant.username, "password": PASSWORD}))
        .send()
        .await
        .expect("fn");
    assert_eq!(fn_call.status(), 403);
    assert_eq!(tenant.list("").await["total"], 0, "nothing was created");
    // The console's own origin passes, and so does a script without Origin.
    let own = tenant
        .request(Method::POST, "/havips")
        .header("origin", format!("http://{}", app.address))
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(own.status(), 202);
    assert_eq!(tenant.post("/havips", &body).await.status(), 202);
    // Reading is never refused for its origin.
    let read =
        tenant.request(Method::GET, "/havips").header("origin", "https://evil.example").send().await.expect("get");
    assert_eq!(read.status(), 200);
});

both_stores!(sessions_cookies_and_logout, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let first = login(&app, &tenant.username, PASSWORD, &[]).await;
    assert_eq!(first.status(), 200);
    let set_cookie = session_cookie(first.headers());
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(flag), "{set_cookie} lacks {flag}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: no Secure flag");
    let https = login(&app, &tenant.username, PASSWORD, &[("x-forwarded-proto", "https")]).await;
    assert!(session_cookie(https.headers()).contains("; Secure"), "Secure behind HTTPS");

    // A new session ID at every login, whatever cookie the browser brought.
    let cookie = cookie_pair(&set_cookie);
    let again = login(&app, &tenant.username, PASSWORD, &[("cookie", &cookie)]).await;
    let renewed = cookie_pair(&session_cookie(again.headers()));
    assert_ne!(renewed, cookie);
    assert_eq!(rest_with_cookie(&app, &cookie, "/havips").await.status(), 200);

    // Logout ends the session.
    let logout =
        app.http.post(app.url("/api/fn/logout")).header(COOKIE, &cookie).json(&json!({})).send().await.expect("logout");
    assert_eq!(logout.status(), 200);
    assert!(session_cookie(logout.headers()).contains("Max-Age=0"), "the cookie is cleared");
    assert_error(rest_with_cookie(&app, &cookie, "/havips").await, 401, "Unauthenticated").await;
    assert_eq!(rest_with_cookie(&app, &renewed, "/havips").await.status(), 200, "other sessions live on");
    let page = app.http.get(app.url("/havips")).header(COOKIE, &cookie).send().await.expect("page");
    assert_eq!(page.status(), 303, "the console is no longer reachable");

    let wrong = login(&app, &tenant.username, "wrong password", &[]).await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get(SET_COOKIE).is_none());
    let unknown = login(&app, "nobody-at-all", PASSWORD, &[]).await;
    assert_eq!(unknown.status(), 401, "the same answer as a wrong password");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_sessions_end() {
    let app = TestApp::spawn_with(Store::Sqlite, |s| s.session_idle = std::time::Duration::ZERO).await;
    let tenant = app.tenant().await;
    let cookie = cookie_pair(&session_cookie(login(&app, &tenant.username, PASSWORD, &[]).await.headers()));
    assert_error(rest_with_cookie(&app, &cookie, "/havips").await, 401, "Unauthenticated").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_passwords_hit_429() {
    let app = TestApp::spawn_with(Store::Sqlite, |s| s.login_attempts = 3).await;
    let tenant = app.tenant().await;
    for _ in 0..3 {
        assert_eq!(login(&app, &tenant.username, "guess", &[]).await.status(), 401);
    }
    let limited = login(&app, &tenant.username, PASSWORD, &[]).await;
    assert_eq!(limited.status(), 429, "even the right password waits");
    let error: app::domain::AppError = limited.json().await.expect("typed");
    assert_eq!(error.code, app::domain::ErrorCode::TooManyRequests);
    // It says how long to wait: the rest of the 15-minute window.
    let wait = error.retry_after_secs.expect("how long to wait");
    assert!((840..=900).contains(&wait), "{wait} s");
    // Other users from the same address are limited too (per address).
    let other = app.tenant().await;
    assert_eq!(login(&app, &other.username, PASSWORD, &[]).await.status(), 429);
}

both_stores!(revoked_tokens_are_refused, |app: TestApp| async move {
    let tenant = app.tenant().await;
    assert_eq!(tenant.get("/havips").await.status(), 200);
    app.backend.revoke_token(&tenant.token).await.expect("revoke");
    assert_error(tenant.get("/havips").await, 401, "Unauthenticated").await;
    assert!(app.backend.revoke_token(&tenant.token).await.is_err(), "revoked once");
});

both_stores!(only_tenant_admins_sync_inventory, |app: TestApp| async move {
    let admin = app.tenant().await;
    let member_name = unique("member");
    app.backend.create_user(&admin.name, &member_name, PASSWORD, Role::Member).await.expect("member");
    let (_, member_token) = app.backend.create_token(&member_name).await.expect("token");
    let member = admin.with_token(member_token);
    let document = serde_json::to_value(&admin.inventory).expect("json");
    assert_error(
        member.request(Method::PUT, "/admin/inventory").json(&document).send().await.expect("put"),
        403,
        "Forbidden",
    )
    .await;
    let answer = admin.request(Method::PUT, "/admin/inventory").json(&document).send().await.expect("put");
    assert_eq!(answer.status(), 200);
    // IDs owned by another tenant are refused, and nothing changes.
    let other = app.tenant().await;
    let stolen = serde_json::to_value(&other.inventory).expect("json");
    assert_error(
        admin.request(Method::PUT, "/admin/inventory").json(&stolen).send().await.expect("put"),
        422,
        "InvalidInventory",
    )
    .await;
    let mut bad = admin.inventory.clone();
    bad.vms[0].ip = "10.200.0.1".into();
    let error = assert_error(
        admin.request(Method::PUT, "/admin/inventory").json(&bad).send().await.expect("put"),
        422,
        "InvalidInventory",
    )
    .await;
    assert!(error["error"]["message"].as_str().is_some_and(|m| m.contains("vms[0].ip")), "names the entry: {error}");
    assert_eq!(admin.get("/vms").await.json::<Vec<Value>>().await.expect("json").len(), 10);

    // R6 holds for VMs too: a VM may not take the address a HAVIP of its subnet holds.
    let held = admin.create(admin.create_body(&unique("held"), &[])).await;
    let held_ip = held["ip"].as_str().expect("ip").to_owned();
    assert_eq!(held["subnet"]["id"], admin.inventory.vms[0].subnet_id.as_str(), "the first VM's subnet");
    let mut clash = admin.inventory.clone();
    clash.vms[0].ip = held_ip.clone();
    let error = assert_error(
        admin.request(Method::PUT, "/admin/inventory").json(&clash).send().await.expect("put"),
        422,
        "InvalidInventory",
    )
    .await;
    assert!(error["error"]["message"].as_str().is_some_and(|m| m.contains(&held_ip)), "names the address: {error}");
    let vms = admin.get("/vms").await.json::<Vec<Value>>().await.expect("json");
    assert!(vms.iter().all(|vm| vm["ip"] != held_ip.as_str()), "nothing changed: {vms:?}");
});

both_stores!(security_headers_and_a_fresh_nonce, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let cookie = cookie_pair(&session_cookie(login(&app, &tenant.username, PASSWORD, &[]).await.headers()));
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let page = app.http.get(app.url("/havips")).header(COOKIE, &cookie).send().await.expect("page");
        assert_eq!(page.status(), 200);
        let headers = page.headers().clone();
        let csp = headers["content-security-policy"].to_str().expect("csp").to_owned();
        assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).expect("script-src");
        assert!(!script_src.contains("unsafe-inline"), "{csp}");
        let nonce = script_src.split("'nonce-").nth(1).and_then(|n| n.split('\'').next()).expect("nonce").to_owned();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert_eq!(headers["cache-control"], "no-store", "the browser keeps no signed-in page");
        let html = page.text().await.expect("html");
        assert!(
            html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")),
            "the page's inline script carries the nonce"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a nonce per response");
    let api = tenant.get("/havips").await;
    assert!(api.headers()["content-security-policy"].to_str().expect("csp").contains("default-src 'none'"));
    assert_eq!(api.headers()["cache-control"], "no-store", "nor an API answer");
    let asset = app.http.get(app.url("/favicon.svg")).send().await.expect("asset");
    assert_eq!(asset.headers()["cache-control"], "no-cache", "the site's files keep their own");
});

both_stores!(server_functions_answer_malformed_arguments_with_400, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let cookie = cookie_pair(&session_cookie(login(&app, &tenant.username, PASSWORD, &[]).await.headers()));
    let well_formed = json!({"name": "x", "vpc_id": tenant.vpc(0), "subnet_id": tenant.subnet(0, 0)});
    let mut unknown_field = well_formed.clone();
    unknown_field["colour"] = json!(1);
    let bad_calls = [
        ("create_havip", "{".to_owned()),
        ("create_havip", json!({"request": {"name": 5}}).to_string()),
        ("create_havip", json!({"request": unknown_field}).to_string()),
        ("create_havip", json!({}).to_string()),
        ("list_havips", json!({"query": {"page": -1}}).to_string()),
    ];
    for (function, body) in bad_calls {
        let answer = app
            .http
            .post(app.url(&format!("/api/fn/{function}")))
            .header(COOKIE, &cookie)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("fn");
        assert_eq!(answer.status(), 400, "{function} {body}");
        let error: app::domain::AppError = answer.json().await.expect("typed error");
        assert_eq!(error.code, app::domain::ErrorCode::InvalidParameter, "{function} {body}");
    }
    let list: Value = tenant.get("/havips").await.json().await.expect("list");
    assert_eq!(list["total"], 0, "nothing was created");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_parallel_guesses_gets_no_more_tries_than_the_limit() {
    let app = TestApp::spawn_with(Store::Sqlite, |s| s.login_attempts = 3).await;
    let tenant = app.tenant().await;
    let guesses = (0..12).map(|_| login(&app, &tenant.username, "guess", &[]));
    let statuses: Vec<u16> = futures::future::join_all(guesses).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 9, "{statuses:?}");
}

both_stores!(a_link_to_an_impossible_view_goes_to_the_default_one, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let cookie = cookie_pair(&session_cookie(login(&app, &tenant.username, PASSWORD, &[]).await.headers()));
    let open = |path: &'static str| app.http.get(app.url(path)).header(COOKIE, &cookie).send();
    for impossible in ["/havips?page=0", "/havips?sort=size", "/havips?status=x", "/havips?page_size=100000"] {
        let page = open(impossible).await.expect("page");
        assert!(page.status().is_redirection(), "{impossible}: {}", page.status());
        assert_eq!(page.headers()["location"], "/havips", "{impossible}");
    }
    assert_eq!(open("/havips?page=2&sort=name&status=available").await.expect("page").status(), 200);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn behind_a_trusted_proxy_the_limit_is_per_forwarded_client() {
    let app = TestApp::spawn_with(Store::Sqlite, |s| {
        s.login_attempts = 3;
        s.trusted_proxies = server::trusted_proxies::TrustedProxies::parse("127.0.0.1").expect("list");
    })
    .await;
    let (guesser, colleague) = (app.tenant().await, app.tenant().await);
    for _ in 0..3 {
        let guess = login(&app, &guesser.username, "guess", &[("x-forwarded-for", "203.0.113.1")]).await;
        assert_eq!(guess.status(), 401);
    }
    let from_the_guesser = login(&app, &colleague.username, PASSWORD, &[("x-forwarded-for", "203.0.113.1")]).await;
    assert_eq!(from_the_guesser.status(), 429, "the guessing client is limited");
    let from_elsewhere = login(&app, &colleague.username, PASSWORD, &[("x-forwarded-for", "203.0.113.2")]).await;
    assert_eq!(from_elsewhere.status(), 200, "another client behind the same proxy is not");
}
