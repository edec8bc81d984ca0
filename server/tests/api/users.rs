//! 用户管理 (issue 18): a tenant admin lists, creates, changes and deletes the tenant's users;
//! what takes a user's access away ends its sessions and tokens at once, in every process; the
//! tenant always keeps an enabled admin; members and other tenants get nothing.

use crate::both_stores;
use crate::identity_cache::{REMOTE_CACHE_MS, status, until, until_remote_caches};
use crate::security::{cookie_pair, login, session_cookie};
use crate::support::process::ServerProcess;
use crate::support::{PASSWORD, Store, Tenant, TestApp, assert_error, unique};
use reqwest::header::COOKIE;
use serde_json::{Value, json};

/// Makes a user of the tenant through the API; answers the user and its token (made at the
/// host, as `havip token create` does).
pub async fn add_user(app: &TestApp, admin: &Tenant, role: &str) -> (Value, Tenant) {
    let username = unique("member");
    let made = admin.post("/users", &json!({"username": username, "role": role, "password": PASSWORD})).await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.expect("json");
    assert_eq!(made["generated_password"], Value::Null, "a typed password is not answered back");
    let (_, token) = app.backend.create_token(&username).await.expect("token");
    (made["user"].clone(), admin.as_user(username, token))
}

/// The session cookie of a user who signs in with `password`, or the refusal's status.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> Result<String, u16> {
    let response = login(app, username, password, &[]).await;
    match response.status().as_u16() {
        200 => Ok(cookie_pair(&session_cookie(response.headers()))),
        other => Err(other),
    }
}

async fn with_cookie(app: &TestApp, cookie: &str) -> u16 {
    let response = app.http.get(app.url("/api/v1/havips")).header(COOKIE, cookie).send().await.expect("get");
    response.status().as_u16()
}

async fn users_of(admin: &Tenant) -> Vec<Value> {
    let listed = admin.get("/users").await;
    assert_eq!(listed.status(), 200);
    listed.json::<Value>().await.expect("json").as_array().expect("a list").clone()
}

