//! Hostile bytes at a torsion TLS server, from a raw std socket (and a rustls client driven
//! by hand where the attack comes after a real handshake): garbage instead of a
//! ClientHello, a truncated record, records of the maximum size and over it, floods of tiny
//! records. Each closes that one connection with a reason that says what happened (logged
//! once with the peer's address); the server's protocol sees none of the bytes; and the same
//! server then serves a good client. Also: a flood of valid one-byte records is served in
//! full, valid data before a bad record is delivered, and a torsion client facing a server
//! that answers garbage or hangs up is told why.

mod tls_util;
mod tls_verify_util;
mod util;

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use tls_util::Pki;
use tls_verify_util::{connect_probe, listen_probes, tls_error, Seen};
use torsion::error::ConnectionDone;
use torsion::tls::{TlsErrorKind, TlsTruncated};

/// The largest record TLS allows on the wire: 2^14 bytes of plaintext plus 256 of
/// expansion (RFC 8446, 5.2).
const MAX_RECORD: usize = (1 << 14) + 256;

const HANDSHAKE: u8 = 0x16;
const APPLICATION_DATA: u8 = 0x17;
const ALERT: u8 = 0x15;

/// A record header announcing `len` bytes of `content_type`.
fn header(content_type: u8, len: usize) -> Vec<u8> {
    let len = u16::try_from(len).expect("a record length fits 16 bits");
    let mut out = vec![content_type, 0x03, 0x03];
    out.extend_from_slice(&len.to_be_bytes());
    out
}

/// A record of `content_type` holding `payload`.
fn record(content_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(content_type, payload.len());
    out.extend_from_slice(payload);
    out
}

/// `count` copies of `one`.
fn flood(one: &[u8], count: usize) -> Vec<u8> {
    one.repeat(count)
}

/// A rustls client of its own (not torsion's), trusting the CA in `ca_pem`.
fn rustls_client(ca_pem: &str) -> ClientConnection {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap()
}

/// The plaintext a raw client sends and gets echoed after its handshake, so the server's
/// handshake is known to be over before the attack.
const PROBE: &[u8] = b"x";

/// Completes a real handshake over `stream` with a rustls client driven by hand, then
/// sends [`PROBE`] and reads until its echo arrives.
fn handshake_by_hand(ca_pem: &str, stream: &mut TcpStream) -> ClientConnection {
    let mut tls = rustls_client(ca_pem);
    while tls.is_handshaking() {
        tls.complete_io(stream).expect("the handshake completes");
    }
    tls.writer().write_all(PROBE).unwrap();
    let mut echo = Vec::new();
    while echo.as_slice() != PROBE {
        tls.complete_io(stream).expect("the probe's echo arrives");
        let mut buf = [0; 16];
        match tls.reader().read(&mut buf) {
            Ok(n) => echo.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("reading the probe's echo: {e}"),
        }
    }
    tls
}

/// When the raw client sends its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    /// Instead of a ClientHello.
    BeforeHandshake,
    /// After a real handshake.
    AfterHandshake,
}

/// What one attack did to the server.
struct Attack {
    /// When the attack came.
    when: When,
    /// The server protocol's record of the attacking connection.
    server: Rc<Seen>,
    /// The raw bytes the server sent the attacker, until it closed.
    reply: Vec<u8>,
}

/// Sends `bytes` from a raw socket to a fresh TLS server (after a real handshake if
/// `when` says so), then closes its writing side and reads until the server closes. Then a
/// good torsion client must complete a TLS echo with the same server.
fn attack(bytes: Vec<u8>, when: When) -> Attack {
    attack_with(when, move |ca_pem, mut stream| {
        if when == When::AfterHandshake {
            handshake_by_hand(&ca_pem, &mut stream);
        }
        // The server may close (and reset) before it has read everything: that is its
        // answer, not a failure of the test.
        let _ = stream.write_all(&bytes);
        let _ = stream.shutdown(Shutdown::Write);
        util::read_all(&mut stream).0
    })
}

