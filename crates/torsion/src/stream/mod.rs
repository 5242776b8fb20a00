//! The stream engine: one state machine for every connection that moves bytes over file
//! descriptors (TCP and UNIX sockets, pipes, terminals, a child's standard streams),
//! whatever opened it. The kind of descriptor only decides what [`StreamSource`] says: how
//! it is polled, half-closed and closed. TCP's own parts (listen, accept, connect, socket
//! options) live in [`crate::tcp`], on top.
//!
//! # The parts
//!
//! - [`StreamConn`] (`conn.rs`): a connection's state; [`StreamCell`] shares it between
//!   the reactor's table ([`Streams`], `table.rs`) and the connection's transports
//!   ([`StreamHandle`], `handle.rs`).
//! - How bytes move: `read_into` and `write_out` on [`StreamConn`], with `read(2)` and
//!   `write(2)` for every kind (SIGPIPE is ignored by the reactor, as Twisted does), except
//!   that a kind that passes descriptors (`PASSES_FDS`, a UNIX stream) reads with
//!   `recvmsg` through its source, and a flush with descriptors queued (`FDS_QUEUED`, one
//!   of `FLUSH_SLOW`) sends them with `sendmsg` on the slow path. A
//!   completion backend would replace these two and call [`Reactor::after_write`] when a
//!   write completes; the write buffer ([`WriteBuffer`]) keeps bytes in flight apart from
//!   the part appends go to, and a close frees only the latter.
//! - TLS (`tls.rs`): a connection with [`flags::TLS`] seals its plaintext into records at
//!   each flush and feeds what it reads to its session; both on the slow paths.
//! - The paths from the loop: `read.rs` (readiness → read → `data_received`), `flush.rs`
//!   (the flush and what follows a write), `close.rs` (the end of a connection).
//!
//! # The flag word
//!
//! A connection's state is one `u32` of bits ([`flags`]), tested together on the hot path:
//!
//! | bit | set by | cleared by |
//! |---|---|---|
//! | `CONNECTING` | a client stream's creation | the opener, when the connect completes |
//! | `READ_READY` | a readable (or hang-up) event; an always-ready descriptor | a read that drained the descriptor (EAGAIN, or short where that proves it); EOF |
//! | `READ_HUP` | a hang-up or error event | never: the descriptor is read to its end |
//! | `READ_EOF` | a read of 0 bytes | never |
//! | `WRITABLE` | creation (not connecting); a writable event; the connect | a write that met EAGAIN |
//! | `USER_PAUSED` | `Transport::pause_producing` | `Transport::resume_producing` |
//! | `BACKPRESSURE` | a flush that left more than the high watermark | a flush that left at most the low watermark |
//! | `DISCONNECTING` | `lose_connection` | never (the flush that empties the buffer closes) |
//! | `SHUTDOWN_REQUESTED` | `lose_write_connection` | never |
//! | `WRITE_SHUT` | the flush that empties the buffer after `SHUTDOWN_REQUESTED` | never |
//! | `IN_DIRTY` | `mark_dirty`; the end of reads that left bytes to send | the flush that handles it |
//! | `CLOSING` | a close reason (abort, error, panic, EOF after half-close) | never (the next flush finalizes) |
//! | `READING` | each read | the end of the reads of one event |
//! | `CLOSED` | `finalize` | never |
//! | `PRODUCER` | `register_producer` | `unregister_producer`; the close |
//! | `SWITCHING` | `Cx::switch_protocol` | the flush that switches |
//! | `READ_TO_EAGAIN`, `UNPOLLED`, `PASSES_FDS` | the kind, at creation | never |
//! | `FDS_QUEUED` | `Transport::send_file_descriptor` | the flush that sent the last queued descriptor |
//! | `TLS` | `Transport::start_tls` (and so `listen_tls`, `connect_tls`) | never |
//!
//! Reading happens only while `READ_READY` is set and none of
//! [`STOPS_READING`](flags::STOPS_READING) is; the fast flush only while none of
//! [`FLUSH_SLOW`](flags::FLUSH_SLOW) is, and only leaves as much buffered as both the high
//! watermark and the hard limit allow; writes are refused once any of
//! [`REFUSES_WRITES`](flags::REFUSES_WRITES) is set. Debug builds check the invariants
//! between bits at every `set` ([`flags::debug_check`]).

mod adopt;
mod close;
mod conn;
mod fd_pair;
pub(crate) mod flags;
mod flush;
mod handle;
mod read;
mod source;
mod table;
mod tls;
mod write_buffer;

pub(crate) use conn::{Opener, StreamCell, StreamConn};
pub(crate) use fd_pair::FdPair;
pub(crate) use handle::StreamHandle;
pub(crate) use source::{Polled, StreamSource};
pub(crate) use table::Streams;

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::ConnectionLost;
use crate::Failure;

/// The failure for a connection the OS reports broken.
pub(crate) fn lost(err: io::Error) -> Failure {
    Failure::new(ConnectionLost {
        os_error: Some(err),
    })
}

/// Drops `value` (a protocol, with whatever it holds) with a panic in its `Drop` caught
/// and logged, so user code never unwinds into the loop.
pub(crate) fn drop_guarded<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        let failure = Failure::from_panic("drop", payload);
        tracing::error!(%failure, "a protocol panicked while it was dropped");
    }
}
