//! Client of the broadcast chat server: prints what arrives and, a few seconds after
//! each message, says hello with its name and the local time. It exits when the
//! connection fails or is lost: with a failure status if it could not connect or the
//! connection broke (was lost other than by a clean close).
//!
//! ```text
//! cargo run --example chat_client -- alice --port 8006 --interval 5
//! ```

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use clap::Parser;
use torsion::error::ConnectionDone;
use torsion::{ClientFactory, Connector, Cx, Failure, Protocol, Reactor};

#[path = "support/logging.rs"]
mod logging;

/// Connects to a chat server and says hello after every message it gets.
#[derive(Parser)]
struct Args {
    /// The name this client gives in its hellos.
    name: String,
    /// The server's host name or address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = 8006)]
    port: u16,
    /// Seconds between a message arriving and the hello that answers it.
    #[arg(long, default_value = "5", value_parser = parse_seconds)]
    interval: Duration,
}

/// Parses a non-negative number of seconds such as `5` or `0.25`.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|e| format!("{e}"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{e}"))
}

/// The connection to the server.
struct ChatClient {
    name: Rc<str>,
    interval: Duration,
}

impl ChatClient {
    /// Writes `hello, I'm NAME YYYY-MM-DD HH:MM:SS.ffffff` (local time), if still connected.
    fn say_hello(&mut self, cx: &mut Cx<Self>) {
        if cx.transport().connected() {
            let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.6f");
            cx.transport()
                .write(format!("hello, I'm {} {now}", self.name));
        }
    }
}

impl Protocol for ChatClient {
    fn connection_made(&mut self, _cx: &mut Cx<Self>) {
        println!("Connected to the server!");
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        println!("got messages: {}", text.trim_end_matches(['\r', '\n']));
        cx.call_later(self.interval, Self::say_hello);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        println!("Disconnected from the server!");
    }
}

/// Builds the one connection and stops the reactor when it fails or ends.
struct ChatClientFactory {
    name: Rc<str>,
    interval: Duration,
    reactor: Reactor,
    /// Set when the connection failed or broke.
    failed: Rc<Cell<bool>>,
}

impl ClientFactory for ChatClientFactory {
    type Protocol = ChatClient;

    fn started_connecting(&mut self, _connector: &Connector) {
        println!("started to connect.");
    }

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<ChatClient> {
        Some(ChatClient {
            name: self.name.clone(),
            interval: self.interval,
        })
    }

    fn client_connection_lost(&mut self, _connector: &Connector, reason: &Failure) {
        println!("Lost connection. Reason: {reason}");
        if !reason.check::<ConnectionDone>() {
            self.failed.set(true);
        }
        self.reactor.stop();
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        println!("Connection failed. Reason: {reason}");
        self.failed.set(true);
        self.reactor.stop();
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let failed = Rc::new(Cell::new(false));
    let factory = ChatClientFactory {
        name: args.name.into(),
        interval: args.interval,
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
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    fn client(clock: &Clock) -> (StringTransport, ProtocolHarness<ChatClient>) {
        let st = StringTransport::new();
        let proto = ChatClient {
            name: "alice".into(),
            interval: Duration::from_secs(5),
        };
        let h = ProtocolHarness::connect(proto, &st, clock).unwrap();
        (st, h)
    }

    /// Checks `hello, I'm alice YYYY-MM-DD HH:MM:SS.ffffff`.
    fn assert_hello(text: &str) {
        let stamp = text
            .strip_prefix("hello, I'm alice ")
            .unwrap_or_else(|| panic!("not a hello: {text:?}"));
        assert_eq!(stamp.len(), 26, "{stamp:?}");
        for (i, c) in stamp.chars().enumerate() {
            let expected = match i {
                4 | 7 => c == '-',
                10 => c == ' ',
                13 | 16 => c == ':',
                19 => c == '.',
                _ => c.is_ascii_digit(),
            };
            assert!(expected, "bad character {c:?} at {i} in {stamp:?}");
        }
    }

    #[test]
    fn says_hello_once_the_interval_passed() {
        let clock = Clock::new();
        let (st, h) = client(&clock);
        h.data_received(b"Welcome, you are client number 1!\n")
            .unwrap();
        assert!(st.value().is_empty());
        clock.advance(Duration::from_millis(4999));
        assert!(st.value().is_empty());
        clock.advance(Duration::from_millis(1));
        assert_hello(&st.value_str());
        st.clear();
        clock.advance(Duration::from_secs(60));
        assert!(st.value().is_empty(), "one hello per message received");
    }

    #[test]
    fn says_hello_once_per_message() {
        let clock = Clock::new();
        let (st, h) = client(&clock);
        h.data_received(b"one").unwrap();
        clock.advance(Duration::from_secs(1));
        h.data_received(b"two").unwrap();
        clock.advance(Duration::from_secs(4));
        assert_hello(&st.value_str());
        st.clear();
        clock.advance(Duration::from_secs(1));
        assert_hello(&st.value_str());
        assert!(clock.get_delayed_calls().is_empty());
    }

    #[test]
    fn no_hello_after_the_connection_is_lost() {
        let clock = Clock::new();
        let (st, h) = client(&clock);
        h.data_received(b"bye soon").unwrap();
        assert_eq!(clock.get_delayed_calls().len(), 1);
        h.connection_lost(Failure::new(ConnectionDone));
        assert!(
            clock.get_delayed_calls().is_empty(),
            "the timer died with the connection"
        );
        clock.advance(Duration::from_secs(10));
        assert!(st.value().is_empty());
    }

    #[test]
    fn parses_fractional_seconds() {
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_seconds("5"), Ok(Duration::from_secs(5)));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("soon").is_err());
    }
}
