//! Echo server that refuses users beyond a limit: the client that would be user
//! `max_users + 1` is told to try again later and disconnected. A slot frees when a
//! client leaves.
//!
//! ```text
//! cargo run --example limited_echo_server -- --port 8000 --max-users 100
//! cargo run --example limited_echo_server -- --listen tcp:8000:interface=127.0.0.1
//! ```

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use listen::ListenArgs;
use torsion::{Cx, Failure, Protocol, Reactor};

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;

/// What a client over the limit is told before it is disconnected.
const TOO_MANY: &str = "Too many users, try again later!\n";

/// Echoes bytes back to at most `--max-users` clients at once.
#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
    /// How many clients may be connected at once.
    #[arg(long, default_value_t = 100)]
    max_users: usize,
}

/// One client; every client of the server shares `users`, the count of open connections.
struct LimitedEcho {
    users: Rc<Cell<usize>>,
    max_users: usize,
    refused: bool,
}

impl LimitedEcho {
    fn new(users: Rc<Cell<usize>>, max_users: usize) -> LimitedEcho {
        LimitedEcho {
            users,
            max_users,
            refused: false,
        }
    }
}

impl Protocol for LimitedEcho {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.users.set(self.users.get() + 1);
        if self.users.get() > self.max_users {
            self.refused = true;
            cx.transport().write(TOO_MANY);
            cx.transport().lose_connection();
        }
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        if !self.refused {
            cx.transport().write(data);
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.users.set(self.users.get() - 1);
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let users = Rc::new(Cell::new(0));
    let max_users = args.max_users;
    let factory = move |_peer| Some(LimitedEcho::new(users.clone(), max_users));
    args.listening
        .serve("limited_echo_server", &reactor, args.port, factory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::error::ConnectionDone;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    fn connect(
        users: &Rc<Cell<usize>>,
        clock: &Clock,
    ) -> (StringTransport, ProtocolHarness<LimitedEcho>) {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(LimitedEcho::new(users.clone(), 2), &st, clock).unwrap();
        (st, h)
    }

    #[test]
    fn refuses_the_user_past_the_limit_and_frees_slots() {
        let clock = Clock::new();
        let users = Rc::new(Cell::new(0));
        let (st1, h1) = connect(&users, &clock);
        let (st2, h2) = connect(&users, &clock);
        assert!(st1.value().is_empty() && st2.value().is_empty());
        assert!(!st1.disconnecting() && !st2.disconnecting());

        let (st3, h3) = connect(&users, &clock);
        assert_eq!(st3.value_str(), TOO_MANY);
        assert!(st3.disconnecting());
        h3.data_received(b"ignored").unwrap();
        assert_eq!(st3.value_str(), TOO_MANY, "a refused client gets no echo");
        h3.connection_lost(Failure::new(ConnectionDone));
        assert_eq!(users.get(), 2);

        h1.data_received(b"one").unwrap();
        assert_eq!(st1.value(), b"one");
        h1.connection_lost(Failure::new(ConnectionDone));
        assert_eq!(users.get(), 1);

        let (st4, h4) = connect(&users, &clock);
        assert!(
            !st4.disconnecting(),
            "the slot of the client that left is free again"
        );
        h4.data_received(b"four").unwrap();
        assert_eq!(st4.value(), b"four");
        h2.connection_lost(Failure::new(ConnectionDone));
        h4.connection_lost(Failure::new(ConnectionDone));
        assert_eq!(users.get(), 0);
    }
}
