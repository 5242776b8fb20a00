//! SIGINT and SIGTERM stop a running reactor: the handler writes to a socket pair the loop
//! polls, so the stop happens from the loop with the shutdown triggers run.

use std::io::{self, Read};
use std::os::unix::net::UnixStream;

use mio::{Interest, Registry};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::SigId;

use super::token::SIGNAL;

pub(crate) struct SignalWatch {
    reader: mio::net::UnixStream,
    ids: Vec<SigId>,
}

impl SignalWatch {
    pub(crate) fn install(registry: &Registry) -> io::Result<SignalWatch> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        let mut reader = mio::net::UnixStream::from_std(reader);
        registry.register(&mut reader, SIGNAL, Interest::READABLE)?;
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGTERM] {
            ids.push(signal_hook::low_level::pipe::register(
                sig,
                writer.try_clone()?,
            )?);
        }
        Ok(SignalWatch { reader, ids })
    }

    /// Empties the socket; returns whether a signal arrived.
    pub(crate) fn drain(&mut self) -> bool {
        let mut buf = [0u8; 64];
        let mut got = false;
        while let Ok(n) = self.reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            got = true;
        }
        got
    }

    pub(crate) fn uninstall(mut self, registry: &Registry) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        let _ = registry.deregister(&mut self.reader);
    }
}
