//! Poetry client in `async`/`await` (the seeds' Deferred poetry client, written as
//! coroutines): `get_poetry` connects with `Connection::connect(..).await` and reads until
//! the server closes; `main` spawns one task per server on the reactor, and one more that
//! waits for them all and stops the reactor. Prints what `get_poetry_v3` prints and exits
//! with a failure status when any download failed.
//!
//! ```text
//! cargo run --example get_poetry_async -- 10000 10001 10002
//! ```

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use clap::Parser;
use poetry::{poem_or_broken, Address, Downloads};
use torsion::connection::Connection;
use torsion::endpoints::{ClientEndpoint, TcpClientEndpoint};
use torsion::{Failure, Reactor};

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

/// How every download went, shared by the tasks.
type SharedDownloads = Rc<RefCell<Downloads>>;

/// Downloads the poem `endpoint` serves, as task `task`, printing `Task N: got X bytes of
/// poetry from HOST:PORT` for each chunk read. Gives the poem once the server closes the
/// connection cleanly; fails with why the server could not be reached, or with a
/// [`DownloadBroken`](poetry::DownloadBroken) when the connection broke before the poem's
/// end.
async fn get_poetry(task: usize, endpoint: &ClientEndpoint) -> Result<Vec<u8>, Failure> {
    let mut connection = Connection::connect(endpoint).await?;
    let peer = connection
        .peer()
        .expect("a connected Connection has a peer");
    let mut poem = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match connection.read(&mut chunk).await {
            Ok(0) => return Ok(poem),
            Ok(n) => {
                println!("Task {task}: got {n} bytes of poetry from {peer}");
                poem.extend_from_slice(&chunk[..n]);
            }
            Err(err) => {
                let reason = connection.close_reason().unwrap_or_else(|| err.into());
                return poem_or_broken(poem, &reason);
            }
        }
    }
}

/// Task `task`: downloads from `address` and records how it went.
async fn download(reactor: Reactor, task: usize, address: Address, downloads: SharedDownloads) {
    let endpoint = TcpClientEndpoint::new(&reactor, &address.host, address.port).into();
    let outcome = get_poetry(task, &endpoint).await;
    let mut downloads = downloads.borrow_mut();
    match outcome {
        Ok(poem) => downloads.poem_received(task, poem),
        Err(failure) => downloads.download_failed(task, &address, &failure),
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let start = Instant::now();
    let reactor = Reactor::new()?;
    let downloads = SharedDownloads::default();
    let tasks: Vec<_> = (1..)
        .zip(args.addresses)
        .map(|(task, address)| {
            reactor.spawn_local(download(reactor.clone(), task, address, downloads.clone()))
        })
        .collect();
    let stopper = reactor.clone();
    drop(reactor.spawn_local(async move {
        for task in tasks {
            if let Err(failure) = task.await {
                tracing::error!(%failure, "a download task failed");
            }
        }
        stopper.stop();
    }));
    reactor.run()?;
    let elapsed = start.elapsed();
    let summary = downloads.borrow().print_summary(elapsed);
    Ok(summary)
}
