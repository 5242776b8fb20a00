//! End-to-end tests of the TLS examples over loopback: `tls_echo_server` (self-signed or
//! with given files), `tls_echo_client` (its standard input and output pipes) and
//! `chat_server --tls`.

mod examples_util;
mod tls_util;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use examples_util::{connect, dead_port, example_path, Program, TIMEOUT};
use tls_util::Pki;

const SELF_SIGNED: &str = "self-signed certificate for localhost and 127.0.0.1 written to ";

/// A directory of its own under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "torsion-examples-tls-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn str(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts `name` (a TLS server example) on a free port of 127.0.0.1 with a self-signed
/// certificate written to `dir`; returns it, its port and the certificate's path.
fn self_signed(name: &str, extra: &[&str], dir: &TempDir) -> (Program, u16, String) {
    let mut args = vec!["--interface", "127.0.0.1", "--cert-dir", dir.str()];
    args.extend(extra);
    let (server, port) = Program::start_server(name, &args);
    let line = server.wait_for_line("where the certificate went", |l| l.starts_with(SELF_SIGNED));
    let cert = line[SELF_SIGNED.len()..].to_string();
    assert_eq!(Path::new(&cert), dir.path().join("cert.pem"));
    server.wait_for_line("where the key went", |l| {
        l == format!(
            "its private key written to {}",
            dir.path().join("key.pem").display()
        )
    });
    (server, port, cert)
}

/// A running `tls_echo_client`: its standard input, and what it prints on each output.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: mpsc::Receiver<Vec<u8>>,
    seen: String,
    stderr: Option<JoinHandle<String>>,
}

impl Client {
    fn start(args: &[&str]) -> Client {
        Client::start_reading(args, Stdio::piped())
    }

    /// A client whose standard input is `stdin` (typed into only when piped).
    fn start_reading(args: &[&str], stdin: Stdio) -> Client {
        let mut child = Command::new(example_path("tls_echo_client"))
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tls_echo_client");
        let stdin = child.stdin.take();
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let (tx, stdout) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Client {
            child,
            stdin,
            stdout,
            seen: String::new(),
            stderr: Some(stderr),
        }
    }

    /// A client of `127.0.0.1:port` (or `host`) trusting `ca`.
    fn trusting(host: &str, port: u16, ca: &str) -> Client {
        Client::start(&[host, &port.to_string(), "--ca", ca])
    }

    fn type_text(&mut self, text: &str) {
        self.stdin
            .as_mut()
            .expect("standard input still open")
            .write_all(text.as_bytes())
            .unwrap();
    }

    fn end_input(&mut self) {
        // Dropping the pipe's end closes it: the client reads the end of its input.
        self.stdin = None;
    }

    /// Waits until the client printed `needle` (and everything before it).
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.seen.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => self.seen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!("never printed {needle:?}; printed {:?}", self.seen),
            }
        }
    }

    /// Waits for the client to exit by itself (killing it after [`TIMEOUT`]); returns its
    /// status, everything it printed on stdout and on stderr.
    fn finish(mut self) -> (ExitStatus, String, String) {
        self.end_input();
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("tls_echo_client did not exit; printed {:?}", self.seen);
            }
            thread::sleep(Duration::from_millis(10));
        };
        while let Ok(chunk) = self.stdout.recv_timeout(TIMEOUT) {
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        let stderr = self.stderr.take().expect("one finish");
        let stderr = stderr.join().expect("stderr reader");
        (status, std::mem::take(&mut self.seen), stderr)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a client trusting `ca` that types `input` at once and ends its input; checks that
/// it printed the echo and exited 0.
fn echo_through(host: &str, port: u16, extra: &[&str], input: &str) {
    let port = port.to_string();
    let mut args = vec![host, &port];
    args.extend(extra);
    let mut client = Client::start(&args);
    client.type_text(input);
    let (status, stdout, stderr) = client.finish();
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        stdout == input,
        "echoed {} of {} bytes",
        stdout.len(),
        input.len()
    );
}

/// Reads until the peer closes, by FIN or by reset (a peer that closes with our bytes
/// unread resets); returns what came before.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("reading to the close: {e} (got {got:?})"),
        }
    }
}