/// Runs `client` on a helper thread with the test CA's PEM and a std connection to a fresh
/// TLS server; once it returned (what the server sent it) and the server's side of its
/// connection is lost, a good torsion client must complete a TLS echo with the same
/// server.
fn attack_with(
    when: When,
    client: impl FnOnce(String, TcpStream) -> Vec<u8> + Send + 'static,
) -> Attack {
    let pki = Pki::new();
    let reactor = util::reactor();
    let (port, connections) = listen_probes(&reactor, pki.server_options());
    let addr: SocketAddr = ([127, 0, 0, 1], port.get_host().port()).into();
    let ca_pem = pki.ca.cert.clone();
    let client = util::thread(move || client(ca_pem, util::connect_std(addr)));
    // Ports close when the reactor stops: the good client connects within the same run,
    // once the attacker's connection is gone.
    let (done, list, r) = (client.done_flag(), connections.clone(), reactor.clone());
    let good_options = pki.client_options("localhost");
    let good = Rc::new(RefCell::new(None::<Rc<Seen>>));
    let good_seen = good.clone();
    util::run_until(&reactor, move || {
        if let Some(seen) = good_seen.borrow().as_ref() {
            return seen.is_done();
        }
        let attacked = list.borrow().first().is_some_and(|c| c.is_lost());
        if done.load(Ordering::SeqCst) && attacked {
            *good_seen.borrow_mut() = Some(connect_probe(&r, addr.port(), good_options.clone()));
        }
        false
    });
    let reply = client.join();
    let server = connections.borrow()[0].clone();

    let good = good.borrow().clone().unwrap();
    assert_eq!(
        good.data.borrow().as_slice(),
        b"ping",
        "a good client is served"
    );
    let lost = good.lost_reason();
    assert!(lost.check::<ConnectionDone>(), "the good client: {lost}");
    assert_eq!(connections.borrow().len(), 2);
    assert_eq!(connections.borrow()[1].data.borrow().as_slice(), b"ping");
    Attack {
        when,
        server,
        reply,
    }
}

impl Attack {
    /// The server's protocol saw none of the attacker's bytes (only the probe's, after a
    /// handshake).
    fn assert_no_garbage_delivered(&self) {
        let expected = match self.when {
            When::BeforeHandshake => &b""[..],
            When::AfterHandshake => PROBE,
        };
        assert_eq!(
            self.server.data.borrow().as_slice(),
            expected,
            "the protocol saw the attacker's bytes"
        );
    }

    /// The attacking connection was closed with a [`TlsError`](torsion::tls::TlsError) of
    /// kind `BadRecord` whose rustls detail contains `cause`, and its protocol saw none
    /// of the garbage.
    fn assert_bad_record(&self, cause: &str) {
        let reason = self.server.lost_reason();
        let err = tls_error(&reason);
        assert_eq!(err.kind(), TlsErrorKind::BadRecord, "{err}");
        let handshaking = self.when == When::BeforeHandshake;
        assert_eq!(err.during_handshake(), handshaking, "{err}");
        assert!(err.detail().contains(cause), "{err}");
        assert!(
            err.to_string()
                .contains("the peer sent data that is not valid TLS"),
            "{err}"
        );
        self.assert_no_garbage_delivered();
    }

    /// The description of the fatal alert the server sent in clear, if any.
    fn plaintext_alert(&self) -> Option<u8> {
        let mut rest = self.reply.as_slice();
        while rest.len() >= 5 {
            let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
            let body = rest.get(5..5 + len)?;
            if rest[0] == ALERT && body.len() == 2 && body[0] == 2 {
                return Some(body[1]);
            }
            rest = &rest[5 + len..];
        }
        None
    }
}

#[test]
fn garbage_instead_of_a_client_hello_closes_that_connection() {
    let attack = attack(b"GET / HTTP/1.0\r\n\r\n".to_vec(), When::BeforeHandshake);
    attack.assert_bad_record("InvalidContentType");
    const DECODE_ERROR: u8 = 50;
    assert_eq!(
        attack.plaintext_alert(),
        Some(DECODE_ERROR),
        "the server says why before it closes: {:?}",
        attack.reply
    );
}

#[test]
fn a_truncated_record_closes_that_connection_as_truncated() {
    let mut bytes = header(HANDSHAKE, 200);
    bytes.extend_from_slice(&[1; 10]);
    let attack = attack(bytes, When::BeforeHandshake);
    let reason = attack.server.lost_reason();
    assert!(reason.check::<TlsTruncated>(), "{reason}");
    attack.assert_no_garbage_delivered();
}

#[test]
fn a_truncated_record_after_the_handshake_closes_that_connection_as_truncated() {
    let mut bytes = header(APPLICATION_DATA, 200);
    bytes.extend_from_slice(&[1; 10]);
    let attack = attack(bytes, When::AfterHandshake);
    let reason = attack.server.lost_reason();
    assert!(reason.check::<TlsTruncated>(), "{reason}");
    attack.assert_no_garbage_delivered();
}

/// A handshake message of `type_` whose body is `len` zero bytes.
fn handshake_message(type_: u8, len: usize) -> Vec<u8> {
    let len = u32::try_from(len).unwrap().to_be_bytes();
    let mut out = vec![type_, len[1], len[2], len[3]];
    out.resize(4 + u32::from_be_bytes(len) as usize, 0);
    out
}

