//! Poetry client on the reactor's low-level interface: one raw socket per server,
//! registered with `add_reader`, read by hand in `do_read` (the seeds' first Twisted
//! poetry client). Downloads from every server at once and prints each chunk as it
//! arrives, then a summary.
//!
//! ```text
//! cargo run --example get_poetry_v1 -- 10000 10001 10002
//! ```

use std::cell::{Cell, RefCell};
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::time::Instant;

use clap::Parser;
use poetry::{print_summary, Address};
use torsion::error::{ConnectionDone, ConnectionLost};
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

    fn connection_lost(&mut self, _reason: &Failure) {
        self.stream = None;
        self.remaining.set(self.remaining.get() - 1);
        if self.remaining.get() == 0 {
            self.reactor.stop();
        }
    }

    fn log_prefix(&self) -> String {
        format!("PoetrySocket(task {})", self.task)
    }
}

/// Connects (blocking, as the seed does) and switches the socket to non-blocking.
fn connect(address: &Address) -> io::Result<(SocketAddr, TcpStream)> {
    let stream = TcpStream::connect((address.host.as_str(), address.port))?;
    stream.set_nonblocking(true)?;
    Ok((stream.peer_addr()?, stream))
}

fn main() -> torsion::Result<()> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let start = Instant::now();
    let reactor = Reactor::new()?;
    let remaining = Rc::new(Cell::new(0));
    let mut sockets = Vec::new();
    for address in &args.addresses {
        let Ok((peer, stream)) = connect(address) else {
            println!("Failed to connect to: {address}");
            continue;
        };
        let socket = Rc::new(RefCell::new(PoetrySocket {
            task: sockets.len() + 1,
            peer,
            fd: stream.as_raw_fd(),
            stream: Some(stream),
            poem: Vec::new(),
            remaining: remaining.clone(),
            reactor: reactor.clone(),
        }));
        reactor.add_reader(socket.clone())?;
        remaining.set(remaining.get() + 1);
        sockets.push(socket);
    }
    if !sockets.is_empty() {
        reactor.run()?;
    }
    let elapsed = start.elapsed();
    let poems: Vec<(usize, usize)> = sockets
        .iter()
        .map(|s| (s.borrow().task, s.borrow().poem.len()))
        .collect();
    print_summary(&poems, elapsed);
    Ok(())
}
