//! The OVN driver (docs/architecture.md, "OVN driver"). OVN has the HAVIP built in: a logical
//! switch port of type `virtual` whose traffic follows whichever parent port last announced the
//! VIP. The driver keeps one such port per HAVIP in the Northbound database (`northbound`),
//! watches in the Southbound database which parent the fabric follows (`fabric`), and puts
//! Northbound right when it drifted from the HAVIPs (`reconcile`). It speaks OVSDB (RFC 7047)
//! itself (`ovsdb`), to `unix:`, `tcp:` or `ssl:` remotes (`remote`).

pub mod database;
pub mod fabric;
pub mod northbound;
pub mod ovsdb;
pub mod reconcile;
pub mod remote;

use crate::store::ovn::NetworkTarget;
use database::Database;
use northbound::WantedPort;
use remote::{Remote, TlsConnector, TlsFiles};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Where the driver finds OVN, as the operator configured it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OvnSettings {
    pub northbound: Remote,
    pub southbound: Remote,
    /// For `ssl:` remotes.
    pub tls: Option<TlsFiles>,
    /// How often Northbound is compared with the HAVIPs (and once at start).
    pub reconcile_every: Duration,
}

/// The driver's two databases.
pub struct Ovn {
    pub settings: OvnSettings,
    pub northbound: Database,
    pub southbound: Arc<Database>,
}

impl fmt::Debug for Ovn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ovn").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Ovn {
    /// Reads the TLS files (a missing one stops the start, named); connects when first needed.
    pub fn new(settings: OvnSettings) -> Result<Ovn, String> {
        let needs_tls = settings.northbound.needs_tls() || settings.southbound.needs_tls();
        let tls = match (&settings.tls, needs_tls) {
            (Some(files), true) => Some(TlsConnector::from_files(files)?),
            (None, true) => {
                return Err("ssl: remotes need --ovn-private-key, --ovn-certificate and --ovn-ca-cert".to_owned());
            }
            (_, false) => None,
        };
        let northbound = Database::new(northbound::DATABASE, settings.northbound.clone(), tls.clone());
        let southbound = Arc::new(Database::new("OVN_Southbound", settings.southbound.clone(), tls));
        Ok(Ovn { settings, northbound, southbound })
    }
}

/// The virtual port a HAVIP should have, named after the HAVIP.
pub fn wanted_port(target: &NetworkTarget) -> WantedPort {
    WantedPort {
        name: target.havip_id.clone(),
        tenant_id: target.tenant_id.clone(),
        switch: target.switch.clone(),
        ip: target.ip.clone(),
        parents: target.parents.clone(),
    }
}
