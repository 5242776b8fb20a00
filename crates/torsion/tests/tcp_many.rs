//! Many connections at once: 500 clients, all open together, each echoing a few messages
//! through one reactor.

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use torsion::{ClientFactory, Cx, Failure, Protocol, Transport};

const CLIENTS: usize = 500;
const MESSAGES: usize = 3;

/// What all clients share: who is connected, how many finished, what went wrong.
#[derive(Default)]
struct Tally {
    waiting: RefCell<Vec<Transport>>,
    connected: Cell<usize>,
    finished: Cell<usize>,
    errors: RefCell<Vec<String>>,
}

/// Once every client is connected, sends `go` and then `MESSAGES` messages, one at a
/// time, each after the previous one came back.
struct Talker {
    id: usize,
    tally: Rc<Tally>,
    sent: usize,
    pending: Vec<u8>,
}

impl Talker {
    fn message(&self) -> Vec<u8> {
        format!("message {} from client {}\n", self.sent, self.id).into_bytes()
    }
}

impl Protocol for Talker {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let t = &self.tally;
        t.connected.set(t.connected.get() + 1);
        t.waiting.borrow_mut().push(cx.transport().clone());
        if t.connected.get() == CLIENTS {
            for transport in t.waiting.borrow_mut().drain(..) {
                transport.write(b"go\n");
            }
        }
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.pending.extend_from_slice(data);
        let expected = if self.sent == 0 {
            b"go\n".to_vec()
        } else {
            self.message()
        };
        if self.pending.len() < expected.len() {
            return;
        }
        if self.pending != expected {
            let got = String::from_utf8_lossy(&self.pending).into_owned();
            self.tally
                .errors
                .borrow_mut()
                .push(format!("client {}: got {got:?}", self.id));
            return cx.transport().abort_connection();
        }
        self.pending.clear();
        if self.sent == MESSAGES {
            self.tally.finished.set(self.tally.finished.get() + 1);
            return cx.transport().lose_connection();
        }
        self.sent += 1;
        cx.transport().write(self.message());
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        if self.sent != MESSAGES {
            self.tally
                .errors
                .borrow_mut()
                .push(format!("client {} lost early: {reason}", self.id));
        }
    }
}

/// Builds one `Talker` and reports a failed attempt.
struct TalkerFactory {
    id: usize,
    tally: Rc<Tally>,
}

impl ClientFactory for TalkerFactory {
    type Protocol = Talker;

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Talker> {
        Some(Talker {
            id: self.id,
            tally: self.tally.clone(),
            sent: 0,
            pending: Vec::new(),
        })
    }

    fn client_connection_failed(&mut self, _connector: &torsion::Connector, reason: &Failure) {
        self.tally
            .errors
            .borrow_mut()
            .push(format!("client {} failed: {reason}", self.id));
    }
}

/// The server side: an echo that also counts how many connections are open at once.
struct CountingEcho {
    open: Rc<Cell<usize>>,
    max_open: Rc<Cell<usize>>,
}

impl Protocol for CountingEcho {
    fn connection_made(&mut self, _cx: &mut Cx<Self>) {
        self.open.set(self.open.get() + 1);
        self.max_open.set(self.max_open.get().max(self.open.get()));
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.open.set(self.open.get() - 1);
    }
}

#[test]
fn five_hundred_connections_echo_concurrently() {
    let reactor = util::reactor();
    let (open, max_open) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let (o, m) = (open.clone(), max_open.clone());
    let port = util::listen(&reactor, move |_peer| {
        Some(CountingEcho {
            open: o.clone(),
            max_open: m.clone(),
        })
    });
    let tally = Rc::new(Tally::default());
    for id in 0..CLIENTS {
        reactor.connect_tcp(
            "127.0.0.1",
            port.get_host().port(),
            TalkerFactory {
                id,
                tally: tally.clone(),
            },
        );
    }
    let t = tally.clone();
    util::run_until(&reactor, move || {
        t.finished.get() == CLIENTS || !t.errors.borrow().is_empty()
    });
    assert!(
        tally.errors.borrow().is_empty(),
        "{:?}",
        tally.errors.borrow()
    );
    assert_eq!(tally.finished.get(), CLIENTS);
    assert_eq!(max_open.get(), CLIENTS, "all connections were open at once");
}
