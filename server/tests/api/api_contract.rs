//! The API's contract with its clients: every JSON body is an object of the fields the operation
//! takes (an array in its place is refused and changes nothing, on REST and in the console's
//! server functions), and the OpenAPI document says every status and limit the server enforces.

use crate::both_stores;
use crate::security::{cookie_pair, login, session_cookie};
use crate::support::{PASSWORD, Tenant, TestApp, assert_error};
use app::domain::input::MAX_BATCH_DELETE;
use app::domain::list_query::{MAX_PAGE, MAX_PAGE_SIZE, MAX_PAGE_TOKEN_CHARS, MAX_QUERY_CHARS};
use app::domain::operations::MAX_LIMIT as MAX_OPERATIONS_LIMIT;
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
    let users: Value = tenant.get("/users").await.json().await.expect("users");
    let user = users[0]["id"].as_str().expect("the admin").to_owned();
    let cases = [
        (Method::POST, "/havips".to_owned(), json!(["array-body-vip", null, vpc, subnet])),
        (Method::POST, "/havips".to_owned(), json!(["a", null, vpc, subnet, null, [], null, "extra"])),
        (Method::PATCH, format!("/havips/{id}"), json!(["renamed", "remark"])),
        (Method::POST, format!("/havips/{id}/vms"), json!([vms[1]])),
        (Method::POST, "/havips/batch-delete".to_owned(), json!([[id]])),
        (Method::PUT, "/admin/inventory".to_owned(), json!([[], [], []])),
        // A struct nested in an object is an object too.
        (Method::PUT, "/admin/inventory".to_owned(), json!({"vpcs": [[vpc, "v", "10.1.0.0/16", null, []]]})),
        (Method::POST, "/users".to_owned(), json!(["array-user", "admin", "a password 1"])),
        (Method::PATCH, format!("/users/{user}"), json!(["member", true])),
        (Method::POST, format!("/users/{user}/password"), json!(["a password 1"])),
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
    assert_eq!(tenant.get("/users").await.json::<Value>().await.expect("users"), users, "no user changed");
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
        ("havip", json!([id])),
        ("havip_events", json!([id, null])),
        ("keepalived_config", json!([id, "vm-aaaaaaaa", null])),
        ("create_agent_token", json!(["vm-aaaaaaaa"])),
        ("ha_alarms", json!([])),
        ("tenant_revision", json!([])),
        ("api_tokens", json!([])),
        ("create_api_token", json!([])),
        ("revoke_api_token", json!(["tok-aaaaaaaaaaaa"])),
        ("users", json!([])),
        ("create_user", json!([{"username": "array-user", "role": "admin"}])),
        ("create_user", json!({"request": ["array-user", "admin", null]})),
        ("update_user", json!({"id": "user-aaaaaaaaaaaa", "request": ["member", true]})),
        ("reset_password", json!({"id": "user-aaaaaaaaaaaa", "request": ["a password 1"]})),
        ("delete_user", json!(["user-aaaaaaaaaaaa"])),
        ("operations", json!({"query": [null, null, null, "havip.create", null, null, null, 50]})),
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

/// The document's parameter `name` of an operation.
fn parameter<'a>(operation: &'a Value, name: &str) -> &'a Value {
    operation["parameters"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

/// Every `$ref` in `value`, with where it stands.
fn references(value: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push((at.to_owned(), target.clone())),
                    _ => references(inner, &format!("{at}/{key}"), found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, at, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_says_every_status_and_limit_the_server_enforces() {
    let app = TestApp::spawn(crate::support::Store::Sqlite).await;
    let document: Value =
        app.http.get(app.url("/api/v1/openapi.json")).send().await.expect("doc").json().await.expect("json");
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let responses = operation["responses"].as_object().expect("responses");
            let says = |status: &str| responses.contains_key(status);
            let what = format!("{method} {path}");
            assert!(says("401") && says("503"), "{what}: every operation needs a caller and a database");
            assert!(says("403"), "{what}: any operation refuses an agent token off its routes");
            let has_body = operation.get("requestBody").is_some();
            let has_parameters = operation["parameters"].as_array().is_some_and(|p| !p.is_empty());
            assert_eq!(says("400"), has_body || has_parameters, "{what}: 400 exactly where there is input");
            assert_eq!(says("413"), has_body, "{what}: 413 where there is a body");
            assert_eq!(says("404"), path.contains('{'), "{what}: 404 where the path names a resource");
            operations += 1;
        }
    }
    assert_eq!(operations, 30, "every operation was looked at");
    let mut refs = Vec::new();
    references(&document, "", &mut refs);
    for (at, target) in refs {
        let name = target.strip_prefix("#/components/schemas/").unwrap_or_default();
        assert!(document["components"]["schemas"].get(name).is_some(), "{at} refers to {target}, which is not there");
    }

    let list = &document["paths"]["/api/v1/havips"]["get"];
    let schema = |name: &str| parameter(list, name)["schema"].clone();
    assert_eq!(schema("page")["minimum"], 1);
    assert_eq!(schema("page")["maximum"], u64::from(MAX_PAGE));
    assert_eq!(schema("page_size")["minimum"], 1);
    assert_eq!(schema("page_size")["maximum"], u64::from(MAX_PAGE_SIZE));
    assert_eq!(schema("q")["maxLength"], MAX_QUERY_CHARS as u64);
    assert_eq!(schema("page_token")["maxLength"], MAX_PAGE_TOKEN_CHARS as u64);
    assert_eq!(schema("page_token")["format"], "page-token");
    let components = &document["components"]["schemas"];
    assert_eq!(components["SortKey"]["enum"], json!(["created_at", "name", "ip"]));
    assert_eq!(components["SortOrder"]["enum"], json!(["asc", "desc"]));
    assert_eq!(parameter(list, "status")["explode"], true);
    let export = &document["paths"]["/api/v1/havips/export.xlsx"]["get"];
    assert_eq!(parameter(export, "utc_offset")["schema"]["minimum"], -840);
    assert_eq!(parameter(export, "utc_offset")["schema"]["maximum"], 840);
    let ids = &components["BatchDeleteRequest"]["properties"]["ids"];
    assert_eq!((ids["minItems"].clone(), ids["maxItems"].clone()), (json!(1), json!(MAX_BATCH_DELETE)));
    let log = &document["paths"]["/api/v1/operations"]["get"];
    assert_eq!(parameter(log, "limit")["schema"]["maximum"], MAX_OPERATIONS_LIMIT);
    assert_eq!(components["Role"]["enum"], json!(["admin", "member"]));
    let key = parameter(&document["paths"]["/api/v1/havips"]["post"], "Idempotency-Key");
    assert_eq!((key["schema"]["minLength"].clone(), key["schema"]["maxLength"].clone()), (json!(1), json!(255)));
}

both_stores!(the_limits_the_document_gives_are_the_servers, |app: TestApp| async move {
    let tenant = app.tenant().await;
    for query in ["page=0", "page=2147483648", "page_size=0", "page_size=101", "status=", "status=available,failed"] {
        assert_error(tenant.get(&format!("/havips?{query}")).await, 400, "InvalidParameter").await;
    }
    let long = format!("q={}", "x".repeat(MAX_QUERY_CHARS + 1));
    assert_error(tenant.get(&format!("/havips?{long}")).await, 400, "InvalidParameter").await;
    assert_eq!(tenant.get(&format!("/havips?page={MAX_PAGE}&page_size={MAX_PAGE_SIZE}")).await.status(), 200);
    assert_error(tenant.get("/havips/export.xlsx?utc_offset=841").await, 400, "InvalidParameter").await;
    let too_many: Vec<String> = (0..=MAX_BATCH_DELETE).map(|i| format!("havip-{i:08}")).collect();
    assert_error(tenant.post("/havips/batch-delete", &json!({"ids": too_many})).await, 400, "InvalidParameter").await;
    assert_error(tenant.post("/havips/batch-delete", &json!({"ids": []})).await, 400, "InvalidParameter").await;
    let body = tenant.create_body("keyed", &[]);
    for key in ["".to_owned(), "k".repeat(256), "with space".to_owned()] {
        let response = tenant.request(Method::POST, "/havips").header("idempotency-key", key).json(&body).send().await;
        assert_error(response.expect("create"), 400, "InvalidParameter").await;
    }
});

both_stores!(an_integer_written_with_a_fraction_of_zero_is_that_integer, |app: TestApp| async move {
    // JSON Schema's `integer` takes 2.0, and so does the server; a large one must be read to
    // the last digit, which serde_json's fast float parsing missed (2^51 - 1 came out .25 off).
    let tenant = app.tenant().await;
    let havip = tenant.create(tenant.create_body("fractions", &[])).await;
    let path = format!("/havips/{}", havip["id"].as_str().expect("id"));
    for version in ["2251799813685247.0", "9007199254740991.0", "1e15"] {
        let body = format!(r#"{{"name":"still","version":{version}}}"#);
        let answer =
            tenant.request(reqwest::Method::PATCH, &path).header("content-type", "application/json").body(body);
        crate::support::assert_error(answer.send().await.expect("patch"), 409, "VersionConflict").await;
    }
});
