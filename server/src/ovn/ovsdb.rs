//! A client of the OVSDB protocol (RFC 7047) with what the OVN driver needs: `transact`,
//! `monitor_cond` and `echo`, over `unix:`, `tcp:` and `ssl:` remotes. No maintained crate does
//! these three on tokio with TLS (docs/architecture.md, "OVN driver"); the protocol is JSON-RPC
//! 1.0 with messages concatenated on one stream, no delimiter, so the reader parses as it reads.

use super::remote::{Remote, TlsConnector};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Mutex, mpsc, oneshot};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum OvsdbError {
    #[error("cannot reach {remote}: {why}")]
    Unreachable { remote: String, why: String },
    #[error("the connection to the database closed")]
    Closed,
    #[error("the database did not answer in time")]
    TimedOut,
    #[error("the database refused the request: {0}")]
    Refused(String),
    /// An operation of a transaction failed: its index, OVSDB's error and details.
    #[error("operation {index} failed: {error} ({details})")]
    Operation { index: usize, error: String, details: String },
    #[error("the database answered something unexpected: {0}")]
    Protocol(String),
}

type Pending = Arc<std::sync::Mutex<HashMap<u64, oneshot::Sender<Result<Value, OvsdbError>>>>>;
type Writer = Arc<Mutex<Box<dyn AsyncWrite + Send + Unpin>>>;

/// One connection to a database server. Notifications of its monitors arrive on the receiver
/// that [`Connection::open`] hands back; the connection answers the server's echo itself.
pub struct Connection {
    writer: Writer,
    pending: Pending,
    next_id: AtomicU64,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// A notification of a monitor: its ID and the table updates (`update2`'s second parameter).
#[derive(Clone, Debug)]
pub struct Notification {
    pub monitor: Value,
    pub updates: Value,
}

impl Connection {
    pub async fn open(
        remote: &Remote,
        tls: Option<&TlsConnector>,
    ) -> Result<(Connection, mpsc::Receiver<Notification>), OvsdbError> {
        let stream =
            remote.connect(tls).await.map_err(|why| OvsdbError::Unreachable { remote: remote.to_string(), why })?;
        let (read, write) = tokio::io::split(stream);
        let writer: Writer = Arc::new(Mutex::new(Box::new(write)));
        let pending: Pending = Arc::default();
        let (notify, notifications) = mpsc::channel(256);
        let reader = tokio::spawn(read_messages(read, writer.clone(), pending.clone(), notify));
        Ok((Connection { writer, pending, next_id: AtomicU64::new(1), reader }, notifications))
    }

    /// Whether the connection still reads (it stops when the server closes it).
    pub fn is_open(&self) -> bool {
        !self.reader.is_finished()
    }

    /// Calls a method; answers its `result`, or the error the server gave.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, OvsdbError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).insert(id, answer);
        let message = json!({"method": method, "params": params, "id": id});
        send(&self.writer, &message).await?;
        answered.await.map_err(|_| OvsdbError::Closed)?
    }

    /// Runs operations as one transaction; answers each operation's result. A failed operation
    /// (or a failure at commit, reported after the last operation) is an error naming it.
    pub async fn transact(&self, database: &str, operations: Vec<Value>) -> Result<Vec<Value>, OvsdbError> {
        let count = operations.len();
        let mut params = vec![json!(database)];
        params.extend(operations);
        let result = self.call("transact", Value::Array(params)).await?;
        let results = result.as_array().cloned().ok_or_else(|| OvsdbError::Protocol(result.to_string()))?;
        for (index, outcome) in results.iter().enumerate() {
            if let Some(error) = outcome.get("error").and_then(Value::as_str) {
                let details = outcome.get("details").and_then(Value::as_str).unwrap_or_default().to_owned();
                return Err(OvsdbError::Operation { index, error: error.to_owned(), details });
            }
        }
        if results.len() < count {
            return Err(OvsdbError::Protocol(format!("{} results for {count} operations", results.len())));
        }
        Ok(results)
    }
}

