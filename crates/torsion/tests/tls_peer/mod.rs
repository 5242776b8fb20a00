//! Peers for the TLS tests: a client factory made of a closure, and a raw rustls client
//! on a std socket for peers that must do what torsion never does (drop TCP without
//! `close_notify`, stop reading, tell a clean TLS end from a cut one).
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use torsion::{Address, ClientFactory, LoopingCall, Protocol, Reactor, ReactorTime};

/// A client factory that builds each protocol with a closure.
pub struct ClientOf<F>(pub F);

impl<P: Protocol, F: FnMut() -> P + 'static> ClientFactory for ClientOf<F> {
    type Protocol = P;

    fn build_protocol(&mut self, _addr: Address) -> Option<P> {
        Some((self.0)())
    }
}

/// Runs `reactor` until `done()` (checked every 2 ms) or until the test deadline passes;
/// returns whether `done()` came true, so a test can say what it saw when it did not.
pub fn run_until(reactor: &Reactor, mut done: impl FnMut() -> bool + 'static) -> bool {
    let settled = Rc::new(Cell::new(false));
    let (r, s) = (reactor.clone(), settled.clone());
    let poll = LoopingCall::new(reactor, move || {
        if done() {
            s.set(true);
            r.stop();
        }
    });
    poll.start(Duration::from_millis(2), false);
    let r = reactor.clone();
    let guard = reactor.call_later(crate::util::DEADLINE, move || r.stop());
    reactor.run().expect("reactor.run");
    let _ = guard.cancel();
    poll.stop();
    settled.get()
}

/// A blocking TLS client over a std TCP stream.
pub type RawTls = StreamOwned<ClientConnection, TcpStream>;

/// A rustls client configuration trusting only the CA in `ca_pem`.
pub fn client_config(ca_pem: &str) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.expect("a CA certificate"))
            .expect("trust it");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// Wraps the connected `stream` in a TLS client for `localhost` trusting `ca_pem`, and
/// completes the handshake.
pub fn handshake(stream: TcpStream, ca_pem: &str) -> RawTls {
    let name = ServerName::try_from("localhost").expect("a server name");
    let conn = ClientConnection::new(client_config(ca_pem), name).expect("a TLS client");
    let mut tls = StreamOwned::new(conn, stream);
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .expect("the handshake completes");
    }
    tls
}

/// Connects to `addr` and completes a TLS handshake trusting `ca_pem`.
pub fn connect(addr: SocketAddr, ca_pem: &str) -> RawTls {
    handshake(crate::util::connect_std(addr), ca_pem)
}

/// How a TLS stream read to its end ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// The peer sent `close_notify` before closing.
    CloseNotify,
    /// The socket ended (EOF or reset) with no `close_notify`: a truncation.
    Truncated(io::ErrorKind),
}

/// Reads plaintext until the TLS stream ends; returns what was read and how it ended.
pub fn read_to_end(tls: &mut RawTls) -> (Vec<u8>, End) {
    let mut out = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => return (out, End::CloseNotify),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return (out, End::Truncated(err.kind())),
        }
    }
}

/// Writes `data` as TLS records and flushes them to the socket.
pub fn write_all(tls: &mut RawTls, data: &[u8]) {
    tls.write_all(data).expect("write plaintext");
    tls.flush().expect("flush records");
}
