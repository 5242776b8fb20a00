//! End-to-end tests of the line echo example server, over loopback.

mod examples_util;

use std::io::Write;
use std::thread;
use std::time::Duration;

use examples_util::{connect, read_line, read_to_eof, Program};

#[test]
fn line_echo_answers_lines_split_across_writes_then_says_goodbye() {
    let (_server, port) = Program::start_server("line_echo_server", &["--interface", "127.0.0.1"]);
    let mut stream = connect(port);
    stream.set_nodelay(true).unwrap();
    for piece in [&b"hel"[..], b"lo\r", b"\nsecond line\r\nthi", b"rd\r\n"] {
        stream.write_all(piece).unwrap();
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(read_line(&mut stream), "You said: hello\r\n");
    assert_eq!(read_line(&mut stream), "You said: second line\r\n");
    assert_eq!(read_line(&mut stream), "You said: third\r\n");
    stream.write_all(b"quit\r\nnot answered\r\n").unwrap();
    assert_eq!(read_to_eof(&mut stream), b"Goodbye.\r\n");
}

#[test]
fn line_echo_serves_clients_independently() {
    let server = Program::start(
        "line_echo_server",
        &["--listen", "tcp:0:interface=127.0.0.1"],
    );
    let port = server.listening_port();
    let mut a = connect(port);
    let mut b = connect(port);
    a.write_all(b"from a, part").unwrap();
    b.write_all(b"from b\r\n").unwrap();
    assert_eq!(read_line(&mut b), "You said: from b\r\n");
    a.write_all(b" two\r\n").unwrap();
    assert_eq!(read_line(&mut a), "You said: from a, part two\r\n");
    b.write_all(b"quit\r\n").unwrap();
    assert_eq!(read_to_eof(&mut b), b"Goodbye.\r\n");
    a.write_all(b"still here\r\n").unwrap();
    assert_eq!(read_line(&mut a), "You said: still here\r\n");
}

#[test]
fn reverse_server_reverses_lines_until_quit() {
    let (_server, port) = Program::start_server("reverse_server", &["--interface", "127.0.0.1"]);
    let mut stream = connect(port);
    stream
        .write_all("stressed\r\nnaïve café\r\nquit please\r\n".as_bytes())
        .unwrap();
    assert_eq!(read_line(&mut stream), "desserts\r\n");
    assert_eq!(read_line(&mut stream), "éfac evïan\r\n");
    assert_eq!(read_line(&mut stream), "esaelp tiuq\r\n");
    stream.write_all(b"quit\r\nnot answered\r\n").unwrap();
    assert_eq!(read_to_eof(&mut stream), b"");
}
