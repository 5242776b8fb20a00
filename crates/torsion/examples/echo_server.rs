//! Echo server: every byte received is written back (Twisted's `examples/echoserv.py`).
//!
//! ```text
//! cargo run --example echo_server -- --port 8000
//! ```

use std::io::Write;

use clap::Parser;
use torsion::{Cx, ListenOptions, Protocol, Reactor};

/// Echoes every byte back to the client that sent it.
#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Interface to listen on ("" for every IPv4 interface).
    #[arg(long, default_value = "")]
    interface: String,
}

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

fn main() -> torsion::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let options = ListenOptions {
        interface: args.interface,
        ..ListenOptions::default()
    };
    let port = reactor.listen_tcp_with(args.port, |_peer| Some(Echo), options)?;
    println!("listening on {}", port.get_host());
    std::io::stdout().flush()?;
    reactor.run()
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn echoes_every_chunk_in_order() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(Echo, &st, &Clock::new()).unwrap();
        assert!(st.value().is_empty());
        h.data_received_in_chunks(b"hello, echo", 3).unwrap();
        assert_eq!(st.value(), b"hello, echo");
        assert!(!st.disconnecting());
    }
}
