//! Endpoints on the memory reactor: an endpoint's Deferred unit-tested with no socket.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use crate::endpoints::{TcpClientEndpoint, TcpServerEndpoint};
use crate::error::{CancelledError, CannotListenError, ConnectionRefused};
use crate::testing::{MemoryReactor, StringTransport, TcpEvent};
use crate::{Cx, Failure, Protocol};

/// Greets, and keeps what it receives.
#[derive(Default)]
struct Greeter {
    got: Rc<RefCell<Vec<u8>>>,
}

impl Greeter {
    fn say(&mut self, cx: &mut Cx<Self>, text: &[u8]) {
        cx.transport().write(text);
    }
}

impl Protocol for Greeter {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"hello ");
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.got.borrow_mut().extend_from_slice(data);
    }
}

#[test]
fn a_connected_endpoint_gives_a_handle_once_the_protocol_is_made() {
    let reactor = MemoryReactor::new();
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    let connected = TcpClientEndpoint::new(&reactor, "example.org", 25)
        .connect(move |_| Some(Greeter { got: g.clone() }));
    let client = &reactor.tcp_clients()[0];
    assert_eq!((client.host.as_str(), client.port), ("example.org", 25));
    let st = StringTransport::new();
    client.connector().connection_made(&st).unwrap();
    assert!(
        !connected.called(),
        "fires from the loop, after connection_made"
    );
    reactor.advance(Duration::ZERO);
    let handle = connected.take_result().unwrap().unwrap();
    handle.with(|p, cx| p.say(cx, b"world")).unwrap();
    assert_eq!(st.value(), b"hello world");
    client.connector().data_received(b"hi back").unwrap();
    assert_eq!(&*got.borrow(), b"hi back");
}

#[test]
fn a_failed_attempt_fails_the_deferred_with_its_reason() {
    let reactor = MemoryReactor::new();
    let connected =
        TcpClientEndpoint::new(&reactor, "10.0.0.1", 80).connect(|_| Some(Greeter::default()));
    let refused = ConnectionRefused {
        os_error: std::io::Error::from_raw_os_error(111),
    };
    reactor.tcp_clients()[0]
        .connector()
        .connection_failed(Failure::new(refused));
    let failure = connected.take_result().unwrap().unwrap_err();
    assert!(failure.check::<ConnectionRefused>(), "{failure}");
}

#[test]
fn cancelling_the_deferred_stops_connecting() {
    let reactor = MemoryReactor::new();
    let connected =
        TcpClientEndpoint::new(&reactor, "10.0.0.1", 80).connect(|_| Some(Greeter::default()));
    reactor.advance(Duration::ZERO);
    connected.cancel();
    let failure = connected.take_result().unwrap().unwrap_err();
    assert!(failure.check::<CancelledError>(), "{failure}");
    assert!(reactor.tcp_clients()[0].connector().stopped_connecting());
    assert!(reactor
        .events()
        .contains(&TcpEvent::StopConnecting { client: 0 }));
}

#[test]
fn a_server_endpoint_listens_on_the_memory_reactor() {
    let reactor = MemoryReactor::new();
    let endpoint = TcpServerEndpoint::new(&reactor, 8080).interface("127.0.0.1");
    let port = endpoint
        .listen(|_| Some(Greeter::default()))
        .take_result()
        .unwrap()
        .unwrap();
    assert_eq!(port.get_host().port(), 8080);
    let again = endpoint
        .listen(|_| Some(Greeter::default()))
        .take_result()
        .unwrap();
    assert!(again.unwrap_err().check::<CannotListenError>());
}