async fn send(writer: &Writer, message: &Value) -> Result<(), OvsdbError> {
    let bytes = serde_json::to_vec(message).map_err(|e| OvsdbError::Protocol(e.to_string()))?;
    let mut writer = writer.lock().await;
    writer.write_all(&bytes).await.map_err(|_| OvsdbError::Closed)?;
    writer.flush().await.map_err(|_| OvsdbError::Closed)
}

/// Reads messages until the connection ends: replies go to their callers, notifications to
/// the monitors' channel, and the server's echo is answered (a remote over TCP drops a client
/// that does not answer within 5 s).
async fn read_messages(
    mut read: impl AsyncRead + Unpin,
    writer: Writer,
    pending: Pending,
    notify: mpsc::Sender<Notification>,
) {
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match read.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buffer.extend_from_slice(&chunk[..n]);
        let mut messages = serde_json::Deserializer::from_slice(&buffer).into_iter::<Value>();
        let mut consumed = 0;
        let mut parsed = Vec::new();
        loop {
            match messages.next() {
                Some(Ok(message)) => {
                    consumed = messages.byte_offset();
                    parsed.push(message);
                }
                // The rest of a message is still on its way.
                Some(Err(error)) if error.is_eof() => break,
                Some(Err(error)) => {
                    tracing::warn!(%error, "OVSDB sent what is not JSON; closing the connection");
                    return fail_all(&pending);
                }
                None => break,
            }
        }
        buffer.drain(..consumed);
        for message in parsed {
            dispatch(message, &writer, &pending, &notify).await;
        }
    }
    fail_all(&pending);
}

async fn dispatch(message: Value, writer: &Writer, pending: &Pending, notify: &mpsc::Sender<Notification>) {
    match (message.get("method").and_then(Value::as_str), message.get("id")) {
        (Some("echo"), Some(id)) => {
            let params = message.get("params").cloned().unwrap_or_else(|| json!([]));
            let _ = send(writer, &json!({"id": id, "result": params, "error": null})).await;
        }
        (Some("update2" | "update"), _) => {
            let params = message.get("params").and_then(Value::as_array).cloned().unwrap_or_default();
            if let [monitor, updates, ..] = params.as_slice() {
                let _ = notify.send(Notification { monitor: monitor.clone(), updates: updates.clone() }).await;
            }
        }
        (None, Some(id)) => {
            let Some(answer) = id.as_u64().and_then(|id| pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&id))
            else {
                return;
            };
            let outcome = match message.get("error") {
                Some(error) if !error.is_null() => Err(OvsdbError::Refused(error.to_string())),
                _ => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
            };
            let _ = answer.send(outcome);
        }
        _ => {}
    }
}

fn fail_all(pending: &Pending) {
    for (_, answer) in pending.lock().unwrap_or_else(|e| e.into_inner()).drain() {
        let _ = answer.send(Err(OvsdbError::Closed));
    }
}

/// OVSDB's encodings of a set and a map.
pub fn set(items: impl IntoIterator<Item = Value>) -> Value {
    json!(["set", items.into_iter().collect::<Vec<_>>()])
}

pub fn map<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Value {
    json!(["map", pairs.into_iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>()])
}

/// The value of a `["map", [[k, v], …]]` at `key`.
pub fn map_get<'a>(map: &'a Value, key: &str) -> Option<&'a str> {
    map.get(1)?.as_array()?.iter().find(|pair| pair.get(0).and_then(Value::as_str) == Some(key))?.get(1)?.as_str()
}

