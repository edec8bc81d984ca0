//! The API's contract with its clients: every JSON body is an object of the fields the operation
//! takes (an array in its place is refused and changes nothing, on REST and in the console's
//! server functions).

use crate::both_stores;
use crate::security::{cookie_pair, login, session_cookie};
use crate::support::{PASSWORD, Tenant, TestApp, assert_error};
use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

/// What a body could change: the HAVIP, the list, the VMs (bindings and inventory), the tokens.
async fn snapshot(tenant: &Tenant, id: &str) -> Value {
    let mut state = json!({});
    for path in [format!("/havips/{id}"), "/havips".to_owned(), "/vms".to_owned(), "/tokens".to_owned()] {
        let response = tenant.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        state[path] = response.json().await.expect("json");
    }
    state
}

/// An available HAVIP bound to the first VM of the first subnet.
async fn bound_havip(tenant: &Tenant) -> String {
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let created = tenant.create(tenant.create_body("shape-vip", &vms[..1])).await;
    let id = created["id"].as_str().expect("id").to_owned();
    tenant.settled(&id).await.expect("settled");
    id
}

both_stores!(an_array_in_place_of_an_object_is_refused_on_every_rest_body, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let id = bound_havip(&tenant).await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let before = snapshot(&tenant, &id).await;
    let (vpc, subnet) = (tenant.vpc(0), tenant.subnet(0, 0));
    let cases = [
        (Method::POST, "/havips".to_owned(), json!(["array-body-vip", null, vpc, subnet])),
        (Method::POST, "/havips".to_owned(), json!(["a", null, vpc, subnet, null, [], null, "extra"])),
        (Method::PATCH, format!("/havips/{id}"), json!(["renamed", "remark"])),
        (Method::POST, format!("/havips/{id}/vms"), json!([vms[1]])),
        (Method::POST, "/havips/batch-delete".to_owned(), json!([[id]])),
        (Method::PUT, "/admin/inventory".to_owned(), json!([[], [], []])),
        // A struct nested in an object is an object too.
        (Method::PUT, "/admin/inventory".to_owned(), json!({"vpcs": [[vpc, "v", "10.1.0.0/16", null, []]]})),
    ];
    for (method, path, body) in cases {
        let response = tenant.request(method.clone(), &path).json(&body).send().await.expect("request");
        let answer = assert_error(response, 400, "InvalidParameter").await;
        assert_eq!(answer["error"]["field"], "body", "{method} {path}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("expected a JSON object"), "{method} {path}: {message}");
        assert!(!message.contains("Request") && !message.contains("Entry"), "internal names: {message}");
    }
    assert_eq!(snapshot(&tenant, &id).await, before, "nothing changed");
});

both_stores!(an_array_in_place_of_an_object_is_refused_by_every_server_function, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let id = bound_havip(&tenant).await;
    let cookie = cookie_pair(&session_cookie(login(&app, &tenant.username, PASSWORD, &[]).await.headers()));
    let before = snapshot(&tenant, &id).await;
    let (vpc, subnet) = (tenant.vpc(0), tenant.subnet(0, 0));
    let calls = [
        ("list_havips", json!([{"q": null}])),
        ("list_havips", json!({"query": [null, [], null, null, null, null, "name", "asc", 1, 20]})),
        ("inventory", json!([])),
        ("vms", json!([vpc])),
        ("create_havip", json!([{"name": "a", "vpc_id": vpc, "subnet_id": subnet}, null])),
        ("create_havip", json!({"request": ["array-body-vip", null, vpc, subnet], "idempotency_key": null})),
        ("update_havip", json!([id, {"name": "renamed"}])),
        ("update_havip", json!({"id": id, "request": ["renamed", null, null, null]})),
        ("delete_havips", json!([[id]])),
        ("api_tokens", json!([])),
        ("create_api_token", json!([])),
        ("revoke_api_token", json!(["tok-aaaaaaaaaaaa"])),
        ("whoami", json!([])),
        ("login", json!([tenant.username, PASSWORD])),
        ("logout", json!([])),
    ];
    for (function, body) in calls {
        let answer = app
            .http
            .post(app.url(&format!("/api/fn/{function}")))
            .header(COOKIE, &cookie)
            .json(&body)
            .send()
            .await
            .expect("server function");
        assert_eq!(answer.status(), 400, "{function} {body}");
        let error: app::domain::AppError = answer.json().await.expect("typed error");
        assert_eq!(error.code, app::domain::ErrorCode::InvalidParameter, "{function}");
        assert!(error.detail.unwrap_or_default().contains("expected a JSON object"), "{function}");
    }
    assert_eq!(snapshot(&tenant, &id).await, before, "nothing changed");
    let whoami = app.http.post(app.url("/api/fn/whoami")).header(COOKIE, &cookie).json(&json!({})).send().await;
    let profile: Value = whoami.expect("whoami").json().await.expect("json");
    assert_eq!(profile["username"], tenant.username.as_str(), "the refused logout left the session alone");
});

both_stores!(an_attach_names_its_one_vm_field, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let id = bound_havip(&tenant).await;
    let response = tenant.post(&format!("/havips/{id}/vms"), &json!({"vm_id": "vm-zzzzzzzz"})).await;
    let answer = assert_error(response, 422, "InvalidVm.NotFound").await;
    assert_eq!(answer["error"]["field"], "vm_id");
    let list = tenant.get("/havips?vm_id=vm-%01x").await;
    let answer = assert_error(list, 400, "InvalidParameter").await;
    assert_eq!(answer["error"]["field"], "vm_id");
});
