//! Protocols that host other protocols, written outside the crate as a user would: a
//! generic wrapper that logs its hosted protocol's traffic through a transport of its own
//! and forwards its timers, a line splitter over a plain user type with timers of its
//! own, and a protocol switch on a live connection. All over real sockets.

mod util;

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Duration;

use torsion::{Address, Cx, Failure, Hosted, Protocol, ReactorTime, Transport, TransportBackend};

/// What a [`Logged`] wrapper saw, in order: `in:…` for bytes received, `out:…` for bytes
/// its hosted protocol wrote.
type Log = Rc<RefCell<Vec<String>>>;

/// The transport a [`Logged`] wrapper presents to its hosted protocol: writes are logged,
/// then passed to the real transport.
struct LoggingTransport {
    below: Transport,
    log: Log,
}

impl TransportBackend for LoggingTransport {
    fn write(&self, data: &[u8]) {
        self.log
            .borrow_mut()
            .push(format!("out:{}", String::from_utf8_lossy(data)));
        self.below.write(data);
    }
    fn lose_connection(&self) {
        self.log.borrow_mut().push("lose_connection".into());
        self.below.lose_connection();
    }
    fn abort_connection(&self) {
        self.below.abort_connection();
    }
    fn get_peer(&self) -> Address {
        self.below.get_peer()
    }
    fn get_host(&self) -> Address {
        self.below.get_host()
    }
    fn connected(&self) -> bool {
        self.below.connected()
    }
    fn disconnecting(&self) -> bool {
        self.below.disconnecting()
    }
}

/// Hosts any protocol and logs its traffic (Twisted's `policies.TrafficLoggingProtocol`).
struct Logged<U: Protocol> {
    inner: Hosted<U>,
    log: Log,
}

impl<U: Protocol> Protocol for Logged<U> {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let transport = Transport::new(Rc::new(LoggingTransport {
            below: cx.transport().clone(),
            log: self.log.clone(),
        }));
        self.inner
            .connection_made(cx, transport, |me: &mut Self| &mut me.inner);
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.log
            .borrow_mut()
            .push(format!("in:{}", String::from_utf8_lossy(data)));
        self.inner.data_received(data);
    }

    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.inner.read_connection_lost();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.log.borrow_mut().push("connection_lost".into());
        self.inner.connection_lost(reason);
    }
}

/// A hosted protocol with a timer of its own: answers each message after a delay,
/// through a `call_later` back into itself.
struct DelayedEcho {
    pending: Vec<Vec<u8>>,
}

impl DelayedEcho {
    fn answer(&mut self, cx: &mut Cx<Self>) {
        for message in self.pending.drain(..) {
            cx.transport().write(message);
        }
    }
}

impl Protocol for DelayedEcho {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.pending.push(data.to_vec());
        cx.call_later(Duration::from_millis(5), Self::answer);
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        // Answer what is pending, then close.
        cx.call_later(Duration::from_millis(5), |me: &mut Self, cx| {
            me.answer(cx);
            cx.transport().lose_connection();
        });
    }
}

#[test]
fn a_generic_wrapper_logs_through_its_own_transport_and_forwards_timers() {
    let reactor = util::reactor();
    let log: Log = Rc::default();
    let l = log.clone();
    let port = util::listen(&reactor, move |_peer| {
        Some(Logged {
            inner: Hosted::new(DelayedEcho {
                pending: Vec::new(),
            }),
            log: l.clone(),
        })
    });
    let client = util::client(port.get_host(), |mut s| {
        s.write_all(b"hello").unwrap();
        let mut got = [0; 5];
        s.read_exact(&mut got).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        (got, rest)
    });
    util::run_until_finished(&reactor, &client);
    let (got, rest) = client.join();
    assert_eq!(&got, b"hello", "the hosted protocol's timer answered");
    assert!(rest.is_empty());
    util::run_span(&reactor, Duration::from_millis(50));
    assert_eq!(
        *log.borrow(),
        [
            "in:hello",
            "out:hello",
            "lose_connection",
            "connection_lost"
        ]
    );
}

/// What the line splitter gives its user type: one call per line.
trait LineHandler: Protocol {
    fn line_received(&mut self, cx: &mut Cx<Self>, line: &[u8]);
}

/// Splits bytes into `\n`-terminated lines for any [`LineHandler`].
struct Lines<U: LineHandler> {
    inner: Hosted<U>,
    buffer: Vec<u8>,
}

impl<U: LineHandler> Lines<U> {
    fn new(user: U) -> Lines<U> {
        Lines {
            inner: Hosted::new(user),
            buffer: Vec::new(),
        }
    }
}

impl<U: LineHandler> Protocol for Lines<U> {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let transport = cx.transport().clone();
        self.inner
            .connection_made(cx, transport, |me: &mut Self| &mut me.inner);
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.buffer.extend_from_slice(data);
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            self.inner
                .with(|user, cx| user.line_received(cx, &line[..line.len() - 1]));
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.inner.connection_lost(reason);
    }
}