both_stores!(an_admin_manages_the_tenants_users, |app: TestApp| async move {
    let admin = app.tenant().await;
    let (member, member_client) = add_user(&app, &admin, "member").await;
    let member_id = member["id"].as_str().expect("id").to_owned();
    assert!(member_id.starts_with("user-"), "{member}");
    assert_eq!((member["role"].as_str(), member["disabled"].as_bool()), (Some("member"), Some(false)));
    assert_eq!(member["last_login_at"], Value::Null);

    // Without a password one is generated, answered once, and works.
    let generated = admin.post("/users", &json!({"username": unique("gen"), "role": "member"})).await;
    assert_eq!(generated.status(), 201);
    let generated: Value = generated.json().await.expect("json");
    let password = generated["generated_password"].as_str().expect("a generated password");
    assert_eq!(password.chars().count(), 20);
    sign_in(&app, generated["user"]["username"].as_str().expect("name"), password).await.expect("signs in");

    // The list has every user by username, and when each last signed in.
    let session = sign_in(&app, &member_client.username, PASSWORD).await.expect("signs in");
    let listed = users_of(&admin).await;
    let names: Vec<&str> = listed.iter().filter_map(|u| u["username"].as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!((names.len(), &names), (3, &sorted));
    let listed_member = listed.iter().find(|u| u["id"] == member_id.as_str()).expect("listed");
    assert!(listed_member["last_login_at"].as_str().is_some_and(|at| at.ends_with('Z')), "{listed_member}");

    // Made an admin, the member manages users; made a member again, it does not.
    let promoted = admin.patch(&format!("/users/{member_id}"), &json!({"role": "admin"})).await;
    assert_eq!(promoted.json::<Value>().await.expect("json")["role"], "admin");
    assert_eq!(member_client.get("/users").await.status(), 200);
    assert_eq!(admin.patch(&format!("/users/{member_id}"), &json!({"role": "member"})).await.status(), 200);
    assert_error(member_client.get("/users").await, 403, "Forbidden").await;

    // Disabled: its session and its token are refused at once, and it cannot sign in.
    let disabled = admin.patch(&format!("/users/{member_id}"), &json!({"disabled": true})).await;
    assert_eq!(disabled.json::<Value>().await.expect("json")["disabled"], true);
    assert_eq!(with_cookie(&app, &session).await, 401);
    assert_error(member_client.get("/havips").await, 401, "Unauthenticated").await;
    assert_eq!(sign_in(&app, &member_client.username, PASSWORD).await, Err(401));

    // Enabled, it signs in again; its old token stays revoked.
    assert_eq!(admin.patch(&format!("/users/{member_id}"), &json!({"disabled": false})).await.status(), 200);
    let session = sign_in(&app, &member_client.username, PASSWORD).await.expect("signs in again");
    assert_eq!(member_client.get("/havips").await.status(), 401);

    // A reset password ends the sessions; the old password is refused, the new one works.
    let reset = admin.post(&format!("/users/{member_id}/password"), &json!({"password": "a new secret 1"})).await;
    assert_eq!(reset.status(), 200);
    assert_eq!(reset.json::<Value>().await.expect("json")["generated_password"], Value::Null);
    assert_eq!(with_cookie(&app, &session).await, 401);
    assert_eq!(sign_in(&app, &member_client.username, PASSWORD).await, Err(401));
    sign_in(&app, &member_client.username, "a new secret 1").await.expect("the new password works");
    let generated_reset: Value =
        admin.post(&format!("/users/{member_id}/password"), &json!({})).await.json().await.expect("json");
    let new_password = generated_reset["generated_password"].as_str().expect("generated");
    sign_in(&app, &member_client.username, new_password).await.expect("the generated password works");

    // Deleted: gone from the list, and it cannot sign in.
    assert_eq!(admin.delete(&format!("/users/{member_id}")).await.status(), 204);
    assert!(users_of(&admin).await.iter().all(|u| u["id"] != member_id.as_str()));
    assert_eq!(sign_in(&app, &member_client.username, new_password).await, Err(401));
    assert_error(admin.delete(&format!("/users/{member_id}")).await, 404, "NotFound").await;
});

both_stores!(usernames_and_passwords_follow_their_rules, |app: TestApp| async move {
    let admin = app.tenant().await;
    let other = app.tenant().await;
    let before = users_of(&admin).await;
    for (body, status, code, field) in [
        (json!({"username": "a", "role": "member"}), 422, "InvalidUsername", "username"),
        (json!({"username": "bad name", "role": "member"}), 422, "InvalidUsername", "username"),
        (json!({"username": "-dash", "role": "member"}), 422, "InvalidUsername", "username"),
        (json!({"username": "x".repeat(65), "role": "member"}), 422, "InvalidUsername", "username"),
        // Usernames are what users sign in with: unique across tenants.
        (json!({"username": other.username, "role": "member"}), 422, "InvalidUsername.AlreadyUsed", "username"),
        (json!({"username": unique("u"), "role": "member", "password": "short"}), 422, "InvalidPassword", "password"),
        (json!({"username": unique("u"), "role": "owner"}), 400, "InvalidParameter", "body"),
        (json!({"username": unique("u"), "role": "member", "admin": true}), 400, "InvalidParameter", "body"),
        (json!([unique("u"), "member"]), 400, "InvalidParameter", "body"),
    ] {
        let refused = assert_error(admin.post("/users", &body).await, status, code).await;
        assert_eq!(refused["error"]["field"], field, "{body}: {refused}");
    }
    let said = assert_error(
        admin.post("/users", &json!({"username": "bob!", "role": "member"})).await,
        422,
        "InvalidUsername",
    )
    .await;
    assert!(said["error"]["message"].as_str().is_some_and(|m| m.contains("'!'")), "names the character: {said}");
    let (member, _) = add_user(&app, &admin, "member").await;
    let member_id = member["id"].as_str().expect("id");
    let short = admin.post(&format!("/users/{member_id}/password"), &json!({"password": "1234567"})).await;
    assert_error(short, 422, "InvalidPassword").await;
    for unknown in ["user-doesnotexist1", "not-an-id"] {
        assert_error(admin.patch(&format!("/users/{unknown}"), &json!({"role": "admin"})).await, 404, "NotFound").await;
    }
    assert_eq!(users_of(&admin).await.len(), before.len() + 1, "only the valid user was made");
    let unchanged = users_of(&admin).await.into_iter().find(|u| u["id"] == member_id).expect("listed");
    assert_eq!(unchanged, member, "the refused reset changed nothing");
});

both_stores!(the_tenant_keeps_an_enabled_admin, |app: TestApp| async move {
    let admin = app.tenant().await;
    let me = users_of(&admin).await.into_iter().next().expect("the admin");
    let my_id = me["id"].as_str().expect("id").to_owned();
    let path = format!("/users/{my_id}");
    for refused in [
        admin.patch(&path, &json!({"role": "member"})).await,
        admin.patch(&path, &json!({"disabled": true})).await,
        admin.delete(&path).await,
    ] {
        assert_error(refused, 409, "LastEnabledAdmin").await;
    }
    // A disabled admin does not count.
    let (second, _) = add_user(&app, &admin, "admin").await;
    let second_path = format!("/users/{}", second["id"].as_str().expect("id"));
    assert_eq!(admin.patch(&second_path, &json!({"disabled": true})).await.status(), 200);
    assert_error(admin.patch(&path, &json!({"role": "member"})).await, 409, "LastEnabledAdmin").await;
    assert_eq!(admin.patch(&second_path, &json!({"disabled": false})).await.status(), 200);

    // Two admins demoting each other at once: one change passes, the other is refused, as the
    // last admin's demotion (409) or as the request of one who is no longer an admin (403).
    let (_, second_client) = add_user(&app, &admin, "member").await;
    let third_id = users_of(&admin).await.into_iter().find(|u| u["username"] == second_client.username.as_str());
    let third_path = format!("/users/{}", third_id.expect("listed")["id"].as_str().expect("id"));
    assert_eq!(admin.patch(&third_path, &json!({"role": "admin"})).await.status(), 200);
    assert_eq!(admin.patch(&second_path, &json!({"role": "member"})).await.status(), 200);
    let to_member = json!({"role": "member"});
    let demote_me = second_client.patch(&path, &to_member);
    let demote_third = admin.patch(&third_path, &to_member);
    let (a, b) = tokio::join!(demote_me, demote_third);
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    let survivor = if statuses[0] == 200 { &second_client } else { &admin };
    statuses.sort();
    assert!(statuses == [200, 403] || statuses == [200, 409], "{statuses:?}");
    let admins = users_of(survivor).await;
    let admins = admins.iter().filter(|u| u["role"] == "admin" && u["disabled"] == false).count();
    assert_eq!(admins, 1);
});

both_stores!(members_and_other_tenants_manage_no_users, |app: TestApp| async move {
    let admin = app.tenant().await;
    let (member, member_client) = add_user(&app, &admin, "member").await;
    let member_path = format!("/users/{}", member["id"].as_str().expect("id"));
    assert_error(member_client.get("/users").await, 403, "Forbidden").await;
    assert_error(
        member_client.post("/users", &json!({"username": unique("x"), "role": "admin"})).await,
        403,
        "Forbidden",
    )
    .await;
    assert_error(member_client.patch(&member_path, &json!({"role": "admin"})).await, 403, "Forbidden").await;
    assert_error(member_client.post(&format!("{member_path}/password"), &json!({})).await, 403, "Forbidden").await;
    assert_error(member_client.delete(&member_path).await, 403, "Forbidden").await;

    // Another tenant's admin knows no user of this tenant.
    let stranger = app.tenant().await;
    assert_error(stranger.patch(&member_path, &json!({"disabled": true})).await, 404, "NotFound").await;
    assert_error(
        stranger.post(&format!("{member_path}/password"), &json!({"password": "taken over 1"})).await,
        404,
        "NotFound",
    )
    .await;
    assert_error(stranger.delete(&member_path).await, 404, "NotFound").await;
    assert!(users_of(&stranger).await.iter().all(|u| u["id"] != member["id"]));
    let unchanged = users_of(&admin).await.into_iter().find(|u| u["id"] == member["id"]).expect("still there");
    assert_eq!(unchanged, member);
    sign_in(&app, &member_client.username, PASSWORD).await.expect("its password is unchanged");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disabling_a_user_ends_its_access_in_every_process() {
    let app = TestApp::spawn(Store::Postgres).await;
    let admin = app.tenant().await;
    let (member, member_client) = add_user(&app, &admin, "member").await;
    let second = ServerProcess::start(&app.db.url, &["--identity-cache-ms", REMOTE_CACHE_MS]);
    let remote = member_client.at(&second.base);
    until_remote_caches(&app.db.url, &remote).await;

    let path = format!("/users/{}", member["id"].as_str().expect("id"));
    assert_eq!(admin.patch(&path, &json!({"disabled": true})).await.status(), 200);
    until("the other process's refusal", async || status(&remote).await == 401).await;
}

both_stores!(agent_tokens_outlive_their_owners_access, |app: TestApp| async move {
    let admin = app.tenant().await;
    let (member, member_client) = add_user(&app, &admin, "member").await;
    let path = format!("/users/{}", member["id"].as_str().expect("id"));
    let vm = admin.vms_of_subnet(&admin.subnet(0, 0))[0].clone();
    let (_, agent_token) =
        app.backend.create_agent_token_at_host(&vm, Some(&member_client.username)).await.expect("agent token");
    let agent = admin.with_token(agent_token);
    let mut seq = 0;
    let mut reports = async || {
        seq += 1;
        let body = json!({"seq": seq, "observed_at": "2026-12-05T10:00:00Z", "interval_ms": 60000, "keepalived_running": true, "havips": []});
        agent.post("/agent/reports", &body).await.status().as_u16()
    };
    assert_eq!(reports().await, 200);

    // Its VMs keep reporting through a reset and a disable of the person who made the token,
    // whose own token ends.
    assert_eq!(admin.post(&format!("{path}/password"), &json!({})).await.status(), 200);
    assert_eq!(member_client.get("/havips").await.status(), 401);
    assert_eq!(reports().await, 200);
    assert_eq!(admin.patch(&path, &json!({"disabled": true})).await.status(), 200);
    assert_eq!(reports().await, 200);

    // Deleted, its agent tokens pass to the admin who deleted it, and the log says so.
    assert_eq!(admin.delete(&path).await.status(), 204);
    assert_eq!(reports().await, 200);
    let log: Value = admin.get("/operations?action=user.delete").await.json().await.expect("json");
    let detail = log["items"][0]["detail"].as_str().unwrap_or_default().to_owned();
    let admin_id =
        users_of(&admin).await.into_iter().find(|u| u["username"] == admin.username.as_str()).expect("listed");
    assert!(
        detail.contains(&format!("1 agent token(s) passed to {}", admin_id["id"].as_str().expect("id"))),
        "{detail}"
    );
});
