//! How a TLS connection ends, over loopback: `lose_connection` sends `close_notify` after
//! the pending data, the peer dropping TCP without one is a truncation, an abort sends
//! none, a half-close keeps reading, and a close asked for during the handshake waits for
//! it (or aborts, with nothing to say).

mod tls_peer;
mod tls_util;
mod util;

use std::rc::Rc;

use tls_peer::{ClientOf, End};
use tls_util::Pki;
use torsion::error::{ConnectionAborted, ConnectionDone, ConnectionLost};
use torsion::protocols::policies::ProtocolWrapper;
use torsion::tls::{ServerOptions, TlsProtocol, TlsTruncated};
use torsion::{Cx, Failure, Protocol, Reactor};
use util::{Record, Recorder};

const LARGE: usize = 4 * 1024 * 1024;

/// Writes `payload` as soon as it is connected, then closes (before the handshake ends).
struct WriteThenClose {
    payload: Vec<u8>,
    record: Rc<Record>,
}

impl Protocol for WriteThenClose {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        if !self.payload.is_empty() {
            cx.transport().write(&self.payload);
        }
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.lost(reason);
    }
}

/// Writes once it hears `go`, then closes: the handshake has ended by then.
struct WriteOnRequest {
    payload: Rc<Vec<u8>>,
    abort: bool,
    record: Rc<Record>,
}

impl Protocol for WriteOnRequest {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        assert_eq!(data, b"go");
        cx.transport().write(&**self.payload);
        if self.abort {
            cx.transport().abort_connection();
        } else {
            cx.transport().lose_connection();
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.lost(reason);
    }
}

fn write_then_close(record: &Rc<Record>, payload: &[u8]) -> WriteThenClose {
    WriteThenClose {
        payload: payload.to_vec(),
        record: record.clone(),
    }
}

fn lost_events(record: &Record) -> Vec<String> {
    record
        .events()
        .into_iter()
        .filter(|e| e.starts_with("connection_lost"))
        .collect()
}

/// Runs a TLS server whose connections `server` makes and a TLS client that `client`
/// makes (each given its side's record) on one reactor, until both connections are
/// lost; gives the server's record and the client's.
fn run_pair<S: Protocol, C: Protocol>(
    server: impl Fn(&Rc<Record>) -> S + 'static,
    client: impl Fn(&Rc<Record>) -> C + 'static,
) -> (Rc<Record>, Rc<Record>) {
    let pki = Pki::new();
    let reactor = util::reactor();
    let server_record = Record::new();
    let rec = server_record.clone();
    let port = reactor
        .listen_tls(0, move |_peer| Some(server(&rec)), pki.server_options())
        .unwrap();
    let client_record = Record::new();
    let rec = client_record.clone();
    reactor.connect_tls(
        "127.0.0.1",
        port.get_host().port(),
        ClientOf(move || client(&rec)),
        pki.client_options("localhost"),
    );
    let (c, s) = (client_record.clone(), server_record.clone());
    util::run_until(&reactor, move || {
        !lost_events(&c).is_empty() && !lost_events(&s).is_empty()
    });
    (server_record, client_record)
}

#[test]
fn lose_connection_after_a_large_write_delivers_it_all_then_close_notify() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let payload = Rc::new(util::pattern(LARGE));
    let server_record = Record::new();
    let (rec, data) = (server_record.clone(), payload.clone());
    let port = reactor
        .listen_tls(
            0,
            move |_peer| {
                Some(WriteOnRequest {
                    payload: data.clone(),
                    abort: false,
                    record: rec.clone(),
                })
            },
            pki.server_options(),
        )
        .unwrap();
    let client_record = Record::new();
    let rec = client_record.clone();
    reactor.connect_tls(
        "127.0.0.1",
        port.get_host().port(),
        ClientOf(move || {
            let mut p = Recorder::new(&rec);
            p.greeting = b"go".to_vec();
            p
        }),
        pki.client_options("localhost"),
    );
    let (c, s) = (client_record.clone(), server_record.clone());
    let settled = tls_peer::run_until(&reactor, move || {
        !lost_events(&c).is_empty() && !lost_events(&s).is_empty()
    });
    assert!(
        settled,
        "client: {:?} after {} bytes; server: {:?}",
        client_record.events(),
        client_record.data_len(),
        server_record.events()
    );
    assert!(
        client_record.data() == *payload,
        "the client got {} of {LARGE} bytes, or altered",
        client_record.data_len()
    );
    assert_eq!(
        client_record.events(),
        [
            "connection_made",
            "data",
            "read_connection_lost",
            "connection_lost:ConnectionDone"
        ],
        "close_notify is the client's EOF, after all the data"
    );
    assert_eq!(
        lost_events(&server_record),
        ["connection_lost:ConnectionDone"]
    );
}

