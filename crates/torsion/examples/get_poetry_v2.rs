//! Poetry client on protocols and a client factory (the seeds' second Twisted poetry
//! client): one connection per server, all built by one shared factory that numbers
//! the tasks, collects the poems and stops the reactor when every download is over.
//!
//! ```text
//! cargo run --example get_poetry_v2 -- 10000 10001 10002
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant;

use clap::Parser;
use poetry::{print_summary, Address};
use torsion::{ClientFactory, Connector, Cx, Failure, Protocol, Reactor};

#[path = "support/logging.rs"]
mod logging;
#[path = "support/poetry.rs"]
mod poetry;

/// Downloads a poem from each server given.
#[derive(Parser)]
struct Args {
    /// The servers, as `PORT` (on 127.0.0.1) or `HOST:PORT`.
    #[arg(required = true)]
    addresses: Vec<Address>,
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
    logging::log_to_stderr(tracing::Level::INFO);
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
    let poems: Vec<(usize, usize)> = poems.borrow().iter().map(|(t, p)| (*t, p.len())).collect();
    print_summary(&poems, elapsed);
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
}
