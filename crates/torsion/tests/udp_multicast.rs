//! Multicast over loopback: members of one group hear each other, loopback mode, leaving a
//! group, ttl and outgoing interface, and typed join errors.

mod udp_util;
mod util;

use torsion::error::MulticastJoinError;
use torsion::{Address, DatagramTransport, Reactor};
use udp_util::{datagrams, Log, Recorder};
use util::{reactor, run_until};

const GROUP: &str = "228.0.0.5";

/// A group no other test joins: Linux delivers a group's datagrams to every socket on the
/// port while any socket of the host is a member (IP_MULTICAST_ALL).
const LEAVE_GROUP: &str = "228.0.0.77";

/// A member of `GROUP` on `port` (0: a free one), sending through loopback.
fn member(reactor: &Reactor, port: u16) -> (DatagramTransport, Log) {
    member_of(reactor, GROUP, port)
}

fn member_of(reactor: &Reactor, group: &str, port: u16) -> (DatagramTransport, Log) {
    let (recorder, log) = Recorder::new();
    let transport = reactor.listen_multicast(port, recorder, true).unwrap();
    transport.join_group(group, "127.0.0.1").unwrap();
    transport.set_outgoing_interface("127.0.0.1").unwrap();
    (transport, log)
}

fn group_of(port: &DatagramTransport) -> Address {
    in_group(GROUP, port)
}

fn in_group(group: &str, port: &DatagramTransport) -> Address {
    let port = port.get_host().port().unwrap();
    Address::Udp(format!("{group}:{port}").parse().unwrap())
}

#[test]
fn two_members_of_a_group_hear_each_other() {
    let reactor = reactor();
    let (a, a_log) = member(&reactor, 0);
    let (b, b_log) = member(&reactor, a.get_host().port().unwrap());
    a.write(b"from a", group_of(&a)).unwrap();
    b.write(b"from b", group_of(&b)).unwrap();
    let (al, bl) = (a_log.clone(), b_log.clone());
    run_until(&reactor, move || {
        datagrams(&al).len() == 2 && datagrams(&bl).len() == 2
    });
    for log in [a_log, b_log] {
        assert_eq!(datagrams(&log), [b"from a".to_vec(), b"from b".to_vec()]);
    }
}

#[test]
fn loopback_mode_is_set_and_read_back() {
    // Its effect cannot be seen here: on the loopback interface (the only one a test may
    // use) the device itself loops every datagram back, whatever IP_MULTICAST_LOOP says.
    let reactor = reactor();
    let (a, _log) = member(&reactor, 0);
    assert!(a.get_loopback_mode(), "on by default");
    a.set_loopback_mode(false).unwrap();
    assert!(!a.get_loopback_mode());
    a.set_loopback_mode(true).unwrap();
    assert!(a.get_loopback_mode());
}

#[test]
fn a_member_that_left_the_group_hears_no_more_of_it() {
    let reactor = reactor();
    let (b, b_log) = member_of(&reactor, LEAVE_GROUP, 0);
    let (recorder, _) = Recorder::new();
    let sender = reactor.listen_udp(0, recorder).unwrap();
    sender.set_outgoing_interface("127.0.0.1").unwrap();
    sender
        .write(b"before leave", in_group(LEAVE_GROUP, &b))
        .unwrap();
    // Once b has heard the group: b leaves, then the group datagram and a unicast marker
    // go out; once b has the marker, b would have had the group datagram too.
    let (bl, left) = (b_log.clone(), std::cell::Cell::new(false));
    run_until(&reactor, move || {
        if !left.get() && !datagrams(&bl).is_empty() {
            left.set(true);
            b.leave_group(LEAVE_GROUP, "127.0.0.1").unwrap();
            assert!(
                b.leave_group(LEAVE_GROUP, "127.0.0.1").is_err(),
                "not a member any more"
            );
            sender
                .write(b"after leave", in_group(LEAVE_GROUP, &b))
                .unwrap();
            let port = b.get_host().port().unwrap();
            let b_unicast = Address::Udp(format!("127.0.0.1:{port}").parse().unwrap());
            sender.write(b"marker", b_unicast).unwrap();
        }
        datagrams(&bl).contains(&b"marker".to_vec())
    });
    assert_eq!(
        datagrams(&b_log),
        [b"before leave".to_vec(), b"marker".to_vec()]
    );
}

#[test]
fn ttl_and_outgoing_interface_are_set_and_read_back() {
    let reactor = reactor();
    let (recorder, _log) = Recorder::new();
    let port = reactor.listen_multicast(0, recorder, false).unwrap();
    assert_eq!(port.get_ttl(), 1, "multicast stays on the link by default");
    port.set_ttl(5).unwrap();
    assert_eq!(port.get_ttl(), 5);
    assert_eq!(port.get_outgoing_interface(), "");
    port.set_outgoing_interface("127.0.0.1").unwrap();
    assert_eq!(port.get_outgoing_interface(), "127.0.0.1");
    assert!(port.set_outgoing_interface("not an address").is_err());
}

#[test]
fn joining_an_address_that_is_not_a_group_fails_with_a_typed_error() {
    let reactor = reactor();
    let (recorder, _log) = Recorder::new();
    let port = reactor.listen_multicast(0, recorder, false).unwrap();
    let err = port.join_group("127.0.0.1", "").unwrap_err();
    let join = err.downcast_ref::<MulticastJoinError>().expect("typed");
    assert_eq!(join.group, "127.0.0.1");
}
