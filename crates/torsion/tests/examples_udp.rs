//! End-to-end tests of the datagram examples: `udp_echo` over loopback and
//! `multicast_demo`'s two members.

mod examples_util;

use std::net::UdpSocket;
use std::time::Duration;

use examples_util::{Program, TIMEOUT};

#[test]
fn udp_echo_sends_each_datagram_back_to_its_sender() {
    let (_server, port) = Program::start_server("udp_echo", &["--interface", "127.0.0.1"]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut buf = [0u8; 2048];
    for word in ["first", "second", &"x".repeat(1400)] {
        socket
            .send_to(word.as_bytes(), ("127.0.0.1", port))
            .unwrap();
        let (n, from) = socket.recv_from(&mut buf).expect("an echo");
        assert_eq!(&buf[..n], word.as_bytes());
        assert_eq!(from.port(), port);
    }
}

#[test]
fn udp_echo_reports_a_port_it_cannot_bind_and_exits_non_zero() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut program = Program::start("udp_echo", &["--interface", "127.0.0.1", "--port", &port]);
    let (status, _) = program.wait_for_exit(TIMEOUT);
    assert!(!status.success());
    let stderr = program.stderr_lines().join("\n");
    assert!(
        stderr.contains("udp_echo: Couldn't listen on 127.0.0.1"),
        "{stderr}"
    );
}

#[test]
fn multicast_demo_members_hear_each_other_and_exit_zero() {
    let mut program = Program::start("multicast_demo", &[]);
    let (status, lines) = program.wait_for_exit(TIMEOUT + Duration::from_secs(5));
    assert!(status.success(), "{}", program.report());
    let heard = |who: &str, what: &str| {
        lines
            .iter()
            .any(|l| l.starts_with(&format!("member {who} heard \"{what}\"")))
    };
    assert!(heard("A", "hello from B"), "{lines:?}");
    assert!(heard("B", "hello from A"), "{lines:?}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("both members heard each other")
    );
}

#[test]
fn multicast_demo_says_why_when_the_group_is_not_one() {
    let mut program = Program::start("multicast_demo", &["--group", "127.0.0.1"]);
    let (status, _) = program.wait_for_exit(TIMEOUT);
    assert!(!status.success());
    let stderr = program.stderr_lines().join("\n");
    assert!(
        stderr.contains("multicast_demo: Couldn't join multicast group 127.0.0.1"),
        "{stderr}"
    );
}
