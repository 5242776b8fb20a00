use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::{Echo, Events, Recorder};
use crate::error::ConnectionDone;
use crate::protocols::policies::{Link, Policy, ProtocolWrapper, WrappingFactory};
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::{Address, Cx, Factory, Failure, Protocol};

#[test]
fn every_callback_reaches_the_hosted_protocol_in_order() {
    let events = Events::default();
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(
        ProtocolWrapper::new(Recorder(events.clone()), ()),
        &st,
        &Clock::new(),
    )
    .unwrap();
    h.data_received(b"a").unwrap();
    h.read_connection_lost().unwrap();
    h.write_connection_lost().unwrap();
    h.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(
        *events.borrow(),
        [
            "made",
            "data a",
            "read lost",
            "write lost",
            "lost ConnectionDone: Connection was closed cleanly."
        ]
    );
}

#[test]
fn the_hosted_transport_passes_through_to_the_one_below() {
    struct Probe;
    impl Protocol for Probe {
        fn connection_made(&mut self, cx: &mut Cx<Self>) {
            let t = cx.transport();
            assert_eq!(t.get_peer(), Address::Tcp(([127, 0, 0, 1], 54321).into()));
            assert_eq!(t.get_host(), Address::Tcp(([127, 0, 0, 1], 12345).into()));
            t.set_tcp_keepalive(true).unwrap();
            t.write_sequence([&b"a"[..], b"b"]);
            t.pause_producing();
            assert!(!t.disconnecting());
            t.lose_connection();
            assert!(t.disconnecting());
        }
    }
    let st = StringTransport::new();
    ProtocolHarness::connect(ProtocolWrapper::new(Probe, ()), &st, &Clock::new()).unwrap();
    assert_eq!(st.value(), b"ab");
    assert!(st.keepalive());
    assert_eq!(st.producer_state(), "paused");
    assert!(st.disconnecting());
}

/// Reverses what comes in, doubles what goes out, and records its own calls.
struct Mangle(Events);

impl Policy for Mangle {
    fn on_connection_made(&mut self, _link: &Link) {
        self.0.borrow_mut().push("policy made".into());
    }
    fn on_data_in<'d>(&mut self, _link: &Link, data: &'d [u8]) -> Cow<'d, [u8]> {
        Cow::Owned(data.iter().rev().copied().collect())
    }
    fn on_write(&mut self, link: &Link, data: &[u8]) {
        link.below().write(data);
        link.below().write(data);
    }
    fn on_connection_lost(&mut self, _link: &Link, _reason: &Failure) {
        self.0.borrow_mut().push("policy lost".into());
    }
}

#[test]
fn a_policy_sees_and_changes_both_directions() {
    let events = Events::default();
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(
        ProtocolWrapper::new(Echo, Mangle(events.clone())),
        &st,
        &Clock::new(),
    )
    .unwrap();
    h.data_received(b"abc").unwrap();
    assert_eq!(st.value(), b"cbacba");
    h.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(*events.borrow(), ["policy made", "policy lost"]);
}

#[test]
fn a_policy_returning_no_bytes_delivers_nothing() {
    struct Drop;
    impl Policy for Drop {
        fn on_data_in<'d>(&mut self, _link: &Link, _data: &'d [u8]) -> Cow<'d, [u8]> {
            Cow::Borrowed(&[])
        }
    }
    let events = Events::default();
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(
        ProtocolWrapper::new(Recorder(events.clone()), Drop),
        &st,
        &Clock::new(),
    )
    .unwrap();
    h.data_received(b"x").unwrap();
    assert_eq!(*events.borrow(), ["made"]);
}

#[test]
fn the_hosted_protocols_timers_come_back_through_the_wrapper() {
    struct Later;
    impl Protocol for Later {
        fn connection_made(&mut self, cx: &mut Cx<Self>) {
            cx.call_later(Duration::from_secs(1), |_, cx| {
                cx.transport().write(b"tick")
            });
        }
    }
    let (st, clock) = (StringTransport::new(), Clock::new());
    let _h = ProtocolHarness::connect(ProtocolWrapper::new(Later, ()), &st, &clock).unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(st.value(), b"tick");
}

#[test]
fn the_factory_counts_live_connections_and_forwards_start_and_stop() {
    #[derive(Default)]
    struct Counting {
        calls: Rc<RefCell<Vec<&'static str>>>,
        refuse: bool,
    }
    impl Factory for Counting {
        type Protocol = Echo;
        fn build_protocol(&mut self, _addr: Address) -> Option<Echo> {
            (!self.refuse).then_some(Echo)
        }
        fn do_start(&mut self) {
            self.calls.borrow_mut().push("start");
        }
        fn do_stop(&mut self) {
            self.calls.borrow_mut().push("stop");
        }
    }
    let mut factory = WrappingFactory::new(Counting::default(), ());
    factory.do_start();
    let st = StringTransport::new();
    let clock = Clock::new();
    let h1 = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st, &clock)
        .unwrap();
    let h2 = ProtocolHarness::connect(
        factory.build_protocol(Address::Pipe).unwrap(),
        &StringTransport::new(),
        &clock,
    )
    .unwrap();
    assert_eq!(factory.live(), 2);
    h1.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(factory.live(), 1, "counted out at connection_lost");
    drop(h2);
    assert_eq!(factory.live(), 0, "or when the protocol is dropped");
    factory.wrapped_mut().refuse = true;
    assert!(factory.build_protocol(Address::Pipe).is_none());
    assert_eq!(factory.live(), 0, "a refused connection is not counted");
    factory.do_stop();
    assert_eq!(*factory.wrapped().calls.borrow(), ["start", "stop"]);
}
