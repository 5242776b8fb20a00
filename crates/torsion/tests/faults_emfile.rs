//! `accept` failing with EMFILE is logged and retried with backoff, never spun on, and the
//! server accepts again once descriptors are free.
//!
//! Runs the real `echo_server` example under `prlimit --nofile` so it runs out of
//! descriptors after a handful of connections.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test`, which builds the examples",
        path.display()
    );
    path
}

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
    let mut child = Command::new("prlimit")
        .args(["--nofile=24", "--"])
        .arg(example("echo_server"))
        .args(["--port", "0", "--interface", "127.0.0.1"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start echo_server");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let target = ("127.0.0.1", port);

    // Open more connections than the server has descriptors for.
    let mut clients = Vec::new();
    for _ in 0..40 {
        let c = TcpStream::connect(target).expect("the kernel accepts into the backlog");
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        clients.push(c);
    }
    // Some were served, the rest wait in the backlog while accept fails.
    let served = clients
        .iter_mut()
        .take(3)
        .map(|c| echo_once(c, b"ping").is_ok())
        .filter(|ok| *ok)
        .count();
    assert_eq!(served, 3, "the first connections are served");
    std::thread::sleep(Duration::from_secs(2));

    // Free descriptors: the waiting connections get accepted on a retry.
    let mut last = clients.pop().unwrap();
    clients.clear();
    let started = Instant::now();
    assert_eq!(
        echo_once(&mut last, b"after").expect("served after recovery"),
        b"after"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    drop(server);
    let mut log = String::new();
    BufReader::new(stderr).read_to_string(&mut log).unwrap();
    let failures = log.lines().filter(|l| l.contains("accept failed")).count();
    assert!(failures >= 1, "EMFILE was logged: {log}");
    // A spinning accept loop would log thousands of lines in two seconds; backoff
    // (10 ms doubling to 1 s) logs a handful.
    assert!(
        failures < 30,
        "accept was retried {failures} times in ~2 s: it spins"
    );
}
