//! Quote of the Day server (RFC 865): every client gets one quote line, then the
//! connection is closed.
//!
//! ```text
//! cargo run --example qotd_server -- --port 8017 --quote "Small steps still move you."
//! cargo run --example qotd_server -- --listen tcp:8017:interface=127.0.0.1
//! ```

use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use listen::ListenArgs;
use torsion::{Cx, Protocol, Reactor};

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;

/// The quote served when none is given.
const DEFAULT_QUOTE: &str = "A quiet loop serves many voices.";

/// Serves one quote per connection.
#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8017)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
    /// The quote to serve.
    #[arg(long, default_value = DEFAULT_QUOTE)]
    quote: String,
}

/// Writes the quote and a CRLF as soon as the client connects, then closes.
struct Qotd {
    quote: Rc<str>,
}

impl Protocol for Qotd {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport()
            .write_sequence([self.quote.as_bytes(), b"\r\n"]);
        cx.transport().lose_connection();
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let quote: Rc<str> = args.quote.into();
    let factory = move |_peer| {
        Some(Qotd {
            quote: quote.clone(),
        })
    };
    args.listening
        .serve("qotd_server", &reactor, args.port, factory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn writes_the_quote_line_and_closes() {
        let st = StringTransport::new();
        let _h = ProtocolHarness::connect(
            Qotd {
                quote: "Be kind.".into(),
            },
            &st,
            &Clock::new(),
        )
        .unwrap();
        assert_eq!(st.value_str(), "Be kind.\r\n");
        assert!(st.disconnecting());
        assert!(!st.aborted());
    }
}
