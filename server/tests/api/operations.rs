//! 操作日志 (issue 18): every write, sign-in and sign-out is recorded; `GET /operations` and its
//! Excel download filter it, newest first; admins read the tenant's log, members their own; no
//! entry holds a password or a token; another tenant's entries are unknown.

use crate::both_stores;
use crate::export::read_rows;
use crate::security::{cookie_pair, login, session_cookie};
use crate::support::{PASSWORD, Tenant, TestApp, assert_error, unique};
use crate::users::add_user;
use reqwest::header::COOKIE;
use serde_json::{Value, json};
use std::collections::HashSet;

async fn page(client: &Tenant, query: &str) -> Value {
    let response = client.get(&format!("/operations{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("json")
}

/// Every entry the query selects, walking the pages `limit` at a time by `next_before`.
async fn walk(client: &Tenant, query: &str, limit: u32) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut before = String::new();
    loop {
        let separator = if query.is_empty() { "?" } else { "&" };
        let url = format!("{query}{separator}limit={limit}&before={before}");
        let answer = page(client, &url).await;
        entries.extend(answer["items"].as_array().expect("items").iter().cloned());
        match answer["next_before"].as_str() {
            Some(next) => before = next.to_owned(),
            None => return entries,
        }
    }
}

/// A refused sign-in is logged in the background (its answer does not wait): waits until the
/// log the client reads has one.
async fn until_a_refused_sign_in_is_logged(client: &Tenant) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while page(client, "?action=session.sign_in&outcome=failed").await["items"].as_array().is_none_or(Vec::is_empty) {
        assert!(std::time::Instant::now() < deadline, "the refused sign-in was never logged");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries.iter().filter_map(|e| e["action"].as_str()).collect()
}

/// A member of the admin's tenant, with its token.
async fn member_of(app: &TestApp, admin: &Tenant) -> Tenant {
    add_user(app, admin, "member").await.1
}

both_stores!(the_log_records_writes_and_sign_ins_newest_first, |app: TestApp| async move {
    let admin = app.tenant().await;
    let member = member_of(&app, &admin).await;
    let havip = member.create(member.create_body("logged", &[])).await;
    let havip_id = havip["id"].as_str().expect("id").to_owned();
    member.settled(&havip_id).await;
    assert_eq!(login(&app, &member.username, "wrong password", &[]).await.status(), 401);
    until_a_refused_sign_in_is_logged(&admin).await;
    let signed_in = login(&app, &member.username, PASSWORD, &[]).await;
    let cookie = cookie_pair(&session_cookie(signed_in.headers()));
    let logout = app.http.post(app.url("/api/fn/logout")).header(COOKIE, &cookie).json(&json!({})).send().await;
    assert_eq!(logout.expect("logout").status(), 200);

    let all = walk(&admin, "", 2).await;
    let ids: HashSet<&str> = all.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), all.len(), "no entry twice across pages");
    let times: Vec<&str> = all.iter().filter_map(|e| e["at"].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    let newest_first = actions(&all);
    for expected in ["session.sign_out", "session.sign_in", "havip.provision", "havip.create", "user.create"] {
        assert!(newest_first.contains(&expected), "{expected} in {newest_first:?}");
    }
    let position = |action: &str| newest_first.iter().position(|a| *a == action).expect("there");
    assert!(position("session.sign_out") < position("havip.create"));
    assert!(position("havip.create") < position("user.create"));
    let sign_ins: Vec<&Value> = all.iter().filter(|e| e["action"] == "session.sign_in").collect();
    let outcomes: Vec<&str> = sign_ins.iter().filter_map(|e| e["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["ok", "failed"], "the newer sign-in succeeded");
    assert_eq!(sign_ins[0]["username"], member.username.as_str());

    // Each filter narrows the log; they apply together.
    let only = |entries: &[Value], key: &str, value: &str| entries.iter().all(|e| e[key] == value);
    let created = page(&admin, "?action=havip.create").await;
    let created = created["items"].as_array().expect("items").clone();
    assert!(created.len() == 1 && only(&created, "resource_id", &havip_id), "{created:?}");
    assert_eq!(created[0]["outcome"], "accepted");
    assert_eq!(created[0]["username"], member.username.as_str());
    let on_havip = walk(&admin, &format!("?resource_id={havip_id}"), 50).await;
    assert_eq!(actions(&on_havip), ["havip.provision", "havip.create"]);
    let failed = page(&admin, "?outcome=failed&action=session.sign_in").await;
    assert_eq!(failed["items"].as_array().map(Vec::len), Some(1));
    let member_id = sign_ins[0]["user_id"].as_str().expect("user id");
    let by_member = walk(&admin, &format!("?user_id={member_id}"), 50).await;
    assert!(!by_member.is_empty() && only(&by_member, "user_id", member_id));
    let since = created[0]["at"].as_str().expect("at");
    let later = walk(&admin, &format!("?since={since}"), 50).await;
    assert!(later.iter().all(|e| e["at"].as_str() >= Some(since)) && actions(&later).contains(&"havip.create"));
    let earlier = walk(&admin, &format!("?until={since}"), 50).await;
    assert!(!actions(&earlier).contains(&"havip.create") && actions(&earlier).contains(&"user.create"));
    assert_eq!(later.len() + earlier.len(), all.len());
    let reversed = page(&admin, &format!("?since={since}&until=2026-01-01T00:00:00Z")).await;
    assert_eq!(reversed["items"], json!([]), "a range that ends before it starts selects nothing");
});

both_stores!(bad_filters_get_400_naming_the_parameter, |app: TestApp| async move {
    let admin = app.tenant().await;
    for (query, field) in [
        ("since=yesterday", "since"),
        ("until=2026-02-30T99:00:00Z", "until"),
        ("action=HAVIP", "action"),
        ("outcome=not%20ok", "outcome"),
        ("user_id=a'b", "user_id"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("before=1:UPPER", "before"),
    ] {
        let refused = assert_error(admin.get(&format!("/operations?{query}")).await, 400, "InvalidParameter").await;
        assert_eq!(refused["error"]["field"], field, "{query}: {refused}");
        let download = admin.get(&format!("/operations/export.xlsx?{query}")).await;
        assert_error(download, 400, "InvalidParameter").await;
    }
});

both_stores!(members_read_their_own_entries_and_tenants_only_theirs, |app: TestApp| async move {
    let admin = app.tenant().await;
    let member = member_of(&app, &admin).await;
    let other_member = member_of(&app, &admin).await;
    member.create(member.create_body("mine", &[])).await;
    let theirs = other_member.create(other_member.create_body("theirs", &[])).await;
    let admin_created = admin.create(admin.create_body("admins", &[])).await;

    let seen = walk(&member, "", 50).await;
    let own_id = seen.first().and_then(|e| e["user_id"].as_str()).expect("an entry").to_owned();
    assert!(seen.iter().all(|e| e["user_id"] == own_id.as_str()), "only its own: {seen:?}");
    assert_eq!(actions(&seen), ["havip.create"]);
    // Asking for another user's entries finds nothing rather than them.
    let admin_id = walk(&admin, "?action=user.create", 50).await[0]["user_id"].clone();
    let asked = page(&member, &format!("?user_id={}", admin_id.as_str().expect("id"))).await;
    assert_eq!(asked["items"], json!([]));
    let on_theirs = page(&member, &format!("?resource_id={}", theirs["id"].as_str().expect("id"))).await;
    assert_eq!(on_theirs["items"], json!([]));
    // The admin sees all three creates.
    assert_eq!(actions(&walk(&admin, "?action=havip.create", 50).await).len(), 3);

    // Another tenant's admin: none of these entries, by any filter.
    let stranger = app.tenant().await;
    let id = admin_created["id"].as_str().expect("id");
    assert_eq!(page(&stranger, &format!("?resource_id={id}")).await["items"], json!([]));
    assert_eq!(page(&stranger, &format!("?user_id={own_id}")).await["items"], json!([]));
    assert!(walk(&stranger, "", 50).await.iter().all(|e| e["action"] != "havip.create"));
});

both_stores!(no_entry_holds_a_password_or_a_token, |app: TestApp| async move {
    let admin = app.tenant().await;
    let typed = format!("typed-{}", unique("pw"));
    let username = unique("secretive");
    let made = admin.post("/users", &json!({"username": username, "role": "member", "password": typed})).await;
    let user_id = made.json::<Value>().await.expect("json")["user"]["id"].as_str().expect("id").to_owned();
    let reset: Value = admin.post(&format!("/users/{user_id}/password"), &json!({})).await.json().await.expect("json");
    let generated = reset["generated_password"].as_str().expect("generated").to_owned();
    let wrong = format!("wrong-{}", unique("pw"));
    assert_eq!(login(&app, &username, &wrong, &[]).await.status(), 401);
    until_a_refused_sign_in_is_logged(&admin).await;
    let signed_in = login(&app, &username, &generated, &[]).await;
    let session = cookie_pair(&session_cookie(signed_in.headers()));
    let token: Value = app
        .http
        .post(app.url("/api/v1/tokens"))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token_secret = token["token"].as_str().expect("secret").to_owned();
    let session_secret = session.split_once('=').expect("pair").1.to_owned();

    let secrets =
        [typed.as_str(), generated.as_str(), wrong.as_str(), token_secret.as_str(), session_secret.as_str(), PASSWORD];
    let log = serde_json::to_string(&walk(&admin, "", 200).await).expect("text");
    let file = admin.get("/operations/export.xlsx").await.bytes().await.expect("bytes");
    let cells = format!("{:?}", read_rows(&file));
    for secret in secrets {
        assert!(!log.contains(secret), "the log's answer holds a secret");
        assert!(!cells.contains(secret), "the download holds a secret");
    }
    for action in ["user.create", "user.reset_password", "session.sign_in", "token.create"] {
        assert!(log.contains(action), "{action} is logged");
    }
});

both_stores!(the_log_downloads_as_excel_with_its_filters, |app: TestApp| async move {
    let admin = app.tenant().await;
    for name in ["first", "second"] {
        let made = admin.create(admin.create_body(name, &[])).await;
        // Settled, so that the worker adds nothing to the log while the test compares it.
        admin.settled(made["id"].as_str().expect("id")).await;
    }
    let listed = walk(&admin, "?action=havip.create", 50).await;
    let response = admin.get("/operations/export.xlsx?action=havip.create&lang=en&utc_offset=480").await;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().expect("header").to_owned();
    assert!(disposition.contains("filename=\"operations-") && disposition.ends_with(".xlsx\""), "{disposition}");
    let rows = read_rows(&response.bytes().await.expect("bytes"));
    assert_eq!(rows[0], ["Time", "User", "Action", "Resource ID", "Outcome", "Detail", "Request ID"]);
    assert_eq!(rows.len(), listed.len() + 1, "one row per entry the filter selects");
    for (row, entry) in rows[1..].iter().zip(&listed) {
        assert_eq!(row[1], admin.username);
        assert_eq!(row[2], "Create HAVIP");
        assert_eq!(row[3], entry["resource_id"].as_str().expect("resource"));
        assert_eq!(row[4], "Accepted");
        assert_eq!(row[6], entry["request_id"].as_str().expect("request"));
    }
    // In Chinese by the console's cookie, and the whole log without filters.
    let zh = app
        .http
        .get(app.url("/api/v1/operations/export.xlsx"))
        .bearer_auth(&admin.token)
        .header(COOKIE, "havip_lang=zh")
        .send()
        .await
        .expect("get");
    let rows = read_rows(&zh.bytes().await.expect("bytes"));
    assert_eq!(rows[0][0], "时间");
    assert_eq!(rows.len(), walk(&admin, "", 200).await.len() + 1);
});
