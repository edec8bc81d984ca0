//! Accounts: passwords (argon2id), sessions, API tokens, and the first users.

use super::Backend;
use crate::db::identity_cache::{KnownUser, Ticket};
use crate::db::{new_id, now_micros};
use crate::store::accounts::{self, UserRecord};
use crate::store::revisions;
use crate::store::{StoreError, TenantTx, inventory, oplog, users};
use app::domain::caller::{Caller, Role};
use app::domain::ids::IdKind;
use app::domain::{AppError, ErrorCode, Field};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// What a request shows to say who sends it.
#[derive(Clone, Copy, Debug)]
pub enum Credential<'a> {
    /// The console's session cookie.
    Session(&'a str),
    /// An API token (`Authorization: Bearer …`).
    Token(&'a str),
}

/// Sessions seen within this long are not written again, to spare the database a write per request.
const TOUCH_EVERY_MICROS: i64 = 60_000_000;

/// A random secret (session ID or API token): 32 bytes, URL-safe base64.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A password the server chooses for a user (shown once): 20 random URL-safe characters.
pub fn generate_password() -> String {
    new_secret()[..20].to_owned()
}

/// A new API token: the secret a client sends as `Authorization: Bearer …`.
pub fn new_api_token() -> String {
    format!("havip_{}", new_secret())
}

/// Only this hash of a secret is stored.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::internal()
    })
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// The longest username; a login with a longer one is refused before anything is looked up or
/// counted, so that the login limiter's entries stay small.
const USERNAME_MAX_BYTES: usize = 64;

/// A hash to check against when the user does not exist, so both cases take as long.
static DECOY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("decoy password, never valid").unwrap_or_default());

