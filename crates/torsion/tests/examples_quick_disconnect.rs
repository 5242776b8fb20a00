//! The seeds' quick-disconnect client, run as a program against the echo server.

mod examples_util;

use examples_util::{dead_port, Program, TIMEOUT};

#[test]
fn it_connects_closes_and_reports_a_clean_close() {
    let (_server, port) = Program::start_server("echo_server", &["--interface", "127.0.0.1"]);
    let mut client = Program::start("quick_disconnect", &["127.0.0.1", &port.to_string()]);
    let (status, stdout) = client.wait_for_exit(TIMEOUT);
    assert_eq!(
        stdout,
        [
            "Connected to 127.0.0.1.",
            "Lost connection: Connection was closed cleanly."
        ],
        "{}",
        client.report()
    );
    assert!(status.success(), "{}", client.report());
}

#[test]
fn a_refused_connection_is_reported_and_fails() {
    let mut client = Program::start("quick_disconnect", &["127.0.0.1", &dead_port().to_string()]);
    let (status, stdout) = client.wait_for_exit(TIMEOUT);
    assert_eq!(stdout.len(), 1, "{}", client.report());
    assert!(
        stdout[0].starts_with("Connection failed: ") && stdout[0].contains("refused"),
        "{}",
        client.report()
    );
    assert_eq!(status.code(), Some(1), "{}", client.report());
}
