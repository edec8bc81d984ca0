//! How keepalived's `notify` reaches the running agent: `havip agent notify` (which keepalived
//! runs as root on every state change, with `INSTANCE <name> <state> <priority>` appended) sends
//! the words as one datagram to the agent's socket in its state directory, and the agent reports
//! at once instead of at its next tick. Each VM's agent on one host needs its own directory.

use app::domain::ha::VrrpState;
use std::path::{Path, PathBuf};
use tokio::net::UnixDatagram;

pub fn socket_path(state_dir: &Path) -> PathBuf {
    state_dir.join("notify.sock")
}

/// The agent's end: a socket in the state directory (one left by an agent that died goes).
pub fn listen(state_dir: &Path) -> std::io::Result<UnixDatagram> {
    std::fs::create_dir_all(state_dir)?;
    let path = socket_path(state_dir);
    match std::fs::remove_file(&path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    UnixDatagram::bind(path)
}

/// A state change as keepalived announced it: the instance and its new state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub instance: String,
    pub state: VrrpState,
}

/// Reads `INSTANCE <name> <state> [<priority>]`; anything else (a group's notification, garbage)
/// is no announcement of an instance.
pub fn parse(words: &str) -> Option<Announcement> {
    let mut words = words.split_whitespace();
    if words.next()? != "INSTANCE" {
        return None;
    }
    let instance = words.next()?.to_owned();
    let state = VrrpState::parse(words.next()?)?;
    Some(Announcement { instance, state })
}

/// `havip agent notify …`: hands keepalived's words to the running agent. keepalived does not
/// wait for anyone, so an agent that does not run is only said, not an error.
pub async fn send(state_dir: &Path, words: &[String]) -> std::io::Result<()> {
    let socket = UnixDatagram::unbound()?;
    socket.send_to(words.join(" ").as_bytes(), socket_path(state_dir)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keepalived_words() {
        let announced = parse("INSTANCE havip_k3j9x0q2m1ab MASTER 200").expect("instance");
        assert_eq!((announced.instance.as_str(), announced.state), ("havip_k3j9x0q2m1ab", VrrpState::Master));
        assert_eq!(parse("GROUP g1 BACKUP 100"), None);
        assert_eq!(parse("INSTANCE x SLEEPY"), None);
        assert_eq!(parse(""), None);
    }

    #[tokio::test]
    async fn a_notification_reaches_the_agent() {
        let dir = tempfile::tempdir().expect("dir");
        let agent = listen(dir.path()).expect("listen");
        send(dir.path(), &["INSTANCE".into(), "havip_abc".into(), "BACKUP".into(), "150".into()]).await.expect("send");
        let mut buffer = [0u8; 256];
        let n = agent.recv(&mut buffer).await.expect("recv");
        assert_eq!(&buffer[..n], b"INSTANCE havip_abc BACKUP 150");
    }
}
