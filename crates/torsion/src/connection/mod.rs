//! [`Connection`]: a connection used from `async` code, with `read`, `write` and `close`
//! as futures, on the reactor's own transports and protocols.
//!
//! Underneath is a protocol ([`StreamProtocol`]) like any other: what arrives waits in the
//! connection until read (past 64 KiB unread, the socket stops being read, so the peer
//! slows down), and writers wait while the transport's buffer is over its high watermark.
//! `Connection` implements `futures_io`'s `AsyncRead` and `AsyncWrite`, so codecs from that
//! ecosystem apply.
//!
//! # Examples
//!
//! An echo server whose connections are `async fn`s, and a client:
//!
//! ```
//! use torsion::connection::{self, Connection};
//! use torsion::endpoints::TcpClientEndpoint;
//! use torsion::{Failure, Reactor};
//!
//! async fn echo(mut conn: Connection) -> Result<(), Failure> {
//!     let mut buf = [0u8; 1024];
//!     loop {
//!         let n = conn.read(&mut buf).await?;
//!         if n == 0 {
//!             return Ok(());
//!         }
//!         conn.write(&buf[..n]).await?;
//!     }
//! }
//!
//! let reactor = Reactor::new()?;
//! let port = reactor.listen_tcp(0, connection::serve(&reactor, echo))?;
//! let endpoint = TcpClientEndpoint::new(&reactor, "127.0.0.1", port.get_host().port());
//! let r = reactor.clone();
//! let reply = reactor.spawn_local(async move {
//!     let mut conn = Connection::connect(&endpoint.into()).await?;
//!     conn.write(b"ping").await?;
//!     let mut buf = [0u8; 4];
//!     conn.read_exact(&mut buf).await?;
//!     r.stop();
//!     Ok::<_, Failure>(buf)
//! });
//! reactor.run()?;
//! assert_eq!(&reply.take_result().unwrap()??, b"ping");
//! # Ok::<(), Failure>(())
//! ```

mod handle;
mod io;
mod protocol;
mod shared;

pub use handle::{serve, Connection};
pub use protocol::StreamProtocol;
