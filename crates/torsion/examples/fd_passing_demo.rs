//! Descriptor passing in one process: a server opens a file and hands its descriptor to a
//! client over a UNIX socket; the client reads the file through the descriptor it
//! received and prints what it read (Twisted's `sendFileDescriptor` and
//! `fileDescriptorReceived`).
//!
//! ```text
//! cargo run --example fd_passing_demo
//! ```
//!
//! The file is unlinked before the client reads it: only the descriptor reaches it.

use std::cell::RefCell;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::process::ExitCode;
use std::rc::Rc;

use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol, Reactor};

#[path = "support/logging.rs"]
mod logging;

const TEXT: &str = "this line was read through a passed descriptor";

/// What the client read, or why it could not.
type Outcome = Rc<RefCell<Option<Result<String, String>>>>;

/// Opens the file and sends its descriptor with one byte, then closes.
struct Giver {
    file: Rc<File>,
}

impl Protocol for Giver {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        match cx.transport().send_file_descriptor(&*self.file) {
            Ok(()) => cx.transport().write(b"!"),
            Err(err) => eprintln!("fd_passing_demo: cannot send the descriptor: {err}"),
        }
        cx.transport().lose_connection();
    }
}

/// Reads the file through the descriptor it receives.
struct Taker {
    outcome: Outcome,
}

impl Protocol for Taker {
    fn file_descriptor_received(&mut self, _cx: &mut Cx<Self>, fd: OwnedFd) {
        let mut text = String::new();
        let read = File::from(fd).read_to_string(&mut text);
        *self.outcome.borrow_mut() = Some(read.map(|_| text).map_err(|e| e.to_string()));
    }
}

struct TakerFactory {
    reactor: Reactor,
    outcome: Outcome,
}

impl ClientFactory for TakerFactory {
    type Protocol = Taker;

    fn build_protocol(&mut self, _addr: Address) -> Option<Taker> {
        Some(Taker {
            outcome: self.outcome.clone(),
        })
    }

    fn client_connection_failed(&mut self, _c: &Connector, reason: &Failure) {
        *self.outcome.borrow_mut() = Some(Err(format!("cannot connect: {reason}")));
        self.reactor.stop();
    }

    fn client_connection_lost(&mut self, _c: &Connector, _reason: &Failure) {
        self.reactor.stop();
    }
}

/// A file holding [`TEXT`], opened for reading and already unlinked.
fn secret_file() -> std::io::Result<File> {
    let path = std::env::temp_dir().join(format!("fd-passing-demo-{}.txt", std::process::id()));
    File::create(&path)?.write_all(TEXT.as_bytes())?;
    let file = File::open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

fn run() -> Result<String, String> {
    let file = Rc::new(secret_file().map_err(|e| format!("cannot make the file: {e}"))?);
    let reactor = Reactor::new().map_err(|e| e.to_string())?;
    let socket = std::env::temp_dir().join(format!("fd-passing-demo-{}.sock", std::process::id()));
    let port = reactor
        .listen_unix(&socket, move |_peer| Some(Giver { file: file.clone() }))
        .map_err(|e| e.to_string())?;
    let outcome = Outcome::default();
    reactor.connect_unix(
        &socket,
        TakerFactory {
            reactor: reactor.clone(),
            outcome: outcome.clone(),
        },
    );
    reactor.run().map_err(|e| e.to_string())?;
    port.stop_listening();
    let outcome = outcome.borrow_mut().take();
    outcome.unwrap_or_else(|| Err("no descriptor arrived".into()))
}

fn main() -> ExitCode {
    logging::log_to_stderr(tracing::Level::WARN);
    match run() {
        Ok(text) => {
            println!("read through the received descriptor: {text}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("fd_passing_demo: {reason}");
            ExitCode::FAILURE
        }
    }
}
