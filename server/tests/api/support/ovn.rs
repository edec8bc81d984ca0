//! OVN's two databases for a test: real `ovsdb-server` processes with OVN's own schemas, in a
//! directory of the test, on unix sockets (and, asked for, a TLS remote on a free port).
//! Northbound is set up with `ovn-nbctl`, the tool operators use, and read back with it: the
//! driver is checked by a reader that is not its own. Without ovn-northd nothing turns
//! Northbound into Southbound; a test writes the Southbound rows the fabric would write.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct OvnDatabases {
    pub dir: tempfile::TempDir,
    servers: Vec<Child>,
    /// The port of Northbound's `pssl:` remote, when there is one.
    pub tls_port: Option<u16>,
}

/// The certificate files of a TLS remote, made with openssl.
pub struct Pki {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} cannot run ({e}): scripts/setup.sh --tests installs OVN"));
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Waits for a condition that the processes of the test make true.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "{what} within 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl OvnDatabases {
    /// Northbound and Southbound on unix sockets; with `pki`, Northbound on TLS too.
    pub fn start(pki: Option<&Pki>) -> OvnDatabases {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut servers = Vec::new();
        let mut tls_port = None;
        for (name, schema) in [("nb", "/usr/share/ovn/ovn-nb.ovsschema"), ("sb", "/usr/share/ovn/ovn-sb.ovsschema")] {
            let db = dir.path().join(format!("{name}.db"));
            run("ovsdb-tool", &["create", &db.display().to_string(), schema]);
            let socket = dir.path().join(format!("{name}.sock"));
            let log = dir.path().join(format!("{name}.log"));
            let mut args = vec![
                db.display().to_string(),
                format!("--remote=punix:{}", socket.display()),
                format!("--unixctl={}", dir.path().join(format!("{name}.ctl")).display()),
                format!("--log-file={}", log.display()),
            ];
            if let (Some(pki), "nb") = (pki, name) {
                args.push("--remote=pssl:0:127.0.0.1".into());
                args.push(format!("--private-key={}", pki.server_key.display()));
                args.push(format!("--certificate={}", pki.server_cert.display()));
                args.push(format!("--ca-cert={}", pki.ca_cert.display()));
            }
            let child = Command::new("ovsdb-server")
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("ovsdb-server: scripts/setup.sh --tests installs OVN");
            servers.push(child);
            wait_for(&format!("{name}.sock"), || socket.exists());
            if pki.is_some() && name == "nb" {
                let mut port = None;
                wait_for("the TLS remote's port in the log", || {
                    let text = std::fs::read_to_string(&log).unwrap_or_default();
                    port = text.lines().find_map(|l| l.split("listening on port ").nth(1)?.trim().parse().ok());
                    port.is_some()
                });
                tls_port = port;
            }
        }
        OvnDatabases { dir, servers, tls_port }
    }

    pub fn socket(&self, name: &str) -> String {
        format!("unix:{}", self.dir.path().join(format!("{name}.sock")).display())
    }

    pub fn nbctl(&self, args: &[&str]) -> String {
        let db = format!("--db={}", self.socket("nb"));
        run("ovn-nbctl", &[&[db.as_str(), "--timeout=10"], args].concat())
    }

    pub fn sbctl(&self, args: &[&str]) -> String {
        let db = format!("--db={}", self.socket("sb"));
        run("ovn-sbctl", &[&[db.as_str(), "--timeout=10"], args].concat())
    }

    /// A logical switch with a port per VM, as the inventory's convention names them.
    pub fn switch_with_ports(&self, switch: &str, ports: &[String]) {
        self.nbctl(&["ls-add", switch]);
        for port in ports {
            self.nbctl(&["lsp-add", switch, port]);
        }
    }

    /// A column of a Northbound port as `ovn-nbctl get` prints it (empty: no such port).
    pub fn port_column(&self, port: &str, column: &str) -> String {
        let db = format!("--db={}", self.socket("nb"));
        let output = Command::new("ovn-nbctl")
            .args([db.as_str(), "--if-exists", "get", "Logical_Switch_Port", port, column])
            .output()
            .expect("ovn-nbctl");
        // --if-exists answers nothing, successfully, for a missing port: a failure is not that.
        assert!(output.status.success(), "ovn-nbctl get: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// The Southbound row OVN's northd makes for a virtual port, with what the fabric says.
    pub fn bind_virtual_port(&self, port: &str, tenant_id: &str) -> String {
        let datapath = self.sbctl(&["create", "Datapath_Binding", "tunnel_key=1"]);
        let datapath = format!("datapath={datapath}");
        let tenant = format!("external_ids:\"havip-console:tenant\"=\"{tenant_id}\"");
        let logical_port = format!("logical_port={port}");
        let fields = [
            "create",
            "Port_Binding",
            &logical_port,
            &datapath,
            "tunnel_key=1",
            "type=virtual",
            "external_ids:\"havip-console:managed\"=\"true\"",
            &tenant,
        ];
        self.sbctl(&fields)
    }

    /// The fabric's word: OVN follows `parent` (None: nobody announced the VIP).
    pub fn set_virtual_parent(&self, binding: &str, parent: Option<&str>) {
        match parent {
            Some(parent) => self.sbctl(&["set", "Port_Binding", binding, &format!("virtual_parent={parent}")]),
            None => self.sbctl(&["clear", "Port_Binding", binding, "virtual_parent"]),
        };
    }
}

impl Drop for OvnDatabases {
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

impl Pki {
    /// A CA, a server certificate whose only name is not the address it is reached at (as with
    /// ovs-pki), and a client certificate, all signed by the CA; `other_ca` makes a second CA
    /// that signed nothing.
    pub fn make(dir: &Path) -> (Pki, PathBuf) {
        let path = |name: &str| dir.join(name).display().to_string();
        let key = |name: &str| {
            run("openssl", &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", &path(name)])
        };
        for name in ["ca.key", "other-ca.key", "server.key", "client.key"] {
            key(name);
        }
        for (ca, subject) in [("ca", "/CN=test-ca"), ("other-ca", "/CN=other-ca")] {
            run(
                "openssl",
                &[
                    "req",
                    "-x509",
                    "-new",
                    "-key",
                    &path(&format!("{ca}.key")),
                    "-subj",
                    subject,
                    "-days",
                    "2",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign",
                    "-out",
                    &path(&format!("{ca}.crt")),
                ],
            );
        }
        for (name, subject, san) in
            [("server", "/CN=ovsdb-nb", "subjectAltName=DNS:ovsdb-nb.test"), ("client", "/CN=havip-console", "")]
        {
            run(
                "openssl",
                &[
                    "req",
                    "-new",
                    "-key",
                    &path(&format!("{name}.key")),
                    "-subj",
                    subject,
                    "-out",
                    &path(&format!("{name}.csr")),
                ],
            );
            let extensions = format!("basicConstraints=CA:FALSE\n{san}\n");
            std::fs::write(dir.join(format!("{name}.ext")), extensions).expect("extensions");
            run(
                "openssl",
                &[
                    "x509",
                    "-req",
                    "-in",
                    &path(&format!("{name}.csr")),
                    "-CA",
                    &path("ca.crt"),
                    "-CAkey",
                    &path("ca.key"),
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-extfile",
                    &path(&format!("{name}.ext")),
                    "-out",
                    &path(&format!("{name}.crt")),
                ],
            );
        }
        let pki = Pki {
            ca_cert: dir.join("ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.crt"),
            client_key: dir.join("client.key"),
        };
        (pki, dir.join("other-ca.crt"))
    }
}
