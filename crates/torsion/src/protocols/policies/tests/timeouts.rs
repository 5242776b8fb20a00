use std::time::Duration;

use super::{Echo, Events, Recorder};
use crate::error::ConnectionDone;
use crate::protocols::policies::{IdleClose, IdleTimeout, TimeoutFactory, TimesOut};
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::{Address, Cx, Factory, Failure, Protocol};

const SEC: Duration = Duration::from_secs(1);

/// Times out after 3 s of silence, resets on data; `off` turns the timeout off, `long`
/// makes it 10 s. Its own `timeout_connection` writes before closing.
#[derive(Default)]
struct Patient {
    timeout: IdleTimeout,
    previous: Vec<Option<Duration>>,
}

impl TimesOut for Patient {
    fn idle_timeout(&mut self) -> &mut IdleTimeout {
        &mut self.timeout
    }
    fn timeout_connection(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"timed out");
        cx.transport().lose_connection();
    }
}

impl Protocol for Patient {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let previous = self.timeout.set_timeout(cx, Some(3 * SEC));
        self.previous.push(previous);
    }
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        match data {
            b"off" => {
                let previous = self.timeout.set_timeout(cx, None);
                self.previous.push(previous);
            }
            b"long" => {
                let previous = self.timeout.set_timeout(cx, Some(10 * SEC));
                self.previous.push(previous);
            }
            _ => self.timeout.reset_timeout(),
        }
    }
}

fn patient() -> (ProtocolHarness<Patient>, StringTransport, Clock) {
    let (st, clock) = (StringTransport::new(), Clock::new());
    let h = ProtocolHarness::connect(Patient::default(), &st, &clock).unwrap();
    (h, st, clock)
}

#[test]
fn a_silent_connection_times_out_once() {
    let (h, st, clock) = patient();
    clock.advance(2 * SEC);
    assert!(!st.disconnecting());
    clock.advance(SEC);
    assert_eq!(st.value(), b"timed out");
    assert!(st.disconnecting());
    assert!(!h.protocol().timeout.pending());
    h.protocol_mut().timeout.reset_timeout();
    clock.advance(10 * SEC);
    assert_eq!(
        st.value(),
        b"timed out",
        "once only; a reset after it fired does nothing"
    );
}

#[test]
fn activity_pushes_the_timeout_back() {
    let (h, st, clock) = patient();
    for _ in 0..5 {
        clock.advance(2 * SEC);
        h.data_received(b"x").unwrap();
    }
    assert!(!st.disconnecting());
    clock.advance(3 * SEC);
    assert!(st.disconnecting());
}

#[test]
fn the_timeout_can_be_turned_off_and_changed() {
    let (h, st, clock) = patient();
    h.data_received(b"off").unwrap();
    assert!(!h.protocol().timeout.pending());
    assert_eq!(h.protocol().timeout.timeout(), None);
    clock.advance(100 * SEC);
    assert!(!st.disconnecting());
    h.data_received(b"long").unwrap();
    clock.advance(9 * SEC);
    assert!(!st.disconnecting());
    clock.advance(SEC);
    assert!(st.disconnecting());
    assert_eq!(h.protocol().previous, [None, Some(3 * SEC), None]);
}

#[test]
fn changing_a_pending_timeout_moves_it() {
    let (h, st, clock) = patient();
    clock.advance(2 * SEC);
    h.data_received(b"long").unwrap();
    clock.advance(9 * SEC);
    assert!(!st.disconnecting());
    assert_eq!(clock.get_delayed_calls().len(), 1, "one timer, moved");
    clock.advance(SEC);
    assert!(st.disconnecting());
}

#[test]
fn the_timer_dies_with_the_connection() {
    let (h, st, clock) = patient();
    h.connection_lost(Failure::new(ConnectionDone));
    clock.advance(10 * SEC);
    assert!(st.value().is_empty());
    assert!(clock.get_delayed_calls().is_empty());
}

#[test]
fn the_timeout_factory_closes_idle_connections() {
    let mut factory = TimeoutFactory::new(|_| Some(Echo), IdleClose::new(5 * SEC));
    assert_eq!(factory.policies().timeout(), 5 * SEC);
    let (st, clock) = (StringTransport::new(), Clock::new());
    let h = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st, &clock)
        .unwrap();
    clock.advance(4 * SEC);
    h.data_received(b"in").unwrap();
    clock.advance(4 * SEC);
    assert!(!st.disconnecting(), "receiving resets the timeout");
    clock.advance(SEC);
    assert!(st.disconnecting());
}

#[test]
fn writing_resets_the_timeout_factorys_clock_too() {
    struct Ticker;
    impl Protocol for Ticker {
        fn connection_made(&mut self, cx: &mut Cx<Self>) {
            cx.call_later(4 * SEC, |_, cx| cx.transport().write(b"tick"));
        }
    }
    let mut factory = TimeoutFactory::new(|_| Some(Ticker), IdleClose::new(5 * SEC));
    let (st, clock) = (StringTransport::new(), Clock::new());
    let _h = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st, &clock)
        .unwrap();
    clock.advance(4 * SEC);
    assert_eq!(st.value(), b"tick");
    clock.advance(4 * SEC);
    assert!(!st.disconnecting());
    clock.advance(SEC);
    assert!(st.disconnecting());
}

#[test]
fn the_timeout_factorys_timer_is_cancelled_when_the_connection_is_lost() {
    let events = Events::default();
    let mut factory = TimeoutFactory::new(
        move |_| Some(Recorder(events.clone())),
        IdleClose::new(5 * SEC),
    );
    let (st, clock) = (StringTransport::new(), Clock::new());
    let h = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st, &clock)
        .unwrap();
    assert_eq!(clock.get_delayed_calls().len(), 1);
    h.connection_lost(Failure::new(ConnectionDone));
    assert!(clock.get_delayed_calls().is_empty());
}

#[test]
fn cancelling_the_timeout_turns_it_off() {
    let (h, st, clock) = patient();
    h.protocol_mut().timeout.cancel_timeout();
    assert_eq!(h.protocol().timeout.timeout(), None);
    assert!(clock.get_delayed_calls().is_empty());
    h.data_received(b"x").unwrap();
    clock.advance(100 * SEC);
    assert!(!st.disconnecting());
}
