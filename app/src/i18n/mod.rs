//! The UI's two catalogs. Every piece of text the console shows comes from here; the struct
//! makes a missing translation a compile error.

mod en;
mod zh;

use crate::domain::ErrorCode;
use crate::domain::ha::Health;
use crate::domain::status::HavipStatus;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "havip_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value of `<html lang>`.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Lang {
        if code.starts_with("en") { Lang::En } else { Lang::Zh }
    }

    /// The language named by a `Cookie` header, Chinese when it names none.
    pub fn from_cookie_header(header: &str) -> Lang {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == LANG_COOKIE)
            .map(|(_, value)| Lang::from_code(value))
            .unwrap_or_default()
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &zh::TEXTS,
            Lang::En => &en::TEXTS,
        }
    }

    pub fn status(self, status: HavipStatus) -> &'static str {
        let t = self.texts();
        match status {
            HavipStatus::Creating => t.status_creating,
            HavipStatus::Available => t.status_available,
            HavipStatus::Failed => t.status_failed,
            HavipStatus::Deleting => t.status_deleting,
        }
    }

    pub fn health(self, health: Health) -> &'static str {
        let t = self.texts();
        match health {
            Health::Healthy => t.health_healthy,
            Health::Degraded => t.health_degraded,
            Health::SplitBrain => t.health_split_brain,
            Health::NoMaster => t.health_no_master,
            Health::Unknown => t.health_unknown,
            Health::FabricDisagrees => t.health_fabric_disagrees,
        }
    }

    /// A VM's state as the inventory says it; one this version does not know, as it is.
    pub fn vm_state(self, state: &str) -> &str {
        match state {
            "stopped" => self.texts().vm_stopped,
            other => other,
        }
    }

    /// An action of the operation log in words; one this version does not know, as it is.
    pub fn action(self, action: &str) -> &str {
        let labels = match self {
            Lang::Zh => &zh::ACTIONS,
            Lang::En => &en::ACTIONS,
        };
        label_of(action, &crate::domain::operations::ACTIONS, labels)
    }

    /// An outcome of the operation log in words; one this version does not know, as it is.
    pub fn outcome(self, outcome: &str) -> &str {
        let labels = match self {
            Lang::Zh => &zh::OUTCOMES,
            Lang::En => &en::OUTCOMES,
        };
        label_of(outcome, &crate::domain::operations::OUTCOMES, labels)
    }

    pub fn error(self, code: ErrorCode) -> &'static str {
        match self {
            Lang::Zh => zh::error_message(code),
            Lang::En => en::error_message(code),
        }
    }
}

