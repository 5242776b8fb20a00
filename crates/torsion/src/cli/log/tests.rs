//! The whole output through `tracing`: files, rotation, levels, syslog datagrams.

use std::fs;
use std::io::Write;
use std::os::fd::{BorrowedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use tracing::Level;

use super::output::Clock;
use super::test_dir::TestDir;
use super::{Facility, LogDestination, LogFormat, LogOutput};

fn pinned() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-24T10:00:00.123+00:00").unwrap()
}

const PINNED: Clock = pinned;

fn file_output(path: &Path, format: LogFormat) -> LogOutput {
    LogOutput::open_with_clock(LogDestination::File(path.into()), format, "reverse", PINNED)
        .unwrap()
}

/// The next datagram the fake syslog daemon gets (a generous timeout only guards a hang).
fn receive(daemon: &UnixDatagram) -> String {
    daemon
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0; 4096];
    let len = daemon.recv(&mut buf).expect("a datagram");
    String::from_utf8(buf[..len].to_vec()).unwrap()
}

fn log_with(output: &LogOutput, max_level: Level, events: impl FnOnce()) {
    tracing::subscriber::with_default(output.subscriber(max_level), events);
}

#[test]
fn text_lines_carry_the_event_and_span_fields() {
    let dir = TestDir::new();
    let path = dir.join("out.log");
    let output = file_output(&path, LogFormat::Text);
    log_with(&output, Level::INFO, || {
        let connection = tracing::info_span!("connection", peer = "127.0.0.1:5000", id = 7);
        let _entered = connection.enter();
        tracing::info!(bytes = 12_u64, reason = "no reason", "echoed");
        tracing::warn!(id = 8, "two\nlines");
    });
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "2026-11-24T10:00:00+0000 [reverse#info] echoed bytes=12 reason=\"no reason\" \
         peer=127.0.0.1:5000 id=7\n\
         2026-11-24T10:00:00+0000 [reverse#warn] two\n\
         2026-11-24T10:00:00+0000 [reverse#warn] lines id=8 peer=127.0.0.1:5000\n"
    );
}

#[test]
fn json_lines_parse_back() {
    let dir = TestDir::new();
    let path = dir.join("out.json");
    let output = file_output(&path, LogFormat::Json);
    log_with(&output, Level::DEBUG, || {
        tracing::debug!(target: "torsion::application::server_service", port = 5000, tls = false, peer = ?"a\"b", "listening\n\"now\"");
    });
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 1);
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({
            "time": "2026-11-24T10:00:00.123+00:00",
            "level": "debug",
            "system": "reverse",
            "target": "torsion::application::server_service",
            "message": "listening\n\"now\"",
            "fields": {"port": 5000, "tls": false, "peer": "\"a\\\"b\""},
        })
    );
}

#[test]
fn events_below_max_level_are_not_written() {
    let levels = [
        Level::ERROR,
        Level::WARN,
        Level::INFO,
        Level::DEBUG,
        Level::TRACE,
    ];
    for (allowed, max_level) in levels.iter().enumerate() {
        let dir = TestDir::new();
        let path = dir.join("out.log");
        let output = file_output(&path, LogFormat::Text);
        log_with(&output, *max_level, || {
            tracing::error!("e");
            tracing::warn!("w");
            tracing::info!("i");
            tracing::debug!("d");
            tracing::trace!("t");
        });
        let text = fs::read_to_string(&path).unwrap();
        let messages: Vec<&str> = text.lines().map(|l| &l[l.len() - 1..]).collect();
        assert_eq!(
            messages,
            ["e", "w", "i", "d", "t"][..=allowed],
            "max level {max_level}"
        );
    }
}

#[test]
fn reopen_after_rename_starts_a_new_file() {
    let dir = TestDir::new();
    let path = dir.join("out.log");
    let rotated = dir.join("out.log.1");
    let output = file_output(&path, LogFormat::Text);
    log_with(&output, Level::INFO, || {
        tracing::info!("before");
        fs::rename(&path, &rotated).unwrap();
        tracing::info!("still old");
        output.reopen().unwrap();
        tracing::info!("after");
    });
    let old = fs::read_to_string(&rotated).unwrap();
    let new = fs::read_to_string(&path).unwrap();
    assert!(old.ends_with("] before\n2026-11-24T10:00:00+0000 [reverse#info] still old\n"));
    assert_eq!(new, "2026-11-24T10:00:00+0000 [reverse#info] after\n");
}

#[test]
fn a_failed_reopen_keeps_the_old_file() {
    let dir = TestDir::new();
    let logs = dir.join("logs");
    fs::create_dir(&logs).unwrap();
    let output = file_output(&logs.join("out.log"), LogFormat::Text);
    let moved = dir.join("moved");
    fs::rename(&logs, &moved).unwrap();
    let err = output.reopen().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    log_with(&output, Level::INFO, || tracing::info!("kept"));
    let text = fs::read_to_string(moved.join("out.log")).unwrap();
    assert!(text.ends_with("] kept\n"), "{text}");
}

