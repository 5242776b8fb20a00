//! Broadcast chat server (the seeds' "Spreader"): every client is welcomed with its
//! number, every message a client sends goes to all the other clients, and a client that
//! sends `close` is disconnected.
//!
//! ```text
//! cargo run --example chat_server -- --port 8006
//! cargo run --example chat_server -- --port 8006 --reactors 4
//! cargo run --example chat_server -- --listen tcp:8006:interface=127.0.0.1
//! cargo run --example chat_server -- --port 8006 --tls --cert-dir /tmp/chat-tls
//! cargo run --example tls_echo_client -- localhost 8006 --ca /tmp/chat-tls/cert.pem
//! ```
//!
//! With `--tls` every connection speaks TLS, with the certificate of `--cert` and `--key`
//! or, with neither, a self-signed one for `localhost` (written to `--cert-dir`, as
//! `tls_echo_server` does).
//!
//! With `--reactors N` above 1 it runs N reactors, one per thread, each listening on the
//! same port with `SO_REUSEPORT` and keeping its own room: a message goes straight to the
//! other clients of its reactor, and to the other reactors' rooms through
//! [`Peers::call`](torsion::Peers::call).

use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use clap::Parser;
use listen::ListenArgs;
use tls_certificate::CertificateArgs;
use torsion::tls::{ServerOptions, TlsFactory};
use torsion::{run_reactors, Cx, Failure, Peers, Protocol, Reactor, SharedPort, Transport};

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;
#[path = "support/tls_certificate.rs"]
mod tls_certificate;

/// Forwards every message to every other connected client.
#[derive(Parser)]
#[command(group(clap::ArgGroup::new("certificate_files")
    .args(["cert", "key", "cert_dir"]).multiple(true).requires("tls")))]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8006)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
    /// How many reactors (threads) to run, each listening on the port with SO_REUSEPORT
    /// (not with --listen: the reactors share one socket, which --port and --interface
    /// bind).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..),
          conflicts_with = "listen")]
    reactors: u16,
    /// Speak TLS on every connection.
    #[arg(long)]
    tls: bool,
    #[command(flatten)]
    certificate: CertificateArgs,
}

/// What every client of a reactor shares: how many joined so far, and who is here now.
#[derive(Default)]
struct Room {
    joined: usize,
    members: Vec<Transport>,
}

impl Room {
    /// Writes `data` to every member but `sender`.
    fn spread(&self, data: &[u8], sender: Option<&Transport>) {
        for member in self
            .members
            .iter()
            .filter(|t| !sender.is_some_and(|s| t.is(s)))
        {
            member.write(data);
        }
    }
}

thread_local! {
    /// The room of the reactor running on this thread, when the server runs many.
    static ROOM: Rc<RefCell<Room>> = Rc::new(RefCell::new(Room::default()));
}

/// What a reactor knows of the others when the server runs many: how to reach them, and
/// the count of clients joined on all of them (so client numbers stay unique).
struct Group {
    peers: Peers,
    joined: Arc<AtomicUsize>,
}

impl Group {
    /// Sends `data` to every member of every other reactor's room.
    fn spread_to_others(&self, data: &[u8]) {
        for index in (0..self.peers.len()).filter(|&i| i != self.peers.index()) {
            let data = data.to_vec();
            self.peers.call(index, move || {
                ROOM.with(|room| room.borrow().spread(&data, None))
            });
        }
    }
}

/// One chat client's connection.
struct Spreader {
    room: Rc<RefCell<Room>>,
    client_id: String,
    group: Option<Rc<Group>>,
}

impl Spreader {
    fn new(room: Rc<RefCell<Room>>) -> Spreader {
        Spreader {
            room,
            client_id: random_id(),
            group: None,
        }
    }

    /// A client of one reactor among many: `room` is that reactor's own.
    fn in_group(room: Rc<RefCell<Room>>, group: Rc<Group>) -> Spreader {
        Spreader {
            group: Some(group),
            ..Spreader::new(room)
        }
    }
}

/// Eight random lowercase letters and digits, to tell clients apart in the log.
fn random_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut n = RandomState::new().build_hasher().finish();
    (0..8)
        .map(|_| {
            let c = ALPHABET[(n % 36) as usize];
            n /= 36;
            char::from(c)
        })
        .collect()
}