/// The catalog's word for a code of the log: `labels` says `codes` in the same order.
fn label_of<'a>(code: &'a str, codes: &[&str], labels: &[&'static str]) -> &'a str {
    codes.iter().position(|c| *c == code).and_then(|i| labels.get(i)).copied().unwrap_or(code)
}

/// The text for one thing or the one for several (English says "HAVIP" or "HAVIPs"; Chinese
/// needs no such difference and has the same text twice).
pub fn by_count(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// Replaces `{name}` placeholders: `fill("共 {n} 条", &[("n", "3")])`.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

pub struct Texts {
    pub product_title: &'static str,
    pub console_name: &'static str,
    pub nav_havips: &'static str,
    pub page_title: &'static str,
    pub page_intro: &'static str,
    pub language: &'static str,
    pub user_menu: &'static str,
    pub tenant: &'static str,
    pub session_ended_title: &'static str,
    pub session_ended: &'static str,
    pub signed_in_again: &'static str,
    pub to_login_page: &'static str,
    pub sign_out: &'static str,
    pub api_tokens: &'static str,
    pub tokens_intro: &'static str,
    pub tokens_none: &'static str,
    pub token_id: &'static str,
    pub token_name: &'static str,
    pub token_name_hint: &'static str,
    pub col_last_used: &'static str,
    pub never_used: &'static str,
    pub new_token: &'static str,
    pub token_shown_once: &'static str,
    /// What the copy button of a secret copies, in its name (复制 …).
    pub the_secret: &'static str,
    pub revoke: &'static str,
    pub confirm_revoke: &'static str,
    /// `{id}`.
    pub token_revoked_toast: &'static str,

    pub create: &'static str,
    pub delete: &'static str,
    pub download: &'static str,
    /// The download of the list's current search, filters and sort (all its pages).
    pub download_view: &'static str,
    pub downloading: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub filter_status: &'static str,
    pub filter_health: &'static str,
    pub filter_vpc: &'static str,
    pub filter_subnet: &'static str,
    pub filter_project: &'static str,
    /// A filter on an ID the tenant does not have: `{id}`.
    pub unknown_vpc: &'static str,
    pub unknown_subnet: &'static str,
    pub unknown_project: &'static str,
    pub all_vpcs: &'static str,
    pub all_subnets: &'static str,
    pub all_projects: &'static str,
    pub clear_filters: &'static str,
    /// The VM filter that only a link can set (`?vm_id=`): `{id}`.
    pub vm_filter: &'static str,
    pub remove_vm_filter: &'static str,
    /// A status with its reason, in the Excel file: `{status}`, `{reason}`.
    pub status_with_reason: &'static str,
    pub refresh: &'static str,

    pub col_name_remark: &'static str,
    pub col_id: &'static str,
    pub col_status: &'static str,
    pub col_network: &'static str,
    pub col_ip: &'static str,
    pub col_vms: &'static str,
    pub col_master: &'static str,
    pub col_project: &'static str,
    pub col_created: &'static str,
    pub col_actions: &'static str,
    pub col_name: &'static str,
    pub col_remark: &'static str,
    pub col_vpc: &'static str,
    pub col_subnet: &'static str,
    pub sort_by: &'static str,

    pub status_creating: &'static str,
    pub status_available: &'static str,
    pub status_failed: &'static str,
    pub status_deleting: &'static str,

    pub health_healthy: &'static str,
    pub health_degraded: &'static str,
    pub health_split_brain: &'static str,
    pub health_no_master: &'static str,
    pub health_unknown: &'static str,
    /// Why the 主节点 column shows no master: no agent reports from the bound VMs.
    pub no_agent_hint: &'static str,
    /// A health with the VMs it names, in the Excel file: `{health}`, `{vms}`.
    pub health_with_vms: &'static str,
    /// The banner over the list: `{n}` HAVIPs in an alarming health (split brain, no master, the
    /// fabric disagreeing).
    pub alarms_one: &'static str,
    pub alarms_many: &'static str,
    pub show_alarms: &'static str,

    /// The detail drawer (详情) and its 概览 tab.
    pub details: &'static str,
    pub tab_overview: &'static str,
    pub config_revision: &'static str,
    pub vm: &'static str,
    pub vrrp_state: &'static str,
    pub holds_vip: &'static str,
    pub last_report: &'static str,
    pub running_config: &'static str,
    pub agent_reporting: &'static str,
    pub agent_silent: &'static str,
    pub agent_none: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub running: &'static str,
    pub not_running: &'static str,
    pub config_out_of_date: &'static str,
    pub install_agent: &'static str,
    /// Above the one-line install of an agent, shown once: `{vm}`.
    pub install_intro: &'static str,

    /// The 事件 tab: the history in words (`{vm}`, `{from}`, `{to}`, `{vms}`, `{state}`, `{reason}`).
    pub tab_events: &'static str,
    pub no_events: &'static str,
    pub load_more: &'static str,
    /// Whose clock an event's time is.
    pub agent_time: &'static str,
    pub server_time: &'static str,
    pub source_server: &'static str,
    /// Between the names of a list of VMs.
    pub list_separator: &'static str,
    pub event_master_changed: &'static str,
    pub event_master_now: &'static str,
    pub event_split_brain_started: &'static str,
    pub event_split_brain_ended: &'static str,
    pub event_no_master_started: &'static str,
    pub event_agent_lost: &'static str,
    pub event_agent_back: &'static str,
    pub event_vrrp_state: &'static str,
    pub event_vrid_changed: &'static str,
    pub event_created: &'static str,
    pub event_provisioned: &'static str,
    pub event_create_failed: &'static str,
    pub event_edited: &'static str,
    pub event_attached: &'static str,
    pub event_detached: &'static str,
    pub event_deleted: &'static str,
    pub event_delete_failed: &'static str,
    pub health_fabric_disagrees: &'static str,
    pub fabric_master: &'static str,
    pub fabric_master_hint: &'static str,
    pub source_fabric: &'static str,
    pub event_fabric_master_changed: &'static str,
    pub event_fabric_master_now: &'static str,
    pub event_fabric_disagrees_started: &'static str,
    pub event_fabric_disagrees_unheld: &'static str,
    pub event_fabric_disagrees_unsent: &'static str,
    pub event_fabric_disagrees_ended: &'static str,
    pub event_reprogrammed: &'static str,
    pub event_reprogram_failed: &'static str,
    pub event_reconcile_restored: &'static str,
    pub event_reconcile_updated: &'static str,

    /// The 配置 tab: a bound VM's keepalived configuration.
    pub tab_config: &'static str,
    pub config_intro: &'static str,
    pub interface: &'static str,
    pub interface_hint: &'static str,
    /// When no file could be made: `{why}`.
    pub config_refused: &'static str,

    pub edit: &'static str,
    pub select_all: &'static str,
    pub select_row: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub copy_failed: &'static str,
    pub master: &'static str,
    pub cannot_delete: &'static str,
    pub empty: &'static str,
    pub empty_filtered: &'static str,
    pub loading: &'static str,
    pub load_failed: &'static str,
    pub retry: &'static str,

    pub total: &'static str,
    pub page_size: &'static str,
    pub per_page: &'static str,
    /// The page size form's button, shown only until the WebAssembly has arrived.
    pub apply: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub page_of: &'static str,
    pub pagination: &'static str,

    pub create_title: &'static str,
    pub version_conflict_in_dialog: &'static str,
    pub load_latest: &'static str,
    pub latest_loaded: &'static str,
    pub latest_same: &'static str,
    pub changed_field: &'static str,
    pub edit_title: &'static str,
    pub field_name: &'static str,
    pub field_remark: &'static str,
    pub field_network: &'static str,
    pub field_vpc: &'static str,
    pub field_subnet: &'static str,
    pub field_ip: &'static str,
    pub field_vms: &'static str,
    pub field_project: &'static str,
    pub choose: &'static str,
    pub required: &'static str,
    pub default_project: &'static str,
    /// R1's messages: `{max}` and `{n}` characters; `{chars}` the characters not allowed.
    pub name_required: &'static str,
    pub name_too_long: &'static str,
    pub name_refused: &'static str,
    pub name_hint: &'static str,
    pub ip_hint: &'static str,
    /// The usable range when the gateway is at one of its ends (so not inside it).
    pub ip_hint_plain: &'static str,
    pub ip_reserved_network: &'static str,
    pub ip_reserved_broadcast: &'static str,
    pub ip_reserved_gateway: &'static str,
    pub ip_hint_no_subnet: &'static str,
    pub vm_full_named: &'static str,
    pub vm_other_subnet: &'static str,
    pub vm_stopped: &'static str,
    pub vm_havip_count: &'static str,
    pub vm_full: &'static str,
    pub vm_limit_reached: &'static str,
    pub no_vms_in_vpc: &'static str,
    pub vms_selected: &'static str,
    pub rebind_only_available: &'static str,
    pub need_network: &'static str,
    pub cancel: &'static str,
    pub confirm_create: &'static str,
    pub save: &'static str,
    pub close: &'static str,
    /// The × in a dialog's corner (named apart from a 关闭 button at its bottom).
    pub close_dialog: &'static str,
    pub submitting: &'static str,
    pub created_toast: &'static str,
    pub saved_toast: &'static str,

    pub delete_title: &'static str,
    pub delete_title_one: &'static str,
    pub delete_intro: &'static str,
    pub delete_intro_one: &'static str,
    pub delete_unbinds: &'static str,
    pub no_bound_vms: &'static str,
    pub confirm_delete: &'static str,
    pub deleting_toast: &'static str,
    pub deleting_toast_one: &'static str,
    /// The batch delete's result: `{ok}` deleted, `{failed}` not.
    pub delete_result: &'static str,
    pub delete_failed_toast: &'static str,
    pub nothing_selected: &'static str,

    pub sign_in_missing: &'static str,
    pub sign_in_wait: &'static str,
    pub sign_in_title: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    // Tenant administration: 用户管理 and 操作日志.
    pub nav_admin_group: &'static str,
    pub nav_users: &'static str,
    pub nav_operations: &'static str,
    pub users_intro: &'static str,
    pub col_username: &'static str,
    pub col_role: &'static str,
    pub col_last_login: &'static str,
    pub col_user_state: &'static str,
    pub role_admin: &'static str,
    pub role_member: &'static str,
    pub user_active: &'static str,
    pub user_disabled: &'static str,
    pub never_signed_in: &'static str,
    pub you_marker: &'static str,
    pub new_user: &'static str,
    pub password_label: &'static str,
    pub password_optional_hint: &'static str,
    pub password_shown_once: &'static str,
    pub reset_password: &'static str,
    pub reset_password_title: &'static str,
    pub reset_password_note: &'static str,
    pub disable: &'static str,
    pub enable: &'static str,
    pub make_admin: &'static str,
    pub make_member: &'static str,
    pub delete_user_title: &'static str,
    pub delete_user_confirm: &'static str,
    pub disable_user_confirm: &'static str,
    pub user_created_toast: &'static str,
    pub user_updated_toast: &'static str,
    pub password_reset_toast: &'static str,
    pub user_deleted_toast: &'static str,
    pub operations_intro: &'static str,
    pub col_time: &'static str,
    pub col_user: &'static str,
    pub col_action: &'static str,
    pub col_resource: &'static str,
    pub col_outcome: &'static str,
    pub col_detail: &'static str,
    pub col_request_id: &'static str,
    pub filter_since: &'static str,
    pub filter_until: &'static str,
    pub filter_user: &'static str,
    pub filter_action: &'static str,
    pub filter_outcome: &'static str,
    pub filter_resource: &'static str,
    pub all_users: &'static str,
    pub all_actions: &'static str,
    pub all_outcomes: &'static str,
    pub apply_filters: &'static str,
    pub reset_filters: &'static str,
    pub no_operations: &'static str,
    pub forbidden_page: &'static str,
}
