//! End-to-end tests of `stdio_proxy_client` against `line_echo_server`: its standard
//! input and output a pair of pipes, then the slave side of a pseudo-terminal.

mod examples_util;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use examples_util::{dead_port, example_path, Program, TIMEOUT};

const BANNER: &str = "Connected to server.  Press ctrl-C to close connection.\n";

fn echo_server() -> (Program, u16) {
    Program::start_server("line_echo_server", &["--interface", "127.0.0.1"])
}

fn client(port: u16, stdin: Stdio, stdout: Stdio) -> Child {
    Command::new(example_path("stdio_proxy_client"))
        .args(["127.0.0.1", &port.to_string()])
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start stdio_proxy_client")
}

/// Waits (polling, up to [`TIMEOUT`]) for `child` to exit by itself; kills it otherwise.
fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("stdio_proxy_client did not exit by itself");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Reads `reader` on a thread, sending each chunk.
fn read_chunks(mut reader: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Collects chunks into `seen` until it contains `needle`.
fn wait_for(rx: &mpsc::Receiver<Vec<u8>>, seen: &mut String, needle: &str) {
    let deadline = Instant::now() + TIMEOUT;
    while !seen.contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            Err(_) => panic!("never saw {needle:?}; saw {seen:?}"),
        }
    }
}

#[test]
fn through_pipes_lines_go_out_as_crlf_and_the_client_exits_when_the_server_closes() {
    let (_server, port) = echo_server();
    let mut child = client(port, Stdio::piped(), Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let stdout = read_chunks(child.stdout.take().unwrap());
    let mut seen = String::new();
    wait_for(&stdout, &mut seen, BANNER);
    // Plain `\n` endings: the server only answers lines ended by `\r\n`.
    stdin.write_all(b"hello\nsecond line\r\n").unwrap();
    wait_for(&stdout, &mut seen, "You said: second line\r\n");
    stdin.write_all(b"quit\n").unwrap();
    // Standard input stays open: the server's close alone ends the client.
    let status = wait_for_exit(&mut child);
    wait_for(&stdout, &mut seen, "Goodbye.\r\n");
    assert!(status.success(), "{status}");
    assert_eq!(
        seen,
        format!("{BANNER}You said: hello\r\nYou said: second line\r\nGoodbye.\r\n")
    );
    drop(stdin);
}

#[test]
fn the_end_of_standard_input_half_closes_and_the_replies_still_arrive() {
    let (_server, port) = echo_server();
    let mut child = client(port, Stdio::piped(), Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let stdout = read_chunks(child.stdout.take().unwrap());
    stdin.write_all(b"one\ntwo\n").unwrap();
    drop(stdin);
    let status = wait_for_exit(&mut child);
    let mut seen = String::new();
    wait_for(&stdout, &mut seen, "You said: two\r\n");
    assert!(status.success(), "{status}");
    assert_eq!(seen, format!("{BANNER}You said: one\r\nYou said: two\r\n"));
}

#[test]
fn a_refused_connection_prints_the_reason_and_fails() {
    let mut child = client(dead_port(), Stdio::null(), Stdio::piped());
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = wait_for_exit(&mut child);
    assert!(!status.success());
    assert!(out.to_lowercase().contains("refused"), "{out:?}");
}

/// A pseudo-terminal: (master, slave).
fn pty() -> (File, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: the out-pointers are valid; null name, termios and size ask for defaults.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

fn nonblocking(fd: BorrowedFd<'_>) -> bool {
    // SAFETY: `fd` is open for the borrow; F_GETFL only reads its flags.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0);
    flags & libc::O_NONBLOCK != 0
}

fn local_flags(fd: BorrowedFd<'_>) -> libc::tcflag_t {
    // SAFETY: `termios` is plain data; `tcgetattr` fills it for the open terminal `fd`.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(fd.as_raw_fd(), &mut t), 0);
        t.c_lflag
    }
}

#[test]
fn on_a_terminal_typed_lines_are_answered_and_the_terminal_is_restored() {
    let (_server, port) = echo_server();
    let (master, slave) = pty();
    let lflag = local_flags(slave.as_fd());
    assert!(!nonblocking(slave.as_fd()));
    let mut child = client(
        port,
        Stdio::from(slave.try_clone().unwrap()),
        Stdio::from(slave.try_clone().unwrap()),
    );
    let mut keys = master.try_clone().unwrap();
    let screen = read_chunks(master);
    let mut seen = String::new();
    wait_for(&screen, &mut seen, "Connected to server.");
    assert!(
        nonblocking(slave.as_fd()),
        "the client made its terminal non-blocking"
    );
    // The Enter key sends `\r`; the terminal turns it into `\n`.
    keys.write_all(b"hello\r").unwrap();
    wait_for(&screen, &mut seen, "You said: hello");
    assert!(
        seen.contains("hello\r\n"),
        "the terminal echoed the line: {seen:?}"
    );
    keys.write_all(b"quit\r").unwrap();
    wait_for(&screen, &mut seen, "Goodbye.");
    let status = wait_for_exit(&mut child);
    assert!(status.success(), "{status}");
    assert!(
        !nonblocking(slave.as_fd()),
        "the terminal was left non-blocking"
    );
    assert_eq!(
        local_flags(slave.as_fd()),
        lflag,
        "the terminal's settings changed"
    );
}

#[test]
fn interrupted_on_a_terminal_it_exits_and_restores_the_terminal() {
    let (_server, port) = echo_server();
    let (master, slave) = pty();
    let mut child = client(
        port,
        Stdio::from(slave.try_clone().unwrap()),
        Stdio::from(slave.try_clone().unwrap()),
    );
    let screen = read_chunks(master);
    let mut seen = String::new();
    wait_for(&screen, &mut seen, "Connected to server.");
    assert!(nonblocking(slave.as_fd()));
    // SAFETY: kill only sends a signal to our own child.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let status = wait_for_exit(&mut child);
    assert!(status.success(), "{status}");
    assert!(
        !nonblocking(slave.as_fd()),
        "the terminal was left non-blocking"
    );
}
