//! The test harness: a server on port 0 with its own database (SQLite in a temporary
//! directory, or a fresh database on the throwaway Postgres cluster), tenants with users,
//! tokens and inventory, and an HTTP client that speaks to it like any client would.

pub mod ovn;
pub mod process;

use testkit::postgres;

use app::domain::caller::Role;
use app::domain::inventory::InventoryDocument;
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};
use server::service::Backend;
use server::settings::Settings;
use server::startup::Application;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    Postgres,
}

/// Runs a test body on both stores: `both_stores!(name, |app| async move { ... });`
#[macro_export]
macro_rules! both_stores {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let app = $crate::support::TestApp::spawn($crate::support::Store::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let app = $crate::support::TestApp::spawn($crate::support::Store::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

/// A database of its own for one test.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A database the test made itself (on a cluster of its own, say).
    pub fn at(url: String) -> TestDatabase {
        TestDatabase { url, _dir: None }
    }

    pub async fn new(store: Store) -> TestDatabase {
        match store {
            Store::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                TestDatabase { url: format!("sqlite:{}", dir.path().join("havip.db").display()), _dir: Some(dir) }
            }
            Store::Postgres => TestDatabase { url: postgres::fresh_database().await, _dir: None },
        }
    }
}

pub struct TestApp {
    pub address: SocketAddr,
    pub backend: Arc<Backend>,
    pub db: TestDatabase,
    pub http: Client,
    stop: Option<oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    pub async fn spawn(store: Store) -> TestApp {
        TestApp::spawn_with(store, |_| {}).await
    }

    /// A server whose settings the test adjusts first.
    pub async fn spawn_with(store: Store, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let db = TestDatabase::new(store).await;
        TestApp::spawn_on(db, adjust).await
    }

    pub async fn spawn_on(db: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = Settings::for_database(db.url.clone());
        settings.max_connections = 16;
        adjust(&mut settings);
        let application = Application::build(settings, "127.0.0.1:0").await.expect("build the server");
        let address = application.address();
        let backend = application.backend();
        let (stop, stopped) = oneshot::channel::<()>();
        let running = tokio::spawn(async move {
            application
                .run(async move {
                    let _ = stopped.await;
                })
                .await
                .expect("server run");
        });
        TestApp { address, backend, db, http: client(), stop: Some(stop), running: Some(running) }
    }

    /// Stops the server gracefully (requests finish, the worker stops).
    pub async fn stop(mut self) -> TestDatabase {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            let _ = running.await;
        }
        std::mem::replace(&mut self.db, TestDatabase { url: String::new(), _dir: None })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A tenant with an admin user, an API token and the standard inventory.
    pub async fn tenant(&self) -> Tenant {
        self.tenant_with(&standard_inventory(&unique("t"))).await
    }

    pub async fn tenant_with(&self, inventory: &InventoryDocument) -> Tenant {
        let name = unique("tenant");
        let username = unique("user");
        self.backend.create_user(&name, &username, PASSWORD, Role::Admin).await.expect("create user");
        let tenant_id = self.backend.ensure_tenant(&name).await.expect("tenant");
        self.backend.import_inventory(&tenant_id, None, inventory).await.expect("import inventory");
        let (_, token) = self.backend.create_token(&username).await.expect("token");
        Tenant { name, username, token, inventory: inventory.clone(), base: self.url(""), http: self.http.clone() }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub const PASSWORD: &str = "correct horse battery";

pub fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    let bytes: [u8; 5] = rand::random();
    format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// A user of a tenant with its token, and what its inventory holds.
#[derive(Clone)]
pub struct Tenant {
    pub name: String,
    pub username: String,
    pub token: String,
    pub inventory: InventoryDocument,
    base: String,
    http: Client,
}

impl Tenant {
    /// The same user, speaking to another server (a second process on the same database).
    pub fn at(&self, base: &str) -> Tenant {
        Tenant { base: base.to_owned(), ..self.clone() }
    }

    /// Another user of the same tenant, by its token.
    pub fn with_token(&self, token: String) -> Tenant {
        Tenant { token, ..self.clone() }
    }

    /// Another user of the same tenant, by its name and token.
    pub fn as_user(&self, username: String, token: String) -> Tenant {
        Tenant { username, token, ..self.clone() }
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}/api/v1{path}", self.base)).bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path).json(body).send().await.expect("request")
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path).json(body).send().await.expect("request")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path).send().await.expect("request")
    }

    /// The i-th VPC, subnet of it, and VM of the standard inventory.
    pub fn vpc(&self, i: usize) -> String {
        self.inventory.vpcs[i].id.clone()
    }

    pub fn subnet(&self, vpc: usize, i: usize) -> String {
        self.inventory.vpcs[vpc].subnets[i].id.clone()
    }

    pub fn vms_of_subnet(&self, subnet: &str) -> Vec<String> {
        self.inventory.vms.iter().filter(|vm| vm.subnet_id == subnet).map(|vm| vm.id.clone()).collect()
    }

    /// Creates a HAVIP in the first subnet and answers its JSON (status `creating`).
    pub async fn create(&self, body: Value) -> Value {
        let response = self.post("/havips", &body).await;
        let status = response.status();
        let json: Value = response.json().await.expect("json");
        assert_eq!(status, 202, "create answered {json}");
        json
    }

    /// A create body in the first subnet with the given name and VMs.
    pub fn create_body(&self, name: &str, vms: &[String]) -> Value {
        json!({ "name": name, "vpc_id": self.vpc(0), "subnet_id": self.subnet(0, 0), "vm_ids": vms })
    }

    /// Waits until the HAVIP leaves `creating`/`deleting`; answers its last state (None: gone).
    pub async fn settled(&self, id: &str) -> Option<Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let response = self.get(&format!("/havips/{id}")).await;
            if response.status() == 404 {
                return None;
            }
            let havip: Value = response.json().await.expect("json");
            let status = havip["status"].as_str().unwrap_or_default().to_owned();
            if status != "creating" && status != "deleting" {
                return Some(havip);
            }
            assert!(std::time::Instant::now() < deadline, "{id} did not settle: {havip}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub async fn list(&self, query: &str) -> Value {
        let response = self.get(&format!("/havips?{query}")).await;
        assert_eq!(response.status(), 200, "list {query}");
        response.json().await.expect("json")
    }
}

