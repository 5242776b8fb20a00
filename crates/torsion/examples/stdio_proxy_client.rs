//! Standard input and output as a terminal onto a TCP server (the seeds'
//! `StdioProxyProtocol`): what is typed goes to the server, with every line ending made
//! `\r\n`; what the server sends is written to standard output. It exits by itself, with
//! status 0, when the server closes the connection; if it cannot connect it prints why
//! and exits with status 1. Ctrl-C closes the connection.
//!
//! At the end of standard input it half-closes the connection (the server reads EOF) and
//! keeps printing the server's replies until the server closes. Standard input and output
//! get their blocking mode and terminal settings back when the program ends.
//!
//! ```text
//! cargo run --example line_echo_server -- --port 5001
//! cargo run --example stdio_proxy_client -- localhost 5001
//! ```

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use torsion::stdio::StandardIO;
use torsion::{ClientFactory, Connector, Cx, Failure, Protocol, Reactor, Transport};

#[path = "support/logging.rs"]
mod logging;

/// Connects standard input and output to a TCP server.
#[derive(Parser)]
struct Args {
    /// The server's host name or address.
    host: String,
    /// The server's port.
    port: u16,
}

const BANNER: &str = "Connected to server.  Press ctrl-C to close connection.\n";

/// Makes every line ending `\r\n` (`\n` and `\r\n` alike), across chunk boundaries.
#[derive(Default)]
struct NewlineNormalizer {
    after_cr: bool,
}

impl NewlineNormalizer {
    fn normalize(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + data.len() / 8);
        for &byte in data {
            if byte == b'\n' && !self.after_cr {
                out.push(b'\r');
            }
            out.push(byte);
            self.after_cr = byte == b'\r';
        }
        out
    }
}

/// Standard input and output: forwards what is typed to the server.
struct Keyboard {
    server: Transport,
    newlines: NewlineNormalizer,
    reactor: Reactor,
}

impl Protocol for Keyboard {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.server.write(self.newlines.normalize(data));
    }

    /// The end of input: the server reads EOF; its replies are still shown.
    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.server.lose_write_connection();
    }

    /// Standard output is closed (after the server closed, or because it broke).
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.reactor.stop();
    }
}

/// The connection to the server: shows what it sends on standard output.
struct StdioProxy {
    reactor: Reactor,
    stdio: Option<Transport>,
}

impl Protocol for StdioProxy {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let keyboard = Keyboard {
            server: cx.transport().clone(),
            newlines: NewlineNormalizer::default(),
            reactor: self.reactor.clone(),
        };
        match StandardIO::new(&self.reactor, keyboard) {
            Ok(stdio) => {
                stdio.write(BANNER);
                self.stdio = Some(stdio);
            }
            Err(reason) => {
                eprintln!("cannot use standard input and output: {reason}");
                cx.transport().lose_connection();
            }
        }
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        if let Some(stdio) = &self.stdio {
            stdio.write(data);
        }
    }

    /// The server closed: standard output is flushed, then the reactor stops.
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        match self.stdio.take() {
            Some(stdio) if stdio.connected() => stdio.lose_connection(),
            _ => self.reactor.stop(),
        }
    }
}

/// Builds the one connection; notes whether it could not be made.
struct StdioProxyFactory {
    reactor: Reactor,
    failed: Rc<Cell<bool>>,
}

impl ClientFactory for StdioProxyFactory {
    type Protocol = StdioProxy;

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<StdioProxy> {
        Some(StdioProxy {
            reactor: self.reactor.clone(),
            stdio: None,
        })
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        println!("{}", reason.get_error_message());
        self.failed.set(true);
        self.reactor.stop();
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::WARN);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let failed = Rc::new(Cell::new(false));
    let factory = StdioProxyFactory {
        reactor: reactor.clone(),
        failed: failed.clone(),
    };
    reactor.connect_tcp(&args.host, args.port, factory);
    reactor.run()?;
    Ok(if failed.get() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_become_crlf_even_split_between_chunks() {
        let mut n = NewlineNormalizer::default();
        assert_eq!(n.normalize(b"a\nb\r\nc"), b"a\r\nb\r\nc");
        assert_eq!(n.normalize(b"d\r"), b"d\r");
        assert_eq!(
            n.normalize(b"\ne\n"),
            b"\ne\r\n",
            "the \\r came in the last chunk"
        );
        assert_eq!(n.normalize(b"lone\rcr"), b"lone\rcr");
    }
}
