//! A connect flood does not starve the connections already open: a listening port
//! accepts a bounded number of connections per readiness event, then lets the others
//! have their turn. (Its own test binary: it opens a few hundred sockets.)

mod util;

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::net::TcpStream;
use std::rc::Rc;
use std::time::Duration;

use torsion::{Cx, ListenOptions, Protocol, ReactorTime};

/// Counts the connections accepted; notes how many there were when `ping` arrived.
struct Counted {
    accepted: Rc<Cell<usize>>,
    accepted_at_ping: Rc<Cell<Option<usize>>>,
}

impl Protocol for Counted {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        if data == b"ping" {
            self.accepted_at_ping.set(Some(self.accepted.get()));
        }
    }
}

#[test]
fn a_connect_flood_waits_its_turn_behind_open_connections() {
    const FLOOD: usize = 300;
    let reactor = util::reactor();
    let accepted = Rc::new(Cell::new(0));
    let at_ping = Rc::new(Cell::new(None));
    let (a, p) = (accepted.clone(), at_ping.clone());
    let options = ListenOptions {
        interface: "127.0.0.1".into(),
        backlog: 1024,
        ..ListenOptions::default()
    };
    let port = reactor
        .listen_tcp_with(
            0,
            move |_peer| {
                a.set(a.get() + 1);
                Some(Counted {
                    accepted: a.clone(),
                    accepted_at_ping: p.clone(),
                })
            },
            options,
        )
        .unwrap();
    let addr = port.get_host();
    let first = TcpStream::connect(addr).unwrap();
    // Once the first connection is accepted, the flood completes its handshakes in the
    // kernel's backlog while the reactor is busy, then the open connection speaks: the
    // port's event comes before the open connection's.
    let flood: Rc<RefCell<Vec<TcpStream>>> = Rc::default();
    let (a, f, r, p) = (
        accepted.clone(),
        flood.clone(),
        reactor.clone(),
        at_ping.clone(),
    );
    let mut first = Some(first);
    util::run_until(&reactor, move || {
        if a.get() == 1 {
            if let Some(mut first) = first.take() {
                let f = f.clone();
                r.call_later(Duration::ZERO, move || {
                    let mut flood = f.borrow_mut();
                    flood.extend((0..FLOOD).map(|_| TcpStream::connect(addr).unwrap()));
                    first.write_all(b"ping").unwrap();
                    flood.push(first);
                });
            }
        }
        a.get() == FLOOD + 1 && p.get().is_some()
    });
    let before_ping = at_ping.get().unwrap() - 1;
    assert!(
        before_ping < FLOOD,
        "all {FLOOD} queued connections were accepted before the open one was read"
    );
}
