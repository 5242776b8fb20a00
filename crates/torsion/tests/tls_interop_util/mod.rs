//! Helpers for the TLS interop tests: find the outside programs (`openssl`, `python3`) or
//! fail saying what to install, a scratch directory for certificates and scripts, outside
//! programs run as children whose output is read line by line, and a reactor run with a
//! guard deadline long enough for a loaded machine.

mod openssl;
mod peer;
mod protocols;
mod starttls;
mod torsion_side;

pub use openssl::{echo_through_s_client, s_client, s_server_rev, s_server_rev_with};
pub use peer::Peer;
pub use protocols::{Closer, ExchangeFactory, ServerEcho, Then};
pub use starttls::StartTlsServer;
pub use torsion_side::{drive, exchange, exchange_with, serve_echo, tls_error};

use protocols::hex;

use std::cell::Cell;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use torsion::{LoopingCall, Reactor, ReactorTime};

use crate::tls_util::Pki;
use crate::util::Record;

/// How long one expected event from an outside program may take before the test fails
/// (a guard only: nothing waits for it to pass).
pub const GUARD: Duration = Duration::from_secs(30);

/// The `openssl` command line tool, checked to run.
///
/// # Panics
///
/// If it cannot be run, with what to install: these tests fail rather than pass
/// silently without their outside peer.
pub fn openssl() -> &'static str {
    require(
        "openssl",
        &["version"],
        "Debian's `openssl` package: apt-get install -y openssl",
    )
}

/// The `python3` interpreter, checked to run and to have its `ssl` module.
///
/// # Panics
///
/// As [`openssl`].
pub fn python3() -> &'static str {
    require(
        "python3",
        &["-c", "import ssl"],
        "python3 with its ssl module: apt-get install -y python3",
    )
}

fn require(program: &'static str, probe: &[&str], install: &str) -> &'static str {
    let ran = Command::new(program)
        .args(probe)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match ran {
        Ok(status) if status.success() => program,
        Ok(status) => panic!(
            "`{program} {}` failed ({status}): install {install}",
            probe.join(" ")
        ),
        Err(e) => panic!("cannot run `{program}` ({e}): the TLS interop tests need {install}"),
    }
}

/// A directory of its own under the system's temp dir, removed when dropped.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// A new, empty directory.
    pub fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "torsion-tls-interop-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        Scratch { dir }
    }

    /// Writes `contents` to `name` in the directory; returns the path as a string for a
    /// command line.
    pub fn write(&self, name: &str, contents: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
        path.to_str().expect("a UTF-8 temp path").to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The Python `ssl` echo client: `echo_client.py PORT CA_FILE SIZE`.
pub const PYTHON_ECHO_CLIENT: &str = include_str!("echo_client.py");

/// The Python `ssl` client that tells a clean close from an unclean one:
/// `closing_client.py PORT CA_FILE`.
pub const PYTHON_CLOSING_CLIENT: &str = include_str!("closing_client.py");

/// The Python `ssl` server that answers in upper case: `upper_server.py CERT KEY`.
pub const PYTHON_UPPER_SERVER: &str = include_str!("upper_server.py");

/// The test CA and the client's certificate and key, written where the outside programs
/// can read them (paths), in a scratch directory that lives as long as this.
pub struct Files {
    /// The CA that signed the server and client certificates.
    pub ca: String,
    /// The client certificate.
    pub client_cert: String,
    /// Its key.
    pub client_key: String,
    _dir: Scratch,
}

/// Writes the CA and the client certificate and key into a new scratch directory.
pub fn write_files(pki: &Pki) -> Files {
    let dir = Scratch::new();
    Files {
        ca: dir.write("ca.pem", &pki.ca.cert),
        client_cert: dir.write("client.pem", &pki.client.cert),
        client_key: dir.write("client.key", &pki.client.key),
        _dir: dir,
    }
}

/// What a test against an outside client starts from: a new PKI, its files, a reactor,
/// and the record of torsion's side.
pub fn setup() -> (Pki, Files, Reactor, Rc<Record>) {
    let pki = Pki::new();
    let files = write_files(&pki);
    (pki, files, crate::util::reactor(), Record::new())
}

/// The DER of the first certificate in `pem`, in lower-case hex.
pub fn der_hex(pem: &str) -> String {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .expect("a PEM certificate");
    hex(&der)
}

/// A port that was free a moment ago on 127.0.0.1 (bound with port 0, then closed): for
/// a program that must be told its port. Another process may take it first, so callers
/// retry when the program cannot bind it.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// Runs `reactor` until `done()` holds (checked every 2 ms from the loop).
///
/// # Panics
///
/// If [`GUARD`] passes first: the reactor is stopped, so a hang fails the test.
pub fn run_until(reactor: &Reactor, done: impl Fn() -> bool + 'static) {
    let timed_out = Rc::new(Cell::new(false));
    let (flag, r) = (timed_out.clone(), reactor.clone());
    let guard = reactor.call_later(GUARD, move || {
        flag.set(true);
        r.stop();
    });
    let r = reactor.clone();
    let poll = LoopingCall::new(reactor, move || {
        if done() {
            r.stop();
        }
    });
    poll.start(Duration::from_millis(2), false);
    reactor.run().expect("reactor.run");
    poll.stop();
    let _ = guard.cancel();
    assert!(
        !timed_out.get(),
        "the reactor was still running after {GUARD:?}"
    );
}
