//! Descriptors never leak: those sent to a protocol that did not ask for them are closed,
//! and those still queued when a connection ends are closed. One test per binary, as it
//! counts the process' open descriptors in `/proc/self/fd`.

mod util;

use std::cell::Cell;
use std::fs::File;
use std::rc::Rc;

use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol, Reactor};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Sends `count` descriptors of one file, then one byte if `with_bytes`, then closes.
struct Sender {
    count: usize,
    with_bytes: bool,
}

impl Protocol for Sender {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let file = File::open("/proc/self/stat").unwrap();
        for _ in 0..self.count {
            cx.transport().send_file_descriptor(&file).unwrap();
        }
        if self.with_bytes {
            cx.transport().write(b"!");
        }
        cx.transport().lose_connection();
    }
}

struct SendOnce(Option<Sender>);

impl ClientFactory for SendOnce {
    type Protocol = Sender;
    fn build_protocol(&mut self, _addr: Address) -> Option<Sender> {
        self.0.take()
    }
    fn client_connection_failed(&mut self, _c: &Connector, reason: &Failure) {
        panic!("connect failed: {reason}");
    }
}

/// Takes no descriptors (the default `file_descriptor_received`); stops the reactor when
/// its connection ends, after counting the bytes.
struct NoThanks(Reactor, Rc<Cell<usize>>);

impl Protocol for NoThanks {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.1.set(self.1.get() + data.len());
    }
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.0.stop();
    }
}

fn round(count: usize, with_bytes: bool) -> usize {
    let reactor = util::reactor();
    let path = std::env::temp_dir().join(format!(
        "torsion-leaks-{}-{with_bytes}.sock",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let got = Rc::new(Cell::new(0));
    let (r, g) = (reactor.clone(), got.clone());
    let port = reactor
        .listen_unix(&path, move |_peer| Some(NoThanks(r.clone(), g.clone())))
        .unwrap();
    reactor.connect_unix(&path, SendOnce(Some(Sender { count, with_bytes })));
    util::run(&reactor);
    port.stop_listening();
    got.get()
}

#[test]
fn unasked_and_unsent_descriptors_are_closed() {
    // A first round opens what stays open for the process (the reactor's own
    // descriptors are closed with it, but libraries may cache some).
    round(1, true);
    let before = open_fds();
    assert_eq!(round(100, true), 1, "the byte arrived");
    assert_eq!(
        open_fds(),
        before,
        "descriptors sent to a protocol that did not ask were closed"
    );
    assert_eq!(round(50, false), 0);
    assert_eq!(
        open_fds(),
        before,
        "descriptors queued with no byte to carry them were closed with the connection"
    );
}
