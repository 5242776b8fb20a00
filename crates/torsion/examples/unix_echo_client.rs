//! Echo client over a UNIX socket: sends one line, prints the echo, exits.
//!
//! ```text
//! cargo run --example unix_echo_client -- /tmp/echo.sock "hello"
//! ```
//!
//! Exits 0 once the echo is printed; exits 1 with the reason when nobody listens (no
//! file, or a stale one) or the connection ends first.

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;

use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol, Reactor, UnixAddress};

#[path = "support/logging.rs"]
mod logging;

/// How the exchange ended: the echoed line, or why not.
type Outcome = Rc<RefCell<Option<Result<String, String>>>>;

/// Sends the line, collects the echo up to its newline.
struct SendLine {
    line: String,
    echoed: Vec<u8>,
    outcome: Outcome,
}

impl Protocol for SendLine {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(format!("{}\n", self.line));
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.echoed.extend_from_slice(data);
        if let Some(end) = self.echoed.iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&self.echoed[..end]).into_owned();
            *self.outcome.borrow_mut() = Some(Ok(line));
            cx.transport().lose_connection();
        }
    }
}

struct Client {
    reactor: Reactor,
    line: String,
    outcome: Outcome,
}

impl ClientFactory for Client {
    type Protocol = SendLine;

    fn build_protocol(&mut self, _addr: Address) -> Option<SendLine> {
        Some(SendLine {
            line: self.line.clone(),
            echoed: Vec::new(),
            outcome: self.outcome.clone(),
        })
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        *self.outcome.borrow_mut() = Some(Err(format!("cannot connect: {reason}")));
        self.reactor.stop();
    }

    fn client_connection_lost(&mut self, _connector: &Connector, reason: &Failure) {
        let mut outcome = self.outcome.borrow_mut();
        if outcome.is_none() {
            *outcome = Some(Err(format!(
                "the connection ended before the echo: {reason}"
            )));
        }
        self.reactor.stop();
    }
}

fn main() -> ExitCode {
    logging::log_to_stderr(tracing::Level::WARN);
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: unix_echo_client PATH [MESSAGE]");
        return ExitCode::from(2);
    };
    let line = args
        .next()
        .unwrap_or_else(|| "hello over a UNIX socket".into());
    let address = match path.strip_prefix('@') {
        Some(name) => UnixAddress::Abstract(name.as_bytes().to_vec()),
        None => UnixAddress::from(path.as_str()),
    };
    let reactor = match Reactor::new() {
        Ok(reactor) => reactor,
        Err(err) => {
            eprintln!("unix_echo_client: cannot start the reactor: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = Outcome::default();
    reactor.connect_unix(
        address,
        Client {
            reactor: reactor.clone(),
            line,
            outcome: outcome.clone(),
        },
    );
    if let Err(err) = reactor.run() {
        eprintln!("unix_echo_client: {err}");
        return ExitCode::FAILURE;
    }
    let outcome = outcome.borrow_mut().take();
    match outcome {
        Some(Ok(echo)) => {
            println!("{echo}");
            ExitCode::SUCCESS
        }
        Some(Err(reason)) => {
            eprintln!("unix_echo_client: {path}: {reason}");
            ExitCode::FAILURE
        }
        None => {
            eprintln!("unix_echo_client: {path}: stopped before any answer");
            ExitCode::FAILURE
        }
    }
}
