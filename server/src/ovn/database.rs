//! One OVN database as the server uses it: a connection opened when first needed, kept, and
//! opened again after it breaks, with a deadline on every transaction.

use super::ovsdb::{Connection, OvsdbError};
use super::remote::{Remote, TlsConnector};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// The longest a transaction may take: Northbound answers in milliseconds; longer means it is
/// not there, and the job is tried again later.
const DEADLINE: Duration = Duration::from_secs(10);

pub struct Database {
    pub name: &'static str,
    pub remote: Remote,
    tls: Option<TlsConnector>,
    connection: Mutex<Option<Arc<Connection>>>,
}

impl Database {
    pub fn new(name: &'static str, remote: Remote, tls: Option<TlsConnector>) -> Database {
        Database { name, remote, tls, connection: Mutex::new(None) }
    }

    /// Opens a connection of its own (a monitor keeps one to itself).
    pub async fn open(
        &self,
    ) -> Result<(Connection, tokio::sync::mpsc::Receiver<super::ovsdb::Notification>), OvsdbError> {
        Connection::open(&self.remote, self.tls.as_ref()).await
    }

    async fn shared(&self) -> Result<Arc<Connection>, OvsdbError> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref().filter(|c| c.is_open()) {
            return Ok(connection.clone());
        }
        let (connection, _) = self.open().await?;
        let connection = Arc::new(connection);
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Runs operations as one transaction on the shared connection.
    pub async fn transact(&self, operations: Vec<Value>) -> Result<Vec<Value>, OvsdbError> {
        let work = async {
            let connection = self.shared().await?;
            connection.transact(self.name, operations).await
        };
        let outcome = tokio::time::timeout(DEADLINE, work).await.unwrap_or(Err(OvsdbError::TimedOut));
        if matches!(outcome, Err(OvsdbError::TimedOut | OvsdbError::Closed)) {
            // A connection that let a call down is not trusted with the next one.
            *self.connection.lock().await = None;
        }
        outcome
    }
}
