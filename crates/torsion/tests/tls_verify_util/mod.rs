//! Helpers for the TLS verification and bad-input tests: a protocol that records what TLS
//! told it (version, ALPN, the peer's certificates, every failure), a client factory that
//! records its own callbacks, one handshake between a torsion server and a torsion client,
//! and PEM to DER.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use torsion::tls::{ClientOptions, ServerOptions, TlsError, TlsErrorKind};
use torsion::{
    Address, ClientFactory, Connector, Cx, Failure, ListenOptions, ListeningPort, Protocol, Reactor,
};

/// What the TLS transport reported once the first plaintext arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub version: Option<&'static str>,
    pub alpn: Option<Vec<u8>>,
    pub peer_certificates: Option<Vec<Vec<u8>>>,
}

/// Everything one side of a connection was told.
#[derive(Default)]
pub struct Seen {
    /// The plaintext received.
    pub data: RefCell<Vec<u8>>,
    /// The transport's TLS facts at the first `data_received`.
    pub facts: RefCell<Option<Facts>>,
    /// The protocol's `connection_lost` reason.
    pub lost: RefCell<Option<Failure>>,
    /// The client factory's `client_connection_lost` or `client_connection_failed` reason.
    pub factory_reason: RefCell<Option<Failure>>,
    /// Whether the factory's callback was `client_connection_failed` (else `_lost`).
    pub factory_failed: Cell<bool>,
}

impl Seen {
    pub fn new() -> Rc<Seen> {
        Rc::new(Seen::default())
    }

    /// Whether a client is done: the factory's verdict arrived, after `connection_lost` if
    /// the connection was made.
    pub fn is_done(&self) -> bool {
        self.factory_reason.borrow().is_some() && (self.is_lost() || self.factory_failed.get())
    }

    pub fn is_lost(&self) -> bool {
        self.lost.borrow().is_some()
    }

    /// The `connection_lost` reason; panics if the connection was not lost.
    pub fn lost_reason(&self) -> Failure {
        self.lost
            .borrow()
            .clone()
            .expect("connection_lost was called")
    }

    pub fn facts(&self) -> Facts {
        self.facts.borrow().clone().expect("plaintext arrived")
    }
}

/// A protocol that records into a [`Seen`]. As a client it writes `ping` and closes once
/// the echo arrives; as a server it echoes.
pub struct Probe {
    pub seen: Rc<Seen>,
    pub client: bool,
}

impl Protocol for Probe {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        if self.client {
            cx.transport().write(b"ping");
        }
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        if self.seen.facts.borrow().is_none() {
            let t = cx.transport();
            *self.seen.facts.borrow_mut() = Some(Facts {
                version: t.tls_version(),
                alpn: t.negotiated_protocol(),
                peer_certificates: t.peer_certificates(),
            });
        }
        self.seen.data.borrow_mut().extend_from_slice(data);
        if self.client {
            if self.seen.data.borrow().as_slice() == b"ping" {
                cx.transport().lose_connection();
            }
        } else {
            cx.transport().write(data);
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        *self.seen.lost.borrow_mut() = Some(reason.clone());
    }
}

/// Builds one client [`Probe`] and records the factory's verdict.
pub struct ProbeClientFactory {
    pub seen: Rc<Seen>,
}

impl ClientFactory for ProbeClientFactory {
    type Protocol = Probe;

    fn build_protocol(&mut self, _addr: Address) -> Option<Probe> {
        Some(Probe {
            seen: self.seen.clone(),
            client: true,
        })
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        self.seen.factory_failed.set(true);
        *self.seen.factory_reason.borrow_mut() = Some(reason.clone());
    }

    fn client_connection_lost(&mut self, _connector: &Connector, reason: &Failure) {
        *self.seen.factory_reason.borrow_mut() = Some(reason.clone());
    }
}

