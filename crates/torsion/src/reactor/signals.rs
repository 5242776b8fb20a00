//! The loop's view of POSIX signals: a handler sets the signal's flag and writes a byte to
//! a socket pair the loop polls, so whatever a signal asks for happens from the loop, never
//! inside the handler.

use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mio::{Interest, Registry};
use signal_hook::SigId;

use super::token::SIGNAL;

/// The signals a running reactor listens for, with a flag each.
pub(crate) struct SignalWatch {
    reader: mio::net::UnixStream,
    writer: UnixStream,
    watched: Vec<Watched>,
}

struct Watched {
    signal: i32,
    arrived: Arc<AtomicBool>,
    ids: [SigId; 2],
}

impl SignalWatch {
    /// A watch with no signal yet, its socket registered with the poller.
    pub(crate) fn new(registry: &Registry) -> io::Result<SignalWatch> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        let mut reader = mio::net::UnixStream::from_std(reader);
        registry.register(&mut reader, SIGNAL, Interest::READABLE)?;
        Ok(SignalWatch {
            reader,
            writer,
            watched: Vec::new(),
        })
    }

    /// Starts listening for `signal` (nothing if it is listened for already).
    ///
    /// # Errors
    ///
    /// The registration's error: `signal` is one no handler may take (`SIGKILL`,
    /// `SIGSTOP`, `SIGSEGV`, ...) or out of range.
    pub(crate) fn watch(&mut self, signal: i32) -> io::Result<()> {
        if self.watched.iter().any(|w| w.signal == signal) {
            return Ok(());
        }
        let arrived = Arc::new(AtomicBool::new(false));
        // The flag first: the loop, woken by the byte, must find it set.
        let flag = signal_hook::flag::register(signal, arrived.clone())?;
        let wake = match signal_hook::low_level::pipe::register(signal, self.writer.try_clone()?) {
            Ok(id) => id,
            Err(err) => {
                signal_hook::low_level::unregister(flag);
                return Err(err);
            }
        };
        self.watched.push(Watched {
            signal,
            arrived,
            ids: [flag, wake],
        });
        Ok(())
    }

    /// Empties the socket and gives the signals that arrived since the last call, in the
    /// order they were first watched.
    pub(crate) fn arrived(&mut self) -> Vec<i32> {
        let mut buf = [0u8; 64];
        while let Ok(n) = self.reader.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
        self.watched
            .iter()
            .filter(|w| w.arrived.swap(false, Ordering::SeqCst))
            .map(|w| w.signal)
            .collect()
    }

    /// Stops listening for every signal and takes the socket off the poller.
    pub(crate) fn uninstall(mut self, registry: &Registry) {
        for watched in self.watched.drain(..) {
            for id in watched.ids {
                signal_hook::low_level::unregister(id);
            }
        }
        let _ = registry.deregister(&mut self.reader);
    }
}
