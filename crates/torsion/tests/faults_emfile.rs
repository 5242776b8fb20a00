//! `accept` failing with EMFILE is logged and retried with backoff, never spun on, and the
//! server accepts again once descriptors are free.
//!
//! Runs the real `echo_server` example under `prlimit --nofile` so it runs out of
//! descriptors after a handful of connections.

mod examples_util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use examples_util::{connect, Program};

fn echo_once(stream: &mut TcpStream, msg: &[u8]) -> std::io::Result<Vec<u8>> {
    stream.write_all(msg)?;
    let mut buf = vec![0; msg.len()];
    stream.read_exact(&mut buf)?;
    Ok(buf)
}

#[test]
fn emfile_is_retried_with_backoff_and_recovers() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("prlimit is not installed; skipping");
        return;
    }
    let (mut server, port) = Program::start_server_wrapped(
        &["prlimit", "--nofile=24", "--"],
        "echo_server",
        &["--interface", "127.0.0.1"],
    );

    // Open more connections than the server has descriptors for: the kernel queues
    // them in the backlog while accept fails.
    let mut clients: Vec<TcpStream> = (0..40).map(|_| connect(port)).collect();
    for client in clients.iter_mut().take(3) {
        assert_eq!(
            echo_once(client, b"ping").expect("the first connections are served"),
            b"ping"
        );
    }
    std::thread::sleep(Duration::from_secs(2));

    // Free descriptors: the waiting connections are accepted on a retry.
    let mut last = clients.pop().unwrap();
    clients.clear();
    assert_eq!(
        echo_once(&mut last, b"after").expect("served after recovery"),
        b"after"
    );

    server.signal("-TERM");
    server.wait_for_exit(Duration::from_secs(10));
    let failures = server
        .stderr_lines()
        .iter()
        .filter(|l| l.contains("accept failed"))
        .count();
    assert!(failures >= 1, "EMFILE was logged:\n{}", server.report());
    // A spinning accept loop would log thousands of lines in two seconds; backoff
    // (10 ms doubling to 1 s) logs a handful.
    assert!(
        failures < 20,
        "accept was retried {failures} times in ~2 s: it spins"
    );
}
