//! Helpers for the end-to-end tests of the example programs: start an example binary,
//! read what it prints, talk to it over loopback TCP, and kill it whatever happens.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

pub mod poetry;

/// How long any single expected event may take (generous: the machine is shared).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The path of an example binary, as `cargo test` builds it: the test binary lives in
/// `target/<profile>/deps`, the examples in `target/<profile>/examples`.
pub fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test binary>");
    let path = profile_dir.join("examples").join(name);
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "the example binary {} is missing: run `cargo test -p torsion` (it builds the \
             examples before running the tests; a single `--test` target does not)",
                path.display()
            )
        });
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = manifest_dir.join("examples").join(format!("{name}.rs"));
    let newest = newest_mtime(&manifest_dir.join("src"))
        .max(
            support_files(&source)
                .iter()
                .filter_map(|f| newest_mtime(f))
                .max(),
        )
        .max(newest_mtime(&source));
    assert!(
        !newest.is_some_and(|t| t > built),
        "the example binary {} is older than its sources: run `cargo test -p torsion` to \
         rebuild the examples (a single `--test` target does not)",
        path.display()
    );
    path
}

/// The support modules an example includes (`#[path = "support/NAME.rs"]`).
fn support_files(source: &Path) -> Vec<std::path::PathBuf> {
    let text = std::fs::read_to_string(source).unwrap_or_default();
    let dir = source.parent().unwrap_or(Path::new("."));
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("#[path = \""))
        .filter_map(|rest| rest.split('"').next())
        .map(|relative| dir.join(relative))
        .collect()
}

/// The latest modification time of `path` or of any file under it.
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| newest_mtime(&e.path()))
        .max()
}

/// A file from `examples/poetry/`.
pub fn poem_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join("poetry")
        .join(name)
}

#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    closed: bool,
}

/// The lines a child printed on one stream, collected by a thread as they come.
#[derive(Default)]
struct Collected {
    state: Mutex<Lines>,
    changed: Condvar,
}

impl Collected {
    fn start(stream: impl Read + Send + 'static) -> (Arc<Collected>, JoinHandle<()>) {
        let collected = Arc::new(Collected::default());
        let c = collected.clone();
        let handle = thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                c.state.lock().unwrap().lines.push(line);
                c.changed.notify_all();
            }
            c.state.lock().unwrap().closed = true;
            c.changed.notify_all();
        });
        (collected, handle)
    }

    fn snapshot(&self) -> Vec<String> {
        self.state.lock().unwrap().lines.clone()
    }
}

/// A running example program; it is killed when dropped.
pub struct Program {
    name: String,
    child: Child,
    stdout: Arc<Collected>,
    stderr: Arc<Collected>,
    readers: Vec<JoinHandle<()>>,
}

impl Program {
    /// Starts example `name` with `args`, collecting its stdout and stderr.
    pub fn start(name: &str, args: &[&str]) -> Program {
        Program::start_wrapped(&[], name, args)
    }

    /// Starts `command` (a program and its arguments), named `name` in reports, collecting
    /// its stdout and stderr: a peer that is not one of the examples (Twisted's).
    pub fn start_command(name: &str, command: &[&str]) -> Program {
        let (program, args) = command.split_first().expect("a command");
        Program::spawn(name, Command::new(program).args(args))
    }

