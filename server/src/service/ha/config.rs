//! The keepalived configuration of one bound VM of a HAVIP, generated from what the console
//! knows (`GET /havips/{id}/keepalived.conf?vm_id=`), and the history of a HAVIP.

use crate::service::Backend;
use crate::store::ha;
use app::domain::caller::Caller;
use app::domain::cidr::SubnetCidr;
use app::domain::ha::HavipEventPage;
use app::domain::ipv4::Ipv4;
use app::domain::keepalived::{
    DEFAULT_AGENT, DEFAULT_INTERFACE, DEFAULT_STATE_DIR, InterfaceName, KeepalivedConfig, SafePath,
};
use app::domain::{AppError, ErrorCode, Field};

/// What a configuration request says: for which VM, and where on it.
#[derive(Clone, Debug, Default)]
pub struct ConfigRequest {
    pub vm_id: String,
    pub interface: Option<String>,
    pub agent: Option<String>,
    pub state_dir: Option<String>,
}

/// The most events a page of the history has.
pub const MAX_EVENTS_PER_PAGE: u32 = 200;

impl Backend {
    /// The keepalived configuration for one bound VM. A user of the tenant may read any; an
    /// agent only its own VM's.
    pub async fn keepalived_config(
        &self,
        caller: &Caller,
        havip_id: &str,
        request: &ConfigRequest,
    ) -> Result<String, AppError> {
        let interface = InterfaceName::parse(request.interface.as_deref().unwrap_or(DEFAULT_INTERFACE))?;
        let agent = SafePath::parse(request.agent.as_deref().unwrap_or(DEFAULT_AGENT), Field::Agent)?;
        let state_dir = SafePath::parse(request.state_dir.as_deref().unwrap_or(DEFAULT_STATE_DIR), Field::StateDir)?;
        if caller.agent_vm.as_deref().is_some_and(|own| own != request.vm_id) {
            return Err(AppError::with_detail(ErrorCode::Forbidden, "an agent reads its own VM's configuration only"));
        }
        let havip = self.havip(caller, havip_id).await?;
        let Some(vm_index) = havip.vms.iter().position(|vm| vm.id == request.vm_id) else {
            return Err(AppError::with_detail(
                ErrorCode::VmNotBound,
                format!("{:?} is not bound to {havip_id}", request.vm_id),
            ));
        };
        let address = |ip: &str| Ipv4::parse(ip).map_err(|_| AppError::internal());
        let cidr = SubnetCidr::parse(&havip.subnet.cidr).map_err(|_| AppError::internal())?;
        let config = KeepalivedConfig {
            vip: address(&havip.ip)?,
            prefix_len: cidr.prefix(),
            vrid: havip.vrid,
            config_revision: havip.config_revision,
            interface,
            vm_ip: address(&havip.vms[vm_index].ip)?,
            vm_index,
            peers: havip
                .vms
                .iter()
                .filter(|vm| vm.id != request.vm_id)
                .map(|vm| address(&vm.ip))
                .collect::<Result<_, _>>()?,
            agent,
            state_dir,
            havip_id: havip.id,
        };
        Ok(config.render())
    }

    /// A page of a HAVIP's history, newest first.
    pub async fn havip_events(
        &self,
        caller: &Caller,
        havip_id: &str,
        limit: Option<u32>,
        before: Option<&str>,
    ) -> Result<HavipEventPage, AppError> {
        let limit = limit.unwrap_or(50);
        if !(1..=MAX_EVENTS_PER_PAGE).contains(&limit) {
            return Err(AppError::invalid_parameter(
                Field::Limit,
                format!("limit must be from 1 to {MAX_EVENTS_PER_PAGE}"),
            ));
        }
        let before = before.map(crate::service::read_cursor).transpose()?;
        self.havip(caller, havip_id).await?;
        let mut conn = self.db.reader().await?;
        let mut items = ha::events(&mut conn, &caller.tenant_id, havip_id, limit + 1, before).await?;
        let next_before = (items.len() > limit as usize).then(|| {
            items.truncate(limit as usize);
            items.last().map(|e| format!("{}:{}", e.at.as_micros(), e.id)).unwrap_or_default()
        });
        Ok(HavipEventPage { items, next_before })
    }
}
