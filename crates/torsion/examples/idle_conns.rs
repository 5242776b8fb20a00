//! Idle connections: how much memory does a server spend on each connection that does
//! nothing?
//!
//! ```text
//! cargo build --release --example echo_server --example idle_conns
//! cargo run --release --example idle_conns -- --conns 10000
//! ```
//!
//! Starts a server as a separate process (by default the `echo_server` example built next
//! to this program, with `--port 0 --interface 127.0.0.1`), reads the address from its
//! `listening on ADDR` line, and reads its resident memory (`VmRSS` in `/proc/PID/status`)
//! before and after opening `--conns` connections to it. Each connection sends one byte and
//! waits for its echo, so the server really accepted it and built its protocol; then the
//! connections stay idle. Prints
//!
//! ```text
//! 10000 idle connections: RSS before X KiB, after Y KiB, Z bytes per connection
//! ```
//!
//! Kernel socket buffers are not part of a process's RSS, so the figure is what the server
//! itself keeps per connection (the target is at most 2 KiB).
//!
//! Both sides need a file descriptor per connection. This program raises its own soft
//! `RLIMIT_NOFILE` to the hard limit, and starts the server through
//! `prlimit --nofile=N+1000:N+1000 --`; it stops with a clear message if the hard limit is too
//! low. The server is killed at the end, also when the measurement fails.

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

type Res<T> = Result<T, Box<dyn Error>>;

/// Descriptors this program needs beyond one per connection.
const OWN_SPARE_FDS: u64 = 64;
/// Descriptors the server gets beyond one per connection.
const SERVER_SPARE_FDS: u64 = 1000;
/// How often the server's RSS is sampled while waiting for it to settle.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Equal samples in a row that count as settled.
const SETTLED_SAMPLES: usize = 5;
/// How long to wait for the RSS to settle, for the server to start, for an echo.
const PATIENCE: Duration = Duration::from_secs(10);

/// Measures the server-side memory cost of idle TCP connections.
#[derive(Parser)]
struct Args {
    /// How many idle connections to open.
    #[arg(long, default_value_t = 10_000)]
    conns: u64,
    /// The server to measure, as a command line split on whitespace; it must print
    /// `listening on ADDR` on its standard output. Default: the sibling `echo_server`
    /// binary with `--port 0 --interface 127.0.0.1`.
    #[arg(long)]
    server_cmd: Option<String>,
}

/// The server process; killed when dropped.
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Raises this process's soft `RLIMIT_NOFILE` to its hard limit; returns the hard limit.
fn raise_own_fd_limit() -> Res<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `rlimit` for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(format!("getrlimit: {}", std::io::Error::last_os_error()).into());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: `limit` is a valid `rlimit`, read only by the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(format!("setrlimit: {}", std::io::Error::last_os_error()).into());
        }
    }
    Ok(limit.rlim_max)
}

/// Finds `name` in the directories of `PATH`.
fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The server's command line: `--server-cmd`, or the sibling `echo_server`.
fn server_command_line(args: &Args) -> Res<Vec<String>> {
    if let Some(cmd) = &args.server_cmd {
        let words: Vec<String> = cmd.split_whitespace().map(String::from).collect();
        if words.is_empty() {
            return Err("--server-cmd is empty".into());
        }
        return Ok(words);
    }
    let exe = std::env::current_exe()?;
    let sibling = exe
        .parent()
        .ok_or("this program has no parent directory")?
        .join("echo_server");
    if !sibling.is_file() {
        return Err(format!(
            "{} not found: build it first (cargo build --release --example echo_server) \
             or pass --server-cmd",
            sibling.display()
        )
        .into());
    }
    Ok(vec![
        sibling.display().to_string(),
        "--port".into(),
        "0".into(),
        "--interface".into(),
        "127.0.0.1".into(),
    ])
}

/// Starts the server with enough descriptors for `conns` connections.
fn start_server(mut words: Vec<String>, conns: u64, hard_limit: u64) -> Res<Server> {
    let wanted = conns + SERVER_SPARE_FDS;
    match find_in_path("prlimit") {
        Some(prlimit) if wanted <= hard_limit => {
            let mut wrapped = vec![
                prlimit.display().to_string(),
                format!("--nofile={wanted}:{wanted}"),
                "--".into(),
            ];
            wrapped.append(&mut words);
            words = wrapped;
        }
        Some(_) => {
            return Err(format!(
                "the server needs {wanted} file descriptors ({conns} connections + \
                 {SERVER_SPARE_FDS}) but the hard RLIMIT_NOFILE is {hard_limit}: lower --conns \
                 or raise the hard limit (ulimit -Hn)"
            )
            .into());
        }
        None if conns + 100 <= hard_limit => {
            eprintln!(
                "prlimit not found: the server inherits this program's limit of {hard_limit} \
                 descriptors"
            );
        }
        None => {
            return Err(format!(
                "prlimit not found and the inherited limit of {hard_limit} descriptors is too \
                 low for {conns} connections: lower --conns or install util-linux"
            )
            .into());
        }
    }
    eprintln!("starting server: {}", words.join(" "));
    let child = Command::new(&words[0])
        .args(&words[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", words[0]))?;
    Ok(Server { child })
}

/// Reads the server's output until its `listening on ADDR` line.
fn read_address(stdout: ChildStdout) -> Res<SocketAddr> {
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if let Some(addr) = line.trim().strip_prefix("listening on ") {
            return Ok(addr.parse()?);
        }
    }
    Err("the server exited without printing `listening on ADDR`".into())
}

/// One field of `/proc/PID/status`, e.g. `VmRSS:   2048 kB` → `"2048 kB"`.
fn status_field(pid: u32, field: &str) -> Res<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(|value| value.trim().to_string())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status").into())
}