const CLIENT_HELLO: u8 = 1;

/// What rustls finds in a ClientHello of zero bytes: it offers no cipher suite.
const EMPTY_HELLO: &str = "IllegalEmptyList(\"CipherSuites\")";

#[test]
fn a_record_of_the_maximum_size_is_read_whole_then_refused() {
    // A ClientHello filling the record: the server takes it in and finds it malformed.
    let bytes = record(HANDSHAKE, &handshake_message(CLIENT_HELLO, MAX_RECORD - 4));
    let attack = attack(bytes, When::BeforeHandshake);
    attack.assert_bad_record(EMPTY_HELLO);
}

#[test]
fn a_sealed_record_of_the_maximum_size_that_does_not_decrypt_is_refused() {
    let bytes = record(APPLICATION_DATA, &util::pattern(MAX_RECORD));
    let attack = attack(bytes, When::AfterHandshake);
    attack.assert_bad_record("cannot decrypt peer's message");
}

/// The longest record rustls reads (it allows 2,048 bytes of expansion, more than TLS
/// 1.3's 256, for TLS 1.2's ciphers).
const LONGEST_READ: usize = (1 << 14) + 2048;

#[test]
fn a_record_longer_than_the_maximum_is_refused_from_its_header() {
    for len in [LONGEST_READ + 1, usize::from(u16::MAX)] {
        // Only the header and a few bytes are sent: the length alone condemns it.
        let mut bytes = header(HANDSHAKE, len);
        bytes.extend_from_slice(&handshake_message(CLIENT_HELLO, 100));
        attack(bytes, When::BeforeHandshake).assert_bad_record("MessageTooLarge");
    }
}

#[test]
fn a_record_just_over_the_tls_maximum_is_parsed_and_refused() {
    // rustls reads records up to its own limit; this one's ClientHello is malformed.
    let bytes = record(HANDSHAKE, &handshake_message(CLIENT_HELLO, MAX_RECORD - 3));
    attack(bytes, When::BeforeHandshake).assert_bad_record(EMPTY_HELLO);
}

#[test]
fn a_flood_of_empty_records_before_the_handshake_is_refused() {
    // TLS forbids empty handshake records: the first one ends the connection, and the
    // thousands behind it are not read.
    let bytes = flood(&header(HANDSHAKE, 0), 5000);
    attack(bytes, When::BeforeHandshake).assert_bad_record("InvalidEmptyPayload");
}

#[test]
fn a_flood_of_one_byte_records_carrying_a_client_hello_is_taken_in_then_refused() {
    // 4,004 records of one byte each: a ClientHello of 4,000 zero bytes, fragmented.
    let message = handshake_message(CLIENT_HELLO, 4000);
    let bytes: Vec<u8> = message
        .iter()
        .flat_map(|b| record(HANDSHAKE, &[*b]))
        .collect();
    attack(bytes, When::BeforeHandshake).assert_bad_record(EMPTY_HELLO);
}

#[test]
fn a_flood_of_empty_records_after_the_handshake_is_refused() {
    // A sealed record holds at least its tag: the first empty one fails to decrypt.
    let bytes = flood(&header(APPLICATION_DATA, 0), 5000);
    attack(bytes, When::AfterHandshake).assert_bad_record("cannot decrypt peer's message");
}

#[test]
fn a_flood_of_one_byte_sealed_records_is_served_in_full() {
    // Valid records of one byte each, from a rustls client: not an attack the server may
    // refuse, but one it must take without stalling. Then a clean close.
    const COUNT: usize = 5000;
    let attack = attack_with(When::AfterHandshake, |ca_pem, mut stream| {
        let mut tls = handshake_by_hand(&ca_pem, &mut stream);
        tls.set_buffer_limit(None);
        for i in 0..COUNT {
            // One write, one record.
            tls.writer().write_all(&[b'a' + (i % 26) as u8]).unwrap();
        }
        tls.send_close_notify();
        while tls.wants_write() {
            tls.write_tls(&mut stream).unwrap();
        }
        let mut echoed = Vec::new();
        loop {
            match tls.read_tls(&mut stream) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => panic!("reading the echo after {} bytes: {e}", echoed.len()),
            }
            let state = tls
                .process_new_packets()
                .expect("the server's records are valid");
            let mut buf = vec![0; state.plaintext_bytes_to_read()];
            tls.reader().read_exact(&mut buf).unwrap();
            echoed.extend_from_slice(&buf);
            if state.peer_has_closed() {
                break;
            }
        }
        echoed
    });
    let expected: Vec<u8> = PROBE
        .iter()
        .copied()
        .chain((0..COUNT).map(|i| b'a' + (i % 26) as u8))
        .collect();
    assert_eq!(attack.server.data.borrow().as_slice(), expected.as_slice());
    assert_eq!(attack.reply, expected[PROBE.len()..], "every byte echoed");
    let reason = attack.server.lost_reason();
    assert!(reason.check::<ConnectionDone>(), "{reason}");
}

