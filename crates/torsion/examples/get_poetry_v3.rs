//! Poetry client on Deferreds (the seeds' third Twisted poetry client): `get_poetry`
//! downloads one poem and answers with a Deferred, which its client factory and protocol
//! fire; `main` adds a callback and an errback to each server's Deferred to record how the
//! download went, and stops the reactor once every one has fired. Prints what
//! `get_poetry_v2` prints, with the tasks numbered in the order the servers are given, and
//! exits with a failure status when any download failed.
//!
//! ```text
//! cargo run --example get_poetry_v3 -- 10000 10001 10002
//! ```

use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use clap::Parser;
use poetry::{poem_or_broken, Address, Downloads};
use torsion::defer::Deferred;
use torsion::{ClientFactory, Connector, Cx, Failure, Protocol, Reactor, ReactorTcp};

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

/// One download: collects the poem, printing each chunk, and fires the download's
/// Deferred when the connection ends.
struct PoetryProtocol {
    task: usize,
    poem: Vec<u8>,
    finished: Deferred<Vec<u8>>,
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

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        let poem = std::mem::take(&mut self.poem);
        // One download, one connection: the Deferred has no result yet.
        let _ = match poem_or_broken(poem, reason) {
            Ok(poem) => self.finished.callback(poem),
            Err(broken) => self.finished.errback(broken),
        };
    }
}

/// Builds the download's protocol, or fails its Deferred when the server cannot be
/// reached.
struct PoetryClientFactory {
    task: usize,
    finished: Deferred<Vec<u8>>,
}

impl ClientFactory for PoetryClientFactory {
    type Protocol = PoetryProtocol;

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<PoetryProtocol> {
        Some(PoetryProtocol {
            task: self.task,
            poem: Vec::new(),
            finished: self.finished.clone(),
        })
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        let _ = self.finished.errback(reason.clone());
    }
}

/// Downloads the poem `address` serves, as task `task` (which numbers the progress lines,
/// `Task N: got X bytes of poetry from HOST:PORT`). The Deferred fires with the poem once
/// the server closes the connection cleanly, or fails with why the server could not be
/// reached, or with a [`DownloadBroken`](poetry::DownloadBroken) when the connection broke
/// before the poem's end.
fn get_poetry(reactor: &impl ReactorTcp, task: usize, address: &Address) -> Deferred<Vec<u8>> {
    let finished = Deferred::new();
    let factory = PoetryClientFactory {
        task,
        finished: finished.clone(),
    };
    reactor.connect_tcp(&address.host, address.port, factory);
    finished
}

/// How every download went, shared by the callbacks.
type SharedDownloads = Rc<RefCell<Downloads>>;

/// Adds to `poem`, task `task`'s download from `address`, the callback and the errback
/// that record how it went.
fn record(
    poem: Deferred<Vec<u8>>,
    downloads: &SharedDownloads,
    task: usize,
    address: Address,
) -> Deferred<()> {
    let (got, failed) = (downloads.clone(), downloads.clone());
    poem.add_callbacks(
        move |poem| {
            got.borrow_mut().poem_received(task, poem);
            Ok::<_, Failure>(())
        },
        move |failure| {
            failed
                .borrow_mut()
                .download_failed(task, &address, &failure);
            Ok(())
        },
    )
}

/// Stops the reactor once every download is over.
struct Countdown {
    remaining: Cell<usize>,
    reactor: Reactor,
}

impl Countdown {
    /// One download is over.
    fn one_done(&self) {
        self.remaining.set(self.remaining.get() - 1);
        if self.remaining.get() == 0 {
            self.reactor.stop();
        }
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let start = Instant::now();
    let reactor = Reactor::new()?;
    let downloads = SharedDownloads::default();
    let countdown = Rc::new(Countdown {
        remaining: Cell::new(args.addresses.len()),
        reactor: reactor.clone(),
    });
    for (task, address) in (1..).zip(args.addresses) {
        let countdown = countdown.clone();
        let poem = get_poetry(&reactor, task, &address);
        record(poem, &downloads, task, address).add_both(move |outcome| {
            countdown.one_done();
            outcome
        });
    }
    reactor.run()?;
    let elapsed = start.elapsed();
    let summary = downloads.borrow().print_summary(elapsed);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use poetry::DownloadBroken;
    use torsion::error::{ConnectionDone, ConnectionLost, ConnectionRefused};
    use torsion::testing::{MemoryReactor, StringTransport};

    fn address(port: u16) -> Address {
        Address {
            host: "127.0.0.1".into(),
            port,
        }
    }

    #[test]
    fn fires_with_the_poem_once_the_server_closes() {
        let reactor = MemoryReactor::new();
        let poem = get_poetry(&reactor, 1, &address(10000));
        let record = &reactor.tcp_clients()[0];
        assert_eq!((record.host.as_str(), record.port), ("127.0.0.1", 10000));

        let st = StringTransport::new();
        let connector = record.connector();
        let h = connector
            .connection_succeeded::<PoetryProtocol>(&st)
            .unwrap();
        h.data_received_in_chunks(b"The loop turns; the poem comes.", 5)
            .unwrap();
        assert!(!poem.called(), "fired only at the end");
        connector.connection_lost(Failure::new(ConnectionDone));
        assert_eq!(
            poem.take_result().unwrap().unwrap(),
            b"The loop turns; the poem comes."
        );
    }

    #[test]
    fn fails_with_the_bytes_received_when_the_connection_breaks() {
        let reactor = MemoryReactor::new();
        let poem = get_poetry(&reactor, 2, &address(10001));
        let connector = reactor.tcp_clients()[0].connector();
        let h = connector
            .connection_succeeded::<PoetryProtocol>(&StringTransport::new())
            .unwrap();
        h.data_received(b"Half a").unwrap();
        connector.connection_lost(Failure::new(ConnectionLost { os_error: None }));
        let failure = poem.take_result().unwrap().unwrap_err();
        let broken = failure.downcast_ref::<DownloadBroken>().unwrap();
        assert_eq!(broken.received, 6);
        assert!(broken.reason.check::<ConnectionLost>());
    }

    #[test]
    fn fails_with_why_the_server_could_not_be_reached() {
        let reactor = MemoryReactor::new();
        let poem = get_poetry(&reactor, 3, &address(10002));
        let refused = ConnectionRefused {
            os_error: std::io::ErrorKind::ConnectionRefused.into(),
        };
        reactor.tcp_clients()[0]
            .connector()
            .connection_failed(Failure::new(refused));
        let failure = poem.take_result().unwrap().unwrap_err();
        assert!(failure.check::<ConnectionRefused>(), "{failure}");
    }

    #[test]
    fn records_poems_and_failures_by_task() {
        let downloads = SharedDownloads::default();
        let poem = Deferred::new();
        let recorded = record(poem.clone(), &downloads, 1, address(10000));
        poem.callback(b"whole".to_vec()).unwrap();
        assert!(recorded.take_result().unwrap().is_ok());

        let poem = Deferred::new();
        let recorded = record(poem.clone(), &downloads, 2, address(10001));
        poem.errback(Failure::new(ConnectionLost { os_error: None }))
            .unwrap();
        assert!(
            recorded.take_result().unwrap().is_ok(),
            "the errback handled it"
        );

        let downloads = downloads.borrow();
        assert_eq!(
            downloads.poems.get(&1).map(Vec::as_slice),
            Some(&b"whole"[..])
        );
        assert_eq!(downloads.failed, ["127.0.0.1:10001"]);
    }
}
