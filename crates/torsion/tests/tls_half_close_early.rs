//! A TLS half-close asked for before the handshake ends, from another connection's
//! callback: what `tls_echo_client` does when its standard input is a file (or
//! `/dev/null`), read to its end at once inside the TLS connection's `connection_made`.
//! `close_notify` must go out once the handshake is done, after the data written before
//! it, and the server's own close then ends the connection cleanly.

mod tls_util;
mod util;

use std::fs::File;
use std::os::fd::AsFd;
use std::rc::Rc;

use tls_util::Pki;
use torsion::error::ConnectionDone;
use torsion::stdio::StandardIO;
use torsion::{Address, ClientFactory, Cx, Failure, Protocol, Reactor, Transport};
use util::Record;

/// Echoes; the peer's `close_notify` closes it (the default `read_connection_lost`).
struct Echo;
impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// A file read as input: what it holds goes to `server`, its end half-closes `server`.
struct Input {
    server: Transport,
}

impl Protocol for Input {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.server.write(data);
    }
    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.server.lose_write_connection();
    }
}

/// The TLS client: in `connection_made` it starts reading `input` into itself.
struct FromFile {
    reactor: Reactor,
    input: File,
    output: File,
    record: Rc<Record>,
}

impl Protocol for FromFile {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let input = Input {
            server: cx.transport().clone(),
        };
        StandardIO::with_descriptors(
            &self.reactor,
            input,
            self.input.as_fd(),
            self.output.as_fd(),
        )
        .expect("read the file");
    }
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.record.push(String::from_utf8_lossy(data).into_owned());
    }
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.push_reason(reason);
        self.record.push("lost");
    }
}

struct Client {
    reactor: Reactor,
    input: &'static str,
    dir: std::path::PathBuf,
    record: Rc<Record>,
}

impl ClientFactory for Client {
    type Protocol = FromFile;
    fn build_protocol(&mut self, _addr: Address) -> Option<FromFile> {
        let path = self.dir.join("input");
        std::fs::write(&path, self.input).unwrap();
        Some(FromFile {
            reactor: self.reactor.clone(),
            input: File::open(&path).unwrap(),
            output: File::create(self.dir.join("output")).unwrap(),
            record: self.record.clone(),
        })
    }
}

fn echo_of_a_file(name: &str, input: &'static str) -> Rc<Record> {
    let dir = std::env::temp_dir().join(format!(
        "torsion-tls-half-close-early-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let pki = Pki::new();
    let reactor = util::reactor();
    let port = reactor
        .listen_tls(0, |_peer| Some(Echo), pki.server_options())
        .unwrap();
    let record = Record::new();
    let _connector = reactor.connect_tls(
        "127.0.0.1",
        port.get_host().port(),
        Client {
            reactor: reactor.clone(),
            input,
            dir: dir.clone(),
            record: record.clone(),
        },
        pki.client_options("localhost"),
    );
    let rec = record.clone();
    util::run_until(&reactor, move || rec.has("lost"));
    std::fs::remove_dir_all(&dir).unwrap();
    record
}

#[test]
fn the_end_of_an_empty_file_sends_close_notify_after_the_handshake() {
    let record = echo_of_a_file("empty", "");
    assert_eq!(record.events(), ["lost"], "{:?}", record.reasons());
    assert!(record.last_reason().check::<ConnectionDone>());
}

#[test]
fn a_file_read_before_the_handshake_is_echoed_then_closed_cleanly() {
    let record = echo_of_a_file("lines", "one\ntwo\n");
    assert_eq!(
        record.events(),
        ["one\ntwo\n", "lost"],
        "{:?}",
        record.reasons()
    );
    assert!(record.last_reason().check::<ConnectionDone>());
}
