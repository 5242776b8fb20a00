//! Readiness for raw file descriptors (Twisted's `IReactorFDSet`): `add_reader`,
//! `add_writer` and friends, for code that does its own reads and writes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use mio::event::Event;
use mio::unix::SourceFd;
use mio::Interest;

use super::token;
use super::Reactor;
use crate::slab::{Key, Slab};
use crate::Failure;

/// An object the reactor calls when its file descriptor is ready (Twisted's
/// `IReadDescriptor` / `IWriteDescriptor`).
///
/// The descriptor must be non-blocking. Readiness is level-triggered, as in Twisted:
/// `do_read` is called again on the next iteration as long as data is left unread.
/// Returning `Err(reason)` from `do_read` or `do_write` (or panicking) removes the
/// descriptor from the reactor and calls [`connection_lost`](FileDescriptor::connection_lost)
/// with that reason; return `Err(Failure::new(ConnectionDone))` at end of file.
///
/// # Examples
///
/// Reads what arrives on one end of a socket pair until EOF:
///
/// ```
/// use std::cell::RefCell;
/// use std::io::{Read, Write};
/// use std::os::fd::{AsRawFd, RawFd};
/// use std::os::unix::net::UnixStream;
/// use std::rc::Rc;
/// use torsion::error::ConnectionDone;
/// use torsion::{Failure, FileDescriptor, Reactor};
///
/// struct Collect {
///     sock: UnixStream,
///     got: Vec<u8>,
///     reactor: Reactor,
/// }
///
/// impl FileDescriptor for Collect {
///     fn fileno(&self) -> RawFd {
///         self.sock.as_raw_fd()
///     }
///     fn do_read(&mut self) -> Result<(), Failure> {
///         let mut buf = [0; 1024];
///         match (&self.sock).read(&mut buf) {
///             Ok(0) => Err(Failure::new(ConnectionDone)),
///             Ok(n) => {
///                 self.got.extend_from_slice(&buf[..n]);
///                 Ok(())
///             }
///             Err(_) => Ok(()), // EAGAIN: wait for the next event
///         }
///     }
///     fn connection_lost(&mut self, _reason: &Failure) {
///         self.reactor.stop();
///     }
/// }
///
/// let (ours, mut theirs) = UnixStream::pair()?;
/// ours.set_nonblocking(true)?;
/// let reactor = Reactor::new()?;
/// reactor.set_install_signal_handlers(false);
/// let collect = Rc::new(RefCell::new(Collect { sock: ours, got: Vec::new(), reactor: reactor.clone() }));
/// reactor.add_reader(collect.clone())?;
/// theirs.write_all(b"raw bytes")?;
/// drop(theirs);
/// reactor.run()?;
/// assert_eq!(collect.borrow().got, b"raw bytes");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait FileDescriptor {
    /// The descriptor to watch. It must stay the same while registered.
    fn fileno(&self) -> RawFd;

    /// The descriptor is readable.
    ///
    /// # Errors
    ///
    /// A failure closes the descriptor's registration (see the trait docs).
    fn do_read(&mut self) -> Result<(), Failure> {
        Ok(())
    }

    /// The descriptor is writable.
    ///
    /// # Errors
    ///
    /// As [`do_read`](FileDescriptor::do_read).
    fn do_write(&mut self) -> Result<(), Failure> {
        Ok(())
    }

    /// The reactor removed the descriptor because `do_read`/`do_write` failed.
    fn connection_lost(&mut self, reason: &Failure) {
        let _ = reason;
    }

    /// A short name for log lines about this descriptor.
    fn log_prefix(&self) -> String {
        "-".to_string()
    }
}

/// A descriptor as the reactor holds it: shared, so its owner keeps a handle too.
pub type Descriptor = Rc<RefCell<dyn FileDescriptor>>;

struct Entry {
    fd: RawFd,
    descriptor: Descriptor,
    reading: bool,
    writing: bool,
}

