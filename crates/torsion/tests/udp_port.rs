//! UDP ports over loopback: echo (IPv4 and IPv6), stopping, broadcast, connected ports and
//! refusals, oversized and poisonous datagrams, over-long writes, shutdown.

mod udp_util;
mod util;

use std::cell::Cell;
use std::net::UdpSocket;
use std::rc::Rc;

use torsion::error::{DatagramPortError, MessageLengthError};
use torsion::{Address, UdpOptions};
use udp_util::{addr_of, datagrams, peer, recv, Captured, Heard, Recorder};
use util::{reactor, run_until, run_until_finished};

fn loopback() -> UdpOptions {
    UdpOptions {
        interface: "127.0.0.1".into(),
        ..UdpOptions::default()
    }
}

#[test]
fn echoes_each_datagram_to_its_sender() {
    let reactor = reactor();
    let (echo, log) = Recorder::echo();
    let port = reactor.listen_udp_with(0, echo, loopback()).unwrap();
    assert_eq!(
        *log.borrow(),
        [Heard::Started],
        "start_protocol ran inside listen"
    );
    let to = addr_of(&port);
    let client = util::thread(move || {
        let socket = peer("127.0.0.1");
        let mut replies = Vec::new();
        for word in ["alpha", "beta", "gamma"] {
            socket.send_to(word.as_bytes(), to).unwrap();
            let (reply, from) = recv(&socket);
            assert_eq!(from, to, "the reply comes from the port");
            replies.push(String::from_utf8(reply).unwrap());
        }
        (replies, socket.local_addr().unwrap())
    });
    run_until_finished(&reactor, &client);
    let (replies, client_addr) = client.join();
    assert_eq!(replies, ["alpha", "beta", "gamma"]);
    assert_eq!(
        log.borrow()[1],
        Heard::Datagram(b"alpha".to_vec(), Address::Udp(client_addr))
    );
    assert_eq!(
        *log.borrow().last().unwrap(),
        Heard::Stopped,
        "shutdown stops the port"
    );
}

#[test]
fn echoes_over_ipv6_loopback() {
    let reactor = reactor();
    let (echo, _log) = Recorder::echo();
    let options = UdpOptions {
        interface: "::1".into(),
        ..UdpOptions::default()
    };
    let port = reactor.listen_udp_with(0, echo, options).unwrap();
    let to = addr_of(&port);
    assert!(to.is_ipv6());
    let client = util::thread(move || {
        let socket = peer("::1");
        socket.send_to(b"over six", to).unwrap();
        recv(&socket).0
    });
    run_until_finished(&reactor, &client);
    assert_eq!(client.join(), b"over six");
}

#[test]
fn stop_listening_fires_its_deferred_after_stop_protocol_and_frees_the_port() {
    let reactor = reactor();
    let (recorder, log) = Recorder::new();
    let port = reactor.listen_udp_with(0, recorder, loopback()).unwrap();
    let addr = addr_of(&port);
    let fired = Rc::new(Cell::new(false));
    let (f, l) = (fired.clone(), log.clone());
    port.stop_listening().add_callback(move |()| {
        assert_eq!(
            l.borrow().last(),
            Some(&Heard::Stopped),
            "stop_protocol first"
        );
        f.set(true);
        Ok(())
    });
    assert!(!port.listening(), "closed before stop_listening returns");
    let rebound = UdpSocket::bind(addr).expect("the port is free at once");
    drop(rebound);
    let f = fired.clone();
    run_until(&reactor, move || f.get());
    assert_eq!(*log.borrow(), [Heard::Started, Heard::Stopped]);
    assert!(
        port.stop_listening().called(),
        "stopping twice gives a fired Deferred"
    );
    let err = port.write(b"late", Address::Udp(addr)).unwrap_err();
    assert!(err.check::<DatagramPortError>());
}

#[test]
fn broadcast_flag_is_set_and_read_back() {
    let reactor = reactor();
    let (recorder, _log) = Recorder::new();
    let port = reactor.listen_udp_with(0, recorder, loopback()).unwrap();
    assert!(!port.get_broadcast_allowed());
    port.set_broadcast_allowed(true).unwrap();
    assert!(port.get_broadcast_allowed());
    port.set_broadcast_allowed(false).unwrap();
    assert!(!port.get_broadcast_allowed());
}

#[test]
fn a_datagram_too_long_to_send_fails_with_message_length_error() {
    let reactor = reactor();
    let (recorder, _log) = Recorder::new();
    let port = reactor.listen_udp_with(0, recorder, loopback()).unwrap();
    let to = port.get_host();
    let err = port.write(&vec![0u8; 70_000], to.clone()).unwrap_err();
    let length = err.downcast_ref::<MessageLengthError>().expect("typed");
    assert_eq!(length.length, 70_000);
    port.write(b"small is fine", to).unwrap();
}

