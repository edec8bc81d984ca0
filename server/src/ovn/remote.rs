//! Where an OVN database is, written as OVN's own tools take it (`unix:PATH`, `tcp:HOST:PORT`,
//! `ssl:HOST:PORT`), and opening a stream to it. Over `ssl:` the server wants a client
//! certificate (OVN's `--private-key`, `--certificate`, `--ca-cert`), and, as OVS does, the
//! server's certificate is checked against the CA but not against the host name:
//! `ovs-pki` issues certificates whose names are no host names.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// A database's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remote {
    Unix(PathBuf),
    Tcp { host: String, port: u16 },
    Ssl { host: String, port: u16 },
}

/// The files of OVN's `-p`/`-c`/`-C` options, for `ssl:` remotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub private_key: PathBuf,
    pub certificate: PathBuf,
    pub ca_cert: PathBuf,
}

/// A stream to a database, whatever carries it.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

impl std::str::FromStr for Remote {
    type Err = String;

    fn from_str(text: &str) -> Result<Remote, String> {
        let host_port = |rest: &str| -> Result<(String, u16), String> {
            // An IPv6 address is written in brackets: tcp:[fd00::1]:6641.
            let (host, port) = match rest.strip_prefix('[') {
                Some(bracketed) => {
                    let (host, after) = bracketed.split_once(']').ok_or("an IPv6 address needs its closing ]")?;
                    (host, after.strip_prefix(':').ok_or("the port is missing after the address")?)
                }
                None => rest.rsplit_once(':').ok_or("write HOST:PORT")?,
            };
            if host.is_empty() {
                return Err("the host is missing".into());
            }
            let port = port.parse::<u16>().ok().filter(|p| *p > 0).ok_or(format!("{port:?} is not a port"))?;
            Ok((host.to_owned(), port))
        };
        let parsed = match text.split_once(':') {
            Some(("unix", path)) if Path::new(path).is_absolute() => Remote::Unix(PathBuf::from(path)),
            // The daemons change directory to /, so a relative socket path would mean another file.
            Some(("unix", path)) => return Err(format!("{path:?}: the socket's path must be absolute")),
            Some(("tcp", rest)) => host_port(rest).map(|(host, port)| Remote::Tcp { host, port })?,
            Some(("ssl", rest)) => host_port(rest).map(|(host, port)| Remote::Ssl { host, port })?,
            _ => return Err("use unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT".into()),
        };
        Ok(parsed)
    }
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bracket = |host: &str| if host.contains(':') { format!("[{host}]") } else { host.to_owned() };
        match self {
            Remote::Unix(path) => write!(f, "unix:{}", path.display()),
            Remote::Tcp { host, port } => write!(f, "tcp:{}:{port}", bracket(host)),
            Remote::Ssl { host, port } => write!(f, "ssl:{}:{port}", bracket(host)),
        }
    }
}

impl Remote {
    pub fn needs_tls(&self) -> bool {
        matches!(self, Remote::Ssl { .. })
    }

    /// Opens a stream to the database.
    pub async fn connect(&self, tls: Option<&TlsConnector>) -> Result<Box<dyn Stream>, String> {
        match self {
            Remote::Unix(path) => Ok(Box::new(tokio::net::UnixStream::connect(path).await.map_err(|e| e.to_string())?)),
            Remote::Tcp { host, port } => Ok(Box::new(tcp(host, *port).await?)),
            Remote::Ssl { host, port } => {
                let tls = tls.ok_or("an ssl: remote needs --ovn-private-key, --ovn-certificate and --ovn-ca-cert")?;
                let name = ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
                let stream = tcp(host, *port).await?;
                Ok(Box::new(tls.0.connect(name, stream).await.map_err(|e| format!("TLS: {e}"))?))
            }
        }
    }
}

async fn tcp(host: &str, port: u16) -> Result<tokio::net::TcpStream, String> {
    let stream = tokio::net::TcpStream::connect((host, port)).await.map_err(|e| e.to_string())?;
    // The requests are small and answered one by one: waiting to fill a segment only adds delay.
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(stream)
}

/// The TLS side of `ssl:` remotes, made once from the files when the server starts, so that a
/// missing or unreadable file stops the start with its name.
#[derive(Clone)]
pub struct TlsConnector(tokio_rustls::TlsConnector);

impl TlsConnector {
    pub fn from_files(files: &TlsFiles) -> Result<TlsConnector, String> {
        let read_error = |path: &Path, e: rustls::pki_types::pem::Error| format!("{}: {e}", path.display());
        let mut roots = RootCertStore::empty();
        for certificate in CertificateDer::pem_file_iter(&files.ca_cert).map_err(|e| read_error(&files.ca_cert, e))? {
            let certificate = certificate.map_err(|e| read_error(&files.ca_cert, e))?;
            roots.add(certificate).map_err(|e| format!("{}: {e}", files.ca_cert.display()))?;
        }
        if roots.is_empty() {
            return Err(format!("{}: no CA certificate in it", files.ca_cert.display()));
        }
        let chain = CertificateDer::pem_file_iter(&files.certificate)
            .map_err(|e| read_error(&files.certificate, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| read_error(&files.certificate, e))?;
        let key = PrivateKeyDer::from_pem_file(&files.private_key).map_err(|e| read_error(&files.private_key, e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| e.to_string())?;
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnly(verifier)))
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("{} and {}: {e}", files.certificate.display(), files.private_key.display()))?;
        Ok(TlsConnector(tokio_rustls::TlsConnector::from(Arc::new(config))))
    }
}

/// Checks the server's chain as WebPKI does, all but the name: OVS checks no name either, and
/// the certificates of `ovs-pki` carry none that could match.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_as_ovn_writes_them() {
        let parse = |text: &str| text.parse::<Remote>();
        assert_eq!(parse("unix:/run/ovn/ovnnb_db.sock"), Ok(Remote::Unix("/run/ovn/ovnnb_db.sock".into())));
        assert_eq!(parse("tcp:198.18.0.10:6641"), Ok(Remote::Tcp { host: "198.18.0.10".into(), port: 6641 }));
        assert_eq!(parse("ssl:[fd00::10]:6642"), Ok(Remote::Ssl { host: "fd00::10".into(), port: 6642 }));
        for text in ["ssl:[fd00::10]:6642", "tcp:ovn-central:6641", "unix:/run/ovn/ovnsb_db.sock"] {
            assert_eq!(parse(text).expect(text).to_string(), text);
        }
        assert!(parse("unix:ovnnb_db.sock").expect_err("relative").contains("absolute"));
        assert!(parse("tcp:198.18.0.10").is_err());
        assert!(parse("tcp::6641").is_err());
        assert!(parse("tcp:198.18.0.10:0").is_err());
        assert!(parse("http://198.18.0.10:6641").is_err());
    }

    #[test]
    fn a_missing_certificate_file_is_named() {
        let files = TlsFiles {
            private_key: "/nonexistent/key.pem".into(),
            certificate: "/nonexistent/cert.pem".into(),
            ca_cert: "/nonexistent/ca.pem".into(),
        };
        let error = TlsConnector::from_files(&files).err().expect("missing files");
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }
}
