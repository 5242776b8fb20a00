//! Echo server on a UNIX socket: every byte received is written back, over the same
//! stream engine as the TCP echo server.
//!
//! ```text
//! cargo run --example unix_echo_server -- /tmp/echo.sock
//! cargo run --example unix_echo_client -- /tmp/echo.sock "hello"
//! ```
//!
//! Prints `listening on PATH` once it listens; Ctrl-C stops it and removes the socket
//! file. A path starting with `@` names Linux's abstract namespace instead of a file.

use std::io::Write;
use std::process::ExitCode;

use torsion::{Cx, Protocol, Reactor, UnixAddress};

#[path = "support/logging.rs"]
mod logging;

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

fn main() -> ExitCode {
    logging::log_to_stderr(tracing::Level::WARN);
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: unix_echo_server PATH");
        return ExitCode::from(2);
    };
    let address = match path.strip_prefix('@') {
        Some(name) => UnixAddress::Abstract(name.as_bytes().to_vec()),
        None => UnixAddress::from(path.as_str()),
    };
    let reactor = match Reactor::new() {
        Ok(reactor) => reactor,
        Err(err) => {
            eprintln!("unix_echo_server: cannot start the reactor: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(err) = reactor.listen_unix(address, |_peer| Some(Echo)) {
        eprintln!("unix_echo_server: {err}");
        return ExitCode::FAILURE;
    }
    println!("listening on {path}");
    let _ = std::io::stdout().flush();
    match reactor.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("unix_echo_server: {err}");
            ExitCode::FAILURE
        }
    }
}
