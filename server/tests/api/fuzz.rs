//! Fuzzing the whole API from its OpenAPI document: every operation gets many requests with
//! random and hostile path parameters, query parameters, headers and bodies. Bodies use the
//! schema's field names with values of random types (or of the right type with hostile
//! content), so that both shape errors and the rules behind them are reached. No answer may be
//! a 500, and every error must be the §5 body.

use crate::both_stores;
use crate::support::{Tenant, TestApp};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

/// Requests per operation and store.
const CASES: usize = 100;

/// Texts that tend to break things: IDs that exist or not, broken addresses, markup, SQL,
/// control characters, the very long and the empty.
fn hostile_strings(known: &[String]) -> Vec<String> {
    let mut pool: Vec<String> = [
        "",
        " ",
        "x",
        "havip-doesnotexist",
        "vm-zzzzzzzz",
        "vpc-zzzzzzzz",
        "subnet-zzzzzzzz",
        "proj-zzzzzzzz",
        "10.0.0.256",
        "010.0.0.1",
        " 10.0.0.5 ",
        "::1",
        "10.1.1.77",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\"; DROP TABLE havips; --",
        "%00",
        "%",
        "_",
        "\\",
        "\u{0}",
        "\n",
        "名字",
        "😀",
        "-1",
        "0",
        "1e309",
        "null",
        "available",
        "deleting",
        "created_at",
        "asc",
        "en",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    pool.push("a".repeat(300));
    pool.extend(known.iter().cloned());
    pool
}

fn random_scalar(rng: &mut StdRng, strings: &[String]) -> Value {
    match rng.gen_range(0..8) {
        0 => Value::Null,
        1 => json!(rng.gen_bool(0.5)),
        2 => json!([-1i64, 0, 1, 3, 100, 101, i64::MAX, i64::MIN].choose(rng).copied().unwrap_or(0)),
        3 => json!(rng.gen_range(-1.0e6..1.0e6)),
        _ => json!(strings.choose(rng).cloned().unwrap_or_default()),
    }
}

fn random_value(rng: &mut StdRng, strings: &[String], depth: u32) -> Value {
    match (rng.gen_range(0..10), depth) {
        (0, d) if d < 2 => Value::Array((0..rng.gen_range(0..5)).map(|_| random_value(rng, strings, d + 1)).collect()),
        (1, d) if d < 2 => {
            let mut object = Map::new();
            for _ in 0..rng.gen_range(0..4) {
                object.insert(strings.choose(rng).cloned().unwrap_or_default(), random_value(rng, strings, d + 1));
            }
            Value::Object(object)
        }
        _ => random_scalar(rng, strings),
    }
}

/// A body shaped by the schema: its properties, each with a value of its own type or of any
/// type, some left out, sometimes one unknown field more.
fn random_body(rng: &mut StdRng, doc: &Value, schema: &Value, strings: &[String], depth: u32) -> Value {
    let schema = resolve(doc, schema);
    if rng.gen_range(0..12) == 0 || depth > 3 {
        return random_value(rng, strings, 0);
    }
    match schema["type"].as_str() {
        Some("object") | None if schema["properties"].is_object() => {
            let mut object = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                if rng.gen_range(0..5) > 0 {
                    object.insert(name.clone(), random_body(rng, doc, property, strings, depth + 1));
                }
            }
            if rng.gen_range(0..8) == 0 {
                object.insert("unexpected".into(), random_value(rng, strings, 0));
            }
            Value::Object(object)
        }
        Some("array") => Value::Array(
            (0..rng.gen_range(0..5)).map(|_| random_body(rng, doc, &schema["items"], strings, depth + 1)).collect(),
        ),
        Some("string") => json!(strings.choose(rng).cloned().unwrap_or_default()),
        Some("integer") | Some("number") => random_scalar(rng, strings),
        _ => random_value(rng, strings, 0),
    }
}

/// Follows `$ref`s and takes the first alternative of `oneOf`/`anyOf` (nullable fields).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return resolve(doc, &doc["components"]["schemas"][name]);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) =
            schema[key].as_array().and_then(|alternatives| alternatives.iter().find(|s| s["type"] != "null"))
        {
            return resolve(doc, first);
        }
    }
    schema
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn fuzz_every_operation(app: &TestApp, tenant: &Tenant, known: Vec<String>, seed: u64) {
    let doc: Value =
        app.http.get(app.url("/api/v1/openapi.json")).send().await.expect("document").json().await.expect("json");
    let strings = hostile_strings(&known);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut requests = 0;
    for (template, operations) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let method: reqwest::Method = method.to_uppercase().parse().expect("method");
            for _ in 0..CASES {
                let mut path = template.replace("/api/v1", "");
                let mut query = Vec::new();
                let mut headers = Vec::new();
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let name = parameter["name"].as_str().unwrap_or_default();
                    let value = strings.choose(&mut rng).cloned().unwrap_or_default();
                    match parameter["in"].as_str() {
                        Some("path") => path = path.replace(&format!("{{{name}}}"), &encode(&value)),
                        Some("query") if rng.gen_bool(0.6) => query.push(format!("{name}={}", encode(&value))),
                        Some("header")
                            if rng.gen_bool(0.5) && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ') =>
                        {
                            headers.push((name.to_owned(), value))
                        }
                        _ => {}
                    }
                }
                if !query.is_empty() {
                    path = format!("{path}?{}", query.join("&"));
                }
                let mut request = tenant.request(method.clone(), &path);
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                let body_schema = &operation["requestBody"]["content"]["application/json"]["schema"];
                if !body_schema.is_null() {
                    request = request.json(&random_body(&mut rng, &doc, body_schema, &strings, 0));
                }
                let response = request.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
                let status = response.status().as_u16();
                let body = response.bytes().await.unwrap_or_default();
                assert_ne!(status, 500, "{method} {path} answered 500: {}", String::from_utf8_lossy(&body));
                if status >= 400 {
                    let error: Value =
                        serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {status}"));
                    assert!(
                        error["error"]["code"].is_string() && error["error"]["message"].is_string(),
                        "{method} {path}: {error}"
                    );
                }
                requests += 1;
            }
        }
    }
    assert!(requests >= 14 * CASES, "every operation was fuzzed");
}

