//! Slow poetry server: sends a poem to every client a few bytes at a time, with a pause
//! between chunks, then closes the connection. Clients connected at the same time are
//! served at the same time.
//!
//! ```text
//! cargo run --example slow_poetry_server -- crates/torsion/examples/poetry/lighthouse.txt --port 10000 --num-bytes 30
//! cargo run --example slow_poetry_server -- crates/torsion/examples/poetry/kettle.txt --listen tcp:10001:interface=127.0.0.1
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use clap::Parser;
use listen::ListenArgs;
use torsion::{Cx, Protocol, Reactor};

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;

/// Serves a poem slowly.
#[derive(Parser)]
struct Args {
    /// The file holding the poem.
    poem_file: PathBuf,
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
    /// How many bytes to send at a time.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    num_bytes: u64,
    /// Seconds to wait between two chunks.
    #[arg(long, default_value = "0.1", value_parser = parse_seconds)]
    delay: Duration,
}

/// Parses a non-negative number of seconds such as `0.1`.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|e| format!("{e}"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{e}"))
}

/// Sends one copy of the poem, `num_bytes` every `delay`, then closes.
struct PoetrySender {
    poem: Rc<[u8]>,
    sent: usize,
    num_bytes: usize,
    delay: Duration,
}

impl PoetrySender {
    fn new(poem: Rc<[u8]>, num_bytes: usize, delay: Duration) -> PoetrySender {
        PoetrySender {
            poem,
            sent: 0,
            num_bytes: num_bytes.max(1),
            delay,
        }
    }

    /// Sends the next chunk and schedules the one after it, or closes when all is sent.
    fn send_next(&mut self, cx: &mut Cx<Self>) {
        let peer = cx.transport().get_peer();
        let end = self.poem.len().min(self.sent + self.num_bytes);
        let chunk = &self.poem[self.sent..end];
        if !chunk.is_empty() {
            println!("Sending {} bytes of poetry to {peer}", chunk.len());
            cx.transport().write(chunk);
            self.sent = end;
        }
        if self.sent < self.poem.len() {
            cx.call_later(self.delay, Self::send_next);
        } else {
            println!("Done sending poem to {peer}");
            cx.transport().lose_connection();
        }
    }
}

impl Protocol for PoetrySender {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.send_next(cx);
    }
}

/// Reads the poem; the error names the file (`cannot read poem file 'x.txt': No such file
/// or directory (os error 2)`).
fn read_poem(path: &Path) -> Result<Rc<[u8]>, String> {
    std::fs::read(path)
        .map(Rc::from)
        .map_err(|err| format!("cannot read poem file '{}': {err}", path.display()))
}

/// Serves the poem until stopped. A poem file that cannot be read, or a place it cannot
/// listen on, is reported on stderr and fails the program.
fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let poem = match read_poem(&args.poem_file) {
        Ok(poem) => poem,
        Err(message) => {
            eprintln!("slow_poetry_server: {message}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let num_bytes = usize::try_from(args.num_bytes).unwrap_or(usize::MAX);
    let delay = args.delay;
    let reactor = Reactor::new()?;
    let factory = move |_peer| Some(PoetrySender::new(poem.clone(), num_bytes, delay));
    args.listening
        .serve("slow_poetry_server", &reactor, args.port, factory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    const POEM: &[u8] = b"twenty-three bytes long";

    #[test]
    fn sends_num_bytes_per_tick_then_closes() {
        let clock = Clock::new();
        let st = StringTransport::new();
        let sender = PoetrySender::new(POEM.into(), 10, Duration::from_millis(100));
        let _h = ProtocolHarness::connect(sender, &st, &clock).unwrap();
        assert_eq!(st.value(), &POEM[..10]);
        clock.advance(Duration::from_millis(99));
        assert_eq!(st.value(), &POEM[..10]);
        clock.advance(Duration::from_millis(1));
        assert_eq!(st.value(), &POEM[..20]);
        assert!(!st.disconnecting());
        clock.advance(Duration::from_millis(100));
        assert_eq!(st.value(), POEM);
        assert!(st.disconnecting());
        assert!(clock.get_delayed_calls().is_empty());
    }

    #[test]
    fn every_connection_gets_the_whole_poem() {
        let clock = Clock::new();
        let poem: Rc<[u8]> = POEM.into();
        let a = StringTransport::new();
        let b = StringTransport::new();
        let _ha = ProtocolHarness::connect(
            PoetrySender::new(poem.clone(), 7, Duration::from_secs(1)),
            &a,
            &clock,
        );
        clock.advance(Duration::from_millis(500));
        let _hb = ProtocolHarness::connect(
            PoetrySender::new(poem, 7, Duration::from_secs(1)),
            &b,
            &clock,
        );
        clock.pump(&[Duration::from_millis(500); 8]);
        assert_eq!(a.value(), POEM);
        assert_eq!(b.value(), POEM);
        assert!(a.disconnecting() && b.disconnecting());
    }

    #[test]
    fn a_poem_file_that_cannot_be_read_is_named() {
        let missing = Path::new("no/such/poem.txt");
        assert_eq!(
            read_poem(missing).unwrap_err(),
            "cannot read poem file 'no/such/poem.txt': No such file or directory (os error 2)"
        );
        let dir = std::env::temp_dir();
        let message = read_poem(&dir).unwrap_err();
        let prefix = format!("cannot read poem file '{}': ", dir.display());
        assert!(message.starts_with(&prefix), "{message}");
    }

    #[test]
    fn an_empty_poem_closes_at_once() {
        let st = StringTransport::new();
        let _h = ProtocolHarness::connect(
            PoetrySender::new(Rc::from(&b""[..]), 10, Duration::ZERO),
            &st,
            &Clock::new(),
        );
        assert!(st.value().is_empty());
        assert!(st.disconnecting());
    }
}