/// An optional string column: the bare string, or `["set", []]` for none.
pub fn optional_string(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    /// A connection over an in-memory pipe, and the server's end of it.
    async fn pair() -> (Connection, mpsc::Receiver<Notification>, tokio::io::DuplexStream) {
        let (client, server) = duplex(64 * 1024);
        let (read, write) = tokio::io::split(client);
        let writer: Writer = Arc::new(Mutex::new(Box::new(write)));
        let pending: Pending = Arc::default();
        let (notify, notifications) = mpsc::channel(16);
        let reader = tokio::spawn(read_messages(read, writer.clone(), pending.clone(), notify));
        (Connection { writer, pending, next_id: AtomicU64::new(1), reader }, notifications, server)
    }

    async fn next_request(server: &mut tokio::io::DuplexStream) -> Value {
        let mut buffer = vec![0u8; 4096];
        let n = server.read(&mut buffer).await.expect("read");
        serde_json::from_slice(&buffer[..n]).expect("json")
    }

    #[tokio::test]
    async fn replies_in_one_read_and_split_across_reads_reach_their_callers() {
        let (connection, _, mut server) = pair().await;
        let connection = Arc::new(connection);
        let first = tokio::spawn({
            let c = connection.clone();
            async move { c.call("echo", json!(["a"])).await }
        });
        let request = next_request(&mut server).await;
        assert_eq!(request["method"], "echo");
        // The reply comes in two pieces, a notification and a server echo glued to it.
        let reply = format!(r#"{{"id":{},"result":["a"],"error":null}}"#, request["id"]);
        let (head, tail) = reply.split_at(7);
        server.write_all(head.as_bytes()).await.expect("write");
        server.flush().await.expect("flush");
        let glued = format!(r#"{tail}{{"id":"echo","method":"echo","params":["x"]}}"#);
        server.write_all(glued.as_bytes()).await.expect("write");
        assert_eq!(first.await.expect("join").expect("answer"), json!(["a"]));
        let echoed = next_request(&mut server).await;
        assert_eq!(echoed, json!({"id": "echo", "result": ["x"], "error": null}), "the server's echo is answered");
    }

    #[tokio::test]
    async fn a_failed_operation_names_its_index() {
        let (connection, _, mut server) = pair().await;
        let connection = Arc::new(connection);
        let call = tokio::spawn({
            let c = connection.clone();
            async move {
                c.transact("OVN_Northbound", vec![json!({"op": "comment", "comment": "a"}), json!({"op": "wait"})])
                    .await
            }
        });
        let request = next_request(&mut server).await;
        let reply = json!({"id": request["id"], "result": [{}, {"error": "timed out", "details": "\"where\" clause test failed"}], "error": null});
        server.write_all(reply.to_string().as_bytes()).await.expect("write");
        match call.await.expect("join") {
            Err(OvsdbError::Operation { index, error, .. }) => assert_eq!((index, error.as_str()), (1, "timed out")),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn notifications_reach_the_monitor_and_a_closed_connection_fails_what_waits() {
        let (connection, mut notifications, mut server) = pair().await;
        server
            .write_all(br#"{"id":null,"method":"update2","params":["vp",{"Port_Binding":{"u":{"modify":{"virtual_parent":"vm2"}}}}]}"#)
            .await
            .expect("write");
        let notification = notifications.recv().await.expect("notification");
        assert_eq!(notification.monitor, "vp");
        assert_eq!(notification.updates["Port_Binding"]["u"]["modify"]["virtual_parent"], "vm2");
        let call = connection.call("echo", json!([]));
        drop(server);
        assert!(matches!(call.await, Err(OvsdbError::Closed)));
    }

    #[test]
    fn maps_and_sets_as_ovsdb_writes_them() {
        let options = map([("virtual-ip", "198.18.2.50".to_owned()), ("virtual-parents", "vm1,vm2".to_owned())]);
        assert_eq!(options, json!(["map", [["virtual-ip", "198.18.2.50"], ["virtual-parents", "vm1,vm2"]]]));
        assert_eq!(map_get(&options, "virtual-parents"), Some("vm1,vm2"));
        assert_eq!(set([json!(["uuid", "u"])]), json!(["set", [["uuid", "u"]]]));
        assert_eq!(optional_string(Some(&json!("vm1"))).as_deref(), Some("vm1"));
        assert_eq!(optional_string(Some(&json!(["set", []]))), None);
    }
}
