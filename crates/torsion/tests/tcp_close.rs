//! Closing TCP connections over loopback: clean close after a flush, abort, half-close in
//! both directions, and a peer that resets.

mod util;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::rc::Rc;
use std::time::Duration;

use socket2::SockRef;
use torsion::error::{ConnectionAborted, ConnectionDone, ConnectionLost};
use torsion::{Cx, Failure, Protocol};
use util::{Record, Recorder};

const BIG: usize = 4 * 1024 * 1024;

/// Writes `payload` on connect, then closes as told.
struct Sender {
    record: Rc<Record>,
    payload: Vec<u8>,
    abort: bool,
}

impl Protocol for Sender {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(&self.payload);
        self.record
            .push(format!("buffered:{}", cx.transport().buffered()));
        if self.abort {
            cx.transport().abort_connection();
        } else {
            cx.transport().lose_connection();
        }
        self.record
            .push(format!("disconnecting:{}", cx.transport().disconnecting()));
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record
            .push(format!("connection_lost:{}", reason.type_name()));
    }
}

fn send_and_close(abort: bool) -> (Rc<Record>, (Vec<u8>, Option<std::io::Error>)) {
    let reactor = util::reactor();
    let record = Record::new();
    let rec = record.clone();
    let port = util::listen(&reactor, move |_peer| {
        Some(Sender {
            record: rec.clone(),
            payload: util::pattern(BIG),
            abort,
        })
    });
    let client = util::client(port.get_host(), |mut s| util::read_all(&mut s));
    let (done, rec) = (client.done_flag(), record.clone());
    util::run_until(&reactor, move || {
        done.load(std::sync::atomic::Ordering::SeqCst)
            && rec
                .events()
                .iter()
                .any(|e| e.starts_with("connection_lost"))
    });
    (record, client.join())
}

#[test]
fn lose_connection_flushes_a_large_pending_write_first() {
    let (record, (data, err)) = send_and_close(false);
    assert!(err.is_none(), "the peer saw an error: {err:?}");
    assert_eq!(data.len(), BIG);
    assert!(
        data == util::pattern(BIG),
        "the bytes arrived altered or out of order"
    );
    assert_eq!(
        record.events(),
        [
            format!("buffered:{BIG}"),
            "disconnecting:true".into(),
            "connection_lost:ConnectionDone".into()
        ]
    );
}

#[test]
fn abort_connection_drops_pending_data_and_reports_aborted() {
    let (record, (data, err)) = send_and_close(true);
    let reset = err
        .as_ref()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset);
    assert!(
        reset && data.len() < BIG,
        "an abort resets the connection (as Twisted's SO_LINGER 0 close): got {} bytes, {err:?}",
        data.len()
    );
    assert_eq!(
        record.events(),
        [
            format!("buffered:{BIG}"),
            "disconnecting:true".into(),
            "connection_lost:ConnectionAborted".into()
        ]
    );
}

#[test]
fn abort_reason_is_connection_aborted_with_its_message() {
    let reactor = util::reactor();
    let record = Record::new();
    let (rec, r) = (record.clone(), reactor.clone());
    let port = util::listen(&reactor, move |_peer| {
        let p = Recorder::stopping(&rec, &r);
        Some(Aborter(p))
    });
    let client = util::client(port.get_host(), |mut s| {
        s.write_all(b"abort me").unwrap();
        util::read_all(&mut s)
    });
    util::run(&reactor);
    client.join();
    let reason = record.last_reason();
    assert!(reason.check::<ConnectionAborted>());
    assert_eq!(
        reason.get_error_message(),
        "Connection was aborted locally using abort_connection."
    );
}

/// Aborts on the first byte received.
struct Aborter(Recorder);

impl Protocol for Aborter {
    fn data_received(&mut self, cx: &mut Cx<Self>, _data: &[u8]) {
        cx.transport().abort_connection();
        cx.transport().write(b"ignored after abort");
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.0
            .record
            .push(format!("connection_lost:{}", reason.type_name()));
        self.0.record.push(reason.get_error_message());
        if let Some(r) = &self.0.stop_on_lost {
            r.stop();
        }
        self.0.record.push_reason(reason);
    }
}

/// Keeps the connection open after the peer's EOF and answers from a timer.
struct HalfCloser {
    record: Rc<Record>,
    received: usize,
}

impl HalfCloser {
    fn answer_late(&mut self, cx: &mut Cx<Self>) {
        self.record.push("answer_late");
        cx.transport().write(b"late;");
        cx.transport().lose_connection();
    }
}

impl Protocol for HalfCloser {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.received += data.len();
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.record.push("read_connection_lost");
        cx.transport()
            .write(format!("got {} bytes;", self.received));
        cx.call_later(Duration::from_millis(20), Self::answer_late);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record
            .push(format!("connection_lost:{}", reason.type_name()));
    }
}

