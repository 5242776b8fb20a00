//! [`LogOutput`]: an open log destination shared by every thread that logs.

use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset, Local};
use tracing::subscriber::SetGlobalDefaultError;
use tracing::{Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

use super::layer::OutputLayer;
use super::record::Record;
use super::sink::Sink;
use super::{LogDestination, LogFormat};

/// Where the output reads the time of each event.
pub(super) type Clock = fn() -> DateTime<FixedOffset>;

/// The local time, with its offset.
fn local_now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

/// An open log output (Twisted's log observer of `twist`/`twistd`): a destination, a
/// format and the system name shown in every line. Cheap to clone; the clones share the
/// destination, which the global subscriber holds too.
///
/// Each event is formatted whole and written with one `write_all` (one datagram for
/// syslog) under a lock, so lines logged by two threads never interleave, then flushed,
/// so a process killed later loses none. Errors while writing are dropped (there is
/// nowhere left to report them); nothing here panics.
///
/// # Examples
///
/// ```
/// use torsion::cli::log::{LogDestination, LogFormat, LogOutput};
///
/// let path = std::env::temp_dir().join(format!("torsion-log-doc-{}.log", std::process::id()));
/// let output = LogOutput::open(LogDestination::File(path.clone()), LogFormat::Text, "reverse")?;
/// tracing::subscriber::with_default(output.subscriber(tracing::Level::INFO), || {
///     tracing::info!(peer = "127.0.0.1:5000", "connection made");
///     tracing::debug!("not written: below INFO");
/// });
/// let text = std::fs::read_to_string(&path)?;
/// assert!(text.ends_with(" [reverse#info] connection made peer=127.0.0.1:5000\n"));
/// assert_eq!(text.lines().count(), 1);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LogOutput {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    format: LogFormat,
    system: String,
    clock: Clock,
    sink: Mutex<Sink>,
}

impl LogOutput {
    /// Opens `destination`, to write events in `format`; `system` is the name shown in
    /// every text line (`[system#level]`) and in the `system` key of JSON, e.g. the
    /// plugin's name.
    ///
    /// A file is opened now (appending; created with mode `0o640` less the umask), so a
    /// bad path fails before the program goes on. A syslog socket that is missing is not
    /// an error: events are dropped until it appears.
    ///
    /// # Errors
    ///
    /// The error of opening the file (`NotFound` for a missing directory,
    /// `PermissionDenied`, …).
    pub fn open(
        destination: LogDestination,
        format: LogFormat,
        system: &str,
    ) -> io::Result<LogOutput> {
        Self::open_with_clock(destination, format, system, local_now)
    }

    /// [`open`](Self::open), reading the time from `clock` (tests pin it).
    pub(super) fn open_with_clock(
        destination: LogDestination,
        format: LogFormat,
        system: &str,
        clock: Clock,
    ) -> io::Result<LogOutput> {
        Ok(LogOutput {
            shared: Arc::new(Shared {
                format,
                system: system.to_owned(),
                clock,
                sink: Mutex::new(Sink::open(destination)?),
            }),
        })
    }

    /// Opens a file destination's path again and writes there from now on (log rotation:
    /// the old file was renamed, and the next event creates a new file at the path).
    /// Nothing happens for stdout and syslog. Events logged meanwhile by other threads
    /// go whole to one file or the other.
    ///
    /// # Errors
    ///
    /// The error of opening the path; the output keeps writing to the old file then.
    pub fn reopen(&self) -> io::Result<()> {
        self.sink().reopen()
    }

    /// The descriptor of the current file, if the destination is a file (a daemon points
    /// its stdout and stderr at it with `dup2`, so a panic message lands in the log).
    ///
    /// The descriptor stays valid until the next [`reopen`](Self::reopen) or until the
    /// last clone of this output (and the subscriber holding one) is dropped: duplicate
    /// it right away, and again after each `reopen`.
    pub fn file_descriptor(&self) -> Option<RawFd> {
        self.sink().file_descriptor()
    }

    /// A `tracing` subscriber that writes every event at `max_level` or more severe
    /// (`Level::INFO`: info, warn and error) to this output. An event's own fields come
    /// first, then the fields of the spans it is in, innermost first (a name already
    /// written is skipped).
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::cli::log::{LogDestination, LogFormat, LogOutput};
    ///
    /// let output = LogOutput::open(LogDestination::Stdout, LogFormat::Json, "demo")?;
    /// tracing::subscriber::with_default(output.subscriber(tracing::Level::WARN), || {
    ///     tracing::warn!(attempt = 3, "retrying");
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn subscriber(&self, max_level: Level) -> impl Subscriber + Send + Sync {
        tracing_subscriber::registry()
            .with(LevelFilter::from_level(max_level))
            .with(OutputLayer::new(self.clone()))
    }

    /// Installs [`subscriber`](Self::subscriber) as the global default, for every thread
    /// and for the rest of the process.
    ///
    /// # Errors
    ///
    /// [`SetGlobalDefaultError`] when a global subscriber is already installed (this one
    /// is dropped then).
    pub fn install(&self, max_level: Level) -> Result<(), SetGlobalDefaultError> {
        tracing::subscriber::set_global_default(self.subscriber(max_level))
    }

    /// Writes one event, timed now.
    pub(super) fn write(&self, record: &Record) {
        let at = (self.shared.clock)();
        self.sink()
            .write(&at, &self.shared.system, self.shared.format, record);
    }

    /// The destination, locked. A thread that panicked while holding the lock left it
    /// whole (each write is one call), so a poisoned lock is used as is.
    fn sink(&self) -> MutexGuard<'_, Sink> {
        self.shared
            .sink
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
