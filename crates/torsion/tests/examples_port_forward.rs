//! End-to-end tests of the port_forward example, in front of the echo_server example,
//! over loopback.

mod examples_util;

use std::io::Write;
use std::net::Shutdown;
use std::thread;
use std::time::Duration;

use examples_util::{connect, dead_port, read_to_eof, Program};

fn start_forwarder(to: &str) -> (Program, u16) {
    Program::start_server("port_forward", &["--interface", "127.0.0.1", "--to", to])
}

#[test]
fn a_megabyte_goes_through_to_the_echo_server_and_back() {
    let (_echo, echo_port) = Program::start_server("echo_server", &["--interface", "127.0.0.1"]);
    let (_forwarder, port) = start_forwarder(&format!("127.0.0.1:{echo_port}"));
    let payload: Vec<u8> = (0..1_048_576u32)
        .map(|i| ((i % 251) ^ (i / 251)) as u8)
        .collect();
    let mut stream = connect(port);
    let mut writer = stream.try_clone().unwrap();
    let sent = payload.clone();
    let sender = thread::spawn(move || writer.write_all(&sent).unwrap());
    let echoed = examples_util::read_n(&mut stream, payload.len());
    sender.join().unwrap();
    assert!(echoed == payload, "the bytes that came back differ");
    stream.shutdown(Shutdown::Write).unwrap();
    assert!(read_to_eof(&mut stream).is_empty());
}

#[test]
fn an_unreachable_destination_closes_the_client_and_is_logged() {
    let dead = dead_port();
    let (forwarder, port) = start_forwarder(&format!("127.0.0.1:{dead}"));
    let mut stream = connect(port);
    assert!(read_to_eof(&mut stream).is_empty());
    let line = forwarder.wait_for_stderr_line("the failed connection", |l| {
        l.contains("cannot connect to the forwarding destination")
    });
    assert!(line.contains("INFO"), "{line}");
    assert!(line.contains(&format!("127.0.0.1:{dead}")), "{line}");
    // The forwarder goes on serving.
    let mut again = connect(port);
    assert!(read_to_eof(&mut again).is_empty());
}

#[test]
fn a_bad_destination_is_refused_with_a_reason() {
    let mut program = Program::start("port_forward", &["--port", "0", "--to", "nowhere"]);
    let (status, _) = program.wait_for_exit(Duration::from_secs(10));
    assert!(!status.success());
    let stderr = program.stderr_lines().join("\n");
    assert!(stderr.contains("\"nowhere\" is not HOST:PORT"), "{stderr}");
}
