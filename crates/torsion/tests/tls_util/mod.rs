//! Certificates made at test time with rcgen: a CA, a server certificate it signs for
//! `localhost` and 127.0.0.1, a client certificate, and a second CA nobody trusts.
#![allow(dead_code)]

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use torsion::tls::{options_for_client_tls, ClientOptions, ServerOptions};

/// One certificate and its key, as PEM.
#[derive(Clone)]
pub struct Pem {
    pub cert: String,
    pub key: String,
}

/// A test PKI.
pub struct Pki {
    pub ca: Pem,
    pub server: Pem,
    pub client: Pem,
    /// A CA that signed nothing above: trusting only it refuses everyone.
    pub other_ca: Pem,
    /// A server certificate signed by `other_ca`.
    pub rogue_server: Pem,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(names: &[&str], issuer: &CertifiedIssuer<'static, KeyPair>) -> Pem {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    let cert = params.signed_by(&key, issuer).unwrap();
    Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

fn pem_of(issuer: &CertifiedIssuer<'static, KeyPair>) -> Pem {
    Pem {
        cert: issuer.pem(),
        key: String::new(),
    }
}

impl Pki {
    pub fn new() -> Pki {
        let ca_issuer = ca("torsion test CA");
        let other = ca("someone else's CA");
        Pki {
            server: leaf(&["localhost", "127.0.0.1"], &ca_issuer),
            client: leaf(&["test client"], &ca_issuer),
            rogue_server: leaf(&["localhost", "127.0.0.1"], &other),
            ca: pem_of(&ca_issuer),
            other_ca: pem_of(&other),
            issuer: ca_issuer,
        }
    }

    /// A certificate for `names` (the first is also its common name), signed by the CA.
    pub fn leaf(&self, names: &[&str]) -> Pem {
        leaf(names, &self.issuer)
    }

    /// The server's options.
    pub fn server_options(&self) -> ServerOptions {
        ServerOptions::from_pem(self.server.cert.as_bytes(), self.server.key.as_bytes()).unwrap()
    }

    /// A client's options for `name`, trusting the test CA.
    pub fn client_options(&self, name: &str) -> ClientOptions {
        options_for_client_tls(name)
            .unwrap()
            .with_trust_root_pem(self.ca.cert.as_bytes())
            .unwrap()
    }

    /// Writes `pem` to `dir/name` and returns the path.
    pub fn write(dir: &std::path::Path, name: &str, pem: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        path
    }
}