/// `data` with one trailing `\n` or `\r\n` removed.
fn without_line_end(data: &[u8]) -> &[u8] {
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    data.strip_suffix(b"\r").unwrap_or(data)
}

impl Protocol for Spreader {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let mut room = self.room.borrow_mut();
        room.joined += 1;
        let number = match &self.group {
            None => {
                println!("new connect: {}", room.joined);
                room.joined
            }
            Some(group) => {
                let number = group.joined.fetch_add(1, Ordering::Relaxed) + 1;
                println!("new connect: {number} on reactor {}", group.peers.index());
                number
            }
        };
        cx.transport()
            .write(format!("Welcome, you are client number {number}!\n"));
        room.members.push(cx.transport().clone());
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        if without_line_end(data) == b"close" {
            println!("{} closed", self.client_id);
            return cx.transport().lose_connection();
        }
        println!(
            "spreading message from {} {:?}",
            self.client_id,
            String::from_utf8_lossy(data)
        );
        self.room.borrow().spread(data, Some(cx.transport()));
        if let Some(group) = &self.group {
            group.spread_to_others(data);
        }
    }

    fn connection_lost(&mut self, cx: &mut Cx<Self>, _reason: &Failure) {
        self.room
            .borrow_mut()
            .members
            .retain(|t| !t.is(cx.transport()));
        println!("lost connect: {}", self.client_id);
    }
}