    /// Starts example `name` with `args` under `wrapper` (a command and its arguments,
    /// such as `["prlimit", "--nofile=24", "--"]`; empty for none).
    pub fn start_wrapped(wrapper: &[&str], name: &str, args: &[&str]) -> Program {
        let example = example_path(name);
        let mut command = match wrapper.split_first() {
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg(&example);
                command
            }
            None => Command::new(&example),
        };
        command.args(args);
        Program::spawn(name, &mut command)
    }

    fn spawn(name: &str, command: &mut Command) -> Program {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let out: ChildStdout = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        let (stdout, h1) = Collected::start(out);
        let (stderr, h2) = Collected::start(err);
        Program {
            name: name.to_string(),
            child,
            stdout,
            stderr,
            readers: vec![h1, h2],
        }
    }

    /// Starts a server example with `--port 0` and waits for its `listening on HOST:PORT`
    /// line; returns the program and the port.
    pub fn start_server(name: &str, args: &[&str]) -> (Program, u16) {
        Program::start_server_wrapped(&[], name, args)
    }

    /// [`start_server`](Program::start_server) under `wrapper` (see
    /// [`start_wrapped`](Program::start_wrapped)).
    pub fn start_server_wrapped(wrapper: &[&str], name: &str, args: &[&str]) -> (Program, u16) {
        let mut all = args.to_vec();
        all.extend(["--port", "0"]);
        let program = Program::start_wrapped(wrapper, name, &all);
        let port = program.listening_port();
        (program, port)
    }

    /// Waits for the server's `listening on HOST:PORT` line and returns the port.
    ///
    /// # Panics
    ///
    /// As [`wait_for_line`](Program::wait_for_line), or if the line has no port.
    pub fn listening_port(&self) -> u16 {
        let line = self.wait_for_line("the `listening on` line", |l| {
            l.starts_with("listening on ")
        });
        line.rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{}: no port in {line:?}", self.name))
    }

    /// Waits until the program printed a stdout line for which `pred` holds; returns it.
    ///
    /// # Panics
    ///
    /// After [`TIMEOUT`], or if stdout closes first, with everything printed so far.
    pub fn wait_for_line(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_for(&self.stdout, what, pred)
    }

    /// [`wait_for_line`](Program::wait_for_line) on stderr.
    pub fn wait_for_stderr_line(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_for(&self.stderr, what, pred)
    }

    fn wait_for(&self, stream: &Collected, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        let mut state = stream.state.lock().unwrap();
        loop {
            if let Some(line) = state.lines.iter().find(|l| pred(l)) {
                return line.clone();
            }
            let now = Instant::now();
            if state.closed || now >= deadline {
                drop(state);
                panic!("{}: never printed {what}\n{}", self.name, self.report());
            }
            state = stream
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Everything printed on stdout so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.snapshot()
    }

    /// Waits for the program to exit by itself (polling, up to `limit`), then for its
    /// output to be read to the end; returns its status and stdout lines.
    ///
    /// # Panics
    ///
    /// If it is still running after `limit`.
    pub fn wait_for_exit(&mut self, limit: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: still running after {limit:?}\n{}",
                    self.name,
                    self.report()
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            reader.join().expect("output reader thread");
        }
        (status, self.stdout_lines())
    }

    /// Whether the program is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Sends the program SIGINT (as Ctrl-C would), through the `kill` command.
    ///
    /// # Panics
    ///
    /// If `kill` cannot be run or fails.
    pub fn interrupt(&self) {
        self.signal("-INT");
    }

    /// Sends the program `signal` (`-TERM`, `-INT`, ...) through the `kill` command.
    ///
    /// # Panics
    ///
    /// If `kill` cannot be run or fails.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(
            status.success(),
            "kill {signal} {}: {status}",
            self.child.id()
        );
    }

    /// Everything printed on stderr so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.snapshot()
    }

    /// Kills the program (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What the program printed, for failure messages.
    pub fn report(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout.snapshot().join("\n"),
            self.stderr.snapshot().join("\n")
        )
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Connects to `127.0.0.1:port` with read and write timeouts of [`TIMEOUT`].
pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect to {port}: {e}"));
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// Reads exactly `n` bytes.
pub fn read_n(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream
        .read_exact(&mut buf)
        .unwrap_or_else(|e| panic!("reading {n} bytes: {e}"));
    buf
}

/// Reads one line, up to and including its `\n` (byte by byte, so nothing after it is
/// consumed).
pub fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.last() != Some(&b'\n') {
        stream
            .read_exact(&mut byte)
            .unwrap_or_else(|e| panic!("reading a line: {e} (got {line:?})"));
        line.push(byte[0]);
    }
    String::from_utf8(line).expect("a UTF-8 line")
}

/// Reads until the peer closes.
pub fn read_to_eof(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    stream
        .read_to_end(&mut buf)
        .unwrap_or_else(|e| panic!("reading to EOF: {e} (got {buf:?})"));
    buf
}

/// A port on 127.0.0.1 that nothing listens on (it was free a moment ago).
pub fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A one-shot server on 127.0.0.1 that breaks its connection: it accepts one connection,
/// writes some data, and resets the connection (a close with a zero linger time sends RST,
/// not FIN) when told to.
pub struct ResettingServer {
    pub port: u16,
    reset: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl ResettingServer {
    /// Starts the server; it writes `data` to the connection it accepts.
    pub fn start(data: &'static [u8]) -> ResettingServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (reset, told) = mpsc::channel();
        let thread = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream.write_all(data).unwrap();
            told.recv().unwrap();
            socket2::SockRef::from(&stream)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
        });
        ResettingServer {
            port,
            reset,
            thread,
        }
    }

    /// Resets the connection (once accepted) and waits for the server to finish.
    ///
    /// # Panics
    ///
    /// If the server thread panicked.
    pub fn reset(self) {
        self.reset.send(()).unwrap();
        self.thread.join().unwrap();
    }
}
