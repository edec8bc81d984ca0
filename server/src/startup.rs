//! Building and running the server: database, backend, worker, router, graceful shutdown.

use crate::db::{Db, Dialect, change_feed};
use crate::http::{AppState, router};
use crate::ovn::{fabric, reconcile};
use crate::service::Backend;
use crate::settings::Settings;
use crate::worker::Worker;
use crate::worker::driver::Driver;
use leptos::config::{Env, LeptosOptions};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A server bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects and migrates the database and binds the address (port 0 picks a free one).
    pub async fn build(settings: Settings, listen: &str) -> anyhow::Result<Application> {
        // Leptos resources spawn their futures on the global executor: make it tokio's.
        let _ = any_spawner::Executor::init_tokio();
        let db = Db::connect(&settings.database_url, settings.max_connections).await?;
        let backend = Arc::new(Backend::new(db, Arc::new(settings)));
        let assigned = backend.assign_missing_vrids().await.map_err(anyhow::Error::msg)?;
        if assigned > 0 {
            tracing::info!(assigned, "gave VRIDs to HAVIPs made before VRIDs existed");
        }
        let listener =
            TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        // Without a built site the page is still served, and says so by not hydrating.
        let site_name = crate::http::site_name(&backend.settings.site_root).unwrap_or_else(|| "havip".to_owned());
        let leptos = LeptosOptions::builder()
            .output_name(site_name)
            .site_root(backend.settings.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            .env(Env::PROD)
            .build();
        Ok(Application {
            listener,
            state: AppState { backend, leptos, pages: Arc::default(), draining: Arc::default() },
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn backend(&self) -> Arc<Backend> {
        self.state.backend.clone()
    }

    /// Serves until `shutdown` completes: then stops taking requests, lets those under way
    /// finish, stops the worker after its current jobs, and closes the database.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let backend = self.state.backend.clone();
        // Tells the worker and the OVN driver's tasks to finish.
        let (stop_worker, stopping) = watch::channel(false);
        let worker = Worker::new(
            backend.db.clone(),
            backend.settings.driver.clone(),
            backend.settings.job_lease,
            backend.worker_bell.clone(),
            backend.metrics.clone(),
        );
        let worker = tokio::spawn(worker.run(stopping.clone()));
        let housekeeping = tokio::spawn(purge_sessions_now_and_then(backend.clone()));
        let ha_sweeper = tokio::spawn(crate::service::ha::sweeper::sweep_now_and_then(backend.clone()));
        // The OVN driver watches the fabric and reconciles Northbound for as long as it serves.
        let ovn_tasks = match &backend.settings.driver {
            Driver::Ovn(ovn) => vec![
                tokio::spawn(fabric::run(ovn.southbound.clone(), backend.clone(), stopping.clone())),
                tokio::spawn(reconcile::run(ovn.clone(), backend.clone(), stopping.clone())),
            ],
            _ => Vec::new(),
        };
        // Other processes sharing a Postgres database announce their writes; SQLite needs no
        // feed (one server per file, other writers bounded by the cache's freshness).
        let change_feed = (backend.db.dialect == Dialect::Postgres && !backend.settings.identity_cache_for.is_zero())
            .then(|| {
                tokio::spawn(change_feed::follow(
                    backend.settings.database_url.clone(),
                    backend.db.identity_cache.clone(),
                ))
            });
        // After the signal, the server stays up for the drain, answering /readyz with 503: a
        // load balancer's health checks take it out before the listener closes, so no request
        // it sends meets a closed port.
        let (draining, drain) = (self.state.draining.clone(), backend.settings.drain);
        let drained = async move {
            shutdown.await;
            draining.store(true, Ordering::Relaxed);
            if !drain.is_zero() {
                tracing::info!(drain_ms = drain.as_millis(), "draining: /readyz answers 503 until the listener closes");
                tokio::time::sleep(drain).await;
            }
        };
        let app = router(self.state);
        axum::serve(self.listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(drained)
            .await?;
        tracing::info!("no longer accepting requests; stopping the worker");
        let _ = stop_worker.send(true);
        let _ = worker.await;
        for task in ovn_tasks {
            let _ = task.await;
        }
        housekeeping.abort();
        ha_sweeper.abort();
        if let Some(feed) = change_feed {
            feed.abort();
        }
        backend.db.close().await;
        Ok(())
    }
}

async fn purge_sessions_now_and_then(backend: Arc<Backend>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        if let Err(error) = backend.purge_sessions().await {
            tracing::warn!(%error, "could not purge expired sessions");
        }
    }
}

/// Catches Ctrl-C and SIGTERM from now on; the future completes on the first of them. The
/// handlers are installed at once, not when the future is first polled, so that a signal sent
/// the moment the server says where it listens stops it gracefully instead of killing it. A
/// second signal, while the server drains its requests and its worker, stops it at once.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("shutdown requested");
        tokio::spawn(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::warn!("second signal: stopping without waiting");
            std::process::exit(1);
        });
    })
}