#[derive(Default)]
pub(crate) struct FdSet {
    entries: Slab<Entry>,
    /// Entries by the descriptor object's address: a descriptor may add or remove itself
    /// from inside its own callback, when it cannot be borrowed to ask its `fileno`.
    by_object: HashMap<usize, Key>,
    /// The descriptor being called and its `fileno`: it may remove itself and add itself
    /// back (`remove_reader(me); add_writer(me)`) while it is borrowed by its own call.
    calling: Option<(usize, RawFd)>,
}

fn object_id(descriptor: &Descriptor) -> usize {
    Rc::as_ptr(descriptor).cast::<()>() as usize
}

impl FdSet {
    fn interest(entry: &Entry) -> Option<Interest> {
        match (entry.reading, entry.writing) {
            (true, true) => Some(Interest::READABLE | Interest::WRITABLE),
            (true, false) => Some(Interest::READABLE),
            (false, true) => Some(Interest::WRITABLE),
            (false, false) => None,
        }
    }
}

impl Reactor {
    /// Calls `descriptor.do_read()` whenever its descriptor is readable, until
    /// [`remove_reader`](Reactor::remove_reader).
    ///
    /// # Errors
    ///
    /// The OS error if the descriptor cannot be polled.
    pub fn add_reader(&self, descriptor: Descriptor) -> std::io::Result<()> {
        self.set_interest(descriptor, Some(true), None)
    }

    /// Calls `descriptor.do_write()` whenever its descriptor is writable, until
    /// [`remove_writer`](Reactor::remove_writer).
    ///
    /// # Errors
    ///
    /// As [`add_reader`](Reactor::add_reader).
    pub fn add_writer(&self, descriptor: Descriptor) -> std::io::Result<()> {
        self.set_interest(descriptor, None, Some(true))
    }

    /// Stops calling `do_read` for this descriptor.
    pub fn remove_reader(&self, descriptor: &Descriptor) {
        let _ = self.set_interest(descriptor.clone(), Some(false), None);
    }

    /// Stops calling `do_write` for this descriptor.
    pub fn remove_writer(&self, descriptor: &Descriptor) {
        let _ = self.set_interest(descriptor.clone(), None, Some(false));
    }

    /// Removes every raw descriptor and returns them.
    pub fn remove_all(&self) -> Vec<Descriptor> {
        let all: Vec<Descriptor> = {
            let fds = self.core.fds.borrow();
            fds.by_object
                .values()
                .filter_map(|k| fds.entries.get(*k))
                .map(|e| e.descriptor.clone())
                .collect()
        };
        for d in &all {
            let _ = self.set_interest(d.clone(), Some(false), Some(false));
        }
        all
    }

    /// The descriptors registered for reading.
    pub fn get_readers(&self) -> Vec<Descriptor> {
        self.descriptors(|e| e.reading)
    }

    /// The descriptors registered for writing.
    pub fn get_writers(&self) -> Vec<Descriptor> {
        self.descriptors(|e| e.writing)
    }

    fn descriptors(&self, pick: impl Fn(&Entry) -> bool) -> Vec<Descriptor> {
        let fds = self.core.fds.borrow();
        fds.by_object
            .values()
            .filter_map(|k| fds.entries.get(*k))
            .filter(|e| pick(e))
            .map(|e| e.descriptor.clone())
            .collect()
    }

