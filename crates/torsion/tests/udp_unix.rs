//! UNIX datagram sockets on the datagram engine: by path (the file is removed when the port
//! stops) and by abstract name, listening and connected.

mod udp_util;
mod util;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use torsion::error::ConnectError;
use torsion::{Address, UnixAddress};
use udp_util::{datagrams, Heard, Recorder};
use util::{reactor, run_until};

/// A fresh folder for socket files, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("torsion-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_path_port_echoes_and_removes_its_file_when_it_stops() {
    let dir = TempDir::new("unix-dgram-path");
    let path = dir.0.join("server.sock");
    let reactor = reactor();
    let (echo, log) = Recorder::echo();
    let port = reactor
        .listen_unix_datagram(UnixAddress::Path(path.clone()), echo, 8192, 0o600)
        .unwrap();
    assert_eq!(
        port.get_host(),
        Address::Unix(UnixAddress::Path(path.clone()))
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let client_path = dir.0.join("client.sock");
    let client = UnixDatagram::bind(&client_path).unwrap();
    client.send_to(b"over a path", &path).unwrap();
    let l = log.clone();
    run_until(&reactor, move || !datagrams(&l).is_empty());
    assert_eq!(
        log.borrow()[1],
        Heard::Datagram(
            b"over a path".to_vec(),
            Address::Unix(UnixAddress::Path(client_path))
        )
    );
    let mut buf = [0; 64];
    let n = client.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"over a path", "echoed to the sender's path");
    port.stop_listening();
    assert!(!path.exists(), "the socket file is removed with the port");
}

#[test]
fn abstract_names_listen_and_connect() {
    let reactor = reactor();
    let name = format!("torsion-test-{}", std::process::id()).into_bytes();
    let (echo, server_log) = Recorder::echo();
    let server = reactor
        .listen_unix_datagram(UnixAddress::Abstract(name.clone()), echo, 8192, 0o666)
        .unwrap();
    let client_name = [name.as_slice(), b"-client"].concat();
    let (recorder, client_log) = Recorder::new();
    let client = reactor
        .connect_unix_datagram(
            UnixAddress::Abstract(name.clone()),
            recorder,
            8192,
            0o666,
            Some(UnixAddress::Abstract(client_name.clone())),
        )
        .unwrap();
    assert_eq!(client.get_peer(), Some(server.get_host()));
    client.write(b"abstract hello", None).unwrap();
    let l = client_log.clone();
    run_until(&reactor, move || !datagrams(&l).is_empty());
    assert_eq!(
        server_log.borrow()[1],
        Heard::Datagram(
            b"abstract hello".to_vec(),
            Address::Unix(UnixAddress::Abstract(client_name))
        )
    );
    assert_eq!(datagrams(&client_log), [b"abstract hello".to_vec()]);
}

#[test]
fn connecting_to_nothing_fails_and_binding_a_taken_path_fails() {
    let dir = TempDir::new("unix-dgram-errors");
    let reactor = reactor();
    let (recorder, _) = Recorder::new();
    let err = reactor
        .connect_unix_datagram(
            UnixAddress::Path(dir.0.join("nobody")),
            recorder,
            8192,
            0o666,
            None,
        )
        .unwrap_err();
    assert!(err.check::<ConnectError>(), "{err}");
    let taken = dir.0.join("taken.sock");
    let _holder = UnixDatagram::bind(&taken).unwrap();
    let (recorder, _) = Recorder::new();
    assert!(reactor
        .listen_unix_datagram(UnixAddress::Path(taken.clone()), recorder, 8192, 0o666)
        .is_err());
    assert!(
        taken.exists(),
        "a failed listen leaves another's file alone"
    );
}
