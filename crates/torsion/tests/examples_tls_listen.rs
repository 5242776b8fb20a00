//! A server example listening on an `ssl:` description (`--listen ssl:...`): the line echo
//! server over TLS, reached by a `tls:` client endpoint; a bad description stops it with a
//! message naming the problem.

mod examples_util;
mod tls_util;
mod util;

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use examples_util::Program;
use tls_util::Pki;
use torsion::endpoints::{client_from_string, quote_argument};
use torsion::{Cx, Failure, Protocol};

/// A directory under the system's temp dir, removed with what it holds when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "torsion-examples-tls-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sends two lines, the second `quit`, and keeps the replies until the server closes.
struct Talk {
    replies: Rc<RefCell<Vec<u8>>>,
    lost: Rc<RefCell<Option<Failure>>>,
}

impl Protocol for Talk {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"hello over TLS\r\nquit\r\n");
    }
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.replies.borrow_mut().extend_from_slice(data);
    }
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        *self.lost.borrow_mut() = Some(reason.clone());
    }
}

#[test]
fn line_echo_server_serves_tls_from_an_ssl_description() {
    let pki = Pki::new();
    let dir = TempDir::new("line-echo");
    let key = Pki::write(&dir.0, "key.pem", &pki.server.key);
    let cert = Pki::write(&dir.0, "cert.pem", &pki.server.cert);
    let roots = dir.0.join("roots");
    std::fs::create_dir_all(&roots).unwrap();
    Pki::write(&roots, "ca.pem", &pki.ca.cert);
    let quoted = |p: &PathBuf| quote_argument(p.to_str().unwrap());
    let listen = format!(
        "ssl:0:interface=127.0.0.1:privateKey={}:certKey={}",
        quoted(&key),
        quoted(&cert)
    );
    let server = Program::start("line_echo_server", &["--listen", &listen]);
    let port = server.listening_port();

    let reactor = util::reactor();
    let description = format!("tls:localhost:{port}:trustRoots={}", quoted(&roots));
    let endpoint = client_from_string(&reactor, &description).unwrap();
    let (replies, lost) = (Rc::default(), Rc::default());
    let talk = Talk {
        replies: Rc::clone(&replies),
        lost: Rc::clone(&lost),
    };
    let _ = endpoint.connect({
        let mut talk = Some(talk);
        move |_peer| talk.take()
    });
    let done = lost.clone();
    util::run_until(&reactor, move || done.borrow().is_some());
    assert_eq!(
        String::from_utf8_lossy(&replies.borrow()),
        "You said: hello over TLS\r\nGoodbye.\r\n",
        "{}",
        server.report()
    );
    let reason = lost.borrow().clone().unwrap();
    assert!(
        reason.check::<torsion::error::ConnectionDone>(),
        "the server closes with close_notify: {reason}"
    );
}

#[test]
fn a_server_example_with_an_unreadable_key_exits_non_zero_saying_why() {
    let dir = TempDir::new("bad-key");
    let absent = dir.0.join("absent-key.pem");
    let listen = format!(
        "ssl:0:privateKey={}",
        quote_argument(absent.to_str().unwrap())
    );
    let mut server = Program::start("line_echo_server", &["--listen", &listen]);
    let (status, _) = server.wait_for_exit(Duration::from_secs(30));
    assert!(!status.success(), "{}", server.report());
    let stderr = server.stderr_lines().join("\n");
    assert!(
        stderr.contains("privateKey") && stderr.contains("absent-key.pem"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot be read"), "{stderr}");
}
