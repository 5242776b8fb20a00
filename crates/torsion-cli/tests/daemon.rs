//! `torsion -d`: the seeds' reversing server run as a daemon (`twistd -y reverse_app.py`),
//! its pid file (live, stale, removed) and its log file (reopened on SIGHUP).

mod support;

use std::fs;
use std::io::Write;

use support::*;

fn daemon_command(dir: &TempDir, extra: &[&str]) -> std::process::Command {
    let mut command = torsion();
    command
        .current_dir(dir.path())
        .args(["-d", "--pidfile", "rev.pid", "--logfile", "rev.log"])
        .args(extra)
        .args(["reverse", "--port", "0"]);
    command
}

#[test]
fn the_seed_reverse_daemon_serves_logs_and_stops_on_sigterm() {
    let dir = TempDir::new("seed");
    let pidfile = dir.join("rev.pid");
    let daemon = Daemon::start(daemon_command(&dir, &[]), &pidfile);
    assert_ne!(daemon.pid as u32, std::process::id());
    assert!(alive(daemon.pid));
    let log = read(&dir.join("rev.log"));
    let port = port_of(
        log.lines()
            .find(|l| l.contains("listening on"))
            .expect(&log),
    );

    let mut client = connect(port);
    assert_eq!(ask(&mut client, "hello world!"), "!dlrow olleh");
    client.write_all(b"quit\r\n").unwrap();
    assert!(
        read_to_close(&mut client).is_empty(),
        "quit closes the connection"
    );

    wait_until("the log has the connection", || {
        read(&dir.join("rev.log")).contains("closed: ConnectionDone")
    });
    daemon.stop();
    assert!(!pidfile.exists(), "the pid file is removed on exit");
    let log = read(&dir.join("rev.log"));
    for expected in [
        "[reverse#info] listening on 0.0.0.0:",
        "[reverse#info] connection from 127.0.0.1:",
        "[reverse#info] received SIGTERM",
        "[reverse#info] reverse stopped",
    ] {
        assert!(
            log.contains(expected),
            "{expected:?} not in the log:\n{log}"
        );
    }
}

#[test]
fn a_live_pid_file_is_refused_and_a_stale_one_replaced() {
    let dir = TempDir::new("pidfile");
    let pidfile = dir.join("rev.pid");
    let first = Daemon::start(daemon_command(&dir, &[]), &pidfile);

    let refused = run(daemon_command(&dir, &[]));
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!("another server is running with pid {}", first.pid)),
        "{stderr}"
    );
    assert_eq!(read(&pidfile).trim(), first.pid.to_string(), "left alone");
    first.stop();

    // A pid file left by a process that is gone.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let stale = gone.id();
    gone.wait().unwrap();
    fs::write(&pidfile, format!("{stale}\n")).unwrap();
    let second = Daemon::start(daemon_command(&dir, &[]), &pidfile);
    assert_ne!(second.pid as u32, stale);
    let log = read(&dir.join("rev.log"));
    assert!(
        log.contains(&format!(
            "removed a stale pid file (process {stale} is gone)"
        )),
        "{log}"
    );
    second.stop();
    assert!(!pidfile.exists());
}

#[test]
fn sighup_reopens_the_log_file_for_rotation() {
    let dir = TempDir::new("rotate");
    let pidfile = dir.join("rev.pid");
    let daemon = Daemon::start(daemon_command(&dir, &[]), &pidfile);
    let log = dir.join("rev.log");
    let port = port_of(
        read(&log)
            .lines()
            .find(|l| l.contains("listening on"))
            .unwrap(),
    );

    fs::rename(&log, dir.join("rev.log.1")).unwrap();
    send_signal(daemon.pid, libc::SIGHUP);
    wait_until("the daemon opens a new log file", || {
        read(&log).contains("reopened the log file")
    });
    let mut client = connect(port);
    assert_eq!(ask(&mut client, "rotated"), "detator");
    wait_until("the connection is in the new file", || {
        read(&log).contains("connection from")
    });
    assert!(alive(daemon.pid), "SIGHUP does not stop the daemon");
    drop(client);
    wait_until("the connection is closed", || {
        read(&log).contains("closed: ")
    });

    daemon.stop();
    let old = read(&dir.join("rev.log.1"));
    assert!(
        old.contains("listening on") && !old.contains("connection from"),
        "{old}"
    );
    assert!(read(&log).contains("reverse stopped"));
}

#[test]
fn a_daemon_that_cannot_start_says_why_and_exits_1() {
    let dir = TempDir::new("cannot");
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = run({
        let mut command = torsion();
        command
            .current_dir(dir.path())
            .args(["-d", "--pidfile", "rev.pid", "--logfile", "rev.log"])
            .args(["reverse", "--port", &port]);
        command
    });
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("torsion: cannot listen on tcp:{port}")),
        "{stderr}"
    );
    assert!(
        !dir.join("rev.pid").exists(),
        "no pid file for a daemon that did not start"
    );
    assert!(read(&dir.join("rev.log")).contains("cannot listen"));

    let stdout_log = run({
        let mut command = torsion();
        command.args(["-d", "--logfile", "-", "reverse"]);
        command
    });
    assert_eq!(stdout_log.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stdout_log.stderr).contains("cannot be used with --daemon"));
}
