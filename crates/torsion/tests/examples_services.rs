//! End-to-end tests of the services example: echo servers and a timer run as one
//! application, stopped by Ctrl-C; a port that cannot be listened on fails the program.

mod examples_util;

use std::io::Write;
use std::net::TcpListener;

use examples_util::{connect, read_n, Program, TIMEOUT};

#[test]
fn services_demo_serves_every_endpoint_ticks_and_stops_on_interrupt() {
    let any = "tcp:0:interface=127.0.0.1";
    let mut program = Program::start(
        "services_demo",
        &[
            "--listen",
            any,
            "--listen",
            "tcp:0:interface=127.0.0.1:backlog=10",
            "--tick-ms",
            "20",
        ],
    );
    let mut ports = Vec::new();
    for _ in 0..2 {
        let line = program.wait_for_line("a listening line", |l| {
            l.starts_with("listening on ") && !ports.iter().any(|p| l.ends_with(&format!(":{p}")))
        });
        ports.push(line.rsplit(':').next().unwrap().parse::<u16>().unwrap());
    }
    for port in &ports {
        let mut stream = connect(*port);
        stream.write_all(b"hello\n").unwrap();
        assert_eq!(read_n(&mut stream, 6), b"hello\n");
    }
    program.wait_for_line("two ticks", |l| l == "tick 2");
    program.interrupt();
    let (status, lines) = program.wait_for_exit(TIMEOUT);
    assert!(status.success(), "{}", program.report());
    let last = lines.last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("services stopped (running: false)"),
        "{}",
        program.report()
    );
}

#[test]
fn services_demo_fails_when_a_port_is_taken() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let description = format!("tcp:{port}:interface=127.0.0.1");
    let mut program = Program::start("services_demo", &["--listen", &description]);
    let (status, _) = program.wait_for_exit(TIMEOUT);
    assert!(!status.success(), "{}", program.report());
    let stderr = program.stderr_lines().join("\n");
    assert!(
        stderr.contains(&format!("cannot listen on {description}")),
        "{}",
        program.report()
    );
    drop(taken);
}
