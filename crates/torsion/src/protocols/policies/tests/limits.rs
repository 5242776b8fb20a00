use super::Echo;
use crate::error::ConnectionDone;
use crate::protocols::policies::{
    LimitConnectionsByPeer, LimitConnectionsByPeerFactory, LimitTotalConnections,
    LimitTotalConnectionsFactory,
};
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::{Address, Factory, Failure};

fn peer(last: u8, port: u16) -> Address {
    Address::Tcp(([10, 0, 0, last], port).into())
}

#[test]
fn total_connections_are_refused_beyond_the_limit_until_one_closes() {
    let mut factory =
        LimitTotalConnectionsFactory::new(|_| Some(Echo), LimitTotalConnections::new(2));
    assert_eq!(factory.policies().limit(), 2);
    let clock = Clock::new();
    let h1 = ProtocolHarness::connect(
        factory.build_protocol(peer(1, 1)).unwrap(),
        &StringTransport::new(),
        &clock,
    )
    .unwrap();
    let _h2 = factory.build_protocol(peer(2, 1)).unwrap();
    assert!(factory.build_protocol(peer(3, 1)).is_none());
    assert_eq!(factory.live(), 2);
    h1.connection_lost(Failure::new(ConnectionDone));
    assert!(factory.build_protocol(peer(3, 1)).is_some());
}

#[test]
fn connections_from_one_peer_are_refused_beyond_the_limit() {
    let mut factory =
        LimitConnectionsByPeerFactory::new(|_| Some(Echo), LimitConnectionsByPeer::new(2));
    let clock = Clock::new();
    let st = StringTransport::new();
    let h1 = ProtocolHarness::connect(factory.build_protocol(peer(1, 100)).unwrap(), &st, &clock)
        .unwrap();
    let second = factory.build_protocol(peer(1, 101)).unwrap();
    assert!(factory.build_protocol(peer(1, 102)).is_none(), "same host");
    let other = factory.build_protocol(peer(2, 100));
    assert!(other.is_some(), "another host has its own count");
    assert_eq!(factory.policies().open(&peer(1, 0)), 2);

    h1.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(factory.policies().open(&peer(1, 0)), 1);
    drop(second);
    assert_eq!(factory.policies().open(&peer(1, 0)), 0);
    assert!(factory.build_protocol(peer(1, 103)).is_some());
}

#[test]
fn a_peer_refused_by_the_wrapped_factory_is_not_counted() {
    let mut factory =
        LimitConnectionsByPeerFactory::new(|_| None::<Echo>, LimitConnectionsByPeer::new(1));
    assert!(factory.build_protocol(peer(1, 1)).is_none());
    assert_eq!(factory.policies().open(&peer(1, 1)), 0);
}

#[test]
fn non_ip_peers_count_by_their_whole_address() {
    let mut factory =
        LimitConnectionsByPeerFactory::new(|_| Some(Echo), LimitConnectionsByPeer::new(1));
    let _one = factory.build_protocol(Address::Pipe).unwrap();
    assert!(factory.build_protocol(Address::Pipe).is_none());
    assert!(factory.build_protocol(peer(1, 1)).is_some());
}
