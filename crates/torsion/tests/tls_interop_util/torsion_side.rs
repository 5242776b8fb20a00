//! The torsion side of a test: a TLS echo server on 127.0.0.1 while a helper thread drives
//! an outside client, or a TLS client run until its connection is lost.

use std::rc::Rc;
use std::sync::atomic::Ordering;

use torsion::tls::{ClientOptions, ServerOptions, TlsError};
use torsion::{Failure, ListenOptions, Reactor};

use super::{run_until, ExchangeFactory, ServerEcho, Then};
use crate::tls_util::Pki;
use crate::util::{self, Record};

/// Listens on 127.0.0.1 with TLS `options`, each connection a [`ServerEcho`] writing into
/// `record`; returns the port.
pub fn serve_echo(reactor: &Reactor, options: ServerOptions, record: &Rc<Record>) -> u16 {
    let record = record.clone();
    let listen = ListenOptions {
        interface: "127.0.0.1".into(),
        ..ListenOptions::default()
    };
    reactor
        .listen_tls_with(
            0,
            move |_peer| Some(ServerEcho::new(&record)),
            options,
            listen,
        )
        .expect("listen_tls on 127.0.0.1:0")
        .get_host()
        .port()
}

/// Runs `peer_side` (which drives an outside client) on a helper thread while `reactor`
/// serves; once it returned, runs the reactor on until the server's connection is lost.
/// Returns what `peer_side` returned; a panic in it fails the test.
pub fn drive<T: Send + 'static>(
    reactor: &Reactor,
    record: &Rc<Record>,
    peer_side: impl FnOnce() -> T + Send + 'static,
) -> T {
    let client = util::thread(peer_side);
    let done = client.done_flag();
    run_until(reactor, move || done.load(Ordering::SeqCst));
    let result = client.join();
    let record = record.clone();
    run_until(reactor, move || record.has("lost"));
    result
}

/// The TLS error a connection was lost with.
pub fn tls_error(reason: &Failure) -> TlsError {
    reason
        .downcast_ref::<TlsError>()
        .unwrap_or_else(|| panic!("lost with {reason:?}, not a TlsError"))
        .clone()
}

/// Connects a torsion TLS client (trusting the test CA, expecting `localhost`) to `port`,
/// which sends `message`, waits for `reply` and ends as `then` says; runs until its
/// connection is lost and returns what it recorded.
pub fn exchange(pki: &Pki, port: u16, message: &str, reply: &str, then: Then) -> Rc<Record> {
    exchange_with(pki.client_options("localhost"), port, message, reply, then)
}

/// [`exchange`] with the client's `options`.
pub fn exchange_with(
    options: ClientOptions,
    port: u16,
    message: &str,
    reply: &str,
    then: Then,
) -> Rc<Record> {
    let reactor = util::reactor();
    let record = Record::new();
    let factory = ExchangeFactory::new(&record, message, reply, then);
    let _connector = reactor.connect_tls("127.0.0.1", port, factory, options);
    let r = record.clone();
    run_until(&reactor, move || r.has("lost"));
    record
}
