//! [`ServerOptions`]: what a TLS server presents and asks for (Twisted's
//! `CertificateOptions` on the server side).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};

use super::{pem, provider, TlsConfigError, DEFAULT_HANDSHAKE_TIMEOUT};

/// A TLS server's options: its certificate chain and key, more of them chosen by the name
/// the client asks for (SNI), the ALPN protocols it offers, whether it asks clients for
/// certificates, and the handshake's deadline. TLS 1.2 and 1.3 only.
///
/// Cheap to clone: every connection shares one rustls configuration.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use torsion::tls::ServerOptions;
///
/// let options = ServerOptions::from_pem_files("cert.pem", "key.pem")?
///     .with_alpn(["h2", "http/1.1"])
///     .handshake_timeout(Duration::from_secs(10));
/// # Ok::<(), torsion::tls::TlsConfigError>(())
/// ```
#[derive(Clone)]
pub struct ServerOptions {
    config: Arc<ServerConfig>,
    /// `None` for a configuration built by hand ([`from_rustls`](Self::from_rustls)).
    certificates: Option<Arc<SniResolver>>,
    handshake_timeout: Duration,
}

impl ServerOptions {
    /// Options presenting the chain in `cert_chain_pem` (leaf first) with the key in
    /// `key_pem`.
    ///
    /// # Errors
    ///
    /// [`TlsConfigError`] if either PEM holds nothing usable or the key does not match the
    /// certificate.
    pub fn from_pem(
        cert_chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<ServerOptions, TlsConfigError> {
        ServerOptions::presenting(certified_key(cert_chain_pem, key_pem, "the certificate")?)
    }

    /// [`from_pem`](Self::from_pem), reading both files (Twisted's `certKey` and
    /// `privateKey`; they may be the same file).
    ///
    /// # Errors
    ///
    /// As [`from_pem`](Self::from_pem), and if a file cannot be read.
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<ServerOptions, TlsConfigError> {
        let (cert_chain, key) = (cert_chain.as_ref(), key.as_ref());
        let chain_pem = pem::read(cert_chain)?;
        let key_pem = pem::read(key)?;
        let origin = cert_chain.display().to_string();
        ServerOptions::presenting(certified_key(&chain_pem, &key_pem, &origin)?)
    }

    /// Options presenting `default` to every client.
    fn presenting(default: CertifiedKey) -> Result<ServerOptions, TlsConfigError> {
        let certificates = Arc::new(SniResolver {
            default: Arc::new(default),
            by_name: HashMap::new(),
        });
        let config = build(certificates.clone(), None)?;
        Ok(ServerOptions {
            config: Arc::new(config),
            certificates: Some(certificates),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        })
    }

    /// Presents this chain and key to clients that ask for `name` by SNI (case does not
    /// matter); others get the default certificate.
    ///
    /// # Errors
    ///
    /// As [`from_pem`](Self::from_pem).
    pub fn with_sni_certificate(
        mut self,
        name: &str,
        cert_chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<ServerOptions, TlsConfigError> {
        let Some(certificates) = &self.certificates else {
            return Err(TlsConfigError::new(
                "SNI certificates cannot be added to a hand-built rustls configuration",
            ));
        };
        let key = certified_key(
            cert_chain_pem,
            key_pem,
            &format!("the certificate for {name}"),
        )?;
        let mut resolver = (**certificates).clone();
        resolver
            .by_name
            .insert(name.to_ascii_lowercase(), Arc::new(key));
        let resolver = Arc::new(resolver);
        Arc::make_mut(&mut self.config).cert_resolver = resolver.clone();
        self.certificates = Some(resolver);
        Ok(self)
    }

    /// The ALPN protocols offered, most preferred first; the one chosen is
    /// [`Transport::negotiated_protocol`](crate::Transport::negotiated_protocol). A client
    /// that offers ALPN with none of these is refused.
    pub fn with_alpn<I, S>(mut self, protocols: I) -> ServerOptions
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        Arc::make_mut(&mut self.config).alpn_protocols =
            protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// Asks clients for a certificate signed by an authority in `ca_pem`; a client without
    /// one is still served, one with a certificate that does not verify is refused.
    ///
    /// # Errors
    ///
    /// [`TlsConfigError`] if `ca_pem` holds no usable certificate.
    pub fn request_client_certificates(
        self,
        ca_pem: &[u8],
    ) -> Result<ServerOptions, TlsConfigError> {
        self.client_certificates(ca_pem, false)
    }

    /// Requires clients to present a certificate signed by an authority in `ca_pem`; the
    /// handshake fails for any client that does not.
    ///
    /// # Errors
    ///
    /// As [`request_client_certificates`](Self::request_client_certificates).
    pub fn require_client_certificates(
        self,
        ca_pem: &[u8],
    ) -> Result<ServerOptions, TlsConfigError> {
        self.client_certificates(ca_pem, true)
    }

    fn client_certificates(
        mut self,
        ca_pem: &[u8],
        required: bool,
    ) -> Result<ServerOptions, TlsConfigError> {
        let mut roots = RootCertStore::empty();
        let (added, _) =
            roots.add_parsable_certificates(pem::certificates(ca_pem, "the client CA")?);
        if added == 0 {
            return Err(TlsConfigError::new(
                "no usable certificate in the client CA",
            ));
        }
        let builder =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider::provider());
        let builder = if required {
            builder
        } else {
            builder.allow_unauthenticated()
        };
        let verifier = builder
            .build()
            .map_err(|e| TlsConfigError::caused_by("cannot verify client certificates", e))?;
        let Some(certificates) = self.certificates.clone() else {
            return Err(TlsConfigError::new(
                "client certificates cannot be asked for in a hand-built rustls configuration",
            ));
        };
        let alpn = self.config.alpn_protocols.clone();
        let mut config = build(certificates, Some(verifier))?;
        config.alpn_protocols = alpn;
        self.config = Arc::new(config);
        Ok(self)
    }

    /// Closes a connection whose handshake has not finished after `timeout` (default 30 s),
    /// with [`TlsHandshakeTimeout`](super::TlsHandshakeTimeout): a client that connects and
    /// says nothing does not hold a connection for ever.
    pub fn handshake_timeout(mut self, timeout: Duration) -> ServerOptions {
        self.handshake_timeout = timeout;
        self
    }

    /// Options from a rustls configuration built by hand, for what these methods do not
    /// cover.
    pub fn from_rustls(config: Arc<ServerConfig>) -> ServerOptions {
        ServerOptions {
            config,
            certificates: None,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// The handshake's deadline.
    pub fn get_handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The rustls configuration every connection uses.
    pub fn rustls_config(&self) -> &Arc<ServerConfig> {
        &self.config
    }
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOptions")
            .field(
                "sni_names",
                &self
                    .certificates
                    .iter()
                    .flat_map(|c| c.by_name.keys())
                    .collect::<Vec<_>>(),
            )
            .field("alpn", &self.config.alpn_protocols)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish()
    }
}

fn build(
    certificates: Arc<SniResolver>,
    verifier: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
) -> Result<ServerConfig, TlsConfigError> {
    let builder = ServerConfig::builder_with_provider(provider::provider())
        .with_protocol_versions(provider::VERSIONS)
        .map_err(|e| TlsConfigError::caused_by("no usable TLS version", e))?;
    let builder = match verifier {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    Ok(builder.with_cert_resolver(certificates))
}

fn certified_key(
    chain_pem: &[u8],
    key_pem: &[u8],
    origin: &str,
) -> Result<CertifiedKey, TlsConfigError> {
    let chain = pem::certificates(chain_pem, origin)?;
    let key = pem::private_key(key_pem, &format!("the key of {origin}"))?;
    let signing = provider::provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsConfigError::caused_by(format!("unusable private key for {origin}"), e))?;
    let certified = CertifiedKey::new(chain, signing);
    certified
        .keys_match()
        .map_err(|e| TlsConfigError::caused_by(format!("the key does not match {origin}"), e))?;
    Ok(certified)
}

/// Chooses the certificate by the name the client asked for.
#[derive(Clone)]
struct SniResolver {
    default: Arc<CertifiedKey>,
    by_name: HashMap<String, Arc<CertifiedKey>>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let named = hello
            .server_name()
            .and_then(|name| self.by_name.get(&name.to_ascii_lowercase()));
        Some(named.unwrap_or(&self.default).clone())
    }
}

impl fmt::Debug for SniResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SniResolver")
            .field("names", &self.by_name.keys().collect::<Vec<_>>())
            .finish()
    }
}
