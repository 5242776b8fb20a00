//! Poetry client on protocols and a client factory (the seeds' second Twisted poetry
//! client): one connection per server, all built by one shared factory that numbers
//! the tasks, collects the poems and stops the reactor when every download is over.
//!
//! ```text
//! cargo run --example get_poetry_v2 -- 10000 10001 10002
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::rc::Rc;
use std::str::FromStr;
use std::time::{Duration, Instant};

use clap::Parser;
use torsion::{ClientFactory, Connector, Cx, Failure, Protocol, Reactor};

/// Downloads a poem from each server given.
#[derive(Parser)]
struct Args {
    /// The servers, as `PORT` (on 127.0.0.1) or `HOST:PORT`.
    #[arg(required = true)]
    addresses: Vec<Address>,
}

/// A server to download from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Address {
    host: String,
    port: u16,
}

impl FromStr for Address {
    type Err = String;

    fn from_str(text: &str) -> Result<Address, String> {
        let (host, port) = text.rsplit_once(':').unwrap_or(("", text));
        let port = port
            .parse()
            .map_err(|e| format!("bad port in {text:?}: {e}"))?;
        let host = if host.is_empty() { "127.0.0.1" } else { host };
        Ok(Address {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// `H:MM:SS.ffffff`, as Python prints a `timedelta`.
fn format_elapsed(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    format!(
        "{}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        elapsed.subsec_micros()
    )
}

/// Finished poems by task number.
type Poems = Rc<RefCell<BTreeMap<usize, Vec<u8>>>>;

/// One download: collects the bytes and hands the poem over when the server closes.
struct PoetryProtocol {
    task: usize,
    poem: Vec<u8>,
    poems: Poems,
}

impl Protocol for PoetryProtocol {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.poem.extend_from_slice(data);
        println!(
            "Task {}: got {} bytes of poetry from {}",
            self.task,
            data.len(),
            cx.transport().get_peer()
        );
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.poems
            .borrow_mut()
            .insert(self.task, std::mem::take(&mut self.poem));
    }
}

/// Shared by every connection: numbers the tasks and stops the reactor after the last.
struct PoetryClientFactory {
    next_task: usize,
    remaining: usize,
    poems: Poems,
    reactor: Reactor,
}

impl PoetryClientFactory {
    /// One download is over, with or without a poem.
    fn poem_finished(&mut self) {
        self.remaining -= 1;
        if self.remaining == 0 {
            self.reactor.stop();
        }
    }
}

impl ClientFactory for PoetryClientFactory {
    type Protocol = PoetryProtocol;

    fn build_protocol(&mut self, _addr: SocketAddr) -> Option<PoetryProtocol> {
        let task = self.next_task;
        self.next_task += 1;
        Some(PoetryProtocol {
            task,
            poem: Vec::new(),
            poems: self.poems.clone(),
        })
    }

    fn client_connection_failed(&mut self, connector: &Connector, _reason: &Failure) {
        println!("Failed to connect to: {}", connector.get_destination());
        self.poem_finished();
    }

    fn client_connection_lost(&mut self, _connector: &Connector, _reason: &Failure) {
        self.poem_finished();
    }
}

fn main() -> torsion::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let start = Instant::now();
    let reactor = Reactor::new()?;
    let poems = Poems::default();
    let factory = Rc::new(RefCell::new(PoetryClientFactory {
        next_task: 1,
        remaining: args.addresses.len(),
        poems: poems.clone(),
        reactor: reactor.clone(),
    }));
    for address in &args.addresses {
        reactor.connect_tcp(&address.host, address.port, factory.clone());
    }
    reactor.run()?;
    let elapsed = start.elapsed();
    let poems = poems.borrow();
    for (task, poem) in poems.iter() {
        println!("Task {task}: {} bytes of poetry", poem.len());
    }
    println!("Got {} poems in {}", poems.len(), format_elapsed(elapsed));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::error::ConnectionDone;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn collects_the_poem_and_hands_it_over_when_closed() {
        let poems = Poems::default();
        let st = StringTransport::new();
        let proto = PoetryProtocol {
            task: 2,
            poem: Vec::new(),
            poems: poems.clone(),
        };
        let h = ProtocolHarness::connect(proto, &st, &Clock::new()).unwrap();
        h.data_received_in_chunks(b"Roses are red, the loop is too.", 4)
            .unwrap();
        assert!(poems.borrow().is_empty(), "handed over only at the end");
        assert!(st.value().is_empty(), "a poetry client writes nothing");
        h.connection_lost(Failure::new(ConnectionDone));
        assert_eq!(
            poems.borrow().get(&2).map(Vec::as_slice),
            Some(&b"Roses are red, the loop is too."[..])
        );
    }

    #[test]
    fn addresses_default_to_the_local_host() {
        assert_eq!(
            "10001".parse(),
            Ok(Address {
                host: "127.0.0.1".into(),
                port: 10001
            })
        );
        assert_eq!(
            "localhost:9".parse::<Address>().unwrap().to_string(),
            "localhost:9"
        );
        assert!("x".parse::<Address>().is_err());
    }

    #[test]
    fn elapsed_time_reads_like_a_timedelta() {
        assert_eq!(
            format_elapsed(Duration::from_micros(10_132_753)),
            "0:00:10.132753"
        );
    }
}
