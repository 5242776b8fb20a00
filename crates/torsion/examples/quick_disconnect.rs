//! The seeds' quick-disconnect client: connects, says so, closes at once; the factory
//! reports how the connection ended and stops the reactor.
//!
//! ```text
//! cargo run --example quick_disconnect -- 127.0.0.1 8000
//! Connected to 127.0.0.1.
//! Lost connection: Connection was closed cleanly.
//! ```
//!
//! As in the seed, "Connected to" names the peer's address (Twisted's
//! `transport.getPeer().host`). Exits 0 after a clean close; exits 1 when the connection
//! fails (`Connection failed: REASON`) or ends otherwise.

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use torsion::error::ConnectionDone;
use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol, Reactor};

#[path = "support/logging.rs"]
mod logging;

/// Connects to HOST:PORT, closes at once, and says how it went.
#[derive(Parser)]
struct Args {
    /// The server's host name or address.
    host: String,
    /// The server's port.
    port: u16,
}

/// Says it connected, then closes (Twisted's `QuickDisconnectProtocol`).
struct QuickDisconnect;

impl Protocol for QuickDisconnect {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let peer = cx.transport().get_peer();
        let host = peer
            .ip()
            .map_or_else(|| peer.to_string(), |ip| ip.to_string());
        println!("Connected to {host}.");
        cx.transport().lose_connection();
    }
}

/// Reports how the connection ended and stops the reactor (Twisted's
/// `BasicClientFactory`); `clean` records whether it ended cleanly.
struct BasicClientFactory {
    reactor: Reactor,
    clean: Rc<Cell<bool>>,
}

impl ClientFactory for BasicClientFactory {
    type Protocol = QuickDisconnect;

    fn build_protocol(&mut self, _addr: Address) -> Option<QuickDisconnect> {
        Some(QuickDisconnect)
    }

    fn client_connection_lost(&mut self, _connector: &Connector, reason: &Failure) {
        println!("Lost connection: {}", reason.get_error_message());
        self.clean.set(reason.check::<ConnectionDone>());
        self.reactor.stop();
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        println!("Connection failed: {}", reason.get_error_message());
        self.reactor.stop();
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::WARN);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let clean = Rc::new(Cell::new(false));
    let factory = BasicClientFactory {
        reactor: reactor.clone(),
        clean: clean.clone(),
    };
    reactor.connect_tcp(&args.host, args.port, factory);
    reactor.run()?;
    Ok(if clean.get() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