#[test]
fn a_large_write_before_the_handshake_ends_goes_out_after_it_then_close_notify() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let payload = util::pattern(LARGE);
    let server_record = Record::new();
    let (rec, data) = (server_record.clone(), payload.clone());
    let port = reactor
        .listen_tls(
            0,
            move |_peer| Some(write_then_close(&rec, &data)),
            pki.server_options(),
        )
        .unwrap();
    let client_record = Record::new();
    let rec = client_record.clone();
    reactor.connect_tls(
        "127.0.0.1",
        port.get_host().port(),
        ClientOf(move || Recorder::new(&rec)),
        pki.client_options("localhost"),
    );
    let (c, s) = (client_record.clone(), server_record.clone());
    let settled = tls_peer::run_until(&reactor, move || {
        !lost_events(&c).is_empty() && !lost_events(&s).is_empty()
    });
    assert!(
        settled,
        "client: {:?} after {} bytes; server: {:?}",
        client_record.events(),
        client_record.data_len(),
        server_record.events()
    );
    assert!(
        client_record.data() == payload,
        "the client got {} of {LARGE} bytes, or altered",
        client_record.data_len()
    );
    assert_eq!(
        client_record.events(),
        [
            "connection_made",
            "data",
            "read_connection_lost",
            "connection_lost:ConnectionDone"
        ],
        "close_notify is the client's EOF, after all the data"
    );
    assert_eq!(
        lost_events(&server_record),
        ["connection_lost:ConnectionDone"]
    );
}

#[test]
fn a_raw_peer_reads_the_large_write_and_then_a_clean_close_notify() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let payload = Rc::new(util::pattern(LARGE));
    let server_record = Record::new();
    let (rec, data) = (server_record.clone(), payload.clone());
    let port = reactor
        .listen_tls(
            0,
            move |_peer| {
                Some(WriteOnRequest {
                    payload: data.clone(),
                    abort: false,
                    record: rec.clone(),
                })
            },
            pki.server_options(),
        )
        .unwrap();
    let (addr, ca) = (port.get_host(), pki.ca.cert.clone());
    let client = util::thread(move || {
        let mut tls = tls_peer::connect(addr, &ca);
        tls_peer::write_all(&mut tls, b"go");
        tls_peer::read_to_end(&mut tls)
    });
    util::run_until_finished(&reactor, &client);
    let (received, end) = client.join();
    assert_eq!(end, End::CloseNotify, "after {} bytes", received.len());
    assert!(
        received == *payload,
        "got {} bytes, or altered",
        received.len()
    );
    let s = server_record.clone();
    util::run_until(&reactor, move || !lost_events(&s).is_empty());
    assert_eq!(
        lost_events(&server_record),
        ["connection_lost:ConnectionDone"]
    );
}

/// A raw peer writes, then sends a FIN with no `close_notify` before it, to a server
/// listening with `listen`: the server's protocol must see a truncation.
fn truncate_the_stream_to(
    listen: impl FnOnce(&Reactor, Rc<Record>, ServerOptions) -> std::net::SocketAddr,
) {
    let pki = Pki::new();
    let reactor = util::reactor();
    let server_record = Record::new();
    let addr = listen(&reactor, server_record.clone(), pki.server_options());
    let ca = pki.ca.cert.clone();
    let client = util::thread(move || {
        let mut tls = tls_peer::connect(addr, &ca);
        tls_peer::write_all(&mut tls, b"cut short");
        // A FIN with no close_notify before it; then wait for the server to close.
        tls.sock.shutdown(std::net::Shutdown::Write).unwrap();
        util::read_all(&mut tls.sock)
    });
    let s = server_record.clone();
    util::run_until(&reactor, move || !lost_events(&s).is_empty());
    util::run_until_finished(&reactor, &client);
    let (_, err) = client.join();
    assert!(err.is_none(), "the server closes with a FIN: {err:?}");
    assert_eq!(server_record.data(), b"cut short");
    assert_eq!(
        lost_events(&server_record),
        ["connection_lost:TlsTruncated"]
    );
    let reason = server_record.last_reason();
    assert!(reason.check::<TlsTruncated>(), "{reason:?}");
    assert!(
        reason.check::<ConnectionLost>(),
        "a truncation is a kind of ConnectionLost: {reason:?}"
    );
    assert!(!server_record.has("read_connection_lost"));
}

#[test]
fn a_peer_closing_tcp_without_close_notify_is_a_truncation() {
    truncate_the_stream_to(|reactor, record, options| {
        reactor
            .listen_tls(0, move |_peer| Some(Recorder::new(&record)), options)
            .unwrap()
            .get_host()
    });
}

#[test]
fn a_peer_closing_tcp_without_close_notify_is_a_truncation_with_tls_in_memory() {
    truncate_the_stream_to(|reactor, record, options| {
        util::listen(reactor, move |_peer| {
            let tls = TlsProtocol::new(Recorder::new(&record), options.clone().into());
            Some(ProtocolWrapper::new(tls, ()))
        })
        .get_host()
    });
}

