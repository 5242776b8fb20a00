//! UNIX stream sockets over real sockets: echo, half-close, connect failures, abstract
//! names, addresses, peer credentials.

mod util;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::rc::Rc;

use torsion::error::{ConnectError, ConnectionRefused};
use torsion::{Address, Cx, Protocol, UnixAddress};
use util::{Record, RecordingClientFactory};

fn sock_path(name: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("torsion-stream-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn a_std_client_gets_its_bytes_echoed() {
    let reactor = util::reactor();
    let path = sock_path("echo");
    reactor
        .listen_unix(&path, |_peer| Some(util::Echo))
        .unwrap();
    let p = path.clone();
    let client = util::thread(move || {
        let mut s = UnixStream::connect(&p).unwrap();
        s.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
        s.write_all(b"hello over a UNIX socket").unwrap();
        let mut buf = [0; 24];
        s.read_exact(&mut buf).unwrap();
        buf
    });
    util::run_until_finished(&reactor, &client);
    assert_eq!(&client.join(), b"hello over a UNIX socket");
}

#[test]
fn a_torsion_client_talks_to_a_torsion_server_and_both_see_unix_addresses() {
    let reactor = util::reactor();
    let path = sock_path("pair");
    let addresses = Rc::new(std::cell::RefCell::new(Vec::new()));
    let a = addresses.clone();
    /// Records its transport's host and peer, echoes.
    struct Where(Rc<std::cell::RefCell<Vec<(Address, Address)>>>);
    impl Protocol for Where {
        fn connection_made(&mut self, cx: &mut Cx<Self>) {
            let t = cx.transport();
            self.0.borrow_mut().push((t.get_host(), t.get_peer()));
        }
        fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
            cx.transport().write(data);
        }
    }
    reactor
        .listen_unix(&path, move |_peer| Some(Where(a.clone())))
        .unwrap();
    let record = Record::new();
    let mut factory = RecordingClientFactory::stopping(&record, &reactor);
    factory.greeting = b"ping".to_vec();
    let connector = reactor.connect_unix(&path, factory);
    assert_eq!(connector.get_destination().host, path.display().to_string());
    let client_ends = Rc::new(std::cell::RefCell::new(None));
    let (r, rec, c, ends) = (
        reactor.clone(),
        record.clone(),
        connector.clone(),
        client_ends.clone(),
    );
    util::run_until(&reactor, move || {
        if rec.data_len() >= 4 {
            let t = c.transport().expect("connected");
            *ends.borrow_mut() = Some((t.get_host(), t.get_peer()));
            r.stop();
        }
        false
    });
    assert_eq!(record.data(), b"ping");
    assert_eq!(
        client_ends.borrow().clone(),
        Some((
            Address::Unix(UnixAddress::Unnamed),
            Address::Unix(UnixAddress::Path(path.clone()))
        ))
    );
    let seen = addresses.borrow().clone();
    assert_eq!(
        seen,
        [(
            Address::Unix(UnixAddress::Path(path.clone())),
            Address::Unix(UnixAddress::Unnamed)
        )]
    );
}

#[test]
fn half_close_lets_the_server_answer_after_the_clients_eof() {
    /// Collects everything, answers with its length once the peer's side is shut.
    struct CountThenClose(usize);
    impl Protocol for CountThenClose {
        fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
            self.0 += data.len();
        }
        fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
            cx.transport().write(format!("{} bytes\n", self.0));
            cx.transport().lose_connection();
        }
    }
    let reactor = util::reactor();
    let path = sock_path("half");
    reactor
        .listen_unix(&path, |_peer| Some(CountThenClose(0)))
        .unwrap();
    let p = path.clone();
    let client = util::thread(move || {
        let mut s = UnixStream::connect(&p).unwrap();
        s.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
        s.write_all(&[7; 1000]).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    });
    util::run_until_finished(&reactor, &client);
    assert_eq!(client.join(), "1000 bytes\n");
}

