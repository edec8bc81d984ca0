//! The HAVIP in OVN's Northbound database: one logical switch port of type `virtual` per HAVIP,
//! named after the HAVIP, on its subnet's logical switch, with the VIP as `virtual-ip` and the
//! bound VMs' ports as `virtual-parents`. Each function makes it so and is right to run twice: a
//! job that is tried again finds its work done and succeeds.

use super::database::Database;
use super::ovsdb::{OvsdbError, map, map_get, set};
use serde_json::{Value, json};

pub const DATABASE: &str = "OVN_Northbound";
/// `external_ids` that mark a port as the console's, so that reconciliation touches no other.
pub const MANAGED_KEY: &str = "havip-console:managed";
pub const TENANT_KEY: &str = "havip-console:tenant";

/// The port a HAVIP should have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedPort {
    /// The HAVIP's ID, which names the port.
    pub name: String,
    pub tenant_id: String,
    pub switch: String,
    pub ip: String,
    /// The bound VMs' logical ports, in binding order.
    pub parents: Vec<String>,
}

/// A port of the console's, as Northbound has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedPort {
    pub name: String,
    pub tenant_id: Option<String>,
    /// The row as read (type, options, external IDs), for [`WantedPort::matches`].
    pub row: Value,
}

/// What making a port as wanted did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ensured {
    Created,
    Updated,
    AsWanted,
}

/// Why a port could not be made as wanted.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// OVN lacks what the port needs: the HAVIP fails with this reason.
    #[error("{0}")]
    Missing(String),
    /// The database could not be asked: try again later.
    #[error(transparent)]
    Unavailable(OvsdbError),
    /// The database answered, but not as it should have.
    #[error("{0}")]
    Refused(String),
}

impl From<OvsdbError> for PortError {
    fn from(error: OvsdbError) -> PortError {
        match error {
            OvsdbError::Unreachable { .. } | OvsdbError::Closed | OvsdbError::TimedOut => PortError::Unavailable(error),
            other => PortError::Refused(other.to_string()),
        }
    }
}

impl WantedPort {
    fn options(&self) -> Value {
        let mut options = vec![("virtual-ip", self.ip.clone())];
        // With no VM bound OVN has no parent to follow; the key is left out rather than empty.
        if !self.parents.is_empty() {
            options.push(("virtual-parents", self.parents.join(",")));
        }
        map(options)
    }

    fn external_ids(&self) -> Value {
        map([(MANAGED_KEY, "true".to_owned()), (TENANT_KEY, self.tenant_id.clone())])
    }

    /// Whether the port's row is exactly as wanted: virtual, these options and no other, ours.
    pub fn matches(&self, row: &Value) -> bool {
        let parents = map_get(&row["options"], "virtual-parents").unwrap_or_default();
        row["type"] == "virtual"
            && map_get(&row["options"], "virtual-ip") == Some(self.ip.as_str())
            && parents == self.parents.join(",")
            && map_pairs(&row["options"]) == 1 + usize::from(!self.parents.is_empty())
            && map_get(&row["external_ids"], TENANT_KEY) == Some(self.tenant_id.as_str())
            && map_get(&row["external_ids"], MANAGED_KEY) == Some("true")
    }
}

fn map_pairs(map: &Value) -> usize {
    map.get(1).and_then(Value::as_array).map_or(0, Vec::len)
}

fn by_name(name: &str) -> Value {
    json!([["name", "==", name]])
}

fn select(table: &str, name: &str, columns: &[&str]) -> Value {
    json!({"op": "select", "table": table, "where": by_name(name), "columns": columns})
}

/// An assertion that a row named `name` exists (`exists`) or does not.
fn wait(table: &str, name: &str, exists: bool) -> Value {
    let until = if exists { "!=" } else { "==" };
    json!({"op": "wait", "table": table, "timeout": 0, "where": by_name(name), "columns": ["name"], "until": until, "rows": []})
}