#[test]
fn a_connected_port_writes_without_an_address_and_hears_refusals() {
    let reactor = reactor();
    let (recorder, log) = Recorder::new();
    let port = reactor.listen_udp_with(0, recorder, loopback()).unwrap();
    assert!(port.write(b"where to?", None).is_err(), "not connected yet");
    let server = peer("127.0.0.1");
    let server_addr = server.local_addr().unwrap();
    port.connect("127.0.0.1", server_addr.port()).unwrap();
    assert!(port.connect("127.0.0.1", 9).is_err(), "connects once");
    port.write(b"hello", None).unwrap();
    let (got, from) = recv(&server);
    assert_eq!((got.as_slice(), from), (&b"hello"[..], addr_of(&port)));
    drop(server);
    // The peer's port is closed now: the kernel answers the next datagram with ICMP port
    // unreachable, which the connected socket reports as ECONNREFUSED.
    port.write(b"anyone?", None).unwrap();
    let (l, p) = (log.clone(), port.clone());
    run_until(&reactor, move || {
        let refused = l.borrow().contains(&Heard::Refused);
        if !refused {
            let _ = p.write(b"anyone?", None);
        }
        refused
    });
    assert!(datagrams(&log).is_empty());
}

#[test]
fn a_panicking_datagram_received_loses_only_that_datagram() {
    let reactor = reactor();
    let (mut recorder, log) = Recorder::echo();
    recorder.panic_on = Some(b"poison".to_vec());
    let port = reactor.listen_udp_with(0, recorder, loopback()).unwrap();
    let to = addr_of(&port);
    let client = util::thread(move || {
        let socket = peer("127.0.0.1");
        for word in ["before", "poison", "after"] {
            socket.send_to(word.as_bytes(), to).unwrap();
        }
        let first = recv(&socket).0;
        let second = recv(&socket).0;
        (first, second)
    });
    let logs = Captured::default();
    logs.during(|| run_until_finished(&reactor, &client));
    let (first, second) = client.join();
    assert_eq!(
        (first.as_slice(), second.as_slice()),
        (&b"before"[..], &b"after"[..])
    );
    assert_eq!(datagrams(&log), [b"before".to_vec(), b"after".to_vec()]);
    assert!(
        logs.text().contains("this datagram is poison"),
        "{}",
        logs.text()
    );
}

#[test]
fn an_oversized_datagram_is_reported_with_its_size_and_sender_not_delivered_cut() {
    let reactor = reactor();
    let (recorder, log) = Recorder::new();
    let options = UdpOptions {
        max_packet_size: 16,
        ..loopback()
    };
    let port = reactor.listen_udp_with(0, recorder, options).unwrap();
    let to = addr_of(&port);
    let sender = peer("127.0.0.1");
    let sender_addr = sender.local_addr().unwrap();
    sender.send_to(&[b'x'; 100], to).unwrap();
    sender.send_to(b"exactly sixteen!", to).unwrap();
    let logs = Captured::default();
    let l = log.clone();
    logs.during(|| run_until(&reactor, move || !datagrams(&l).is_empty()));
    assert_eq!(datagrams(&log), [b"exactly sixteen!".to_vec()]);
    let text = logs.text();
    assert!(text.contains("longer than max_packet_size"), "{text}");
    assert!(text.contains("length=100"), "{text}");
    assert!(text.contains(&sender_addr.to_string()), "{text}");
}

#[test]
fn timers_of_a_stopped_port_never_fire() {
    use std::time::Duration;
    use torsion::{DatagramCx, DatagramProtocol};

    struct Ticker(Rc<Cell<u32>>);
    impl DatagramProtocol for Ticker {
        fn start_protocol(&mut self, cx: &mut DatagramCx<Self>) {
            cx.call_later(Duration::from_millis(1), |me, cx| {
                me.0.set(me.0.get() + 1);
                cx.transport().stop_listening();
                cx.call_later(Duration::from_millis(1), |me, _| me.0.set(me.0.get() + 100));
            });
        }
        fn datagram_received(&mut self, _: &mut DatagramCx<Self>, _: &[u8], _: Address) {}
    }

    let reactor = reactor();
    let ticks = Rc::new(Cell::new(0));
    let port = reactor
        .listen_udp_with(0, Ticker(ticks.clone()), loopback())
        .unwrap();
    util::run_span(&reactor, Duration::from_millis(50));
    assert!(!port.listening());
    assert_eq!(
        ticks.get(),
        1,
        "the timer set before the stop is cancelled by it"
    );
}
