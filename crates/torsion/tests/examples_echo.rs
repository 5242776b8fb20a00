//! End-to-end tests of the echo, limited echo and QOTD example servers, over loopback.

mod examples_util;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use examples_util::{connect, read_n, read_to_eof, Program, TIMEOUT};

#[test]
fn echo_returns_a_megabyte_intact() {
    let (_server, port) = Program::start_server("echo_server", &["--interface", "127.0.0.1"]);
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut stream = connect(port);
    let mut writer = stream.try_clone().unwrap();
    let sent = payload.clone();
    let sender = thread::spawn(move || {
        writer.write_all(&sent).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let echoed = read_to_eof(&mut stream);
    sender.join().unwrap();
    assert_eq!(echoed.len(), payload.len());
    assert!(echoed == payload, "the echoed bytes differ from those sent");
}

#[test]
fn echo_serves_many_connections_at_once() {
    let (_server, port) = Program::start_server("echo_server", &["--interface", "127.0.0.1"]);
    let mut streams: Vec<_> = (0..50).map(|_| connect(port)).collect();
    for (i, s) in streams.iter_mut().enumerate() {
        s.write_all(format!("message number {i}\n").as_bytes())
            .unwrap();
    }
    for (i, s) in streams.iter_mut().enumerate().rev() {
        let expected = format!("message number {i}\n");
        assert_eq!(
            String::from_utf8(read_n(s, expected.len())).unwrap(),
            expected
        );
    }
}

#[test]
fn qotd_sends_the_default_quote_and_closes() {
    let (_server, port) = Program::start_server("qotd_server", &[]);
    for _ in 0..2 {
        let mut stream = connect(port);
        assert_eq!(
            read_to_eof(&mut stream),
            b"A quiet loop serves many voices.\r\n"
        );
    }
}

#[test]
fn qotd_sends_the_quote_given() {
    let (_server, port) =
        Program::start_server("qotd_server", &["--quote", "Measure twice, cut once."]);
    let mut stream = connect(port);
    assert_eq!(read_to_eof(&mut stream), b"Measure twice, cut once.\r\n");
}

const TOO_MANY: &[u8] = b"Too many users, try again later!\n";

/// Checks that `stream` is served: what it sends comes back.
fn assert_echoes(stream: &mut std::net::TcpStream, text: &str) {
    stream.write_all(text.as_bytes()).unwrap();
    assert_eq!(read_n(stream, text.len()), text.as_bytes());
}

#[test]
fn limited_echo_refuses_past_the_limit_and_accepts_after_a_client_leaves() {
    let (server, port) = Program::start_server("limited_echo_server", &["--max-users", "3"]);
    let mut users: Vec<_> = (0..3).map(|_| connect(port)).collect();
    for (i, u) in users.iter_mut().enumerate() {
        assert_echoes(u, &format!("user {i} here"));
    }

    let mut fourth = connect(port);
    assert_eq!(
        read_to_eof(&mut fourth),
        TOO_MANY,
        "the fourth user is refused"
    );
    assert_echoes(&mut users[0], "still served");

    drop(users.remove(1));
    // The server frees the slot when it notices the close; until then a newcomer is
    // still refused (its probe is not echoed). Try again until one is served.
    let deadline = Instant::now() + TIMEOUT;
    let mut newcomer = loop {
        assert!(
            Instant::now() < deadline,
            "no slot was freed\n{}",
            server.report()
        );
        let mut stream = connect(port);
        let mut buf = [0u8; 5];
        if stream.write_all(b"probe").is_ok()
            && stream.read_exact(&mut buf).is_ok()
            && &buf == b"probe"
        {
            break stream;
        }
        thread::sleep(Duration::from_millis(10));
    };
    assert_echoes(&mut newcomer, "a freed slot");

    let mut fifth = connect(port);
    assert_eq!(read_to_eof(&mut fifth), TOO_MANY, "full again");
}
