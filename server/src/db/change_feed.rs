//! Other processes' writes, heard as Postgres notifications and applied to this process's
//! identity cache. The notifications come from triggers (migration 0004), so every write
//! announces itself whichever code path made it.

use super::identity_cache::IdentityCache;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;

const CHANNEL: &str = "havip_changes";
/// How long to wait before listening again after the connection failed.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Follows the notifications for as long as the process runs. While it is not listening the
/// cache is untrusted, so every request asks the database, as it would without the cache.
pub async fn follow(url: String, cache: Arc<IdentityCache>) {
    loop {
        match listen(&url).await {
            Ok(mut listener) => {
                // Changes made before the listener started went unheard: start from nothing.
                cache.set_trusted(true);
                tracing::info!("following other processes' changes");
                // `try_recv` answers `None` when the connection dropped, where `recv` would
                // reconnect silently and lose the notifications sent in between.
                while let Ok(Some(notification)) = listener.try_recv().await {
                    apply(&cache, notification.payload());
                }
                cache.set_trusted(false);
                tracing::warn!("lost the change feed; every request asks the database until it is back");
            }
            Err(error) => tracing::warn!(%error, "cannot listen for other processes' changes"),
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

async fn listen(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    // Report a lost connection at once rather than first trying to reconnect inside
    // `try_recv`, which waits out the database's outage while the cache is still trusted.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

fn apply(cache: &IdentityCache, payload: &str) {
    match payload.split_once(':') {
        Some(("tenant", tenant_id)) => cache.forget_tenant(tenant_id),
        _ if payload == "credentials" => cache.forget_credentials(),
        // A notification this version does not know: forget everything to be safe.
        _ => cache.set_trusted(true),
    }
}
