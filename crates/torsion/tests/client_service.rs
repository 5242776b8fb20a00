//! ClientService over loopback: connects, reconnects after a loss or a failed attempt,
//! and stops.

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use torsion::endpoints::{TcpClientEndpoint, TcpServerEndpoint};
use torsion::error::CancelledError;
use torsion::{ClientService, Cx, Protocol, Reactor};
use util::{closed_port, reactor, run, run_until};

/// Closes the first `drops` connections it accepts at once; keeps the others.
struct Flaky {
    drop_it: bool,
}

impl Protocol for Flaky {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        if self.drop_it {
            cx.transport().lose_connection();
        }
    }
}

/// A client that remembers how many times it was built.
struct Counted;
impl Protocol for Counted {}

fn flaky_server(reactor: &Reactor, drops: usize) -> (u16, Rc<Cell<usize>>) {
    let accepted = Rc::new(Cell::new(0));
    let a = accepted.clone();
    let port = TcpServerEndpoint::new(reactor, 0)
        .interface("127.0.0.1")
        .listen(move |_peer| {
            a.set(a.get() + 1);
            Some(Flaky {
                drop_it: a.get() <= drops,
            })
        })
        .take_result()
        .unwrap()
        .unwrap();
    (port.get_host().port(), accepted)
}

fn quick(_failures: u32) -> Duration {
    Duration::from_millis(5)
}

#[test]
fn the_service_reconnects_after_a_lost_connection() {
    let reactor = reactor();
    let (port, accepted) = flaky_server(&reactor, 2);
    let endpoint = TcpClientEndpoint::new(&reactor, "127.0.0.1", port).into();
    let built = Rc::new(Cell::new(0));
    let b = built.clone();
    let service = ClientService::new(
        endpoint,
        move |_addr| {
            b.set(b.get() + 1);
            Some(Counted)
        },
        &reactor,
    )
    .retry_policy(quick);
    service.start_service();
    let first = service.when_connected();
    // Once the third connection (which stays) is up, when_connected answers at once.
    let (acc, s) = (accepted.clone(), service.clone());
    let answered_at_once = Rc::new(Cell::new(false));
    let answered = answered_at_once.clone();
    run_until(&reactor, move || {
        if acc.get() < 3 {
            return false;
        }
        let now = s.when_connected();
        answered.set(now.take_result().is_some_and(|r| r.is_ok()));
        if !answered.get() {
            now.cancel();
            drop(now.take_result());
        }
        answered.get()
    });
    assert!(answered_at_once.get());
    assert!(
        first.take_result().unwrap().is_ok(),
        "the first connection counted"
    );
    assert_eq!(built.get(), 3, "one protocol per connection made");
}

#[test]
fn the_service_retries_failed_attempts_and_stops_cleanly() {
    let reactor = reactor();
    let endpoint = TcpClientEndpoint::new(&reactor, "127.0.0.1", closed_port()).into();
    let policy_calls = Rc::new(RefCell::new(Vec::new()));
    let p = policy_calls.clone();
    let service = ClientService::new(endpoint, |_addr| Some(Counted), &reactor).retry_policy(
        move |failures| {
            p.borrow_mut().push(failures);
            Duration::from_millis(2)
        },
    );
    service.start_service();
    let waiting = service.when_connected();
    let calls = policy_calls.clone();
    run_until(&reactor, move || calls.borrow().len() >= 3);
    assert_eq!(policy_calls.borrow()[..3], [1, 2, 3], "failures in a row");
    let stopped = service.stop_service();
    assert!(stopped.called());
    let failure = waiting.take_result().unwrap().unwrap_err();
    assert!(failure.check::<CancelledError>(), "{failure}");
    assert!(!service.running());
}

#[test]
fn stop_service_closes_the_connection() {
    let reactor = reactor();
    let (port, _accepted) = flaky_server(&reactor, 0);
    let endpoint = TcpClientEndpoint::new(&reactor, "127.0.0.1", port).into();
    let service = ClientService::new(endpoint, |_addr| Some(Counted), &reactor);
    service.start_service();
    let s = service.clone();
    let r = reactor.clone();
    let closed = Rc::new(Cell::new(false));
    let c = closed.clone();
    let _connected = service.when_connected().add_callback(move |handle| {
        let transport = handle.transport().clone();
        s.stop_service().add_callback(move |()| {
            c.set(!transport.connected());
            r.stop();
            Ok(())
        })
    });
    run(&reactor);
    assert!(
        closed.get(),
        "stop_service fired once the connection was closed"
    );
}
