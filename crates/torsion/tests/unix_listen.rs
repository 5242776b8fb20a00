//! Listening on UNIX sockets: the socket file's mode, a stale file with and without
//! `want_pid`, `check_pid` on the client, and the file removed when the port or the
//! reactor stops.

mod util;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use torsion::error::{BadFileError, CannotListenError};
use torsion::{Protocol, UnixConnectOptions, UnixListenOptions};
use util::{Record, RecordingClientFactory};

struct Quiet;
impl Protocol for Quiet {}

fn sock_path(name: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("torsion-listen-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(lock_of(&path));
    path
}

/// Whether the lock file (a symbolic link to a pid, so `exists` would not do) is there.
fn lock_exists(path: &Path) -> bool {
    std::fs::symlink_metadata(lock_of(path)).is_ok()
}

fn lock_of(path: &Path) -> PathBuf {
    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    lock.into()
}

/// Leaves a socket file nobody listens on, as a crashed listener would.
fn stale_socket(path: &Path) {
    drop(std::os::unix::net::UnixListener::bind(path).unwrap());
    assert!(std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_socket());
}

/// A pid no process has: a child that was started and reaped.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn mode_sets_the_socket_files_permissions() {
    let reactor = util::reactor();
    let path = sock_path("mode");
    let options = UnixListenOptions {
        mode: 0o600,
        ..UnixListenOptions::default()
    };
    let port = reactor
        .listen_unix_with(&path, |_peer| Some(Quiet), options)
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    port.stop_listening();
    let port = reactor.listen_unix(&path, |_peer| Some(Quiet)).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666, "Twisted's default mode");
    port.stop_listening();
}

#[test]
fn without_want_pid_an_existing_file_is_never_removed() {
    let reactor = util::reactor();
    let path = sock_path("stale-plain");
    stale_socket(&path);
    let err = reactor.listen_unix(&path, |_peer| Some(Quiet)).unwrap_err();
    assert!(err.check::<CannotListenError>(), "{err}");
    assert!(err.to_string().contains("Address already in use"), "{err}");
    assert!(path.exists(), "the file is left alone, as Twisted does");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn with_want_pid_a_dead_listeners_socket_is_taken_over() {
    let reactor = util::reactor();
    let path = sock_path("stale-dead");
    stale_socket(&path);
    std::os::unix::fs::symlink(dead_pid().to_string(), lock_of(&path)).unwrap();
    let options = UnixListenOptions {
        want_pid: true,
        ..UnixListenOptions::default()
    };
    let port = reactor
        .listen_unix_with(&path, |_peer| Some(util::Echo), options)
        .expect("the stale socket is replaced");
    let holder = std::fs::read_link(lock_of(&path)).unwrap();
    assert_eq!(holder.to_str().unwrap(), std::process::id().to_string());
    let p = path.clone();
    let client = util::thread(move || {
        use std::io::{Read, Write};
        let mut s = std::os::unix::net::UnixStream::connect(&p).unwrap();
        s.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
        s.write_all(b"up").unwrap();
        let mut buf = [0; 2];
        s.read_exact(&mut buf).unwrap();
        buf
    });
    util::run_until_finished(&reactor, &client);
    assert_eq!(&client.join(), b"up");
    port.stop_listening();
    assert!(!path.exists() && !lock_exists(&path));
}

#[test]
fn with_want_pid_a_live_listener_keeps_its_socket() {
    let reactor = util::reactor();
    let path = sock_path("live");
    let options = UnixListenOptions {
        want_pid: true,
        ..UnixListenOptions::default()
    };
    let first = reactor
        .listen_unix_with(&path, |_peer| Some(Quiet), options.clone())
        .unwrap();
    let err = reactor
        .listen_unix_with(&path, |_peer| Some(Quiet), options)
        .unwrap_err();
    assert!(err.check::<CannotListenError>(), "{err}");
    assert!(err.to_string().contains("Cannot acquire lock"), "{err}");
    assert!(
        first.listening() && path.exists(),
        "the live listener is untouched"
    );
    first.stop_listening();
}

#[test]
fn check_pid_fails_without_a_live_lock_and_connects_with_one() {
    let reactor = util::reactor();
    let path = sock_path("checkpid");
    let options = UnixConnectOptions {
        check_pid: true,
        ..UnixConnectOptions::default()
    };
    // A listener without a lock: check_pid refuses to connect.
    let port = reactor.listen_unix(&path, |_peer| Some(Quiet)).unwrap();
    let record = Record::new();
    reactor.connect_unix_with(
        &path,
        RecordingClientFactory::stopping(&record, &reactor),
        options.clone(),
    );
    util::run(&reactor);
    assert!(
        record.last_reason().check::<BadFileError>(),
        "{}",
        record.last_reason()
    );
    port.stop_listening();
    // With the lock: it connects.
    let locked = UnixListenOptions {
        want_pid: true,
        ..UnixListenOptions::default()
    };
    let port = reactor
        .listen_unix_with(&path, |_peer| Some(Quiet), locked)
        .unwrap();
    let record = Record::new();
    let connector = reactor.connect_unix_with(
        &path,
        RecordingClientFactory::stopping(&record, &reactor),
        options,
    );
    let rec = record.clone();
    let r = reactor.clone();
    util::run_until(&reactor, move || {
        if rec.has("connection_made") {
            r.stop();
        }
        false
    });
    assert!(record.has("connection_made"), "{:?}", record.events());
    connector.disconnect();
    port.stop_listening();
}

#[test]
fn the_socket_file_goes_at_stop_listening_and_at_reactor_shutdown() {
    let reactor = util::reactor();
    let path = sock_path("removed");
    let port = reactor.listen_unix(&path, |_peer| Some(Quiet)).unwrap();
    assert!(path.exists());
    let fired = std::rc::Rc::new(std::cell::Cell::new(false));
    let (f, r) = (fired.clone(), reactor.clone());
    port.stop_listening().add_callback(move |()| {
        f.set(true);
        r.stop();
        Ok(())
    });
    assert!(!path.exists(), "removed before stop_listening returns");
    util::run(&reactor);
    assert!(fired.get(), "the Deferred fired");

    let locked = UnixListenOptions {
        want_pid: true,
        ..UnixListenOptions::default()
    };
    let port = reactor
        .listen_unix_with(&path, |_peer| Some(Quiet), locked)
        .unwrap();
    assert!(path.exists() && lock_exists(&path));
    let r = reactor.clone();
    reactor.call_when_running(move || r.stop());
    reactor.run().unwrap();
    assert!(!port.listening());
    assert!(
        !path.exists(),
        "the reactor's shutdown removed the socket file"
    );
    assert!(!lock_exists(&path), "and its lock");
}
