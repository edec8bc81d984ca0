//! The keepalived configuration of one bound VM of a HAVIP, right by construction: unicast
//! VRRP to the other bound VMs (one peer per line: keepalived misreads several on one line),
//! every VM starting as BACKUP without preemption, priorities by binding order, the VIP with its
//! subnet's prefix length, and a `notify` that hands every state change to `havip agent`.
//! Measured with keepalived 2.2.7: every file this writes passes `keepalived -t`, and the text
//! it puts into a file read by a root daemon is only what the checks here let through.

use super::error::{AppError, ErrorCode, Field};
use super::ids::IdKind;
use super::ipv4::Ipv4;

/// Where the agent is installed and keeps its state, unless the request says otherwise.
pub const DEFAULT_AGENT: &str = "/usr/bin/havip";
pub const DEFAULT_STATE_DIR: &str = "/run/havip-agent";
pub const DEFAULT_INTERFACE: &str = "eth0";

/// A network interface name as Linux allows it (1–15 bytes, no `/`, no space, not `.` or `..`),
/// narrowed to the characters keepalived's configuration reads as one word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceName(String);

impl InterfaceName {
    pub fn parse(text: &str) -> Result<InterfaceName, AppError> {
        let fits = (1..=15).contains(&text.len())
            && text != "."
            && text != ".."
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !fits {
            return Err(AppError::with_detail(
                ErrorCode::InvalidInterfaceName,
                format!("{text:?} is not an interface name"),
            ));
        }
        Ok(InterfaceName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute path that keepalived runs or passes on without a shell: only `/`, letters,
/// digits, `.`, `_` and `-` (keepalived splits words itself and expands nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafePath(String);

impl SafePath {
    pub fn parse(text: &str, field: Field) -> Result<SafePath, AppError> {
        let fits = text.starts_with('/')
            && text.len() <= 256
            && !text.split('/').any(|part| part == "..")
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
        if !fits {
            return Err(AppError::invalid_parameter(
                field,
                format!("{text:?} must be an absolute path of letters, digits, '/', '.', '_' or '-'"),
            ));
        }
        Ok(SafePath(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// keepalived's instance name for a HAVIP: `havip_` and the random part of its ID.
pub fn instance_name(havip_id: &str) -> String {
    format!("havip_{}", havip_id.strip_prefix("havip-").unwrap_or(havip_id))
}

/// The HAVIP an instance name stands for.
pub fn havip_of_instance(instance: &str) -> Option<String> {
    let id = format!("{}-{}", IdKind::Havip.prefix(), instance.strip_prefix("havip_")?);
    super::ids::is_well_formed(IdKind::Havip, &id).then_some(id)
}

/// The priority of the VM bound `index`-th (0 first): 200, 150, 100. The first bound is the
/// preferred master; the gaps of 50 keep the backups' takeover delays about 0.2 s apart, so
/// after a graceful stop one backup wins before the other starts.
pub fn priority(index: usize) -> u8 {
    200u8.saturating_sub(50u8.saturating_mul(u8::try_from(index).unwrap_or(u8::MAX)))
}

/// The line by which the agent reads which revision a configuration file is.
pub fn revision_marker(havip_id: &str, revision: i64) -> String {
    format!("# havip-config {havip_id} revision {revision}")
}

/// The (HAVIP, revision) pairs a configuration file declares.
pub fn revisions_in(text: &str) -> Vec<(String, i64)> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("# havip-config ")?.split(' ');
            let (id, label, revision) = (words.next()?, words.next()?, words.next()?);
            (label == "revision").then(|| Some((id.to_owned(), revision.parse().ok()?))).flatten()
        })
        .collect()
}

/// Everything the file of one VM says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeepalivedConfig {
    pub havip_id: String,
    pub vip: Ipv4,
    pub prefix_len: u8,
    pub vrid: i64,
    pub config_revision: i64,
    pub interface: InterfaceName,
    /// This VM's address, and its place in the binding order.
    pub vm_ip: Ipv4,
    pub vm_index: usize,
    /// The other bound VMs' addresses.
    pub peers: Vec<Ipv4>,
    pub agent: SafePath,
    pub state_dir: SafePath,
}

impl KeepalivedConfig {
    pub fn render(&self) -> String {
        let instance = instance_name(&self.havip_id);
        let interface = self.interface.as_str();
        let peers: String = self.peers.iter().map(|peer| format!("        {peer}\n")).collect();
        format!(
            "{marker}\n\
             # keepalived configuration of HAVIP {id} ({vip}/{prefix}) for the bound VM {vm_ip},\n\
             # generated by the HAVIP console. Fetch it again when the HAVIP's VMs change.\n\
             global_defs {{\n\
             \x20   # The notify script runs as root: refuse scripts that others could change.\n\
             \x20   enable_script_security\n\
             \x20   script_user root\n\
             }}\n\
             \n\
             vrrp_instance {instance} {{\n\
             \x20   # Every VM starts as a backup; a VM that comes back does not take the VIP back.\n\
             \x20   state BACKUP\n\
             \x20   nopreempt\n\
             \x20   interface {interface}\n\
             \x20   virtual_router_id {vrid}\n\
             \x20   priority {priority}\n\
             \x20   advert_int 1\n\
             \x20   # Unicast VRRP to the other bound VMs, one per line.\n\
             \x20   unicast_src_ip {vm_ip}\n\
             \x20   unicast_peer {{\n\
             {peers}\
             \x20   }}\n\
             \x20   virtual_ipaddress {{\n\
             \x20       {vip}/{prefix} dev {interface}\n\
             \x20   }}\n\
             \x20   garp_master_delay 1\n\
             \x20   # keepalived adds: INSTANCE <name> <state> <priority>.\n\
             \x20   notify \"{agent} agent notify --state-dir {state_dir}\"\n\
             }}\n",
            marker = revision_marker(&self.havip_id, self.config_revision),
            id = self.havip_id,
            vip = self.vip,
            prefix = self.prefix_len,
            vm_ip = self.vm_ip,
            vrid = self.vrid,
            priority = priority(self.vm_index),
            agent = self.agent.as_str(),
            state_dir = self.state_dir.as_str(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> KeepalivedConfig {
        KeepalivedConfig {
            havip_id: "havip-k3j9x0q2m1ab".into(),
            vip: Ipv4::parse("198.18.1.50").expect("ip"),
            prefix_len: 24,
            vrid: 51,
            config_revision: 3,
            interface: InterfaceName::parse("eth0").expect("eth0"),
            vm_ip: Ipv4::parse("198.18.1.11").expect("ip"),
            vm_index: 0,
            peers: vec![Ipv4::parse("198.18.1.12").expect("ip"), Ipv4::parse("198.18.1.13").expect("ip")],
            agent: SafePath::parse(DEFAULT_AGENT, Field::Agent).expect("agent"),
            state_dir: SafePath::parse(DEFAULT_STATE_DIR, Field::StateDir).expect("dir"),
        }
    }

    #[test]
    fn one_peer_per_line_and_the_vip_with_its_prefix() {
        let text = config().render();
        assert!(text.contains("    unicast_peer {\n        198.18.1.12\n        198.18.1.13\n    }\n"), "{text}");
        assert!(text.contains("198.18.1.50/24 dev eth0"), "{text}");
        assert!(text.contains("vrrp_instance havip_k3j9x0q2m1ab {"), "{text}");
        assert!(text.contains("priority 200\n") && text.contains("state BACKUP\n") && text.contains("nopreempt\n"));
        assert!(text.contains("notify \"/usr/bin/havip agent notify --state-dir /run/havip-agent\""), "{text}");
        assert_eq!(revisions_in(&text), vec![("havip-k3j9x0q2m1ab".to_owned(), 3)]);
    }

    #[test]
    fn priorities_follow_the_binding_order() {
        assert_eq!([priority(0), priority(1), priority(2)], [200, 150, 100]);
    }

    #[test]
    fn instance_names_round_trip() {
        assert_eq!(instance_name("havip-k3j9x0q2m1ab"), "havip_k3j9x0q2m1ab");
        assert_eq!(havip_of_instance("havip_k3j9x0q2m1ab").as_deref(), Some("havip-k3j9x0q2m1ab"));
        assert_eq!(havip_of_instance("VI_1"), None);
    }

    #[test]
    fn only_names_and_paths_that_cannot_escape_their_line() {
        for name in ["eth0", "ens3", "eth0.100", "br-lan", "a_b"] {
            assert!(InterfaceName::parse(name).is_ok(), "{name}");
        }
        for name in ["", ".", "..", "eth0;rm -rf /", "eth 0", "eth0\n", "a/b", "sixteen-chars-xx", "\"eth0\"", "eth0}"]
        {
            assert_eq!(InterfaceName::parse(name).expect_err(name).code, ErrorCode::InvalidInterfaceName);
        }
        assert!(SafePath::parse("/opt/havip/bin/havip", Field::Agent).is_ok());
        for path in ["havip", "/usr/bin/havip --evil", "/a/../b", "/a\"b", "/a;b", "/a$HOME"] {
            assert!(SafePath::parse(path, Field::Agent).is_err(), "{path}");
        }
    }
}