/// A plain user type: answers `ping` with `pong`, and `later` with `tick` after a delay
/// through its own timer; a timer set before the connection closes never fires.
#[derive(Default)]
struct Pinger {
    lost: Rc<RefCell<Option<String>>>,
}

impl Pinger {
    fn tick(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"tick\n");
    }
}

impl Protocol for Pinger {
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        *self.lost.borrow_mut() = Some(reason.to_string());
    }
}

impl LineHandler for Pinger {
    fn line_received(&mut self, cx: &mut Cx<Self>, line: &[u8]) {
        match line {
            b"ping" => cx.transport().write(b"pong\n"),
            b"later" => {
                cx.call_later(Duration::from_millis(10), Self::tick);
            }
            b"never" => {
                cx.call_later(Duration::from_secs(3600), |_: &mut Self, _| {
                    panic!("a timer outlived its connection")
                });
            }
            b"bye" => cx.transport().lose_connection(),
            _ => cx.transport().write(b"?\n"),
        }
    }
}

#[test]
fn a_line_splitter_hosts_a_plain_type_with_its_own_timers() {
    let reactor = util::reactor();
    let lost: Rc<RefCell<Option<String>>> = Rc::default();
    let l = lost.clone();
    let port = util::listen(&reactor, move |_peer| {
        Some(Lines::new(Pinger { lost: l.clone() }))
    });
    let client = util::client(port.get_host(), |mut s| {
        s.write_all(b"pi").unwrap();
        s.write_all(b"ng\nlater\nnever\nwhat\n").unwrap();
        let mut got = vec![0; b"pong\n?\ntick\n".len()];
        s.read_exact(&mut got).unwrap();
        s.write_all(b"bye\n").unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        (got, rest)
    });
    util::run_until_finished(&reactor, &client);
    let (got, rest) = client.join();
    assert_eq!(String::from_utf8(got).unwrap(), "pong\n?\ntick\n");
    assert!(rest.is_empty());
    util::run_span(&reactor, Duration::from_millis(20));
    assert_eq!(
        lost.borrow().as_deref(),
        Some("ConnectionDone: Connection was closed cleanly.")
    );
    let in_an_hour = reactor.seconds() + 1800.0;
    assert!(
        reactor
            .get_delayed_calls()
            .iter()
            .all(|c| c.get_time() < in_an_hour),
        "the hosted protocol's hour-long timer died with the connection"
    );
}

/// Echoes everything, shouting.
struct Shout;

impl Protocol for Shout {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data.to_ascii_uppercase());
    }
}

/// Waits for `UPGRADE\n`, then hands the connection to [`Shout`] with whatever followed.
struct Greeting {
    tick: Rc<RefCell<u32>>,
}

impl Protocol for Greeting {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        // A timer of the old protocol: cancelled by the switch.
        let tick = self.tick.clone();
        cx.call_later(Duration::from_millis(30), move |_, _| {
            *tick.borrow_mut() += 1;
        });
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        match data.iter().position(|&b| b == b'\n') {
            Some(end) if &data[..end] == b"UPGRADE" => {
                cx.transport().write(b"switching\n");
                cx.switch_protocol(Shout, &data[end + 1..]).unwrap();
            }
            _ => cx.transport().write(b"say UPGRADE\n"),
        }
    }
}

#[test]
fn a_protocol_hands_the_connection_to_another_with_the_bytes_it_left() {
    let reactor = util::reactor();
    let tick: Rc<RefCell<u32>> = Rc::default();
    let t = tick.clone();
    let port = util::listen(&reactor, move |_peer| Some(Greeting { tick: t.clone() }));
    let client = util::client(port.get_host(), |mut s| {
        s.write_all(b"UPGRADE\nhello").unwrap();
        let mut got = vec![0; b"switching\nHELLO".len()];
        s.read_exact(&mut got).unwrap();
        s.write_all(b" again").unwrap();
        let mut more = vec![0; b" AGAIN".len()];
        s.read_exact(&mut more).unwrap();
        (got, more)
    });
    util::run_until_finished(&reactor, &client);
    let (got, more) = client.join();
    assert_eq!(String::from_utf8(got).unwrap(), "switching\nHELLO");
    assert_eq!(more, b" AGAIN");
    util::run_span(&reactor, Duration::from_millis(60));
    assert_eq!(*tick.borrow(), 0, "the old protocol's timer was cancelled");
}

#[test]
fn switching_is_refused_on_a_transport_the_reactor_does_not_drive() {
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    struct Switcher(Option<std::io::ErrorKind>);
    impl Protocol for Switcher {
        fn connection_made(&mut self, cx: &mut Cx<Self>) {
            self.0 = cx.switch_protocol(Shout, b"").err().map(|e| e.kind());
        }
    }
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(Switcher(None), &st, &Clock::new()).unwrap();
    assert_eq!(h.protocol().0, Some(std::io::ErrorKind::Unsupported));
}
