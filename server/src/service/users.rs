//! 用户管理: a tenant admin lists, creates, changes and deletes the tenant's users. Every change
//! is recorded in the operation log, and a change that takes a user's access away (disable,
//! password reset, delete) ends its sessions and tokens at once, in every process.

use super::Backend;
use super::accounts::{generate_password, hash_password};
use crate::db::now_micros;
use crate::store::{StoreError, accounts, oplog, users};
use app::domain::caller::{Caller, Role};
use app::domain::ids::{IdKind, is_well_formed};
use app::domain::users::{
    CreateUserRequest, ResetPasswordRequest, UpdateUserRequest, User, UserWithPassword, check_password, check_username,
};
use app::domain::{AppError, ErrorCode};

/// Only a tenant's admins manage its users.
pub fn require_admin(caller: &Caller) -> Result<(), AppError> {
    if caller.profile.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::with_detail(ErrorCode::Forbidden, "only the tenant's admins manage its users"))
    }
}

/// The password to set: the one typed, checked, or a generated one that is shown once.
fn chosen_password(typed: Option<String>) -> Result<(String, Option<String>), AppError> {
    match typed {
        Some(password) => {
            check_password(&password)?;
            Ok((password, None))
        }
        None => {
            let password = generate_password();
            Ok((password.clone(), Some(password)))
        }
    }
}

/// Takes the tenant's lock for user changes and checks that the caller is still an enabled admin:
/// another admin may have demoted or disabled it while this request waited, and the role it
/// authenticated with no longer holds.
async fn still_admin_under_lock(
    conn: &mut sqlx::AnyConnection,
    dialect: crate::db::Dialect,
    caller: &Caller,
) -> Result<(), AppError> {
    users::lock_tenant(conn, dialect, &caller.tenant_id).await?;
    let me = users::find(conn, &caller.tenant_id, &caller.user_id).await?;
    if me.is_some_and(|me| me.role == Role::Admin && !me.disabled) {
        Ok(())
    } else {
        Err(AppError::with_detail(ErrorCode::Forbidden, "only the tenant's admins manage its users"))
    }
}

async fn hashed(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|_| AppError::internal())?
}

impl Backend {
    /// The tenant's users by username.
    pub async fn users(&self, caller: &Caller) -> Result<Vec<User>, AppError> {
        require_admin(caller)?;
        let mut conn = self.db.reader().await?;
        Ok(users::list(&mut conn, &caller.tenant_id).await?)
    }

    pub async fn create_tenant_user(
        &self,
        caller: &Caller,
        request: CreateUserRequest,
    ) -> Result<UserWithPassword, AppError> {
        require_admin(caller)?;
        check_username(&request.username)?;
        let (password, generated_password) = chosen_password(request.password)?;
        let hash = hashed(password).await?;
        let now = now_micros();
        let username = request.username;
        let result: Result<Option<User>, AppError> = async {
            let mut tx = self.db.begin().await?;
            still_admin_under_lock(&mut tx, self.db.dialect, caller).await?;
            let id = accounts::create_user(&mut tx, &caller.tenant_id, &username, &hash, request.role, now)
                .await
                .map_err(|error| match error.unique_target() {
                    // Usernames are unique across tenants: they are what a user signs in with.
                    Some(_) => AppError::with_detail(ErrorCode::UsernameAlreadyUsed, format!("{username:?} is taken")),
                    None => error.into(),
                })?;
            let detail = Some(format!("{username} ({})", request.role.as_str()));
            let entry = oplog::Entry { action: "user.create", resource_id: Some(&id), outcome: "ok", detail };
            oplog::record(&mut tx, caller, entry, now).await?;
            let user = users::find(&mut tx, &caller.tenant_id, &id).await?;
            tx.commit().await.map_err(StoreError::from)?;
            Ok(user)
        }
        .await;
        let user = result?.ok_or_else(AppError::internal)?;
        Ok(UserWithPassword { user, generated_password })
    }

    /// Changes a user's role or whether it is disabled. Disabling ends its sessions and tokens.
    pub async fn update_user(&self, caller: &Caller, id: &str, request: UpdateUserRequest) -> Result<User, AppError> {
        require_admin(caller)?;
        let now = now_micros();
        let user = self
            .change_user(caller, id, |before| {
                let mut changes = Vec::new();
                if let Some(role) = request.role.filter(|role| *role != before.role) {
                    changes.push(Change::Role(role));
                }
                if let Some(disabled) = request.disabled.filter(|disabled| *disabled != before.disabled) {
                    changes.push(if disabled { Change::Disable(now) } else { Change::Enable });
                }
                changes
            })
            .await?;
        Ok(user)
    }

