//! TLS over loopback, torsion on both ends: the handshake, an echo, and the clean close.

mod tls_util;
mod util;

use std::rc::Rc;

use tls_util::Pki;
use torsion::error::ConnectionDone;
use torsion::{Address, ClientFactory, Cx, Failure, Protocol, ReactorTime};
use util::Record;

struct Echo;
impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

struct Hello {
    record: Rc<Record>,
}

impl Protocol for Hello {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"hello over TLS");
    }
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.record.push(String::from_utf8_lossy(data).to_string());
        self.record
            .push(format!("version:{:?}", cx.transport().tls_version()));
        cx.transport().lose_connection();
    }
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.push_reason(reason);
        self.record.push("lost");
    }
}

struct HelloFactory(Rc<Record>);
impl ClientFactory for HelloFactory {
    type Protocol = Hello;
    fn build_protocol(&mut self, _addr: Address) -> Option<Hello> {
        Some(Hello {
            record: self.0.clone(),
        })
    }
}

#[test]
fn a_client_and_a_server_echo_and_close_cleanly() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let port = reactor
        .listen_tls(0, |_peer| Some(Echo), pki.server_options())
        .unwrap();
    let record = Record::new();
    let rec = record.clone();
    let _connector = reactor.connect_tls(
        "127.0.0.1",
        port.get_host().port(),
        HelloFactory(rec),
        pki.client_options("localhost"),
    );
    let rec = record.clone();
    util::run_until(&reactor, move || rec.has("lost"));
    let events = record.events();
    assert_eq!(events[0], "hello over TLS", "{events:?}");
    assert_eq!(events[1], "version:Some(\"TLSv1.3\")", "{events:?}");
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
    let _ = reactor.seconds();
}