#[test]
fn a_new_file_is_not_world_readable_and_is_appended_to() {
    let dir = TestDir::new();
    let path = dir.join("out.log");
    fs::write(&path, "earlier\n").unwrap();
    fs::remove_file(&path).unwrap();
    let output = file_output(&path, LogFormat::Text);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & !0o640, 0, "mode {mode:o}");
    drop(output);

    fs::write(&path, "earlier\n").unwrap();
    let output = file_output(&path, LogFormat::Text);
    log_with(&output, Level::INFO, || tracing::info!("later"));
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("earlier\n2026-"), "{text}");
}

#[test]
fn a_bad_path_fails_at_open() {
    let dir = TestDir::new();
    let missing = dir.join("no-such-dir").join("out.log");
    let err = LogOutput::open(LogDestination::File(missing), LogFormat::Text, "x").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn the_file_descriptor_is_the_log_file() {
    let dir = TestDir::new();
    let path = dir.join("out.log");
    let output = file_output(&path, LogFormat::Text);
    let fd: RawFd = output.file_descriptor().unwrap();
    // SAFETY: `output` keeps the file open for the whole borrow.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let mut file = fs::File::from(borrowed.try_clone_to_owned().unwrap());
    file.write_all(b"panic text\n").unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "panic text\n");

    let stdout = LogOutput::open(LogDestination::Stdout, LogFormat::Text, "x").unwrap();
    assert!(stdout.file_descriptor().is_none());
}

#[test]
fn lines_from_threads_never_interleave() {
    let dir = TestDir::new();
    let path = dir.join("out.log");
    let output = file_output(&path, LogFormat::Text);
    let long = "x".repeat(3000);
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let (output, long) = (output.clone(), long.as_str());
            scope.spawn(move || {
                log_with(&output, Level::INFO, || {
                    for n in 0..100 {
                        tracing::info!(thread, n, "{long}");
                    }
                })
            });
        }
    });
    let text = fs::read_to_string(&path).unwrap();
    let prefix = "2026-11-24T10:00:00+0000 [reverse#info] ";
    assert_eq!(text.lines().count(), 400);
    for line in text.lines() {
        let rest = line.strip_prefix(prefix).expect("a whole line");
        assert!(rest.starts_with(&long), "{line}");
    }
}

#[test]
fn syslog_gets_one_datagram_per_event_with_its_priority() {
    let dir = TestDir::new();
    let socket = dir.join("log");
    let daemon = UnixDatagram::bind(&socket).unwrap();
    let destination = LogDestination::Syslog {
        socket: socket.clone(),
        ident: "reverse".into(),
        facility: Facility::Local0,
    };
    let output = LogOutput::open_with_clock(destination, LogFormat::Text, "echo", PINNED).unwrap();
    log_with(&output, Level::DEBUG, || {
        tracing::error!(code = 2, "failed");
        tracing::info!("up");
        tracing::debug!("");
    });
    let pid = std::process::id();
    let next = || receive(&daemon);
    assert_eq!(
        next(),
        format!("<131>Nov 24 10:00:00 reverse[{pid}]: [echo#error] failed code=2")
    );
    assert_eq!(
        next(),
        format!("<134>Nov 24 10:00:00 reverse[{pid}]: [echo#info] up")
    );
    assert_eq!(
        next(),
        format!("<135>Nov 24 10:00:00 reverse[{pid}]: [echo#debug]")
    );
}

#[test]
fn syslog_in_json_sends_the_object() {
    let dir = TestDir::new();
    let socket = dir.join("log");
    let daemon = UnixDatagram::bind(&socket).unwrap();
    let destination = LogDestination::Syslog {
        socket,
        ident: "r".into(),
        facility: Facility::Daemon,
    };
    let output = LogOutput::open_with_clock(destination, LogFormat::Json, "echo", PINNED).unwrap();
    log_with(&output, Level::INFO, || tracing::warn!(n = 1, "careful"));
    let datagram = receive(&daemon);
    let header = format!("<28>Nov 24 10:00:00 r[{}]: ", std::process::id());
    let object: Value = serde_json::from_str(datagram.strip_prefix(&header).unwrap()).unwrap();
    assert_eq!(object["message"], "careful");
    assert_eq!(object["fields"]["n"], 1);
}

#[test]
fn a_missing_syslog_socket_loses_events_and_nothing_else() {
    let dir = TestDir::new();
    let socket = dir.join("log");
    let destination = LogDestination::Syslog {
        socket: socket.clone(),
        ident: "r".into(),
        facility: Facility::User,
    };
    let output = LogOutput::open(destination, LogFormat::Text, "echo").unwrap();
    assert!(output.file_descriptor().is_none());
    output.reopen().unwrap();
    log_with(&output, Level::INFO, || tracing::info!("nobody listens"));

    let daemon = UnixDatagram::bind(&socket).unwrap();
    log_with(&output, Level::INFO, || tracing::info!("heard"));
    let datagram = receive(&daemon);
    assert!(datagram.ends_with("[echo#info] heard"), "{datagram}");
}