#[test]
fn our_half_close_sends_eof_and_keeps_reading() {
    /// Writes, shuts its writing side, then records what comes back.
    struct ShutThenRead(Rc<Record>);
    impl Protocol for ShutThenRead {
        fn connection_made(&mut self, cx: &mut Cx<Self>) {
            cx.transport().write(b"question");
            cx.transport().lose_write_connection();
        }
        fn write_connection_lost(&mut self, _cx: &mut Cx<Self>) {
            self.0.push("write_connection_lost");
        }
    }
    let reactor = util::reactor();
    let path = sock_path("ourhalf");
    let record = Record::new();
    let rec = record.clone();
    reactor
        .listen_unix(&path, move |_peer| Some(ShutThenRead(rec.clone())))
        .unwrap();
    let p = path.clone();
    let client = util::thread(move || {
        let mut s = UnixStream::connect(&p).unwrap();
        s.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        s.write_all(b"answer").unwrap();
        got
    });
    util::run_until_finished(&reactor, &client);
    assert_eq!(client.join(), b"question");
    assert!(record.has("write_connection_lost"));
}

#[test]
fn connecting_to_no_file_fails_with_a_connect_error() {
    let reactor = util::reactor();
    let record = Record::new();
    let path = sock_path("nofile");
    reactor.connect_unix(&path, RecordingClientFactory::stopping(&record, &reactor));
    util::run(&reactor);
    let reason = record.last_reason();
    assert!(reason.check::<ConnectError>(), "{reason}");
    assert!(reason.to_string().contains("No such file"), "{reason}");
}

#[test]
fn connecting_to_a_stale_file_is_refused() {
    let reactor = util::reactor();
    let record = Record::new();
    let path = sock_path("stale-refused");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists(), "a closed listener leaves its file");
    reactor.connect_unix(&path, RecordingClientFactory::stopping(&record, &reactor));
    util::run(&reactor);
    let reason = record.last_reason();
    assert!(reason.check::<ConnectionRefused>(), "{reason}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn abstract_names_listen_and_connect_without_a_file() {
    let reactor = util::reactor();
    let name = format!("\0torsion-abstract-{}", std::process::id());
    let port = reactor
        .listen_unix(name.as_str(), |_peer| Some(util::Echo))
        .unwrap();
    assert_eq!(
        port.get_host(),
        UnixAddress::Abstract(name.as_bytes()[1..].to_vec())
    );
    let record = Record::new();
    let mut factory = RecordingClientFactory::stopping(&record, &reactor);
    factory.greeting = b"abstract".to_vec();
    reactor.connect_unix(name.as_str(), factory);
    let (r, rec) = (reactor.clone(), record.clone());
    util::run_until(&reactor, move || {
        if rec.data_len() >= 8 {
            r.stop();
        }
        false
    });
    assert_eq!(record.data(), b"abstract");
    port.stop_listening();
}

#[test]
fn peer_credentials_are_our_own_process() {
    /// Records the peer's credentials.
    struct Creds(
        Rc<std::cell::RefCell<Option<torsion::PeerCredentials>>>,
        torsion::Reactor,
    );
    impl Protocol for Creds {
        fn connection_made(&mut self, cx: &mut Cx<Self>) {
            *self.0.borrow_mut() = Some(cx.transport().get_peer_credentials().unwrap());
            self.1.stop();
        }
    }
    let reactor = util::reactor();
    let path = sock_path("creds");
    let seen = Rc::new(std::cell::RefCell::new(None));
    let (s, r) = (seen.clone(), reactor.clone());
    reactor
        .listen_unix(&path, move |_peer| Some(Creds(s.clone(), r.clone())))
        .unwrap();
    let p = path.clone();
    let client = util::thread(move || UnixStream::connect(&p).unwrap());
    util::run(&reactor);
    drop(client.join());
    let creds = seen.borrow().expect("credentials read");
    // SAFETY: getuid and getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    assert_eq!(
        creds,
        torsion::PeerCredentials {
            pid: std::process::id(),
            uid,
            gid
        }
    );
}
