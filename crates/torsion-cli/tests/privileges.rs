//! `--uid` / `--gid`: the ports are bound as root, then the process runs as the user;
//! root refuses a pid file anyone may write.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use support::*;

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The real, effective, saved and file-system ids of `pid` from `/proc`.
fn ids(pid: i32, field: &str) -> Vec<u32> {
    let status = read(std::path::Path::new(&format!("/proc/{pid}/status")));
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect()
}

#[test]
fn the_server_drops_to_nobody_after_binding() {
    assert!(
        is_root(),
        "these tests run as root (CI does): they check privilege dropping"
    );
    let mut server = Foreground::start({
        let mut c = torsion();
        c.args([
            "--uid", "nobody", "--gid", "nogroup", "reverse", "--port", "0",
        ]);
        c
    });
    let port = server.port();
    server.wait_for("reverse started");
    assert_eq!(ids(server.pid(), "Uid:"), [65534; 4]);
    assert_eq!(ids(server.pid(), "Gid:"), [65534; 4]);
    let mut client = connect(port);
    assert_eq!(ask(&mut client, "nobody"), "ydobon");
    server.signal(libc::SIGTERM);
    drop(client);
    let (status, _, _) = server.finish();
    assert!(status.success());
}

#[test]
fn root_refuses_a_world_writable_pid_file_and_an_unknown_user() {
    assert!(is_root());
    let dir = TempDir::new("world-writable");
    let pidfile = dir.join("rev.pid");
    fs::write(&pidfile, "").unwrap();
    fs::set_permissions(&pidfile, fs::Permissions::from_mode(0o666)).unwrap();
    let output = run({
        let mut c = torsion();
        c.arg("--pidfile")
            .arg(&pidfile)
            .args(["reverse", "--port", "0"]);
        c
    });
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to run as root with the pid file"),
        "{stderr}"
    );

    let output = run({
        let mut c = torsion();
        c.args(["--uid", "no-such-user-here", "reverse", "--port", "0"]);
        c
    });
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no user \"no-such-user-here\""));
}

#[test]
fn a_pid_file_root_wrote_outlives_a_daemon_run_as_nobody_and_is_then_stale() {
    assert!(is_root());
    let dir = TempDir::new("nobody-pidfile");
    let pidfile = dir.join("rev.pid");
    let start = || {
        let mut c = torsion();
        c.current_dir(dir.path())
            .args([
                "-d",
                "--pidfile",
                "rev.pid",
                "--logfile",
                "rev.log",
                "--uid",
                "nobody",
            ])
            .args(["reverse", "--port", "0"]);
        c
    };
    let first = Daemon::start(start(), &pidfile);
    assert_eq!(ids(first.pid, "Uid:"), [65534; 4]);
    first.stop();
    // Written as root in a directory only root may write: nobody cannot remove it.
    assert!(pidfile.exists());
    let log = read(&dir.join("rev.log"));
    assert!(log.contains("could not remove the pid file"), "{log}");

    let second = Daemon::start(start(), &pidfile);
    let log = read(&dir.join("rev.log"));
    assert!(
        log.contains(&format!(
            "removed a stale pid file (process {} is gone)",
            first.pid
        )),
        "{log}"
    );
    second.stop();
}
