//! Poetry client on protocols and a client factory (the seeds' second Twisted poetry
//! client): one connection per server, all built by one shared factory that numbers
//! the tasks, collects the poems and stops the reactor when every download is over.
//! Exits with a failure status when any download failed (the server could not be
//! reached, or the connection broke before the poem's end).
//!
//! ```text
//! cargo run --example get_poetry_v2 -- 10000 10001 10002
//! ```

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use clap::Parser;
use poetry::{poem_or_broken, Address, Downloads};
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

/// How every download went, shared by the factory and its connections.
type SharedDownloads = Rc<RefCell<Downloads>>;

/// One download: collects the bytes and hands them over when the connection ends.
struct PoetryProtocol {
    task: usize,
    poem: Vec<u8>,
    downloads: SharedDownloads,
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

    fn connection_lost(&mut self, cx: &mut Cx<Self>, reason: &Failure) {
        let poem = std::mem::take(&mut self.poem);
        let peer = cx.transport().get_peer();
        let mut downloads = self.downloads.borrow_mut();
        match poem_or_broken(poem, reason) {
            Ok(poem) => downloads.poem_received(self.task, poem),
            Err(broken) => downloads.download_failed(self.task, peer, &broken),
        }
    }
}

/// Shared by every connection: numbers the tasks and stops the reactor after the last.
struct PoetryClientFactory {
    next_task: usize,
    remaining: usize,
    downloads: SharedDownloads,
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

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<PoetryProtocol> {
        let task = self.next_task;
        self.next_task += 1;
        Some(PoetryProtocol {
            task,
            poem: Vec::new(),
            downloads: self.downloads.clone(),
        })
    }

    fn client_connection_failed(&mut self, connector: &Connector, reason: &Failure) {
        self.downloads
            .borrow_mut()
            .connect_failed(connector.get_destination(), reason);
        self.poem_finished();
    }

    fn client_connection_lost(&mut self, _connector: &Connector, _reason: &Failure) {
        self.poem_finished();
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let start = Instant::now();
    let reactor = Reactor::new()?;
    let downloads = SharedDownloads::default();
    let factory = Rc::new(RefCell::new(PoetryClientFactory {
        next_task: 1,
        remaining: args.addresses.len(),
        downloads: downloads.clone(),
        reactor: reactor.clone(),
    }));
    for address in &args.addresses {
        reactor.connect_tcp(&address.host, address.port, factory.clone());
    }
    reactor.run()?;
    let elapsed = start.elapsed();
    let summary = downloads.borrow().print_summary(elapsed);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::error::{ConnectionDone, ConnectionLost};
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn collects_the_poem_and_hands_it_over_when_closed() {
        let downloads = SharedDownloads::default();
        let st = StringTransport::new();
        let proto = PoetryProtocol {
            task: 2,
            poem: Vec::new(),
            downloads: downloads.clone(),
        };
        let h = ProtocolHarness::connect(proto, &st, &Clock::new()).unwrap();
        h.data_received_in_chunks(b"Roses are red, the loop is too.", 4)
            .unwrap();
        assert!(
            downloads.borrow().poems.is_empty(),
            "handed over only at the end"
        );
        assert!(st.value().is_empty(), "a poetry client writes nothing");
        h.connection_lost(Failure::new(ConnectionDone));
        assert_eq!(
            downloads.borrow().poems.get(&2).map(Vec::as_slice),
            Some(&b"Roses are red, the loop is too."[..])
        );
        assert_eq!(downloads.borrow().failures(), None);
    }

    #[test]
    fn a_broken_connection_fails_the_download() {
        let downloads = SharedDownloads::default();
        let st = StringTransport::new();
        let proto = PoetryProtocol {
            task: 1,
            poem: Vec::new(),
            downloads: downloads.clone(),
        };
        let h = ProtocolHarness::connect(proto, &st, &Clock::new()).unwrap();
        h.data_received(b"Roses are").unwrap();
        h.connection_lost(Failure::new(ConnectionLost { os_error: None }));
        assert!(
            downloads.borrow().poems.is_empty(),
            "half a poem is no poem"
        );
        assert_eq!(
            downloads.borrow().failed,
            [st.transport().get_peer().to_string()]
        );
    }
}