    /// Sets a user's password (the one typed, or a generated one shown once) and ends its
    /// sessions and tokens.
    pub async fn reset_password(
        &self,
        caller: &Caller,
        id: &str,
        request: ResetPasswordRequest,
    ) -> Result<UserWithPassword, AppError> {
        require_admin(caller)?;
        let (password, generated_password) = chosen_password(request.password)?;
        let hash = hashed(password).await?;
        let user = self.change_user(caller, id, |_| vec![Change::Password(hash.clone())]).await?;
        Ok(UserWithPassword { user, generated_password })
    }

    /// Deletes a user: its sessions and tokens go with it, its entries in the log stay.
    pub async fn delete_user(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        require_admin(caller)?;
        self.change_user(caller, id, |_| vec![Change::Delete]).await.map(|_| ())
    }

    /// Applies the changes `plan` chooses for the user as it is now, in one transaction that
    /// holds the tenant's user changes back, refusing any that would leave the tenant without an
    /// enabled admin. Answers the user as it is after them.
    async fn change_user(
        &self,
        caller: &Caller,
        id: &str,
        plan: impl FnOnce(&User) -> Vec<Change>,
    ) -> Result<User, AppError> {
        if !is_well_formed(IdKind::User, id) {
            return Err(AppError::not_found());
        }
        let mut tx = self.db.begin().await?;
        still_admin_under_lock(&mut tx, self.db.dialect, caller).await?;
        let before = users::find(&mut tx, &caller.tenant_id, id).await?.ok_or_else(AppError::not_found)?;
        let changes = plan(&before);
        let takes_an_admin_away = before.role == Role::Admin
            && !before.disabled
            && changes.iter().any(|c| matches!(c, Change::Role(Role::Member) | Change::Disable(_) | Change::Delete));
        if takes_an_admin_away && users::enabled_admins(&mut tx, &caller.tenant_id).await? <= 1 {
            return Err(AppError::with_detail(
                ErrorCode::LastEnabledAdmin,
                format!("{} is the tenant's last enabled admin", before.username),
            ));
        }
        let mut ends_access = false;
        for change in &changes {
            let (action, detail) = match change {
                Change::Role(role) => {
                    users::set_role(&mut tx, &caller.tenant_id, id, *role).await?;
                    ("user.update", format!("{}: role {} → {}", before.username, before.role.as_str(), role.as_str()))
                }
                Change::Disable(at) => {
                    users::set_disabled(&mut tx, &caller.tenant_id, id, Some(*at)).await?;
                    ends_access = true;
                    ("user.update", format!("{}: disabled", before.username))
                }
                Change::Enable => {
                    users::set_disabled(&mut tx, &caller.tenant_id, id, None).await?;
                    ("user.update", format!("{}: enabled", before.username))
                }
                Change::Password(hash) => {
                    users::set_password_hash(&mut tx, &caller.tenant_id, id, hash).await?;
                    ends_access = true;
                    ("user.reset_password", format!("{}: password reset", before.username))
                }
                Change::Delete => {
                    // The tokens go to the admin who deletes, or, when an admin deletes itself,
                    // to another enabled admin (the last-admin rule guarantees one).
                    let heir = if id == caller.user_id {
                        users::another_enabled_admin(&mut tx, &caller.tenant_id, id).await?
                    } else {
                        Some(caller.user_id.clone())
                    };
                    let heir = heir.ok_or_else(AppError::internal)?;
                    let handed = users::hand_over_agent_tokens(&mut tx, id, &heir).await?;
                    users::delete(&mut tx, &caller.tenant_id, id).await?;
                    let detail = match handed {
                        0 => before.username.clone(),
                        n => format!("{} ({n} agent token(s) passed to {heir})", before.username),
                    };
                    ("user.delete", detail)
                }
            };
            let entry = oplog::Entry { action, resource_id: Some(id), outcome: "ok", detail: Some(detail) };
            oplog::record(&mut tx, caller, entry, now_micros()).await?;
        }
        if ends_access {
            users::end_credentials(&mut tx, id, now_micros()).await?;
        }
        let after = users::find(&mut tx, &caller.tenant_id, id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        if !changes.is_empty() {
            // This process forgets at once; the others hear it from the triggers (Postgres) or
            // within the identity cache's freshness (SQLite).
            self.db.identity_cache.forget_credentials();
        }
        Ok(after.unwrap_or(before))
    }
}

/// One change to a user, as `change_user` applies it.
enum Change {
    Role(Role),
    /// Disabled from this time.
    Disable(i64),
    Enable,
    /// The new password's hash.
    Password(String),
    Delete,
}
