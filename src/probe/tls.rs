//! TLS to the backend as nginx sets it up (`*_ssl_server_name`,
//! `*_ssl_name`, `*_ssl_verify`, `*_ssl_trusted_certificate`,
//! `*_ssl_verify_depth`), with rustls. nginx verifies nothing by default:
//! with `*_ssl_verify off` any certificate passes, and the handshake
//! signatures are still checked. With it on, only the trusted certificate
//! file is trusted (nginx refuses to start without one; ngxray then uses
//! the public webpki roots and says so). The peer certificate's names and
//! expiry are read with x509-parser whatever the verdict.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::target::TlsSettings;

/// What the handshake showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TlsReport {
    /// The SNI sent (`None`: `*_ssl_server_name off`).
    pub sni: Option<String>,
    /// The name the certificate is checked against.
    pub name: String,
    pub verify: bool,
    pub trusted_certificate: Option<String>,
    pub verify_depth: u32,
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub alpn: Option<String>,
    pub certificate: Option<CertInfo>,
    /// Why the handshake failed.
    pub error: Option<String>,
    /// Notes (no trusted certificate with verify on, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The peer's certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// DNS and IP subject alternative names.
    pub names: Vec<String>,
    /// RFC 3339, UTC.
    pub not_after: String,
    /// Days until expiry (negative: expired).
    pub days_left: i64,
}

/// Read the peer certificate.
pub fn cert_info(der: &[u8]) -> Option<CertInfo> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => names.push((*d).to_string()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => names
                        .push(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*b).ok()?).to_string()),
                    16 => names
                        .push(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*b).ok()?).to_string()),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let not_after = cert.validity().not_after.timestamp();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let rfc3339 = chrono::DateTime::from_timestamp(not_after, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    Some(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        names,
        not_after: rfc3339,
        days_left: (not_after - now).div_euclid(86_400),
    })
}

/// Records the peer certificate, then verifies as nginx would.
#[derive(Debug)]
struct Verifier {
    /// `None`: `*_ssl_verify off`.
    inner: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    depth: u32,
    /// DER of the trusted certificates (not counted in the depth).
    anchors: Vec<Vec<u8>>,
    seen: Mutex<Option<Vec<u8>>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(end_entity.as_ref().to_vec());
        }
        let Some(inner) = &self.inner else {
            return Ok(ServerCertVerified::assertion());
        };
        inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)?;
        // nginx counts the certificates above the leaf (OpenSSL's depth):
        // each intermediate not itself trusted, plus the trust anchor.
        let above = intermediates
            .iter()
            .filter(|c| !self.anchors.iter().any(|a| a.as_slice() == c.as_ref()))
            .count() as u32
            + 1;
        if above > self.depth {
            return Err(rustls::Error::General(format!(
                "certificate chain of depth {above} is longer than the verify depth {}",
                self.depth
            )));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client set up for one target, and the peer certificate it will see.
pub struct Client {
    pub config: Arc<ClientConfig>,
    pub server_name: ServerName<'static>,
    verifier: Arc<Verifier>,
}

impl Client {
    /// The peer certificate, once the handshake got that far.
    pub fn peer_certificate(&self) -> Option<Vec<u8>> {
        self.verifier.seen.lock().ok()?.clone()
    }
}

/// Build the client nginx's settings describe. Errors are configuration
/// problems (unreadable CA file, name that is not a host name).
pub fn client(s: &TlsSettings, report: &mut TlsReport) -> Result<Client, String> {
    // ring rather than aws-lc-rs: no cmake/C build of several minutes, and
    // nginx's own upstream TLS offers no post-quantum key exchange to match
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut anchors = Vec::new();
    let inner = if s.verify {
        let mut roots = RootCertStore::empty();
        match &s.trusted_certificate {
            Some(path) => {
                let iter = CertificateDer::pem_file_iter(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                for c in iter {
                    let c = c.map_err(|e| format!("{}: {e}", path.display()))?;
                    anchors.push(c.as_ref().to_vec());
                    roots
                        .add(c)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                }
                if roots.is_empty() {
                    return Err(format!("{}: no certificate in the file", path.display()));
                }
            }
            None => {
                report.notes.push(
                    "verify is on without a trusted certificate file (nginx refuses to start so); checked against the public webpki roots instead"
                        .into(),
                );
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
        }
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let verifier = Arc::new(Verifier {
        inner,
        provider: provider.clone(),
        depth: s.verify_depth,
        anchors,
        seen: Mutex::new(None),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    config.enable_sni = s.send_sni;
    config.alpn_protocols = s.alpn.clone();
    let server_name = match ServerName::try_from(s.name.clone()) {
        Ok(n) => n,
        // a name rustls cannot check against (an upstream name with `_`):
        // with verify off and no SNI nginx never uses it
        Err(_) if !s.verify && !s.send_sni => ServerName::try_from("invalid.invalid")
            .map_err(|e| e.to_string())?
            .to_owned(),
        Err(e) => return Err(format!("\"{}\" is not a host name: {e}", s.name)),
    };
    Ok(Client {
        config: Arc::new(config),
        server_name,
        verifier,
    })
}
