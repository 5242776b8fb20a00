//! `torsion portforward` beside Twisted's own `twist portforward` (`python -m twisted`):
//! the same bytes come back through both to the same echo server, a refused destination
//! closes the client on both, both log lines of the same shape (`TIME [system#level]
//! message`), and both exit 0 on SIGINT. Twisted comes from `.ci/run`'s `.venv` (or
//! `TORSION_TWISTED_PYTHON`); without it the test says so and passes, except under CI.

mod support;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;

use support::*;

fn twisted_python() -> Option<PathBuf> {
    let candidate = match std::env::var_os("TORSION_TWISTED_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    let works = Command::new(&candidate)
        .args(["-c", "import twisted"])
        .output()
        .is_ok_and(|out| out.status.success());
    if works {
        return Some(candidate);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "Twisted is missing: .ci/run installs it into .venv"
    );
    eprintln!("skipped: no Python with Twisted (run .ci/run, or set TORSION_TWISTED_PYTHON)");
    None
}

/// Whether `line` has the shape of a `twist` text log line:
/// `2026-11-24T10:00:00+0000 [system#level] message` (Twisted writes `[-]` for events
/// with no namespace).
fn is_text_log_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() < 28
        || !(digits(0..4) && digits(5..7) && digits(8..10) && digits(11..13))
        || !(digits(14..16) && digits(17..19) && digits(20..24))
        || &line[4..5] != "-"
        || &line[10..11] != "T"
        || !matches!(&line[19..20], "+" | "-")
        || &line[24..26] != " ["
    {
        return false;
    }
    let Some((bracket, message)) = line[26..].split_once("] ") else {
        return false;
    };
    let levelled = bracket.rsplit_once('#').is_some_and(|(system, level)| {
        !system.is_empty() && ["debug", "info", "warn", "error", "critical"].contains(&level)
    });
    (bracket == "-" || levelled) && !message.is_empty()
}

/// Sends `payload` through the forwarder on `port` and reads as many bytes back (the
/// echo server sends them back); the connection is then dropped. Twisted's forwarder
/// closes both sides when the client half-closes, so the client does not.
fn round_trip(port: u16, payload: &[u8]) -> Vec<u8> {
    let mut client = connect(port);
    let writer = {
        let mut client = client.try_clone().unwrap();
        let payload = payload.to_vec();
        std::thread::spawn(move || client.write_all(&payload).unwrap())
    };
    let mut back = vec![0u8; payload.len()];
    client.read_exact(&mut back).unwrap();
    writer.join().unwrap();
    back
}

/// Writes to a forwarder whose destination is gone: what comes back before it closes.
fn refused(port: u16) -> Vec<u8> {
    let mut client = connect(port);
    let _ = client.write_all(b"anyone?");
    read_to_close(&mut client)
}

#[test]
fn portforward_behaves_as_twisted_s() {
    let Some(python) = twisted_python() else {
        return;
    };
    let mut echo = Foreground::start({
        let mut c = torsion();
        c.args(["echo", "--listen", "tcp:0:interface=127.0.0.1"]);
        c
    });
    let echo_port = echo.port().to_string();
    let mut twisted = Foreground::start({
        let mut c = Command::new(&python);
        c.args(["-m", "twisted", "--log-format", "text", "portforward"])
            .args(["--port", "tcp:0:interface=127.0.0.1", "--host", "127.0.0.1"])
            .args(["--dest_port", &echo_port]);
        c
    });
    let line = twisted.wait_for("ProxyFactory starting on ");
    let twisted_port: u16 = line.rsplit_once(' ').unwrap().1.parse().unwrap();
    let dest = format!("127.0.0.1:{echo_port}");
    let mut ours = Foreground::start({
        let mut c = torsion();
        c.args([
            "portforward",
            "--listen",
            "tcp:0:interface=127.0.0.1",
            "--dest",
            &dest,
        ]);
        c
    });
    let our_port = ours.port();

    for size in [0usize, 1, 1000, 70_000, 1 << 20] {
        let payload: Vec<u8> = (0..size).map(|i| (i * 7 % 253) as u8).collect();
        let through_twisted = round_trip(twisted_port, &payload);
        let through_ours = round_trip(our_port, &payload);
        assert_eq!(through_twisted.len(), size, "Twisted, {size} bytes");
        assert!(
            through_ours == through_twisted,
            "torsion and Twisted differ at {size} bytes"
        );
    }

    echo.signal(libc::SIGTERM);
    assert!(echo.finish().0.success());
    // The destination is gone: both close the client without a byte.
    assert!(refused(twisted_port).is_empty());
    assert!(refused(our_port).is_empty());

    twisted.signal(libc::SIGINT);
    ours.signal(libc::SIGINT);
    let (twisted_status, twisted_lines, _) = twisted.finish();
    let (our_status, our_lines, _) = ours.finish();
    // Twisted's `twist` re-raises the signal once its reactor has stopped, so it dies by
    // SIGINT; torsion exits 0 after its drain, as issue 13 asks (a supervisor told to
    // stop a service sees it stop cleanly).
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        twisted_status.signal(),
        Some(libc::SIGINT),
        "{twisted_status:?}"
    );
    assert_eq!(our_status.code(), Some(0));
    for line in &twisted_lines {
        assert!(
            is_text_log_line(line),
            "Twisted's line {line:?} has another shape"
        );
    }
    // Beside the log, torsion prints the examples' plain `listening on HOST:PORT`.
    for line in our_lines.iter().filter(|l| !l.starts_with("listening on ")) {
        assert!(
            is_text_log_line(line),
            "our line {line:?} is not shaped as Twisted's"
        );
    }
    assert!(our_lines
        .iter()
        .any(|l| l.contains("[portforward#info] received SIGINT")));
}
