//! Poetry client on the reactor's low-level interface: one raw socket per server,
//! registered with `add_reader`, read by hand in `do_read` (the seeds' first Twisted
//! poetry client). Downloads from every server at once and prints each chunk as it
//! arrives, then a summary. Exits with a failure status when any download failed (the
//! server could not be reached, or the connection broke before the poem's end).
//!
//! ```text
//! cargo run --example get_poetry_v1 -- 10000 10001 10002
//! ```

use std::cell::{Cell, RefCell};
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use clap::Parser;
use poetry::{poem_or_broken, Address, Downloads};
use torsion::error::{ConnectionDone, ConnectionLost, ConnectionRefused, DnsLookupError};
use torsion::{Failure, FileDescriptor, Reactor};

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

/// One download: a non-blocking socket the reactor watches for reading.
struct PoetrySocket {
    task: usize,
    peer: SocketAddr,
    fd: RawFd,
    stream: Option<TcpStream>,
    poem: Vec<u8>,
    /// How every download went, shared by all sockets.
    downloads: Rc<RefCell<Downloads>>,
    /// Downloads still running, shared by all sockets; the last one stops the reactor.
    remaining: Rc<Cell<usize>>,
    reactor: Reactor,
}

impl FileDescriptor for PoetrySocket {
    fn fileno(&self) -> RawFd {
        self.fd
    }

    fn do_read(&mut self) -> Result<(), Failure> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(Failure::new(ConnectionDone));
        };
        let mut buf = [0u8; 1024];
        let mut got = 0;
        let mut eof = false;
        loop {
            match stream.read(&mut buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    self.poem.extend_from_slice(&buf[..n]);
                    got += n;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    return Err(Failure::new(ConnectionLost {
                        os_error: Some(err),
                    }))
                }
            }
        }
        if got > 0 {
            println!(
                "Task {}: got {} bytes of poetry from {}",
                self.task, got, self.peer
            );
        }
        if eof {
            return Err(Failure::new(ConnectionDone));
        }
        Ok(())
    }

    fn connection_lost(&mut self, reason: &Failure) {
        self.stream = None;
        let poem = std::mem::take(&mut self.poem);
        let mut downloads = self.downloads.borrow_mut();
        match poem_or_broken(poem, reason) {
            Ok(poem) => downloads.poem_received(self.task, poem),
            Err(broken) => downloads.download_failed(self.task, self.peer, &broken),
        }
        self.remaining.set(self.remaining.get() - 1);
        if self.remaining.get() == 0 {
            self.reactor.stop();
        }
    }

    fn log_prefix(&self) -> String {
        format!("PoetrySocket(task {})", self.task)
    }
}

/// Connects (blocking, as the seed does) and switches the socket to non-blocking. Fails
/// as `connect_tcp` does: `DnsLookupError` for a host that does not resolve,
/// `ConnectionRefused` for a refused connection.
fn connect(address: &Address) -> Result<(SocketAddr, TcpStream), Failure> {
    let host = address.host.as_str();
    let addrs: Vec<SocketAddr> = (host, address.port)
        .to_socket_addrs()
        .map_err(|err| {
            Failure::new(DnsLookupError {
                host: host.to_string(),
                detail: err.to_string(),
            })
        })?
        .collect();
    let stream = TcpStream::connect(&addrs[..]).map_err(|err| match err.kind() {
        io::ErrorKind::ConnectionRefused => Failure::new(ConnectionRefused { os_error: err }),
        _ => Failure::from(err),
    })?;
    stream.set_nonblocking(true)?;
    Ok((stream.peer_addr()?, stream))
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let start = Instant::now();
    let reactor = Reactor::new()?;
    let downloads = Rc::new(RefCell::new(Downloads::default()));
    let remaining = Rc::new(Cell::new(0));
    let mut tasks = 0;
    for address in &args.addresses {
        let (peer, stream) = match connect(address) {
            Ok(connected) => connected,
            Err(reason) => {
                downloads.borrow_mut().connect_failed(address, &reason);
                continue;
            }
        };
        tasks += 1;
        let socket = PoetrySocket {
            task: tasks,
            peer,
            fd: stream.as_raw_fd(),
            stream: Some(stream),
            poem: Vec::new(),
            downloads: downloads.clone(),
            remaining: remaining.clone(),
            reactor: reactor.clone(),
        };
        reactor.add_reader(Rc::new(RefCell::new(socket)))?;
        remaining.set(remaining.get() + 1);
    }
    if tasks > 0 {
        reactor.run()?;
    }
    let elapsed = start.elapsed();
    let summary = downloads.borrow().print_summary(elapsed);
    Ok(summary)
}