fn rows(result: &Value) -> &[Value] {
    result.get("rows").and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Makes the HAVIP's port as wanted: creates it, or brings its options up to date.
pub async fn ensure(db: &Database, wanted: &WantedPort) -> Result<Ensured, PortError> {
    // Another server may create the port between the look and the write: look again then.
    for _ in 0..3 {
        let mut reads = vec![
            select("Logical_Switch_Port", &wanted.name, &["_uuid", "type", "options", "external_ids"]),
            select("Logical_Switch", &wanted.switch, &["_uuid", "ports"]),
        ];
        reads.extend(wanted.parents.iter().map(|parent| select("Logical_Switch_Port", parent, &["name"])));
        let found = db.transact(reads).await?;
        let Some(switch) = rows(&found[1]).first() else {
            return Err(PortError::Missing(format!("OVN has no logical switch {}", wanted.switch)));
        };
        if let Some(index) = (0..wanted.parents.len()).find(|i| rows(&found[2 + i]).is_empty()) {
            return Err(PortError::Missing(format!(
                "OVN has no logical switch port {} (the port of the VM bound in place {})",
                wanted.parents[index],
                index + 1
            )));
        }
        let mut guards = vec![wait("Logical_Switch", &wanted.switch, true)];
        guards.extend(wanted.parents.iter().map(|parent| wait("Logical_Switch_Port", parent, true)));
        let outcome = match rows(&found[0]).first() {
            Some(port) => {
                let uuid = &port["_uuid"];
                if !switch_holds(switch, uuid) {
                    return Err(PortError::Missing(format!(
                        "port {} exists in OVN on another switch than {}",
                        wanted.name, wanted.switch
                    )));
                }
                if wanted.matches(port) {
                    return Ok(Ensured::AsWanted);
                }
                // Deleted meanwhile, the update would match no row and still succeed.
                guards.push(wait("Logical_Switch_Port", &wanted.name, true));
                let row =
                    json!({"type": "virtual", "options": wanted.options(), "external_ids": wanted.external_ids()});
                guards.push(json!({"op": "update", "table": "Logical_Switch_Port", "where": [["_uuid", "==", uuid]], "row": row}));
                guards.push(comment(&format!("havip-console: parents of {}", wanted.name)));
                (db.transact(guards).await, Ensured::Updated)
            }
            None => {
                let mut ops = vec![wait("Logical_Switch_Port", &wanted.name, false)];
                ops.extend(guards);
                let row = json!({"name": wanted.name, "type": "virtual", "options": wanted.options(), "external_ids": wanted.external_ids()});
                ops.push(json!({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": "vport", "row": row}));
                ops.push(json!({"op": "mutate", "table": "Logical_Switch", "where": by_name(&wanted.switch),
                    "mutations": [["ports", "insert", set([json!(["named-uuid", "vport"])])]]}));
                ops.push(comment(&format!("havip-console: create {}", wanted.name)));
                (db.transact(ops).await, Ensured::Created)
            }
        };
        match outcome {
            (Ok(_), ensured) => return Ok(ensured),
            // A guard failed: what was read changed meanwhile; read again.
            (Err(OvsdbError::Operation { error, .. }), _) if error == "timed out" => continue,
            (Err(error), _) => return Err(error.into()),
        }
    }
    Err(PortError::Refused(format!("port {} kept changing while it was written", wanted.name)))
}

fn switch_holds(switch: &Value, uuid: &Value) -> bool {
    // A set of one is written as the bare element.
    match switch["ports"].get(0).and_then(Value::as_str) {
        Some("set") => switch["ports"][1].as_array().is_some_and(|ports| ports.contains(uuid)),
        _ => switch["ports"] == *uuid,
    }
}

fn comment(text: &str) -> Value {
    json!({"op": "comment", "comment": text})
}

/// Removes the HAVIP's port; answers whether there was one.
pub async fn remove(db: &Database, name: &str) -> Result<bool, PortError> {
    let found = db.transact(vec![select("Logical_Switch_Port", name, &["_uuid", "external_ids"])]).await?;
    let Some(port) = rows(&found[0]).first() else { return Ok(false) };
    if map_get(&port["external_ids"], MANAGED_KEY) != Some("true") {
        return Err(PortError::Missing(format!("port {name} in OVN is not the console's; it is left alone")));
    }
    let uuid = port["_uuid"].clone();
    // The port is referenced by its switch only; removing the reference is what deletes it
    // (OVSDB collects rows of a non-root table that nothing references), the delete says so.
    let ops = vec![
        json!({"op": "mutate", "table": "Logical_Switch", "where": [["ports", "includes", uuid]],
            "mutations": [["ports", "delete", set([uuid.clone()])]]}),
        json!({"op": "delete", "table": "Logical_Switch_Port", "where": [["_uuid", "==", uuid]]}),
        comment(&format!("havip-console: delete {name}")),
    ];
    match db.transact(ops).await {
        Ok(_) => Ok(true),
        // Deleted by someone else meanwhile: what was wanted.
        Err(OvsdbError::Operation { index: 1, .. }) => Ok(true),
        Err(error) => Err(error.into()),
    }
}

/// Every port of the console's in Northbound.
pub async fn managed_ports(db: &Database) -> Result<Vec<ManagedPort>, PortError> {
    let managed = map([(MANAGED_KEY, "true".to_owned())]);
    let query = json!({"op": "select", "table": "Logical_Switch_Port",
        "where": [["external_ids", "includes", managed]], "columns": ["name", "type", "options", "external_ids"]});
    let found = db.transact(vec![query]).await?;
    Ok(rows(&found[0])
        .iter()
        .map(|row| ManagedPort {
            name: row["name"].as_str().unwrap_or_default().to_owned(),
            tenant_id: map_get(&row["external_ids"], TENANT_KEY).map(str::to_owned),
            row: row.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(parents: &[&str]) -> WantedPort {
        WantedPort {
            name: "havip-aaaaaaaa".into(),
            tenant_id: "tenant-a".into(),
            switch: "subnet-a".into(),
            ip: "198.18.2.50".into(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn a_port_is_as_wanted_only_with_exactly_its_options() {
        let port = wanted(&["vm1", "vm2"]);
        let row = json!({"type": "virtual", "options": port.options(), "external_ids": port.external_ids()});
        assert!(port.matches(&row));
        assert!(!wanted(&["vm2", "vm1"]).matches(&row), "the order of the parents is the binding order");
        assert!(!wanted(&["vm1"]).matches(&row));
        let mut extra = row.clone();
        extra["options"] = map([
            ("virtual-ip", "198.18.2.50".to_owned()),
            ("virtual-parents", "vm1,vm2".to_owned()),
            ("x", "y".to_owned()),
        ]);
        assert!(!port.matches(&extra), "an option added by hand is put right");
        let unbound = wanted(&[]);
        assert_eq!(unbound.options(), json!(["map", [["virtual-ip", "198.18.2.50"]]]));
    }

    #[test]
    fn a_switch_holds_a_port_in_a_set_or_alone() {
        let uuid = json!(["uuid", "u1"]);
        assert!(switch_holds(&json!({"ports": ["uuid", "u1"]}), &uuid));
        assert!(switch_holds(&json!({"ports": ["set", [["uuid", "u0"], ["uuid", "u1"]]]}), &uuid));
        assert!(!switch_holds(&json!({"ports": ["set", []]}), &uuid));
    }
}
