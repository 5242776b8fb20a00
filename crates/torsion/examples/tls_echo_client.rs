//! TLS client on standard input and output: what is typed goes to the server, what the
//! server sends is printed (Twisted's `examples/echoclient_ssl.py`, reading its lines from
//! stdin).
//!
//! ```text
//! cargo run --example tls_echo_server -- --port 8443 --cert-dir /tmp/tls
//! cargo run --example tls_echo_client -- localhost 8443 --ca /tmp/tls/cert.pem
//! cargo run --example tls_echo_client -- 127.0.0.1 8443 --ca ca.pem --server-name localhost
//! ```
//!
//! It verifies the server: its certificate must be valid for `--server-name` (by default
//! HOST) and signed by an authority in `--ca` (by default the system's trusted ones). A
//! server that fails this is refused: the client prints why (an unknown authority, a name
//! mismatch) and exits with status 1.
//!
//! At the end of standard input it closes its side of the connection cleanly (TLS
//! `close_notify` after everything typed) and keeps printing the server's replies; it exits
//! with status 0 when the server closes cleanly, and with status 1 and the reason when the
//! connection cannot be made or ends otherwise (a reset, a close without `close_notify`).

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use torsion::error::ConnectionDone;
use torsion::stdio::StandardIO;
use torsion::tls::{options_for_client_tls, ClientOptions, TlsConfigError};
use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol, Reactor, Transport};

#[path = "support/logging.rs"]
mod logging;

/// Connects standard input and output to a TLS server, verifying it.
#[derive(Parser)]
struct Args {
    /// The server's host name or address.
    host: String,
    /// The server's port.
    port: u16,
    /// Trust only the certificate authorities in this PEM file (for a self-signed server,
    /// its certificate) instead of the system's.
    #[arg(long, value_name = "CA.pem")]
    ca: Option<PathBuf>,
    /// The name the server's certificate must be valid for (default: HOST).
    #[arg(long, value_name = "NAME")]
    server_name: Option<String>,
}

impl Args {
    /// The TLS options: verify the server as `--server-name` (or HOST) against `--ca` (or
    /// the system's authorities).
    fn client_options(&self) -> Result<ClientOptions, TlsConfigError> {
        let options = options_for_client_tls(self.server_name.as_deref().unwrap_or(&self.host))?;
        match &self.ca {
            Some(ca) => options.with_trust_root_file(ca),
            None => Ok(options),
        }
    }
}

/// Why the program failed, when it did.
type Outcome = Rc<RefCell<Option<String>>>;

/// Standard input and output: forwards what is typed to the server.
struct Keyboard {
    server: Transport,
    reactor: Reactor,
}

impl Protocol for Keyboard {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.server.write(data);
    }

    /// The end of input: `close_notify` goes to the server after what was typed; its
    /// replies are still printed.
    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.server.lose_write_connection();
    }

    /// Standard output is flushed and closed: the program is done.
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.reactor.stop();
    }
}

/// The TLS connection to the server: prints what it sends.
struct EchoClient {
    reactor: Reactor,
    stdio: Option<Transport>,
    outcome: Outcome,
}

impl Protocol for EchoClient {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let keyboard = Keyboard {
            server: cx.transport().clone(),
            reactor: self.reactor.clone(),
        };
        match StandardIO::new(&self.reactor, keyboard) {
            Ok(stdio) => self.stdio = Some(stdio),
            Err(reason) => {
                *self.outcome.borrow_mut() =
                    Some(format!("cannot use standard input and output: {reason}"));
                cx.transport().lose_connection();
            }
        }
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        if let Some(stdio) = &self.stdio {
            stdio.write(data);
        }
    }

    /// The server closed (or the handshake failed): standard output is flushed, then the
    /// reactor stops. Anything but a clean close is the program's failure.
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        if !reason.check::<ConnectionDone>() {
            self.outcome
                .borrow_mut()
                .get_or_insert_with(|| reason.get_error_message());
        }
        match self.stdio.take() {
            Some(stdio) if stdio.connected() => stdio.lose_connection(),
            _ => self.reactor.stop(),
        }
    }
}

/// Builds the one connection; notes why it could not be made.
struct EchoClientFactory {
    reactor: Reactor,
    outcome: Outcome,
}

impl ClientFactory for EchoClientFactory {
    type Protocol = EchoClient;

    fn build_protocol(&mut self, _addr: Address) -> Option<EchoClient> {
        Some(EchoClient {
            reactor: self.reactor.clone(),
            stdio: None,
            outcome: self.outcome.clone(),
        })
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        *self.outcome.borrow_mut() =
            Some(format!("cannot connect: {}", reason.get_error_message()));
        self.reactor.stop();
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::WARN);
    let args = Args::parse();
    let options = match args.client_options() {
        Ok(options) => options,
        Err(err) => {
            eprintln!("tls_echo_client: {err}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let reactor = Reactor::new()?;
    let outcome = Outcome::default();
    let factory = EchoClientFactory {
        reactor: reactor.clone(),
        outcome: outcome.clone(),
    };
    reactor.connect_tls(&args.host, args.port, factory, options);
    reactor.run()?;
    let failure = outcome.borrow_mut().take();
    Ok(match failure {
        Some(reason) => {
            eprintln!("tls_echo_client: {}:{}: {reason}", args.host, args.port);
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn typed_bytes_go_to_the_server_and_the_end_of_input_half_closes() {
        let server = StringTransport::new();
        let keyboard = Keyboard {
            server: server.transport(),
            reactor: Reactor::new().unwrap(),
        };
        let stdio = StringTransport::new();
        let h = ProtocolHarness::connect(keyboard, &stdio, &Clock::new()).unwrap();
        h.data_received(b"one\ntw").unwrap();
        h.data_received(b"o\n").unwrap();
        assert_eq!(server.value(), b"one\ntwo\n");
        assert!(!server.write_shut());
        h.read_connection_lost().unwrap();
        assert!(server.write_shut(), "close_notify after what was typed");
        assert!(!server.disconnecting(), "the replies can still come");
    }

    #[test]
    fn the_server_is_verified_as_server_name_or_host() {
        let args = Args::parse_from(["tls_echo_client", "127.0.0.1", "8443"]);
        let options = args.client_options().unwrap();
        assert_eq!(options.hostname(), "127.0.0.1");
        assert!(options.verifies());
        let args = Args::parse_from([
            "tls_echo_client",
            "127.0.0.1",
            "8443",
            "--server-name",
            "localhost",
        ]);
        assert_eq!(args.client_options().unwrap().hostname(), "localhost");
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let args = Args::parse_from([
            "tls_echo_client",
            "localhost",
            "8443",
            "--ca",
            "/nonexistent/ca.pem",
        ]);
        let err = args.client_options().expect_err("no such file");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }
}