#[test]
fn a_half_closeable_protocol_keeps_writing_after_the_peers_eof() {
    let reactor = util::reactor();
    let record = Record::new();
    let rec = record.clone();
    let port = util::listen(&reactor, move |_peer| {
        Some(HalfCloser {
            record: rec.clone(),
            received: 0,
        })
    });
    let client = util::client(port.get_host(), |mut s| {
        s.write_all(b"ping").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        util::read_to_eof(&mut s)
    });
    let (done, rec) = (client.done_flag(), record.clone());
    util::run_until(&reactor, move || {
        done.load(std::sync::atomic::Ordering::SeqCst) && rec.has("connection_lost:ConnectionDone")
    });
    assert_eq!(client.join(), b"got 4 bytes;late;");
    assert_eq!(
        record.events(),
        [
            "read_connection_lost",
            "answer_late",
            "connection_lost:ConnectionDone"
        ]
    );
}

/// Says hello, shuts down its writing side, and goes on reading.
struct WriteCloser {
    record: Rc<Record>,
}

impl Protocol for WriteCloser {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"hello");
        cx.transport().lose_write_connection();
        cx.transport()
            .write(b"dropped: written after lose_write_connection");
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.record
            .push(format!("data:{}", String::from_utf8_lossy(data)));
    }

    fn write_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.record.push(format!(
            "write_connection_lost:connected={}",
            cx.transport().connected()
        ));
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record
            .push(format!("connection_lost:{}", reason.type_name()));
    }
}

#[test]
fn lose_write_connection_sends_eof_and_keeps_reading() {
    let reactor = util::reactor();
    let record = Record::new();
    let rec = record.clone();
    let port = util::listen(&reactor, move |_peer| {
        Some(WriteCloser {
            record: rec.clone(),
        })
    });
    let client = util::client(port.get_host(), |mut s| {
        let got = util::read_to_eof(&mut s);
        s.write_all(b"still heard").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        (got, rest)
    });
    let (done, rec) = (client.done_flag(), record.clone());
    util::run_until(&reactor, move || {
        done.load(std::sync::atomic::Ordering::SeqCst)
            && rec
                .events()
                .iter()
                .any(|e| e.starts_with("connection_lost"))
    });
    let (got, rest) = client.join();
    assert_eq!(
        got, b"hello",
        "the peer reads EOF right after what was written before"
    );
    assert!(rest.is_empty());
    assert_eq!(
        record.events(),
        [
            "write_connection_lost:connected=true",
            "data:still heard",
            "connection_lost:ConnectionDone"
        ]
    );
}

/// Answers a request with a large response, with the default `read_connection_lost`.
struct BigAnswer;

impl Protocol for BigAnswer {
    fn data_received(&mut self, cx: &mut Cx<Self>, _data: &[u8]) {
        cx.transport().write(util::pattern(BIG));
    }
}

#[test]
fn by_default_the_peers_eof_closes_after_pending_writes_flush() {
    let reactor = util::reactor();
    let port = util::listen(&reactor, |_peer| Some(BigAnswer));
    let client = util::client(port.get_host(), |mut s| {
        s.write_all(b"?").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        util::read_all(&mut s)
    });
    util::run_until_finished(&reactor, &client);
    let (data, err) = client.join();
    assert!(
        err.is_none(),
        "the server must close the connection after the EOF: {err:?}"
    );
    assert_eq!(data.len(), BIG, "the response is flushed before the close");
    assert!(data == util::pattern(BIG));
}

#[test]
fn a_peer_reset_is_connection_lost_with_the_os_error() {
    let reactor = util::reactor();
    let record = Record::new();
    let (rec, r) = (record.clone(), reactor.clone());
    let port = util::listen(&reactor, move |_peer| {
        let mut p = Recorder::stopping(&rec, &r);
        p.greeting = b"hi".to_vec();
        Some(p)
    });
    let client = util::client(port.get_host(), |mut s| {
        assert_eq!(util::read_exact(&mut s, 2), b"hi");
        SockRef::from(&s).set_linger(Some(Duration::ZERO)).unwrap();
        drop(s);
    });
    util::run(&reactor);
    client.join();
    assert_eq!(
        record.events(),
        ["connection_made", "connection_lost:ConnectionLost"]
    );
    let reason = record.last_reason();
    let lost = reason
        .downcast_ref::<ConnectionLost>()
        .expect("ConnectionLost");
    assert_eq!(
        lost.os_error.as_ref().and_then(|e| e.raw_os_error()),
        Some(104),
        "ECONNRESET"
    );
    assert_eq!(
        reason.get_error_message(),
        "Connection to the other side was lost in a non-clean fashion: 104: Connection reset by peer."
    );
    assert!(!reason.check::<ConnectionDone>());
}
