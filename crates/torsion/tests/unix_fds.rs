//! Descriptors passed over UNIX sockets (SCM_RIGHTS) both ways between a torsion server
//! and a torsion client, one and many at once, before the bytes they came with; and the
//! refusal on a TCP transport.

mod util;

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::rc::Rc;

use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol, Reactor};

fn sock_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("torsion-fds-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// A temp file holding `text`, unlinked (only descriptors keep it).
fn file_with(text: &str) -> File {
    let path = std::env::temp_dir().join(format!(
        "torsion-fds-{}-{}",
        std::process::id(),
        text.len() ^ text.as_ptr() as usize
    ));
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

/// What a received descriptor's file holds.
fn contents(fd: OwnedFd) -> String {
    let mut file = File::from(fd);
    file.rewind().unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

/// What one side saw, in order: `fd:<contents>` for each descriptor, `data:<bytes>` for
/// each run of bytes.
type Seen = Rc<RefCell<Vec<String>>>;

/// Sends one descriptor per text in `send` (each a file holding it), then `bytes`;
/// records what it receives.
struct Passer {
    send: Vec<&'static str>,
    bytes: &'static [u8],
    seen: Seen,
}

/// How many bytes `seen` recorded.
fn data_len(seen: &Seen) -> usize {
    seen.borrow()
        .iter()
        .filter_map(|e| e.strip_prefix("data:"))
        .map(str::len)
        .sum()
}

/// Runs `reactor` until the server saw `at_server` bytes and the client `at_client`.
fn run_until_both(
    reactor: &Reactor,
    server: &Seen,
    at_server: usize,
    client: &Seen,
    at_client: usize,
) {
    let (s, c) = (server.clone(), client.clone());
    util::run_until(reactor, move || {
        data_len(&s) >= at_server && data_len(&c) >= at_client
    });
}

impl Protocol for Passer {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        for text in &self.send {
            let file = file_with(text);
            cx.transport().send_file_descriptor(&file).unwrap();
        }
        if !self.bytes.is_empty() {
            cx.transport().write(self.bytes);
        }
    }

    fn file_descriptor_received(&mut self, _cx: &mut Cx<Self>, fd: OwnedFd) {
        self.seen.borrow_mut().push(format!("fd:{}", contents(fd)));
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.seen
            .borrow_mut()
            .push(format!("data:{}", String::from_utf8_lossy(data)));
    }
}

struct Client(Option<Passer>);

impl ClientFactory for Client {
    type Protocol = Passer;
    fn build_protocol(&mut self, _addr: Address) -> Option<Passer> {
        self.0.take()
    }
    fn client_connection_failed(&mut self, _c: &Connector, reason: &Failure) {
        panic!("connect failed: {reason}");
    }
}

fn passer(send: Vec<&'static str>, bytes: &'static [u8]) -> (Passer, Seen) {
    let seen = Seen::default();
    let p = Passer {
        send,
        bytes,
        seen: seen.clone(),
    };
    (p, seen)
}

/// Runs a server and a client that each send `server_send` / `client_send`.
fn exchange(
    name: &str,
    server_send: (Vec<&'static str>, &'static [u8]),
    client_send: (Vec<&'static str>, &'static [u8]),
) -> (Vec<String>, Vec<String>) {
    let reactor = util::reactor();
    let path = sock_path(name);
    let server_seen = Seen::default();
    let (s, ss) = (server_seen.clone(), server_send.clone());
    reactor
        .listen_unix(&path, move |_peer| {
            let (mut p, _) = passer(ss.0.clone(), ss.1);
            p.seen = s.clone();
            Some(p)
        })
        .unwrap();
    let at_server = client_send.1.len();
    let (client, client_seen) = passer(client_send.0, client_send.1);
    reactor.connect_unix(&path, Client(Some(client)));
    run_until_both(
        &reactor,
        &server_seen,
        at_server,
        &client_seen,
        server_send.1.len(),
    );
    let server = server_seen.borrow().clone();
    let client = client_seen.borrow().clone();
    (server, client)
}

#[test]
fn a_descriptor_goes_from_server_to_client_before_its_bytes() {
    let (_, client) = exchange(
        "s2c",
        (vec!["hello through a descriptor"], b"x"),
        (vec![], b""),
    );
    assert_eq!(client, ["fd:hello through a descriptor", "data:x"]);
}

#[test]
fn several_descriptors_go_from_client_to_server_in_order() {
    let (server, _) = exchange("c2s", (vec![], b""), (vec!["one", "two", "three"], b"abc"));
    assert_eq!(server, ["fd:one", "fd:two", "fd:three", "data:abc"]);
}

#[test]
fn both_ways_at_once() {
    let (server, client) = exchange(
        "both",
        (vec!["from server"], b"S"),
        (vec!["from client"], b"C"),
    );
    assert_eq!(server, ["fd:from client", "data:C"]);
    assert_eq!(client, ["fd:from server", "data:S"]);
}

#[test]
fn more_descriptors_than_one_message_carries_all_arrive() {
    const COUNT: usize = 300;
    let texts: Vec<&'static str> = (0..COUNT)
        .map(|i| &*Box::leak(format!("file {i}").into_boxed_str()))
        .collect();
    let (server, _) = exchange("many", (vec![], b""), (texts.clone(), b"0123456789"));
    let fds: Vec<&String> = server.iter().filter(|e| e.starts_with("fd:")).collect();
    assert_eq!(fds.len(), COUNT, "every descriptor arrived");
    for (i, e) in fds.iter().enumerate() {
        assert_eq!(**e, format!("fd:file {i}"), "in order");
    }
    let data: String = server
        .iter()
        .filter_map(|e| e.strip_prefix("data:"))
        .collect();
    assert_eq!(data, "0123456789");
}

/// Calls `send_file_descriptor` on a TCP transport and keeps the error.
struct TryOnTcp(Rc<RefCell<Option<io::ErrorKind>>>, Reactor);

impl Protocol for TryOnTcp {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let err = cx
            .transport()
            .send_file_descriptor(io::stdout())
            .unwrap_err();
        *self.0.borrow_mut() = Some(err.kind());
        let creds = cx.transport().get_peer_credentials().unwrap_err();
        assert_eq!(creds.kind(), io::ErrorKind::Unsupported);
        self.1.stop();
    }
}

#[test]
fn a_tcp_transport_refuses_descriptors_as_unsupported() {
    let reactor = util::reactor();
    let kind = Rc::new(RefCell::new(None));
    let (k, r) = (kind.clone(), reactor.clone());
    let port = util::listen(&reactor, move |_peer| Some(TryOnTcp(k.clone(), r.clone())));
    let addr = port.get_host();
    let client = util::thread(move || util::connect_std(addr));
    util::run(&reactor);
    drop(client.join());
    assert_eq!(*kind.borrow(), Some(io::ErrorKind::Unsupported));
}

/// A policy that changes nothing: the wrapper alone is under test.
struct PassThrough;
impl torsion::protocols::policies::Policy for PassThrough {}

#[test]
fn a_wrapped_protocol_receives_and_sends_descriptors() {
    use torsion::protocols::policies::ProtocolWrapper;
    let reactor = util::reactor();
    let path = sock_path("wrapped");
    let server_seen = Seen::default();
    let s = server_seen.clone();
    reactor
        .listen_unix(&path, move |_peer| {
            let (mut p, _) = passer(vec!["from the wrapped server"], b"W");
            p.seen = s.clone();
            Some(ProtocolWrapper::new(p, PassThrough))
        })
        .unwrap();
    let (client, client_seen) = passer(vec!["to the wrapped server"], b"c");
    reactor.connect_unix(&path, Client(Some(client)));
    run_until_both(&reactor, &server_seen, 1, &client_seen, 1);
    assert_eq!(
        *server_seen.borrow(),
        ["fd:to the wrapped server", "data:c"]
    );
    assert_eq!(
        *client_seen.borrow(),
        ["fd:from the wrapped server", "data:W"]
    );
}

/// Panics when a descriptor arrives.
struct Panicky(Rc<RefCell<Option<Failure>>>);

impl Protocol for Panicky {
    fn file_descriptor_received(&mut self, _cx: &mut Cx<Self>, _fd: OwnedFd) {
        panic!("no descriptors here");
    }
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        *self.0.borrow_mut() = Some(reason.clone());
    }
}

