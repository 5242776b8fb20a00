//! Echo server: every byte received is written back (Twisted's `examples/echoserv.py`).
//!
//! ```text
//! cargo run --example echo_server -- --port 8000
//! cargo run --example echo_server -- --port 8000 --reactors 4 --report-spread
//! cargo run --example echo_server -- --listen tcp:8000:interface=127.0.0.1
//! ```
//!
//! With `--reactors N` above 1 it runs N reactors, one per thread, each listening on the
//! same port with `SO_REUSEPORT`, so the kernel spreads the connections over them.

use std::cell::Cell;
use std::io::Write;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;

use clap::Parser;
use listen::ListenArgs;
use torsion::{run_reactors, Cx, Factory, Protocol, Reactor, SharedPort};
use torsion::{Phase, SystemEvent};

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;

/// Echoes every byte back to the client that sent it.
#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
    /// How many reactors (threads) to run, each listening on the port with SO_REUSEPORT
    /// (not with --listen: the reactors share one socket, which --port and --interface
    /// bind).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..),
          conflicts_with = "listen")]
    reactors: u16,
    /// On shutdown, print how many connections each reactor accepted.
    #[arg(long)]
    report_spread: bool,
}

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// Builds an `Echo` per connection; with `--report-spread`, it also counts them.
struct EchoFactory {
    accepted: Option<Rc<Cell<usize>>>,
}

impl Factory for EchoFactory {
    type Protocol = Echo;

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Echo> {
        if let Some(accepted) = &self.accepted {
            accepted.set(accepted.get() + 1);
        }
        Some(Echo)
    }
}

/// The factory for reactor `index`; with `report`, it prints how many connections it
/// accepted when the reactor shuts down.
fn echo_factory(index: usize, report: bool, reactor: &Reactor) -> EchoFactory {
    if !report {
        return EchoFactory { accepted: None };
    }
    let accepted = Rc::new(Cell::new(0usize));
    let counter = accepted.clone();
    reactor.add_system_event_trigger(Phase::Before, SystemEvent::Shutdown, move || {
        println!("reactor {index} accepted {} connections", counter.get());
    });
    EchoFactory {
        accepted: Some(accepted),
    }
}

/// Runs `args.reactors` reactors, each listening on the same port.
fn run_many(args: Args) -> torsion::Result<()> {
    let reactors = usize::from(args.reactors);
    let port = Arc::new(SharedPort::bind(
        &args.listening.interface,
        args.port,
        reactors,
    )?);
    let report = args.report_spread;
    run_reactors(reactors, move |reactor, peers| {
        let (listening, everyone) =
            port.listen(reactor, echo_factory(peers.index(), report, reactor))?;
        if everyone {
            println!("listening on {}", listening.get_host());
            std::io::stdout().flush()?;
        }
        Ok(())
    })
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    if args.reactors > 1 {
        run_many(args)?;
        return Ok(ExitCode::SUCCESS);
    }
    let reactor = Reactor::new()?;
    let factory = echo_factory(0, args.report_spread, &reactor);
    args.listening
        .serve("echo_server", &reactor, args.port, factory)
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
