//! Line echo server: answers every line with `You said: LINE`; `quit` gets `Goodbye.` and
//! the connection is closed (the seeds' `basic.LineReceiver` echo).
//!
//! ```text
//! cargo run --example line_echo_server -- --port 5001
//! cargo run --example line_echo_server -- --listen tcp:5001:interface=127.0.0.1
//! ```

use std::process::ExitCode;

use clap::Parser;
use listen::ListenArgs;
use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
use torsion::Reactor;

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;

/// Echoes each line back as `You said: LINE`, until `quit`.
#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 5001)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
}

/// One client: its lines, ended by `\r\n`, are answered one by one.
struct LineEcho;

impl LineReceiver for LineEcho {
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        if line == b"quit" {
            cx.send_line(b"Goodbye.");
            cx.transport().lose_connection();
        } else {
            cx.send_line(&[b"You said: ", line].concat());
        }
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let factory = |_peer| Some(LineProtocol::new(LineEcho));
    args.listening
        .serve("line_echo_server", &reactor, args.port, factory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn answers_lines_and_says_goodbye_on_quit() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(LineProtocol::new(LineEcho), &st, &Clock::new()).unwrap();
        h.data_received_in_chunks(b"hello\r\nquit\r\nignored\r\n", 4)
            .unwrap();
        assert_eq!(st.value_str(), "You said: hello\r\nGoodbye.\r\n");
        assert!(st.disconnecting());
    }
}
