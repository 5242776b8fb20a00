//! The seeds' connection test: does anything accept TCP connections on a host's port?
//! [`test_connect`] answers with a Deferred, for the connection tester and the port scanner.

use torsion::defer::Deferred;
use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol, ReactorTcp};

/// Fires the test's Deferred as soon as the connection is made, then hangs up.
pub struct CallbackAndDisconnect {
    connected: Deferred<()>,
}

impl Protocol for CallbackAndDisconnect {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        // A connector makes one attempt unless told to retry: this is the only outcome.
        let _ = self.connected.callback(());
        cx.transport().lose_connection();
    }
}

/// Holds the test's Deferred: the protocol fires it on a connection, the factory fails it
/// when the attempt fails.
pub struct ConnectionTestFactory {
    deferred: Deferred<()>,
}

impl ClientFactory for ConnectionTestFactory {
    type Protocol = CallbackAndDisconnect;

    fn build_protocol(&mut self, _addr: Address) -> Option<CallbackAndDisconnect> {
        Some(CallbackAndDisconnect {
            connected: self.deferred.clone(),
        })
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        let _ = self.deferred.errback(reason.clone());
    }
}

/// Tries to connect to `host:port`: the Deferred fires with `()` once connected (the
/// connection is then closed), or fails with why it could not connect
/// ([`ConnectionRefused`](torsion::error::ConnectionRefused), a timeout after 30 s, a name
/// that does not resolve, ...). It fires from the loop, never inside this call.
pub fn test_connect(reactor: &impl ReactorTcp, host: &str, port: u16) -> Deferred<()> {
    let deferred = Deferred::new();
    let factory = ConnectionTestFactory {
        deferred: deferred.clone(),
    };
    reactor.connect_tcp(host, port, factory);
    deferred
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::error::{ConnectionDone, ConnectionRefused};
    use torsion::testing::{MemoryReactor, StringTransport};

    #[test]
    fn fires_once_connected_and_hangs_up() {
        let reactor = MemoryReactor::new();
        let connected = test_connect(&reactor, "example.org", 22);
        let record = &reactor.tcp_clients()[0];
        assert_eq!((record.host.as_str(), record.port), ("example.org", 22));
        assert!(!connected.called());

        let st = StringTransport::new();
        let _h = record
            .connector()
            .connection_succeeded::<CallbackAndDisconnect>(&st)
            .unwrap();
        assert!(connected.take_result().unwrap().is_ok());
        assert!(st.disconnecting(), "the tester hangs up at once");
        record
            .connector()
            .connection_lost(Failure::new(ConnectionDone));
    }

    #[test]
    fn fails_with_the_reason_the_attempt_failed() {
        let reactor = MemoryReactor::new();
        let connected = test_connect(&reactor, "127.0.0.1", 1);
        let refused = ConnectionRefused {
            os_error: std::io::ErrorKind::ConnectionRefused.into(),
        };
        reactor.tcp_clients()[0]
            .connector()
            .connection_failed(Failure::new(refused));
        let failure = connected.take_result().unwrap().unwrap_err();
        assert!(failure.check::<ConnectionRefused>(), "{failure}");
    }
}