/// Runs a client that must be refused; returns what it said on stderr.
fn refused(args: &[&str]) -> String {
    let mut client = Client::start(args);
    client.type_text("never echoed\n");
    let (status, stdout, stderr) = client.finish();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "", "nothing goes through a refused handshake");
    stderr
}

#[test]
fn a_self_signed_server_echoes_lines_and_the_client_exits_0_after_its_close_notify() {
    let dir = TempDir::new("echo");
    let (mut server, port, cert) = self_signed("tls_echo_server", &[], &dir);

    let mut client = Client::trusting("localhost", port, &cert);
    client.type_text("hello\n");
    client.wait_for("hello\n");
    client.type_text("over TLS\n");
    client.wait_for("over TLS\n");
    client.type_text("last line, then close_notify\n");
    let (status, stdout, stderr) = client.finish();
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(stdout, "hello\nover TLS\nlast line, then close_notify\n");

    // All typed before the handshake ends, then the end of input; by address this time.
    let many: String = (0..5000).map(|i| format!("line {i:05}\n")).collect();
    echo_through("127.0.0.1", port, &["--ca", &cert], &many);
    assert!(server.running(), "{}", server.report());
}

#[test]
fn an_unknown_authority_is_refused_with_its_reason_and_the_server_goes_on() {
    let dir = TempDir::new("unknown");
    let (mut server, port, cert) = self_signed("tls_echo_server", &[], &dir);
    let port_arg = port.to_string();

    let system_roots = refused(&["localhost", &port_arg]);
    assert!(
        system_roots.contains("certificate signed by an unknown authority"),
        "{system_roots}"
    );
    assert!(
        system_roots.contains(&format!("tls_echo_client: localhost:{port}: ")),
        "{system_roots}"
    );

    let pki = Pki::new();
    let other_ca = Pki::write(dir.path(), "other-ca.pem", &pki.other_ca.cert);
    let wrong_ca = refused(&["localhost", &port_arg, "--ca", other_ca.to_str().unwrap()]);
    assert!(
        wrong_ca.contains("certificate signed by an unknown authority"),
        "{wrong_ca}"
    );

    // Not even TLS: the server answers with an alert and drops that connection alone.
    let mut garbage = connect(port);
    garbage.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let answer = read_until_closed(&mut garbage);
    assert_eq!(answer.first(), Some(&21), "a TLS alert record: {answer:?}");

    echo_through("localhost", port, &["--ca", &cert], "still serving\n");
    assert!(server.running(), "{}", server.report());
}

#[test]
fn a_name_the_certificate_is_not_for_is_refused_with_its_reason() {
    let dir = TempDir::new("name");
    let (_server, port, cert) = self_signed("tls_echo_server", &[], &dir);
    let stderr = refused(&[
        "127.0.0.1",
        &port.to_string(),
        "--ca",
        &cert,
        "--server-name",
        "wrong.example",
    ]);
    assert!(
        stderr.contains("certificate not valid for the name asked for"),
        "{stderr}"
    );
    assert!(stderr.contains("wrong.example"), "{stderr}");
    echo_through(
        "127.0.0.1",
        port,
        &["--ca", &cert, "--server-name", "localhost"],
        "the right name\n",
    );
}

#[test]
fn a_server_with_a_certificate_and_key_from_files_is_verified_by_its_ca() {
    let dir = TempDir::new("files");
    let pki = Pki::new();
    let cert = Pki::write(dir.path(), "server.pem", &pki.server.cert);
    let key = Pki::write(dir.path(), "server.key", &pki.server.key);
    let ca = Pki::write(dir.path(), "ca.pem", &pki.ca.cert);
    let (server, port) = Program::start_server(
        "tls_echo_server",
        &[
            "--interface",
            "127.0.0.1",
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        !server
            .stdout_lines()
            .iter()
            .any(|l| l.starts_with(SELF_SIGNED)),
        "no self-signed certificate when given one\n{}",
        server.report()
    );
    let ca = ca.to_str().unwrap();
    echo_through("localhost", port, &["--ca", ca], "signed by the test CA\n");
    echo_through("127.0.0.1", port, &["--ca", ca], "by address too\n");
}

#[test]
fn an_ssl_listen_description_is_refused_as_tls_twice() {
    let mut server = Program::start("tls_echo_server", &["--listen", "ssl:0:privateKey=key.pem"]);
    let (status, stdout) = server.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1), "{}", server.report());
    assert!(stdout.is_empty(), "{stdout:?}");
    let stderr = server.stderr_lines().join("\n");
    assert!(stderr.contains("adds TLS itself"), "{stderr}");

    let args = ["--tls", "--listen", "ssl:0:privateKey=key.pem"];
    let mut chat = Program::start("chat_server", &args);
    let (status, stdout) = chat.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1), "{}", chat.report());
    assert!(stdout.is_empty(), "{stdout:?}");
    let stderr = chat.stderr_lines().join("\n");
    assert!(stderr.contains("TLS twice"), "{stderr}");
}

