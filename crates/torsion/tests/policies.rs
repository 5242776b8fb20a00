//! The policies over real sockets: a connection limit refusing the client beyond it, and
//! idle timeouts (a wrapping factory's and a protocol's own) closing silent clients.

mod util;

use std::io::Write;
use std::time::{Duration, Instant};

use torsion::protocols::policies::{
    IdleClose, IdleTimeout, LimitTotalConnections, LimitTotalConnectionsFactory, TimeoutFactory,
    TimesOut,
};
use torsion::{Cx, Protocol};

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

#[test]
fn the_connection_beyond_the_limit_is_refused() {
    let reactor = util::reactor();
    let factory = LimitTotalConnectionsFactory::new(|_| Some(Echo), LimitTotalConnections::new(2));
    let port = util::listen(&reactor, factory);
    let client = util::client(port.get_host(), |mut first| {
        first.write_all(b"one").unwrap();
        assert_eq!(util::read_exact(&mut first, 3), b"one");
        let mut second = util::connect_std(first.peer_addr().unwrap());
        second.write_all(b"two").unwrap();
        assert_eq!(util::read_exact(&mut second, 3), b"two");
        let mut third = util::connect_std(first.peer_addr().unwrap());
        // The server closes it without reading: EOF, or a reset if this write landed first.
        let _ = third.write_all(b"three");
        let (refused, _err) = util::read_all(&mut third);
        second.write_all(b"still").unwrap();
        (refused, util::read_exact(&mut second, 5))
    });
    util::run_until_finished(&reactor, &client);
    let (refused, still) = client.join();
    assert!(refused.is_empty(), "the third connection got no echo");
    assert_eq!(still, b"still", "the first two are served");
}

/// Closes itself after 50 ms of silence, through its own idle timeout.
#[derive(Default)]
struct Impatient {
    timeout: IdleTimeout,
}

impl TimesOut for Impatient {
    fn idle_timeout(&mut self) -> &mut IdleTimeout {
        &mut self.timeout
    }
}

impl Protocol for Impatient {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.timeout
            .set_timeout(cx, Some(Duration::from_millis(50)));
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.timeout.reset_timeout();
        cx.transport().write(data);
    }
}

/// Connects, is echoed once, then stays silent until the server closes: how long that
/// took after the echo, and whether the close was clean.
fn silent_client(addr: std::net::SocketAddr) -> util::Client<(Duration, bool)> {
    util::client(addr, |mut s| {
        s.write_all(b"hi").unwrap();
        assert_eq!(util::read_exact(&mut s, 2), b"hi");
        let quiet_since = Instant::now();
        let (rest, err) = util::read_all(&mut s);
        assert!(rest.is_empty());
        (quiet_since.elapsed(), err.is_none())
    })
}

#[test]
fn a_timeout_factory_closes_a_silent_client() {
    let reactor = util::reactor();
    let factory = TimeoutFactory::new(|_| Some(Echo), IdleClose::new(Duration::from_millis(50)));
    let port = util::listen(&reactor, factory);
    let client = silent_client(port.get_host());
    util::run_until_finished(&reactor, &client);
    let (silence, clean) = client.join();
    assert!(clean, "closed with EOF");
    assert!(
        silence >= Duration::from_millis(30),
        "closed after {silence:?}"
    );
    assert!(silence < util::IO_TIMEOUT, "closed by the server");
}

#[test]
fn a_protocols_own_idle_timeout_closes_a_silent_client() {
    let reactor = util::reactor();
    let port = util::listen(&reactor, |_| Some(Impatient::default()));
    let client = silent_client(port.get_host());
    util::run_until_finished(&reactor, &client);
    let (silence, clean) = client.join();
    assert!(clean, "closed with EOF");
    assert!(
        silence >= Duration::from_millis(30),
        "closed after {silence:?}"
    );
    assert!(silence < util::IO_TIMEOUT, "closed by the server");
}
