use std::time::Duration;

use super::Echo;
use crate::error::ConnectionDone;
use crate::protocols::policies::{Throttling, ThrottlingFactory};
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::{Address, Cx, Factory, Failure, Protocol};

const SEC: Duration = Duration::from_secs(1);

type Harness =
    ProtocolHarness<<ThrottlingFactory<fn(Address) -> Option<Echo>> as Factory>::Protocol>;

fn echo(_: Address) -> Option<Echo> {
    Some(Echo)
}

fn started(throttling: Throttling) -> ThrottlingFactory<fn(Address) -> Option<Echo>> {
    let mut factory = ThrottlingFactory::new(echo as fn(Address) -> Option<Echo>, throttling);
    factory.do_start();
    factory
}

fn connect(
    factory: &mut ThrottlingFactory<fn(Address) -> Option<Echo>>,
    clock: &Clock,
) -> (Harness, StringTransport) {
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st, clock)
        .unwrap();
    (h, st)
}

#[test]
fn reads_over_the_limit_pause_every_connection_for_the_excess() {
    let clock = Clock::new();
    let mut factory = started(Throttling::new(&clock).read_limit(100));
    let (h1, st1) = connect(&mut factory, &clock);
    let (_h2, st2) = connect(&mut factory, &clock);
    h1.data_received(&[b'a'; 150]).unwrap();
    clock.advance(SEC / 2);
    assert_eq!(
        st1.producer_state(),
        "producing",
        "checked at the end of the second"
    );
    h1.data_received(&[b'a'; 150]).unwrap();
    clock.advance(SEC / 2);
    assert!(factory.policies().reads_throttled());
    assert_eq!(st1.producer_state(), "paused");
    assert_eq!(
        st2.producer_state(),
        "paused",
        "the limit is over all connections"
    );
    let (_h3, st3) = connect(&mut factory, &clock);
    assert_eq!(
        st3.producer_state(),
        "paused",
        "a connection made while paused"
    );
    clock.advance(SEC);
    assert_eq!(
        st1.producer_state(),
        "paused",
        "300 read at 100/s: paused for 2 s"
    );
    clock.advance(SEC);
    assert!(!factory.policies().reads_throttled());
    for st in [&st1, &st2, &st3] {
        assert_eq!(st.producer_state(), "producing");
    }
}

#[test]
fn reads_within_the_limit_are_never_paused() {
    let clock = Clock::new();
    let mut factory = started(Throttling::new(&clock).read_limit(100));
    let (h, st) = connect(&mut factory, &clock);
    for _ in 0..10 {
        h.data_received(&[b'a'; 100]).unwrap();
        clock.advance(SEC);
        assert_eq!(st.producer_state(), "producing");
    }
}

#[test]
fn writes_over_the_limit_are_held_back_then_sent() {
    let clock = Clock::new();
    let mut factory = started(Throttling::new(&clock).write_limit(10));
    let (h, st) = connect(&mut factory, &clock);
    h.data_received(b"0123456789abcdefghij").unwrap();
    assert_eq!(
        st.value().len(),
        20,
        "written at once: the window is checked later"
    );
    clock.advance(SEC);
    assert!(factory.policies().writes_throttled());
    h.data_received(b"held").unwrap();
    h.data_received(b"bye").unwrap();
    assert_eq!(st.value().len(), 20);
    assert!(!st.disconnecting(), "the close waits behind the held bytes");
    clock.advance(SEC);
    assert!(!factory.policies().writes_throttled());
    assert!(st.value_str().ends_with("held"));
    assert!(st.disconnecting());
}

#[test]
fn connections_beyond_the_maximum_are_refused() {
    let clock = Clock::new();
    let mut factory = started(Throttling::new(&clock).max_connections(2));
    let (h1, _st1) = connect(&mut factory, &clock);
    let (_h2, _st2) = connect(&mut factory, &clock);
    assert!(factory.build_protocol(Address::Pipe).is_none());
    h1.connection_lost(Failure::new(ConnectionDone));
    assert!(factory.build_protocol(Address::Pipe).is_some());
}

#[test]
fn stopping_the_factory_ends_the_checks_and_the_pauses() {
    let clock = Clock::new();
    let mut factory = started(Throttling::new(&clock).read_limit(1));
    let (h, st) = connect(&mut factory, &clock);
    h.data_received(&[0; 100]).unwrap();
    clock.advance(SEC);
    assert_eq!(st.producer_state(), "paused");
    factory.do_stop();
    assert_eq!(st.producer_state(), "producing");
    h.data_received(&[0; 100]).unwrap();
    clock.advance(SEC);
    assert_eq!(st.producer_state(), "producing", "no check after do_stop");
}

#[test]
fn a_lost_connection_leaves_the_throttle() {
    struct Quiet;
    impl Protocol for Quiet {
        fn connection_made(&mut self, cx: &mut Cx<Self>) {
            cx.transport().write(b"hello");
        }
    }
    let clock = Clock::new();
    let mut factory =
        ThrottlingFactory::new(|_| Some(Quiet), Throttling::new(&clock).read_limit(1));
    factory.do_start();
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st, &clock)
        .unwrap();
    assert_eq!(st.value(), b"hello");
    h.data_received(&[0; 10]).unwrap();
    h.connection_lost(Failure::new(ConnectionDone));
    clock.advance(SEC);
    assert_eq!(st.producer_state(), "producing", "not paused once lost");
}
