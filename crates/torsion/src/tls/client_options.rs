//! [`ClientOptions`] and [`options_for_client_tls`]: how a TLS client checks the server
//! (Twisted's `optionsForClientTLS`).

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::no_verify::NoVerification;
use super::{pem, provider, roots, TlsConfigError, DEFAULT_HANDSHAKE_TIMEOUT};

/// Options for a TLS client that verifies the server by default: its certificate must be
/// valid for `hostname` and signed by an authority the system trusts (or the bundled
/// Mozilla roots where the system has no store). The same as [`ClientOptions::new`].
///
/// # Errors
///
/// [`TlsConfigError`] if `hostname` is neither a DNS name nor an IP address.
///
/// # Examples
///
/// ```
/// use torsion::tls::options_for_client_tls;
///
/// let options = options_for_client_tls("example.org")?.with_alpn(["http/1.1"]);
/// assert_eq!(options.hostname(), "example.org");
/// # Ok::<(), torsion::tls::TlsConfigError>(())
/// ```
pub fn options_for_client_tls(hostname: &str) -> Result<ClientOptions, TlsConfigError> {
    ClientOptions::new(hostname)
}

/// A TLS client's options: the name the server must prove, the authorities trusted, a
/// client certificate, ALPN, the handshake's deadline. TLS 1.2 and 1.3 only.
///
/// Cheap to clone: connections share one rustls configuration.
#[derive(Clone)]
pub struct ClientOptions {
    config: Arc<ClientConfig>,
    hostname: String,
    server_name: ServerName<'static>,
    roots: Arc<RootCertStore>,
    client_auth: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    verify: bool,
    handshake_timeout: Duration,
}

impl ClientOptions {
    /// See [`options_for_client_tls`].
    ///
    /// # Errors
    ///
    /// As [`options_for_client_tls`].
    pub fn new(hostname: &str) -> Result<ClientOptions, TlsConfigError> {
        let server_name = ServerName::try_from(hostname.to_owned())
            .map_err(|e| TlsConfigError::caused_by(format!("bad server name {hostname:?}"), e))?;
        let mut options = ClientOptions {
            config: Arc::new(
                ClientConfig::builder_with_provider(provider::provider())
                    .with_protocol_versions(provider::VERSIONS)
                    .map_err(|e| TlsConfigError::caused_by("no usable TLS version", e))?
                    .with_root_certificates(RootCertStore::empty())
                    .with_no_client_auth(),
            ),
            hostname: hostname.to_owned(),
            server_name,
            roots: roots::default_roots(),
            client_auth: None,
            verify: true,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        };
        options.rebuild()?;
        Ok(options)
    }

    /// Trusts only the authorities in `ca_pem` (Twisted's `trustRoot`), instead of the
    /// default ones.
    ///
    /// # Errors
    ///
    /// [`TlsConfigError`] if `ca_pem` holds no usable certificate.
    pub fn with_trust_root_pem(mut self, ca_pem: &[u8]) -> Result<ClientOptions, TlsConfigError> {
        let mut roots = RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(pem::certificates(ca_pem, "the CA")?);
        if added == 0 {
            return Err(TlsConfigError::new("no usable certificate in the CA"));
        }
        self.roots = Arc::new(roots);
        self.rebuild()?;
        Ok(self)
    }

    /// [`with_trust_root_pem`](Self::with_trust_root_pem), reading the file at `path`.
    ///
    /// # Errors
    ///
    /// As [`with_trust_root_pem`](Self::with_trust_root_pem), and if the file cannot be
    /// read.
    pub fn with_trust_root_file(
        self,
        path: impl AsRef<Path>,
    ) -> Result<ClientOptions, TlsConfigError> {
        let pem = pem::read(path.as_ref())?;
        self.with_trust_root_pem(&pem)
    }

    /// Presents this certificate chain and key when the server asks for one.
    ///
    /// # Errors
    ///
    /// [`TlsConfigError`] if either PEM holds nothing usable or the key does not match.
    pub fn with_client_certificate(
        mut self,
        cert_chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<ClientOptions, TlsConfigError> {
        let chain = pem::certificates(cert_chain_pem, "the client certificate")?;
        let key = pem::private_key(key_pem, "the client key")?;
        self.client_auth = Some((chain, Arc::new(key)));
        self.rebuild()?;
        Ok(self)
    }

    /// The ALPN protocols offered, most preferred first.
    pub fn with_alpn<I, S>(mut self, protocols: I) -> ClientOptions
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        Arc::make_mut(&mut self.config).alpn_protocols =
            protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// Accepts **any** server certificate: anyone on the path can read and change the
    /// traffic. For tests against a throwaway certificate only; a warning is logged for
    /// every connection made with these options.
    pub fn insecure_skip_verification_for_tests(mut self) -> ClientOptions {
        self.verify = false;
        Arc::make_mut(&mut self.config)
            .dangerous()
            .set_certificate_verifier(Arc::new(NoVerification(provider::provider())));
        self
    }

    /// Fails a handshake that has not finished after `timeout` (default 30 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> ClientOptions {
        self.handshake_timeout = timeout;
        self
    }

    /// The name the server's certificate must be valid for (also sent by SNI).
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// Whether the server's certificate is verified (see
    /// [`insecure_skip_verification_for_tests`](Self::insecure_skip_verification_for_tests)).
    pub fn verifies(&self) -> bool {
        self.verify
    }

    /// The handshake's deadline.
    pub fn get_handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The rustls configuration every connection uses.
    pub fn rustls_config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    pub(crate) fn server_name(&self) -> ServerName<'static> {
        self.server_name.clone()
    }

    fn rebuild(&mut self) -> Result<(), TlsConfigError> {
        let builder = ClientConfig::builder_with_provider(provider::provider())
            .with_protocol_versions(provider::VERSIONS)
            .map_err(|e| TlsConfigError::caused_by("no usable TLS version", e))?
            .with_root_certificates(self.roots.clone());
        let mut config = match &self.client_auth {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(|e| TlsConfigError::caused_by("unusable client certificate", e))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.config.alpn_protocols.clone();
        if !self.verify {
            config
                .dangerous()
                .set_certificate_verifier(Arc::new(NoVerification(provider::provider())));
        }
        self.config = Arc::new(config);
        Ok(())
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("hostname", &self.hostname)
            .field("verify", &self.verify)
            .field("client_certificate", &self.client_auth.is_some())
            .field("alpn", &self.config.alpn_protocols)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish()
    }
}