/// Two VPCs; the first has a /24 and a /28 subnet, the second one /24; six VMs in the first
/// subnet, two in the /28, two in the second VPC. IDs carry a unique stem.
pub fn standard_inventory(stem: &str) -> InventoryDocument {
    let s = stem.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let mut vms = Vec::new();
    for i in 0..6 {
        vms.push(json!({"id": format!("vm-{s}a{i}"), "name": format!("web-{i}-{s}"), "subnet_id": format!("subnet-{s}a0"), "ip": format!("10.1.1.{}", 100 + i)}));
    }
    for i in 0..2 {
        vms.push(json!({"id": format!("vm-{s}b{i}"), "name": format!("small-{i}-{s}"), "subnet_id": format!("subnet-{s}a1"), "ip": format!("10.1.2.{}", 2 + i)}));
    }
    for i in 0..2 {
        vms.push(json!({"id": format!("vm-{s}c{i}"), "name": format!("other-{i}-{s}"), "subnet_id": format!("subnet-{s}c0"), "ip": format!("10.9.1.{}", 10 + i)}));
    }
    serde_json::from_value(json!({
        "projects": [{"name": "ops"}],
        "vpcs": [
            {"id": format!("vpc-{s}a"), "name": format!("main-{s}"), "cidr": "10.1.0.0/16", "project": "ops", "subnets": [
                {"id": format!("subnet-{s}a0"), "name": "big", "cidr": "10.1.1.0/24", "gateway": "10.1.1.1"},
                {"id": format!("subnet-{s}a1"), "name": "tiny", "cidr": "10.1.2.0/28", "gateway": "10.1.2.1"}
            ]},
            {"id": format!("vpc-{s}c"), "name": format!("other-{s}"), "cidr": "10.9.0.0/16", "subnets": [
                {"id": format!("subnet-{s}c0"), "name": "other", "cidr": "10.9.1.0/24", "gateway": "10.9.1.1"}
            ]}
        ],
        "vms": vms
    }))
    .expect("standard inventory")
}

/// Asserts an error answer: its status and code, and that it is the §5 shape.
pub async fn assert_error(response: Response, status: u16, code: &str) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!((actual, body["error"]["code"].as_str().unwrap_or_default()), (status, code), "answer: {body}");
    assert!(body["error"]["message"].is_string(), "error without a message: {body}");
    body
}
