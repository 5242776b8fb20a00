//! Reversing server (the seeds' `reverse.py`): every line comes back reversed; `quit`
//! closes the connection. The seed finds a line's handler by name at run time
//! (`getattr(self, 'handle_' + line)`); here `torsion::commands!` maps the command words to
//! methods at compile time, and a line that is no command is reversed. Listens on port 2323
//! unless told otherwise.
//!
//! ```text
//! cargo run --example reverse_server
//! cargo run --example reverse_server -- --port 0
//! ```

use std::process::ExitCode;

use clap::Parser;
use listen::ListenArgs;
use torsion::dispatch::DispatchError;
use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
use torsion::Reactor;

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;

/// Sends each line back reversed, until `quit`.
#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 2323)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
}

/// One client.
struct Reverser;

impl Reverser {
    torsion::commands! {
        /// Runs the line's command, or reverses a line that is none.
        fn dispatch(&mut self, cx: &mut LineCx<'_, Self>, line);
        "quit" => handle_quit(),
        _ => reverse_line,
    }

    fn handle_quit(&mut self, cx: &mut LineCx<'_, Self>) {
        cx.transport().lose_connection();
    }

    /// Not a command: the line itself, reversed.
    fn reverse_line(&mut self, cx: &mut LineCx<'_, Self>, line: &str, _why: DispatchError) {
        let reversed: String = line.chars().rev().collect();
        cx.send_line(reversed.as_bytes());
    }
}

impl LineReceiver for Reverser {
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        match std::str::from_utf8(line) {
            Ok(text) => self.dispatch(cx, text),
            // Not text: reversed byte by byte, as the seed's `line[::-1]` does.
            Err(_) => {
                let reversed: Vec<u8> = line.iter().rev().copied().collect();
                cx.send_line(&reversed);
            }
        }
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let factory = |_peer| Some(LineProtocol::new(Reverser));
    args.listening
        .serve("reverse_server", &reactor, args.port, factory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn reverses_lines_and_quits_by_name() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(LineProtocol::new(Reverser), &st, &Clock::new()).unwrap();
        h.data_received_in_chunks("hello\r\nnaïve\r\nquit now\r\nquit\r\n".as_bytes(), 3)
            .unwrap();
        assert_eq!(st.value_str(), "olleh\r\nevïan\r\nwon tiuq\r\n");
        assert!(st.disconnecting());
    }
}