#[test]
fn abort_connection_is_reported_here_and_sends_no_close_notify() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let server_record = Record::new();
    let rec = server_record.clone();
    let port = reactor
        .listen_tls(
            0,
            move |_peer| {
                Some(WriteOnRequest {
                    payload: Rc::new(b"before the abort".to_vec()),
                    abort: true,
                    record: rec.clone(),
                })
            },
            pki.server_options(),
        )
        .unwrap();
    let (addr, ca) = (port.get_host(), pki.ca.cert.clone());
    let client = util::thread(move || {
        let mut tls = tls_peer::connect(addr, &ca);
        tls_peer::write_all(&mut tls, b"go");
        tls_peer::read_to_end(&mut tls)
    });
    util::run_until_finished(&reactor, &client);
    let (_, end) = client.join();
    assert!(
        matches!(end, End::Truncated(_)),
        "an abort sends no close_notify: {end:?}"
    );
    let s = server_record.clone();
    util::run_until(&reactor, move || !lost_events(&s).is_empty());
    assert_eq!(
        lost_events(&server_record),
        ["connection_lost:ConnectionAborted"]
    );
    assert!(server_record.last_reason().check::<ConnectionAborted>());
}

#[test]
fn abort_connection_is_a_truncation_for_a_torsion_peer() {
    let (server_record, client_record) = run_pair(
        |rec| WriteOnRequest {
            payload: Rc::new(Vec::new()),
            abort: true,
            record: rec.clone(),
        },
        |rec| {
            let mut p = Recorder::new(rec);
            p.greeting = b"go".to_vec();
            p
        },
    );
    assert_eq!(
        lost_events(&server_record),
        ["connection_lost:ConnectionAborted"]
    );
    let reason = client_record.last_reason();
    assert!(
        reason.check::<ConnectionLost>() && !reason.check::<ConnectionDone>(),
        "the peer of an abort sees a lost connection, not a clean end: {reason:?}"
    );
    assert!(!client_record.has("read_connection_lost"));
}

/// The client of the half-close: writes a request, shuts its writing side, and records
/// every callback.
struct HalfCloser {
    record: Rc<Record>,
}

impl Protocol for HalfCloser {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"request");
        cx.transport().lose_write_connection();
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.record
            .push(format!("data:{}", String::from_utf8_lossy(data)));
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.record.push("read_connection_lost");
        cx.transport().lose_connection();
    }

    fn write_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.record.push("write_connection_lost");
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.lost(reason);
    }
}

/// The server of the half-close: answers once the client's `close_notify` ends its
/// request, then closes.
struct ReplyAtEof {
    request: Vec<u8>,
    record: Rc<Record>,
}

impl Protocol for ReplyAtEof {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.request.extend_from_slice(data);
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.record.push("read_connection_lost");
        let reply = [b"reply to ".as_slice(), &self.request].concat();
        cx.transport().write(&reply);
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.lost(reason);
    }
}

#[test]
fn a_half_close_sends_close_notify_and_keeps_reading_the_reply() {
    let (server_record, client_record) = run_pair(
        |rec| ReplyAtEof {
            request: Vec::new(),
            record: rec.clone(),
        },
        |rec| HalfCloser {
            record: rec.clone(),
        },
    );
    assert_eq!(
        server_record.events(),
        ["read_connection_lost", "connection_lost:ConnectionDone"]
    );
    assert_eq!(
        client_record.events(),
        [
            "write_connection_lost",
            "data:reply to request",
            "connection_lost:ConnectionDone"
        ]
    );
}

#[test]
fn lose_connection_during_the_handshake_sends_what_was_written_then_closes_cleanly() {
    let (server_record, client_record) = run_pair(Recorder::new, |rec| {
        write_then_close(rec, b"written before the handshake")
    });
    assert_eq!(server_record.data(), b"written before the handshake");
    assert_eq!(
        server_record.events(),
        [
            "connection_made",
            "data",
            "read_connection_lost",
            "connection_lost:ConnectionDone"
        ]
    );
    assert_eq!(
        lost_events(&client_record),
        ["connection_lost:ConnectionDone"]
    );
}

#[test]
fn lose_connection_during_the_handshake_with_nothing_written_aborts() {
    let (server_record, client_record) = run_pair(Recorder::new, |rec| write_then_close(rec, b""));
    assert_eq!(
        lost_events(&client_record),
        ["connection_lost:ConnectionAborted"]
    );
    let reason = server_record.last_reason();
    assert!(
        !reason.check::<ConnectionDone>(),
        "no TLS session was closed cleanly: {reason:?}"
    );
    assert!(server_record.data().is_empty());
}