fn micros(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

impl Backend {
    /// Checks the password and opens a new session (a new ID at every login).
    pub async fn login(&self, username: &str, password: &str, client: &str) -> Result<String, AppError> {
        if username.len() > USERNAME_MAX_BYTES || username.chars().any(char::is_control) || password.contains('\0') {
            return Err(AppError::new(ErrorCode::InvalidCredentials).on_field(Field::Username));
        }
        if !self.login_limiter.try_begin(username, client) {
            // Rounded up: a client that waits the seconds said is not refused again.
            let wait = self.login_limiter.wait(username, client);
            let wait = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            return Err(
                AppError::with_detail(ErrorCode::TooManyRequests, format!("try again in {wait} s")).retry_after(wait)
            );
        }
        let (user, valid) = self.check_password(username, password).await.inspect_err(|_| {
            // The server failed, not the password: the attempt does not count.
            self.login_limiter.take_back(username, client);
        })?;
        let user = match (user, valid) {
            (Some(user), true) => user,
            (known, _) => {
                tracing::info!(username, client, "login refused");
                if let Some(user) = known {
                    // The tenant's admins see wrong passwords given for its users.
                    self.record_refused_sign_in(&user, client);
                }
                return Err(AppError::new(ErrorCode::InvalidCredentials).on_field(Field::Password));
            }
        };
        self.login_limiter.record_success(username, client);
        let token = new_secret();
        let now = now_micros();
        let expires = now.saturating_add(micros(self.settings.session_max_age));
        let mut tx = self.db.begin().await?;
        // Only if the password checked is still the user's and the user still enabled: a reset,
        // a disable or a delete may have committed since the check.
        let opened =
            accounts::create_session(&mut tx, &secret_hash(&token), &user.id, &user.password_hash, now, expires)
                .await?;
        if !opened {
            return Err(AppError::new(ErrorCode::InvalidCredentials).on_field(Field::Password));
        }
        users::record_login(&mut tx, &user.id, now).await?;
        let entry = oplog::Entry {
            action: "session.sign_in",
            resource_id: Some(&user.id),
            outcome: "ok",
            detail: Some(format!("from {client}")),
        };
        oplog::record_as(&mut tx, &user.tenant_id, Some(&user.id), None, entry, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(username, "signed in");
        Ok(token)
    }

    /// Records a refused sign-in of a known user, in the background: waiting for the write
    /// would make a wrong password for a real user slower to refuse than an unknown user, and
    /// so tell which usernames exist. A failure to record it changes nothing of the answer.
    fn record_refused_sign_in(&self, user: &UserRecord, client: &str) {
        let (db, now) = (self.db.clone(), now_micros());
        let (tenant_id, user_id) = (user.tenant_id.clone(), user.id.clone());
        let detail = Some(format!("wrong password from {client}"));
        tokio::spawn(async move {
            let recorded: Result<(), StoreError> = async {
                let mut tx = db.begin().await?;
                let entry =
                    oplog::Entry { action: "session.sign_in", resource_id: Some(&user_id), outcome: "failed", detail };
                oplog::record_as(&mut tx, &tenant_id, Some(&user_id), None, entry, now).await?;
                Ok(tx.commit().await?)
            }
            .await;
            if let Err(error) = recorded {
                tracing::warn!(%error, "could not record a refused sign-in");
            }
        });
    }

    /// The user of that name (an enabled one), if there is one, and whether the password is its.
    async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(Option<accounts::UserRecord>, bool), AppError> {
        let user = {
            let mut conn = self.db.reader().await?;
            accounts::user_by_name(&mut conn, username).await?
        };
        let hash = user.as_ref().map_or_else(|| DECOY_HASH.clone(), |u| u.password_hash.clone());
        let password = password.to_owned();
        // Each check takes about 19 MiB for a moment: a flood of logins waits its turn rather
        // than taking the machine's memory and every blocking thread.
        let _turn = self.password_checks.acquire().await.map_err(|_| AppError::internal())?;
        let valid = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
        Ok((user, valid))
    }

    /// Ends the session and records the sign-out (an unknown or ended session ends nothing).
    pub async fn logout(&self, session_token: &str) -> Result<(), AppError> {
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        if let Some((user_id, tenant_id)) = accounts::delete_session(&mut tx, &secret_hash(session_token)).await? {
            let entry =
                oplog::Entry { action: "session.sign_out", resource_id: Some(&user_id), outcome: "ok", detail: None };
            oplog::record_as(&mut tx, &tenant_id, Some(&user_id), None, entry, now).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        self.db.identity_cache.forget_credentials();
        Ok(())
    }

    /// The caller a credential stands for, if it is live: the user, the tenant and the
    /// tenant's revision, from the identity cache when it knows them.
    pub async fn authenticate(&self, credential: Credential<'_>, request_id: &str) -> Result<Option<Caller>, AppError> {
        let (user, tenant_revision) = match credential {
            Credential::Session(token) => self.session_user(token).await?,
            Credential::Token(token) => self.token_user(token).await?,
        }
        .map_or((None, 0), |(user, revision)| (Some(user), revision));
        Ok(user.map(|user| Caller {
            user_id: user.user_id,
            tenant_id: user.tenant_id,
            profile: user.profile,
            request_id: request_id.to_owned(),
            by_token: matches!(credential, Credential::Token(_)),
            tenant_revision: Some(tenant_revision),
            agent_vm: user.agent_vm,
        }))
    }

    /// The user of a live session and its tenant's revision, renewing the session's idle timer.
    async fn session_user(&self, session_token: &str) -> Result<Option<(KnownUser, i64)>, AppError> {
        let hash = secret_hash(session_token);
        if let Some(known) = self.known_user(&hash).await? {
            return Ok(Some(known));
        }
        let ticket = self.db.identity_cache.ticket();
        let now = now_micros();
        let idle_since = now - micros(self.settings.session_idle);
        let found = {
            let mut conn = self.db.reader().await?;
            accounts::session_user(&mut conn, &hash, now, idle_since).await?
        };
        let Some(session) = found else { return Ok(None) };
        if now - session.last_seen_at > TOUCH_EVERY_MICROS {
            let touched: Result<(), StoreError> = async {
                let mut tx = self.db.begin().await?;
                accounts::touch_session(&mut tx, &hash, now).await?;
                Ok(tx.commit().await?)
            }
            .await;
            touched?;
        }
        let expires_in = Duration::from_micros(u64::try_from(session.expires_at - now).unwrap_or(0));
        Ok(Some(self.remember(ticket, &hash, session.user, expires_in)))
    }

    /// The user of a live API token and its tenant's revision.
    async fn token_user(&self, token: &str) -> Result<Option<(KnownUser, i64)>, AppError> {
        let hash = secret_hash(token);
        let found = match self.known_user(&hash).await? {
            Some(known) => Some(known),
            None => {
                let ticket = self.db.identity_cache.ticket();
                let mut conn = self.db.reader().await?;
                let user = accounts::token_user(&mut conn, &hash).await?;
                user.map(|user| self.remember(ticket, &hash, user, Duration::MAX))
            }
        };
        // Agents report every few seconds and their last report is kept already: only the
        // tokens of people and scripts say when they were last used.
        let a_persons = found.as_ref().is_some_and(|(user, _)| user.agent_vm.is_none());
        if a_persons && self.token_uses.due(&hash, std::time::Instant::now()) {
            self.record_token_use(hash);
        }
        Ok(found)
    }

    /// Writes when the token was used, in the background: the request does not wait for it,
    /// and a failure only leaves the time older.
    fn record_token_use(&self, token_hash: String) {
        let db = self.db.clone();
        tokio::spawn(async move {
            let written: Result<(), StoreError> = async {
                let mut tx = db.begin().await?;
                accounts::record_token_use(&mut tx, &token_hash, now_micros()).await?;
                Ok(tx.commit().await?)
            }
            .await;
            if let Err(error) = written {
                tracing::warn!(%error, "could not record a token's use");
            }
        });
    }

    /// The user of a secret the identity cache knows, asking the database at most for the
    /// tenant's revision.
    async fn known_user(&self, secret_hash: &str) -> Result<Option<(KnownUser, i64)>, AppError> {
        let cache = &self.db.identity_cache;
        let Some(user) = cache.user(secret_hash) else {
            cache.count(false);
            return Ok(None);
        };
        let tenant_revision = match cache.revision(&user.tenant_id) {
            Some(revision) => {
                cache.count(true);
                revision
            }
            None => {
                cache.count(false);
                let ticket = cache.ticket();
                let mut conn = self.db.reader().await?;
                let revision = revisions::current(&mut conn, &user.tenant_id).await?;
                cache.keep_revision(ticket, &user.tenant_id, revision);
                revision
            }
        };
        Ok(Some((user, tenant_revision)))
    }

    fn remember(&self, ticket: Ticket, secret_hash: &str, user: UserRecord, expires_in: Duration) -> (KnownUser, i64) {
        let known =
            KnownUser { user_id: user.id, tenant_id: user.tenant_id, profile: user.profile, agent_vm: user.agent_vm };
        let cache = &self.db.identity_cache;
        cache.keep_user(ticket, secret_hash, known.clone(), expires_in);
        cache.keep_revision(ticket, &known.tenant_id, user.tenant_revision);
        (known, user.tenant_revision)
    }

    /// Creates a tenant (with its default project) if it does not exist; answers its ID.
    pub async fn ensure_tenant(&self, name: &str) -> Result<String, AppError> {
        let mut conn = self.db.reader().await?;
        if let Some(id) = accounts::tenant_id(&mut conn, name).await? {
            return Ok(id);
        }
        drop(conn);
        let id = new_id(IdKind::Tenant);
        let now = now_micros();
        let created: Result<(), StoreError> = async {
            let mut tx = TenantTx::begin(&self.db, &id).await?;
            accounts::create_tenant(&mut tx, name, now).await?;
            inventory::create_project(&mut tx, "default", true, now).await?;
            tx.commit().await
        }
        .await;
        match created {
            Ok(()) => Ok(id),
            // Another start or import created it meanwhile (tenant names are unique).
            Err(error) if error.unique_target().is_some() => {
                let mut conn = self.db.reader().await?;
                accounts::tenant_id(&mut conn, name).await?.ok_or_else(AppError::internal)
            }
            Err(error) => Err(error.into()),
        }
    }

    pub async fn create_user(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<String, AppError> {
        let username = username.trim();
        // The console's and the API's rules hold at the host too.
        app::domain::users::check_username(username)?;
        app::domain::users::check_password(password)?;
        let tenant_id = self.ensure_tenant(tenant).await?;
        let password = password.to_owned();
        let hash =
            tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|_| AppError::internal())??;
        let result: Result<String, StoreError> = async {
            let mut tx = self.db.begin().await?;
            let id = accounts::create_user(&mut tx, &tenant_id, username, &hash, role, now_micros()).await?;
            tx.commit().await?;
            Ok(id)
        }
        .await;
        result.map_err(|e| match e.unique_target() {
            Some(_) => {
                AppError::with_detail(ErrorCode::UsernameAlreadyUsed, format!("the username {username:?} is taken"))
            }
            None => e.into(),
        })
    }

    /// A new API token for the user; the token itself is shown once and only its hash is kept.
    pub async fn create_token(&self, username: &str) -> Result<(String, String), AppError> {
        let user = {
            let mut conn = self.db.reader().await?;
            accounts::user_by_name(&mut conn, username).await?
        };
        let user = user.ok_or_else(|| AppError::with_detail(ErrorCode::NotFound, format!("no user {username:?}")))?;
        self.make_token(&user.id, None).await
    }

    /// A new agent token for a VM, made at the host (`havip token create --agent --vm`): it
    /// belongs to `username`, or to the first admin of the VM's tenant.
    pub async fn create_agent_token_at_host(
        &self,
        vm_id: &str,
        username: Option<&str>,
    ) -> Result<(String, String), AppError> {
        let mut conn = self.db.reader().await?;
        let tenant = accounts::tenant_of_vm(&mut conn, vm_id)
            .await?
            .ok_or_else(|| AppError::with_detail(ErrorCode::VmNotFound, format!("no VM {vm_id:?}")))?;
        let owner = match username {
            Some(username) => accounts::user_by_name(&mut conn, username).await?.filter(|u| u.tenant_id == tenant),
            None => accounts::first_admin(&mut conn, &tenant).await?,
        };
        drop(conn);
        let owner = owner.ok_or_else(|| {
            AppError::with_detail(ErrorCode::NotFound, format!("no user of the tenant of {vm_id} to own the token"))
        })?;
        self.make_token(&owner.id, Some(vm_id)).await
    }

    async fn make_token(&self, user_id: &str, agent_vm: Option<&str>) -> Result<(String, String), AppError> {
        let token = new_api_token();
        let mut tx = self.db.begin().await?;
        let hash = secret_hash(&token);
        let name = match agent_vm {
            Some(vm) => format!("agent {vm}"),
            None => "made at the host".to_owned(),
        };
        let made = accounts::NewToken { user_id, token_hash: &hash, name: &name, agent_vm };
        let id = accounts::create_token(&mut tx, made, now_micros()).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((id, token))
    }

    /// Revokes a token, given its ID (`tok-…`) or the token itself.
    pub async fn revoke_token(&self, token_or_id: &str) -> Result<(), AppError> {
        let key = if token_or_id.starts_with("tok-") { token_or_id.to_owned() } else { secret_hash(token_or_id) };
        let result: Result<bool, StoreError> = async {
            let mut tx = self.db.begin().await?;
            let revoked = accounts::revoke_token(&mut tx, &key, now_micros()).await?;
            tx.commit().await?;
            self.db.identity_cache.forget_credentials();
            Ok(revoked)
        }
        .await;
        match result? {
            true => Ok(()),
            false => Err(AppError::with_detail(ErrorCode::NotFound, "no such live token")),
        }
    }

    pub async fn tenant_count(&self) -> Result<i64, AppError> {
        let mut conn = self.db.reader().await?;
        Ok(accounts::tenant_count(&mut conn).await?)
    }

    /// Removes sessions past their expiry (run now and then by the server).
    pub async fn purge_sessions(&self) -> Result<u64, AppError> {
        let now = now_micros();
        let result: Result<u64, StoreError> = async {
            let mut tx = self.db.begin().await?;
            let n = accounts::delete_expired_sessions(&mut tx, now, now - micros(self.settings.session_idle)).await?;
            tx.commit().await?;
            Ok(n)
        }
        .await;
        Ok(result?)
    }
}
