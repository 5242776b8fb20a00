//! An outside program run as a child process, its output read line by line.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::GUARD;

#[derive(Default)]
struct Lines {
    state: Mutex<LinesState>,
    changed: Condvar,
}

#[derive(Default)]
struct LinesState {
    lines: Vec<String>,
    closed: bool,
}

impl Lines {
    fn collect(stream: impl Read + Send + 'static) -> (Arc<Lines>, JoinHandle<()>) {
        let lines = Arc::new(Lines::default());
        let shared = lines.clone();
        let handle = thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line);
                        let text = text.trim_end_matches(['\n', '\r']).to_string();
                        shared.state.lock().unwrap().lines.push(text);
                        shared.changed.notify_all();
                    }
                }
            }
            shared.state.lock().unwrap().closed = true;
            shared.changed.notify_all();
        });
        (lines, handle)
    }

    fn snapshot(&self) -> Vec<String> {
        self.state.lock().unwrap().lines.clone()
    }

    /// The first line for which `pred` holds, waiting up to [`GUARD`]; `None` if the
    /// stream closed or the guard passed first.
    fn wait_for(&self, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + GUARD;
        let mut state = self.state.lock().unwrap();
        loop {
            if let Some(line) = state.lines.iter().find(|l| pred(l)) {
                return Some(line.clone());
            }
            let now = Instant::now();
            if state.closed || now >= deadline {
                return None;
            }
            state = self.changed.wait_timeout(state, deadline - now).unwrap().0;
        }
    }
}

/// An outside program run as a child: its stdin piped to the test, its stdout and stderr
/// read line by line. Killed and reaped when dropped, whatever happened.
pub struct Peer {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Lines>,
    stderr: Arc<Lines>,
    readers: Vec<JoinHandle<()>>,
}

impl Peer {
    /// Starts `program` with `args`, named `name` in failure messages.
    ///
    /// # Panics
    ///
    /// If it cannot be started.
    pub fn start(name: &str, program: &str, args: &[&str]) -> Peer {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({program}): {e}"));
        let stdin = child.stdin.take();
        let (stdout, out_reader) = Lines::collect(child.stdout.take().expect("piped stdout"));
        let (stderr, err_reader) = Lines::collect(child.stderr.take().expect("piped stderr"));
        Peer {
            name: format!("{name} ({program} {})", args.join(" ")),
            child,
            stdin,
            stdout,
            stderr,
            readers: vec![out_reader, err_reader],
        }
    }

    /// Writes `line` and a newline to the program's stdin.
    ///
    /// # Panics
    ///
    /// If stdin was closed or the write fails.
    pub fn send_line(&mut self, line: &str) {
        if let Err(e) = self.try_send_line(line) {
            panic!(
                "{}: writing {line:?} to stdin: {e}\n{}",
                self.name,
                self.report()
            );
        }
    }

    /// Writes `line` and a newline to the program's stdin; an error if it fails (the
    /// program may have exited already).
    pub fn try_send_line(&mut self, line: &str) -> std::io::Result<()> {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin.write_all(format!("{line}\n").as_bytes())?;
        stdin.flush()
    }

    /// Closes the program's stdin (its end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for a stdout line for which `pred` holds and returns it.
    ///
    /// # Panics
    ///
    /// If stdout closes first or [`GUARD`] passes, with everything the program printed.
    pub fn expect_line(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.stdout
            .wait_for(pred)
            .unwrap_or_else(|| panic!("{}: never printed {what}\n{}", self.name, self.report()))
    }

    /// Waits for a stdout line for which `pred` holds; `None` if stdout closed (or
    /// [`GUARD`] passed) first.
    pub fn wait_for_line(&self, pred: impl Fn(&str) -> bool) -> Option<String> {
        self.stdout.wait_for(pred)
    }

    /// Waits for the program to exit by itself, then for its output to be read to the
    /// end; returns its status.
    ///
    /// # Panics
    ///
    /// If it still runs after [`GUARD`] (it is killed then).
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + GUARD;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                self.kill();
                panic!(
                    "{}: still running after {GUARD:?}\n{}",
                    self.name,
                    self.report()
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        for reader in self.readers.drain(..) {
            reader.join().expect("an output reader thread");
        }
        status
    }

    /// Everything printed on stdout and stderr so far, one line each.
    pub fn all_output(&self) -> Vec<String> {
        let mut lines = self.stdout.snapshot();
        lines.extend(self.stderr.snapshot());
        lines
    }

    /// Whether any line of stdout or stderr contains `text` (case-insensitive).
    pub fn printed(&self, text: &str) -> bool {
        let text = text.to_lowercase();
        self.all_output()
            .iter()
            .any(|l| l.to_lowercase().contains(&text))
    }

    /// What the program printed, for failure messages.
    pub fn report(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout.snapshot().join("\n"),
            self.stderr.snapshot().join("\n")
        )
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.kill();
    }
}
