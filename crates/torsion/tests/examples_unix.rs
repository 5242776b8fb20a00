//! End-to-end tests of the UNIX socket examples: the echo server and client, and the
//! descriptor passing demo, run as built binaries.

mod examples_util;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use examples_util::{Program, TIMEOUT};

fn sock_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "torsion-examples-{}-{name}.sock",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn the_echo_server_echoes_and_removes_its_socket_on_ctrl_c() {
    let path = sock_path("server");
    let p = path.to_str().unwrap();
    let mut server = Program::start("unix_echo_server", &[p]);
    server.wait_for_line("the `listening on` line", |l| {
        l == format!("listening on {p}")
    });
    let mut stream = UnixStream::connect(&path).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.write_all(b"over a UNIX socket").unwrap();
    let mut buf = [0; 18];
    stream.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"over a UNIX socket");
    drop(stream);
    server.interrupt();
    let (status, _) = server.wait_for_exit(TIMEOUT);
    assert!(status.success(), "{status}");
    assert!(!path.exists(), "the socket file was removed at shutdown");
}

#[test]
fn the_echo_client_prints_the_echo_and_exits_0() {
    let path = sock_path("client");
    let p = path.to_str().unwrap();
    let server = Program::start("unix_echo_server", &[p]);
    server.wait_for_line("the `listening on` line", |l| {
        l.starts_with("listening on ")
    });
    let mut client = Program::start("unix_echo_client", &[p, "a line to echo"]);
    let (status, lines) = client.wait_for_exit(TIMEOUT);
    assert!(status.success(), "{status}");
    assert_eq!(lines, ["a line to echo"]);
}

#[test]
fn the_echo_client_fails_clearly_when_nobody_listens() {
    let path = sock_path("nobody");
    let p = path.to_str().unwrap();
    let mut client = Program::start("unix_echo_client", &[p]);
    client.wait_for_stderr_line("the reason", |l| {
        l.contains("cannot connect") && l.contains("No such file")
    });
    let (status, lines) = client.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1));
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn the_fd_passing_demo_reads_through_the_received_descriptor() {
    let mut demo = Program::start("fd_passing_demo", &[]);
    let (status, lines) = demo.wait_for_exit(TIMEOUT);
    assert!(status.success(), "{status}");
    assert_eq!(
        lines,
        ["read through the received descriptor: this line was read through a passed descriptor"]
    );
}

#[test]
fn a_tcp_server_example_listens_on_a_unix_description() {
    let path = sock_path("listen-flag");
    let p = path.to_str().unwrap();
    let description = format!("unix:{p}:lockfile=0");
    let mut server = Program::start("line_echo_server", &["--listen", &description]);
    server.wait_for_line("the `listening on` line", |l| {
        l == format!("listening on {p}")
    });
    let mut stream = UnixStream::connect(&path).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
        .write_all(b"over a unix: endpoint\r\nquit\r\n")
        .unwrap();
    let mut replies = String::new();
    stream.read_to_string(&mut replies).unwrap();
    assert_eq!(replies, "You said: over a unix: endpoint\r\nGoodbye.\r\n");
    server.interrupt();
    let (status, _) = server.wait_for_exit(TIMEOUT);
    assert!(status.success(), "{status}");
    assert!(!path.exists(), "the socket file was removed at shutdown");
}
