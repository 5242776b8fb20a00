//! Poetry client on the reactor's low-level interface: one raw socket per server,
//! registered with `add_reader`, read by hand in `do_read` (the seeds' first Twisted
//! poetry client). Downloads from every server at once and prints each chunk as it
//! arrives, then a summary.
//!
//! ```text
//! cargo run --example get_poetry_v1 -- 10000 10001 10002
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::str::FromStr;
use std::time::{Duration, Instant};

use clap::Parser;
use torsion::error::{ConnectionDone, ConnectionLost};
use torsion::{Failure, FileDescriptor, Reactor};

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
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
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
    for socket in &sockets {
        let socket = socket.borrow();
        println!(
            "Task {}: {} bytes of poetry",
            socket.task,
            socket.poem.len()
        );
    }
    println!("Got {} poems in {}", sockets.len(), format_elapsed(elapsed));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_default_to_the_local_host() {
        assert_eq!(
            "10000".parse(),
            Ok(Address {
                host: "127.0.0.1".into(),
                port: 10000
            })
        );
        assert_eq!(
            "example.org:7".parse(),
            Ok(Address {
                host: "example.org".into(),
                port: 7
            })
        );
        assert_eq!(":8".parse::<Address>().unwrap().to_string(), "127.0.0.1:8");
        assert!("host:port".parse::<Address>().is_err());
        assert!("70000".parse::<Address>().is_err());
    }

    #[test]
    fn elapsed_time_reads_like_a_timedelta() {
        assert_eq!(
            format_elapsed(Duration::from_micros(10_134_220)),
            "0:00:10.134220"
        );
        assert_eq!(
            format_elapsed(Duration::from_secs(3 * 3600 + 61)),
            "3:01:01.000000"
        );
    }
}
