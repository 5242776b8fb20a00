//! Receivers need nothing of their transport: a line receiver over a UNIX socket pair
//! adopted as a stream, and one inside policy wrappers (logged, throttled) over TCP.

mod util;

use std::cell::RefCell;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;

use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
use torsion::protocols::policies::{
    LogSink, Throttling, ThrottlingFactory, TrafficLogging, TrafficLoggingFactory,
};
use torsion::Failure;
use util::{connect_std, listen, reactor, run};

/// Answers each line in capitals; `bye` closes. Stops the reactor when the connection ends.
struct Shout {
    reactor: torsion::Reactor,
}

impl LineReceiver for Shout {
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        if line == b"bye" {
            cx.transport().lose_connection();
        } else {
            cx.send_line(&line.to_ascii_uppercase());
        }
    }

    fn connection_lost(&mut self, _cx: &mut LineCx<'_, Self>, _reason: &Failure) {
        self.reactor.stop();
    }
}

#[test]
fn a_line_receiver_runs_over_an_adopted_unix_socket() {
    let reactor = reactor();
    let (ours, mut theirs) = UnixStream::pair().unwrap();
    let protocol = LineProtocol::new(Shout {
        reactor: reactor.clone(),
    });
    reactor
        .adopt_stream(OwnedFd::from(ours), None, protocol)
        .unwrap();
    let peer = std::thread::spawn(move || {
        theirs.write_all(b"hel").unwrap();
        theirs.write_all(b"lo\r\nworld\r\nbye\r\n").unwrap();
        let mut replies = Vec::new();
        theirs.read_to_end(&mut replies).unwrap();
        replies
    });
    run(&reactor);
    assert_eq!(peer.join().unwrap(), b"HELLO\r\nWORLD\r\n");
}

#[test]
fn a_line_receiver_runs_inside_logging_and_throttling_wrappers() {
    let reactor = reactor();
    let log = Rc::new(RefCell::new(Vec::<u8>::new()));
    let r = reactor.clone();
    let lines = move |_peer| Some(LineProtocol::new(Shout { reactor: r.clone() }));
    let throttled = ThrottlingFactory::new(lines, Throttling::new(&reactor).read_limit(1 << 20));
    let logged =
        TrafficLoggingFactory::new(throttled, TrafficLogging::new(LogSink::writer(log.clone())));
    let port = listen(&reactor, logged).get_host();
    let peer = std::thread::spawn(move || {
        let mut stream = connect_std(port);
        stream.write_all(b"quiet\r\nbye\r\n").unwrap();
        let mut replies = Vec::new();
        stream.read_to_end(&mut replies).unwrap();
        replies
    });
    run(&reactor);
    assert_eq!(peer.join().unwrap(), b"QUIET\r\n");
    let log = String::from_utf8(log.borrow().clone()).unwrap();
    assert!(log.contains("1 in: \"quiet\\r\\nbye\\r\\n\""), "{log}");
    assert!(log.contains("1 out: \"QUIET\""), "{log}");
    assert!(log.contains("1 close"), "{log}");
}
