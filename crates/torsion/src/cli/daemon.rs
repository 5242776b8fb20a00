//! Becoming a daemon (`--daemon`): double fork, new session, umask, `chdir /`, standard
//! streams away from the terminal; the first process waits until the daemon reports that
//! it started (or why it could not) and exits with that.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::process;

/// The daemon's line back to the process that started it.
#[derive(Debug)]
pub(super) struct StartupReport {
    channel: Option<UnixStream>,
}

impl StartupReport {
    /// Not a daemon: nobody waits.
    pub(super) fn none() -> StartupReport {
        StartupReport { channel: None }
    }

    /// Tells the waiting process that the daemon runs: it exits 0.
    pub(super) fn ready(&mut self) {
        if let Some(mut channel) = self.channel.take() {
            let _ = channel.write_all(b"ok");
        }
    }

    /// Tells the waiting process why the daemon could not start: it prints `message`
    /// and exits 1.
    pub(super) fn failed(&mut self, message: &str) {
        if let Some(mut channel) = self.channel.take() {
            let _ = channel.write_all(format!("error:{message}").as_bytes());
        }
    }
}

/// Detaches this process from its terminal. Returns only in the daemon; the process
/// that called it exits once the daemon reports, with 0 when it started and 1 (printing
/// the reason as `PROGRAM: REASON`) when it did not. `log_fd` is where the daemon's
/// standard output and error go (the log file), `/dev/null` without one.
///
/// Call it before any thread is started: only the calling thread lives on in the child.
pub(super) fn daemonize(
    program: &str,
    umask: u32,
    log_fd: Option<RawFd>,
) -> io::Result<StartupReport> {
    let (mut waiting, report) = UnixStream::pair()?;
    // SAFETY: fork has no preconditions here; the command has started no thread yet, so
    // the child holds every lock it might need.
    match unsafe { libc::fork() } {
        -1 => return Err(io::Error::last_os_error()),
        0 => {}
        _ => {
            drop(report);
            process::exit(wait_for_report(program, &mut waiting));
        }
    }
    drop(waiting);
    // SAFETY: setsid takes no arguments; it fails only for a group leader, which a
    // fresh child is not.
    if unsafe { libc::setsid() } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above, still one thread. The grandchild leads no session, so it can
    // never acquire a controlling terminal.
    match unsafe { libc::fork() } {
        -1 => return Err(io::Error::last_os_error()),
        0 => {}
        // SAFETY: _exit ends the middle process at once, without running exit handlers
        // or flushing the buffers it shares with the daemon.
        _ => unsafe { libc::_exit(0) },
    }
    // SAFETY: umask takes a value and cannot fail.
    unsafe { libc::umask(umask as libc::mode_t) };
    std::env::set_current_dir("/")?;
    redirect_standard_streams(log_fd)?;
    Ok(StartupReport {
        channel: Some(report),
    })
}

/// Waits for the daemon's report; the exit status to leave with.
fn wait_for_report(program: &str, waiting: &mut UnixStream) -> i32 {
    let mut report = String::new();
    let _ = waiting.read_to_string(&mut report);
    if report == "ok" {
        return 0;
    }
    match report.strip_prefix("error:") {
        Some(message) => eprintln!("{program}: {message}"),
        None => eprintln!("{program}: the daemon exited before it started; see its log"),
    }
    1
}

/// Standard input from `/dev/null`; standard output and error to `log_fd`, or
/// `/dev/null`.
pub(super) fn redirect_standard_streams(log_fd: Option<RawFd>) -> io::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    let out = log_fd.unwrap_or(null.as_raw_fd());
    for (from, to) in [(null.as_raw_fd(), 0), (out, 1), (out, 2)] {
        // SAFETY: both descriptors are open; dup2 replaces `to` atomically.
        if unsafe { libc::dup2(from, to) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