both_stores!(no_operation_answers_500, |app: TestApp| async move {
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let vms = tenant.vms_of_subnet(&tenant.subnet(0, 0));
    let mine = tenant.create(tenant.create_body("fuzz-target", &vms[..1])).await;
    let theirs = other.create(other.create_body("not-yours", &[])).await;
    let id = |h: &Value| h["id"].as_str().unwrap_or_default().to_owned();
    tenant.settled(&id(&mine)).await;
    let known = vec![id(&mine), id(&theirs), vms[1].clone(), tenant.vpc(0), tenant.subnet(0, 0), other.vpc(0)];
    fuzz_every_operation(&app, &tenant, known, 7).await;
    // Whatever the fuzzing did, the other tenant's HAVIP is untouched.
    assert_eq!(other.get(&format!("/havips/{}", id(&theirs))).await.status(), 200);
});

both_stores!(what_axum_refuses_itself_comes_in_the_error_shape, |app: TestApp| async move {
    use crate::support::assert_error;
    let tenant = app.tenant().await;
    assert_error(tenant.get("/havips/%FF%FE").await, 400, "InvalidParameter").await;
    let vpc = tenant.vpc(0);
    assert_error(tenant.get(&format!("/subnets?vpc_id={vpc}&vpc_id={vpc}")).await, 400, "InvalidParameter").await;
    let put = tenant.request(reqwest::Method::PUT, "/havips").json(&json!({})).send().await.expect("put");
    assert_eq!(put.status(), 405);
    assert!(put.headers().contains_key("allow"), "405 says what is allowed");
    let body: Value = put.json().await.expect("the §5 body");
    assert_eq!(body["error"]["code"], "InvalidParameter", "{body}");
});

both_stores!(a_nul_byte_in_an_id_is_an_unknown_id, |app: TestApp| async move {
    use crate::security::{cookie_pair, login, session_cookie};
    use crate::support::{PASSWORD, assert_error};
    use reqwest::Method;
    // Postgres refuses to compare text holding a NUL; no ID holds one, so every such ID is one
    // that does not exist, and a filter by it selects nothing. None is a 400 for the body.
    let tenant = app.tenant().await;
    let vm = tenant.vms_of_subnet(&tenant.subnet(0, 0))[0].clone();
    let nul = "x%00y";
    let answers = [
        (Method::GET, format!("/havips/{nul}")),
        (Method::PATCH, format!("/havips/{nul}")),
        (Method::DELETE, format!("/havips/{nul}")),
        (Method::DELETE, format!("/havips/{nul}/vms/{vm}")),
        (Method::GET, format!("/havips/{nul}/events")),
        (Method::GET, format!("/havips/{nul}/keepalived.conf?vm_id={vm}")),
        (Method::DELETE, format!("/tokens/{nul}")),
        (Method::PATCH, format!("/users/{nul}")),
        (Method::DELETE, format!("/users/{nul}")),
        (Method::POST, format!("/users/{nul}/password")),
    ];
    for (method, path) in answers {
        let response = tenant.request(method.clone(), &path).json(&json!({})).send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        assert!(!body.contains("cannot be stored"), "{method} {path}: {status} {body}");
        assert!(matches!(status, 404 | 422), "{method} {path}: {status} {body}");
    }
    // Agent tokens are made from a signed-in session only.
    let signed_in = login(&app, &tenant.username, PASSWORD, &[]).await;
    let cookie = cookie_pair(&session_cookie(signed_in.headers()));
    let url = app.url(&format!("/api/v1/vms/{nul}/agent-tokens"));
    let agent_token = app.http.post(url).header(reqwest::header::COOKIE, cookie).send().await.expect("post");
    assert_error(agent_token, 404, "NotFound").await;
    for picker in ["/vms", "/subnets"] {
        let none: Vec<Value> = tenant.get(&format!("{picker}?vpc_id={nul}")).await.json().await.expect("json");
        assert!(none.is_empty(), "{picker}");
    }
});
