//! API tokens that users make and revoke for themselves (product.md §6).

use crate::both_stores;
use crate::security::{cookie_pair, login, session_cookie};
use crate::support::{PASSWORD, TestApp, assert_error, unique};
use app::domain::caller::Role;
use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::Value;

/// The session cookie of a user who signed in, as the console has it.
async fn session_of(app: &TestApp, username: &str) -> String {
    let response = login(app, username, PASSWORD, &[]).await;
    assert_eq!(response.status(), 200);
    cookie_pair(&session_cookie(response.headers()))
}

/// Makes a token from a signed-in session, as the console does; answers the new token.
async fn make_token(app: &TestApp, cookie: &str) -> Value {
    let made = app.http.post(app.url("/api/v1/tokens")).header(COOKIE, cookie).send().await.expect("post");
    assert_eq!(made.status(), 201);
    made.json().await.expect("json")
}

both_stores!(a_user_makes_lists_and_revokes_its_own_tokens, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let made = make_token(&app, &session_of(&app, &tenant.username).await).await;
    let (id, secret) = (made["id"].as_str().expect("id").to_owned(), made["token"].as_str().expect("token").to_owned());
    assert!(id.starts_with("tok-") && secret.starts_with("havip_"), "{made}");
    assert!(made["created_at"].as_str().is_some_and(|at| at.ends_with('Z')), "{made}");

    // The new token acts as the user, but makes no tokens: a leaked one must not outlive its
    // revocation through others it made.
    let scripted = tenant.with_token(secret.clone());
    assert_eq!(scripted.get("/havips").await.status(), 200);
    assert_error(scripted.request(Method::POST, "/tokens").send().await.expect("post"), 403, "Forbidden").await;
    let through_server_fn = app
        .http
        .post(app.url("/api/fn/create_api_token"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({"name": "made by a token"}))
        .send()
        .await;
    assert_eq!(through_server_fn.expect("fn").status(), 403);

    // Listed without its secret, beside the token the user had.
    let listed: Value = scripted.get("/tokens").await.json().await.expect("json");
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().any(|token| token["id"] == id.as_str()));
    assert!(listed.iter().all(|token| token.get("token").is_none()), "no secret in the list: {listed:?}");

    // Revoked, it is refused at once; revoking it again finds nothing.
    assert_eq!(tenant.delete(&format!("/tokens/{id}")).await.status(), 204);
    assert_error(scripted.get("/havips").await, 401, "Unauthenticated").await;
    assert_error(tenant.delete(&format!("/tokens/{id}")).await, 404, "NotFound").await;
    let left: Value = tenant.get("/tokens").await.json().await.expect("json");
    assert_eq!(left.as_array().map(Vec::len), Some(1));
});

both_stores!(nobody_revokes_or_sees_another_users_tokens, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let stranger = app.tenant().await;
    // A member of the same tenant is another user too.
    let colleague_name = unique("colleague");
    app.backend.create_user(&tenant.name, &colleague_name, PASSWORD, Role::Member).await.expect("user");
    let (_, colleague_token) = app.backend.create_token(&colleague_name).await.expect("token");
    let colleague = tenant.with_token(colleague_token);

    let made = make_token(&app, &session_of(&app, &tenant.username).await).await;
    let id = made["id"].as_str().expect("id");
    let mine = tenant.with_token(made["token"].as_str().expect("token").to_owned());
    for other in [&stranger, &colleague] {
        assert_error(other.delete(&format!("/tokens/{id}")).await, 404, "NotFound").await;
        let theirs: Value = other.get("/tokens").await.json().await.expect("json");
        assert!(theirs.as_array().expect("list").iter().all(|token| token["id"] != id), "{theirs}");
    }
    assert_eq!(mine.get("/havips").await.status(), 200, "still valid");
    // Without credentials, nothing.
    let anonymous = crate::support::client().get(app.url("/api/v1/tokens")).send().await.expect("get");
    assert_error(anonymous, 401, "Unauthenticated").await;
});

both_stores!(tokens_have_names_and_say_when_they_were_last_used, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let cookie = session_of(&app, &tenant.username).await;
    let post = |body: Option<Value>| {
        let request = app.http.post(app.url("/api/v1/tokens")).header(COOKIE, &cookie);
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
        .send()
    };
    let named: Value =
        post(Some(serde_json::json!({"name": "  ci deploy "}))).await.expect("post").json().await.expect("json");
    assert_eq!(named["name"], "ci deploy", "trimmed");
    let unnamed: Value = post(None).await.expect("post").json().await.expect("json");
    assert!(
        unnamed["name"].as_str().is_some_and(|name| name.starts_with("token 20")),
        "named after the day: {unnamed}"
    );
    for bad in [
        serde_json::json!({"name": ""}),
        serde_json::json!({"name": "a\nb"}),
        serde_json::json!({"name": "x".repeat(65)}),
    ] {
        let refused = assert_error(post(Some(bad.clone())).await.expect("post"), 422, "InvalidTokenName").await;
        assert_eq!(refused["error"]["field"], "name", "{bad}");
    }
    assert_error(post(Some(serde_json::json!({"label": "x"}))).await.expect("post"), 400, "InvalidParameter").await;
    // JSON null is no body (the document allows it); a body that is not JSON is refused.
    assert_eq!(post(Some(Value::Null)).await.expect("post").status(), 201);
    let untyped =
        app.http.post(app.url("/api/v1/tokens")).header(COOKIE, &cookie).body("{\"name\": \"x\"}").send().await;
    assert_error(untyped.expect("post"), 400, "InvalidParameter").await;

    // Listed with its name and never used; once a request comes with it, the list says when.
    let id = named["id"].as_str().expect("id").to_owned();
    let listed = |tokens: &Value| tokens.as_array().expect("list").iter().find(|t| t["id"] == id.as_str()).cloned();
    let before = listed(&tenant.get("/tokens").await.json().await.expect("json")).expect("listed");
    assert_eq!((before["name"].as_str(), &before["last_used_at"]), (Some("ci deploy"), &Value::Null));
    let script = tenant.with_token(named["token"].as_str().expect("secret").to_owned());
    assert_eq!(script.get("/havips").await.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let now = listed(&tenant.get("/tokens").await.json().await.expect("json")).expect("listed");
        if now["last_used_at"].as_str().is_some_and(|at| at.ends_with('Z')) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the use was never written: {now}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
});