#[test]
fn a_panic_in_file_descriptor_received_closes_only_that_connection() {
    use torsion::error::CallbackPanicked;
    let reactor = util::reactor();
    let path = sock_path("panic");
    let lost = Rc::new(RefCell::new(None));
    let l = lost.clone();
    let port = reactor
        .listen_unix(&path, move |_peer| Some(Panicky(l.clone())))
        .unwrap();
    let (client, _) = passer(vec!["boom"], b"!");
    reactor.connect_unix(&path, Client(Some(client)));
    // Once the first connection is lost, a second one is served as the first was, by the
    // same port, in the same run.
    let reasons = Rc::new(RefCell::new(Vec::new()));
    let (l, rs, r, p) = (lost.clone(), reasons.clone(), reactor.clone(), path.clone());
    let port_listening = Rc::new(RefCell::new(Vec::new()));
    let pl = port_listening.clone();
    util::run_until(&reactor, move || {
        if let Some(reason) = l.borrow_mut().take() {
            pl.borrow_mut().push(port.listening());
            rs.borrow_mut().push(reason);
            if rs.borrow().len() == 1 {
                let (client, _) = passer(vec!["again"], b"!");
                r.connect_unix(&p, Client(Some(client)));
            }
        }
        rs.borrow().len() == 2
    });
    let reasons = reasons.borrow();
    assert_eq!(reasons.len(), 2);
    for reason in reasons.iter() {
        assert!(reason.check::<CallbackPanicked>(), "{reason}");
    }
    assert_eq!(
        *port_listening.borrow(),
        [true, true],
        "the port went on listening"
    );
}
