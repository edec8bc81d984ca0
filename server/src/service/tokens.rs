//! API tokens that users make and revoke for themselves (product.md §6), for scripts and
//! tools, through the REST API and the console alike.

use super::Backend;
use super::accounts::{new_api_token, secret_hash};
use crate::db::now_micros;
use crate::store::{StoreError, accounts, inventory, oplog};
use app::domain::caller::Caller;
use app::domain::ids::{IdKind, is_well_formed};
use app::domain::time::Timestamp;
use app::domain::tokens::{ApiToken, NewApiToken, check_token_name};
use app::domain::{AppError, ErrorCode};

impl Backend {
    /// The caller's own live tokens, oldest first.
    pub async fn api_tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>, AppError> {
        let mut conn = self.db.reader().await?;
        Ok(accounts::live_tokens_of_user(&mut conn, &caller.user_id).await?)
    }

    /// Makes a token named `name` (or after the day, without one) for the caller, who must have
    /// signed in with a session: a leaked token must not outlive its revocation through others
    /// it made.
    pub async fn create_api_token(&self, caller: &Caller, name: Option<&str>) -> Result<NewApiToken, AppError> {
        if caller.by_token {
            return Err(AppError::with_detail(
                ErrorCode::Forbidden,
                "API tokens are made from a signed-in session (the console), not with another token",
            ));
        }
        let now = now_micros();
        let name = match name {
            Some(name) => {
                check_token_name(name)?;
                name.trim().to_owned()
            }
            None => format!("token {}", &Timestamp::from_micros(now).display_utc()[..10]),
        };
        let token = new_api_token();
        let result: Result<String, StoreError> = async {
            let mut tx = self.db.begin().await?;
            let hash = secret_hash(&token);
            let made = accounts::NewToken { user_id: &caller.user_id, token_hash: &hash, name: &name, agent_vm: None };
            let id = accounts::create_token(&mut tx, made, now).await?;
            let detail = Some(name.clone());
            let entry = oplog::Entry { action: "token.create", resource_id: Some(&id), outcome: "ok", detail };
            oplog::record(&mut tx, caller, entry, now).await?;
            tx.commit().await?;
            Ok(id)
        }
        .await;
        let id = result?;
        Ok(NewApiToken { id, name, token, created_at: Timestamp::from_micros(now) })
    }

    /// Revokes one of the caller's tokens; another user's token is as unknown as one that does
    /// not exist. Requests with it are refused from now on, in every process.
    pub async fn revoke_api_token(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        if !is_well_formed(IdKind::Token, id) {
            return Err(AppError::with_detail(ErrorCode::NotFound, "no such live token"));
        }
        let now = now_micros();
        let result: Result<bool, StoreError> = async {
            let mut tx = self.db.begin().await?;
            let revoked = accounts::revoke_token_of_user(&mut tx, &caller.user_id, id, now).await?;
            if revoked {
                let entry = oplog::Entry { action: "token.revoke", resource_id: Some(id), outcome: "ok", detail: None };
                oplog::record(&mut tx, caller, entry, now).await?;
            }
            tx.commit().await?;
            Ok(revoked)
        }
        .await;
        match result? {
            true => {
                self.db.identity_cache.forget_credentials();
                Ok(())
            }
            false => Err(AppError::with_detail(ErrorCode::NotFound, "no such live token")),
        }
    }
}

impl Backend {
    /// Makes an agent token for a VM of the caller's tenant (`havip agent` on that VM sends its
    /// reports with it). Like other tokens, only from a signed-in session.
    pub async fn create_agent_token(&self, caller: &Caller, vm_id: &str) -> Result<NewApiToken, AppError> {
        if caller.by_token {
            return Err(AppError::with_detail(ErrorCode::Forbidden, "tokens are made from a signed-in session"));
        }
        if !is_well_formed(IdKind::Vm, vm_id) {
            return Err(AppError::not_found());
        }
        let known = {
            let mut conn = self.db.reader().await?;
            !inventory::find_vms(&mut conn, &caller.tenant_id, &[vm_id.to_owned()]).await?.is_empty()
        };
        if !known {
            return Err(AppError::not_found());
        }
        let token = new_api_token();
        let now = now_micros();
        let name = format!("agent {vm_id}");
        let id = async {
            let mut tx = self.db.begin().await?;
            let hash = secret_hash(&token);
            let made =
                accounts::NewToken { user_id: &caller.user_id, token_hash: &hash, name: &name, agent_vm: Some(vm_id) };
            let id = accounts::create_token(&mut tx, made, now).await?;
            let detail = Some(format!("agent token for {vm_id}"));
            let entry = oplog::Entry { action: "token.create", resource_id: Some(&id), outcome: "ok", detail };
            oplog::record(&mut tx, caller, entry, now).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(id)
        }
        .await?;
        Ok(NewApiToken { id, name, token, created_at: Timestamp::from_micros(now) })
    }
}
