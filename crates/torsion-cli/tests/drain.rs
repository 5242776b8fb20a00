//! The graceful drain: SIGTERM stops listening, live connections get the grace period,
//! what outlives it is closed, a second signal stops at once; the exit status is 0.

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use support::*;

fn reverse_server(grace: &str) -> (Foreground, u16) {
    let mut server = Foreground::start({
        let mut c = torsion();
        c.args(["--grace-period", grace, "reverse", "--port", "0"]);
        c
    });
    let port = server.port();
    (server, port)
}

/// Waits for the server's exit, which must be 0; its standard output.
fn exit_0(server: Foreground) -> Vec<String> {
    let (status, lines, stderr) = server.finish();
    assert_eq!(status.code(), Some(0), "{lines:#?} {stderr}");
    lines
}

/// Whether a line of `lines` contains `text`.
fn logged(lines: &[String], text: &str) -> bool {
    lines.iter().any(|l| l.contains(text))
}

#[test]
fn a_slow_client_finishes_within_the_grace_period() {
    let (mut server, port) = reverse_server("60");
    let mut client = connect(port);
    assert_eq!(ask(&mut client, "before"), "erofeb");
    server.signal(libc::SIGTERM);
    server.wait_for("draining 1 connection(s)");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no new connection once draining"
    );
    // The live connection is still served.
    assert_eq!(ask(&mut client, "during the drain"), "niard eht gnirud");
    client.write_all(b"quit\r\n").unwrap();
    assert!(read_to_close(&mut client).is_empty());
    let lines = exit_0(server);
    assert!(
        logged(&lines, "drained: every connection has closed"),
        "{lines:#?}"
    );
    assert!(!logged(&lines, "grace period over"), "{lines:#?}");
}

#[test]
fn a_client_that_outlives_the_grace_period_is_closed() {
    let (server, port) = reverse_server("0.3");
    let mut client = connect(port);
    assert_eq!(ask(&mut client, "x y"), "y x");
    server.signal(libc::SIGTERM);
    // The client says nothing more; the server closes it when the grace period is over.
    assert!(read_to_close(&mut client).is_empty());
    let lines = exit_0(server);
    assert!(
        logged(&lines, "grace period over: closing 1 connection(s)"),
        "{lines:#?}"
    );
    assert!(logged(&lines, "closed: ConnectionLost"), "{lines:#?}");
}

#[test]
fn a_second_signal_during_the_drain_stops_at_once() {
    let (mut server, port) = reverse_server("600");
    let mut client = connect(port);
    assert_eq!(ask(&mut client, "ab"), "ba");
    server.signal(libc::SIGTERM);
    server.wait_for("draining 1 connection(s)");
    let second = Instant::now();
    server.signal(libc::SIGINT);
    assert!(read_to_close(&mut client).is_empty());
    let lines = exit_0(server);
    assert!(
        logged(&lines, "received SIGINT again: stopping now"),
        "{lines:#?}"
    );
    // Far below the 600 s grace period: it did not wait for it.
    assert!(second.elapsed() < Duration::from_secs(300));
}