/// Runs `args.reactors` reactors, each with its own room, listening on the same port;
/// with `tls`, every connection speaks TLS.
fn run_many(args: Args, tls: Option<ServerOptions>) -> torsion::Result<()> {
    let reactors = usize::from(args.reactors);
    let port = Arc::new(SharedPort::bind(
        &args.listening.interface,
        args.port,
        reactors,
    )?);
    let joined = Arc::new(AtomicUsize::new(0));
    run_reactors(reactors, move |reactor, peers| {
        let group = Rc::new(Group {
            peers: peers.clone(),
            joined: joined.clone(),
        });
        let room = ROOM.with(Rc::clone);
        let factory = move |_peer| Some(Spreader::in_group(room.clone(), group.clone()));
        let (listening, everyone) = match &tls {
            Some(options) => port.listen(reactor, TlsFactory::new(factory, options.clone()))?,
            None => port.listen(reactor, factory)?,
        };
        if everyone {
            println!("listening on {}", listening.get_host());
            std::io::stdout().flush()?;
        }
        Ok(())
    })
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    if args.tls
        && args
            .listening
            .listen
            .as_deref()
            .is_some_and(|d| d.starts_with("ssl:"))
    {
        eprintln!("chat_server: --tls with an ssl: description would speak TLS twice; use one");
        return Ok(ExitCode::FAILURE);
    }
    let certificate = match args.tls.then(|| args.certificate.load()).transpose() {
        Ok(certificate) => certificate,
        Err(message) => {
            eprintln!("chat_server: {message}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let tls = certificate.as_ref().map(|c| c.options());
    if args.reactors > 1 {
        run_many(args, tls)?;
        return Ok(ExitCode::SUCCESS);
    }
    let reactor = Reactor::new()?;
    let room = Rc::new(RefCell::new(Room::default()));
    let factory = move |_peer| Some(Spreader::new(room.clone()));
    let (program, port) = ("chat_server", args.port);
    match tls {
        Some(options) => {
            let factory = TlsFactory::new(factory, options);
            args.listening.serve(program, &reactor, port, factory)
        }
        None => args.listening.serve(program, &reactor, port, factory),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::error::ConnectionDone;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    struct Client {
        st: StringTransport,
        h: ProtocolHarness<Spreader>,
    }

    fn join(room: &Rc<RefCell<Room>>, clock: &Clock) -> Client {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(Spreader::new(room.clone()), &st, clock).unwrap();
        Client { st, h }
    }

    fn room_of_three() -> (Rc<RefCell<Room>>, [Client; 3]) {
        let clock = Clock::new();
        let room = Rc::new(RefCell::new(Room::default()));
        let clients = [
            join(&room, &clock),
            join(&room, &clock),
            join(&room, &clock),
        ];
        (room, clients)
    }

    #[test]
    fn welcomes_each_client_with_its_number() {
        let (room, clients) = room_of_three();
        for (i, c) in clients.iter().enumerate() {
            assert_eq!(
                c.st.value_str(),
                format!("Welcome, you are client number {}!\n", i + 1)
            );
        }
        assert_eq!(room.borrow().members.len(), 3);
    }

    #[test]
    fn forwards_to_the_others_but_not_the_sender() {
        let (_room, [a, b, c]) = room_of_three();
        for x in [&a, &b, &c] {
            x.st.clear();
        }
        b.h.data_received(b"hi all\n").unwrap();
        assert_eq!(a.st.value(), b"hi all\n");
        assert!(b.st.value().is_empty());
        assert_eq!(c.st.value(), b"hi all\n");
    }

    #[test]
    fn close_disconnects_only_that_client() {
        for close in [&b"close"[..], b"close\n", b"close\r\n"] {
            let (room, [a, b, c]) = room_of_three();
            a.st.clear();
            c.st.clear();
            b.h.data_received(close).unwrap();
            assert!(b.st.disconnecting(), "{close:?} closes the sender");
            assert!(
                a.st.value().is_empty() && c.st.value().is_empty(),
                "{close:?} is not forwarded"
            );
            b.h.connection_lost(Failure::new(ConnectionDone));
            assert_eq!(room.borrow().members.len(), 2);
            assert!(!a.st.disconnecting() && !c.st.disconnecting());
        }
        let (_room, [a, b, _c]) = room_of_three();
        a.st.clear();
        b.h.data_received(b"closed for lunch").unwrap();
        assert!(!b.st.disconnecting());
        assert_eq!(a.st.value(), b"closed for lunch");
    }

    #[test]
    fn a_client_that_left_gets_nothing_and_numbers_keep_counting() {
        let (room, [a, b, c]) = room_of_three();
        a.st.clear();
        b.st.clear();
        c.h.connection_lost(Failure::new(ConnectionDone));
        c.st.clear();
        a.h.data_received(b"anyone?").unwrap();
        assert_eq!(b.st.value(), b"anyone?");
        assert!(c.st.value().is_empty());
        let d = join(&room, &Clock::new());
        assert_eq!(d.st.value_str(), "Welcome, you are client number 4!\n");
        assert_eq!(room.borrow().members.len(), 3);
    }

    #[test]
    fn a_member_closing_mid_broadcast_is_skipped() {
        let (room, [a, b, c]) = room_of_three();
        b.st.clear();
        c.st.clear();
        b.h.transport().abort_connection();
        a.h.data_received(b"still there?").unwrap();
        assert!(
            b.st.value().is_empty(),
            "a closing member is written nothing"
        );
        assert_eq!(c.st.value(), b"still there?");
        b.h.connection_lost(Failure::new(ConnectionDone));
        assert_eq!(room.borrow().members.len(), 2);
    }

    #[test]
    fn a_message_from_another_reactor_reaches_every_member() {
        let (room, clients) = room_of_three();
        for c in &clients {
            c.st.clear();
        }
        room.borrow().spread(b"from afar", None);
        for c in &clients {
            assert_eq!(c.st.value(), b"from afar");
        }
    }

    #[test]
    fn certificate_options_need_tls() {
        for options in [
            &["--cert-dir", "/tmp/chat"][..],
            &["--cert", "c.pem", "--key", "k.pem"],
        ] {
            let plain = [&["chat_server"][..], options].concat();
            assert!(Args::try_parse_from(&plain).is_err(), "{options:?}");
            let tls = [&["chat_server", "--tls"][..], options].concat();
            assert!(Args::try_parse_from(&tls).is_ok(), "{options:?}");
        }
        assert!(Args::try_parse_from(["chat_server", "--tls", "--cert", "c.pem"]).is_err());
    }

    #[test]
    fn ids_are_eight_lowercase_alphanumerics() {
        let id = random_id();
        assert_eq!(id.len(), 8);
        assert!(id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(random_id(), random_id());
    }
}