    fn set_interest(
        &self,
        descriptor: Descriptor,
        read: Option<bool>,
        write: Option<bool>,
    ) -> std::io::Result<()> {
        let id = object_id(&descriptor);
        let registry = self.core.io.registry();
        let mut fds = self.core.fds.borrow_mut();
        let FdSet {
            entries,
            by_object,
            calling,
        } = &mut *fds;
        let (key, old) = match by_object.get(&id) {
            Some(key) => {
                let entry = entries.get(*key).expect("object map and slab agree");
                (*key, FdSet::interest(entry))
            }
            None => {
                let fd = match (*calling, descriptor.try_borrow()) {
                    (Some((busy, fd)), Err(_)) if busy == id => fd,
                    (_, Ok(d)) => d.fileno(),
                    (_, Err(_)) => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::WouldBlock,
                            "the descriptor is busy in a call and not the one being called",
                        ))
                    }
                };
                let key = entries.insert(Entry {
                    fd,
                    descriptor,
                    reading: false,
                    writing: false,
                });
                by_object.insert(id, key);
                (key, None)
            }
        };
        let entry = entries.get_mut(key).expect("just inserted");
        entry.reading = read.unwrap_or(entry.reading);
        entry.writing = write.unwrap_or(entry.writing);
        let fd = entry.fd;
        let result = match (old, FdSet::interest(entry)) {
            (None, Some(new)) => registry.register(&mut SourceFd(&fd), token::fd(key), new),
            (Some(_), Some(new)) => registry.reregister(&mut SourceFd(&fd), token::fd(key), new),
            (Some(_), None) => registry.deregister(&mut SourceFd(&fd)),
            (None, None) => Ok(()),
        };
        if result.is_err() || FdSet::interest(entry).is_none() {
            entries.remove(key);
            by_object.remove(&id);
        }
        result
    }

    pub(crate) fn fd_ready(&self, key: Key, event: &Event) {
        let found = {
            let fds = self.core.fds.borrow();
            fds.entries
                .get(key)
                .map(|e| (e.descriptor.clone(), e.fd, e.reading, e.writing))
        };
        let Some((descriptor, fd, reading, writing)) = found else {
            return;
        };
        self.core.fds.borrow_mut().calling = Some((object_id(&descriptor), fd));
        let readable = event.is_readable() || event.is_read_closed() || event.is_error();
        let writable = event.is_writable() || event.is_write_closed() || event.is_error();
        let mut outcome = Ok(());
        if reading && readable {
            outcome = call_descriptor(&descriptor, "do_read", |d| d.do_read());
        }
        if outcome.is_ok() && writing && writable && self.still_writing(&descriptor) {
            outcome = call_descriptor(&descriptor, "do_write", |d| d.do_write());
        }
        self.core.fds.borrow_mut().calling = None;
        match outcome {
            Ok(()) => self.rearm(&descriptor),
            Err(reason) => {
                let _ = self.set_interest(descriptor.clone(), Some(false), Some(false));
                let prefix = descriptor.borrow().log_prefix();
                tracing::debug!(descriptor = %prefix, %reason, "descriptor removed");
                let _ = call_descriptor(&descriptor, "connection_lost", |d| {
                    d.connection_lost(&reason);
                    Ok(())
                });
            }
        }
    }

    fn still_writing(&self, descriptor: &Descriptor) -> bool {
        let fds = self.core.fds.borrow();
        fds.by_object
            .get(&object_id(descriptor))
            .and_then(|k| fds.entries.get(*k))
            .is_some_and(|e| e.writing)
    }

    /// Edge-triggered polling made level-triggered: re-registering makes epoll report the
    /// descriptor again if it is still ready.
    fn rearm(&self, descriptor: &Descriptor) {
        let fds = self.core.fds.borrow();
        if let Some((key, entry)) = fds
            .by_object
            .get(&object_id(descriptor))
            .and_then(|k| fds.entries.get(*k).map(|e| (*k, e)))
        {
            if let Some(interest) = FdSet::interest(entry) {
                let _ = self.core.io.registry().reregister(
                    &mut SourceFd(&entry.fd),
                    token::fd(key),
                    interest,
                );
            }
        }
    }
}

fn call_descriptor(
    descriptor: &Descriptor,
    name: &'static str,
    f: impl FnOnce(&mut dyn FileDescriptor) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let Ok(mut d) = descriptor.try_borrow_mut() else {
        tracing::error!(
            callback = name,
            "descriptor called while already running; skipped"
        );
        return Ok(());
    };
    catch_unwind(AssertUnwindSafe(|| f(&mut *d)))
        .unwrap_or_else(|p| Err(Failure::from_panic(name, p)))
}