#[test]
fn data_sealed_before_a_bad_record_reaches_the_protocol_before_the_close() {
    // One write carries a valid record and then one that does not decrypt: the protocol
    // gets the valid one's plaintext, then the connection closes for the bad one.
    let attack = attack_with(When::AfterHandshake, |ca_pem, mut stream| {
        let mut tls = handshake_by_hand(&ca_pem, &mut stream);
        tls.writer().write_all(b"valid").unwrap();
        let mut bytes = Vec::new();
        while tls.wants_write() {
            tls.write_tls(&mut bytes).unwrap();
        }
        bytes.extend_from_slice(&record(APPLICATION_DATA, &util::pattern(100)));
        let _ = stream.write_all(&bytes);
        let _ = stream.shutdown(Shutdown::Write);
        util::read_all(&mut stream).0
    });
    let reason = attack.server.lost_reason();
    let err = tls_error(&reason);
    assert_eq!(err.kind(), TlsErrorKind::BadRecord, "{err}");
    assert_eq!(attack.server.data.borrow().as_slice(), b"xvalid");
}

/// Log lines written while a test runs on this thread.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged in this test process from the first call on: the subscriber is
/// global, as a thread's own one misses events whose call sites another test's thread
/// registered first.
fn process_logs() -> Logs {
    static LOGS: std::sync::OnceLock<Logs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        logs
    })
    .clone()
}

#[test]
fn a_refused_connection_is_logged_once_with_the_peer_and_the_reason() {
    let logs = process_logs();
    let attacker = Arc::new(Mutex::new(None));
    let attacker_addr = attacker.clone();
    let attack = attack_with(When::BeforeHandshake, move |_ca, mut stream| {
        *attacker_addr.lock().unwrap() = Some(stream.local_addr().unwrap());
        let _ = stream.write_all(b"GET / HTTP/1.0\r\n\r\n");
        util::read_all(&mut stream).0
    });
    attack.assert_bad_record("InvalidContentType");
    let attacker = attacker.lock().unwrap().expect("the attacker connected");
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains(&format!("peer={attacker}")))
        .collect();
    assert_eq!(lines.len(), 1, "one line for the attacker: {logs}");
    assert!(lines[0].contains("WARN"), "{}", lines[0]);
    assert!(
        lines[0].contains("the peer sent data that is not valid TLS"),
        "{}",
        lines[0]
    );
}

/// A torsion TLS client against a raw server that reads the client's hello and answers
/// `answer` before closing; returns what the client saw.
fn client_against_raw_server(answer: &'static [u8]) -> Rc<Seen> {
    let pki = Pki::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = util::thread(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
        let mut hello = [0; 5];
        stream.read_exact(&mut hello).expect("the client's hello");
        assert_eq!(hello[0], HANDSHAKE, "a TLS handshake record first");
        stream.write_all(answer).unwrap();
        let _ = stream.shutdown(Shutdown::Write);
        util::read_all(&mut stream);
    });
    let reactor = util::reactor();
    let seen = connect_probe(&reactor, port, pki.client_options("localhost"));
    let done = seen.clone();
    util::run_until(&reactor, move || done.is_done());
    drop(reactor);
    server.join();
    seen
}

#[test]
fn a_client_answered_with_garbage_is_told_why() {
    let seen = client_against_raw_server(b"HTTP/1.0 400 Bad Request\r\n\r\n");
    for reason in [
        seen.lost_reason(),
        seen.factory_reason.borrow().clone().unwrap(),
    ] {
        let err = tls_error(&reason);
        assert_eq!(err.kind(), TlsErrorKind::BadRecord, "{err}");
        assert!(err.during_handshake(), "{err}");
        assert!(err.detail().contains("InvalidContentType"), "{err}");
    }
    assert!(
        !seen.factory_failed.get(),
        "TCP connected: client_connection_lost"
    );
    assert!(seen.data.borrow().is_empty());
}

#[test]
fn a_client_whose_server_closes_during_the_handshake_sees_a_truncation() {
    let seen = client_against_raw_server(b"");
    let reason = seen.lost_reason();
    assert!(reason.check::<TlsTruncated>(), "{reason}");
    let factory = seen.factory_reason.borrow().clone().unwrap();
    assert!(factory.check::<TlsTruncated>(), "{factory}");
    assert!(seen.data.borrow().is_empty());
}
