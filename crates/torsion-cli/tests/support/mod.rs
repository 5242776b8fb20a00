//! What the `torsion` command's end-to-end tests share: running the binary in the
//! foreground or as a daemon, temp directories, clients, signals.

#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// Generous: a guard against a hang on a loaded machine, never a timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The `torsion` binary.
pub fn torsion() -> Command {
    Command::new(env!("CARGO_BIN_EXE_torsion"))
}

/// The example `my_command`, built by `cargo test` beside the binary.
pub fn my_command() -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_torsion"));
    let path = bin.parent().unwrap().join("examples").join("my_command");
    assert!(
        path.exists(),
        "build the examples first: cargo build -p torsion-cli --examples"
    );
    Command::new(path)
}

/// A directory removed when dropped; mode 0755 so that root may keep pid files in it.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("torsion-cli-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A command running in the foreground, its standard output read line by line.
pub struct Foreground {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Foreground {
    pub fn start(mut command: Command) -> Foreground {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(line) => {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        Foreground {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The first line (from now on or already seen) that contains `text`.
    pub fn wait_for(&mut self, text: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {text:?}; output so far: {:#?}", self.seen),
            }
        }
    }

    /// The port of the first `listening on HOST:PORT` line.
    pub fn port(&mut self) -> u16 {
        port_of(&self.wait_for("listening on "))
    }

    pub fn signal(&self, signal: i32) {
        send_signal(self.pid(), signal);
    }

    /// Waits for the exit; gives the status, every line of standard output and the
    /// standard error.
    pub fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the command did not exit; output: {:#?}", self.seen);
            }
            thread::sleep(Duration::from_millis(10));
        };
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.seen.push(line);
        }
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (status, std::mem::take(&mut self.seen), stderr)
    }
}

impl Drop for Foreground {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` to its end (with a guard).
pub fn run(mut command: Command) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The port of a `listening on HOST:PORT` line (plain, a text log line or a JSON one).
pub fn port_of(line: &str) -> u16 {
    let at = line.find("listening on ").expect("a listening line") + "listening on ".len();
    let address: String = line[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    address.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// A client of 127.0.0.1:`port`, with read and write timeouts as guards.
pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Sends `line` with CRLF and reads one CRLF-terminated line back.
pub fn ask(stream: &mut TcpStream, line: &str) -> String {
    stream.write_all(format!("{line}\r\n").as_bytes()).unwrap();
    read_line(stream)
}

/// Reads up to and without the next `\n` (and a `\r` before it).
pub fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(err) => panic!("reading a line: {err} (so far {line:?})"),
        }
    }
    let text = String::from_utf8(line).unwrap();
    text.strip_suffix('\r').map(str::to_owned).unwrap_or(text)
}

/// Reads until the peer closes; the bytes read.
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let _ = stream.read_to_end(&mut all);
    all
}

pub fn send_signal(pid: i32, signal: i32) {
    // SAFETY: signalling a process this test started.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill({pid}, {signal})");
}

/// Whether `pid` runs (a zombie no longer does: whoever adopted the daemon may be slow
/// to reap it).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Polls `condition` until it holds; panics with `what` after the guard.
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// A daemon started by a test: killed when dropped if still alive.
pub struct Daemon {
    pub pid: i32,
}

impl Daemon {
    /// Runs `command` (with `-d`), which must exit 0 once the daemon runs; the daemon's
    /// pid is read from `pidfile`.
    pub fn start(command: Command, pidfile: &Path) -> Daemon {
        let output = run(command);
        assert!(
            output.status.success(),
            "the daemon did not start: {output:?}"
        );
        let pid = read(pidfile)
            .trim()
            .parse()
            .expect("the pid file holds a pid");
        Daemon { pid }
    }

    /// SIGTERM, then waits until the process is gone.
    pub fn stop(&self) {
        send_signal(self.pid, libc::SIGTERM);
        wait_until("the daemon exits", || !alive(self.pid));
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if alive(self.pid) {
            // SAFETY: killing the daemon this test started.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }
}