#[test]
fn a_certificate_without_its_key_or_unreadable_files_are_errors() {
    let dir = TempDir::new("usage");
    let pki = Pki::new();
    let cert = Pki::write(dir.path(), "cert.pem", &pki.server.cert);
    let cert = cert.to_str().unwrap();
    for (args, code, says) in [
        (vec!["--cert", cert], 2, "--key"),
        (vec!["--key", cert], 2, "--cert"),
        (
            vec!["--cert", cert, "--key", "/nonexistent/key.pem"],
            1,
            "/nonexistent/key.pem",
        ),
        // A certificate is not a key.
        (vec!["--cert", cert, "--key", cert], 1, "key"),
    ] {
        let mut all = vec!["--port", "0"];
        all.extend(&args);
        let mut server = Program::start("tls_echo_server", &all);
        let (status, stdout) = server.wait_for_exit(TIMEOUT);
        assert_eq!(status.code(), Some(code), "{args:?}\n{}", server.report());
        assert!(
            !stdout.iter().any(|l| l.starts_with("listening on")),
            "{args:?}: {stdout:?}"
        );
        let stderr = server.stderr_lines().join("\n");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn the_default_certificate_directory_is_removed_when_the_server_exits() {
    let (mut server, port) =
        Program::start_server("tls_echo_server", &["--interface", "127.0.0.1"]);
    let line = server.wait_for_line("where the certificate went", |l| l.starts_with(SELF_SIGNED));
    let cert = PathBuf::from(&line[SELF_SIGNED.len()..]);
    let dir = cert.parent().unwrap().to_path_buf();
    assert!(dir.starts_with(std::env::temp_dir()), "{}", dir.display());
    assert!(cert.is_file() && dir.join("key.pem").is_file());
    // Served once: the reactor runs, with its signal handlers.
    echo_through(
        "localhost",
        port,
        &["--ca", cert.to_str().unwrap()],
        "once\n",
    );
    server.interrupt();
    let (status, _) = server.wait_for_exit(TIMEOUT);
    assert!(status.success(), "{status}\n{}", server.report());
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

#[test]
fn a_refused_connection_is_reported_and_fails() {
    let stderr = refused(&["127.0.0.1", &dead_port().to_string()]);
    assert!(stderr.contains("cannot connect: "), "{stderr}");
}

#[test]
fn the_chat_runs_over_tls() {
    let dir = TempDir::new("chat");
    let (server, port, cert) = self_signed("chat_server", &["--tls"], &dir);

    let mut a = Client::trusting("localhost", port, &cert);
    a.wait_for("Welcome, you are client number 1!\n");
    let mut b = Client::trusting("localhost", port, &cert);
    b.wait_for("Welcome, you are client number 2!\n");

    a.type_text("hello from a\n");
    b.wait_for("hello from a\n");
    b.type_text("hi from b\n");
    a.wait_for("hi from b\n");

    // a's end of input is its close_notify: the server closes a, cleanly.
    let (status, stdout, stderr) = a.finish();
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(stdout, "Welcome, you are client number 1!\nhi from b\n");
    server.wait_for_line("a's lost connect line", |l| l.starts_with("lost connect: "));

    b.type_text("close\n");
    let (status, stdout, stderr) = b.finish();
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(stdout, "Welcome, you are client number 2!\nhello from a\n");
}

#[test]
fn the_chat_refuses_certificate_options_without_tls() {
    let mut server = Program::start("chat_server", &["--port", "0", "--cert-dir", "/tmp"]);
    let (status, stdout) = server.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(2), "{}", server.report());
    assert!(stdout.is_empty(), "{stdout:?}");
    let stderr = server.stderr_lines().join("\n");
    assert!(stderr.contains("--tls"), "{stderr}");
}

#[test]
fn standard_input_from_a_file_or_dev_null_is_sent_then_closed_cleanly() {
    let dir = TempDir::new("file");
    let (_server, port, cert) = self_signed("tls_echo_server", &[], &dir);
    let port = port.to_string();
    let args = ["localhost", &port, "--ca", &cert];
    let lines = "read from a file,\nall at once, before the handshake ends\n";
    let input = dir.path().join("input.txt");
    std::fs::write(&input, lines).unwrap();
    for (stdin, expected) in [
        (std::fs::File::open(&input).unwrap(), lines),
        (std::fs::File::open("/dev/null").unwrap(), ""),
    ] {
        let client = Client::start_reading(&args, Stdio::from(stdin));
        let (status, stdout, stderr) = client.finish();
        assert!(status.success(), "{status}: {stderr}");
        assert_eq!(stdout, expected);
    }
}

#[test]
fn a_server_that_dies_without_close_notify_makes_the_client_fail_with_the_reason() {
    let dir = TempDir::new("truncated");
    let (mut server, port, cert) = self_signed("tls_echo_server", &[], &dir);
    let mut client = Client::trusting("localhost", port, &cert);
    client.type_text("before the crash\n");
    client.wait_for("before the crash\n");
    server.kill(); // SIGKILL: the kernel closes the socket, no close_notify
    let (status, stdout, stderr) = client.finish();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "before the crash\n");
    assert!(stderr.contains("without a TLS close_notify"), "{stderr}");
}

#[test]
fn the_chat_runs_over_tls_on_several_reactors() {
    let dir = TempDir::new("chat-reactors");
    let (_server, port, cert) = self_signed("chat_server", &["--tls", "--reactors", "2"], &dir);
    let welcome = "Welcome, you are client number ";
    let mut a = Client::trusting("localhost", port, &cert);
    a.wait_for(welcome);
    let mut b = Client::trusting("localhost", port, &cert);
    b.wait_for(welcome);
    a.type_text("from a, whichever reactor\n");
    b.wait_for("from a, whichever reactor\n");
    b.type_text("close\n");
    let (status, _, stderr) = b.finish();
    assert!(status.success(), "{status}: {stderr}");
    let (status, stdout, stderr) = a.finish();
    assert!(status.success(), "{status}: {stderr}");
    assert!(!stdout.contains("from a"), "not sent back to a: {stdout:?}");
}

#[test]
fn the_echo_server_speaks_tls_over_a_unix_socket_too() {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    use std::sync::Arc;

    let dir = TempDir::new("unix");
    let pki = Pki::new();
    let cert = Pki::write(dir.path(), "cert.pem", &pki.server.cert);
    let key = Pki::write(dir.path(), "key.pem", &pki.server.key);
    let socket = dir.path().join("echo.sock");
    let listen = format!("unix:{}", socket.display());
    let args = [
        "--listen",
        &listen,
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    let mut server = Program::start("tls_echo_server", &args);
    server.wait_for_line("listening", |l| l.starts_with("listening on"));

    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(
        CertificateDer::pem_slice_iter(pki.ca.cert.as_bytes()).map(|c| c.unwrap()),
    );
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = "localhost".try_into().unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let line = b"hello over a UNIX socket\n";
    tls.write_all(line).unwrap();
    let mut echoed = vec![0; line.len()];
    tls.read_exact(&mut echoed).unwrap();
    assert_eq!(echoed, line);
    // Our close_notify: the server answers with its own and closes, cleanly.
    tls.conn.send_close_notify();
    tls.flush().unwrap();
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest)
        .expect("the server's close_notify, not a truncation");
    assert!(rest.is_empty(), "{rest:?}");
    server.interrupt();
    let (status, _) = server.wait_for_exit(TIMEOUT);
    assert!(status.success(), "{}", server.report());
}
