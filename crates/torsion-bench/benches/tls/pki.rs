//! The benchmark's certificate and the TLS configurations built from it: one rustls
//! `ServerConfig` that both servers share (so they speak the same cipher suites with the
//! same provider), and the client's configuration, which trusts that certificate, speaks
//! only TLS 1.3 and never resumes a session (every handshake is a full one).

use std::sync::Arc;

use rustls::client::Resumption;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use torsion::tls::ServerOptions;

/// The name the certificate is for and the client asks for.
pub const SERVER_NAME: &str = "localhost";

/// Both sides' configurations, from one certificate made at run time.
pub struct Pki {
    /// torsion's server options; their rustls configuration is the tokio server's too.
    pub server: ServerOptions,
    /// The client's configuration.
    pub client: Arc<ClientConfig>,
}

impl Pki {
    pub fn new() -> Pki {
        let made = rcgen::generate_simple_self_signed(vec![SERVER_NAME.to_string()])
            .expect("make a self-signed certificate");
        let server = ServerOptions::from_pem(
            made.cert.pem().as_bytes(),
            made.signing_key.serialize_pem().as_bytes(),
        )
        .expect("server options from the certificate");
        let mut roots = RootCertStore::empty();
        roots
            .add(made.cert.der().clone())
            .expect("trust the certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut client = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3 with ring")
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.resumption = Resumption::disabled();
        Pki {
            server,
            client: Arc::new(client),
        }
    }

    /// The rustls configuration both servers use.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.server.rustls_config().clone()
    }
}