/// The server's resident memory, in KiB.
fn rss_kib(pid: u32) -> Res<u64> {
    let value = status_field(pid, "VmRSS")?;
    let kib = value
        .strip_suffix(" kB")
        .ok_or_else(|| format!("unexpected VmRSS value {value:?}"))?;
    Ok(kib.trim().parse()?)
}

/// The server's RSS once it has stopped changing (or after [`PATIENCE`], said so).
fn settled_rss_kib(pid: u32) -> Res<u64> {
    let deadline = Instant::now() + PATIENCE;
    let mut last = rss_kib(pid)?;
    let mut same = 1;
    while same < SETTLED_SAMPLES {
        if Instant::now() > deadline {
            eprintln!("RSS still moving after {PATIENCE:?}; taking {last} KiB");
            break;
        }
        std::thread::sleep(SAMPLE_EVERY);
        let now = rss_kib(pid)?;
        same = if now == last { same + 1 } else { 1 };
        last = now;
    }
    Ok(last)
}

/// The server's open-file limit line from `/proc/PID/limits`.
fn fd_limit_line(pid: u32) -> Res<String> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits"))?;
    limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .ok_or_else(|| "no open-file limit in /proc/PID/limits".into())
}

/// How many descriptors the server holds open.
fn open_fds(pid: u32) -> Res<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// Opens one connection and waits for the echo of one byte.
fn connect_and_echo(addr: SocketAddr) -> Res<TcpStream> {
    let mut conn = TcpStream::connect(addr)?;
    conn.set_read_timeout(Some(PATIENCE))?;
    conn.write_all(b"x")?;
    let mut byte = [0u8; 1];
    conn.read_exact(&mut byte)?;
    if byte != *b"x" {
        return Err(format!("the server echoed {byte:?} for \"x\"").into());
    }
    Ok(conn)
}

fn measure(args: &Args) -> Res<()> {
    let hard_limit = raise_own_fd_limit()?;
    if args.conns + OWN_SPARE_FDS > hard_limit {
        return Err(format!(
            "{} connections need {} descriptors here but the hard RLIMIT_NOFILE is \
             {hard_limit}: lower --conns or raise the hard limit (ulimit -Hn)",
            args.conns,
            args.conns + OWN_SPARE_FDS
        )
        .into());
    }
    let words = server_command_line(args)?;
    let mut server = start_server(words, args.conns, hard_limit)?;
    let pid = server.child.id();
    let stdout = server.child.stdout.take().ok_or("no stdout pipe")?;
    let addr = read_address(stdout)?;
    eprintln!(
        "server {} (pid {pid}) listening on {addr}; {}",
        status_field(pid, "Name")?,
        fd_limit_line(pid)?
    );

    // One connection first, so lazily built state (read buffer, first slab page) is in
    // "before" and not counted per connection.
    drop(connect_and_echo(addr)?);
    let before = settled_rss_kib(pid)?;
    let fds_before = open_fds(pid)?;

    let started = Instant::now();
    let mut conns = Vec::new();
    for i in 0..args.conns {
        let conn = connect_and_echo(addr).map_err(|err| format!("connection {i}: {err}"))?;
        conns.push(conn);
    }
    eprintln!(
        "opened {} connections in {} ms",
        conns.len(),
        started.elapsed().as_millis()
    );
    let after = settled_rss_kib(pid)?;
    let fds_after = open_fds(pid)?;
    eprintln!("server descriptors: {fds_before} before, {fds_after} after");

    let per_conn = (after as f64 - before as f64) * 1024.0 / args.conns.max(1) as f64;
    println!(
        "{} idle connections: RSS before {before} KiB, after {after} KiB, {per_conn:.0} bytes \
         per connection",
        args.conns
    );
    drop(server);
    drop(conns);
    Ok(())
}

fn main() {
    let args = Args::parse();
    if let Err(err) = measure(&args) {
        eprintln!("idle_conns: {err}");
        std::process::exit(1);
    }
}
