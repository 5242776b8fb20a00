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

/// The `echo_server` example with 24 descriptors at most, so it runs out of them after a
/// handful of connections; `None` (and a note) where `prlimit` is not installed.
fn start_starved_echo_server() -> Option<(Program, u16)> {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("prlimit is not installed; skipping");
        return None;
    }
    Some(Program::start_server_wrapped(
        &["prlimit", "--nofile=24", "--"],
        "echo_server",
        &["--interface", "127.0.0.1"],
    ))
}

#[test]
fn emfile_is_retried_with_backoff_and_recovers() {
    let Some((mut server, port)) = start_starved_echo_server() else {
        return;
    };

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

/// Out of descriptors, a server that closes a connection accepts a waiting one at once,
/// without waiting out its backoff (up to 1 s).
#[test]
fn emfile_retries_as_soon_as_a_descriptor_is_freed() {
    let Some((mut server, port)) = start_starved_echo_server() else {
        return;
    };
    let mut clients: Vec<TcpStream> = (0..30).map(|_| connect(port)).collect();
    assert_eq!(echo_once(&mut clients[0], b"ping").unwrap(), b"ping");
    // Long enough for the backoff to reach its 1 s ceiling.
    std::thread::sleep(Duration::from_millis(2500));
    for client in &mut clients {
        client.write_all(b"x").unwrap();
        client.set_nonblocking(true).unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    let (mut served, mut waiting): (Vec<TcpStream>, Vec<TcpStream>) =
        clients.into_iter().partition(answered);
    assert!(
        !served.is_empty() && !waiting.is_empty(),
        "some connections are served and some wait: {} and {}",
        served.len(),
        waiting.len()
    );
    for round in 0..3 {
        drop(served.pop());
        let start = std::time::Instant::now();
        let index = loop {
            if let Some(index) = waiting.iter().position(answered) {
                break index;
            }
            assert!(
                start.elapsed() < Duration::from_millis(300),
                "round {round}: no waiting connection was served within 300 ms of a close \
                 (the backoff is 1 s)\n{}",
                server.report()
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        served.push(waiting.remove(index));
    }
    server.signal("-TERM");
    server.wait_for_exit(Duration::from_secs(10));
}

/// Whether the server echoed the byte this client sent (non-blocking).
fn answered(client: &TcpStream) -> bool {
    let mut byte = [0; 1];
    matches!((&*client).read(&mut byte), Ok(1))
}
