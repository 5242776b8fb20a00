//! SIGINT and SIGTERM stop a running server cleanly: its connections are closed, and the
//! process exits with status 0.

mod examples_util;

use std::io::{Read, Write};
use std::time::Duration;

use examples_util::{connect, Program};

fn stops_on(signal: &str) {
    let (mut server, port) = Program::start_server("echo_server", &["--interface", "127.0.0.1"]);
    let mut client = connect(port);
    client.write_all(b"hi").unwrap();
    let mut echo = [0u8; 2];
    client.read_exact(&mut echo).unwrap();

    server.signal(signal);
    let (status, _) = server.wait_for_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status on {signal}: {status:?}");
    let mut rest = Vec::new();
    assert_eq!(
        client.read_to_end(&mut rest).unwrap(),
        0,
        "the connection was closed"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    stops_on("-TERM");
}

#[test]
fn sigint_stops_the_server_cleanly() {
    stops_on("-INT");
}