/// Listens with TLS on a free port of 127.0.0.1; every connection gets a server [`Probe`]
/// recording into `seen` (each test makes one connection to it, or shares the record).
pub fn listen_probe(reactor: &Reactor, options: ServerOptions, seen: &Rc<Seen>) -> ListeningPort {
    let seen = seen.clone();
    let listen = ListenOptions {
        interface: "127.0.0.1".into(),
        ..ListenOptions::default()
    };
    reactor
        .listen_tls_with(
            0,
            move |_peer| {
                Some(Probe {
                    seen: seen.clone(),
                    client: false,
                })
            },
            options,
            listen,
        )
        .expect("listen with TLS on 127.0.0.1:0")
}

/// The two sides of one connection.
pub struct Outcome {
    pub server: Rc<Seen>,
    pub client: Rc<Seen>,
}

/// Runs one connection from a torsion client with `client` options to a torsion server
/// with `server` options, until both sides' `connection_lost` and the client factory's
/// verdict arrived.
pub fn exchange(server: ServerOptions, client: ClientOptions) -> Outcome {
    let reactor = crate::util::reactor();
    let server_seen = Seen::new();
    let port = listen_probe(&reactor, server, &server_seen);
    let client_seen = Seen::new();
    let _connector = reactor.connect_tls(
        "127.0.0.1",
        port.get_host().port(),
        ProbeClientFactory {
            seen: client_seen.clone(),
        },
        client,
    );
    let (s, c) = (server_seen.clone(), client_seen.clone());
    crate::util::run_until(&reactor, move || {
        s.is_lost() && c.is_lost() && c.factory_reason.borrow().is_some()
    });
    Outcome {
        server: server_seen,
        client: client_seen,
    }
}

/// The [`TlsError`] in `reason`, or a panic that shows what arrived instead.
pub fn tls_error(reason: &Failure) -> TlsError {
    reason
        .downcast_ref::<TlsError>()
        .cloned()
        .unwrap_or_else(|| panic!("expected a TlsError, got {}: {reason}", reason.type_name()))
}

/// Asserts that `reason` is a [`TlsError`] of `kind` raised during the handshake.
pub fn assert_handshake_failed(reason: &Failure, kind: TlsErrorKind) {
    let err = tls_error(reason);
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.during_handshake(), "{err}");
}

/// The DER of the first certificate in `pem`.
pub fn der(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .expect("a certificate in the PEM")
        .to_vec()
}

/// Listens with TLS on a free port of 127.0.0.1; each connection gets a server [`Probe`]
/// with a [`Seen`] of its own, appended to the list returned, in the order accepted.
pub fn listen_probes(
    reactor: &Reactor,
    options: ServerOptions,
) -> (ListeningPort, Rc<RefCell<Vec<Rc<Seen>>>>) {
    let connections = Rc::new(RefCell::new(Vec::new()));
    let list = connections.clone();
    let listen = ListenOptions {
        interface: "127.0.0.1".into(),
        ..ListenOptions::default()
    };
    let port = reactor
        .listen_tls_with(
            0,
            move |_peer| {
                let seen = Seen::new();
                list.borrow_mut().push(seen.clone());
                Some(Probe {
                    seen,
                    client: false,
                })
            },
            options,
            listen,
        )
        .expect("listen with TLS on 127.0.0.1:0");
    (port, connections)
}

/// Connects a torsion TLS client [`Probe`] to `port` on 127.0.0.1; returns what it will
/// see (see [`Seen::is_done`]).
pub fn connect_probe(reactor: &Reactor, port: u16, client: ClientOptions) -> Rc<Seen> {
    let seen = Seen::new();
    let _connector = reactor.connect_tls(
        "127.0.0.1",
        port,
        ProbeClientFactory { seen: seen.clone() },
        client,
    );
    seen
}

/// A CA of its own (PEM) and a certificate it signed for `localhost` that expired in 2020.
pub fn expired_localhost() -> (String, crate::tls_util::Pem) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2019, 1, 1);
    params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    let cert = params.signed_by(&key, &ca).unwrap();
    let leaf = crate::tls_util::Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    };
    (ca.pem(), leaf)
}
