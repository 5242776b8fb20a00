//! End-to-end tests of the broadcast chat server and its client, over loopback.

mod examples_util;

use std::io::Write;
use std::net::TcpStream;
use std::thread;

use examples_util::{connect, dead_port, read_n, read_to_eof, Program, ResettingServer, TIMEOUT};

/// Connects a client and checks its welcome line.
fn join(port: u16, number: usize) -> TcpStream {
    let mut stream = connect(port);
    let welcome = format!("Welcome, you are client number {number}!\n");
    assert_eq!(
        String::from_utf8(read_n(&mut stream, welcome.len())).unwrap(),
        welcome
    );
    stream
}

fn expect(stream: &mut TcpStream, text: &str) {
    assert_eq!(String::from_utf8_lossy(&read_n(stream, text.len())), text);
}

#[test]
fn chat_welcomes_forwards_to_others_and_closes_on_request() {
    let (server, port) = Program::start_server("chat_server", &[]);
    let mut a = join(port, 1);
    let mut b = join(port, 2);
    let mut c = join(port, 3);
    for n in 1..=3 {
        server.wait_for_line("a new connect line", |l| l == format!("new connect: {n}"));
    }

    a.write_all(b"hello from a").unwrap();
    expect(&mut b, "hello from a");
    expect(&mut c, "hello from a");

    // Had `a` been sent its own message, it would arrive before this one.
    b.write_all(b"hi from b").unwrap();
    expect(&mut a, "hi from b");
    expect(&mut c, "hi from b");

    c.write_all(b"close\r\n").unwrap();
    assert_eq!(
        read_to_eof(&mut c),
        b"",
        "`close` closes that client and is not forwarded"
    );
    server.wait_for_line("a lost connect line", |l| l.starts_with("lost connect: "));

    a.write_all(b"c is gone").unwrap();
    expect(&mut b, "c is gone");
    b.write_all(b"close\n").unwrap();
    assert_eq!(read_to_eof(&mut b), b"");

    let mut d = join(port, 4);
    d.write_all(b"close").unwrap();
    assert_eq!(read_to_eof(&mut d), b"");
    a.write_all(b"alone").unwrap();
    let _e = join(port, 5);
}

#[test]
fn chat_survives_a_member_leaving_mid_broadcast() {
    let (mut server, port) = Program::start_server("chat_server", &[]);
    let mut a = join(port, 1);
    let mut b = join(port, 2);
    let mut leaver = join(port, 3);

    let messages: Vec<String> = (0..300).map(|i| format!("broadcast {i:03}\n")).collect();
    let total: usize = messages.iter().map(String::len).sum();
    let to_send = messages.clone();
    let sender = thread::spawn(move || {
        for m in &to_send {
            a.write_all(m.as_bytes()).unwrap();
        }
        a
    });
    // Leave with the broadcast under way and unread bytes queued (the kernel resets).
    read_n(&mut leaver, messages[0].len());
    drop(leaver);

    let received = read_n(&mut b, total);
    assert_eq!(String::from_utf8(received).unwrap(), messages.concat());
    let _a = sender.join().unwrap();
    server.wait_for_line("the leaver's lost connect line", |l| {
        l.starts_with("lost connect: ")
    });
    let _d = join(port, 4);
    assert!(
        server.running(),
        "the server is still up\n{}",
        server.report()
    );
}

#[test]
fn chat_client_prints_callbacks_in_order_and_says_hello() {
    let (server, port) = Program::start_server("chat_server", &[]);
    let mut observer = join(port, 1);
    let port_arg = port.to_string();
    let mut client = Program::start(
        "chat_client",
        &["alice", "--port", &port_arg, "--interval", "0.2"],
    );
    client.wait_for_line("the welcome", |l| {
        l == "got messages: Welcome, you are client number 2!"
    });

    let prefix = "hello, I'm alice ";
    let hello = String::from_utf8(read_n(&mut observer, prefix.len() + 26)).unwrap();
    let stamp = hello
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("not a hello: {hello:?}"));
    let shape: String = stamp
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    assert_eq!(shape, "dddd-dd-dd dd:dd:dd.dddddd", "{stamp:?}");

    observer.write_all(b"bye alice").unwrap();
    client.wait_for_line("the observer's message", |l| l == "got messages: bye alice");
    server.interrupt(); // shuts down, closing every connection cleanly

    let (status, lines) = client.wait_for_exit(TIMEOUT);
    assert!(status.success(), "{status}\n{}", client.report());
    let expected_start = [
        "started to connect.",
        "Connected to the server!",
        "got messages: Welcome, you are client number 2!",
        "got messages: bye alice",
        "Disconnected from the server!",
    ];
    assert_eq!(lines.len(), expected_start.len() + 1, "{lines:#?}");
    assert_eq!(lines[..expected_start.len()], expected_start, "{lines:#?}");
    assert_eq!(
        lines[expected_start.len()],
        "Lost connection. Reason: ConnectionDone: Connection was closed cleanly.",
        "{lines:#?}"
    );
}

#[test]
fn chat_client_reports_a_failed_connection_and_exits() {
    let port = dead_port().to_string();
    let mut client = Program::start("chat_client", &["bob", "--port", &port]);
    let (status, lines) = client.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1), "{}", client.report());
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0], "started to connect.");
    assert!(
        lines[1]
            .starts_with("Connection failed. Reason: ConnectionRefused: Connection was refused"),
        "{lines:#?}"
    );
}

#[test]
fn chat_client_reports_a_host_that_does_not_resolve_and_fails() {
    let args = ["bob", "--host", "no-such-host.invalid"];
    let mut client = Program::start("chat_client", &args);
    let (status, lines) = client.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1), "{}", client.report());
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[1].starts_with(
            "Connection failed. Reason: DnsLookupError: DNS lookup failed: address \
             \"no-such-host.invalid\" not found: "
        ),
        "{lines:#?}"
    );
}

#[test]
fn chat_client_fails_when_the_connection_breaks() {
    let server = ResettingServer::start(b"Welcome, you are client number 1!\n");
    let port = server.port.to_string();
    let mut client = Program::start("chat_client", &["bob", "--port", &port]);
    client.wait_for_line("the welcome", |l| {
        l == "got messages: Welcome, you are client number 1!"
    });
    server.reset();
    let (status, lines) = client.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1), "{}", client.report());
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("Lost connection. Reason: ConnectionLost: ")),
        "{lines:#?}"
    );
}
